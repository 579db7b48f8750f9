//! The answers every client asks for at once (`/api/v1/status`, the board's `/`), built once
//! per change of the database instead of once per request: at 2,000 vendors each build is
//! milliseconds of SQL and rendering, and fifty clients asking together queued behind them
//! (bench/README.md). A change is seen through SQLite's `PRAGMA data_version` on one
//! connection of its own, which moves whenever another connection commits — this server never
//! writes, so every commit is news — and nothing else is trusted to say "unchanged".
//!
//! After a change, the first request rebuilds and answers fresh; requests arriving while it
//! builds get the previous answer at once, marked stale (`Cache-Status: …; detail=stale`), so
//! a busy writer never makes every client wait for every rebuild. The board's script asks
//! again when it was handed a stale page; an API client can do the same. A slot that holds
//! nothing yet makes everyone wait for the first build: there is nothing older to give.
//!
//! Each answer is compressed once when built (gzip, for clients that accept it) and carries
//! an ETag, so a browser revalidating the board gets `304 Not Modified` and no body.

use super::pool::PoolError;
use crate::store::Store;
use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::future::Future;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Bodies smaller than this are sent as they are: gzip would save little more than its framing.
const GZIP_FROM_BYTES: usize = 512;

/// The cached answers and the connection that says when they are stale.
#[derive(Debug)]
pub struct Snapshots {
    watch: Mutex<Store>,
    /// Part of every ETag: a restarted server never reuses an earlier process's tags.
    epoch: u64,
    /// `/api/v1/status`: what the archive holds, whatever the time.
    pub status: Slot,
    /// `/`: also shows the time ("Updated at 07:12 UTC", "since 3 h"), so it ages as well.
    pub board: Slot,
}

/// One cached answer.
#[derive(Debug)]
pub struct Slot {
    max_age: Option<Duration>,
    current: Mutex<Option<Arc<Built>>>,
    /// Held by the one request rebuilding this slot.
    building: tokio::sync::Mutex<()>,
    builds: AtomicU64,
}

/// One build of a slot: the body, its gzip form, and what it was built from.
#[derive(Debug)]
pub struct Built {
    version: i64,
    at: Instant,
    etag: HeaderValue,
    body: Bytes,
    gzip: Option<Bytes>,
}

/// How an answer relates to the database now (the `Cache-Status` header says it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Built earlier, and nothing has changed since.
    Hit,
    /// Built for this request.
    Built,
    /// The previous answer, given while another request rebuilds it.
    Stale,
}

/// An answer from a slot.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub built: Arc<Built>,
    pub freshness: Freshness,
}

impl Snapshots {
    /// Opens the watching connection (read-only) on the database the pool reads.
    pub fn open(path: &Path) -> Result<Snapshots, PoolError> {
        let epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Ok(Snapshots {
            watch: Mutex::new(Store::open_read_only(path)?),
            epoch,
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

    /// The slot's answer: the cached one while the database has not changed since it was
    /// built (and it is young enough); else `build`'s if no other request is building it,
    /// or the previous answer, marked stale, if one is.
    pub async fn get<E, F, Fut>(&self, slot: &Slot, build: F) -> Result<Snapshot, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Bytes, E>>,
    {
        let version = self.version();
        let previous = slot.current();
        if let Some(built) = previous.as_ref().filter(|b| slot.fresh(b, version)) {
            return Ok(Snapshot::hit(built));
        }
        let _building = match (slot.building.try_lock(), previous) {
            (Ok(guard), _) => guard,
            (Err(_), Some(previous)) => {
                return Ok(Snapshot {
                    built: previous,
                    freshness: Freshness::Stale,
                })
            }
            // Nothing to give yet: wait for the build under way, which is likely what we need.
            (Err(_), None) => slot.building.lock().await,
        };
        // Another request may have finished a build while this one waited for the lock.
        let version = self.version();
        if let Some(built) = slot.current().filter(|b| slot.fresh(b, version)) {
            return Ok(Snapshot::hit(&built));
        }
        let body = build().await?;
        let number = slot.builds.fetch_add(1, Ordering::Relaxed);
        let etag = HeaderValue::from_str(&format!("\"{:x}-{number}\"", self.epoch))
            .unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
        let gzip = compress(body.clone()).await;
        let built = Arc::new(Built {
            // -1 is never a data_version: an unreadable counter leaves nothing trusted.
            version: version.unwrap_or(-1),
            at: Instant::now(),
            etag,
            body,
            gzip,
        });
        if version.is_some() {
            slot.store(Arc::clone(&built));
        }
        Ok(Snapshot {
            built,
            freshness: Freshness::Built,
        })
    }
}

impl Slot {
    fn new(max_age: Option<Duration>) -> Slot {
        Slot {
            max_age,
            current: Mutex::new(None),
            building: tokio::sync::Mutex::new(()),
            builds: AtomicU64::new(0),
        }
    }

    fn current(&self) -> Option<Arc<Built>> {
        self.current.lock().ok()?.clone()
    }

    fn store(&self, built: Arc<Built>) {
        if let Ok(mut current) = self.current.lock() {
            *current = Some(built);
        }
    }

    fn fresh(&self, built: &Built, version: Option<i64>) -> bool {
        let young = self.max_age.is_none_or(|age| built.at.elapsed() < age);
        version == Some(built.version) && young
    }
}

impl Snapshot {
    fn hit(built: &Arc<Built>) -> Snapshot {
        Snapshot {
            built: Arc::clone(built),
            freshness: Freshness::Hit,
        }
    }

    /// The answer to a request with `request` headers: `304` when its `If-None-Match` names
    /// this build, gzip when it accepts that, with `content_type` and no-cache revalidation.
    pub fn respond(&self, request: &HeaderMap, content_type: &'static str) -> Response {
        let built = &self.built;
        let cache_status = HeaderValue::from_static(match self.freshness {
            Freshness::Hit => "statuswatch; hit",
            Freshness::Built => "statuswatch; fwd=miss; stored",
            Freshness::Stale => "statuswatch; hit; detail=stale",
        });
        let mut headers = HeaderMap::new();
        headers.insert(header::ETAG, built.etag.clone());
        // Anyone may keep it, but must ask again before reuse: it is the archive now.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        headers.insert("cache-status", cache_status);
        if names_etag(request, &built.etag) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        match &built.gzip {
            Some(gzip) if accepts_gzip(request) => {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                (headers, gzip.clone()).into_response()
            }
            _ => (headers, built.body.clone()).into_response(),
        }
    }
}

/// gzip of `body` off the async threads (a 1 MB status answer takes milliseconds), or `None`
/// when it is too small to be worth it or compression failed (then the plain body is sent).
async fn compress(body: Bytes) -> Option<Bytes> {
    if body.len() < GZIP_FROM_BYTES {
        return None;
    }
    let packed = tokio::task::spawn_blocking(move || {
        let mut encoder = flate2::write::GzEncoder::new(
            Vec::with_capacity(body.len() / 4),
            flate2::Compression::fast(),
        );
        encoder.write_all(&body)?;
        encoder.finish()
    });
    match packed.await {
        Ok(Ok(gzip)) => Some(Bytes::from(gzip)),
        _ => None,
    }
}

/// Whether `Accept-Encoding` lists gzip with a non-zero weight.
fn accepts_gzip(request: &HeaderMap) -> bool {
    request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// Whether `If-None-Match` names `etag` (or is `*`).
fn names_etag(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(etag) = etag.to_str() else {
        return false;
    };
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FeedSpec;

    /// A database, the snapshots over it, and a second connection that commits.
    fn snapshots() -> (tempfile::TempDir, Snapshots, Store) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let mut writer = Store::open(&path).unwrap();
        let spec = FeedSpec {
            url: "http://127.0.0.1:9/a.atom".into(),
            title: "a".into(),
            vendor: "a".into(),
            ..FeedSpec::default()
        };
        writer.import_feeds(&[spec], chrono::Utc::now()).unwrap();
        let snapshots = Snapshots::open(&path).unwrap();
        (dir, snapshots, writer)
    }

    /// A commit by another connection (what `run` or `poll` does).
    fn commit(writer: &mut Store) {
        let (_, was) = writer
            .set_feed_enabled("http://127.0.0.1:9/a.atom", false)
            .unwrap();
        writer
            .set_feed_enabled("http://127.0.0.1:9/a.atom", !was)
            .unwrap();
    }

    async fn body(snapshots: &Snapshots, text: &'static str) -> Snapshot {
        snapshots
            .get(&snapshots.status, || async {
                Ok::<_, PoolError>(Bytes::from(text))
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_rebuild_under_way_hands_others_the_previous_answer_marked_stale() {
        let (_dir, snapshots, mut writer) = snapshots();
        let first = body(&snapshots, "one").await;
        assert_eq!(
            (first.freshness, &first.built.body[..]),
            (Freshness::Built, &b"one"[..])
        );
        assert_eq!(body(&snapshots, "ignored").await.freshness, Freshness::Hit);

        commit(&mut writer);
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (finish_tx, finish_rx) = tokio::sync::oneshot::channel::<()>();
        let snapshots = Arc::new(snapshots);
        let rebuilding = tokio::spawn({
            let snapshots = Arc::clone(&snapshots);
            async move {
                snapshots
                    .get(&snapshots.status, || async move {
                        let _ = started_tx.send(());
                        let _ = finish_rx.await;
                        Ok::<_, PoolError>(Bytes::from("two"))
                    })
                    .await
                    .unwrap()
            }
        });
        started_rx.await.unwrap();
        let meanwhile = body(&snapshots, "never built").await;
        assert_eq!(
            (meanwhile.freshness, &meanwhile.built.body[..]),
            (Freshness::Stale, &b"one"[..])
        );
        finish_tx.send(()).unwrap();
        let rebuilt = rebuilding.await.unwrap();
        assert_eq!(
            (rebuilt.freshness, &rebuilt.built.body[..]),
            (Freshness::Built, &b"two"[..])
        );
        assert_ne!(rebuilt.built.etag, first.built.etag);
        let after = body(&snapshots, "not again").await;
        assert_eq!(
            (after.freshness, &after.built.body[..]),
            (Freshness::Hit, &b"two"[..])
        );
    }

    #[test]
    fn accept_encoding_and_if_none_match_are_read_as_lists() {
        let headers = |pairs: &[(header::HeaderName, &str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.append(name.clone(), HeaderValue::from_str(value).unwrap());
            }
            map
        };
        let ae = header::ACCEPT_ENCODING;
        assert!(accepts_gzip(&headers(&[(ae.clone(), "br, gzip;q=0.5")])));
        assert!(accepts_gzip(&headers(&[(ae.clone(), "*")])));
        assert!(!accepts_gzip(&headers(&[(ae.clone(), "gzip;q=0, br")])));
        assert!(!accepts_gzip(&headers(&[(ae.clone(), "identity")])));
        assert!(!accepts_gzip(&HeaderMap::new()));
        let tag = HeaderValue::from_static("\"ab-3\"");
        let inm = header::IF_NONE_MATCH;
        assert!(names_etag(
            &headers(&[(inm.clone(), "\"x\", W/\"ab-3\"")]),
            &tag
        ));
        assert!(names_etag(&headers(&[(inm.clone(), "*")]), &tag));
        assert!(!names_etag(&headers(&[(inm.clone(), "\"ab-4\"")]), &tag));
    }
}
