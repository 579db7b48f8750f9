//! `statuswatch init` and `feeds import|export|list|add|remove` through the real binary.

mod common;
use common::{fixture_path, stderr, stdout, Sandbox};

fn opml_fixture(name: &str) -> String {
    fixture_path(&format!("opml/{name}")).display().to_string()
}

#[test]
fn init_imports_the_bundled_catalog_once() {
    let sandbox = Sandbox::new();
    let first = sandbox.run(&["init"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).contains("51 feeds added"),
        "{}",
        stdout(&first)
    );
    let again = sandbox.run(&["init"]);
    assert!(
        stdout(&again).contains("0 feeds added"),
        "{}",
        stdout(&again)
    );
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 51);
    assert_eq!(
        sandbox.count("SELECT count(*) FROM feeds WHERE vendor = 'aws' AND engine = 'aws'"),
        1
    );
}

#[test]
fn import_of_a_feed_reader_export_adds_only_what_it_is_given() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["feeds", "import", &opml_fixture("feedly.opml")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let n = sandbox.count("SELECT count(*) FROM feeds");
    assert!(n > 0 && n < 51, "only the file's feeds: {n}");
    // Importing again updates nothing.
    let again = sandbox.run(&["feeds", "import", &opml_fixture("feedly.opml")]);
    assert!(
        stdout(&again).contains("0 feeds added, 0 updated"),
        "{}",
        stdout(&again)
    );
}

#[test]
fn a_broken_opml_is_refused_whole_naming_the_line_and_nothing_stored_is_lost() {
    let sandbox = Sandbox::new();
    assert!(sandbox.run(&["init"]).status.success());
    let cases = [
        ("not-xml.opml", "line 1, column 1: not XML"),
        (
            "missing-xmlurl.opml",
            "line 12: outline \"Zoom\" has no xmlUrl attribute",
        ),
    ];
    for (file, message) in cases {
        let out = sandbox.run(&["feeds", "import", &opml_fixture(file)]);
        assert_eq!(out.status.code(), Some(1), "{file}");
        assert!(stderr(&out).contains(message), "{file}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(file),
            "the message names the file: {}",
            stderr(&out)
        );
    }
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 51);
    let missing = sandbox.run(&["feeds", "import", "no-such-file.opml"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("cannot read OPML file no-such-file.opml"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn export_round_trips_through_import() {
    let sandbox = Sandbox::new();
    assert!(sandbox.run(&["init"]).status.success());
    let exported = sandbox.dir.path().join("out.opml");
    let out = sandbox.run(&["feeds", "export", "--output", exported.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let other = Sandbox::new();
    let out = other.run(&["feeds", "import", exported.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let columns =
        "SELECT url, title, vendor, engine, category, html_url, runs_on FROM feeds ORDER BY url";
    let dump = |s: &Sandbox| -> Vec<String> {
        let conn = s.sql();
        let mut stmt = conn.prepare(columns).unwrap();
        stmt.query_map([], |r| {
            Ok((0..7)
                .map(|i| r.get::<_, Option<String>>(i).unwrap().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("|"))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    };
    assert_eq!(dump(&sandbox), dump(&other));
    assert!(
        other.count("SELECT count(*) FROM feeds WHERE runs_on IS NOT NULL") > 0,
        "the bundled map survives the round trip"
    );
}

#[test]
fn add_list_and_remove_one_feed() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&[
        "feeds",
        "add",
        "https://status.example.com/history.atom",
        "--engine",
        "statuspage",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Added feed 1"), "{}", stdout(&out));
    let list = sandbox.run(&["feeds", "list", "--format", "json"]);
    let line: serde_json::Value =
        serde_json::from_str(stdout(&list).lines().next().unwrap()).unwrap();
    assert_eq!(line["vendor"], "example");
    assert_eq!(line["engine"], "statuspage");
    assert_eq!(line["health"], "never fetched");
    let table = stdout(&sandbox.run(&["feeds", "list"]));
    assert!(table.starts_with("ID\tVENDOR"), "{table}");

    let bad = sandbox.run(&["feeds", "add", "ftp://example.com/feed"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("not an http(s) URL"),
        "{}",
        stderr(&bad)
    );
    let bad_engine = sandbox.run(&[
        "feeds",
        "add",
        "https://x.example/feed",
        "--engine",
        "wordpress",
    ]);
    assert_ne!(bad_engine.status.code(), Some(0));
    assert!(
        stderr(&bad_engine).contains("unknown engine"),
        "{}",
        stderr(&bad_engine)
    );

    let gone = sandbox.run(&["feeds", "remove", "1", "--yes"]);
    assert!(gone.status.success(), "{}", stderr(&gone));
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 0);
    let missing = sandbox.run(&["feeds", "remove", "1", "--yes"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("no feed matches \"1\""),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn query_reads_but_never_writes() {
    let sandbox = Sandbox::new();
    assert!(sandbox.run(&["init"]).status.success());
    let out = sandbox.run(&[
        "query",
        "SELECT vendor, category FROM feeds WHERE vendor IN ('aws', 'zoom') ORDER BY vendor",
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "vendor,category\naws,cloud\nzoom,saas\n");
    let write = sandbox.run(&["query", "DELETE FROM feeds"]);
    assert_eq!(write.status.code(), Some(1));
    assert!(
        stderr(&write).contains("refused: `DELETE FROM feeds` writes"),
        "{}",
        stderr(&write)
    );
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 51);
    let typo = sandbox.run(&["query", "SELEC 1"]);
    assert_eq!(typo.status.code(), Some(1));
    assert!(stderr(&typo).contains("syntax error"), "{}", stderr(&typo));
}

#[test]
fn feeds_add_refuses_a_schedule_the_daemon_cannot_keep() {
    let sandbox = Sandbox::new();
    let url = "https://status.example.com/history.atom";
    let out = sandbox.run(&["feeds", "add", url, "--schedule", "every 5 min"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "feed {url}: --schedule: schedule \"every 5 min\": expected 5 fields"
        )),
        "{err}"
    );
    assert!(
        err.contains("such as \"*/5 * * * *\" for every 5 minutes"),
        "{err}"
    );
    assert_eq!(
        sandbox.count("SELECT count(*) FROM feeds"),
        0,
        "nothing stored"
    );
    // Unchecked: the URL is not on loopback, and no test leaves it.
    let ok = sandbox.run(&[
        "feeds",
        "add",
        url,
        "--schedule",
        "*/5 * * * *",
        "--no-check",
    ]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert_eq!(
        sandbox.count("SELECT count(*) FROM feeds WHERE schedule = '*/5 * * * *'"),
        1
    );
}

#[test]
fn an_opml_schedule_the_daemon_cannot_keep_is_refused_at_import_naming_the_line() {
    let sandbox = Sandbox::new();
    let path = sandbox.write(
        "mine.opml",
        "<?xml version=\"1.0\"?>\n<opml version=\"2.0\"><body>\n<outline text=\"Good\" xmlUrl=\"https://a.example/feed\" schedule=\"*/5 * * * *\"/>\n<outline text=\"Zoom\" xmlUrl=\"https://b.example/feed\" schedule=\"61 * * * *\"/>\n</body></opml>\n",
    );
    let out = sandbox.run(&["feeds", "import", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("mine.opml: line 4, column 54: outline \"Zoom\" has an invalid schedule \"61 * * * *\": field 1 (minute) has 61, which is out of range 0-59; write 5 cron fields"),
        "{err}"
    );
    assert_eq!(
        sandbox.count("SELECT count(*) FROM feeds"),
        0,
        "all or nothing"
    );
}

#[test]
fn feeds_add_runs_on_is_stored_listed_and_exported() {
    let sandbox = Sandbox::new();
    let url = "https://status.example.com/history.atom";
    // --engine: added as given, never fetched.
    let out = sandbox.run(&[
        "feeds",
        "add",
        url,
        "--engine",
        "statuspage",
        "--runs-on",
        "AWS:us-east-1, cloudflare",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        sandbox.strings("SELECT runs_on FROM feeds"),
        ["aws:us-east-1,cloudflare"]
    );

    let list = sandbox.run(&["feeds", "list", "--format", "json"]);
    let line: serde_json::Value =
        serde_json::from_str(stdout(&list).lines().next().unwrap()).unwrap();
    assert_eq!(
        line["runs_on"],
        serde_json::json!(["aws:us-east-1", "cloudflare"])
    );
    let table = stdout(&sandbox.run(&["feeds", "list"]));
    let header = table.lines().next().unwrap();
    assert!(header.trim_end().ends_with("RUNS ON"), "{table}");
    assert!(table.contains("aws:us-east-1,cloudflare"), "{table}");
    let csv = stdout(&sandbox.run(&["feeds", "list", "--format", "csv"]));
    assert!(csv.lines().next().unwrap().ends_with(",runs_on"), "{csv}");
    assert!(csv.contains("\"aws:us-east-1,cloudflare\""), "{csv}");

    let exported = stdout(&sandbox.run(&["feeds", "export"]));
    assert!(
        exported.contains(r#"runs_on="aws:us-east-1,cloudflare""#),
        "{exported}"
    );

    // Added again without --runs-on: only what is given changes, the map stays...
    let again = sandbox.run(&["feeds", "add", url, "--engine", "statuspage"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(
        sandbox.strings("SELECT runs_on FROM feeds"),
        ["aws:us-east-1,cloudflare"]
    );
    // ...and an empty --runs-on clears it.
    let cleared = sandbox.run(&["feeds", "add", url, "--runs-on", ""]);
    assert!(cleared.status.success(), "{}", stderr(&cleared));
    assert_eq!(
        sandbox.count("SELECT count(*) FROM feeds WHERE runs_on IS NULL"),
        1
    );
    let list = sandbox.run(&["feeds", "list", "--format", "json"]);
    let line: serde_json::Value =
        serde_json::from_str(stdout(&list).lines().next().unwrap()).unwrap();
    assert_eq!(line["runs_on"], serde_json::json!([]));
}

#[test]
fn feeds_add_refuses_a_runs_on_it_cannot_read_or_that_names_the_vendor_itself() {
    let sandbox = Sandbox::new();
    let url = "https://status.example.com/history.atom";
    let cases: [(&[&str], &str); 3] = [
        (
            &["--runs-on", "aws us-east-1"],
            "runs_on item \"aws us-east-1\": a provider is a vendor key",
        ),
        (
            &["--runs-on", "aws:,cloudflare"],
            "runs_on item \"aws:\": the region after ':' is empty",
        ),
        // The vendor taken from the host (`example`) may not name itself either.
        (
            &["--runs-on", "aws,example:us"],
            "runs_on item \"example:us\": names the vendor itself",
        ),
    ];
    for (flags, message) in cases {
        let mut args = vec!["feeds", "add", url, "--engine", "statuspage"];
        args.extend_from_slice(flags);
        let out = sandbox.run(&args);
        assert_eq!(out.status.code(), Some(1), "{flags:?}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!("feed {url}: --runs-on: {message}")),
            "{flags:?}: {err}"
        );
        assert!(
            err.contains("write provider or provider:region, separated by commas"),
            "{err}"
        );
    }
    let named = sandbox.run(&[
        "feeds",
        "add",
        url,
        "--vendor",
        "heroku",
        "--no-check",
        "--runs-on",
        "Heroku",
    ]);
    assert_eq!(named.status.code(), Some(1));
    assert!(
        stderr(&named).contains("runs_on item \"heroku\": names the vendor itself"),
        "{}",
        stderr(&named)
    );
    assert_eq!(
        sandbox.count("SELECT count(*) FROM feeds"),
        0,
        "nothing stored"
    );
}

#[test]
fn an_opml_runs_on_that_cannot_be_read_is_refused_at_import_naming_the_line() {
    let sandbox = Sandbox::new();
    let path = sandbox.write(
        "mine.opml",
        "<?xml version=\"1.0\"?>\n<opml version=\"2.0\"><body>\n<outline text=\"Good\" xmlUrl=\"https://a.example/feed\" runs_on=\"aws:us-east-1\"/>\n<outline text=\"Zoom\" xmlUrl=\"https://b.example/feed\" runs_on=\"aws;gcp\"/>\n</body></opml>\n",
    );
    let out = sandbox.run(&["feeds", "import", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("mine.opml: line 4, column 54: outline \"Zoom\" has an invalid runs_on: runs_on item \"aws;gcp\": a provider is a vendor key"),
        "{err}"
    );
    assert_eq!(
        sandbox.count("SELECT count(*) FROM feeds"),
        0,
        "all or nothing"
    );
}

#[test]
fn removing_the_last_feed_never_brings_the_bundled_catalog_back() {
    let sandbox = Sandbox::new();
    let url = common::refused_url("/mine.atom");
    assert!(sandbox
        .run(&["feeds", "add", &url, "--no-check"])
        .status
        .success());
    assert!(sandbox
        .run(&["feeds", "remove", &url, "--yes"])
        .status
        .success());
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 0);
    // The database exists, so this poll must not import (and fetch) the real vendors.
    let out = sandbox.run(&["poll"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert!(
        common::stderr(&out).contains("The database has no feeds: add some"),
        "{}",
        common::stderr(&out)
    );
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 0);
}

#[test]
fn feeds_add_on_a_known_url_changes_only_what_it_is_given() {
    let sandbox = Sandbox::new();
    let url = common::refused_url("/known.atom");
    let out = sandbox.run(&[
        "feeds",
        "add",
        &url,
        "--no-check",
        "--vendor",
        "skylark",
        "--title",
        "Skylark",
        "--category",
        "saas",
        "--runs-on",
        "aws:us-east-1",
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    // No --no-check needed: a known URL is not fetched again.
    let out = sandbox.run(&["feeds", "add", &url, "--title", "Skylark Cloud"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(common::stdout(&out).starts_with("Updated feed 1: Skylark Cloud"));
    let row: Vec<String> = sandbox
        .strings("SELECT title || '|' || vendor || '|' || category || '|' || runs_on FROM feeds");
    assert_eq!(row, ["Skylark Cloud|skylark|saas|aws:us-east-1"]);
}

#[test]
fn a_disabled_feed_is_not_fetched_until_enabled_again() {
    let (server, sandbox) = common::one_feed_polled(
        "/skylark.atom",
        common::fixture("feeds/statuspage-v1.atom"),
        "skylark",
    );
    let out = sandbox.run(&["feeds", "disable", "1"]);
    assert!(
        common::stdout(&out).contains("is disabled."),
        "{}",
        common::stdout(&out)
    );
    let list = common::stdout(&sandbox.run(&["feeds", "list", "--format", "json"]));
    assert!(list.contains("disabled"), "{list}");
    server.clear_seen();
    sandbox.make_due();
    assert_eq!(sandbox.run(&["poll"]).status.code(), Some(0));
    assert!(server.seen("/skylark.atom").is_empty());
    assert!(!common::stdout(&sandbox.run(&["status", "--all"])).contains("skylark"));

    let again = sandbox.run(&["feeds", "disable", "1"]);
    assert!(common::stdout(&again).contains("(it already was)"));
    assert!(sandbox.run(&["feeds", "enable", "1"]).status.success());
    sandbox.make_due();
    assert_eq!(sandbox.run(&["poll"]).status.code(), Some(0));
    assert_eq!(server.seen("/skylark.atom").len(), 1);
    let missing = sandbox.run(&["feeds", "enable", "99"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(common::stderr(&missing).contains("no feed matches \"99\""));
}

#[test]
fn feeds_import_says_which_outlines_repeat_a_url() {
    let sandbox = Sandbox::new();
    let file = sandbox.write(
        "reader.opml",
        r#"<?xml version="1.0"?>
<opml version="2.0"><head><title>reader</title></head><body>
<outline text="Work"><outline text="Ops">
  <outline text="Skylark" xmlUrl="http://127.0.0.1:9/skylark.atom"/>
</outline></outline>
<outline text="Skylark again" xmlUrl="http://127.0.0.1:9/skylark.atom"/>
</body></opml>
"#,
    );
    let out = sandbox.run(&["feeds", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 feeds added"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains(
            "line 6: outline \"Skylark again\" repeats the xmlUrl of line 4 (http://127.0.0.1:9/skylark.atom): kept the first"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(sandbox.strings("SELECT category FROM feeds"), ["Work/Ops"]);
}

#[test]
fn feeds_add_under_another_spelling_is_the_feed_already_stored() {
    let sandbox = Sandbox::new();
    let add = |url: &str, title: &str| {
        sandbox.run(&["feeds", "add", url, "--no-check", "--title", title])
    };
    let out = add("https://status.example.com/History.atom", "Skylark");
    assert!(
        stdout(&out).starts_with("Added feed 1: Skylark"),
        "{}",
        stderr(&out)
    );
    // Scheme, host case, default port and a trailing dot do not make another feed; known, so
    // not fetched (no --no-check needed).
    let out = sandbox.run(&[
        "feeds",
        "add",
        "HTTPS://Status.Example.COM.:443/History.atom",
        "--title",
        "Skylark Cloud",
    ]);
    assert!(
        stdout(&out)
            .starts_with("Updated feed 1: Skylark Cloud (https://status.example.com/History.atom)"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    // The path's case is the server's: another path is another feed.
    let out = add("https://status.example.com/history.atom", "Lower");
    assert!(
        stdout(&out).starts_with("Added feed 2: Lower"),
        "{}",
        stderr(&out)
    );
    let out = add("http://Status.Example.com", "Root");
    assert!(stdout(&out).starts_with("Added feed 3"), "{}", stderr(&out));
    assert_eq!(
        sandbox.strings("SELECT url FROM feeds ORDER BY id"),
        [
            "https://status.example.com/History.atom",
            "https://status.example.com/history.atom",
            "http://status.example.com/"
        ]
    );
}

#[test]
fn feeds_stored_before_urls_were_normalised_are_found_and_never_merged_silently() {
    let sandbox = Sandbox::new();
    let out = sandbox.run(&["feeds", "add", "https://a.example/feed", "--no-check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let old = "INSERT INTO feeds (url, title, vendor, added_at) VALUES (?1, 'Old', 'old', '2025-01-01T00:00:00Z')";
    sandbox
        .sql()
        .execute(old, ["HTTPS://Old.Example.com:443/feed"])
        .unwrap();
    let out = sandbox.run(&[
        "feeds",
        "add",
        "https://old.example.com/feed",
        "--title",
        "Renamed",
    ]);
    assert!(
        stdout(&out).starts_with("Updated feed 2: Renamed (HTTPS://Old.Example.com:443/feed)"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let opml = sandbox.write(
        "spelled.opml",
        r#"<opml version="2.0"><body><outline text="Again" xmlUrl="https://OLD.example.com/feed"/></body></opml>"#,
    );
    let out = sandbox.run(&["feeds", "import", opml.to_str().unwrap()]);
    assert!(
        stdout(&out).contains("0 feeds added, 1 updated"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(sandbox.count("SELECT COUNT(*) FROM feeds"), 2);

    // Two old rows that are one URL: which one is meant is the user's to say.
    sandbox
        .sql()
        .execute(old, ["https://old.example.com./feed"])
        .unwrap();
    for args in [
        vec![
            "feeds",
            "add",
            "https://old.example.com/feed",
            "--title",
            "X",
        ],
        vec!["feeds", "import", opml.to_str().unwrap()],
    ] {
        let out = sandbox.run(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(
                "feeds 2, 3 are the same URL spelled 2 ways (https://old.example.com/feed)"
            ) && err.contains("statuswatch feeds remove ID"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(sandbox.count("SELECT COUNT(*) FROM feeds"), 3);
    assert_eq!(
        sandbox.strings("SELECT title FROM feeds WHERE id = 2"),
        ["Again"]
    );
}
