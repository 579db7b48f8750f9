//! The daemon (`statuswatch run`) as a real child process, driven by real signals, against a
//! real server on 127.0.0.1.

mod common;
use chrono::{DateTime, Timelike, Utc};
use common::receiver::{hook, Receiver};
use common::{
    assert_events_match_state, opml, read_line_within, statuspage_atom, FeedServer, GenIncident,
    Resource, Sandbox,
};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn feed_doc(n: usize) -> Vec<u8> {
    statuspage_atom(
        &format!("status.v{n}.example"),
        &[GenIncident {
            id: format!("{n}1"),
            title: "API errors".into(),
            updates: vec![(
                "2026-03-01T08:00:00Z".into(),
                "Investigating".into(),
                "Elevated error rates.".into(),
            )],
        }],
    )
    .into_bytes()
}

fn setup(paths: &[&str]) -> (FeedServer, Sandbox) {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let mut list = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        server.set(path, Resource::feed(feed_doc(i)));
        list.push((format!("Vendor {i}"), format!("v{i}"), server.url(path)));
    }
    let feeds: Vec<(&str, &str, &str, String)> = list
        .iter()
        .map(|(t, v, u)| (t.as_str(), v.as_str(), "statuspage", u.clone()))
        .collect();
    let file = sandbox.write("feeds.opml", &opml(&feeds));
    assert!(sandbox
        .run(&["feeds", "import", file.to_str().unwrap()])
        .status
        .success());
    (server, sandbox)
}

fn start(sandbox: &Sandbox, extra: &[&str]) -> Child {
    let mut args = vec!["--schedule", "* * * * * *"];
    args.extend_from_slice(extra);
    start_plain(sandbox, &args)
}

/// The daemon with no schedule flag (the configuration decides).
fn start_plain(sandbox: &Sandbox, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_statuswatch"))
        .args(["run", "--max-jitter-ms", "0"])
        .args(extra)
        .env("STATUSWATCH_DB", sandbox.db())
        .env_remove("STATUSWATCH_CONFIG")
        .env("XDG_CONFIG_HOME", sandbox.dir.path().join("xdg"))
        .env("RUST_LOG", "info")
        .current_dir(sandbox.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn signal(child: &Child, sig: i32) {
    let rc = unsafe { libc::kill(child.id() as i32, sig) };
    assert_eq!(rc, 0);
}

/// Waits for the child to exit, at most `limit`; returns its code and stderr and how long it took.
fn wait(mut child: Child, limit: Duration) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            return (
                status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
                started.elapsed(),
            );
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the daemon did not exit within {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn feeds_are_fetched_on_schedule_and_a_slow_one_delays_no_other() {
    let (server, sandbox) = setup(&["/a.atom", "/b.atom", "/slow.atom"]);
    server.set_path_delay("/slow.atom", Duration::from_millis(2500));
    let child = start(&sandbox, &[]);
    std::thread::sleep(Duration::from_millis(4300));
    signal(&child, libc::SIGTERM);
    let (code, stderr, _) = wait(child, Duration::from_secs(8));
    assert_eq!(code, Some(0), "{stderr}");
    for path in ["/a.atom", "/b.atom"] {
        let seen = server.seen(path);
        assert!(
            seen.len() >= 3,
            "{path} fetched {} times in 4 s: {stderr}",
            seen.len()
        );
        for pair in seen.windows(2) {
            let gap = pair[1].at - pair[0].at;
            assert!(
                gap >= Duration::from_millis(500),
                "{path}: two fetches {gap:?} apart, not one per slot"
            );
        }
    }
    // The slow feed is never fetched twice at once: slots that come while it runs are skipped.
    let slow = server.seen("/slow.atom");
    assert!(
        (1..=2).contains(&slow.len()),
        "slow feed fetched {} times",
        slow.len()
    );
    assert!(stderr.contains("still being fetched"), "{stderr}");
    assert!(stderr.contains("Daemon started."), "{stderr}");
    // Every fetch the server answered with the document is in the log (those without our
    // validators); the others were 304s, recorded in the feed's health columns instead.
    let seen = server.seen("/a.atom");
    let full = seen
        .iter()
        .filter(|r| r.headers.get("if-none-match").is_none())
        .count();
    assert_eq!(
        sandbox.count("SELECT count(*) FROM fetches WHERE feed_id = 1"),
        full as i64
    );
    // Each slot uses what the slot before it stored: only the very first fetch goes without
    // the feed's validators.
    assert_eq!(full, 1, "fetches without validators");
    if seen.len() > 1 {
        assert_eq!(sandbox.feed(1).last_http_status, Some(304));
    }
}

#[test]
fn sigterm_mid_cycle_exits_zero_within_the_grace_with_a_consistent_database() {
    let (server, sandbox) = setup(&["/a.atom", "/b.atom"]);
    server.set_path_delay("/b.atom", Duration::from_millis(1500));
    let child = start(&sandbox, &["--grace-secs", "5"]);
    // Wait until the slow fetch is in flight.
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.seen("/b.atom").is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(&child, libc::SIGTERM);
    let (code, stderr, took) = wait(child, Duration::from_secs(10));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(took < Duration::from_secs(5), "exit took {took:?}");
    assert!(stderr.contains("Shutting down"), "{stderr}");
    // The in-flight fetch was finished, not cut: its row is there.
    assert!(sandbox.count("SELECT count(*) FROM fetches WHERE feed_id = 2") >= 1);
    assert_events_match_state(&sandbox.sql());
}

#[test]
fn a_second_signal_exits_at_once() {
    let (server, sandbox) = setup(&["/a.atom"]);
    server.set_path_delay("/a.atom", Duration::from_secs(20));
    let child = start(&sandbox, &["--grace-secs", "30"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.seen("/a.atom").is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(&child, libc::SIGINT);
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, libc::SIGINT);
    let (code, stderr, took) = wait(child, Duration::from_secs(5));
    assert_eq!(code, Some(130), "{stderr}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_eq!(
        sandbox
            .sql()
            .query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))
            .unwrap(),
        "ok"
    );
}

#[test]
fn a_second_daemon_on_the_same_database_is_refused() {
    let (_server, sandbox) = setup(&["/a.atom"]);
    let first = start(&sandbox, &[]);
    std::thread::sleep(Duration::from_millis(500));
    let second = sandbox.run(&["run"]);
    assert_eq!(second.status.code(), Some(1));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains("another `statuswatch run` is already using"),
        "{err}"
    );
    assert!(
        err.contains(&first.id().to_string()),
        "names the holder's pid: {err}"
    );
    signal(&first, libc::SIGTERM);
    assert_eq!(wait(first, Duration::from_secs(8)).0, Some(0));
}

#[test]
fn a_feed_added_while_running_is_picked_up_on_the_next_tick() {
    let (server, sandbox) = setup(&["/a.atom"]);
    server.set("/new.atom", Resource::feed(feed_doc(9)));
    let child = start(&sandbox, &[]);
    std::thread::sleep(Duration::from_millis(1200));
    assert!(server.seen("/new.atom").is_empty());
    let added = sandbox.run(&[
        "feeds",
        "add",
        &server.url("/new.atom"),
        "--vendor",
        "newcomer",
        // Unchecked, so the only fetch of it is the daemon's.
        "--no-check",
    ]);
    assert!(added.status.success());
    let deadline = Instant::now() + Duration::from_secs(4);
    while server.seen("/new.atom").is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !server.seen("/new.atom").is_empty(),
        "the new feed was never fetched"
    );
    signal(&child, libc::SIGTERM);
    assert_eq!(wait(child, Duration::from_secs(8)).0, Some(0));
}

#[test]
fn a_bad_schedule_is_refused_at_start_naming_the_field() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["run", "--schedule", "0 25 * * *"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("field 2 (hour) has 25"), "{err}");
}

/// Waits until `cond` holds, at most `limit`.
fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    cond()
}

#[test]
fn sighup_with_a_broken_config_keeps_the_old_one() {
    let (server, sandbox) = setup(&["/a.atom"]);
    let config = sandbox.write("statuswatch.toml", "schedule = \"* * * * * *\"\n");
    let child = start_plain(&sandbox, &["--config", config.to_str().unwrap()]);
    assert!(eventually(Duration::from_secs(4), || server
        .seen("/a.atom")
        .len()
        >= 2));

    std::fs::write(&config, "schedule = \"* * * * * *\"\nshedule = \"typo\"\n").unwrap();
    signal(&child, libc::SIGHUP);
    let before = server.seen("/a.atom").len();
    assert!(
        eventually(Duration::from_secs(4), || server.seen("/a.atom").len()
            >= before + 2),
        "the daemon kept polling on the old configuration"
    );
    // A good configuration is taken, and the loop runs on its schedule: one slot a minute, a
    // few seconds from now, where the old one fired every second.
    let mut child = child;
    let log = log_lines(&mut child);
    let slot = (Utc::now() + chrono::Duration::seconds(5))
        .with_nanosecond(0)
        .unwrap();
    let expression = format!("{} * * * * *", slot.second());
    std::fs::write(&config, format!("schedule = \"{expression}\"\n")).unwrap();
    signal(&child, libc::SIGHUP);
    let mut lines = Vec::new();
    let reloaded = wait_for_line(&log, "Schedule reloaded.", &mut lines);
    assert!(
        reloaded.contains(&expression),
        "the loop got the new schedule: {reloaded}"
    );
    let clock = (Instant::now(), Utc::now());
    // A fetch the old schedule started just before the reload may still arrive; after that
    // second, none until the new slot, then the slot's one fetch and no other.
    let settled = clock.1 + chrono::Duration::seconds(1);
    assert!(
        eventually(slot_wait(slot), || server
            .seen("/a.atom")
            .iter()
            .any(|r| wall(clock, r.at) >= slot)),
        "the new schedule's slot {slot} never fetched"
    );
    let first = wall(clock, server.seen("/a.atom").last().unwrap().at);
    std::thread::sleep(Duration::from_millis(1500));
    let after: Vec<_> = server
        .seen("/a.atom")
        .iter()
        .map(|r| wall(clock, r.at))
        .filter(|at| *at >= settled)
        .collect();
    // 100 ms of slack for reading the two clocks at different moments.
    let early = slot - chrono::Duration::milliseconds(100);
    assert!(
        after.iter().all(|at| *at >= early),
        "fetched before the new slot {slot}, on the old schedule: {after:?}"
    );
    assert_eq!(
        after.len(),
        1,
        "one fetch in the new slot ({first}), then none a second later: {after:?}"
    );
    signal(&child, libc::SIGTERM);
    let (code, _, _) = wait(child, Duration::from_secs(8));
    lines.extend(log.iter());
    let stderr = lines.join("\n");
    assert_eq!(code, Some(0), "{stderr}");
    let rejected = stderr
        .lines()
        .find(|l| l.contains("New configuration rejected"))
        .unwrap_or_else(|| panic!("no rejection logged: {stderr}"));
    assert!(
        rejected.contains("line 2"),
        "the message names the line: {rejected}"
    );
    assert!(rejected.contains("shedule"), "and the key: {rejected}");
    assert!(stderr.contains("Configuration reloaded."), "{stderr}");
}

/// The child's stderr, line by line, as it writes it (its own thread reads the pipe).
fn log_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Reads log lines into `lines` until one contains `needle` (at most 10 s) and returns it.
fn wait_for_line(log: &mpsc::Receiver<String>, needle: &str, lines: &mut Vec<String>) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match log.recv_timeout(left) {
            Ok(line) => {
                lines.push(line.clone());
                if line.contains(needle) {
                    return line;
                }
            }
            Err(_) => panic!("no {needle:?} in the log:\n{}", lines.join("\n")),
        }
    }
}

/// The wall-clock time of `at`, given one moment read on both clocks.
fn wall(clock: (Instant, DateTime<Utc>), at: Instant) -> DateTime<Utc> {
    match at.checked_duration_since(clock.0) {
        Some(later) => clock.1 + chrono::Duration::from_std(later).unwrap(),
        None => clock.1 - chrono::Duration::from_std(clock.0 - at).unwrap(),
    }
}

/// How long to wait for a fetch in `slot`: until the slot, and 5 s more.
fn slot_wait(slot: DateTime<Utc>) -> Duration {
    (slot - Utc::now()).to_std().unwrap_or_default() + Duration::from_secs(5)
}

#[test]
fn run_delivers_webhooks_and_writes_events_to_stdout() {
    let (_server, sandbox) = setup(&["/a.atom"]);
    let receiver = Receiver::start();
    let config = sandbox.write("hooks.toml", &hook("ops", &receiver.url("/hook"), ""));
    let mut child = start(
        &sandbox,
        &["--config", config.to_str().unwrap(), "--events-stdout"],
    );
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let line = read_line_within(stdout, Duration::from_secs(10));
    let event: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["vendor"], "v0");
    assert_eq!(event["to_state"], "degraded");
    assert!(
        receiver.wait_for("/hook", 1, Duration::from_secs(5)),
        "the webhook got nothing"
    );
    let got = receiver.received("/hook");
    assert_eq!(got[0].id(), event["id"].as_str().unwrap());
    signal(&child, libc::SIGTERM);
    let (code, stderr, _) = wait(child, Duration::from_secs(8));
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(receiver.received("/hook").len(), 1, "delivered once");
}

#[test]
fn the_daemon_killed_mid_delivery_delivers_the_rest_after_a_restart() {
    use common::outbox::{event_ids, TestFeed};
    use statuswatch::model::Status;
    let sandbox = Sandbox::new();
    let receiver = Receiver::start();
    receiver.set_delay(Duration::from_millis(700));
    let config = sandbox.write(
        "hooks.toml",
        &hook(
            "ops",
            &receiver.url("/hook"),
            "[delivery]\ntimeout = \"5s\"\nfirst_retry = \"50ms\"\nmax_retry = \"100ms\"",
        ),
    );
    // Register the webhook first (a new webhook starts after the events that exist).
    let first = start_plain(
        &sandbox,
        &[
            "--config",
            config.to_str().unwrap(),
            "--schedule",
            "0 0 1 1 *",
        ],
    );
    std::thread::sleep(Duration::from_millis(800));
    let mut feed = TestFeed::new(&sandbox.db(), "aws", "cloud");
    feed.publish(&[("i1", Status::Outage, &[])]);
    feed.publish(&[("i1", Status::Resolved, &[])]);
    feed.publish(&[("i1", Status::Resolved, &[]), ("i2", Status::Degraded, &[])]);
    feed.publish(&[("i1", Status::Resolved, &[]), ("i2", Status::Resolved, &[])]);
    let ids = event_ids(&sandbox.db());
    assert_eq!(ids.len(), 4);
    // Kill it while the receiver holds the first request open (it records a request when it
    // arrives, then waits before answering).
    assert!(eventually(Duration::from_secs(5), || !receiver
        .received("/hook")
        .is_empty()));
    signal(&first, libc::SIGKILL);
    let _ = wait(first, Duration::from_secs(5));

    receiver.set_delay(Duration::ZERO);
    let second = start_plain(
        &sandbox,
        &[
            "--config",
            config.to_str().unwrap(),
            "--schedule",
            "0 0 1 1 *",
        ],
    );
    let all_accepted = || {
        let got: std::collections::BTreeSet<String> =
            receiver.accepted("/hook").iter().map(|r| r.id()).collect();
        ids.iter().all(|id| got.contains(id))
    };
    assert!(
        eventually(Duration::from_secs(10), all_accepted),
        "an event was lost after SIGKILL"
    );
    signal(&second, libc::SIGTERM);
    assert_eq!(wait(second, Duration::from_secs(8)).0, Some(0));
    // At least once: a repeat carries the same webhook-id; nothing else is sent.
    let sent: Vec<String> = receiver.received("/hook").iter().map(|r| r.id()).collect();
    assert!(sent.iter().all(|id| ids.contains(id)), "{sent:?}");
    assert_eq!(
        sandbox.count("SELECT count(*) FROM webhook_queue"),
        0,
        "all recorded as delivered"
    );
}

#[test]
fn a_failing_feed_waits_out_its_backoff_instead_of_every_slot() {
    let (server, sandbox) = setup(&["/a.atom", "/down.atom"]);
    server.set(
        "/down.atom",
        Resource::plain(500, "text/plain", "internal error"),
    );
    let child = start(&sandbox, &[]);
    // Every second is a slot: wait for a few of them to pass for the healthy feed.
    assert!(
        eventually(Duration::from_secs(10), || server.seen("/a.atom").len()
            >= 4),
        "the healthy feed was fetched {} times",
        server.seen("/a.atom").len()
    );
    signal(&child, libc::SIGTERM);
    let (code, stderr, _) = wait(child, Duration::from_secs(10));
    assert_eq!(code, Some(0), "{stderr}");
    // The failure set a backoff of minutes: the slots after it skip the feed.
    assert_eq!(server.seen("/down.atom").len(), 1, "{stderr}");
    let feed = sandbox.feed(2);
    assert_eq!(feed.consecutive_failures, 1);
    assert!(feed.next_fetch_at.is_some());
}
