//! Test harness shared by the end-to-end tests: a real HTTP server on 127.0.0.1 whose
//! answers a test can change between polls, a temporary database, and the real binary.
#![allow(clippy::unwrap_used, dead_code)]

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Request, Response, StatusCode};
use axum::Router;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

/// What the server answers on one path.
#[derive(Clone, Debug)]
pub struct Resource {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Resource {
    /// A 200 feed with a strong ETag derived from its bytes, so conditional GETs work.
    pub fn feed(body: impl Into<Vec<u8>>) -> Resource {
        let body = body.into();
        let etag = format!(
            "\"{:x}-{}\"",
            body.iter().map(|b| *b as u64).sum::<u64>(),
            body.len()
        );
        Resource {
            status: 200,
            body,
            content_type: "application/atom+xml; charset=utf-8".into(),
            etag: Some(etag),
            last_modified: Some("Mon, 20 Oct 2025 07:00:00 GMT".into()),
        }
    }

    /// A plain answer with no validators.
    pub fn plain(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Resource {
        Resource {
            status,
            body: body.into(),
            content_type: content_type.into(),
            etag: None,
            last_modified: None,
        }
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
}

#[derive(Default)]
struct Inner {
    resources: HashMap<String, Resource>,
    seen: Vec<Seen>,
}

/// A feed server on 127.0.0.1 with its own runtime thread; it stops when dropped.
pub struct FeedServer {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    _runtime: tokio::runtime::Runtime,
}

async fn answer(State(inner): State<Arc<Mutex<Inner>>>, request: Request<Body>) -> Response<Body> {
    let path = request.uri().path().to_string();
    let mut guard = inner.lock().unwrap();
    guard.seen.push(Seen {
        path: path.clone(),
        headers: request.headers().clone(),
    });
    let Some(res) = guard.resources.get(&path).cloned() else {
        return Response::builder()
            .status(404)
            .body(Body::from("not found"))
            .unwrap();
    };
    drop(guard);
    let inm = request
        .headers()
        .get("if-none-match")
        .and_then(|v| v.to_str().ok());
    if let Some(etag) = res
        .etag
        .as_deref()
        .filter(|e| res.status == 200 && inm == Some(*e))
    {
        return Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .header("etag", etag)
            .body(Body::empty())
            .unwrap();
    }
    let mut builder = Response::builder()
        .status(res.status)
        .header("content-type", res.content_type);
    if let Some(etag) = res.etag {
        builder = builder.header("etag", etag);
    }
    if let Some(lm) = res.last_modified {
        builder = builder.header("last-modified", lm);
    }
    builder.body(Body::from(res.body)).unwrap()
}

impl FeedServer {
    pub fn start() -> FeedServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .fallback(answer)
            .with_state(Arc::clone(&inner));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        runtime.spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FeedServer {
            addr,
            inner,
            _runtime: runtime,
        }
    }

    /// The absolute URL of a path on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn set(&self, path: &str, resource: Resource) {
        self.inner
            .lock()
            .unwrap()
            .resources
            .insert(path.to_string(), resource);
    }

    /// Every request seen on a path, oldest first.
    pub fn seen(&self, path: &str) -> Vec<Seen> {
        self.inner
            .lock()
            .unwrap()
            .seen
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }
}

/// The crate's own fixtures.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// A temporary directory holding the test's database.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("statuswatch.db")
    }

    /// Runs the real binary against this sandbox's database.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_statuswatch"))
            .args(args)
            .env("STATUSWATCH_DB", self.db())
            .env_remove("RUST_LOG")
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }

    /// Writes a file into the sandbox and returns its path.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// Opens the database for assertions.
    pub fn sql(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.db()).unwrap()
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.sql().query_row(sql, [], |r| r.get(0)).unwrap()
    }
}

/// An OPML document listing `(title, vendor, engine, url)` feeds.
pub fn opml(feeds: &[(&str, &str, &str, String)]) -> String {
    let mut body = String::new();
    for (title, vendor, engine, url) in feeds {
        body.push_str(&format!(
            "    <outline text=\"{title}\" title=\"{title}\" type=\"rss\" xmlUrl=\"{url}\" vendor=\"{vendor}\" engine=\"{engine}\" category=\"saas\"/>\n"
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head><title>test</title></head>\n  <body>\n{body}  </body>\n</opml>\n"
    )
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The JSON summary `poll --format json` prints on its last line.
pub fn summary(out: &Output) -> serde_json::Value {
    let text = stdout(out);
    let last = text
        .lines()
        .last()
        .unwrap_or_else(|| panic!("no output; stderr: {}", stderr(out)));
    serde_json::from_str(last).unwrap_or_else(|e| panic!("last line is not JSON ({e}): {last}"))
}
