//! The single database writer: a thread that owns the write connection and runs jobs sent
//! to it, so async code never blocks on SQLite and there are never two writers.
//!
//! Jobs sent with [`Writer::run_grouped`] (one feed's fetch and ingest) are group-committed:
//! when several are waiting, the writer runs them inside one transaction, each in its own
//! savepoint, and commits once. A commit rewrites every page it touched, and a feed's write
//! touches the same few B-tree pages as the next feed's, so one commit per waiting group
//! instead of one per feed writes far fewer pages. A job that fails rolls back its own
//! savepoint only; every caller hears its result after the commit, so nothing is reported
//! stored before it is durable.

use super::{Store, StoreError};
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// At most this many grouped jobs share one commit, so a steady stream of work still
/// commits (and frees the WAL for checkpoints) every so often.
const MAX_GROUP: usize = 128;

/// Tells a grouped job's caller its result once the group's commit is known (`Err` with
/// why the group was lost when it was).
type Completion = Box<dyn FnOnce(Result<(), Lost>) + Send>;

/// A grouped job: writes, then says how it ended and how to tell its caller.
type GroupedJob = Box<dyn FnOnce(&mut Store) -> (JobEnd, Completion) + Send>;

/// How a grouped job's own write ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobEnd {
    Ok,
    Failed,
    /// Failed because the disk is full: the group lost with it is lost for that reason too.
    Full,
}

/// Why a group's writes were not committed, told to each of its callers.
#[derive(Debug, Clone)]
struct Lost {
    message: String,
    /// The database, when the disk holding it is full.
    full: Option<PathBuf>,
}

impl Lost {
    fn new(store: &Store, message: String, full: bool) -> Lost {
        Lost {
            message,
            full: full.then(|| store.path().to_path_buf()),
        }
    }

    fn into_error(self) -> StoreError {
        match self.full {
            Some(path) => StoreError::Full {
                path: Some(path),
                source: rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
                    Some(self.message),
                ),
            },
            None => StoreError::GroupCommit(self.message),
        }
    }
}

enum Job {
    /// Runs alone, outside any transaction of the writer's.
    Alone(Box<dyn FnOnce(&mut Store) + Send>),
    /// Runs in a savepoint, possibly beside others in one transaction.
    Grouped(GroupedJob),
}

/// A handle to the writer thread; cheap to clone, one per task that writes.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Moves `store` onto its own thread. The thread ends when every handle is dropped.
    pub fn spawn(store: Store) -> Result<(Writer, thread::JoinHandle<Store>), StoreError> {
        Writer::spawn_lingering(store, Duration::ZERO)
    }

    /// [`Writer::spawn`] whose groups wait up to `linger` after their first job for more, so
    /// writes that trickle in (the daemon spreads a slot's feeds over a few seconds of jitter,
    /// so none wait together) still share commits. Each write's result comes that much later;
    /// nothing is reported stored before its commit either way.
    pub fn spawn_lingering(
        store: Store,
        linger: Duration,
    ) -> Result<(Writer, thread::JoinHandle<Store>), StoreError> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let handle = thread::Builder::new()
            .name("statuswatch-writer".into())
            .spawn(move || {
                let mut store = store;
                let mut next = rx.recv().ok();
                while let Some(job) = next.take() {
                    match job {
                        Job::Alone(f) => f(&mut store),
                        Job::Grouped(f) => {
                            let mut group = vec![f];
                            let until = Instant::now() + linger;
                            while group.len() < MAX_GROUP {
                                let waiting = match rx.try_recv() {
                                    Err(mpsc::TryRecvError::Empty) if !linger.is_zero() => {
                                        let left = until.saturating_duration_since(Instant::now());
                                        rx.recv_timeout(left).ok()
                                    }
                                    waiting => waiting.ok(),
                                };
                                match waiting {
                                    Some(Job::Grouped(g)) => group.push(g),
                                    Some(alone) => {
                                        next = Some(alone);
                                        break;
                                    }
                                    None => break,
                                }
                            }
                            run_group(&mut store, group);
                        }
                    }
                    if next.is_none() {
                        next = rx.recv().ok();
                    }
                }
                store
            })
            .map_err(|_| StoreError::WriterGone)?;
        Ok((Writer { jobs }, handle))
    }

    /// Runs `f` on the writer thread and waits (asynchronously) for its result.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Job::Alone(Box::new(move |store: &mut Store| {
                // The caller may have gone away (cancelled); the result is then dropped.
                let result = f(store).map_err(|e| store.after_failure(e));
                let _ = tx.send(result);
            })))
            .map_err(|_| StoreError::WriterGone)?;
        rx.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Like [`Writer::run`], for one feed's write (`Store::ingest`, `Store::record_fetch`):
    /// it runs in a savepoint of its own, rolled back if it fails, and may share a commit with
    /// other such writes waiting at the same time. Its result arrives once that commit is done.
    pub async fn run_grouped<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Job::Grouped(Box::new(move |store: &mut Store| {
                let result = f(store).map_err(|e| store.after_failure(e));
                let end = match &result {
                    Ok(_) => JobEnd::Ok,
                    Err(e) if e.is_full() => JobEnd::Full,
                    Err(_) => JobEnd::Failed,
                };
                let completion: Completion = Box::new(move |committed: Result<(), Lost>| {
                    let result = match (result, committed) {
                        (Ok(value), Ok(())) => Ok(value),
                        (Ok(_), Err(lost)) => Err(lost.into_error()),
                        (Err(e), _) => Err(e),
                    };
                    let _ = tx.send(result);
                });
                (end, completion)
            })))
            .map_err(|_| StoreError::WriterGone)?;
        rx.await.map_err(|_| StoreError::WriterGone)?
    }
}

/// Runs a group of jobs in one transaction and tells each its outcome.
fn run_group(store: &mut Store, group: Vec<GroupedJob>) {
    // IMMEDIATE even for one job: the lock is taken (or waited for, while another process
    // writes) before any job reads, so no job fails upgrading a read to a write.
    if super::run_cached(&store.conn, "BEGIN IMMEDIATE").is_err() {
        // The lock stayed taken past the busy timeout, or the database is failing: run each
        // job as is; each `Store` write is a transaction of its own and reports its error.
        for f in group {
            f(store).1(Ok(()));
        }
        return;
    }
    let mut done: Vec<Completion> = Vec::with_capacity(group.len());
    let mut grouped = true;
    for f in group {
        if !grouped {
            // Runs on its own after the group's transaction was lost.
            f(store).1(Ok(()));
            continue;
        }
        let (end, completion) = run_in_savepoint(store, f);
        if store.conn.is_autocommit() {
            // Some errors (disk full, I/O) make SQLite roll back the whole transaction: this
            // job and the ones before it are gone; the ones after run on their own.
            let message = "the group's transaction was rolled back by SQLite".to_string();
            let lost = || Err(Lost::new(store, message.clone(), end == JobEnd::Full));
            completion(lost());
            for c in done.drain(..) {
                c(lost());
            }
            grouped = false;
        } else {
            done.push(completion);
        }
    }
    if !grouped {
        return;
    }
    let committed = super::run_cached(&store.conn, "COMMIT").map_err(|e| {
        // Leave the connection usable for the next job.
        let _ = store.conn.execute_batch("ROLLBACK");
        let message = e.to_string();
        let full = StoreError::from(e).is_full();
        let lost = Lost::new(store, message, full);
        // Gives a full disk's WAL back, now that no transaction is open.
        if full {
            let _ = store.after_failure(lost.clone().into_error());
        }
        lost
    });
    for c in done {
        c(committed.clone());
    }
}

/// Runs one grouped job in a savepoint of its own inside the group's transaction, rolled
/// back (this job alone) if the job failed.
fn run_in_savepoint(store: &mut Store, f: GroupedJob) -> (JobEnd, Completion) {
    if super::run_cached(&store.conn, "SAVEPOINT grouped_job").is_err() {
        // Cannot open one (the database is failing): run it as is; each `Store` write is
        // atomic on its own (a savepoint of its own, see `WriteScope`).
        return f(store);
    }
    let (end, completion) = f(store);
    if end != JobEnd::Ok {
        let _ = super::run_cached(&store.conn, "ROLLBACK TO grouped_job");
    }
    // Releasing a savepoint nested in a transaction only merges it into that transaction
    // (deferred constraints are checked at the group's COMMIT).
    let _ = super::run_cached(&store.conn, "RELEASE grouped_job");
    (end, completion)
}

/// What tests need to make a group on purpose.
#[cfg(test)]
pub(super) mod testing {
    use super::{Store, StoreError, Writer};

    /// One grouped job, as [`in_one_group`] takes it.
    pub type GroupJob<T> = Box<dyn FnOnce(&mut Store) -> Result<T, StoreError> + Send>;

    /// Runs `jobs` as one group, and `first` alone just before them: the writer is held while
    /// they queue (each future is polled once, which queues its job: no sleep decides).
    pub async fn in_one_group<T: Send + 'static>(
        writer: &Writer,
        first: impl FnOnce(&mut Store) -> Result<(), StoreError> + Send + 'static,
        jobs: Vec<GroupJob<T>>,
    ) -> Vec<Result<T, StoreError>> {
        let (started, running) = std::sync::mpsc::channel::<()>();
        let (release, held) = std::sync::mpsc::channel::<()>();
        let mut busy = Box::pin(writer.run(move |s| {
            started.send(()).unwrap();
            held.recv().unwrap();
            first(s)
        }));
        assert!(futures::poll!(&mut busy).is_pending());
        running.recv().unwrap();
        let mut queued: Vec<_> = jobs
            .into_iter()
            .map(|job| Box::pin(writer.run_grouped(job)))
            .collect();
        for job in &mut queued {
            assert!(futures::poll!(job).is_pending());
        }
        release.send(()).unwrap();
        busy.await.unwrap();
        let mut results = Vec::new();
        for job in queued {
            results.push(job.await);
        }
        results
    }
}

#[cfg(test)]
mod tests {
    //! The failure paths of a group: a commit that fails reaches every caller of the group
    //! as an error, and nothing of the group is stored. A foreign key checked only at commit
    //! (`defer_foreign_keys`) makes a commit fail on demand.
    use super::testing::{in_one_group, GroupJob};
    use super::{Store, StoreError, Writer};
    use crate::model::FeedSpec;

    fn fetch_rows(path: &std::path::Path) -> i64 {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.query_row("SELECT count(*) FROM fetches", [], |r| r.get(0))
            .unwrap()
    }

    /// A job that logs a fetch for `feed_id`, with foreign keys checked at commit only.
    fn log_fetch(store: &mut Store, feed_id: i64) -> Result<(), StoreError> {
        store.conn.execute_batch("PRAGMA defer_foreign_keys = ON")?;
        store.conn.execute(
            "INSERT INTO fetches (feed_id, started_at, duration_ms, outcome)
             VALUES (?1, '2026-11-26T00:00:00Z', 1, 'ok')",
            [feed_id],
        )?;
        Ok(())
    }

    fn writer_with_one_feed(path: &std::path::Path) -> (Writer, std::thread::JoinHandle<Store>) {
        lingering_writer_with_one_feed(path, std::time::Duration::ZERO)
    }

    fn lingering_writer_with_one_feed(
        path: &std::path::Path,
        linger: std::time::Duration,
    ) -> (Writer, std::thread::JoinHandle<Store>) {
        let mut store = Store::open(path).unwrap();
        store
            .import_feeds(
                &[FeedSpec {
                    url: "https://status.example.com/history.atom".into(),
                    title: "Example".into(),
                    vendor: "example".into(),
                    ..FeedSpec::default()
                }],
                chrono::Utc::now(),
            )
            .unwrap();
        Writer::spawn_lingering(store, linger).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lingering_writer_groups_writes_that_arrive_apart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let (writer, handle) =
            lingering_writer_with_one_feed(&path, std::time::Duration::from_secs(2));
        // The first write fails at its commit; the second, sent 50 ms later, is sound. Had it
        // been committed on its own (no linger) it would be stored; in the first's group it
        // fails with it.
        let first = tokio::spawn({
            let writer = writer.clone();
            async move { writer.run_grouped(|s| log_fetch(s, 999)).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let second = writer.run_grouped(|s| log_fetch(s, 1)).await;
        let first = first.await.unwrap();
        for result in [first, second] {
            let err = result.unwrap_err();
            assert!(matches!(err, StoreError::GroupCommit(_)), "{err}");
        }
        assert_eq!(fetch_rows(&path), 0);
        drop(writer);
        handle.join().unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_group_commit_fails_every_caller_and_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let (writer, handle) = writer_with_one_feed(&path);
        let jobs = [1, 999, 1]
            .into_iter()
            .map(|feed_id| -> GroupJob<()> { Box::new(move |s| log_fetch(s, feed_id)) })
            .collect();
        for result in in_one_group(&writer, |_| Ok(()), jobs).await {
            let err = result.unwrap_err();
            assert!(matches!(err, StoreError::GroupCommit(_)), "{err}");
            assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
        }
        assert_eq!(
            fetch_rows(&path),
            0,
            "nothing of the failed group is stored"
        );

        // The writer goes on: a later write commits.
        writer.run_grouped(|s| log_fetch(s, 1)).await.unwrap();
        assert_eq!(fetch_rows(&path), 1);
        drop(writer);
        handle.join().unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lone_write_whose_commit_fails_is_an_error_and_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.db");
        let (writer, handle) = writer_with_one_feed(&path);
        let err = writer.run_grouped(|s| log_fetch(s, 999)).await.unwrap_err();
        assert!(matches!(err, StoreError::GroupCommit(_)), "{err}");
        assert_eq!(fetch_rows(&path), 0);
        // Nothing is left half-open: the next write commits on its own.
        writer.run_grouped(|s| log_fetch(s, 1)).await.unwrap();
        assert_eq!(fetch_rows(&path), 1);
        drop(writer);
        handle.join().unwrap();
    }
}
