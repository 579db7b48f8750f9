//! Read connections for the server: a few read-only [`Store`]s reused across requests, each
//! used on a blocking thread so a slow query never stalls the async workers.

use crate::store::{Store, StoreError, MIGRATIONS};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// At most this many queries run at once; more wait for a connection. Two cores gain nothing
/// from more, and each connection holds its own page cache.
const MAX_READERS: usize = 8;

/// Why the server cannot read the database.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("no database at {0}: `serve` only reads; run `statuswatch poll` or `statuswatch run` first (or give the right --db)")]
    Missing(PathBuf),
    #[error("database {path} has schema version {found} and this build reads {known}: run `statuswatch poll` (or `run`) with this build once to migrate it")]
    Old {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a database read was cancelled")]
    Cancelled,
}

/// Read-only connections to one database file.
#[derive(Debug)]
pub struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Store>>,
    readers: Semaphore,
}

impl ReadPool {
    /// Opens the database read-only (it must exist and be of this build's schema).
    pub fn open(path: &Path) -> Result<Arc<ReadPool>, PoolError> {
        if !path.exists() {
            return Err(PoolError::Missing(path.to_path_buf()));
        }
        let first = Store::open_read_only(path)?;
        let found = first.schema_version()?;
        let known = MIGRATIONS.len() as i64;
        if found > known {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found,
                known,
            }
            .into());
        }
        if found < known {
            return Err(PoolError::Old {
                path: path.to_path_buf(),
                found,
                known,
            });
        }
        Ok(Arc::new(ReadPool {
            path: path.to_path_buf(),
            idle: Mutex::new(vec![first]),
            readers: Semaphore::new(MAX_READERS),
        }))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on a read-only connection on a blocking thread.
    pub async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let _permit = self
            .readers
            .acquire()
            .await
            .map_err(|_| PoolError::Cancelled)?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let store = match pool.idle.lock().ok().and_then(|mut idle| idle.pop()) {
                Some(store) => store,
                None => Store::open_read_only(&pool.path)?,
            };
            let result = f(&store);
            if let Ok(mut idle) = pool.idle.lock() {
                idle.push(store);
            }
            result.map_err(PoolError::from)
        })
        .await
        .map_err(|_| PoolError::Cancelled)?
    }
}
