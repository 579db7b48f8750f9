//! The real-feed corpus test: runs the real binary's `classify --json` over every feed in the shared
//! corpus and compares each entry with its label in `labels.jsonl`, on (file, id).
//!
//! The bar (issue 3): at least 97% of labelled entries exactly right, and not one resolved entry called
//! active nor one active entry called resolved (those are the mistakes that raise or swallow alerts).
//! Accuracy per engine is printed (`cargo test --test classify_corpus -- --nocapture`).
//!
//! The corpus lives outside the crate: `CARGO_MANIFEST_DIR/../shared/corpus`, else `$STATUSWATCH_CORPUS`.
//! Without either the test fails: a skipped corpus test would report success for nothing.
#![allow(clippy::unwrap_used)]

mod common;

use common::corpus_dir;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;


fn is_active(status: &str) -> bool {
    matches!(status, "outage" | "degraded" | "maintenance")
}

#[test]
fn corpus_matches_labels() {
    let corpus = corpus_dir("labels.jsonl");
    let feeds = corpus.join("feeds");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&feeds)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no feeds in {}", feeds.display());

    let out = Command::new(env!("CARGO_BIN_EXE_statuswatch"))
        .arg("classify")
        .arg("--json")
        .args(&files)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "classify failed ({}): {stderr}",
        out.status
    );

    // (file name, id) → (status, engine, title)
    let mut got: HashMap<(String, String), (String, String, String)> = HashMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in [
            "file",
            "id",
            "id_derived",
            "title",
            "status",
            "phase",
            "rule",
            "engine",
            "components",
        ] {
            assert!(v.get(key).is_some(), "key {key} missing in {line}");
        }
        let file = Path::new(v["file"].as_str().unwrap())
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let id = v["id"].as_str().unwrap().to_string();
        let prev = got.insert(
            (file, id.clone()),
            (
                v["status"].as_str().unwrap().into(),
                v["engine"].as_str().unwrap().into(),
                v["title"].as_str().unwrap().into(),
            ),
        );
        assert!(prev.is_none(), "id {id} printed twice");
    }

    let labels = std::fs::read_to_string(corpus.join("labels.jsonl")).unwrap();
    let mut per_engine: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut wrong = Vec::new();
    let mut flips = Vec::new();
    let mut missing = Vec::new();
    let mut total = 0;
    let mut right = 0;
    for line in labels.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let file = v["file"].as_str().unwrap().to_string();
        let id = v["id"].as_str().unwrap().to_string();
        let want = v["status"].as_str().unwrap().to_string();
        total += 1;
        let Some((status, engine, title)) = got.get(&(file.clone(), id.clone())) else {
            missing.push(format!("{file} {id}"));
            continue;
        };
        let slot = per_engine.entry(engine.clone()).or_default();
        slot.1 += 1;
        if *status == want {
            right += 1;
            slot.0 += 1;
        } else {
            wrong.push(format!("{file} {id} {title:?}: got {status}, label {want}"));
            if (want == "resolved" && is_active(status))
                || (is_active(&want) && status == "resolved")
            {
                flips.push(format!("{file} {id}: got {status}, label {want}"));
            }
        }
    }

    println!("corpus accuracy per engine:");
    for (engine, (ok, n)) in &per_engine {
        println!(
            "  {engine:<12} {ok:>3}/{n:<3} {:5.1}%",
            100.0 * *ok as f64 / *n as f64
        );
    }
    let accuracy = 100.0 * right as f64 / total as f64;
    println!("  {:<12} {right:>3}/{total:<3} {accuracy:5.1}%", "all");
    for w in &wrong {
        println!("  wrong: {w}");
    }

    assert!(
        missing.is_empty(),
        "labelled entries not in the output (id mismatch?): {missing:#?}"
    );
    assert!(flips.is_empty(), "resolved/active confusions: {flips:#?}");
    assert!(
        accuracy >= 97.0,
        "accuracy {accuracy:.1}% < 97%: {wrong:#?}"
    );
}
