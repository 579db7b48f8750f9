//! Bad feeds: each gets a clear message naming the feed and the cause, a row in `fetches`, its
//! `feeds.last_error`; the other feeds in the cycle are stored normally and nothing stored is lost.

mod common;
use common::{fixture, opml, refused_url, stderr, summary, FeedServer, Resource, Sandbox};

#[test]
fn one_broken_feed_never_stops_the_others() {
    let server = FeedServer::start();
    server.set(
        "/good.atom",
        Resource::feed(fixture("feeds/statuspage-v2.atom")),
    );
    server.set(
        "/500.atom",
        Resource::plain(500, "text/plain", "internal error"),
    );
    server.set(
        "/page.atom",
        Resource::plain(
            200,
            "text/html; charset=utf-8",
            fixture("feeds/not-a-feed.html"),
        ),
    );
    server.set(
        "/empty.atom",
        Resource::plain(200, "application/atom+xml", Vec::new()),
    );
    server.set(
        "/broken.atom",
        Resource::plain(200, "application/atom+xml", fixture("feeds/broken.xml")),
    );
    let sandbox = Sandbox::new();
    let catalog = opml(&[
        (
            "Good Vendor",
            "good",
            "statuspage",
            server.url("/good.atom"),
        ),
        (
            "Refusing Vendor",
            "refusing",
            "statuspage",
            refused_url("/history.atom"),
        ),
        (
            "Erroring Vendor",
            "erroring",
            "statuspage",
            server.url("/500.atom"),
        ),
        (
            "Html Vendor",
            "html",
            "statuspage",
            server.url("/page.atom"),
        ),
        (
            "Empty Vendor",
            "empty",
            "statuspage",
            server.url("/empty.atom"),
        ),
        (
            "Broken Vendor",
            "broken",
            "statuspage",
            server.url("/broken.atom"),
        ),
    ]);
    let file = sandbox.write("feeds.opml", &catalog);
    assert!(sandbox
        .run(&["feeds", "import", file.to_str().unwrap()])
        .status
        .success());

    let out = sandbox.run(&["poll", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "some feeds failed: exit 2");
    let s = summary(&out);
    assert_eq!(
        (s["fetched"].as_i64(), s["errors"].as_i64()),
        (Some(1), Some(5))
    );
    assert_eq!(s["new"], 5);
    let err = stderr(&out);
    for (name, cause) in [
        ("Refusing Vendor", "connect"),
        ("Erroring Vendor", "HTTP 500"),
        ("Html Vendor", "HTML"),
        ("Empty Vendor", "empty"),
        ("Broken Vendor", "feed"),
    ] {
        let line = err
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no message for {name}: {err}"));
        assert!(
            line.to_lowercase().contains(&cause.to_lowercase()),
            "{name}: {line}"
        );
    }
    let outcome = |vendor: &str| -> (String, String) {
        sandbox
            .sql()
            .query_row(
                "SELECT x.outcome, f.last_error FROM fetches x JOIN feeds f ON f.id = x.feed_id
                 WHERE f.vendor = ?1 ORDER BY x.id DESC LIMIT 1",
                [vendor],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    };
    assert_eq!(outcome("refusing").0, "connect_error");
    assert_eq!(outcome("erroring").0, "http_error");
    assert_eq!(outcome("html").0, "not_a_feed");
    assert_eq!(outcome("empty").0, "empty");
    assert_eq!(outcome("broken").0, "parse_error");
    for vendor in ["refusing", "erroring", "html", "empty", "broken"] {
        assert!(!outcome(vendor).1.is_empty(), "{vendor} has no last_error");
    }
    assert_eq!(
        sandbox.count("SELECT count(*) FROM feed_health WHERE health = 'failing'"),
        5
    );

    // The good feed breaks later: what it stored stays, and its state does not change.
    server.set("/good.atom", Resource::plain(500, "text/plain", "oops"));
    let out = sandbox.run(&[
        "poll",
        "--format",
        "json",
        "--feed",
        &server.url("/good.atom"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(sandbox.count("SELECT count(*) FROM entries"), 5);
    let state: String = sandbox
        .sql()
        .query_row(
            "SELECT state FROM current_status WHERE vendor = 'good' AND component = ''",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(state, "degraded");
    assert_eq!(
        sandbox.count("SELECT count(*) FROM events WHERE vendor = 'good'"),
        1
    );
}
