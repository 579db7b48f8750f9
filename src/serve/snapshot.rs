//! The answers every client asks for at once (`/api/v1/status`, the board's `/`), built once
//! per change of the database instead of once per request: at 2,000 vendors each build is
//! milliseconds of SQL and rendering, and fifty clients asking together queued behind them
//! (bench/README.md). A change is seen through SQLite's `PRAGMA data_version` on one
//! connection of its own, which moves whenever another connection commits — this server never
//! writes, so every commit is news — and nothing else is trusted to say "unchanged".

use super::pool::PoolError;
use crate::store::Store;
use axum::body::Bytes;
use std::future::Future;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The cached answers and the connection that says when they are stale.
#[derive(Debug)]
pub struct Snapshots {
    watch: Mutex<Store>,
    /// `/api/v1/status`: what the archive holds, whatever the time.
    pub status: Slot,
    /// `/`: also shows the time ("Updated at 07:12 UTC", "since 3 h"), so it ages as well.
    pub board: Slot,
}

/// One cached answer.
#[derive(Debug)]
pub struct Slot {
    max_age: Option<Duration>,
    cell: tokio::sync::Mutex<Option<Cached>>,
}

#[derive(Debug)]
struct Cached {
    version: i64,
    built: Instant,
    body: Bytes,
}

impl Snapshots {
    /// Opens the watching connection (read-only) on the database the pool reads.
    pub fn open(path: &Path) -> Result<Snapshots, PoolError> {
        Ok(Snapshots {
            watch: Mutex::new(Store::open_read_only(path)?),
            status: Slot::new(None),
            board: Slot::new(Some(Duration::from_secs(15))),
        })
    }

    /// The database's change counter as the watching connection sees it; `None` when it
    /// cannot be read (then nothing cached is trusted).
    fn version(&self) -> Option<i64> {
        let store = self.watch.lock().ok()?;
        store.data_version().ok()
    }

    /// The slot's body if the database has not changed since it was built (and it is young
    /// enough), else `build`'s, kept for the next request. Requests arriving during a build
    /// wait for it rather than start their own.
    pub async fn get<E, F, Fut>(&self, slot: &Slot, build: F) -> Result<Bytes, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Bytes, E>>,
    {
        let mut cell = slot.cell.lock().await;
        let version = self.version();
        if let (Some(cached), Some(now)) = (cell.as_ref(), version) {
            let young = slot.max_age.is_none_or(|age| cached.built.elapsed() < age);
            if cached.version == now && young {
                return Ok(cached.body.clone());
            }
        }
        let body = build().await?;
        *cell = version.map(|version| Cached {
            version,
            built: Instant::now(),
            body: body.clone(),
        });
        Ok(body)
    }
}

impl Slot {
    fn new(max_age: Option<Duration>) -> Slot {
        Slot {
            max_age,
            cell: tokio::sync::Mutex::new(None),
        }
    }
}
