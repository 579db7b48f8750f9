//! Failures: what each kind stores, how the feed backs off, and that the other feeds of the
//! same cycle are fetched normally all the same.

mod common;

use common::*;
use std::io::Write;
use std::time::{Duration, Instant};

fn assert_near(got: i64, want: i64, slack: i64) {
    assert!(
        (got - want).abs() <= slack,
        "got {got}, want {want} ± {slack}"
    );
}

#[test]
fn a_429_with_retry_after_seconds_is_not_asked_again_before_then() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    server.set(
        "/busy.atom",
        Resource::plain(429, "text/plain", "slow down").header("retry-after", "7200"),
    );
    let id = sandbox.add_feed("Busy", &server.url("/busy.atom"));

    let out = sandbox.poll(&[]);
    assert_eq!(out.status.code(), Some(2), "some feeds failed");

    let fetch = sandbox.last_fetch(id);
    assert_eq!(
        (fetch.outcome.as_str(), fetch.http_status),
        ("http_error", Some(429))
    );
    assert!(fetch.error.unwrap().contains("429"));
    let feed = sandbox.feed(id);
    assert_eq!(feed.consecutive_failures, 1);
    assert_near(sandbox.seconds_until_next(id), 7200, 10);
    assert_fetched_normally(&sandbox, &server, other, 1);

    // Backoff binds poll: an immediate second poll leaves it alone.
    sandbox.poll(&[]);
    assert_eq!(server.seen("/busy.atom").len(), 1);
}

#[test]
fn a_429_with_retry_after_as_a_date_is_honoured() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    let when = chrono::Utc::now() + chrono::Duration::hours(3);
    let date = when.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    server.set(
        "/busy.atom",
        Resource::plain(429, "text/plain", "slow down").header("retry-after", &date),
    );
    let id = sandbox.add_feed("Busy", &server.url("/busy.atom"));

    sandbox.poll(&[]);

    assert_eq!(sandbox.last_fetch(id).http_status, Some(429));
    assert_near(sandbox.seconds_until_next(id), 3 * 3600, 10);
    assert_fetched_normally(&sandbox, &server, other, 1);
}

#[test]
fn a_503_backs_off_and_recovery_resets_the_failures() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    server.set(
        "/flaky.atom",
        Resource::plain(503, "text/html", "<h1>Service Unavailable</h1>"),
    );
    let id = sandbox.add_feed("Flaky", &server.url("/flaky.atom"));

    sandbox.poll(&[]);
    let feed = sandbox.feed(id);
    assert_eq!(feed.consecutive_failures, 1);
    assert_eq!(feed.last_http_status, Some(503));
    assert!(feed.failing_since.is_some());
    // 2 minutes ± 20 % jitter.
    assert_near(sandbox.seconds_until_next(id), 120, 25);

    sandbox.make_due();
    sandbox.poll(&[]);
    assert_eq!(sandbox.feed(id).consecutive_failures, 2);
    assert_near(sandbox.seconds_until_next(id), 240, 49);

    // The server is back; the feed had been fetched before, so it answers 304.
    let resource = Resource::feed(ATOM);
    sandbox
        .sql()
        .execute(
            "UPDATE feeds SET etag = ?2 WHERE id = ?1",
            rusqlite::params![id, resource.etag],
        )
        .unwrap();
    server.set("/flaky.atom", resource);
    sandbox.make_due();
    sandbox.poll(&[]);
    let feed = sandbox.feed(id);
    assert_eq!(feed.last_http_status, Some(304));
    assert_eq!(feed.consecutive_failures, 0);
    assert_eq!(feed.last_error, None);
    assert_eq!(feed.next_fetch_at, None);
    assert_eq!(feed.failing_since, None);
    let outcomes: Vec<String> = sandbox.fetches(id).into_iter().map(|f| f.outcome).collect();
    // The recovering 304 is in the health columns above, not in the log.
    assert_eq!(outcomes, ["http_error", "http_error"]);
    assert_fetched_normally(&sandbox, &server, other, 3);
}

#[test]
fn a_server_that_accepts_and_never_answers_times_out() {
    let server = FeedServer::start();
    let silent = SilentServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    let id = sandbox.add_feed("Hung", &silent.url("/feed.atom"));

    let clock = Instant::now();
    sandbox.poll(&["--timeout", "1s"]);
    assert!(
        clock.elapsed() < Duration::from_secs(5),
        "took {:?}",
        clock.elapsed()
    );

    let fetch = sandbox.last_fetch(id);
    assert_eq!(fetch.outcome, "timeout");
    assert_eq!(fetch.http_status, None);
    assert!(
        fetch
            .error
            .as_deref()
            .unwrap()
            .contains("timed out after 1 s"),
        "{fetch:?}"
    );
    assert!((900..3000).contains(&fetch.duration_ms), "{fetch:?}");
    assert!(sandbox.feed(id).next_fetch_at.is_some());
    assert_fetched_normally(&sandbox, &server, other, 1);
}

#[test]
fn a_slow_drip_body_is_cut_off_at_the_whole_request_timeout() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    server.set(
        "/drip.atom",
        Resource::feed(ATOM).dripping(Duration::from_millis(100)),
    );
    let id = sandbox.add_feed("Drip", &server.url("/drip.atom"));

    let clock = Instant::now();
    sandbox.poll(&["--timeout", "1s"]);
    assert!(
        clock.elapsed() < Duration::from_secs(5),
        "took {:?}",
        clock.elapsed()
    );

    let fetch = sandbox.last_fetch(id);
    assert_eq!(fetch.outcome, "timeout", "{fetch:?}");
    assert!(fetch
        .error
        .unwrap()
        .contains("waiting for the whole answer"));
    assert_eq!(sandbox.feed(id).consecutive_failures, 1);
    assert_fetched_normally(&sandbox, &server, other, 1);
}

#[test]
fn a_body_over_the_cap_is_refused() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    let huge = format!("{}<!-- {} -->", ATOM, "x".repeat(300 * 1024));
    server.set("/huge.atom", Resource::feed(huge));
    let id = sandbox.add_feed("Huge", &server.url("/huge.atom"));

    sandbox.poll(&["--max-body-size", "100KB"]);

    let fetch = sandbox.last_fetch(id);
    assert_eq!(fetch.outcome, "too_large");
    assert_eq!(fetch.bytes, None);
    assert!(fetch.error.unwrap().contains("102400-byte limit"));
    assert!(sandbox.feed(id).next_fetch_at.is_some());
    assert_fetched_normally(&sandbox, &server, other, 1);
}

#[test]
fn a_gzip_bomb_is_cut_off_after_decompression() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..32 {
        encoder.write_all(&zeros).unwrap();
    }
    let bomb = encoder.finish().unwrap();
    assert!(
        bomb.len() < 1024 * 1024,
        "the bomb itself is small: {}",
        bomb.len()
    );
    let resource =
        Resource::plain(200, "application/atom+xml", bomb).header("content-encoding", "gzip");
    server.set("/bomb.atom", resource);
    let id = sandbox.add_feed("Bomb", &server.url("/bomb.atom"));

    sandbox.poll(&["--max-body-size", "1MB"]);

    let fetch = sandbox.last_fetch(id);
    assert_eq!(fetch.outcome, "too_large", "{fetch:?}");
    assert_fetched_normally(&sandbox, &server, other, 1);
}

#[test]
fn connection_refused_is_recorded_in_words() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    let id = sandbox.add_feed("Closed", &refused_url("/feed.atom"));

    sandbox.poll(&[]);

    let fetch = sandbox.last_fetch(id);
    assert_eq!(fetch.outcome, "connect_error");
    assert_eq!(fetch.http_status, None);
    let error = fetch.error.unwrap();
    assert!(
        error.to_lowercase().contains("connection refused"),
        "{error}"
    );
    assert!(error.contains("127.0.0.1:"), "names where: {error}");
    let feed = sandbox.feed(id);
    assert_eq!(feed.consecutive_failures, 1);
    assert_eq!(feed.last_error.as_deref(), Some(error.as_str()));
    assert_fetched_normally(&sandbox, &server, other, 1);
}

#[test]
fn an_html_page_answered_with_200_is_a_failure_not_an_empty_feed() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    let login = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form>...</form></body></html>";
    server.set(
        "/wall.atom",
        Resource::plain(200, "text/html; charset=utf-8", login),
    );
    let id = sandbox.add_feed("Walled", &server.url("/wall.atom"));

    sandbox.poll(&[]);

    let fetch = sandbox.last_fetch(id);
    assert_eq!(
        (fetch.outcome.as_str(), fetch.http_status),
        ("not_a_feed", Some(200))
    );
    assert!(fetch
        .error
        .unwrap()
        .contains("HTML page, not an RSS or Atom feed"));
    assert_eq!(sandbox.feed(id).consecutive_failures, 1);
    assert_fetched_normally(&sandbox, &server, other, 1);
}

#[test]
fn a_feed_gone_for_days_is_flagged_and_tried_daily() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    server.set("/gone.atom", Resource::plain(410, "text/plain", "gone"));
    let id = sandbox.add_feed("Gone", &server.url("/gone.atom"));

    sandbox.poll(&[]);
    let feed = sandbox.feed(id);
    assert!(feed.gone_since.is_some());
    let health: String = sandbox
        .sql()
        .query_row("SELECT health FROM feed_health WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(health, "gone");
    assert_near(sandbox.seconds_until_next(id), 120, 25);

    // Four days later it is still gone: from now on it is asked once a day.
    sandbox
        .sql()
        .execute(
            "UPDATE feeds SET gone_since = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-4 days') WHERE id = ?1",
            [id],
        )
        .unwrap();
    sandbox.make_due();
    sandbox.poll(&[]);
    assert_near(sandbox.seconds_until_next(id), 86_400, 10);
    let list = stdout(&sandbox.run(&["feeds", "list"]));
    assert!(
        list.lines()
            .any(|l| l.contains("Gone") && l.contains("gone since")),
        "{list}"
    );
    assert_fetched_normally(&sandbox, &server, other, 2);
}
