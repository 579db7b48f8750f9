//! The status board as a browser gets it from the real binary (`statuswatch serve` on
//! 127.0.0.1), over feeds polled from a local server: the vendors and their states, a vendor's
//! timelines and 90-day bar, feed health, the embedded assets, and what the Content-Security-
//! Policy demands of the pages (no inline script or style, nothing from the internet). A hostile
//! feed's text comes out as text.

mod common;

use common::served::{Reply, Served};
use common::{
    fixture, opml, statuspage_atom, stderr, vendor_state, xml_escape, FeedServer, GenIncident,
    Resource, Sandbox,
};
use regex::Regex;

/// How maud escapes text and attribute values.
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The word the board shows for a stored state.
fn word(state: &str) -> String {
    let mut chars = state.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Imports `(title, vendor, path)` feeds served by `server` and polls them once.
fn polled(server: &FeedServer, feeds: &[(&str, &str, &str)]) -> Sandbox {
    let sandbox = Sandbox::new();
    let rows: Vec<(&str, &str, &str, String)> = feeds
        .iter()
        .map(|(title, vendor, path)| (*title, *vendor, "", server.url(path)))
        .collect();
    let file = sandbox.write("feeds.opml", &opml(&rows));
    let out = sandbox.run(&["feeds", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = sandbox.poll(&[]);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(2),
        "{}",
        stderr(&out)
    );
    sandbox
}

/// What every board page must be: HTML with the server's timing and the CSP, no inline script
/// or style for the CSP to block, and no asset from anywhere but this server.
fn assert_a_safe_page(reply: &Reply) {
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8"),
        "{}",
        reply.body
    );
    let timing = reply
        .header("server-timing")
        .expect("a Server-Timing header");
    assert!(
        Regex::new(r"^render;dur=\d+(\.\d+)?$")
            .unwrap()
            .is_match(timing),
        "{timing}"
    );
    let csp = reply.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    let body = &reply.body;
    assert!(body.starts_with("<!DOCTYPE html>"), "{body}");
    assert!(body.contains("<meta name=\"viewport\""));
    let scripts = Regex::new(r"(?s)<script([^>]*)>(.*?)</script>").unwrap();
    let mut count = 0;
    for script in scripts.captures_iter(body) {
        count += 1;
        assert!(script[1].contains("src=\"/assets/"), "{}", &script[0]);
        assert!(script[2].trim().is_empty(), "inline script: {}", &script[0]);
    }
    assert_eq!(count, 1, "one script, board.js");
    assert!(!body.contains("<style"), "inline style element");
    // Inside tags only: text may say anything, escaped (it cannot hold `<`).
    let handler = Regex::new(r"(?i)\s(?:on[a-z]+|style)=").unwrap();
    for tag in Regex::new(r"<[a-zA-Z][^>]*>").unwrap().find_iter(body) {
        assert!(
            !handler.is_match(tag.as_str()),
            "attribute the CSP blocks: {}",
            tag.as_str()
        );
    }
    // Assets (stylesheets, scripts, images, icons) come from this server only.
    let assets = Regex::new(r#"<(?:link|script|img)\b[^>]*?\b(?:href|src)="([^"]*)""#).unwrap();
    for asset in assets.captures_iter(body) {
        assert!(asset[1].starts_with('/'), "asset {}", &asset[1]);
    }
}

#[test]
fn the_board_lists_every_vendor_with_its_state_word_and_incident() {
    let server = FeedServer::start();
    server.set(
        "/skylark.atom",
        Resource::feed(fixture("feeds/statuspage-v2.atom")),
    );
    server.set(
        "/quillpay.rss",
        Resource::feed(fixture("feeds/statuspage.rss")),
    );
    server.set(
        "/calm.atom",
        Resource::feed(fixture("feeds/statuspage-v1.atom")),
    );
    let sandbox = polled(
        &server,
        &[
            ("Skylark", "skylark", "/skylark.atom"),
            ("Quillpay", "quillpay", "/quillpay.rss"),
            ("Calmly", "calmly", "/calm.atom"),
        ],
    );
    let served = Served::start(&sandbox, &["serve"], &[]);
    let page = served.get("/", &[]);
    assert_eq!(page.status, 200, "{}", page.body);
    assert_a_safe_page(&page);
    let body = &page.body;
    for vendor in ["skylark", "quillpay", "calmly"] {
        let state = vendor_state(&sandbox, vendor);
        let card = Regex::new(&format!(
            r#"(?s)<li class="vendor [^"]+"><div class="head"><a class="name" href="/vendors/{vendor}">[^<]+</a><span class="badge [^"]+"><span class="icon" aria-hidden="true">[^<]+</span> {}</span>"#,
            word(&state)
        ))
        .unwrap();
        assert!(card.is_match(body), "{vendor} ({state}): {body}");
    }
    assert_ne!(vendor_state(&sandbox, "skylark"), "operational");
    assert_eq!(vendor_state(&sandbox, "calmly"), "operational");
    // The open incident, linked to the vendor's page about it, and since when.
    assert!(body.contains(
        r#"<a href="https://status.skylark.example/incidents/w5x8z1a4b7c0" rel="noopener noreferrer">Elevated error rates on the API</a>"#
    ), "{body}");
    assert!(body.contains("Card payments failing for some merchants"));
    assert!(
        body.contains("<time datetime=\"2026-09-20T10:05:00Z\""),
        "{body}"
    );
    assert!(body.contains("2 of 3 vendors not operational."), "{body}");
    assert!(Regex::new(r"Updated at \d\d:\d\d UTC")
        .unwrap()
        .is_match(body));
    // The vendors not operational come first.
    assert!(body.find("/vendors/skylark").unwrap() < body.find("/vendors/calmly").unwrap());
}

#[test]
fn a_vendor_page_shows_the_update_timeline_and_a_90_day_bar() {
    let day = (chrono::Utc::now() - chrono::Duration::days(3)).date_naive();
    let at = |time: &str| format!("{day}T{time}Z");
    let atom = statuspage_atom(
        "status.wrenly.example",
        &[GenIncident {
            id: "9001".into(),
            title: "Elevated error rates on checkout".into(),
            updates: vec![
                (
                    at("12:30:00"),
                    "Resolved".into(),
                    "Error rates are back to normal.".into(),
                ),
                (
                    at("11:15:00"),
                    "Identified".into(),
                    "A faulty deploy was rolled back.".into(),
                ),
                (
                    at("10:00:00"),
                    "Investigating".into(),
                    "We are investigating elevated error rates on checkout.".into(),
                ),
            ],
        }],
    );
    let server = FeedServer::start();
    server.set("/wrenly.atom", Resource::feed(atom));
    let sandbox = polled(&server, &[("Wrenly", "wrenly", "/wrenly.atom")]);
    let served = Served::start(&sandbox, &["serve"], &[]);

    let page = served.get("/vendors/wrenly", &[]);
    assert_eq!(page.status, 200, "{}", page.body);
    assert_a_safe_page(&page);
    let body = &page.body;
    assert!(body.contains("<h1>Wrenly</h1>"), "{body}");
    assert!(body.contains(
        r#"<a href="https://status.wrenly.example/incidents/9001" rel="noopener noreferrer">Elevated error rates on checkout</a>"#
    ), "{body}");
    // The timeline, newest first, each update with its label, time and text.
    let resolved = body
        .find("Error rates are back to normal.")
        .expect("resolved update");
    let identified = body
        .find("A faulty deploy was rolled back.")
        .expect("identified update");
    let investigating = body
        .find("We are investigating elevated error rates on checkout.")
        .expect("first update");
    assert!(
        resolved < identified && identified < investigating,
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "<strong>Identified</strong> <time datetime=\"{}\"",
            at("11:15:00")
        )),
        "{body}"
    );
    assert!(body.contains("(2 h 30 min)"), "{body}");
    // 90 days, oldest first, ending today; the incident's day marked, in words too.
    let cells: Vec<(String, String)> =
        Regex::new(r#"<li class="day ([^"]+)" data-day="(\d{4}-\d\d-\d\d)""#)
            .unwrap()
            .captures_iter(body)
            .map(|c| (c[2].to_string(), c[1].to_string()))
            .collect();
    assert_eq!(cells.len(), 90, "{body}");
    let today = chrono::Utc::now().date_naive().to_string();
    assert_eq!(cells.last().unwrap().0, today);
    let marked: Vec<&(String, String)> = cells.iter().filter(|(_, c)| c != "none").collect();
    assert_eq!(marked.len(), 1, "{marked:?}");
    assert_eq!(marked[0].0, day.to_string());
    assert!(marked[0].1.starts_with("s-"), "{marked:?}");
    assert!(body.contains("1 day with an unplanned incident."), "{body}");

    // A vendor nobody watches: a page that says so, not the API's JSON.
    let missing = served.get("/vendors/nobody", &[]);
    assert_eq!(missing.status, 404);
    assert_a_safe_page(&missing);
    assert!(
        missing.body.contains("No enabled feed has the vendor"),
        "{}",
        missing.body
    );
}

#[test]
fn the_feeds_page_shows_a_failing_feed_with_its_error() {
    let server = FeedServer::start();
    server.set(
        "/fine.atom",
        Resource::feed(fixture("feeds/statuspage-v1.atom")),
    );
    server.set(
        "/broken.atom",
        Resource::plain(503, "text/plain", "upstream unavailable"),
    );
    let sandbox = polled(
        &server,
        &[
            ("Finely", "finely", "/fine.atom"),
            ("Brokenly", "brokenly", "/broken.atom"),
        ],
    );
    let id: i64 = sandbox
        .sql()
        .query_row("SELECT id FROM feeds WHERE vendor = 'brokenly'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let feed = sandbox.feed(id);
    let error = feed.last_error.expect("the failure's error is stored");
    let served = Served::start(&sandbox, &["serve"], &[]);
    let page = served.get("/feeds", &[]);
    assert_eq!(page.status, 200, "{}", page.body);
    assert_a_safe_page(&page);
    let body = &page.body;
    assert!(body.contains("1 of 2 feeds failing."), "{body}");
    let row = Regex::new(r"(?s)<tr class=[^>]*>.*?</tr>").unwrap();
    let rows: Vec<&str> = row.find_iter(body).map(|m| m.as_str()).collect();
    assert_eq!(rows.len(), 2, "{body}");
    // Broken first, with its health word, its error and how many tries failed.
    assert!(
        rows[0].contains("Brokenly") && rows[0].contains("> Failing</span>"),
        "{}",
        rows[0]
    );
    assert!(error.contains("503"), "{error}");
    assert!(rows[0].contains(&html_escape(&error)), "{}", rows[0]);
    assert!(rows[0].contains(&server.url("/broken.atom")));
    assert!(
        rows[1].contains("Finely") && rows[1].contains("> OK</span>"),
        "{}",
        rows[1]
    );
}

#[test]
fn the_assets_are_embedded_with_their_types_and_a_cache_lifetime() {
    let server = FeedServer::start();
    server.set(
        "/skylark.atom",
        Resource::feed(fixture("feeds/statuspage-v1.atom")),
    );
    let sandbox = polled(&server, &[("Skylark", "skylark", "/skylark.atom")]);
    let served = Served::start(&sandbox, &["serve"], &[]);
    let page = served.get("/", &[]);
    // Every file the page links, as the page links it (with its version).
    let linked = Regex::new(r#"(?:href|src)="(/assets/[^"]+)""#).unwrap();
    let mut types = Vec::new();
    for link in linked.captures_iter(&page.body) {
        let asset = served.get(&link[1], &[]);
        assert_eq!(asset.status, 200, "{}", &link[1]);
        assert!(!asset.body.is_empty());
        assert!(
            asset.header("cache-control").unwrap().contains("max-age="),
            "{:?}",
            asset.headers
        );
        types.push(asset.header("content-type").unwrap().to_string());
    }
    for wanted in [
        "text/css; charset=utf-8",
        "text/javascript; charset=utf-8",
        "image/svg+xml",
    ] {
        assert!(types.iter().any(|t| t == wanted), "{wanted} in {types:?}");
    }
    let js = served.get("/assets/board.js", &[]);
    assert!(js.body.contains("new EventSource("), "{}", js.body);
    assert!(js.body.contains("data-live"));
    let css = served.get("/assets/board.css", &[]);
    assert!(css.body.contains("prefers-color-scheme: dark"));
    assert!(!css.body.contains("http://") && !css.body.contains("https://"));
    assert!(!css.body.contains("@import") && !css.body.contains("url("));
    assert_eq!(
        served.get("/favicon.ico", &[]).header("content-type"),
        Some("image/svg+xml")
    );
    let missing = served.get("/assets/nothing.js", &[]);
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.header("content-type"),
        Some("application/problem+json")
    );
}

#[test]
fn a_hostile_feed_is_shown_as_text() {
    let server = FeedServer::start();
    server.set(
        "/mallory.atom",
        Resource::feed(fixture("feeds/hostile.atom")),
    );
    let hostile_title = "Mallory <script>alert(1)</script> \"onmouseover=\"alert(2)";
    let sandbox = Sandbox::new();
    let file = sandbox.write(
        "feeds.opml",
        &opml(&[(
            xml_escape(hostile_title).as_str(),
            "mallory",
            "",
            server.url("/mallory.atom"),
        )]),
    );
    let out = sandbox.run(&["feeds", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = sandbox.poll(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // A person's reason is text from outside too.
    let active: i64 = sandbox.count("SELECT id FROM incidents WHERE resolved_at IS NULL");
    let reason = "<img src=x onerror=alert(9)> \"onmouseover=\"alert(10)";
    let out = sandbox.run(&[
        "override",
        "incident",
        &active.to_string(),
        "--status",
        "outage",
        "--reason",
        reason,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // What the store kept still holds markup and quotes: the board is what must escape them.
    let stored: Vec<String> = sandbox.strings(
        "SELECT title FROM feeds UNION ALL SELECT title FROM incidents UNION ALL SELECT text FROM updates",
    );
    assert!(stored.iter().any(|t| t.contains("<script>")), "{stored:?}");
    let quoted: Vec<&String> = stored
        .iter()
        .filter(|t| t.contains("\"onmouseover="))
        .collect();
    assert!(quoted.len() >= 3, "{stored:?}");

    let served = Served::start(&sandbox, &["serve"], &[]);
    for path in ["/", "/vendors/mallory", "/feeds"] {
        let page = served.get(path, &[]);
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert_a_safe_page(&page);
        let body = &page.body;
        for raw in [
            "<script>alert",
            "\"onmouseover=",
            " onmouseover=\"",
            "<img src=x",
            "javascript:",
            "<b>",
        ] {
            assert!(!body.contains(raw), "{path} holds {raw:?}: {body}");
        }
        assert!(body.contains(&html_escape(hostile_title)), "{path}: {body}");
    }
    let vendor = served.get("/vendors/mallory", &[]).body;
    for text in stored.iter().chain([&reason.to_string()]) {
        assert!(
            vendor.contains(&html_escape(text)),
            "{text:?} not shown as text: {vendor}"
        );
    }
    // The entry whose link was `javascript:` shows its title unlinked.
    assert!(
        vendor.contains("<h3><span>Elevated errors &quot;onmouseover=&quot;alert(2)</span></h3>"),
        "{vendor}"
    );
}
