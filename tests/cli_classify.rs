//! `statuswatch classify`, driven through the real binary: table, `--json`, `--explain`, `--engine`,
//! `--rules`, and the handling of files that are not feeds.

mod common;
use common::fixture_path;
use common::truth::ENTRY_KEYS;
use std::process::{Command, Output};

fn classify(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_statuswatch"))
        .arg("classify")
        .args(args)
        .output()
        .unwrap()
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn json_has_the_stable_keys_and_the_file_as_given() {
    let f = fixture_path("parse/statuspage_history.atom");
    let out = classify(&["--json", f.to_str().unwrap()]);
    assert!(out.status.success());
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 10);
    let first = &lines[0];
    for key in ENTRY_KEYS {
        assert!(first.get(key).is_some(), "missing {key}");
    }
    assert_eq!(first["file"], f.to_str().unwrap());
    assert_eq!(first["id"], "tag:status.acme.test,2005:Incident/1001");
    assert_eq!(first["status"], "resolved");
    assert_eq!(first["phase"], "resolved");
    assert_eq!(first["engine"], "statuspage");
    assert_eq!(
        first["components"],
        serde_json::json!(["API", "Dashboard (EU)", "Webhooks"])
    );
    assert!(first.get("matches").is_none());
}

#[test]
fn table_and_explain() {
    let f = fixture_path("parse/statuspage_history.atom");
    let out = classify(&["--explain", f.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("10 entries, engine statuspage"));
    assert!(text.contains("STATUS") && text.contains("label-resolved"));
    // The deciding rule is starred; a losing rule shows the text it matched.
    assert!(text.contains("* label-resolved"));
    assert!(
        text.contains("title-outage") && text.contains("\"unavailable\""),
        "{text}"
    );

    let out = classify(&["--json", "--explain", f.to_str().unwrap()]);
    let first = &json_lines(&out)[0];
    let matches = first["matches"].as_array().unwrap();
    assert_eq!(matches[0]["rule"], "label-resolved");
    assert_eq!(matches[0]["decided"], true);
    assert!(matches
        .iter()
        .any(|m| m["rule"] == "title-outage" && m["matched"] == "unavailable"));
}

#[test]
fn explain_shows_the_timeline_the_languages_and_the_chain() {
    // A per-update feed: each item names its chain.
    let f = fixture_path("parse/generic_pagerduty.rss");
    let text = String::from_utf8(classify(&["--explain", f.to_str().unwrap()]).stdout).unwrap();
    assert!(
        text.contains("chain: title:queries are failing (joins the open incident of this chain)"),
        "{text}"
    );
    assert!(
        text.contains("chain: none (the entry is its own incident)"),
        "{text}"
    );

    // A timeline from another generator, in German: every update with its label and time.
    let f = fixture_path("truth/othergen-history.atom");
    let text = String::from_utf8(classify(&["--explain", f.to_str().unwrap()]).stdout).unwrap();
    assert!(text.contains("languages: en, de"), "{text}");
    assert!(text.contains("newest update: [Behoben]"), "{text}");
    assert!(text.contains("then: [Untersuchung]"), "{text}");

    let f = fixture_path("truth/statusfy-updates.atom");
    let out = classify(&["--json", "--explain", f.to_str().unwrap()]);
    let first = &json_lines(&out)[0];
    assert_eq!(first["timeline"][0]["label"], "Identified");
    assert_eq!(first["timeline"][0]["at"], "2026-02-25T12:00:00Z");
    assert_eq!(first["timeline"][1]["text"], "Nightly backups did not run.");
    assert_eq!(first["languages"], serde_json::json!(["en"]));
}

#[test]
fn a_bad_file_is_reported_and_the_others_still_run() {
    let good = fixture_path("parse/aws_service.rss");
    let html = fixture_path("classify/not_a_feed.html");
    let missing = fixture_path("classify/does_not_exist.xml");
    let out = classify(&[
        "--json",
        html.to_str().unwrap(),
        missing.to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json_lines(&out).len(), 10);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("not_a_feed.html") && err.contains("an HTML page"),
        "{err}"
    );
    assert!(
        err.contains("does_not_exist.xml") && err.contains("cannot read"),
        "{err}"
    );
}

#[test]
fn rules_file_overrides_and_broken_rules_are_fatal() {
    let f = fixture_path("parse/generic_pagerduty.rss");
    let rules = fixture_path("classify/override_rules.toml");
    let out = classify(&[
        "--json",
        "--rules",
        rules.to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let lines = json_lines(&out);
    assert_eq!(lines[0]["rule"], "dashboards-are-critical");
    assert_eq!(lines[0]["status"], "outage");
    // label-monitoring is off: "[Monitoring] Queries are failing" falls to the title's outage words.
    assert_eq!(lines[2]["rule"], "title-outage");

    let broken = fixture_path("classify/broken_rules.toml");
    let out = classify(&["--rules", broken.to_str().unwrap(), f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "nothing is classified with a half-loaded rule set"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("broken_rules.toml")
            && err.contains("unclosed-group")
            && err.contains("bad regex"),
        "{err}"
    );
}

#[test]
fn engine_flag_forces_the_extractor() {
    let f = fixture_path("parse/generic_pagerduty.rss");
    let out = classify(&["--json", "--engine", "slack", f.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(json_lines(&out).iter().all(|l| l["engine"] == "slack"));
    let bad = classify(&["--engine", "nonsense", f.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8(bad.stderr)
        .unwrap()
        .contains("unknown engine"));
}

#[test]
fn format_csv_has_a_row_per_entry_with_the_json_fields_and_format_json_is_json() {
    let f = fixture_path("parse/statuspage_history.atom");
    let g = fixture_path("parse/generic_pagerduty.rss");
    let files = [f.to_str().unwrap(), g.to_str().unwrap()];
    let json = json_lines(&classify(&[&["--json"][..], &files].concat()));
    assert_eq!(
        json,
        json_lines(&classify(&[&["--format", "json"][..], &files].concat())),
        "--json is --format json"
    );
    let out = classify(&[&["--format", "csv"][..], &files].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut reader = csv::Reader::from_reader(&out.stdout[..]);
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(
        rows.len(),
        json.len(),
        "one header, then a row per entry of every file"
    );
    for (row, line) in rows.iter().zip(&json) {
        for (name, cell) in headers.iter().zip(row) {
            let expected = match &line[name.as_str()] {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(items) => items
                    .iter()
                    .filter_map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.to_string(),
            };
            assert_eq!(cell, expected, "{name} of {line}");
        }
    }
}

#[test]
fn explain_cannot_be_csv_and_json_cannot_contradict_format() {
    let f = fixture_path("parse/statuspage_history.atom");
    let out = classify(&["--explain", "--format", "csv", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("--explain lists every matching rule, which a CSV row cannot hold"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let both = classify(&["--json", "--format", "csv", f.to_str().unwrap()]);
    assert_eq!(both.status.code(), Some(1), "a usage error");
    assert!(String::from_utf8_lossy(&both.stderr).contains("cannot be used with"));
}
