//! `status`, `history` and `events` (with `--follow`) on a database filled by a real poll.

mod common;
use common::{fixture, read_line_within, stderr, stdout, FeedServer, Resource, Sandbox};
use std::io::BufReader;
use std::process::{Command, Stdio};
use std::time::Duration;

fn polled() -> (FeedServer, Sandbox) {
    common::skylark_and_quillpay_polled()
}

#[test]
fn status_shows_who_is_down_worst_first() {
    let (_server, sandbox) = polled();
    let table = stdout(&sandbox.run(&["status"]));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("VENDOR"), "{table}");
    assert!(
        lines[1].starts_with("quillpay") && lines[1].contains("degraded"),
        "{table}"
    );
    assert!(
        table.contains("Card payments failing for some merchants"),
        "{table}"
    );
    assert!(
        !table.contains("skylark"),
        "operational vendors are hidden: {table}"
    );
    assert!(table.contains("1 of 2 feeds not operational"), "{table}");
    let all = stdout(&sandbox.run(&["status", "--all"]));
    assert!(
        all.contains("skylark") && all.contains("operational"),
        "{all}"
    );
    let json = stdout(&sandbox.run(&["status", "--format", "json"]));
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(first["vendor"], "quillpay");
    assert_eq!(first["state"], "degraded");
}

#[test]
fn history_lists_incidents_with_durations() {
    let (_server, sandbox) = polled();
    let csv = stdout(&sandbox.run(&["history", "skylark", "--format", "csv"]));
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("id,vendor,started,resolved,duration,worst,now,title")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 4, "{csv}");
    assert!(
        rows.iter().all(|r| r.split(',').nth(1) == Some("skylark")
            && r.split(',')
                .next()
                .is_some_and(|id| id.parse::<i64>().is_ok())),
        "{csv}"
    );
    let json = stdout(&sandbox.run(&["history", "--format", "json", "--since", "2000-01-01"]));
    assert_eq!(json.lines().count(), 7);
    let bad = sandbox.run(&["history", "--since", "yesterday-ish"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("cannot read --since"),
        "{}",
        stderr(&bad)
    );
}

/// Starts `events --follow ARGS` as its own process, then skylark changes and another
/// process polls: the follower and the first line it printed.
fn follow_through_a_change(
    server: &FeedServer,
    sandbox: &Sandbox,
    args: &[&str],
) -> (std::process::Child, String) {
    let mut follower = Command::new(env!("CARGO_BIN_EXE_statuswatch"))
        .args(["events", "--follow"])
        .args(args)
        .env("STATUSWATCH_DB", sandbox.db())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let reader = BufReader::new(follower.stdout.take().unwrap());
    server.set(
        "/skylark.atom",
        Resource::feed(fixture("feeds/statuspage-v2.atom")),
    );
    assert_eq!(sandbox.run(&["poll"]).status.code(), Some(0));
    (follower, read_line_within(reader, Duration::from_secs(10)))
}

#[test]
fn events_follow_streams_what_another_process_commits() {
    let (server, sandbox) = polled();
    let listed = stdout(&sandbox.run(&["events", "--format", "json"]));
    assert_eq!(listed.lines().count(), 1, "{listed}");
    let event: serde_json::Value = serde_json::from_str(listed.lines().next().unwrap()).unwrap();
    assert_eq!(event["vendor"], "quillpay");
    assert_eq!(event["payload"]["to"], "degraded");

    let (mut follower, line) = follow_through_a_change(&server, &sandbox, &["--vendor", "skylark"]);
    let event: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["vendor"], "skylark");
    assert_eq!(event["to_state"], "degraded");
    follower.kill().unwrap();
    follower.wait().unwrap();
}

#[test]
fn events_after_a_seq_resume_where_a_reader_stopped() {
    let (server, sandbox) = polled();
    let listed = stdout(&sandbox.run(&["events", "--format", "json"]));
    let first: serde_json::Value = serde_json::from_str(listed.lines().next().unwrap()).unwrap();
    let seq = first["seq"].as_i64().expect("events carry their seq");
    let after = |n: i64| {
        stdout(&sandbox.run(&["events", "--format", "json", "--after", &n.to_string()]))
            .lines()
            .count()
    };
    assert_eq!(after(seq - 1), 1);
    assert_eq!(after(seq), 0);
    let table = stdout(&sandbox.run(&["events", "--after", &seq.to_string()]));
    assert!(table.contains("(0 events)"), "{table}");

    // A follower resuming after the event it has: only what comes next, not quillpay again.
    let (mut follower, line) =
        follow_through_a_change(&server, &sandbox, &["--after", &seq.to_string()]);
    let event: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["vendor"], "skylark", "{line}");
    assert!(event["seq"].as_i64() > Some(seq), "{line}");
    follower.kill().unwrap();
    follower.wait().unwrap();

    let bad = sandbox.run(&["events", "--after=-3"]);
    assert!(!bad.status.success(), "a negative --after is a usage error");
    assert!(stderr(&bad).contains("--after"), "{}", stderr(&bad));
}

#[test]
fn read_only_commands_never_create_a_database() {
    let sandbox = Sandbox::new();
    let typo = sandbox.dir.path().join("statuswach.db");
    for args in [
        vec!["status"],
        vec!["history"],
        vec!["events"],
        vec!["clusters"],
        vec!["query", "SELECT 1"],
        vec!["feeds", "list"],
        vec!["feeds", "export"],
    ] {
        let mut full = vec!["--db", typo.to_str().unwrap()];
        full.extend(&args);
        let out = sandbox.run(&full);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!("no database at {}", typo.display()))
                && err.contains("statuswatch poll"),
            "{args:?}: {err}"
        );
        assert!(!typo.exists(), "{args:?} created {}", typo.display());
    }
}

#[test]
fn status_before_any_poll_says_so() {
    let sandbox = Sandbox::new();
    let url = common::refused_url("/never.atom");
    assert!(sandbox
        .run(&["feeds", "add", &url, "--no-check"])
        .status
        .success());
    let table = stdout(&sandbox.run(&["status"]));
    assert!(
        table.starts_with("Not polled yet: none of the 1 feeds has been fetched."),
        "{table}"
    );
    assert!(!table.contains("not operational"), "{table}");
}

#[test]
fn a_usage_error_exits_1_and_help_exits_0() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["status", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(1), "2 means some feeds failed");
    assert!(
        stderr(&out).contains("unexpected argument"),
        "{}",
        stderr(&out)
    );
    let help = sandbox.run(&["status", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("Usage:"));
    assert_eq!(sandbox.run(&["--version"]).status.code(), Some(0));
    assert!(!sandbox.db().exists());
}
