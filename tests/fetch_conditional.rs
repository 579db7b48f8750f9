//! Conditional GET and what a fetch sends and keeps: validators, identity, compression, and
//! bodies passed through byte for byte.

mod common;

use common::*;
use statuswatch::fetch::{FetchConfig, Fetched, Fetcher, Validators};
use std::io::Write;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Stores validators as a previous successful fetch would have (the parser is another
/// stage's work; what matters here is what fetch does with them).
fn store_validators(sandbox: &Sandbox, id: i64, etag: Option<&str>, last_modified: Option<&str>) {
    sandbox
        .sql()
        .execute(
            "UPDATE feeds SET etag = ?2, last_modified = ?3 WHERE id = ?1",
            rusqlite::params![id, etag, last_modified],
        )
        .unwrap();
}

#[test]
fn a_304_costs_no_parse_and_no_write_beyond_health() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    let resource = Resource::feed(ATOM);
    let etag = resource.etag.clone().unwrap();
    server.set("/zoom.atom", resource);
    let id = sandbox.add_feed("Zoom", &server.url("/zoom.atom"));
    store_validators(
        &sandbox,
        id,
        Some(&etag),
        Some("Mon, 20 Oct 2025 07:00:00 GMT"),
    );

    let out = sandbox.poll(&[]);
    assert_eq!(summary(&out)["not_modified"], 1, "{}", stderr(&out));

    let seen = server.seen("/zoom.atom");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].headers["if-none-match"], etag.as_str());
    assert_eq!(
        seen[0].headers["if-modified-since"],
        "Mon, 20 Oct 2025 07:00:00 GMT"
    );
    // A 304 is recorded in the feed's health columns only, not in the fetch log.
    assert!(sandbox.fetches(id).is_empty(), "a 304 is not logged");
    let feed = sandbox.feed(id);
    assert_eq!(feed.last_http_status, Some(304));
    assert!(feed.last_success_at.is_some());
    assert_eq!(feed.consecutive_failures, 0);
    assert_eq!(
        feed.last_error, None,
        "a 304 is a success, with no error to show"
    );
    assert_eq!(feed.next_fetch_at, None);
    assert_eq!(feed.etag.as_deref(), Some(etag.as_str()), "validators kept");
    assert_eq!(
        feed.last_modified.as_deref(),
        Some("Mon, 20 Oct 2025 07:00:00 GMT"),
        "validators kept"
    );
    assert_eq!(
        sandbox.count(&format!(
            "SELECT count(*) FROM entries WHERE feed_id = {id}"
        )),
        0
    );
    assert_eq!(sandbox.count("SELECT count(*) FROM events"), 0);
    assert_fetched_normally(&sandbox, &server, other, 1);
}

#[test]
fn a_changed_etag_downloads_the_new_body() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    let resource = Resource::feed(ATOM.replace("Elevated API error rates", "Elevated API latency"));
    let new_etag = resource.etag.clone().unwrap();
    let size = resource.body.len() as i64;
    server.set("/zoom.atom", resource);
    let id = sandbox.add_feed("Zoom", &server.url("/zoom.atom"));
    store_validators(&sandbox, id, Some("\"old-version\""), None);

    sandbox.poll(&[]);

    let seen = server.seen("/zoom.atom");
    assert_eq!(seen[0].headers["if-none-match"], "\"old-version\"");
    let fetch = sandbox.last_fetch(id);
    assert_eq!(fetch.http_status, Some(200));
    assert_eq!(fetch.bytes, Some(size), "the whole new body was read");
    assert_ne!(fetch.outcome, "not_modified");
    if fetch.outcome == "ok" {
        // Once the body parses, the new validators replace the old ones.
        assert_eq!(sandbox.feed(id).etag, Some(new_etag));
    } else {
        // A body that did not parse must not be skipped next time by a 304.
        assert_eq!(sandbox.feed(id).etag.as_deref(), Some("\"old-version\""));
    }
    assert_fetched_normally(&sandbox, &server, other, 1);
}

#[test]
fn last_modified_alone_makes_a_conditional_get() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    let mut resource = Resource::feed(ATOM);
    resource.etag = None;
    server.set("/lm.atom", resource);
    let id = sandbox.add_feed("Lm", &server.url("/lm.atom"));
    store_validators(&sandbox, id, None, Some("Mon, 20 Oct 2025 07:00:00 GMT"));

    sandbox.poll(&[]);

    let seen = server.seen("/lm.atom");
    assert!(seen[0].headers.get("if-none-match").is_none());
    assert_eq!(
        seen[0].headers["if-modified-since"],
        "Mon, 20 Oct 2025 07:00:00 GMT"
    );
    assert_eq!(sandbox.feed(id).last_http_status, Some(304));
    assert_eq!(sandbox.feed(id).consecutive_failures, 0);
    assert_fetched_normally(&sandbox, &server, other, 1);
}

#[test]
fn requests_name_statuswatch_and_accept_feeds_and_compression() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    server.set("/zoom.atom", Resource::feed(ATOM));
    sandbox.add_feed("Zoom", &server.url("/zoom.atom"));

    sandbox.poll(&[]);

    let headers = &server.seen("/zoom.atom")[0].headers;
    let ua = headers["user-agent"].to_str().unwrap();
    assert!(
        ua.starts_with(&format!("statuswatch/{} ", env!("CARGO_PKG_VERSION"))),
        "{ua}"
    );
    assert!(ua.contains("(+https://"), "a URL to read about us: {ua}");
    let accept = headers["accept"].to_str().unwrap();
    for kind in [
        "application/atom+xml",
        "application/rss+xml",
        "application/xml",
        "text/xml",
        "application/feed+json",
    ] {
        assert!(accept.contains(kind), "Accept lacks {kind}: {accept}");
    }
    let encodings = headers["accept-encoding"].to_str().unwrap();
    for enc in ["gzip", "deflate", "br"] {
        assert!(
            encodings.contains(enc),
            "Accept-Encoding lacks {enc}: {encodings}"
        );
    }
}

#[test]
fn a_gzip_encoded_feed_is_stored_decoded() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    let mut resource = Resource::feed(gzip(ATOM.as_bytes())).header("content-encoding", "gzip");
    resource.content_type = "application/atom+xml".into();
    server.set("/gz.atom", resource);
    let id = sandbox.add_feed("Gz", &server.url("/gz.atom"));

    sandbox.poll(&[]);

    let fetch = sandbox.last_fetch(id);
    assert_eq!(fetch.http_status, Some(200));
    assert_eq!(
        fetch.bytes,
        Some(ATOM.len() as i64),
        "counted after decompression"
    );
    assert_fetched_normally(&sandbox, &server, other, 1);
}

#[test]
fn bodies_pass_through_untouched_bom_and_invalid_utf8_included() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(ATOM.as_bytes());
    // Latin-1 bytes in a document that claims UTF-8: the parser's problem, not fetch's.
    let mut invalid = ATOM.as_bytes().to_vec();
    invalid.extend_from_slice(b"<!-- caf\xE9 \xFF\xFE -->\n");
    server.set("/bom.atom", Resource::feed(bom.clone()));
    server.set("/latin1.atom", Resource::feed(invalid.clone()));
    let bom_id = sandbox.add_feed("Bom", &server.url("/bom.atom"));
    let bad_id = sandbox.add_feed("Latin", &server.url("/latin1.atom"));

    sandbox.poll(&[]);

    for (id, body) in [(bom_id, &bom), (bad_id, &invalid)] {
        let fetch = sandbox.last_fetch(id);
        assert_eq!(fetch.http_status, Some(200));
        assert_eq!(fetch.bytes, Some(body.len() as i64));
        assert_ne!(fetch.outcome, "not_a_feed");
    }
    assert_fetched_normally(&sandbox, &server, other, 1);

    // And byte for byte, through the library.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let fetcher = Fetcher::new(FetchConfig::default()).unwrap();
    for (path, body) in [("/bom.atom", &bom), ("/latin1.atom", &invalid)] {
        let got = runtime
            .block_on(fetcher.fetch(&server.url(path), &Validators::default()))
            .unwrap();
        match got {
            Fetched::Modified { body: got, .. } => assert_eq!(&got, body, "{path}"),
            other => panic!("{path}: {other:?}"),
        }
    }
}

#[test]
fn feeds_check_ignores_validators_and_really_downloads() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let resource = Resource::feed(ATOM);
    let etag = resource.etag.clone().unwrap();
    server.set("/zoom.atom", resource);
    let id = sandbox.add_feed("Zoom", &server.url("/zoom.atom"));
    store_validators(
        &sandbox,
        id,
        Some(&etag),
        Some("Mon, 20 Oct 2025 07:00:00 GMT"),
    );

    let out = sandbox.run(&["feeds", "check", &id.to_string()]);

    let seen = server.seen("/zoom.atom");
    assert_eq!(seen.len(), 1);
    assert!(seen[0].headers.get("if-none-match").is_none());
    assert!(seen[0].headers.get("if-modified-since").is_none());
    assert_eq!(sandbox.last_fetch(id).http_status, Some(200));
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!(
            "Zoom ({}): HTTP 200, {} bytes in ",
            server.url("/zoom.atom"),
            ATOM.len()
        )),
        "{text}"
    );
}
