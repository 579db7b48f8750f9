//! Creates real outbox events without the parser: a feed in the database and synthetic
//! classified entries ingested through `Store::ingest` with the events planner, exactly as a
//! poll would store them.
#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use statuswatch::events::FeedContext;
use statuswatch::model::{
    Classification, ClassifiedEntry, Engine, Entry, FeedSpec, FetchRecord, Phase, Status, Update,
};
use statuswatch::pipeline::{store_document, PreparedDocument};
use statuswatch::store::Store;
use std::path::{Path, PathBuf};

/// `minutes` after a fixed moment (2025-10-20 06:00 UTC).
pub fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 10, 20, 6, 0, 0).unwrap() + Duration::minutes(minutes)
}

/// The fetch-log record of the `clock`-th fetch of a synthetic feed, a 200 that brought a
/// document of `entries` entries.
pub fn document_fetch(clock: i64, entries: usize) -> FetchRecord {
    FetchRecord {
        started_at: t(10_000 + clock),
        duration_ms: 5,
        http_status: Some(200),
        bytes: Some(100),
        entries: Some(entries),
        ..FetchRecord::default()
    }
}

/// One vendor's feed, disabled so `poll` never fetches it; each [`TestFeed::publish`] is one
/// fetched document.
pub struct TestFeed {
    db: PathBuf,
    pub feed_id: i64,
    vendor: String,
    category: String,
    clock: i64,
    /// The text of every update published from now on (default: "ID is STATUS").
    pub said: Option<String>,
    /// The vendor's severity word of every entry published from now on.
    pub severity: Option<String>,
}

impl TestFeed {
    pub fn new(db: &Path, vendor: &str, category: &str) -> TestFeed {
        let mut store = Store::open(db).unwrap();
        let url = format!("http://127.0.0.1:9/{vendor}/history.atom");
        store
            .import_feeds(
                &[FeedSpec {
                    url: url.clone(),
                    title: vendor.to_uppercase(),
                    vendor: vendor.into(),
                    category: Some(category.into()),
                    ..FeedSpec::default()
                }],
                chrono::Utc::now(),
            )
            .unwrap();
        let feed_id = store.find_feed(&url).unwrap().id;
        drop(store);
        let conn = rusqlite::Connection::open(db).unwrap();
        conn.execute("UPDATE feeds SET enabled = 0 WHERE id = ?1", [feed_id])
            .unwrap();
        TestFeed {
            db: db.to_path_buf(),
            feed_id,
            vendor: vendor.into(),
            category: category.into(),
            clock: 0,
            said: None,
            severity: None,
        }
    }

    /// Stores a document holding these incidents `(id, status, components)`; returns the
    /// number of events it raised.
    pub fn publish(&mut self, incidents: &[(&str, Status, &[&str])]) -> usize {
        self.clock += 1;
        let entries: Vec<ClassifiedEntry> = incidents
            .iter()
            .map(|(id, status, components)| self.entry(id, *status, components))
            .collect();
        let record = document_fetch(self.clock, entries.len());
        let ctx = FeedContext {
            feed_id: self.feed_id,
            vendor: self.vendor.clone(),
            title: self.vendor.to_uppercase(),
            url: format!("http://127.0.0.1:9/{}/history.atom", self.vendor),
            category: Some(self.category.clone()),
        };
        let now = Utc::now();
        let mut store = Store::open(&self.db).unwrap();
        let document = PreparedDocument::from_classified(Engine::Generic, entries).unwrap();
        let hour = std::time::Duration::from_secs(3600);
        store_document(&mut store, &ctx, &record, &document, hour, now)
            .unwrap()
            .events
    }

    fn entry(&self, id: &str, status: Status, components: &[&str]) -> ClassifiedEntry {
        let label = match status {
            Status::Resolved => "Resolved",
            _ => "Investigating",
        };
        let updates = vec![Update {
            at: Some(t(self.clock)),
            label: label.into(),
            text: self
                .said
                .clone()
                .unwrap_or_else(|| format!("{id} is {status}")),
        }];
        ClassifiedEntry {
            entry: Entry {
                id: format!("{}-{id}", self.vendor),
                id_derived: false,
                title: format!("{} incident {id}", self.vendor),
                link: Some(format!(
                    "https://status.{}.example/incidents/{id}",
                    self.vendor
                )),
                published: Some(t(0)),
                updated: Some(t(self.clock)),
                content: format!("{label} - {id} is {status}"),
                updates,
                components: components.iter().map(|c| c.to_string()).collect(),
                incident_key: None,
                severity: self.severity.clone(),
                language: None,
            },
            class: Classification {
                status,
                phase: Phase::from_word(label),
                rule: "test".into(),
            },
            worst: if status == Status::Resolved {
                Status::Outage
            } else {
                status
            },
        }
    }
}

/// One outbox row: (seq, id, from, to, payload text).
pub type OutboxRow = (i64, String, Option<String>, Option<String>, String);

/// The outbox, oldest first.
pub fn events(db: &Path) -> Vec<OutboxRow> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT seq, id, from_state, to_state, payload FROM events ORDER BY seq")
        .unwrap();
    stmt.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// The ids of the outbox events, oldest first.
pub fn event_ids(db: &Path) -> Vec<String> {
    events(db).into_iter().map(|e| e.1).collect()
}

/// An outbox row of a kind a test cannot easily provoke (feed health, network), with the
/// payload in the documented shape (docs/webhooks.md), the feed copied in as the events stage
/// does.
pub fn insert_raw_event(
    db: &Path,
    kind: &str,
    vendor: Option<&str>,
    feed_id: Option<i64>,
) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    let id = uuid::Uuid::now_v7().to_string();
    let title = format!("{} {kind}", vendor.unwrap_or("statuswatch"));
    let at = "2025-10-20T07:00:00Z";
    let mut payload = serde_json::json!({
        "id": id, "type": kind, "occurred_at": at, "detected_at": at, "title": title, "link": null,
    });
    let extra = match (kind, feed_id) {
        ("network_down", _) => serde_json::json!({ "feeds": 10, "failed": 9, "samples": [] }),
        (_, Some(feed_id)) => {
            let (feed_title, url, category): (String, String, Option<String>) = conn
                .query_row(
                    "SELECT title, url, category FROM feeds WHERE id = ?1",
                    [feed_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .unwrap();
            serde_json::json!({
                "vendor": vendor,
                "feed": { "id": feed_id, "title": feed_title, "url": url, "category": category },
                "failing_since": at, "failures": 5, "outcome": "timeout", "http_status": null,
                "error": "timed out", "next_attempt_at": null,
            })
        }
        (_, None) => serde_json::json!({ "vendor": vendor }),
    };
    payload
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    conn.execute(
        "INSERT INTO events (id, kind, occurred_at, detected_at, feed_id, vendor, title, payload)
         VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![id, kind, at, feed_id, vendor, title, payload.to_string()],
    )
    .unwrap();
    id
}
