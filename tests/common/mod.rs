//! Test harness shared by the end-to-end tests: a real HTTP server on 127.0.0.1 whose
//! answers a test can change between polls, a temporary database, and the real binary.
#![allow(dead_code)]

pub mod outbox;
pub mod receiver;
pub mod replay;
pub mod replay_day;
pub mod served;
pub mod smtp;
pub mod truth;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Request, Response, StatusCode};
use axum::Router;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server answers on one path.
#[derive(Clone, Debug)]
pub struct Resource {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Extra response headers (Location, Retry-After, Content-Encoding, ...).
    pub headers: Vec<(String, String)>,
    /// Wait this long before answering at all.
    pub delay: Option<Duration>,
    /// Send the body one byte per this interval, forever (a slow drip).
    pub drip: Option<Duration>,
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
            headers: Vec::new(),
            delay: None,
            drip: None,
        }
    }

    /// A redirect to `location` with the given status.
    pub fn redirect(status: u16, location: &str) -> Resource {
        Resource::plain(status, "text/plain", "moved").header("location", location)
    }

    /// The same answer with one more header.
    pub fn header(mut self, name: &str, value: &str) -> Resource {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The same answer without validators.
    pub fn no_validators(mut self) -> Resource {
        self.etag = None;
        self.last_modified = None;
        self
    }

    /// The same answer, sent after a pause.
    pub fn delayed(mut self, delay: Duration) -> Resource {
        self.delay = Some(delay);
        self
    }

    /// Headers at once, then the body one byte per `interval`, never ending.
    pub fn dripping(mut self, interval: Duration) -> Resource {
        self.drip = Some(interval);
        self
    }

    /// A plain answer with no validators.
    pub fn plain(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Resource {
        Resource {
            status,
            body: body.into(),
            content_type: content_type.into(),
            etag: None,
            last_modified: None,
            headers: Vec::new(),
            delay: None,
            drip: None,
        }
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    /// The query string, without its `?`.
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub at: std::time::Instant,
}

#[derive(Default)]
struct Inner {
    resources: HashMap<String, Resource>,
    seen: Vec<Seen>,
    /// Added before every answer, so a cycle takes long enough to be interrupted.
    delay: std::time::Duration,
    /// Extra delay for one path (a slow vendor).
    path_delay: HashMap<String, std::time::Duration>,
    in_flight: usize,
    peak_in_flight: usize,
}

/// Counts a request as in flight until dropped (the answer is built).
struct InFlight(Arc<Mutex<Inner>>);

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut inner) = self.0.lock() {
            inner.in_flight -= 1;
        }
    }
}

/// A feed server on 127.0.0.1 with its own runtime thread; it stops when dropped.
pub struct FeedServer {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    _runtime: tokio::runtime::Runtime,
}

async fn answer(State(inner): State<Arc<Mutex<Inner>>>, request: Request<Body>) -> Response<Body> {
    let path = request.uri().path().to_string();
    let (delay, found) = {
        let mut guard = inner.lock().unwrap();
        guard.seen.push(Seen {
            path: path.clone(),
            query: request.uri().query().map(str::to_string),
            headers: request.headers().clone(),
            at: std::time::Instant::now(),
        });
        guard.in_flight += 1;
        guard.peak_in_flight = guard.peak_in_flight.max(guard.in_flight);
        let delay = guard.delay + guard.path_delay.get(&path).copied().unwrap_or_default();
        (delay, guard.resources.get(&path).cloned())
    };
    let _in_flight = InFlight(Arc::clone(&inner));
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let Some(res) = found else {
        return Response::builder()
            .status(404)
            .body(Body::from("not found"))
            .unwrap();
    };
    if let Some(delay) = res.delay {
        tokio::time::sleep(delay).await;
    }
    let headers = request.headers().clone();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let inm = header("if-none-match");
    let ims = header("if-modified-since");
    // ETag first (RFC 9110); Last-Modified only when the resource has no ETag.
    let not_modified = res.status == 200
        && match (&res.etag, &res.last_modified) {
            (Some(etag), _) => inm.as_deref() == Some(etag.as_str()),
            (None, Some(lm)) => ims.as_deref() == Some(lm.as_str()),
            (None, None) => false,
        };
    if not_modified {
        let mut builder = Response::builder().status(StatusCode::NOT_MODIFIED);
        if let Some(etag) = res.etag {
            builder = builder.header("etag", etag);
        }
        return builder.body(Body::empty()).unwrap();
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
    for (name, value) in &res.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    if let Some(interval) = res.drip {
        let drip = futures::stream::unfold((), move |()| async move {
            tokio::time::sleep(interval).await;
            Some((
                Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b" ")),
                (),
            ))
        });
        return builder.body(Body::from_stream(drip)).unwrap();
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

    /// Delays every answer on one path by `delay`.
    pub fn set_path_delay(&self, path: &str, delay: std::time::Duration) {
        self.inner
            .lock()
            .unwrap()
            .path_delay
            .insert(path.to_string(), delay);
    }

    /// The most requests the server was answering at once.
    pub fn peak_in_flight(&self) -> usize {
        self.inner.lock().unwrap().peak_in_flight
    }

    /// Forgets what the server saw so far.
    pub fn clear_seen(&self) {
        self.inner.lock().unwrap().seen.clear();
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

/// A server that accepts connections and never answers (a hung backend).
pub struct SilentServer {
    pub addr: SocketAddr,
    _runtime: tokio::runtime::Runtime,
}

impl SilentServer {
    pub fn start() -> SilentServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        runtime.spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        SilentServer {
            addr,
            _runtime: runtime,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

/// A URL on 127.0.0.1 where nothing listens: connecting is refused at once.
pub fn refused_url(path: &str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}{path}")
}

/// A small, realistic Atom feed (what a Statuspage history feed looks like).
pub const ATOM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xml:lang="en-US" xmlns="http://www.w3.org/2005/Atom">
  <id>tag:status.example.com,2005:/history</id>
  <link rel="alternate" type="text/html" href="https://status.example.com"/>
  <link rel="self" type="application/atom+xml" href="https://status.example.com/history.atom"/>
  <title>Example Status - Incident History</title>
  <updated>2025-10-20T07:11:00Z</updated>
  <entry>
    <id>tag:status.example.com,2005:Incident/101</id>
    <published>2025-10-20T07:00:00Z</published>
    <updated>2025-10-20T07:11:00Z</updated>
    <link rel="alternate" type="text/html" href="https://status.example.com/incidents/101"/>
    <title>Elevated API error rates</title>
    <content type="html">&lt;p&gt;&lt;small&gt;Oct &lt;var data-var='date'&gt;20&lt;/var&gt;, &lt;var data-var='time'&gt;07:11&lt;/var&gt; UTC&lt;/small&gt;&lt;br&gt;&lt;strong&gt;Resolved&lt;/strong&gt; - This incident has been resolved.&lt;/p&gt;</content>
  </entry>
</feed>
"#;

/// The flags that keep fetching tests fast: short timeouts, JSON summary.
pub const FAST: &[&str] = &["--connect-timeout", "1s", "--timeout", "2s"];

impl Sandbox {
    /// Adds a feed by URL with a title (vendor = lowercase title); returns its id. Unchecked
    /// (`--no-check`): the test's server sees only the fetches the test makes.
    pub fn add_feed(&self, title: &str, url: &str) -> i64 {
        let out = self.run(&[
            "feeds",
            "add",
            url,
            "--no-check",
            "--title",
            title,
            "--vendor",
            &title.to_lowercase(),
        ]);
        assert!(out.status.success(), "feeds add failed: {}", stderr(&out));
        self.sql()
            .query_row("SELECT id FROM feeds WHERE title = ?1", [title], |r| {
                r.get(0)
            })
            .unwrap()
    }

    /// `poll --format json` with the fast limits plus `extra` flags.
    pub fn poll(&self, extra: &[&str]) -> Output {
        let mut args = vec!["poll", "--format", "json"];
        // The fast defaults, unless the test sets that flag itself.
        for pair in FAST.chunks(2) {
            if !extra.contains(&pair[0]) {
                args.extend_from_slice(pair);
            }
        }
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// Makes every feed due now, as if its backoff had run out.
    pub fn make_due(&self) {
        self.sql()
            .execute("UPDATE feeds SET next_fetch_at = NULL", [])
            .unwrap();
    }

    /// The feed's stored row.
    pub fn feed(&self, id: i64) -> FeedState {
        self.sql()
            .query_row(
                "SELECT url, etag, last_modified, last_http_status, consecutive_failures, last_error,
                        next_fetch_at, last_success_at, failing_since, gone_since, redirect_url, redirect_count
                 FROM feeds WHERE id = ?1",
                [id],
                |r| {
                    Ok(FeedState {
                        url: r.get(0)?,
                        etag: r.get(1)?,
                        last_modified: r.get(2)?,
                        last_http_status: r.get(3)?,
                        consecutive_failures: r.get(4)?,
                        last_error: r.get(5)?,
                        next_fetch_at: r.get(6)?,
                        last_success_at: r.get(7)?,
                        failing_since: r.get(8)?,
                        gone_since: r.get(9)?,
                        redirect_url: r.get(10)?,
                        redirect_count: r.get(11)?,
                    })
                },
            )
            .unwrap()
    }

    /// Every fetch-log row of a feed, oldest first.
    pub fn fetches(&self, id: i64) -> Vec<FetchRow> {
        let conn = self.sql();
        let mut stmt = conn
            .prepare(
                "SELECT outcome, http_status, bytes, error, final_url, duration_ms FROM fetches
                 WHERE feed_id = ?1 ORDER BY id",
            )
            .unwrap();
        stmt.query_map([id], |r| {
            Ok(FetchRow {
                outcome: r.get(0)?,
                http_status: r.get(1)?,
                bytes: r.get(2)?,
                error: r.get(3)?,
                final_url: r.get(4)?,
                duration_ms: r.get(5)?,
            })
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    }

    /// The newest fetch-log row of a feed.
    pub fn last_fetch(&self, id: i64) -> FetchRow {
        self.fetches(id)
            .pop()
            .unwrap_or_else(|| panic!("feed {id} has no fetch rows"))
    }

    /// Event kinds in the outbox, oldest first.
    pub fn event_kinds(&self) -> Vec<String> {
        self.strings("SELECT kind FROM events ORDER BY seq")
    }

    /// Seconds from now until the feed's next attempt.
    pub fn seconds_until_next(&self, id: i64) -> i64 {
        self.sql()
            .query_row(
                "SELECT CAST(round((julianday(next_fetch_at) - julianday('now')) * 86400) AS INTEGER)
                 FROM feeds WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap()
    }
}

/// A feed's stored fetch state and health.
#[derive(Debug, Clone)]
pub struct FeedState {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_http_status: Option<i64>,
    pub consecutive_failures: i64,
    pub last_error: Option<String>,
    pub next_fetch_at: Option<String>,
    pub last_success_at: Option<String>,
    pub failing_since: Option<String>,
    pub gone_since: Option<String>,
    pub redirect_url: Option<String>,
    pub redirect_count: i64,
}

/// One fetch-log row.
#[derive(Debug, Clone)]
pub struct FetchRow {
    pub outcome: String,
    pub http_status: Option<i64>,
    pub bytes: Option<i64>,
    pub error: Option<String>,
    pub final_url: Option<String>,
    pub duration_ms: i64,
}

/// A bystander feed on `server` that answers normally; every fetching test checks that it
/// was fetched normally in the same cycle as the misbehaving one.
pub fn bystander(sandbox: &Sandbox, server: &FeedServer) -> i64 {
    server.set("/bystander.atom", Resource::feed(ATOM));
    sandbox.add_feed("Bystander", &server.url("/bystander.atom"))
}

/// The bystander was fetched `times` times in all, each answered normally: the ones that
/// brought the document are 200s in the fetch log, the conditional ones were 304s (which
/// only the feed's health columns record), and the feed is healthy.
pub fn assert_fetched_normally(sandbox: &Sandbox, server: &FeedServer, id: i64, times: usize) {
    let seen = server.seen("/bystander.atom");
    assert_eq!(seen.len(), times, "bystander requests");
    let unconditional = seen
        .iter()
        .filter(|r| r.headers.get("if-none-match").is_none())
        .count();
    let rows = sandbox.fetches(id);
    assert_eq!(rows.len(), unconditional, "bystander fetch rows: {rows:?}");
    for row in rows {
        assert_eq!(row.http_status, Some(200), "bystander fetch: {row:?}");
    }
    let feed = sandbox.feed(id);
    assert!(
        matches!(feed.last_http_status, Some(200 | 304)),
        "bystander health: {feed:?}"
    );
    assert_eq!(feed.consecutive_failures, 0, "bystander health: {feed:?}");
}

/// Where one of the crate's own fixtures is: `fixtures/<name>`.
pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The crate's own fixtures.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// A fixture that is text.
pub fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// Rows in the fetch log of the database at `db`: all of them, or one feed's.
pub fn fetch_rows(db: &Path, feed_id: Option<i64>) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        "SELECT count(*) FROM fetches WHERE ?1 IS NULL OR feed_id = ?1",
        [feed_id],
        |r| r.get(0),
    )
    .unwrap()
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
        self.command(args).output().unwrap()
    }

    /// The real binary as a `Command` set up like [`Sandbox::run`], for tests that need to
    /// spawn it, set variables or kill it.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_statuswatch"));
        cmd.args(args)
            .env("STATUSWATCH_DB", self.db())
            .env_remove("RUST_LOG")
            // Hermetic: never the developer's own configuration (and its webhooks).
            .env_remove("STATUSWATCH_CONFIG")
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .current_dir(self.dir.path());
        // Hermetic too: never the developer's proxies (tests that want one set it).
        for var in [
            "http_proxy",
            "HTTP_PROXY",
            "https_proxy",
            "HTTPS_PROXY",
            "all_proxy",
            "ALL_PROXY",
            "no_proxy",
            "NO_PROXY",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }

    /// Starts the real binary in the background with its output captured, for tests that run
    /// it beside something else (`wait_with_output` collects it).
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.command(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
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

    /// The first column of every row `sql` returns, as text.
    pub fn strings(&self, sql: &str) -> Vec<String> {
        let conn = self.sql();
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }
}

/// The shared real-feed corpus: `CARGO_MANIFEST_DIR/../shared/corpus`, else
/// `$STATUSWATCH_CORPUS`, whichever holds `marker` (a labels file). Without either the calling
/// test fails: a skipped corpus test would report success for nothing.
pub fn corpus_dir(marker: &str) -> PathBuf {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if beside.join(marker).is_file() {
        return beside;
    }
    if let Some(dir) = std::env::var_os("STATUSWATCH_CORPUS").map(PathBuf::from) {
        if dir.join(marker).is_file() {
            return dir;
        }
        panic!("STATUSWATCH_CORPUS={} has no {marker}", dir.display());
    }
    panic!(
        "corpus not found: neither {} nor $STATUSWATCH_CORPUS holds {marker}; \
         run with STATUSWATCH_CORPUS=/path/to/shared/corpus",
        beside.display()
    );
}

/// Two statuspage feeds served and polled once: Skylark (operational, four incidents in its
/// history) and Quillpay (degraded). The server must outlive the test.
pub fn skylark_and_quillpay_polled() -> (FeedServer, Sandbox) {
    skylark_and_quillpay_polled_with(Vec::new())
}

/// [`skylark_and_quillpay_polled`] with more statuspage feeds: (title, vendor, path, answer).
pub fn skylark_and_quillpay_polled_with(
    extra: Vec<(&str, &str, &str, Resource)>,
) -> (FeedServer, Sandbox) {
    let server = FeedServer::start();
    let mut feeds = vec![
        (
            "Skylark",
            "skylark",
            "/skylark.atom",
            Resource::feed(fixture("feeds/statuspage-v1.atom")),
        ),
        (
            "Quillpay",
            "quillpay",
            "/quillpay.rss",
            Resource::feed(fixture("feeds/statuspage.rss")),
        ),
    ];
    feeds.extend(extra);
    let mut outlines = Vec::new();
    for (title, vendor, path, answer) in feeds {
        server.set(path, answer);
        outlines.push((title, vendor, "statuspage", server.url(path)));
    }
    let sandbox = Sandbox::new();
    let file = sandbox.write("feeds.opml", &opml(&outlines));
    let out = sandbox.run(&["feeds", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = sandbox.run(&["poll"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    (server, sandbox)
}

/// Serves `body` at `path` and imports it as the one feed of a new sandbox, vendor `vendor`,
/// engine detected from the document; then polls once (the server must outlive the test).
pub fn one_feed_polled(path: &str, body: Vec<u8>, vendor: &str) -> (FeedServer, Sandbox) {
    let server = FeedServer::start();
    server.set(path, Resource::feed(body));
    let sandbox = Sandbox::new();
    let file = sandbox.write(
        "feeds.opml",
        &opml(&[(vendor, vendor, "", server.url(path))]),
    );
    let out = sandbox.run(&["feeds", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = sandbox.run(&["poll"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    (server, sandbox)
}

/// A vendor's overall state (`current_status`, component `''`).
pub fn vendor_state(sandbox: &Sandbox, vendor: &str) -> String {
    sandbox
        .sql()
        .query_row(
            "SELECT state FROM current_status WHERE vendor = ?1 AND component = ''",
            [vendor],
            |r| r.get(0),
        )
        .unwrap()
}

/// Every state change in the outbox as "from>to", oldest first.
pub fn transitions(sandbox: &Sandbox) -> Vec<String> {
    sandbox.strings("SELECT from_state || '>' || to_state FROM events ORDER BY seq")
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

/// Reads one line from a child's stdout, failing (instead of hanging the suite) when none
/// arrives within `limit`.
pub fn read_line_within(
    reader: impl std::io::BufRead + Send + 'static,
    limit: std::time::Duration,
) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = reader;
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = tx.send(line);
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("no line within {limit:?}"))
}

/// The URL of the one feed [`example_store`] holds.
pub const EXAMPLE_FEED_URL: &str = "https://status.example.com/history.atom";

/// A database at `path` holding one feed (id 1, vendor `example`), for tests that call the
/// store directly.
pub fn example_store(path: &Path) -> statuswatch::store::Store {
    let mut store = statuswatch::store::Store::open(path).unwrap();
    store
        .import_feeds(
            &[statuswatch::model::FeedSpec {
                url: EXAMPLE_FEED_URL.into(),
                title: "Example".into(),
                vendor: "example".into(),
                ..statuswatch::model::FeedSpec::default()
            }],
            chrono::Utc::now(),
        )
        .unwrap();
    store
}
