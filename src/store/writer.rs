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
use std::sync::mpsc;
use std::thread;
use tokio::sync::oneshot;

/// At most this many grouped jobs share one commit, so a steady stream of work still
/// commits (and frees the WAL for checkpoints) every so often.
const MAX_GROUP: usize = 128;

/// Tells a grouped job's caller its result once the group's commit is known (`Err` with
/// the commit's error when it failed).
type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A grouped job: writes, then says whether it succeeded and how to tell its caller.
type GroupedJob = Box<dyn FnOnce(&mut Store) -> (bool, Completion) + Send>;

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
                            while group.len() < MAX_GROUP {
                                match rx.try_recv() {
                                    Ok(Job::Grouped(g)) => group.push(g),
                                    Ok(alone) => {
                                        next = Some(alone);
                                        break;
                                    }
                                    Err(_) => break,
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
                let _ = tx.send(f(store));
            })))
            .map_err(|_| StoreError::WriterGone)?;
        rx.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Like [`Writer::run`], for a job that writes in its own savepoint (`Store::ingest`,
    /// `Store::record_fetch`): it may share a commit with other such jobs waiting at the
    /// same time. Its result arrives once that commit is done.
    pub async fn run_grouped<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Job::Grouped(Box::new(move |store: &mut Store| {
                let result = f(store);
                let ok = result.is_ok();
                let completion: Completion = Box::new(move |committed: Result<(), String>| {
                    let result = match (result, committed) {
                        (Ok(value), Ok(())) => Ok(value),
                        (Ok(_), Err(message)) => Err(StoreError::GroupCommit(message)),
                        (Err(e), _) => Err(e),
                    };
                    let _ = tx.send(result);
                });
                (ok, completion)
            })))
            .map_err(|_| StoreError::WriterGone)?;
        rx.await.map_err(|_| StoreError::WriterGone)?
    }
}

/// Runs a group of jobs in one transaction and tells each its outcome.
fn run_group(store: &mut Store, group: Vec<GroupedJob>) {
    // A single job needs no outer transaction: its savepoint is one.
    if group.len() == 1 || store.conn.execute_batch("BEGIN IMMEDIATE").is_err() {
        for f in group {
            run_in_savepoint(store, f)(Ok(()));
        }
        return;
    }
    let mut done: Vec<Completion> = Vec::with_capacity(group.len());
    let mut grouped = true;
    for f in group {
        let completion = run_in_savepoint(store, f);
        if !grouped {
            // Ran on its own after the group's transaction was lost: its savepoint committed.
            completion(Ok(()));
        } else if store.conn.is_autocommit() {
            // Some errors (disk full, I/O) make SQLite roll back the whole transaction: this
            // job and the ones before it are gone; the ones after run on their own.
            let lost = || Err("the group's transaction was rolled back by SQLite".to_string());
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
    let committed = store.conn.execute_batch("COMMIT").map_err(|e| {
        // Leave the connection usable for the next job.
        let _ = store.conn.execute_batch("ROLLBACK");
        e.to_string()
    });
    for c in done {
        c(committed.clone());
    }
}

/// Runs one grouped job in a savepoint of its own, rolled back if the job failed: inside a
/// group that undoes this job alone; outside one, the savepoint is the job's transaction.
fn run_in_savepoint(store: &mut Store, f: GroupedJob) -> Completion {
    if store.conn.execute_batch("SAVEPOINT grouped_job").is_err() {
        // Cannot open one (the database is failing): run it as is; each `Store` write is
        // atomic on its own.
        return f(store).1;
    }
    let (ok, completion) = f(store);
    if !ok {
        let _ = store.conn.execute_batch("ROLLBACK TO grouped_job");
    }
    if let Err(e) = store.conn.execute_batch("RELEASE grouped_job") {
        let message = e.to_string();
        return Box::new(move |_| completion(Err(message)));
    }
    completion
}
