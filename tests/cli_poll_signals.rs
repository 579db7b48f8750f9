//! SIGTERM (or SIGINT) during `poll` stops it the way it stops `run`: no new fetches, those in
//! flight get `--grace-secs` to finish and be stored, the summary is printed and the exit code
//! is what the finished feeds earned. Each test runs the real binary over feeds on 127.0.0.1,
//! one server slow, and signals it mid-cycle.

mod common;
use common::{stderr, stdout, FeedServer, Resource, Sandbox, ATOM};
use std::time::{Duration, Instant};

fn signal(child: &std::process::Child, sig: i32) {
    let rc = unsafe { libc::kill(child.id() as i32, sig) };
    assert_eq!(rc, 0, "kill failed");
}

/// Waits until `ready` holds (the child is mid-cycle), at most 20 s.
fn wait_until(what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Three fast feeds on one server, `slow` feeds on another whose answers take `delay`.
fn feeds(slow: usize, delay: Duration) -> (FeedServer, FeedServer, Sandbox, Vec<i64>) {
    let fast_server = FeedServer::start();
    let slow_server = FeedServer::start();
    slow_server.set_delay(delay);
    let sandbox = Sandbox::new();
    let mut fast = Vec::new();
    for i in 0..3 {
        let path = format!("/fast{i}.atom");
        fast_server.set(&path, Resource::feed(ATOM));
        fast.push(sandbox.add_feed(&format!("Fast{i}"), &fast_server.url(&path)));
    }
    for i in 0..slow {
        let path = format!("/slow{i}.atom");
        slow_server.set(&path, Resource::feed(ATOM));
        sandbox.add_feed(&format!("Slow{i}"), &slow_server.url(&path));
    }
    (fast_server, slow_server, sandbox, fast)
}

fn slow_seen(server: &FeedServer, slow: usize) -> usize {
    (0..slow)
        .map(|i| server.seen(&format!("/slow{i}.atom")).len())
        .sum()
}

/// Polls with `extra` flags, signals `sig` once the slow server is answering and the fast
/// feeds are stored, and returns the output.
fn poll_and_signal(
    sandbox: &Sandbox,
    slow_server: &FeedServer,
    slow: usize,
    sig: i32,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec!["poll", "--format", "json", "--connect-timeout", "1s"];
    args.extend_from_slice(extra);
    let child = sandbox.spawn(&args);
    wait_until("the slow fetch and the fast feeds' rows", || {
        slow_seen(slow_server, slow) > 0
            && sandbox.count("SELECT count(*) FROM fetches f JOIN feeds d ON d.id = f.feed_id WHERE d.title LIKE 'Fast%'") == 3
    });
    signal(&child, sig);
    child.wait_with_output().unwrap()
}

fn assert_sound(sandbox: &Sandbox) {
    assert_eq!(
        sandbox.strings("PRAGMA integrity_check"),
        vec!["ok".to_string()]
    );
    assert_eq!(
        sandbox.count("SELECT count(*) FROM pragma_foreign_key_check"),
        0
    );
}

#[test]
fn sigterm_lets_the_fetch_in_flight_finish_and_stores_it() {
    // Regression: SIGTERM killed `poll` with 143, no summary.
    let (_fast, slow_server, sandbox, _) = feeds(1, Duration::from_millis(1500));
    let out = poll_and_signal(&sandbox, &slow_server, 1, libc::SIGTERM, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary = common::summary(&out);
    assert_eq!(summary["fetched"], 4, "{}", stdout(&out));
    assert_eq!(summary["not_started"], 0);
    assert_eq!(summary["abandoned"], 0);
    assert!(
        stderr(&out).contains("Stopping: no new fetches"),
        "{}",
        stderr(&out)
    );
    assert_eq!(sandbox.count("SELECT count(*) FROM fetches"), 4);
    assert_eq!(
        sandbox.count("SELECT count(DISTINCT feed_id) FROM entries"),
        4
    );
    assert_sound(&sandbox);
}

#[test]
fn sigint_starts_no_feed_still_waiting_for_its_slot() {
    // One fetch at a time to the slow host: two of its three feeds are still waiting.
    let (_fast, slow_server, sandbox, fast) = feeds(3, Duration::from_millis(1500));
    let out = poll_and_signal(
        &sandbox,
        &slow_server,
        3,
        libc::SIGINT,
        &["--per-host", "1"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary = common::summary(&out);
    assert_eq!(summary["fetched"], 4, "{}", stdout(&out));
    assert_eq!(summary["not_started"], 2);
    assert!(
        stderr(&out).contains("Stopped by a signal: 2 feeds not started, 0 abandoned"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        slow_seen(&slow_server, 3),
        1,
        "no new fetch after the signal"
    );
    for id in fast {
        assert_eq!(sandbox.last_fetch(id).outcome, "ok");
    }
    assert_eq!(sandbox.count("SELECT count(*) FROM fetches"), 4);
    // The two never started stay due: nothing was written for them.
    assert_eq!(
        sandbox.count("SELECT count(*) FROM feeds WHERE id NOT IN (SELECT feed_id FROM fetches)"),
        2
    );
    assert_sound(&sandbox);
}

#[test]
fn a_fetch_outlasting_the_grace_period_is_abandoned_whole() {
    let (_fast, slow_server, sandbox, _) = feeds(1, Duration::from_secs(6));
    let started = Instant::now();
    let out = poll_and_signal(
        &sandbox,
        &slow_server,
        1,
        libc::SIGTERM,
        &["--grace-secs", "1"],
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the grace period bounds the stop"
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary = common::summary(&out);
    assert_eq!(summary["fetched"], 3, "{}", stdout(&out));
    assert_eq!(summary["abandoned"], 1);
    assert_eq!(sandbox.count("SELECT count(*) FROM fetches"), 3);
    assert_eq!(
        sandbox.count("SELECT count(DISTINCT feed_id) FROM entries"),
        3
    );
    assert_sound(&sandbox);
}
