//! `statuswatch serve` and `run --listen` as a user starts them: the real binary on
//! 127.0.0.1, its refusals before it listens, the token rule, the probes, the bounds and the
//! headers every answer carries.

mod common;

use common::served::Served;
use common::{fixture, one_feed_polled, stderr, Sandbox};

fn polled() -> (common::FeedServer, Sandbox) {
    one_feed_polled(
        "/skylark.atom",
        fixture("feeds/statuspage-v2.atom"),
        "skylark",
    )
}

#[test]
fn serve_refuses_a_missing_database_and_creates_none() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("no database at {}", sandbox.db().display())),
        "{err}"
    );
    assert!(err.contains("statuswatch poll"), "{err}");
    assert!(!sandbox.db().exists());
}

#[test]
fn a_non_loopback_listener_needs_a_token_or_an_explicit_waiver() {
    let (_server, sandbox) = polled();
    // Refused before binding: no packet leaves, and the port is never opened.
    let out = sandbox.run(&["serve", "--listen", "0.0.0.0:0"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("--listen 0.0.0.0:0 is not a loopback address"),
        "{err}"
    );
    assert!(
        err.contains("--token-env") && err.contains("--insecure-no-auth"),
        "{err}"
    );

    let out = sandbox
        .command(&[
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--token-env",
            "SW_TEST_TOKEN",
        ])
        .env_remove("SW_TEST_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("--token-env SW_TEST_TOKEN: the environment variable is not set"),
        "{err}"
    );

    let out = sandbox.run(&["serve", "--listen", "example.com:80"]);
    assert!(stderr(&out).contains("cannot read --listen \"example.com:80\""));
    let out = sandbox.run(&["run", "--listen", "0.0.0.0:0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is not a loopback address"));
}

#[test]
fn the_token_is_required_compared_and_never_printed() {
    let (_server, sandbox) = polled();
    let secret = "tok-3b1f9d2c7a";
    let mut served = Served::start(
        &sandbox,
        &["serve", "--token-env", "SW_TEST_TOKEN"],
        &[("SW_TEST_TOKEN", secret)],
    );
    // The probes stay open; everything else needs the token.
    assert_eq!(served.get("/healthz", &[]).status, 200);
    let refused = served.get("/api/v1/nowhere", &[]);
    assert_eq!(refused.status, 401);
    assert_eq!(
        refused.header("content-type"),
        Some("application/problem+json")
    );
    assert!(refused
        .header("www-authenticate")
        .unwrap()
        .starts_with("Basic realm="));
    assert_eq!(refused.json()["status"], 401);
    let wrong = served.get(
        "/api/v1/nowhere",
        &[("authorization", "Bearer tok-3b1f9d2c7b")],
    );
    assert_eq!(wrong.status, 401);
    assert!(wrong.json()["detail"]
        .as_str()
        .unwrap()
        .contains("does not match"));
    let bearer = format!("Bearer {secret}");
    let passed = served.get("/api/v1/nowhere", &[("authorization", &bearer)]);
    assert_eq!(passed.status, 404, "{}", passed.body);
    // A browser's prompt: any user name, the token as the password.
    use base64::Engine;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("me:{secret}"))
    );
    assert_eq!(
        served
            .get("/api/v1/nowhere", &[("authorization", &basic)])
            .status,
        404
    );
    assert_eq!(served.terminate(), Some(0));
    let log = served.stderr_so_far();
    assert!(!log.contains(secret), "{log}");
}

#[test]
fn every_answer_carries_the_security_headers_and_errors_are_problems() {
    let (_server, sandbox) = polled();
    let served = Served::start(&sandbox, &["serve"], &[]);
    let missing = served.get("/no/such/page", &[]);
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.header("content-type"),
        Some("application/problem+json")
    );
    let problem = missing.json();
    assert_eq!(problem["title"], "Not Found");
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("/no/such/page"));
    let csp = missing.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(missing.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(missing.header("x-frame-options"), Some("DENY"));

    let long = format!("/api/v1/incidents?vendor={}", "a".repeat(5000));
    let refused = served.get(&long, &[]);
    assert_eq!(refused.status, 414);
    assert!(refused.json()["detail"]
        .as_str()
        .unwrap()
        .contains("at most 4096"));
}

#[test]
fn readyz_follows_the_newest_fetch() {
    let (_server, sandbox) = polled();
    let served = Served::start(&sandbox, &["serve"], &[]);
    let health = served.get("/healthz", &[]);
    assert_eq!((health.status, health.body.as_str()), (200, "ok\n"));
    let ready = served.get("/readyz", &[]);
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(ready.json()["max_age_seconds"], 240);
    drop(served);

    // A poll that happened long ago: the poller has stopped, so not ready, and it says why.
    sandbox
        .sql()
        .execute(
            "UPDATE feeds SET last_fetch_at = '2025-10-20T07:00:00Z'",
            [],
        )
        .unwrap();
    let served = Served::start(&sandbox, &["serve", "--schedule", "*/5 * * * *"], &[]);
    let stale = served.get("/readyz", &[]);
    assert_eq!(stale.status, 503);
    let body = stale.json();
    assert_eq!(body["max_age_seconds"], 600);
    assert!(
        body["reason"].as_str().unwrap().contains("is the poller"),
        "{body}"
    );
}

#[test]
fn readyz_says_when_nothing_was_ever_fetched() {
    let sandbox = Sandbox::new();
    // A database with a feed that was never fetched.
    let url = common::refused_url("/never.atom");
    let out = sandbox.run(&["feeds", "add", &url, "--no-check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let served = Served::start(&sandbox, &["serve"], &[]);
    let ready = served.get("/readyz", &[]);
    assert_eq!(ready.status, 503);
    assert_eq!(ready.json()["reason"], "no feed has been fetched yet");
}

#[test]
fn run_listen_serves_while_the_daemon_polls_and_stops_with_it() {
    let (_server, sandbox) = polled();
    let mut served = Served::start(
        &sandbox,
        &["run", "--schedule", "*/1 * * * * *", "--max-jitter-ms", "0"],
        &[],
    );
    assert_eq!(served.get("/healthz", &[]).status, 200);
    assert_eq!(served.get("/readyz", &[]).status, 200);
    assert_eq!(served.terminate(), Some(0));
}

#[test]
fn a_taken_port_stops_the_daemon_before_it_polls() {
    let (server, sandbox) = polled();
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    server.clear_seen();
    let out = sandbox.run(&["run", "--listen", &format!("127.0.0.1:{port}")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{}",
        stderr(&out)
    );
    assert!(server.seen("/skylark.atom").is_empty());
}

#[test]
fn status_is_built_once_per_database_change() {
    let (server, sandbox) = one_feed_polled(
        "/skylark.atom",
        fixture("feeds/statuspage-v1.atom"),
        "skylark",
    );
    let served = Served::start(&sandbox, &["serve"], &[]);
    let state = |body: &serde_json::Value| {
        body["status"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["vendor"] == "skylark" && r["component"] == "")
            .map(|r| r["state"].as_str().unwrap().to_string())
            .unwrap()
    };
    let first = served.get("/api/v1/status", &[]);
    assert_eq!(first.status, 200);
    assert_eq!(first.header("content-type"), Some("application/json"));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    // Nothing committed since: the same snapshot, built at the same second.
    let again = served.get("/api/v1/status", &[]);
    assert_eq!(again.body, first.body);
    let before = state(&first.json());

    // Another process commits a change: the next request sees it at once.
    server.set(
        "/skylark.atom",
        common::Resource::feed(fixture("feeds/statuspage-v2.atom")),
    );
    assert_eq!(sandbox.run(&["poll"]).status.code(), Some(0));
    let after = served.get("/api/v1/status", &[]).json();
    assert_ne!(after["generated_at"], first.json()["generated_at"]);
    assert_eq!(
        sandbox.strings(
            "SELECT state FROM current_status WHERE vendor = 'skylark' AND component = ''"
        ),
        [state(&after)]
    );
    assert_ne!(state(&after), before, "the fixture pair changes the state");
}

#[test]
fn serve_refuses_a_database_of_another_schema_version() {
    let (_server, sandbox) = polled();
    let known: i64 = sandbox
        .sql()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    for (version, says) in [
        (
            known - 1,
            "run `statuswatch poll` (or `run`) with this build once to migrate it",
        ),
        (known + 1, "upgrade statuswatch"),
    ] {
        sandbox
            .sql()
            .pragma_update(None, "user_version", version)
            .unwrap();
        let out = sandbox.run(&["serve", "--listen", "127.0.0.1:0"]);
        assert_eq!(out.status.code(), Some(1), "version {version}");
        let err = stderr(&out);
        assert!(err.contains(&format!("schema version {version}")), "{err}");
        assert!(err.contains(says), "{err}");
    }
}

/// gunzip of `bytes`.
fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    #[allow(clippy::disallowed_methods)] // bounded by take
    flate2::read::GzDecoder::new(bytes)
        .take(64 << 20)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}

#[test]
fn status_and_the_board_come_gzipped_on_request_and_revalidate_by_etag() {
    // Eight vendors: enough text for gzip to be worth it on both answers.
    let server = common::FeedServer::start();
    let vendors = [
        "skylark", "pelican", "heron", "osprey", "kestrel", "plover", "egret", "ibis",
    ];
    let rows: Vec<(&str, &str, &str, String)> = vendors
        .iter()
        .map(|v| {
            let path = format!("/{v}.atom");
            server.set(
                &path,
                common::Resource::feed(fixture("feeds/statuspage-v2.atom")),
            );
            (*v, *v, "", server.url(&path))
        })
        .collect();
    let sandbox = Sandbox::new();
    let file = sandbox.write("feeds.opml", &common::opml(&rows));
    assert!(sandbox
        .run(&["feeds", "import", file.to_str().unwrap()])
        .status
        .success());
    assert_eq!(sandbox.run(&["poll"]).status.code(), Some(0));
    let served = Served::start(&sandbox, &["serve"], &[]);
    for (path, kind) in [
        ("/api/v1/status", "application/json"),
        ("/", "text/html; charset=utf-8"),
    ] {
        let url = served.url(path);
        let (status, plain_headers, plain) = common::served::get_bytes(&url, &[]);
        assert_eq!(status, 200, "{path}");
        let header = |h: &reqwest::header::HeaderMap, name: &str| {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        assert_eq!(header(&plain_headers, "content-encoding"), None, "{path}");
        assert_eq!(
            header(&plain_headers, "content-type").as_deref(),
            Some(kind)
        );
        assert_eq!(
            header(&plain_headers, "vary").as_deref(),
            Some("accept-encoding")
        );
        assert_eq!(
            header(&plain_headers, "cache-status").as_deref(),
            Some("statuswatch; fwd=miss; stored"),
            "{path}: the first request builds it"
        );
        let etag = header(&plain_headers, "etag").expect("an ETag");

        let (status, gz_headers, packed) =
            common::served::get_bytes(&url, &[("accept-encoding", "gzip, br")]);
        assert_eq!(status, 200);
        assert_eq!(
            header(&gz_headers, "content-encoding").as_deref(),
            Some("gzip")
        );
        assert_eq!(
            header(&gz_headers, "cache-status").as_deref(),
            Some("statuswatch; hit")
        );
        assert_eq!(header(&gz_headers, "etag").as_ref(), Some(&etag));
        assert!(packed.len() < plain.len(), "{path}: gzip is smaller");
        assert_eq!(gunzip(&packed), plain, "{path}: the same answer");
        let refused = common::served::get_bytes(&url, &[("accept-encoding", "gzip;q=0")]);
        assert_eq!(refused.2, plain, "{path}: q=0 refuses gzip");

        let (status, headers, body) =
            common::served::get_bytes(&url, &[("if-none-match", etag.as_str())]);
        assert_eq!(status, 304, "{path}: the browser's copy is current");
        assert!(body.is_empty());
        assert_eq!(header(&headers, "etag").as_ref(), Some(&etag));
        // A security header is on every answer, a 304 too.
        assert!(header(&headers, "x-content-type-options").is_some());
    }

    // Another process commits: the old tag no longer matches, and the new body is sent.
    let old_etag = served
        .get("/api/v1/status", &[])
        .header("etag")
        .unwrap()
        .to_string();
    server.set(
        "/skylark.atom",
        common::Resource::feed(fixture("feeds/statuspage-v1.atom")),
    );
    assert_eq!(sandbox.run(&["poll"]).status.code(), Some(0));
    let changed = served.get("/api/v1/status", &[("if-none-match", old_etag.as_str())]);
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag"), Some(old_etag.as_str()));
}
