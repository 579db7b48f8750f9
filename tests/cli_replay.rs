//! `statuswatch replay DIR` end to end through the binary: small replay directories written
//! here, each capture replayed at its own time (events carry it as `detected_at`), bad input
//! named and passed over, the database rules (temporary, `--keep`, a `--db` that holds feeds
//! refused) and `--deliver` to a webhook receiver on 127.0.0.1.

mod common;
use common::receiver::Receiver;
use common::replay::{ReplayDir, ReplayFeed, ReplayRun};
use common::{statuspage_atom, GenIncident};
use std::path::Path;

/// An update: (time, label, text).
type Update<'a> = (&'a str, &'a str, &'a str);

/// A Statuspage `history.atom` of `host` holding `incidents`, each (id, title, updates newest
/// first).
fn atom(host: &str, incidents: &[Incident<'_>]) -> String {
    let incidents: Vec<GenIncident> = incidents
        .iter()
        .map(|(id, title, updates)| GenIncident {
            id: id.to_string(),
            title: title.to_string(),
            updates: updates
                .iter()
                .map(|(at, label, text)| (at.to_string(), label.to_string(), text.to_string()))
                .collect(),
        })
        .collect();
    statuspage_atom(host, &incidents)
}

/// An incident of an Atom feed: (id, title, updates newest first).
type Incident<'a> = (&'a str, &'a str, &'a [Update<'a>]);

/// A resolved incident from the day before: history, never news.
const OLD_INCIDENT: Incident<'static> = (
    "old1",
    "Delayed notifications",
    &[
        (
            "2025-10-19T11:00:00Z",
            "Resolved",
            "This incident has been resolved.",
        ),
        (
            "2025-10-19T10:00:00Z",
            "Investigating",
            "Notifications are delayed.",
        ),
    ],
);

/// The history alone.
fn old_history(host: &str) -> String {
    atom(host, &[OLD_INCIDENT])
}

/// The history plus an open outage posted at `posted`.
fn with_outage(host: &str, posted: &str) -> String {
    let outage: &[Update<'_>] = &[(
        posted,
        "Investigating",
        "Major outage: users cannot join meetings.",
    )];
    atom(
        host,
        &[("new1", "Users cannot join meetings", outage), OLD_INCIDENT],
    )
}

/// Two Statuspage feeds, zoom and slack: both captured at 06:00 with history only (their
/// first fetch: no events), zoom again at 07:00 with an outage posted at 06:52.
fn two_feeds() -> ReplayDir {
    let dir = ReplayDir::new();
    dir.feeds(&[
        ReplayFeed::new("zoom", "Zoom")
            .engine("statuspage")
            .category("saas"),
        ReplayFeed::new("slack", "Slack")
            .engine("statuspage")
            .category("saas"),
    ]);
    dir.capture(
        "zoom",
        "2025-10-20T06:00:00Z",
        "xml",
        &old_history("status.zoom.us"),
    );
    dir.capture(
        "slack",
        "2025-10-20T06:00:00Z",
        "xml",
        &old_history("slack-status.com"),
    );
    dir.capture(
        "zoom",
        "2025-10-20T07:00:00Z",
        "xml",
        &with_outage("status.zoom.us", "2025-10-20T06:52:00Z"),
    );
    dir.capture(
        "slack",
        "2025-10-20T07:00:00Z",
        "xml",
        &old_history("slack-status.com"),
    );
    dir
}

fn assert_code(run: &ReplayRun, code: i32) {
    assert_eq!(
        run.code,
        code,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout.join("\n"),
        run.stderr
    );
}

#[test]
fn a_state_change_is_detected_at_its_captures_time_in_json() {
    let dir = two_feeds();
    let run = dir.replay(&["--format", "json"]);
    assert_code(&run, 0);
    let events = run.events();
    // The first captures (history only) raised nothing; the outage raised one change.
    assert_eq!(events.len(), 1, "{events:#?}");
    let e = &events[0];
    assert_eq!(e["kind"], "state_change");
    assert_eq!(e["vendor"], "zoom");
    assert_eq!(e["from_state"], "operational");
    assert_eq!(e["to_state"], "outage");
    assert_eq!(e["detected_at"], "2025-10-20T07:00:00Z");
    assert_eq!(e["occurred_at"], "2025-10-20T06:52:00Z");
    assert_eq!(e["payload"]["detected_at"], "2025-10-20T07:00:00Z");
    assert_eq!(e["payload"]["feed"]["url"], "replay:zoom");
    // The shape of `events --format json`: the outbox fields around the payload.
    for key in ["seq", "id", "component", "title", "link", "payload"] {
        assert!(e.get(key).is_some(), "no {key} in {e}");
    }
    run.assert_stderr("Replayed 4 captures of 2 feeds (0 failed): 1 events, 0 clusters.");
}

#[test]
fn the_json_lines_are_exactly_what_events_prints() {
    let dir = two_feeds();
    let db = dir.beside("kept.db");
    let run = dir.replay(&["--format", "json", "--db", db.to_str().unwrap()]);
    assert_code(&run, 0);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_statuswatch"))
        .args(["--db", db.to_str().unwrap(), "events", "--format", "json"])
        .env_remove("STATUSWATCH_CONFIG")
        .output()
        .unwrap();
    assert!(out.status.success());
    let listed: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(run.stdout, listed);
}

#[test]
fn the_table_is_a_timeline_and_a_summary() {
    let run = two_feeds().replay(&[]);
    assert_code(&run, 0);
    assert_eq!(run.stdout.len(), 2, "{:?}", run.stdout);
    let line = &run.stdout[0];
    assert!(line.starts_with("2025-10-20T07:00:00Z  zoom"), "{line}");
    assert!(line.contains("operational → outage"), "{line}");
    assert!(line.contains("Users cannot join meetings"), "{line}");
    assert_eq!(
        run.stdout[1],
        "Replayed 4 captures of 2 feeds (0 failed): 1 events, 0 clusters."
    );
}

#[test]
fn an_incident_open_at_the_first_capture_is_news_but_its_history_is_not() {
    let dir = ReplayDir::new();
    dir.feeds(&[ReplayFeed::new("zoom", "Zoom").engine("statuspage")]);
    dir.capture(
        "zoom",
        "2025-10-20T07:00:00Z",
        "xml",
        &with_outage("status.zoom.us", "2025-10-20T06:52:00Z"),
    );
    let run = dir.replay(&["--format", "json"]);
    assert_code(&run, 0);
    let events = run.events();
    // As a live first poll: the resolved incident of the day before raises nothing.
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["detected_at"], "2025-10-20T07:00:00Z");
    assert_eq!(events[0]["to_state"], "outage");
}

#[test]
fn an_unparsable_capture_is_a_failed_fetch_at_its_time_and_the_replay_goes_on() {
    let dir = two_feeds();
    let bad = dir.capture(
        "slack",
        "2025-10-20T06:30:00Z",
        "xml",
        "<html><body>502 Bad Gateway",
    );
    dir.capture(
        "slack",
        "2025-10-20T07:30:00Z",
        "xml",
        &with_outage("slack-status.com", "2025-10-20T07:20:00Z"),
    );
    let db = dir.beside("replay.db");
    let run = dir.replay(&["--format", "json", "--db", db.to_str().unwrap()]);
    assert_code(&run, 2);
    run.assert_stderr(&format!(
        "warning: {}: the body is an HTML page",
        bad.display()
    ));
    run.assert_stderr("(counted as a failed fetch at 2025-10-20T06:30:00Z)");
    run.assert_stderr("(1 failed)");
    // Later captures were still replayed: slack's outage at 07:30.
    assert_eq!(
        run.fields(Some("state_change"), &["vendor", "detected_at"]),
        [
            ["zoom", "2025-10-20T07:00:00Z"],
            ["slack", "2025-10-20T07:30:00Z"]
        ]
    );
    // In the fetch log as a live failure would be, at the capture's time.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let logged: (String, String) = conn
        .query_row(
            "SELECT f.started_at, f.outcome FROM fetches f JOIN feeds d ON d.id = f.feed_id
             WHERE d.vendor = 'slack' AND f.outcome != 'ok'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        logged,
        ("2025-10-20T06:30:00Z".to_string(), "not_a_feed".to_string())
    );
}

#[test]
fn a_feed_failing_long_enough_in_replayed_time_raises_feed_failing_then_recovers() {
    let dir = ReplayDir::new();
    dir.feeds(&[ReplayFeed::new("zoom", "Zoom").engine("statuspage")]);
    dir.capture(
        "zoom",
        "2025-10-20T06:00:00Z",
        "xml",
        &old_history("status.zoom.us"),
    );
    for t in ["06:10", "06:40", "07:15"] {
        dir.capture(
            "zoom",
            &format!("2025-10-20T{t}:00Z"),
            "xml",
            "not a feed at all",
        );
    }
    dir.capture(
        "zoom",
        "2025-10-20T08:00:00Z",
        "xml",
        &old_history("status.zoom.us"),
    );
    let run = dir.replay(&["--format", "json", "--failing-after", "1h"]);
    assert_code(&run, 2);
    // Failing since 06:10; an hour later (the 07:15 capture) it is `feed_failing`.
    assert_eq!(
        run.fields(None, &["kind", "detected_at"]),
        [
            ["feed_failing", "2025-10-20T07:15:00Z"],
            ["feed_recovered", "2025-10-20T08:00:00Z"]
        ]
    );
}

#[test]
fn a_capture_not_named_by_a_time_is_named_and_left_out() {
    let dir = two_feeds();
    let bad = dir.write("zoom/2025-10-20 0800.xml", &old_history("status.zoom.us"));
    let notes = dir.write("slack/notes.txt", "captured by hand");
    let loose = dir.write("20251020T080000Z.xml", &old_history("status.zoom.us"));
    dir.write("README.md", "The AWS day, captured by hand.");
    let run = dir.replay(&["--format", "json"]);
    assert_code(&run, 0);
    run.assert_stderr(&format!(
        "warning: {}: \"2025-10-20 0800\" is not a UTC time",
        bad.display()
    ));
    run.assert_stderr("name captures YYYYMMDDTHHMMSSZ.xml, such as 20251020T064600Z.xml");
    run.assert_stderr(&format!(
        "warning: {}: not a capture (extension .txt)",
        notes.display()
    ));
    run.assert_stderr(&format!(
            "warning: {}: a capture beside feeds.opml is not replayed: captures go in their feed's folder",
            loose.display()
        ));
    assert!(!run.stderr.contains("README"), "{}", run.stderr);
    assert_eq!(run.events().len(), 1);
}

#[test]
fn a_folder_without_an_outline_and_an_outline_without_a_folder_are_named() {
    let dir = two_feeds();
    dir.capture(
        "stray",
        "2025-10-20T06:00:00Z",
        "xml",
        &old_history("stray.example"),
    );
    // Rewrite the OPML with a third feed that has no folder.
    dir.write(
        "feeds.opml",
        &common::replay::replay_opml(&[
            ReplayFeed::new("zoom", "Zoom").engine("statuspage"),
            ReplayFeed::new("slack", "Slack").engine("statuspage"),
            ReplayFeed::new("ghost", "Ghost"),
        ]),
    );
    let run = dir.replay(&["--format", "json"]);
    assert_code(&run, 0);
    let root = dir.path();
    run.assert_stderr(&format!(
            "warning: {}: a folder with no outline in feeds.opml: add <outline text=\"...\" vendor=\"stray\" xmlUrl=\"stray\"/>",
            root.join("stray").display()
        ));
    run.assert_stderr(&format!(
            "warning: {}: no folder for feed \"Ghost\" (vendor ghost): its captures go in {}; it is left out",
            root.join("feeds.opml").display(),
            root.join("ghost").display()
        ));
    run.assert_stderr("of 2 feeds");
    assert_eq!(run.events().len(), 1);
}

#[test]
fn an_empty_or_unlisted_directory_is_an_error_naming_it() {
    let dir = ReplayDir::new();
    let run = dir.replay(&[]);
    assert_code(&run, 1);
    run.assert_stderr(&format!(
        "statuswatch: error: replay directory {} is empty: put feeds.opml",
        dir.path().display()
    ));

    std::fs::create_dir_all(dir.path().join("zoom")).unwrap();
    dir.capture(
        "zoom",
        "2025-10-20T06:00:00Z",
        "xml",
        &old_history("status.zoom.us"),
    );
    let run = dir.replay(&[]);
    assert_code(&run, 1);
    run.assert_stderr(&format!(
        "{}: not found: a replay directory lists its feeds in feeds.opml",
        dir.path().join("feeds.opml").display()
    ));

    let missing = dir.beside("nowhere");
    let run = common::replay::replay(&missing, &[]);
    assert_code(&run, 1);
    run.assert_stderr(&format!(
        "cannot read replay directory {}",
        missing.display()
    ));
}

#[test]
fn feeds_without_any_capture_are_an_error() {
    let dir = ReplayDir::new();
    dir.feeds(&[ReplayFeed::new("zoom", "Zoom")]);
    let run = dir.replay(&[]);
    assert_code(&run, 1);
    run.assert_stderr("no captures for feed \"Zoom\"");
    run.assert_stderr(&format!(
        "statuswatch: error: no captures to replay in {}",
        dir.path().display()
    ));
}

#[test]
fn a_broken_feeds_opml_names_its_line() {
    let dir = two_feeds();
    dir.write(
        "feeds.opml",
        "<opml version=\"2.0\"><body>\n<outline text=\"Zoom\" xmlUrl=\"my zoom\"/>\n</body></opml>\n",
    );
    let run = dir.replay(&[]);
    assert_code(&run, 1);
    run.assert_stderr(&format!(
            "{}: line 2, column 22: outline \"Zoom\" has xmlUrl \"my zoom\", which is not an absolute http(s) URL",
            dir.path().join("feeds.opml").display()
        ));
    run.assert_stderr("write the name of its capture folder");
}

#[test]
fn an_outline_with_a_url_keeps_it_behind_replay_and_reads_the_vendors_folder() {
    let dir = ReplayDir::new();
    dir.feeds(&[ReplayFeed::new("zoom", "Zoom")
        .engine("statuspage")
        .xml_url("https://status.zoom.example/history.atom")]);
    dir.capture(
        "zoom",
        "2025-10-20T07:00:00Z",
        "xml",
        &with_outage("status.zoom.us", "2025-10-20T06:52:00Z"),
    );
    let run = dir.replay(&["--format", "json"]);
    assert_code(&run, 0);
    // Kept behind `replay:`, so no poll of a kept database ever fetches it.
    assert_eq!(
        run.events()[0]["payload"]["feed"]["url"],
        "replay:https://status.zoom.example/history.atom"
    );
}

#[test]
fn a_database_that_holds_feeds_is_refused() {
    let dir = two_feeds();
    let db = dir.beside("live.db");
    let db_arg = db.to_str().unwrap();
    assert_code(&dir.replay(&["--db", db_arg]), 0);
    let before = std::fs::metadata(&db).unwrap().len();
    let run = dir.replay(&["--db", db_arg]);
    assert_code(&run, 1);
    run.assert_stderr(&format!(
            "statuswatch: error: database {} already holds 2 feeds: a replay writes only into a new or empty database",
            db.display()
        ));
    assert!(run.stdout.is_empty(), "{:?}", run.stdout);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let events: i64 = conn
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(events, 1, "the refused replay wrote into it");
    assert!(std::fs::metadata(&db).unwrap().len() >= before);

    // An empty file is an empty database: accepted.
    let empty = dir.beside("empty.db");
    std::fs::write(&empty, b"").unwrap();
    assert_code(&dir.replay(&["--db", empty.to_str().unwrap()]), 0);
}

#[test]
fn statuswatch_db_in_the_environment_is_not_the_replays_database() {
    let dir = two_feeds();
    let live = dir.beside("live.db");
    assert_code(&dir.replay(&["--db", live.to_str().unwrap()]), 0);
    let cwd = tempfile::tempdir().unwrap();
    let out = common::replay::replay_command(&dir.path(), &["--format", "json"], cwd.path())
        .env("STATUSWATCH_DB", &live)
        .output()
        .unwrap();
    // Not refused: the variable names a live archive, which a replay leaves alone.
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = rusqlite::Connection::open(&live).unwrap();
    let events: i64 = conn
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(events, 1);
}

/// The `statuswatch-replay-*` entries in `tmp`.
fn replay_dirs(tmp: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("statuswatch-replay-")
        })
        .collect()
}

#[test]
fn keep_keeps_the_temporary_database_and_it_is_queryable() {
    let dir = two_feeds();
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let out = common::replay::replay_command(&dir.path(), &["--keep"], cwd.path())
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let kept = replay_dirs(tmp.path());
    assert_eq!(kept.len(), 1, "{kept:?}");
    let db = kept[0].join("replay.db");
    assert!(
        stderr.contains(&format!("The replay database is {}", db.display())),
        "{stderr}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_statuswatch"))
        .args([
            "--db",
            db.to_str().unwrap(),
            "query",
            "SELECT vendor, to_state, detected_at FROM events",
        ])
        .env_remove("STATUSWATCH_CONFIG")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("2025-10-20T07:00:00Z"), "{text}");
    assert!(text.contains("outage"), "{text}");
}

#[test]
fn without_keep_the_temporary_database_is_gone() {
    let dir = two_feeds();
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let out = common::replay::replay_command(&dir.path(), &["--format", "json"], cwd.path())
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(replay_dirs(tmp.path()).is_empty());
    // Also when the replay fails after the database was made.
    let tmp = tempfile::tempdir().unwrap();
    let out = common::replay::replay_command(&dir.path(), &["--deliver"], cwd.path())
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(replay_dirs(tmp.path()).is_empty());
}

/// Replays `dir` with `--deliver` to one webhook `ops` at `receiver`, waiting `timeout`.
fn replay_delivering(dir: &ReplayDir, receiver: &Receiver, timeout: &str) -> ReplayRun {
    let config = dir.beside("statuswatch.toml");
    std::fs::write(&config, receiver.hook("ops", "")).unwrap();
    dir.replay(&[
        "--config",
        config.to_str().unwrap(),
        "--deliver",
        "--deliver-timeout",
        timeout,
    ])
}

#[test]
fn deliver_sends_every_event_to_the_webhooks() {
    let dir = two_feeds();
    dir.capture(
        "slack",
        "2025-10-20T07:30:00Z",
        "xml",
        &with_outage("slack-status.com", "2025-10-20T07:20:00Z"),
    );
    let receiver = Receiver::start();
    let run = replay_delivering(&dir, &receiver, "20s");
    assert_code(&run, 0);
    let got: Vec<(String, String)> = receiver
        .accepted("/ops")
        .iter()
        .map(|r| {
            let body = r.json();
            (
                body["vendor"].as_str().unwrap().to_string(),
                body["detected_at"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("zoom".to_string(), "2025-10-20T07:00:00Z".to_string()),
            ("slack".to_string(), "2025-10-20T07:30:00Z".to_string())
        ]
    );
    assert!(
        run.stdout
            .iter()
            .any(|l| l == "Webhooks: 2 delivered, 0 failed attempts, 0 pending, 0 dead letters."),
        "{:?}",
        run.stdout
    );
}

#[test]
fn deliver_reports_what_did_not_get_through() {
    let dir = two_feeds();
    let receiver = Receiver::start();
    receiver.set_status(500);
    let run = replay_delivering(&dir, &receiver, "1s");
    assert_code(&run, 0);
    assert!(!receiver.received("/ops").is_empty());
    let line = run
        .stdout
        .iter()
        .find(|l| l.starts_with("Webhooks: "))
        .unwrap_or_else(|| panic!("{:?}", run.stdout));
    assert!(line.starts_with("Webhooks: 0 delivered, "), "{line}");
    assert!(line.contains(", 1 pending, "), "{line}");
    run.assert_stderr("1 events were not delivered within --deliver-timeout 1s");
}

#[test]
fn deliver_without_webhooks_is_an_error_before_anything_runs() {
    let run = two_feeds().replay(&["--deliver"]);
    assert_code(&run, 1);
    run.assert_stderr("statuswatch: error: --deliver needs webhooks: add a [[webhooks]] table");
}

#[test]
fn a_kept_replay_database_is_never_polled() {
    let dir = two_feeds();
    let db = dir.beside("kept.db");
    let db_arg = db.to_str().unwrap();
    assert_code(&dir.replay(&["--db", db_arg]), 0);
    let sw = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_statuswatch"))
            .args(["--db", db_arg])
            .args(args)
            .env_remove("STATUSWATCH_CONFIG")
            .env("XDG_CONFIG_HOME", dir.beside("xdg"))
            .current_dir(dir.tmp.path())
            .output()
            .unwrap()
    };
    // What the feeds last fetched, and fetch-log rows after the replayed day (`poll`'s own
    // upkeep may prune the replayed ones, which are months old).
    let fetched = || -> (String, i64) {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let last: String = conn
            .query_row("SELECT group_concat(last_fetch_at) FROM feeds", [], |r| {
                r.get(0)
            })
            .unwrap();
        let later: i64 = conn
            .query_row(
                "SELECT count(*) FROM fetches WHERE started_at > '2025-10-21'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        (last, later)
    };
    let before = fetched();
    assert_eq!(before.1, 0);
    // The database has feeds, so no catalog is imported; none of them is ever due.
    let out = sw(&["poll", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(out.stdout.trim_ascii_end()).unwrap();
    assert_eq!(summary["feeds"], 0, "{summary}");
    let out = sw(&["poll", "--feed", "1"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("(replay:zoom) is a replayed feed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = sw(&["feeds", "check"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is a replayed feed: it is never fetched"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fetched(), before);
}

/// A vendor's feed with one incident: posted at `posted`, resolved at `resolved` when given.
fn incident(host: &str, title: &str, text: &str, posted: &str, resolved: Option<&str>) -> String {
    let mut updates: Vec<Update<'_>> = Vec::new();
    if let Some(at) = resolved {
        updates.push((at, "Resolved", "This incident has been resolved."));
    }
    updates.push((posted, "Investigating", text));
    atom(host, &[("inc1", title, &updates)])
}

/// A provider and three dependents leaving operational within twenty minutes of each other,
/// two bystanders quiet, everyone recovered by 09:00.
fn a_provider_morning() -> ReplayDir {
    provider_morning(None)
}

/// [`a_provider_morning`], the dependents' outlines saying what they run on.
fn provider_morning(runs_on: Option<&str>) -> ReplayDir {
    let dir = ReplayDir::new();
    let vendors = [
        ("aws", "AWS", "cloud"),
        ("zoom", "Zoom", "saas"),
        ("slack", "Slack", "saas"),
        ("jira", "Jira", "saas"),
        ("github", "GitHub", "saas"),
        ("stripe", "Stripe", "saas"),
    ];
    let feeds: Vec<ReplayFeed> = vendors
        .iter()
        .map(|(v, t, c)| {
            let feed = ReplayFeed::new(v, t).engine("statuspage").category(c);
            match runs_on {
                Some(map) if ["zoom", "slack", "jira"].contains(v) => feed.runs_on(map),
                _ => feed,
            }
        })
        .collect();
    dir.feeds(&feeds);
    for (vendor, ..) in vendors {
        let host = format!("status.{vendor}.example");
        dir.capture(vendor, "2025-10-20T06:00:00Z", "xml", &old_history(&host));
        dir.capture(vendor, "2025-10-20T09:30:00Z", "xml", &old_history(&host));
    }
    let down = [
        (
            "zoom",
            "Meetings fail to start",
            "Major outage: meetings fail.",
            "06:52",
            "07:00",
        ),
        (
            "slack",
            "Messages fail to send",
            "Major outage: messages fail.",
            "06:58",
            "07:05",
        ),
        (
            "jira",
            "Jira is unavailable",
            "Major outage: Jira is down.",
            "07:05",
            "07:10",
        ),
        (
            "aws",
            "Increased error rates in us-east-1",
            "Major outage in us-east-1.",
            "07:10",
            "07:15",
        ),
    ];
    for (vendor, title, text, posted, captured) in down {
        let host = format!("status.{vendor}.example");
        let posted = format!("2025-10-20T{posted}:00Z");
        dir.capture(
            vendor,
            &format!("2025-10-20T{captured}:00Z"),
            "xml",
            &incident(&host, title, text, &posted, None),
        );
        dir.capture(
            vendor,
            "2025-10-20T09:00:00Z",
            "xml",
            &incident(&host, title, text, &posted, Some("2025-10-20T08:55:00Z")),
        );
    }
    dir
}

#[test]
fn a_correlated_outage_is_raised_at_replayed_time_and_stands_out_in_the_timeline() {
    let dir = a_provider_morning();
    let run = dir.replay(&["--format", "json"]);
    assert_code(&run, 0);
    let clusters = run.events_of("correlated_outage");
    let phases: Vec<(&str, &str)> = clusters
        .iter()
        .map(|e| {
            (
                e["payload"]["phase"].as_str().unwrap(),
                e["detected_at"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        phases.first(),
        Some(&("opened", "2025-10-20T07:10:00Z")),
        "{clusters:#?}"
    );
    assert_eq!(phases.last().map(|p| p.0), Some("resolved"), "{phases:?}");
    run.assert_stderr(", 1 cluster.");

    let run = dir.replay(&[]);
    assert_code(&run, 0);
    let opened = run
        .stdout
        .iter()
        .find(|l| l.contains(">>> CORRELATED OUTAGE OPENED"))
        .unwrap_or_else(|| panic!("{}", run.stdout.join("\n")));
    assert_eq!(
        opened,
        "2025-10-20T07:10:00Z  >>> CORRELATED OUTAGE OPENED (cluster 1): 3 vendors since 2025-10-20T06:52:00Z (zoom, slack, jira); no likely cause"
    );
    let resolved = run
        .stdout
        .iter()
        .find(|l| l.contains(">>> CORRELATED OUTAGE RESOLVED"))
        .unwrap_or_else(|| panic!("{}", run.stdout.join("\n")));
    // The cause, once the provider posted, with its region and why.
    assert!(
        resolved.contains("; likely cause aws us-east-1: AWS went degraded in the same window"),
        "{resolved}"
    );
    assert_eq!(
        run.stdout.last().map(String::as_str),
        Some("Replayed 20 captures of 6 feeds (0 failed): 10 events, 1 cluster.")
    );
}

#[test]
fn a_capture_repeating_the_last_one_is_a_304() {
    let dir = two_feeds();
    let db = dir.beside("replay.db");
    assert_code(&dir.replay(&["--db", db.to_str().unwrap()]), 0);
    let conn = rusqlite::Connection::open(&db).unwrap();
    // Slack's 07:00 capture is its 06:00 one again: no document stored, no fetch-log row (as
    // for a live 304), but the feed was fetched then.
    let (last_fetch, last_success, logged): (String, String, i64) = conn
        .query_row(
            "SELECT last_fetch_at, last_success_at,
                    (SELECT count(*) FROM fetches WHERE feed_id = feeds.id)
             FROM feeds WHERE vendor = 'slack'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(last_fetch, "2025-10-20T07:00:00Z");
    assert_eq!(last_success, "2025-10-20T07:00:00Z");
    assert_eq!(logged, 1);
    let zoom_logged: i64 = conn
        .query_row(
            "SELECT count(*) FROM fetches f JOIN feeds d ON d.id = f.feed_id WHERE d.vendor = 'zoom'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(zoom_logged, 2);
}

/// A Statuspage `summary.json` with every component operational, or, with `incident`, one
/// open incident (name, created_at) and its component at major outage.
fn summary_json(incident: Option<(&str, &str)>) -> String {
    let (component_status, indicator, incidents) = match incident {
        None => ("operational", "none", String::new()),
        Some((name, at)) => (
            "major_outage",
            "major",
            format!(
                r#"{{"id":"inc9","name":"{name}","status":"investigating","impact":"major",
                   "shortlink":"https://stspg.example/inc9","created_at":"{at}","started_at":"{at}",
                   "updated_at":"{at}","resolved_at":null,
                   "components":[{{"id":"c1","name":"Payments"}}],
                   "incident_updates":[{{"status":"investigating","body":"Payments are failing.",
                     "created_at":"{at}","display_at":"{at}"}}]}}"#
            ),
        ),
    };
    format!(
        r#"{{"page":{{"id":"p1","name":"Paycorp","url":"https://status.paycorp.example"}},
           "status":{{"indicator":"{indicator}","description":"x"}},
           "components":[{{"id":"c1","name":"Payments","status":"{component_status}","group":false}}],
           "incidents":[{incidents}],"scheduled_maintenances":[]}}"#
    )
}

/// A status page with no feed, its state in one element.
fn status_page(text: &str) -> String {
    format!(
        "<!doctype html><html><head><title>Signal Status</title></head><body>\
         <main><div class=\"status-banner\"><h1 class=\"headline\">{text}</h1></div></main></body></html>"
    )
}

#[test]
fn json_status_apis_and_watched_pages_are_replayed_from_their_own_captures() {
    let dir = ReplayDir::new();
    dir.feeds(&[
        ReplayFeed::new("paycorp", "Paycorp").engine("statuspage"),
        ReplayFeed::new("signal", "Signal")
            .attr("selector", ".status-banner .headline")
            .attr("expect", "up and running"),
    ]);
    dir.capture(
        "paycorp",
        "2025-10-20T06:00:00Z",
        "json",
        &summary_json(None),
    );
    dir.capture(
        "paycorp",
        "2025-10-20T07:00:00Z",
        "json",
        &summary_json(Some(("Payments failing", "2025-10-20T06:55:00Z"))),
    );
    dir.capture(
        "signal",
        "2025-10-20T06:00:00Z",
        "html",
        &status_page("Signal is up and running."),
    );
    dir.capture(
        "signal",
        "2025-10-20T07:30:00Z",
        "html",
        &status_page("We are experiencing an outage of message delivery."),
    );
    let run = dir.replay(&["--format", "json"]);
    assert_code(&run, 0);
    assert_eq!(
        run.fields(Some("state_change"), &["vendor", "to_state", "detected_at"]),
        [
            ["paycorp", "outage", "2025-10-20T07:00:00Z"],
            ["signal", "outage", "2025-10-20T07:30:00Z"]
        ],
        "{}",
        run.stderr
    );
}

#[test]
fn runs_on_in_the_replay_catalog_names_the_cause_before_the_provider_posts() {
    let dir = provider_morning(Some("aws:us-east-1"));
    let run = dir.replay(&["--format", "json"]);
    assert_code(&run, 0);
    let opened = run
        .events_of("correlated_outage")
        .into_iter()
        .find(|e| e["payload"]["phase"] == "opened")
        .unwrap_or_else(|| panic!("no cluster opened: {}", run.stdout.join("\n")));
    // Opened at 07:10 (Jira's capture), before AWS's own post was captured at 07:15.
    assert_eq!(opened["detected_at"], "2025-10-20T07:10:00Z");
    let cause = &opened["payload"]["suspected_cause"];
    assert_eq!(cause["vendor"], "aws", "{opened}");
    assert_eq!(cause["region"], "us-east-1", "{opened}");
    assert!(
        cause["why"].as_str().unwrap().contains("aws:us-east-1"),
        "{cause}"
    );
}
