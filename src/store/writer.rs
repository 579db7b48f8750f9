//! The single database writer: a thread that owns the write connection and runs jobs sent
//! to it, so async code never blocks on SQLite and there are never two writers.
//!
//! Jobs sent with [`Writer::run_batched`] may share one commit: when several are already
//! waiting, the thread opens one transaction, runs each inside it (each job's own writes are a
//! savepoint, so a failing job rolls back alone), commits once, and only then answers them. A
//! commit costs about as much as the pages it rewrites, and a poll's feeds touch the same
//! index pages, so a busy cycle writes each page once per batch instead of once per feed.
//! When the queue is empty a job runs alone, exactly as with [`Writer::run`]. Every caller
//! learns its result only once its writes are committed; a crash loses at most the batch in
//! flight and never part of a feed.

use super::{Store, StoreError};
use std::sync::mpsc;
use std::thread;
use tokio::sync::oneshot;

/// What a job leaves to do once the transaction it ran in has committed (or failed to).
type Reply = Box<dyn FnOnce(Result<(), CommitFailed>) + Send>;
type Job = Box<dyn FnOnce(&mut Store) -> Reply + Send>;

/// The most jobs one batched commit holds.
const MAX_BATCH: usize = 64;

enum Message {
    /// Runs alone (it may open its own transaction).
    Alone(Job),
    /// Writes through savepoints only: may share a commit with other batched jobs.
    Batched(Job),
}

/// A batched commit that failed, told to every job of the batch.
#[derive(Debug, Clone)]
struct CommitFailed(String);

impl From<CommitFailed> for StoreError {
    fn from(e: CommitFailed) -> StoreError {
        StoreError::Sql(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(format!("the batched commit failed: {}", e.0)),
        ))
    }
}

/// A handle to the writer thread; cheap to clone, one per task that writes.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Message>,
}

impl Writer {
    /// Moves `store` onto its own thread. The thread ends when every handle is dropped.
    pub fn spawn(store: Store) -> Result<(Writer, thread::JoinHandle<Store>), StoreError> {
        let (jobs, rx) = mpsc::channel::<Message>();
        let handle = thread::Builder::new()
            .name("statuswatch-writer".into())
            .spawn(move || {
                let mut store = store;
                serve(&mut store, &rx);
                store
            })
            .map_err(|_| StoreError::WriterGone)?;
        Ok((Writer { jobs }, handle))
    }

    /// Runs `f` on the writer thread, alone, and waits (asynchronously) for its result.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        self.send(f, Message::Alone).await
    }

    /// Like [`Writer::run`], for jobs whose writes are savepoints (`Store::ingest`,
    /// `Store::record_fetch`): they may share one commit with other waiting jobs. The result
    /// arrives once the commit is done.
    pub async fn run_batched<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        self.send(f, Message::Batched).await
    }

    async fn send<T, F>(&self, f: F, wrap: fn(Job) -> Message) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |store: &mut Store| {
            let result = f(store);
            Box::new(move |committed: Result<(), CommitFailed>| {
                // The caller may have gone away (cancelled); the result is then dropped.
                let _ = tx.send(committed.map_err(StoreError::from).and(result));
            })
        });
        self.jobs
            .send(wrap(job))
            .map_err(|_| StoreError::WriterGone)?;
        rx.await.map_err(|_| StoreError::WriterGone)?
    }
}

/// The writer thread's loop: runs jobs in arrival order, batching waiting batchable ones.
fn serve(store: &mut Store, rx: &mpsc::Receiver<Message>) {
    let mut next = rx.recv().ok();
    while let Some(message) = next.take() {
        let first = match message {
            Message::Alone(job) => {
                job(store)(Ok(()));
                next = rx.recv().ok();
                continue;
            }
            Message::Batched(job) => job,
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Message::Batched(job)) => batch.push(job),
                Ok(alone) => {
                    next = Some(alone);
                    break;
                }
                Err(_) => break,
            }
        }
        run_batch(store, batch);
        if next.is_none() {
            next = rx.recv().ok();
        }
    }
}

/// Runs batchable jobs in one transaction (one job: in its own), then answers them.
fn run_batch(store: &mut Store, batch: Vec<Job>) {
    if batch.len() == 1 || store.conn.execute_batch("BEGIN").is_err() {
        for job in batch {
            job(store)(Ok(()));
        }
        return;
    }
    let replies: Vec<Reply> = batch.into_iter().map(|job| job(store)).collect();
    let committed = store.conn.execute_batch("COMMIT").map_err(|e| {
        // Leave no transaction open behind a failed commit.
        let _ = store.conn.execute_batch("ROLLBACK");
        CommitFailed(e.to_string())
    });
    for reply in replies {
        reply(committed.clone());
    }
}
