//! Entries passed on as known unchanged (neither classified nor digested, issue 18) store the
//! same archive as entries prepared in full: a replay of each fixture day with and without the
//! skip gives byte-identical tables. And a stored entry that no longer matches what the
//! pipeline was told fails the write whole, naming the entry, so it can be redone in full.

mod common;

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use statuswatch::classify::Rules;
use statuswatch::cli::replay::read_layout;
use statuswatch::correlate::CorrelationSettings;
use statuswatch::events::FeedContext;
use statuswatch::model::{FeedSpec, FetchOutcome, FetchRecord};
use statuswatch::pipeline::{
    prepare_document, prepare_document_known, store_document, KnownHashes,
};
use statuswatch::replay::{replay, Capture, ReplaySettings};
use statuswatch::store::{Store, StoreError};
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

/// Replays the fixture day `day` into a fresh database at `db`.
fn replay_day(day: &str, db: &Path, skip_known: bool) {
    let dir = common::replay_day::day_dir(day);
    let layout = read_layout(&dir).unwrap();
    let mut store = Store::open(db).unwrap();
    let specs: Vec<FeedSpec> = layout.feeds.iter().map(|(s, _)| s.clone()).collect();
    store.import_feeds(&specs, layout.captures[0].at).unwrap();
    let ids: HashMap<String, i64> = store
        .list_feeds()
        .unwrap()
        .into_iter()
        .map(|f| (f.spec.url, f.id))
        .collect();
    let captures: Vec<Capture> = layout
        .captures
        .iter()
        .map(|c| Capture {
            feed_id: ids[&layout.feeds[c.feed].0.url],
            at: c.at,
            file: c.path.clone(),
        })
        .collect();
    let rules = Rules::embedded();
    let settings = ReplaySettings {
        rules: &rules,
        failing_after: Duration::from_secs(6 * 3600),
        correlation: &CorrelationSettings::default(),
        backoff: Default::default(),
        skip_known,
    };
    replay(
        &mut store,
        &settings,
        &captures,
        |c| std::fs::read(&c.file).map_err(|e| e.to_string()),
        |_, _| {},
    )
    .unwrap();
}

/// Every row of every table, in rowid order, as SQLite holds it (the schema's own bookkeeping
/// aside). Events carry a random id (UUID v7): it is left out, also where their payload quotes it.
fn dump(db: &Path) -> Vec<(String, Vec<Vec<Value>>)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|table| {
            // A table without rowids is ordered by all its columns.
            let columns: usize = conn
                .prepare(&format!("SELECT * FROM \"{table}\""))
                .unwrap()
                .column_count();
            let order = match conn.prepare(&format!("SELECT rowid FROM \"{table}\"")) {
                Ok(_) => "rowid".to_string(),
                Err(_) => (1..=columns)
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY {order}"))
                .unwrap();
            let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
            let rows = stmt
                .query_map([], |r| {
                    let id = match names.iter().position(|n| n == "id") {
                        Some(i) if table == "events" => r.get::<_, String>(i)?,
                        _ => String::new(),
                    };
                    (0..names.len())
                        .filter(|&i| id.is_empty() || names[i] != "id")
                        .map(|i| {
                            Ok(match r.get::<_, Value>(i)? {
                                Value::Text(text) if !id.is_empty() => {
                                    Value::Text(text.replace(&id, "<event id>"))
                                }
                                other => other,
                            })
                        })
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            (table, rows)
        })
        .collect()
}

fn count(db: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_replay_stores_the_same_tables_with_and_without_the_skip() {
    for day in ["ordinary-day", "aws-day"] {
        let dir = tempfile::tempdir().unwrap();
        let (full, skipped) = (dir.path().join("full.db"), dir.path().join("skip.db"));
        replay_day(day, &full, false);
        replay_day(day, &skipped, true);
        // The day must exercise what is compared: documents repeating stored entries beside
        // new and revised ones, incidents and events.
        assert!(
            count(&full, "SELECT count(*) FROM entry_revisions") > 100,
            "{day}"
        );
        assert!(
            count(
                &full,
                "SELECT count(*) FROM entry_revisions WHERE revision > 1"
            ) > 0,
            "{day}: no revised entry"
        );
        assert!(count(&full, "SELECT count(*) FROM events") > 0, "{day}");
        let (a, b) = (dump(&full), dump(&skipped));
        assert_eq!(a.len(), b.len());
        for ((table, rows_a), (_, rows_b)) in a.iter().zip(&b) {
            assert_eq!(rows_a.len(), rows_b.len(), "{day}: table {table}");
            for (i, (ra, rb)) in rows_a.iter().zip(rows_b).enumerate() {
                assert_eq!(ra, rb, "{day}: table {table}, row {i}");
            }
        }
    }
}

const DOC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Example Status</title>
  <id>tag:status.example.com,2025:history</id>
  <updated>2025-10-20T10:00:00Z</updated>
  <entry>
    <id>tag:status.example.com,2025:Incident/1</id>
    <title>Elevated API errors</title>
    <updated>2025-10-20T10:00:00Z</updated>
    <link href="https://status.example.com/incidents/1"/>
    <content type="html">&lt;p&gt;&lt;strong&gt;Investigating&lt;/strong&gt; - We are looking into elevated API errors.&lt;/p&gt;</content>
  </entry>
  <entry>
    <id>tag:status.example.com,2025:Incident/2</id>
    <title>Scheduled maintenance</title>
    <updated>2025-10-19T10:00:00Z</updated>
    <link href="https://status.example.com/incidents/2"/>
    <content type="html">&lt;p&gt;&lt;strong&gt;Completed&lt;/strong&gt; - The maintenance is done.&lt;/p&gt;</content>
  </entry>
</feed>"#;

fn fetch_at(at: DateTime<Utc>) -> FetchRecord {
    FetchRecord {
        started_at: at,
        http_status: Some(200),
        outcome: FetchOutcome::Ok,
        ..FetchRecord::default()
    }
}

fn context(feed_id: i64) -> FeedContext {
    FeedContext {
        feed_id,
        vendor: "example".into(),
        title: "Example".into(),
        url: common::EXAMPLE_FEED_URL.into(),
        category: None,
    }
}

#[test]
fn an_entry_changed_after_its_hash_was_read_fails_the_write_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let mut store = common::example_store(&db);
    let feed_id = store.find_feed(common::EXAMPLE_FEED_URL).unwrap().id;
    let rules = Rules::embedded();
    let options = statuswatch::parse::ParseOptions::default();
    let now = common::outbox::t(0);
    let first = prepare_document(&rules, DOC.as_bytes(), &options).unwrap();
    store_document(
        &mut store,
        &context(feed_id),
        &fetch_at(now),
        &first,
        Duration::from_secs(3600),
        now,
    )
    .unwrap();

    // The hashes as read, and the same document again: both entries are passed on unchanged.
    let known: KnownHashes = store.entry_hashes(feed_id).unwrap();
    assert_eq!(known.len(), 2);
    let again = prepare_document_known(&rules, DOC.as_bytes(), &options, &known).unwrap();
    assert!(again.entries.iter().all(|e| e.classified().is_none()));

    // Meanwhile another writer revised one of them.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE entries SET content_hash = 'revised elsewhere' WHERE entry_key LIKE '%Incident/1'",
            [],
        )
        .unwrap();
    let fetches = count(&db, "SELECT count(*) FROM fetches");
    let later = common::outbox::t(10);
    let err = store_document(
        &mut store,
        &context(feed_id),
        &fetch_at(later),
        &again,
        Duration::from_secs(3600),
        later,
    )
    .unwrap_err();
    match &err {
        StoreError::KnownEntryChanged { feed_id: f, key } => {
            assert_eq!(*f, feed_id);
            assert!(key.ends_with("Incident/1"), "{key}");
        }
        other => panic!("expected KnownEntryChanged, got {other:?}"),
    }
    assert!(err.to_string().contains("Incident/1"), "{err}");
    // Nothing of that write was kept: no fetch row, no entry's last_seen_at moved.
    assert_eq!(count(&db, "SELECT count(*) FROM fetches"), fetches);
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT count(*) FROM entries WHERE last_seen_at != '{}'",
                statuswatch::store::time_text(now)
            )
        ),
        0
    );

    // Prepared in full, it stores: the revised one as a revision, the other unchanged.
    let full = prepare_document(&rules, DOC.as_bytes(), &options).unwrap();
    let counts = store_document(
        &mut store,
        &context(feed_id),
        &fetch_at(later),
        &full,
        Duration::from_secs(3600),
        later,
    )
    .unwrap();
    assert_eq!((counts.new, counts.updated, counts.unchanged), (0, 1, 1));
}
