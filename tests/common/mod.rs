//! Test harness shared by the end-to-end tests: a real HTTP server on 127.0.0.1 whose
//! answers a test can change between polls, a temporary database, and the real binary.
#![allow(clippy::unwrap_used, dead_code)]

pub mod outbox;
pub mod receiver;

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
    /// Added before every answer, so a cycle takes long enough to be interrupted.
    delay: std::time::Duration,
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

    /// Delays every answer by `delay`.
    pub fn set_delay(&self, delay: std::time::Duration) {
        self.inner.lock().unwrap().delay = delay;
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
            // Hermetic: never the developer's own configuration (and its webhooks).
            .env_remove("STATUSWATCH_CONFIG")
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }

    /// The real binary as a `Command` set up like [`Sandbox::run`], for tests that need to
    /// spawn it, set variables or kill it.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_statuswatch"));
        cmd.args(args)
            .env("STATUSWATCH_DB", self.db())
            .env_remove("RUST_LOG")
            .env_remove("STATUSWATCH_CONFIG")
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .current_dir(self.dir.path());
        cmd
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

/// Escapes text for XML content and attributes.
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One generated Statuspage incident: id, title, updates newest first as (RFC 3339 time, label, text).
pub struct GenIncident {
    pub id: String,
    pub title: String,
    pub updates: Vec<(String, String, String)>,
}

/// A Statuspage `history.atom` document in the real markup (HTML content escaped, one
/// `<p><small>date</small><br><strong>Label</strong> - text</p>` per update).
pub fn statuspage_atom(host: &str, incidents: &[GenIncident]) -> String {
    let mut entries = String::new();
    for inc in incidents {
        let mut html = String::new();
        for (at, label, text) in &inc.updates {
            let t = chrono::DateTime::parse_from_rfc3339(at).unwrap();
            html.push_str(&format!(
                "<p><small>{} <var data-var='date'>{}</var>, <var data-var='time'>{}</var> UTC</small><br><strong>{label}</strong> - {text}</p>",
                t.format("%b"),
                t.format("%e"),
                t.format("%H:%M"),
            ));
        }
        let published = &inc.updates.last().unwrap().0;
        let updated = &inc.updates.first().unwrap().0;
        entries.push_str(&format!(
            "  <entry>\n    <id>tag:{host},2005:Incident/{id}</id>\n    <published>{published}</published>\n    <updated>{updated}</updated>\n    <link rel=\"alternate\" type=\"text/html\" href=\"https://{host}/incidents/{id}\"/>\n    <title>{title}</title>\n    <content type=\"html\">{content}</content>\n  </entry>\n",
            id = inc.id,
            title = xml_escape(&inc.title),
            content = xml_escape(&html),
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xml:lang=\"en-US\" xmlns=\"http://www.w3.org/2005/Atom\">\n  <id>tag:{host},2005:/history</id>\n  <link rel=\"alternate\" type=\"text/html\" href=\"https://{host}\"/>\n  <link rel=\"self\" type=\"application/atom+xml\" href=\"https://{host}/history.atom\"/>\n  <title>{host} - Incident History</title>\n  <updated>2026-01-01T00:00:00Z</updated>\n{entries}</feed>\n"
    )
}

/// Checks the outbox against the state table, per feed: events chain (each starts where the
/// previous ended, and changes something), and the current state is where the last event
/// ended. A duplicated event breaks the chain; a state change without its event breaks the end.
pub fn assert_events_match_state(conn: &rusqlite::Connection) {
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let mut feeds = conn.prepare("SELECT id FROM feeds ORDER BY id").unwrap();
    let ids: Vec<i64> = feeds
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for id in ids {
        let mut stmt = conn
            .prepare("SELECT from_state, to_state FROM events WHERE feed_id = ?1 AND kind = 'state_change' ORDER BY seq")
            .unwrap();
        let chain: Vec<(String, String)> = stmt
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut at = "operational".to_string();
        for (from, to) in &chain {
            assert_eq!(
                from, &at,
                "feed {id}: event {from}→{to} does not start where the last ended: {chain:?}"
            );
            assert_ne!(from, to, "feed {id}: an event that changes nothing");
            at = to.clone();
        }
        let state: Option<String> = conn
            .query_row(
                "SELECT state FROM service_state WHERE feed_id = ?1 AND component = ''",
                [id],
                |r| r.get(0),
            )
            .ok();
        assert_eq!(
            state.unwrap_or_else(|| "operational".into()),
            at,
            "feed {id}: state without its event"
        );
    }
}
