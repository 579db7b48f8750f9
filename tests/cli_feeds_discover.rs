//! `feeds add URL` checks the URL and, for a status page's home, finds its feed or API and
//! says what it chose; `--engine` and `--no-check` add the URL as given. Through the real
//! binary against a server on 127.0.0.1.

mod common;
use common::{fixture, stderr, stdout, FeedServer, Resource, Sandbox};

fn html(body: &str) -> Resource {
    Resource::plain(200, "text/html; charset=utf-8", body)
}

fn feeds(sandbox: &Sandbox) -> Vec<String> {
    sandbox.strings("SELECT url || ' ' || coalesce(html_url, '-') FROM feeds ORDER BY id")
}

#[test]
fn a_home_page_linking_its_atom_feed_adds_the_feed_and_says_so() {
    let server = FeedServer::start();
    server.set(
        "/",
        html(
            r#"<!DOCTYPE html><html><head><title>Example status</title>
            <link rel="alternate" type="application/atom+xml" title="Incidents" href="feeds/incidents.xml">
            </head><body><h1>All systems operational</h1></body></html>"#,
        ),
    );
    server.set(
        "/feeds/incidents.xml",
        Resource::feed(fixture("feeds/statuspage-v1.atom")),
    );
    let home = server.url("/");
    let (sandbox, out) = sandbox_run(&["feeds", "add", &home]);
    assert!(out.status.success(), "{}", stderr(&out));
    let feed = server.url("/feeds/incidents.xml");
    assert_eq!(
        stdout(&out),
        format!("Found {feed} (Atlassian Statuspage feed) from {home}; added feed 1.\n")
    );
    assert_eq!(
        feeds(&sandbox),
        [format!("{feed} {home}")],
        "the page is its html_url"
    );
    assert_eq!(server.seen("/").len(), 1, "the page is fetched once");
    assert_eq!(
        sandbox.strings("SELECT title FROM feeds"),
        ["Skylark Status - Incident History"],
        "no --title: the feed's own title, not its host"
    );
}

#[test]
fn a_statuspage_home_without_a_link_finds_history_atom_by_convention() {
    let server = FeedServer::start();
    // Statuspage's markers, no <link> tag, and no JSON summary on this server: the summary is
    // tried first (it would say more) and, answering 404, skipped for the feed.
    server.set(
        "/",
        html(
            r#"<html><head><script src="https://dka575ofm4ao0.cloudfront.net/assets/status_manifest.js"></script></head>
            <body><a href="https://stspg.io/xyz">Latest incident</a></body></html>"#,
        ),
    );
    server.set(
        "/history.atom",
        Resource::feed(fixture("feeds/statuspage-v1.atom")),
    );
    let home = server.url("/");
    let (sandbox, out) = sandbox_run(&["feeds", "add", &home, "--vendor", "example"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let feed = server.url("/history.atom");
    assert_eq!(
        stdout(&out),
        format!("Found {feed} (Atlassian Statuspage feed) from {home}; added feed 1.\n")
    );
    assert_eq!(
        server.seen("/api/v2/summary.json").len(),
        1,
        "the API came first"
    );
    assert_eq!(
        sandbox.strings("SELECT vendor FROM feeds"),
        ["example"],
        "the given flags are kept"
    );
    // Adding the page again finds the same feed and updates it rather than adding another.
    let again = sandbox.run(&["feeds", "add", &home, "--vendor", "example"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).ends_with("; updated feed 1.\n"),
        "{}",
        stdout(&again)
    );
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 1);
}

#[test]
fn a_page_with_nothing_findable_is_a_clear_error_and_nothing_is_added() {
    let server = FeedServer::start();
    server.set(
        "/status",
        html("<html><head><title>Up</title></head><body><p>Example is up and running.</p></body></html>"),
    );
    // A soft 404 at a conventional path: an HTML page is not a feed.
    server.set(
        "/history.atom",
        html("<html><body>Page not found</body></html>"),
    );
    let page = server.url("/status");
    let (sandbox, out) = sandbox_run(&["feeds", "add", &page]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{page} is a web page, and no feed or status API was found for it. Tried:"
        )),
        "{err}"
    );
    for tried in [
        "/status/history.atom",
        "/history.rss",
        "/feed.rss",
        "/api/v2/summary.json",
    ] {
        assert!(err.contains(&server.url(tried)), "names {tried}: {err}");
    }
    assert!(err.contains("HTTP 404"), "says why: {err}");
    assert!(
        err.contains(&format!(
            "{}: the body is an HTML page",
            server.url("/history.atom")
        )),
        "{err}"
    );
    assert!(err.contains("--selector"), "says what to do: {err}");
    assert!(err.contains("feed's or the API's own URL"), "{err}");
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 0);
}

#[test]
fn a_feed_url_is_checked_and_added_as_given() {
    let server = FeedServer::start();
    server.set(
        "/history.atom",
        Resource::feed(fixture("feeds/statuspage-v1.atom")),
    );
    let url = server.url("/history.atom");
    let (sandbox, out) = sandbox_run(&["feeds", "add", &url, "--title", "Example"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("Added feed 1: Example ({url}): an Atlassian Statuspage feed, 4 entries now.\n")
    );
    assert_eq!(feeds(&sandbox), [format!("{url} -")]);

    let missing = sandbox.run(&["feeds", "add", &server.url("/gone.atom")]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("HTTP 404") && stderr(&missing).contains("--no-check"),
        "{}",
        stderr(&missing)
    );
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 1);
}

#[test]
fn engine_wins_over_detection_and_a_bad_engine_lists_the_known_ones() {
    let server = FeedServer::start();
    server.set("/", html("<html><body>A page</body></html>"));
    let home = server.url("/");
    let (sandbox, out) = sandbox_run(&["feeds", "add", &home, "--engine", "page"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("Added feed 1:"),
        "{}",
        stdout(&out)
    );
    assert!(
        server.seen("/").is_empty(),
        "--engine: added as given, not fetched"
    );
    assert_eq!(
        sandbox.strings("SELECT engine FROM feeds"),
        ["page"],
        "the named engine is stored"
    );

    let bad = sandbox.run(&["feeds", "add", &home, "--engine", "wordpress"]);
    assert_eq!(
        bad.status.code(),
        Some(1),
        "a usage error is fatal (1), not \"some feeds failed\" (2)"
    );
    let err = stderr(&bad);
    assert!(err.contains("unknown engine \"wordpress\""), "{err}");
    assert!(
        err.contains("known: statuspage, aws,") && err.contains("playstation, page, generic"),
        "{err}"
    );
    assert!(server.seen("/").is_empty());
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 1);

    let unchecked = sandbox.run(&["feeds", "add", &server.url("/later.atom"), "--no-check"]);
    assert!(unchecked.status.success(), "{}", stderr(&unchecked));
    assert!(
        server.seen("/later.atom").is_empty(),
        "--no-check fetches nothing"
    );
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 2);
}

/// A fresh sandbox and the binary's answer to `args` in it.
fn sandbox_run(args: &[&str]) -> (Sandbox, std::process::Output) {
    let sandbox = Sandbox::new();
    let out = sandbox.run(args);
    (sandbox, out)
}
