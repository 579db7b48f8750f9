//! Feed health made visible: `feed_failing` / `feed_recovered` events, one `network_down`
//! instead of a storm when our side is the problem, per-host limits, `feeds check`, the
//! fetch log pruned by age.

mod common;

use common::*;
use std::time::Duration;

#[test]
fn a_feed_failing_for_long_raises_feed_failing_once_then_feed_recovered() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    server.set("/flaky.atom", Resource::plain(500, "text/plain", "oops"));
    let id = sandbox.add_feed("Flaky", &server.url("/flaky.atom"));

    sandbox.poll(&[]);
    assert!(sandbox.event_kinds().is_empty(), "one failure is not news");

    // It has been failing for two hours now.
    sandbox
        .sql()
        .execute(
            "UPDATE feeds SET failing_since = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-2 hours') WHERE id = ?1",
            [id],
        )
        .unwrap();
    for _ in 0..2 {
        sandbox.make_due();
        sandbox.poll(&["--failing-after", "1h"]);
    }
    assert_eq!(sandbox.event_kinds(), ["feed_failing"], "once per streak");
    let (feed_id, payload): (i64, String) = sandbox
        .sql()
        .query_row(
            "SELECT feed_id, payload FROM events WHERE kind = 'feed_failing'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(feed_id, id);
    let payload: serde_json::Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(payload["error"], "HTTP 500 Internal Server Error");
    assert_eq!(payload["failures"], 2);

    // Back: a 304 for a feed fetched before.
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
    assert_eq!(sandbox.event_kinds(), ["feed_failing", "feed_recovered"]);
    assert_eq!(
        sandbox.count(&format!(
            "SELECT count(*) FROM service_state WHERE feed_id = {id}"
        )),
        0,
        "no vendor state touched by failures or a 304"
    );
    assert_fetched_normally(&sandbox, &server, other, 4);
}

#[test]
fn when_most_feeds_cannot_connect_one_network_down_event_and_no_backoff() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    let dark: Vec<i64> = (0..5)
        .map(|i| sandbox.add_feed(&format!("Dark{i}"), &refused_url("/feed.atom")))
        .collect();

    let out = sandbox.poll(&["--failing-after", "0s"]);
    let first = summary(&out);
    assert_eq!(first["network_down"], true);
    assert!(first["errors"].as_u64().unwrap() >= 5);
    assert!(
        stderr(&out).contains("network looks down"),
        "{}",
        stderr(&out)
    );

    // (The bystander's own health is its own business.)
    assert_eq!(
        sandbox.count(&format!(
            "SELECT count(*) FROM events WHERE feed_id != {other}"
        )),
        0,
        "no storm of feed_failing"
    );
    assert_eq!(
        sandbox.count("SELECT count(*) FROM events WHERE kind = 'network_down'"),
        1
    );
    for id in &dark {
        let feed = sandbox.feed(*id);
        assert_eq!(feed.consecutive_failures, 0, "not held against the feed");
        assert_eq!(
            feed.next_fetch_at, None,
            "no backoff: tried again next cycle"
        );
        assert_eq!(feed.failing_since, None);
        let fetch = sandbox.last_fetch(*id);
        assert_eq!(fetch.outcome, "connect_error");
        assert!(fetch.error.unwrap().contains("network down"));
    }
    let dark_ids = dark
        .iter()
        .map(|id| id.to_string())
        .collect::<Vec<_>>()
        .join(",");
    assert_eq!(
        sandbox.count(&format!(
            "SELECT count(*) FROM service_state WHERE feed_id IN ({dark_ids})"
        )),
        0,
        "no vendor state touched"
    );
    assert_fetched_normally(&sandbox, &server, other, 1);

    // Still down next cycle, nothing reachable: the same outage raises nothing new.
    sandbox
        .sql()
        .execute("UPDATE feeds SET enabled = 0 WHERE id = ?1", [other])
        .unwrap();
    let out = sandbox.poll(&["--failing-after", "0s"]);
    assert_eq!(summary(&out)["network_down"], true);
    assert_eq!(
        sandbox.count("SELECT count(*) FROM events WHERE kind = 'network_down'"),
        1
    );
    assert_eq!(
        sandbox.count(&format!(
            "SELECT count(*) FROM events WHERE feed_id != {other}"
        )),
        0
    );
    assert_eq!(sandbox.fetches(dark[0]).len(), 2);
}

#[test]
fn a_few_unreachable_feeds_are_their_own_problem() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    for i in 0..3 {
        server.set(&format!("/ok{i}.atom"), Resource::feed(ATOM));
        sandbox.add_feed(&format!("Fine{i}"), &server.url(&format!("/ok{i}.atom")));
    }
    let dark = sandbox.add_feed("Dark", &refused_url("/feed.atom"));

    let out = sandbox.poll(&["--failing-after", "0s"]);

    assert_eq!(summary(&out)["network_down"], false);
    let feed = sandbox.feed(dark);
    assert_eq!(feed.consecutive_failures, 1);
    assert!(feed.next_fetch_at.is_some());
    assert!(sandbox.event_kinds().contains(&"feed_failing".to_string()));
    assert!(!sandbox.event_kinds().contains(&"network_down".to_string()));
    assert_fetched_normally(&sandbox, &server, other, 1);
}

#[test]
fn one_host_never_gets_more_than_its_share_of_connections() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    for i in 0..6 {
        let path = format!("/slow{i}.atom");
        server.set(
            &path,
            Resource::feed(ATOM).delayed(Duration::from_millis(150)),
        );
        sandbox.add_feed(&format!("Slow{i}"), &server.url(&path));
    }

    let out = sandbox.poll(&["--per-host", "2", "--concurrency", "16"]);

    assert_eq!(summary(&out)["feeds"], 6);
    assert_eq!(server.peak_in_flight(), 2);
}

#[test]
fn feeds_check_overrides_backoff_and_says_what_happened() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    let dark_url = refused_url("/feed.atom");
    let dark = sandbox.add_feed("Dark", &dark_url);
    sandbox.poll(&[]);
    assert!(sandbox.feed(dark).next_fetch_at.is_some());
    sandbox
        .sql()
        .execute(
            "UPDATE feeds SET next_fetch_at = '2999-01-01T00:00:00Z'",
            [],
        )
        .unwrap();

    // poll respects backoff, even when asked for the feed by name...
    let out = sandbox.poll(&["--feed", &dark.to_string()]);
    assert!(
        stderr(&out).contains("backing off until 2999-01-01T00:00:00Z"),
        "{}",
        stderr(&out)
    );
    assert_eq!(sandbox.fetches(dark).len(), 1);

    // ...feeds check does not.
    let out = sandbox.run(&[
        "feeds",
        "check",
        "--connect-timeout",
        "1s",
        "--timeout",
        "2s",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with(&format!(
            "Bystander ({}): HTTP 200, {} bytes in ",
            server.url("/bystander.atom"),
            ATOM.len()
        )),
        "{text}"
    );
    assert!(
        lines[1].starts_with(&format!("Dark ({dark_url}) failed: cannot connect: ")),
        "{text}"
    );
    assert!(
        lines[1].to_lowercase().contains("connection refused"),
        "{text}"
    );
    assert!(lines[1].contains("; next attempt at 20"), "{text}");
    assert_eq!(sandbox.fetches(dark).len(), 2, "stored like a poll");
    assert_fetched_normally(&sandbox, &server, other, 2);

    // One feed by id or URL.
    let out = sandbox.run(&["feeds", "check", &dark_url, "--connect-timeout", "1s"]);
    assert_eq!(stdout(&out).lines().count(), 1);
    assert_eq!(sandbox.fetches(dark).len(), 3);
}

#[test]
fn feeds_list_shows_failures_errors_and_next_attempt() {
    let sandbox = Sandbox::new();
    let dark = sandbox.add_feed("Dark", &refused_url("/feed.atom"));
    sandbox.poll(&[]);

    let out = sandbox.run(&["feeds", "list", "--format", "json"]);
    let row: serde_json::Value =
        serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
    assert_eq!(row["id"], dark);
    assert!(
        row["health"].as_str().unwrap().starts_with("failing ×1"),
        "{row}"
    );
    assert_eq!(row["consecutive_failures"], 1);
    assert!(row["last_error"]
        .as_str()
        .unwrap()
        .contains("cannot connect"));
    assert!(row["next_fetch_at"].is_string());
    let table = stdout(&sandbox.run(&["feeds", "list"]));
    for column in [
        "HEALTH",
        "LAST SUCCESS",
        "FAILURES",
        "LAST ERROR",
        "NEXT ATTEMPT",
    ] {
        assert!(table.contains(column), "{table}");
    }
}

#[test]
fn poll_prunes_the_fetch_log_by_age() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    sandbox
        .sql()
        .execute(
            "INSERT INTO fetches (feed_id, started_at, duration_ms, outcome)
             VALUES (?1, '2020-01-01T00:00:00Z', 5, 'ok'), (?1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-5 days'), 5, 'ok')",
            [other],
        )
        .unwrap();

    sandbox.poll(&["--keep-fetches-days", "7"]);

    assert_eq!(
        sandbox.count("SELECT count(*) FROM fetches WHERE started_at < '2021-01-01'"),
        0
    );
    assert_eq!(
        sandbox.count("SELECT count(*) FROM fetches"),
        2,
        "the recent one and this cycle's"
    );
}

/// Starts `poll`, waits until `server` has seen a request for `path` (so the poll has read
/// its feed list and every fetch is under way), removes `feeds`, and returns the poll's output.
fn poll_removing(
    sandbox: &Sandbox,
    server: &FeedServer,
    path: &str,
    feeds: &[i64],
) -> std::process::Output {
    let mut args = vec!["poll", "--format", "json"];
    args.extend_from_slice(FAST);
    let poll = sandbox.spawn(&args);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server.seen(path).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    for id in feeds {
        let out = sandbox.run(&["feeds", "remove", &id.to_string(), "--yes"]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    poll.wait_with_output().unwrap()
}

#[test]
fn feeds_removed_while_their_fetch_fails_or_hangs_are_skipped() {
    let server = FeedServer::start();
    let silent = SilentServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    server.set(
        "/broken.atom",
        Resource::plain(500, "text/plain", "oops").delayed(Duration::from_millis(500)),
    );
    let broken = sandbox.add_feed("Broken", &server.url("/broken.atom"));
    let hung: Vec<i64> = (0..2)
        .map(|i| sandbox.add_feed(&format!("Hung{i}"), &silent.url(&format!("/{i}.atom"))))
        .collect();

    let out = poll_removing(&sandbox, &server, "/broken.atom", &[broken, hung[0]]);
    // Hung1 still timed out and failed; the removed two are in no total and left no row.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let s = summary(&out);
    assert_eq!(
        (s["feeds"].as_i64(), s["errors"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        sandbox.fetches(broken).len() + sandbox.fetches(hung[0]).len(),
        0
    );
    assert_eq!(sandbox.last_fetch(hung[1]).outcome, "timeout");
    assert_fetched_normally(&sandbox, &server, other, 1);
}

#[test]
fn a_feed_removed_while_the_network_is_down_is_skipped() {
    let server = FeedServer::start();
    let silent = SilentServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    server.set_path_delay("/bystander.atom", Duration::from_millis(300));
    let hung: Vec<i64> = (0..5)
        .map(|i| sandbox.add_feed(&format!("Hung{i}"), &silent.url(&format!("/{i}.atom"))))
        .collect();

    let out = poll_removing(&sandbox, &server, "/bystander.atom", &[hung[0]]);
    let s = summary(&out);
    assert_eq!(s["network_down"], true, "{}", stderr(&out));
    assert_eq!(sandbox.fetches(hung[0]).len(), 0);
    for id in &hung[1..] {
        assert!(sandbox
            .last_fetch(*id)
            .error
            .unwrap()
            .contains("network down"));
    }
    assert_eq!(
        sandbox.count("SELECT count(*) FROM events WHERE kind = 'network_down'"),
        1
    );
    assert_fetched_normally(&sandbox, &server, other, 1);
}
