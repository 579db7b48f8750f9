//! Store stage: the only module that holds SQL.
//!
//! One [`Store`] is one SQLite connection with the project's pragmas. Writes happen on one
//! connection at a time (the pipeline funnels them through [`writer::Writer`]); readers open
//! their own read-only connections. Tables are grouped by file: `feeds.rs`, `entries.rs`
//! (entries, revisions, updates, incidents), `state.rs` (service state and the events outbox),
//! `query.rs` (read-only SQL for people), `reads.rs` (the server's reads: incidents, timelines,
//! outages, feed health), `metrics.rs` (what `/metrics` reads at scrape time),
//! `deliveries.rs` (webhook registry, delivery queue and attempt log).

mod clusters;
mod deliveries;
mod entries;
mod feeds;
mod metrics;
mod migrations;
mod overrides;
mod query;
mod reads;
mod state;
pub mod writer;

pub use clusters::{ClusterMemberRow, ClusterRow};
pub use deliveries::{AttemptOutcome, AttemptRecord, Claim, QueuedDelivery, WebhookStats};
pub use entries::{EntryOutcome, IngestCounts, StorableEntry, StoredEntry};
pub use feeds::{FeedRow, ImportCounts, RecordedFetch};
pub use metrics::{ArchiveMetrics, FeedGaugeRow, WebhookQueueRow};
pub use migrations::{MIGRATIONS, SCHEMA_SQL};
pub use overrides::{OverrideRow, OverrideTarget};
pub use query::{QueryResult, Value, QUERY_EXAMPLES};
pub use reads::{
    DayRow, FeedHealthRow, IncidentFilter, IncidentRow, OutageFilter, OutageRow, RevisionRow,
    UpdateRow,
};
pub use state::{HistoryRow, StatusRow};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a database operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("database {path} was written by a newer statuswatch (schema version {found}, this build knows {known}): upgrade statuswatch")]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("migration {name} failed: {source}")]
    Migration {
        name: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("no feed matches {0:?}: see `statuswatch feeds list` for ids and URLs")]
    NoSuchFeed(String),
    /// Feeds stored before URLs were normalised, which are one URL spelled several ways.
    #[error("feeds {} are the same URL spelled {} ways ({url}): keep one and remove the others with `statuswatch feeds remove ID`, then run this again", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", "), ids.len())]
    SameUrl { url: String, ids: Vec<i64> },
    #[error("no incident has id {0}: see the ID column of `statuswatch history`")]
    NoSuchIncident(i64),
    #[error("no override has id {0}: see `statuswatch override list`")]
    NoSuchOverride(i64),
    #[error("the database is locked by another process's write (another statuswatch, or a sqlite3 or Datasette session writing) and stayed locked past the {} s wait: end that write and run the command again", BUSY_TIMEOUT.as_secs())]
    Busy(#[source] rusqlite::Error),
    /// The file system holding the database has no room (SQLite's `SQLITE_FULL`, or no room
    /// to grow its `-shm` file). SQLite rolled the write back, so what was stored before stays.
    #[error("the disk holding {} is full: free space and run again; nothing stored was lost", path.as_deref().map_or("the database".into(), |p| p.display().to_string()))]
    Full {
        /// Filled in where the store is known (see [`StoreError::at`]).
        path: Option<PathBuf>,
        #[source]
        source: rusqlite::Error,
    },
    #[error("database error: {0}")]
    Sql(#[source] rusqlite::Error),
    /// `statuswatch query` was given something other than one statement that reads.
    #[error("refused: {0}. `statuswatch query` runs exactly one statement that reads (SELECT, WITH ... SELECT, VALUES, EXPLAIN, or a PRAGMA that reports a value)")]
    QueryRefused(String),
    #[error("stored JSON is unreadable: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the database writer has stopped")]
    WriterGone,
    #[error("database error: the commit of a group of writes failed: {0}")]
    GroupCommit(String),
    /// An entry passed to the ingest as known unchanged no longer matched the stored one (it
    /// changed, or was withdrawn, since its hash was read): nothing of the write was stored.
    /// The pipeline prepares the document again in full and writes that.
    #[error("feed {feed_id}: entry {key:?} changed after its stored hash was read; nothing was written: store the document again, prepared in full")]
    KnownEntryChanged { feed_id: i64, key: String },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        if is_busy(&e) {
            StoreError::Busy(e)
        } else if is_full(&e) {
            StoreError::Full {
                path: None,
                source: e,
            }
        } else {
            StoreError::Sql(e)
        }
    }
}

impl StoreError {
    /// Names the database a full disk holds (the conversion from SQLite's error cannot know
    /// it); other errors are returned as they are.
    pub fn at(self, db: &Path) -> StoreError {
        match self {
            StoreError::Full { path: None, source } => StoreError::Full {
                path: Some(db.to_path_buf()),
                source,
            },
            StoreError::Open { path, source } if is_full(&source) => StoreError::Full {
                path: Some(path),
                source,
            },
            StoreError::Migration { source, .. } if is_full(&source) => StoreError::Full {
                path: Some(db.to_path_buf()),
                source,
            },
            other => other,
        }
    }

    /// Whether the disk holding the database is full (a write can succeed once space is freed).
    pub fn is_full(&self) -> bool {
        match self {
            StoreError::Full { .. } => true,
            StoreError::Open { source, .. } | StoreError::Migration { source, .. } => {
                is_full(source)
            }
            _ => false,
        }
    }
}

/// Whether `e` is the file system running out of room: `SQLITE_FULL`, or the `-shm` file that
/// cannot grow (what a full disk gives at open, before any write).
fn is_full(e: &rusqlite::Error) -> bool {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => {
            f.code == rusqlite::ErrorCode::DiskFull
                || f.extended_code == rusqlite::ffi::SQLITE_IOERR_SHMSIZE
        }
        _ => false,
    }
}

/// Whether another connection's lock is what stopped `e`.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Puts the database in WAL mode (a no-op once it is). Switching a new database needs it to
/// itself for a moment and SQLite does not wait for that, so while another process is creating
/// it too (the daemon and a cron `poll` starting together), retry up to [`BUSY_TIMEOUT`].
fn set_wal(conn: &Connection) -> rusqlite::Result<()> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(e) if is_busy(&e) && std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            done => return done,
        }
    }
}

/// `file:PATH?immutable=1`, the path's URI-special characters escaped.
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// Rows one housekeeping statement deletes: small enough that its WAL frames (a few hundred
/// KB) fit in the little room a nearly full disk has left; an hour of a 10,000-feed archive's
/// fetch log is a few dozen statements.
const PRUNE_BATCH: usize = 1_000;

/// How long a statement waits for another connection's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Formats a time the way every column stores it: UTC RFC 3339, seconds precision, `Z`.
pub fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Reads a stored time back; `None` for NULL or text that is not RFC 3339.
pub fn parse_time_text(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Where one write runs: its own IMMEDIATE transaction when the connection has none open,
/// else a savepoint inside the caller's (the writer's group commit, see `writer`), which
/// rolls back alone. Both roll back when dropped without [`WriteScope::commit`].
enum WriteScope<'c> {
    Own(Transaction<'c>),
    Nested(NestedScope<'c>),
}

impl WriteScope<'_> {
    fn begin(conn: &mut Connection) -> rusqlite::Result<WriteScope<'_>> {
        // A savepoint opened outside a transaction would begin a deferred one (see `open`).
        if conn.is_autocommit() {
            conn.transaction_with_behavior(TransactionBehavior::Immediate)
                .map(WriteScope::Own)
        } else {
            NestedScope::begin(conn).map(WriteScope::Nested)
        }
    }

    fn commit(self) -> rusqlite::Result<()> {
        match self {
            WriteScope::Own(tx) => tx.commit(),
            WriteScope::Nested(scope) => scope.commit(),
        }
    }
}

impl std::ops::Deref for WriteScope<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            WriteScope::Own(tx) => tx,
            WriteScope::Nested(scope) => scope.conn,
        }
    }
}

/// A savepoint by prepared statements, kept in the connection's cache: every grouped write
/// opens one, and `rusqlite::Savepoint` has SQLite parse its SQL each time (with the
/// writer's own per-job savepoint, 4.6 statement parses per feed of an all-304 cycle).
/// Nested ones share the name: SQLite releases and rolls back to the innermost.
struct NestedScope<'c> {
    conn: &'c Connection,
    open: bool,
}

impl<'c> NestedScope<'c> {
    fn begin(conn: &'c Connection) -> rusqlite::Result<NestedScope<'c>> {
        run_cached(conn, "SAVEPOINT write_scope")?;
        Ok(NestedScope { conn, open: true })
    }

    fn commit(mut self) -> rusqlite::Result<()> {
        run_cached(self.conn, "RELEASE write_scope")?;
        self.open = false;
        Ok(())
    }
}

impl Drop for NestedScope<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = run_cached(self.conn, "ROLLBACK TO write_scope");
            let _ = run_cached(self.conn, "RELEASE write_scope");
        }
    }
}

/// Runs one statement that returns no rows (transaction control) from the statement cache.
fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

/// One SQLite connection with statuswatch's schema and pragmas.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the database and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() && !dir.exists() {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                    path: path.to_path_buf(),
                    source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
                })?;
            }
        }
        let open_err = |source| {
            StoreError::Open {
                path: path.to_path_buf(),
                source,
            }
            .at(path)
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        // Every transaction takes the write lock at BEGIN. A deferred one that reads first
        // and then writes fails at once with "database is locked" when another process (a
        // second `poll`, the daemon's deliverer) is writing: SQLite does not wait out the busy
        // timeout for a reading transaction that asks to upgrade.
        conn.set_transaction_behavior(TransactionBehavior::Immediate);
        set_wal(&conn).map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        // An ingest runs about a dozen distinct statements; the default cache (16) would
        // evict and re-prepare them on every feed.
        conn.set_prepared_statement_cache_capacity(64);
        // The writer groups feeds' writes in savepoints (see `writer`): their undo copies
        // stay in memory instead of a temporary file, and a group's pages fit the cache
        // instead of spilling to the WAL before the commit.
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(open_err)?;
        conn.pragma_update(None, "cache_size", -8192)
            .map_err(open_err)?;
        // Checkpoint the WAL into the database every ~40 MB instead of every 4 MB: a cold poll
        // writes hundreds of MB, and each checkpoint costs two fsyncs and re-reads the pages
        // it copies (a cold poll of 2,000 feeds: 361 fsyncs -> 49, 29 % fewer reads). Hourly
        // housekeeping and the last connection's close checkpoint as well.
        conn.pragma_update(None, "wal_autocheckpoint", 10_000)
            .map_err(open_err)?;
        migrations::apply(&mut conn, path).map_err(|e| e.at(path))?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Opens an existing database read-only (`serve`, `events --follow`, which keep reading
    /// while others write): SQL cannot write.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        Store::open_reader(path, false)
    }

    /// [`Store::open_read_only`] for one look (`status`, `query`): on a read-only file system
    /// (a WAL database whose `-shm` file is missing and cannot be created there) it opens the
    /// file as immutable instead, since nothing can be writing it then. Never for a reader
    /// that stays: an immutable connection would not see a writer that starts later.
    pub fn open_read_only_once(path: &Path) -> Result<Store, StoreError> {
        Store::open_reader(path, true)
    }

    fn open_reader(path: &Path, immutable_fallback: bool) -> Result<Store, StoreError> {
        let open_err = |source| {
            StoreError::Open {
                path: path.to_path_buf(),
                source,
            }
            .at(path)
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        // SQLite opens lazily: the first read is what meets a missing, uncreatable `-shm`.
        let probe = conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()));
        if let Err(e) = probe {
            let unwritable = matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
            );
            if !unwritable || !immutable_fallback {
                return Err(open_err(e));
            }
            conn = Connection::open_with_flags(
                immutable_uri(path),
                flags | OpenFlags::SQLITE_OPEN_URI,
            )
            .map_err(open_err)?;
        }
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        conn.pragma_update(None, "query_only", "ON")
            .map_err(open_err)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Whether the database's schema is the one this build writes (an older one needs a
    /// read-write open to be migrated first).
    pub fn schema_is_current(&self) -> Result<bool, StoreError> {
        Ok(self.schema_version()? == MIGRATIONS.len() as i64)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// SQLite's change counter for this connection: it moves when another connection commits
    /// (`PRAGMA data_version`), so a reader can tell whether what it built is still current.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// The schema version (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Periodic upkeep: drops fetch-log rows older than `before` and the attempt log of
    /// deliveries that are finished (no longer queued) and older than `before`, lets SQLite
    /// refresh its statistics, and checkpoints the WAL without blocking readers. Returns the
    /// rows pruned (fetches, deliveries).
    ///
    /// Rows go in batches of [`PRUNE_BATCH`], each committed and checkpointed before the next:
    /// one statement deleting a long backlog needs a WAL as large as the pages it touches (the
    /// whole fetch log after weeks without pruning), so after a full disk it failed again at
    /// every run however much space was freed. A batch needs a few hundred KB, and the WAL is
    /// reused after each checkpoint; what a batch before a failure deleted stays deleted.
    pub fn housekeeping(&mut self, before: DateTime<Utc>) -> Result<(usize, usize), StoreError> {
        self.housekeeping_in_batches(before)
            .map_err(|e| self.after_failure(e))
    }

    fn housekeeping_in_batches(
        &mut self,
        before: DateTime<Utc>,
    ) -> Result<(usize, usize), StoreError> {
        let cutoff = time_text(before);
        let fetches = self.prune_fetches(before)?;
        let deliveries = self.delete_in_batches(
            "DELETE FROM deliveries WHERE rowid IN (
                 SELECT rowid FROM deliveries WHERE attempted_at < ?1
                   AND NOT EXISTS (SELECT 1 FROM webhook_queue q
                                   WHERE q.webhook = deliveries.webhook
                                     AND q.event_seq = deliveries.event_seq)
                 LIMIT ?2)",
            &cutoff,
        )?;
        self.conn.execute_batch("PRAGMA optimize;")?;
        self.checkpoint()?;
        Ok((fetches, deliveries))
    }

    /// Runs `delete` (which takes the cutoff as `?1` and a batch size as `?2`) until it
    /// deletes nothing, checkpointing after each batch so the next one reuses the WAL instead
    /// of growing it: pruning never needs more room than one batch. Returns the rows deleted.
    fn delete_in_batches(&mut self, delete: &str, cutoff: &str) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let n = self
                .conn
                .prepare_cached(delete)?
                .execute(rusqlite::params![cutoff, PRUNE_BATCH])?;
            total += n;
            if n < PRUNE_BATCH {
                return Ok(total);
            }
            self.checkpoint()?;
        }
    }

    /// PASSIVE: copies what it can without waiting for readers (a `--follow` reader); once all
    /// is copied, the next write starts the WAL over instead of growing it.
    fn checkpoint(&self) -> Result<(), StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?)
    }

    /// What a write that failed leaves to do: on a full disk, name the database and give the
    /// room a failed write grew the WAL into back to the file system (a TRUNCATE checkpoint,
    /// best effort: when it cannot run, the next successful one does it). The connection stays
    /// usable: SQLite rolled the write back.
    pub fn after_failure(&self, e: StoreError) -> StoreError {
        if !e.is_full() {
            return e;
        }
        if !self.conn.is_autocommit() {
            // Inside the writer's group: the group's own rollback comes first.
            return e.at(&self.path);
        }
        if let Err(error) = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        {
            tracing::debug!(%error, "Could not truncate the WAL after a full disk.");
        }
        e.at(&self.path)
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod full_disk {
    //! A full disk simulated by `PRAGMA max_page_count` (the file may not grow past the pages
    //! it has), which SQLite reports as `SQLITE_FULL` exactly as it does a full file system.
    //! `tests/store_full_disk.rs` runs the same on a real small file system where it can mount
    //! one.
    use super::writer::testing::{in_one_group, GroupJob};
    use super::writer::Writer;
    use super::*;
    use crate::model::{FeedSpec, FetchRecord};

    fn store_with_feed(path: &Path) -> Store {
        let mut store = Store::open(path).unwrap();
        let spec = FeedSpec {
            url: "https://status.example.com/history.atom".into(),
            title: "Example".into(),
            vendor: "example".into(),
            ..FeedSpec::default()
        };
        store.import_feeds(&[spec], Utc::now()).unwrap();
        store
    }

    /// `n` fetch-log rows of 2020, old enough for any pruning.
    fn old_fetches(store: &mut Store, n: usize) {
        let tx = store.conn.transaction().unwrap();
        for i in 0..n {
            tx.execute(
                "INSERT INTO fetches (feed_id, started_at, duration_ms, outcome, error)
                 VALUES (1, ?1, 5, 'ok', 'an old row of the fetch log')",
                [format!(
                    "2020-01-{:02}T{:02}:{:02}:00Z",
                    1 + i / 1440,
                    i / 60 % 24,
                    i % 60
                )],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }

    /// The disk is full: the file may not grow by one page.
    fn fill(store: &Store) -> rusqlite::Result<()> {
        let pages: i64 = store
            .conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))?;
        store
            .conn
            .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))
    }

    fn free(store: &Store) -> rusqlite::Result<()> {
        store
            .conn
            .query_row("PRAGMA max_page_count = 1073741823", [], |_| Ok(()))
    }

    /// A fetch whose error text needs new pages (overflow pages) wherever it goes.
    fn big_fetch() -> FetchRecord {
        FetchRecord {
            started_at: Utc::now(),
            error: Some("x".repeat(64 * 1024)),
            ..FetchRecord::default()
        }
    }

    fn count(path: &Path, sql: &str) -> i64 {
        let conn = Connection::open(path).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// The size of the database's WAL file (0 when there is none).
    fn wal_bytes(db: &Path) -> u64 {
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        std::fs::metadata(wal).map_or(0, |m| m.len())
    }

    fn assert_says_full(e: &StoreError, path: &Path) {
        assert!(e.is_full(), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "the disk holding {} is full: free space and run again; nothing stored was lost",
                path.display()
            )
        );
    }

    #[test]
    fn a_write_on_a_full_disk_says_so_keeps_what_was_stored_and_the_next_one_stores() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.db");
        let mut store = store_with_feed(&path);
        old_fetches(&mut store, 100);
        let before = count(&path, "SELECT count(*) FROM fetches");
        fill(&store).unwrap();
        let err = store
            .record_fetch(1, &big_fetch(), |_| None)
            .map_err(|e| store.after_failure(e))
            .unwrap_err();
        assert_says_full(&err, &path);
        assert_eq!(
            count(&path, "SELECT count(*) FROM fetches"),
            before,
            "nothing lost, nothing half-written"
        );
        assert!(store.conn.is_autocommit(), "no transaction left open");
        assert_eq!(store.integrity_check().unwrap(), "ok");
        // Pruning needs no new page: it works on the full disk (and gives pages back).
        assert_eq!(store.housekeeping(Utc::now()).unwrap(), (100, 0));
        // Space is back: the same connection stores, no restart needed.
        free(&store).unwrap();
        store.record_fetch(1, &big_fetch(), |_| None).unwrap();
        assert_eq!(count(&path, "SELECT count(*) FROM fetches"), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_caller_of_a_group_lost_to_a_full_disk_hears_so_and_the_writer_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let mut store = store_with_feed(&path);
        old_fetches(&mut store, 10);
        let (writer, handle) = Writer::spawn(store).unwrap();
        let jobs = (0..3)
            .map(|_| -> GroupJob<_> { Box::new(|s| s.record_fetch(1, &big_fetch(), |_| None)) })
            .collect();
        let first = |s: &mut Store| Ok(fill(s)?);
        for result in in_one_group(&writer, first, jobs).await {
            assert_says_full(&result.unwrap_err(), &path);
        }
        assert_eq!(
            count(&path, "SELECT count(*) FROM fetches"),
            10,
            "what was stored stays"
        );
        // A lone write says the same; once space is back the next write stores.
        let err = writer
            .run(|s| s.record_fetch(1, &big_fetch(), |_| None))
            .await
            .unwrap_err();
        assert_says_full(&err, &path);
        writer.run(|s| Ok(free(s)?)).await.unwrap();
        writer
            .run_grouped(|s| s.record_fetch(1, &big_fetch(), |_| None))
            .await
            .unwrap();
        assert_eq!(count(&path, "SELECT count(*) FROM fetches"), 11);
        drop(writer);
        handle.join().unwrap();
    }

    #[test]
    fn pruning_a_long_backlog_keeps_the_wal_to_a_batch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let mut store = store_with_feed(&path);
        // A backlog of many batches.
        let rows = 40_000;
        old_fetches(&mut store, rows);
        store
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        let db_bytes = std::fs::metadata(&path).unwrap().len();
        assert!(db_bytes > 4_000_000, "{db_bytes}");
        assert_eq!(store.housekeeping(Utc::now()).unwrap(), (rows, 0));
        // Measured: pruning all of a 5.6 MB database leaves a 0.2 MB WAL in batches, a 5.2 MB
        // one in one statement.
        let wal_bytes = wal_bytes(&path);
        assert!(
            wal_bytes * 10 < db_bytes,
            "the WAL ({wal_bytes} bytes) grew with the backlog ({db_bytes} bytes)"
        );
        assert_eq!(count(&path, "SELECT count(*) FROM fetches"), 0);
    }
}
