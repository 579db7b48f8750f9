//! Another process writing to the same database at the same moment (the daemon's deliverer,
//! a second `poll`, `statuswatch feeds` edits) makes a write wait for the lock, never fail
//! with "database is locked". A write that read before it wrote would fail at once: SQLite
//! does not wait for a lock a reading transaction asks to upgrade. So every write takes the
//! lock up front.

mod common;
use common::outbox::TestFeed;
use common::{example_store, fetch_rows};
use statuswatch::model::FetchRecord;
use statuswatch::model::{FeedSpec, Status};
use statuswatch::store::writer::Writer;
use statuswatch::store::StoreError;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

fn fetched(status: u16) -> FetchRecord {
    FetchRecord {
        started_at: chrono::Utc::now(),
        http_status: Some(status),
        ..FetchRecord::default()
    }
}

/// Another connection (as another process would) takes the write lock, writes, and holds
/// the lock for `hold` before committing. Returns once the lock is taken.
fn other_writer(path: &Path, hold: Duration) -> thread::JoinHandle<()> {
    let path: PathBuf = path.to_path_buf();
    let (taken, is_taken) = mpsc::channel();
    let handle = thread::spawn(move || {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             INSERT INTO events (id, kind, occurred_at, detected_at, title, payload)
             VALUES (lower(hex(randomblob(16))), 'network_down', '2026-11-26T00:00:00Z',
                     '2026-11-26T00:00:00Z', 'other process', '{}');",
        )
        .unwrap();
        taken.send(()).unwrap();
        thread::sleep(hold);
        conn.execute_batch("COMMIT").unwrap();
    });
    is_taken.recv().unwrap();
    handle
}

#[test]
fn ingest_waits_for_another_process_holding_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    let mut aws = TestFeed::new(&path, "aws", "cloud");
    let other = other_writer(&path, Duration::from_millis(400));
    // One document with an outage: stored, and the state change raised, after the wait.
    assert_eq!(aws.publish(&[("i1", Status::Outage, &[])]), 1);
    other.join().unwrap();
    assert_eq!(fetch_rows(&path, None), 1);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let (entries, changes): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM entries),
                    (SELECT count(*) FROM events WHERE kind = 'state_change')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((entries, changes), (1, 1));
}

#[test]
fn record_fetch_waits_for_another_process_holding_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.db");
    let mut store = example_store(&path);
    let other = other_writer(&path, Duration::from_millis(400));
    store.record_fetch(1, &fetched(500), |_| None).unwrap();
    other.join().unwrap();
    assert_eq!(fetch_rows(&path, None), 1);
}

#[test]
fn a_feed_edit_waits_for_another_process_holding_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.db");
    let mut store = example_store(&path);
    let other = other_writer(&path, Duration::from_millis(400));
    // Importing reads the feeds it knows before it writes.
    let counts = store
        .import_feeds(
            &[FeedSpec {
                url: "https://status.other.example/history.rss".into(),
                title: "Other".into(),
                vendor: "other".into(),
                ..FeedSpec::default()
            }],
            chrono::Utc::now(),
        )
        .unwrap();
    assert_eq!(counts.added, 1);
    other.join().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_thread_waits_for_another_process_holding_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let (writer, handle) = Writer::spawn(example_store(&path)).unwrap();
    let other = other_writer(&path, Duration::from_millis(400));
    // A lone grouped write (its own transaction) ...
    writer
        .run_grouped(|s| s.record_fetch(1, &fetched(500), |_| None))
        .await
        .unwrap();
    other.join().unwrap();
    // ... and several that share one.
    let other = other_writer(&path, Duration::from_millis(400));
    let jobs: Vec<_> = (0..3)
        .map(|_| {
            let writer = writer.clone();
            tokio::spawn(async move {
                writer
                    .run_grouped(|s| s.record_fetch(1, &fetched(500), |_| None))
                    .await
            })
        })
        .collect();
    for job in jobs {
        job.await.unwrap().unwrap();
    }
    other.join().unwrap();
    assert_eq!(fetch_rows(&path, None), 4);
    drop(writer);
    handle.join().unwrap();
}

#[test]
fn a_lock_held_past_the_wait_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    drop(example_store(&path));
    let other = other_writer(&path, Duration::from_millis(300));
    // Every store call turns SQLite's errors into a `StoreError` this way; a connection that
    // does not wait gets the busy error the store's would after its 10 s.
    let impatient = rusqlite::Connection::open(&path).unwrap();
    impatient.busy_timeout(Duration::ZERO).unwrap();
    let err = StoreError::from(impatient.execute_batch("BEGIN IMMEDIATE").unwrap_err());
    assert!(matches!(err, StoreError::Busy(_)), "{err:?}");
    assert!(
        err.to_string().starts_with(
            "the database is locked by another process's write (another statuswatch, or a sqlite3 or Datasette session writing) and stayed locked past the 10 s wait"
        ),
        "{err}"
    );
    other.join().unwrap();
    // Other SQLite errors stay plain database errors.
    let err = StoreError::from(
        impatient
            .execute_batch("SELECT * FROM nowhere")
            .unwrap_err(),
    );
    assert!(matches!(err, StoreError::Sql(_)), "{err:?}");
}

/// What migrating left in a database: `user_version`, `schema_version` (SQLite counts every
/// schema change in it, so a migration applied twice, even one that would succeed twice, shows
/// as a higher count) and every object's definition.
fn migrated_schema(path: &Path) -> (i64, i64, Vec<String>) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let pragma = |name: &str| -> i64 {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
            .unwrap()
    };
    let (user_version, schema_version) = (pragma("user_version"), pragma("schema_version"));
    let mut stmt = conn
        .prepare("SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master ORDER BY type, name")
        .unwrap();
    let objects = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    (user_version, schema_version, objects)
}

#[test]
fn processes_opening_a_new_database_at_once_migrate_it_once() {
    // The daemon and a cron `poll` starting together on a database that does not exist yet.
    let dir = tempfile::tempdir().unwrap();
    let alone = dir.path().join("alone.db");
    drop(statuswatch::store::Store::open(&alone).unwrap());
    let want = migrated_schema(&alone);
    assert_eq!(
        want.0,
        statuswatch::store::MIGRATIONS.len() as i64,
        "user_version"
    );
    for round in 0..20 {
        let path = dir.path().join(format!("new{round}.db"));
        let start = std::sync::Arc::new(std::sync::Barrier::new(3));
        let openers: Vec<_> = (0..3)
            .map(|_| {
                let (path, start) = (path.clone(), start.clone());
                thread::spawn(move || {
                    start.wait();
                    statuswatch::store::Store::open(&path).map(drop)
                })
            })
            .collect();
        for (i, opener) in openers.into_iter().enumerate() {
            let opened = opener.join().unwrap();
            assert!(opened.is_ok(), "round {round}, opener {i}: {opened:?}");
        }
        // Every migration applied exactly once: the same version, the same count of schema
        // changes and the same objects as a database one process migrated alone.
        assert_eq!(migrated_schema(&path), want, "round {round}");
    }
}
