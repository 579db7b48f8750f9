//! CLI manners, on the real binary over a database filled by a real poll of 127.0.0.1:
//! `--format table|json|csv` of every listing command read back and compared, tables
//! tab-separated and uncut when piped, no colour or progress escape codes in a pipe (and
//! colour at a terminal, `NO_COLOR` honoured, through `script`'s pty), `-q`, and `feeds
//! remove` asking first.

mod common;
use common::{stderr, stdout, FeedServer, Sandbox};
use std::io::Write;
use std::process::Stdio;

fn polled() -> (FeedServer, Sandbox) {
    common::skylark_and_quillpay_polled()
}

/// Every feed due now, so the next `poll` fetches them all.
fn make_due(sandbox: &Sandbox) {
    sandbox
        .sql()
        .execute("UPDATE feeds SET next_fetch_at = NULL", [])
        .unwrap();
}

fn ok(sandbox: &Sandbox, args: &[&str]) -> String {
    let out = sandbox.run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

fn with(args: &[&str], more: &[&'static str]) -> Vec<String> {
    args.iter()
        .chain(more)
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
}

fn run_owned(sandbox: &Sandbox, args: &[String]) -> String {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(sandbox, &refs)
}

/// A command's table (piped: tab-separated), CSV and JSON Lines, checked against each other:
/// the table's rows are the CSV's records cell for cell (nothing cut), its header the CSV's
/// in capitals, and there is one JSON object per row whose `key` field is the CSV's `column`.
/// Returns the number of rows.
fn same_rows_in_every_format(
    sandbox: &Sandbox,
    args: &[&str],
    (column, key): (&str, &str),
) -> usize {
    let table = run_owned(sandbox, &with(args, &["--format", "table"]));
    let csv_text = run_owned(sandbox, &with(args, &["--format", "csv"]));
    let json = run_owned(sandbox, &with(args, &["--format", "json"]));

    let mut reader = csv::ReaderBuilder::new().from_reader(csv_text.as_bytes());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let records: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();

    let tabbed: Vec<Vec<String>> = table
        .lines()
        .filter(|l| l.contains('\t'))
        .map(|l| l.split('\t').map(String::from).collect())
        .collect();
    if !records.is_empty() {
        let (head, rows) = tabbed.split_first().expect("a table header");
        let csv_names: Vec<String> = head
            .iter()
            .map(|h| h.to_lowercase().replace(' ', "_"))
            .collect();
        assert_eq!(csv_names, headers, "{args:?}: {table}");
        assert_eq!(
            rows,
            &records[..],
            "{args:?}: table\n{table}\ncsv\n{csv_text}"
        );
    }
    assert!(
        !table.contains('\x1b'),
        "{args:?}: colour in a pipe: {table:?}"
    );

    let objects: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{args:?}: {e}: {l}")))
        .collect();
    assert_eq!(objects.len(), records.len(), "{args:?}: {json}");
    let at = headers.iter().position(|h| h == column).unwrap();
    for (object, record) in objects.iter().zip(&records) {
        let value = match &object[key] {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        assert_eq!(value, record[at], "{args:?}: {object}");
    }
    records.len()
}

#[test]
fn every_listing_prints_the_same_rows_as_table_csv_and_json_lines() {
    let (_server, sandbox) = polled();
    let incident = sandbox.count("SELECT min(id) FROM incidents").to_string();
    ok(
        &sandbox,
        &[
            "override",
            "incident",
            &incident,
            "--status",
            "resolved",
            "--reason",
            "closed, said \"support\"",
        ],
    );
    sandbox.write(
        "statuswatch.toml",
        "[[webhooks]]\nname = \"ops\"\nurl = \"http://127.0.0.1:9/hook\"\n",
    );
    assert_eq!(
        same_rows_in_every_format(&sandbox, &["status", "--all"], ("vendor", "vendor")),
        sandbox.count("SELECT count(*) FROM current_status") as usize
    );
    assert_eq!(
        same_rows_in_every_format(&sandbox, &["history"], ("id", "incident_id")),
        sandbox.count("SELECT count(*) FROM incidents") as usize
    );
    assert!(sandbox.count("SELECT count(*) FROM events") > 0);
    assert_eq!(
        same_rows_in_every_format(&sandbox, &["events"], ("seq", "seq")),
        sandbox.count("SELECT count(*) FROM events") as usize
    );
    assert_eq!(
        same_rows_in_every_format(&sandbox, &["feeds", "list"], ("url", "url")),
        2
    );
    assert_eq!(
        same_rows_in_every_format(&sandbox, &["override", "list"], ("reason", "reason")),
        1
    );
    assert_eq!(
        same_rows_in_every_format(&sandbox, &["webhooks", "list"], ("name", "name")),
        1
    );
    same_rows_in_every_format(&sandbox, &["webhooks", "dead"], ("seq", "event_seq"));
    same_rows_in_every_format(&sandbox, &["clusters"], ("id", "id"));
}

#[test]
fn query_json_keeps_the_column_order_and_duplicate_names() {
    let (_server, sandbox) = polled();
    let sql = "SELECT 2 AS b, 1 AS a, 'x, \"y\"' AS a, NULL AS n";
    let json = ok(&sandbox, &["query", sql, "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["columns"], serde_json::json!(["b", "a", "a", "n"]));
    assert_eq!(doc["rows"], serde_json::json!([[2, 1, "x, \"y\"", null]]));

    let csv_text = ok(&sandbox, &["query", sql, "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    assert_eq!(reader.headers().unwrap(), vec!["b", "a", "a", "n"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows, vec![vec!["2", "1", "x, \"y\"", ""]]);

    let table = ok(&sandbox, &["query", sql]);
    assert_eq!(table, "b\ta\ta\tn\n2\t1\tx, \"y\"\t\n(1 rows)\n");
}

#[test]
fn piped_tables_keep_long_cells_whole() {
    let (_server, sandbox) = polled();
    let long = "x".repeat(150);
    let table = ok(&sandbox, &["query", &format!("SELECT '{long}' AS t")]);
    assert!(table.contains(&long), "{table}");
    assert!(!table.contains('…'), "{table}");
}

/// Runs the binary under `script`'s pty (stdin, stdout and stderr a terminal) with `env`
/// set, and returns everything the terminal received.
fn at_a_terminal(sandbox: &Sandbox, args: &str, env: &[(&str, &str)], input: &str) -> String {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_statuswatch"));
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", &command, "/dev/null"])
        .env("STATUSWATCH_DB", sandbox.db())
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .env_remove("STATUSWATCH_CONFIG")
        .env("XDG_CONFIG_HOME", sandbox.dir.path().join("xdg"))
        .current_dir(sandbox.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("script(1) from util-linux runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn colour_only_at_a_terminal_and_never_with_no_color() {
    let (_server, sandbox) = polled();
    let terminal = at_a_terminal(&sandbox, "status --all", &[], "");
    assert!(
        terminal.contains("\x1b[33mdegraded\x1b[0m"),
        "a terminal gets coloured states: {terminal:?}"
    );
    assert!(
        terminal.contains("VENDOR    COMPONENT"),
        "aligned at a terminal: {terminal:?}"
    );
    let no_color = at_a_terminal(&sandbox, "status --all", &[("NO_COLOR", "1")], "");
    assert!(no_color.contains("degraded"), "{no_color:?}");
    assert!(!no_color.contains('\x1b'), "NO_COLOR=1: {no_color:?}");
    let empty = at_a_terminal(&sandbox, "status --all", &[("NO_COLOR", "")], "");
    assert!(
        empty.contains('\x1b'),
        "an empty NO_COLOR is unset: {empty:?}"
    );
    let never = at_a_terminal(&sandbox, "status --all --color never", &[], "");
    assert!(!never.contains('\x1b'), "--color never: {never:?}");

    let piped = ok(&sandbox, &["status", "--all"]);
    assert!(!piped.contains('\x1b'), "{piped:?}");
    let forced = ok(&sandbox, &["status", "--all", "--color", "always"]);
    assert!(forced.contains("\x1b[33mdegraded\x1b[0m"), "{forced:?}");
}

#[test]
fn progress_bars_draw_at_a_terminal_and_never_into_a_pipe() {
    let (server, sandbox) = polled();
    server.set_delay(std::time::Duration::from_millis(400));
    let piped = sandbox.run(&["feeds", "check"]);
    assert!(piped.status.success(), "{}", stderr(&piped));
    let both = format!("{}{}", stdout(&piped), stderr(&piped));
    assert!(
        !both.contains('\x1b') && !both.contains('\r'),
        "escape codes in a pipe: {both:?}"
    );
    for args in [&["poll"][..], &["reclassify"][..]] {
        let out = sandbox.run(args);
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert!(
            !text.contains('\x1b') && !text.contains('\r'),
            "{args:?}: {text:?}"
        );
    }

    let terminal = at_a_terminal(&sandbox, "feeds check", &[], "");
    assert!(
        terminal.contains("/2 feeds"),
        "a bar at a terminal: {terminal:?}"
    );
    let quiet = at_a_terminal(&sandbox, "-q feeds check", &[], "");
    assert!(!quiet.contains("/2 feeds"), "-q draws no bar: {quiet:?}");
}

#[test]
fn quiet_silences_the_summaries_and_keeps_the_data() {
    let (_server, sandbox) = polled();
    make_due(&sandbox);
    let loud = sandbox.run(&["poll"]);
    assert!(
        stdout(&loud).starts_with("Polled 2 feeds"),
        "{}",
        stdout(&loud)
    );
    make_due(&sandbox);
    let quiet = sandbox.run(&["poll", "-q"]);
    assert_eq!(quiet.status.code(), Some(0), "{}", stderr(&quiet));
    assert_eq!(stdout(&quiet), "");
    assert_eq!(stderr(&quiet), "");
    make_due(&sandbox);
    let json = sandbox.run(&["-q", "poll", "--format", "json"]);
    assert_eq!(common::summary(&json)["feeds"], 2);

    let empty = Sandbox::new();
    ok(
        &empty,
        &["feeds", "add", "http://127.0.0.1:9/feed.atom", "--no-check"],
    );
    ok(&empty, &["feeds", "remove", "1", "--yes"]);
    let noted = empty.run(&["poll"]);
    assert!(
        stderr(&noted).contains("has no feeds"),
        "{}",
        stderr(&noted)
    );
    assert_eq!(stderr(&empty.run(&["poll", "--quiet"])), "");

    assert!(ok(&sandbox, &["reclassify"]).starts_with("Reclassified"));
    assert_eq!(ok(&sandbox, &["reclassify", "-q"]), "");
    assert!(ok(&sandbox, &["reclassify", "-q", "--dry-run"]).starts_with("Would reclassify"));
    // Listings are what was asked for: -q keeps them.
    assert!(ok(&sandbox, &["-q", "status", "--all"]).contains("skylark"));
}

#[test]
fn verbose_logs_debug_lines_and_quiet_excludes_it() {
    let (_server, sandbox) = polled();
    make_due(&sandbox);
    let out = sandbox.run(&["poll"]);
    assert_eq!(
        stderr(&out),
        "",
        "commands other than run and serve log errors only"
    );
    make_due(&sandbox);
    let out = sandbox.run(&["poll", "-v"]);
    assert!(
        stderr(&out).contains("DEBUG statuswatch::cli::poll: Feed fetched. feed=Skylark"),
        "{}",
        stderr(&out)
    );
    let both = sandbox.run(&["poll", "-q", "-v"]);
    assert_eq!(both.status.code(), Some(1));
    assert!(
        stderr(&both).contains("cannot be used with"),
        "{}",
        stderr(&both)
    );
}

#[test]
fn feeds_remove_refuses_without_yes_when_no_one_can_answer() {
    let (_server, sandbox) = polled();
    let entries = sandbox.count("SELECT count(*) FROM entries WHERE feed_id = 1");
    let vendor = sandbox.strings("SELECT vendor FROM feeds WHERE id = 1")[0].clone();
    let out = sandbox
        .command(&["feeds", "remove", "1"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        format!("statuswatch: error: not removing feed 1 ({vendor}) and its {entries} stored entries: stdin is not a terminal, so there is no one to ask; pass --yes to remove it")
    );
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 2);

    // At a terminal it asks; anything but yes keeps the feed.
    let kept = at_a_terminal(&sandbox, "feeds remove 1", &[], "n\n");
    assert!(
        kept.contains(&format!(
            "Remove feed 1 ({vendor}) and its {entries} stored entries? [y/N]"
        )),
        "{kept:?}"
    );
    assert!(kept.contains("Nothing removed."), "{kept:?}");
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 2);
    let removed = at_a_terminal(&sandbox, "feeds remove 1", &[], "y\n");
    assert!(removed.contains("Removed feed 1"), "{removed:?}");
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 1);
}

#[test]
fn removing_the_last_feed_with_yes_never_brings_the_catalog_back() {
    let (_server, sandbox) = polled();
    for id in ["1", "2"] {
        let out = sandbox.run(&["feeds", "remove", id, "--yes"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).starts_with(&format!("Removed feed {id}")));
    }
    assert_eq!(sandbox.count("SELECT count(*) FROM entries"), 0);
    let poll = sandbox.run(&["poll"]);
    assert!(stderr(&poll).contains("has no feeds"), "{}", stderr(&poll));
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 0);
    assert_eq!(
        stdout(&sandbox.run(&["feeds", "list", "--format", "csv"]))
            .lines()
            .count(),
        1
    );
}

#[test]
fn events_follow_refuses_csv_with_the_way_out() {
    let (_server, sandbox) = polled();
    let out = sandbox.run(&["events", "--follow", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--follow streams events as JSON Lines, not CSV: drop --format csv"),
        "{}",
        stderr(&out)
    );
}
