//! The single database writer: a thread that owns the write connection and runs jobs sent
//! to it, so async code never blocks on SQLite and there are never two writers.

use super::{Store, StoreError};
use std::sync::mpsc;
use std::thread;
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce(&mut Store) + Send>;

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
                for job in rx {
                    job(&mut store);
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
            .send(Box::new(move |store: &mut Store| {
                // The caller may have gone away (cancelled); the result is then dropped.
                let _ = tx.send(f(store));
            }))
            .map_err(|_| StoreError::WriterGone)?;
        rx.await.map_err(|_| StoreError::WriterGone)?
    }
}
