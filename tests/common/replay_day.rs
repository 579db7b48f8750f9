//! The replay fixtures under `fixtures/replay/` (written by `fixtures/replay/generate.py`) and
//! the real binary's `replay` over them: the events it raised, and facts read from the
//! captures themselves (when a vendor first posted, when it last changed), so a test states
//! its expectations from the fixture rather than from numbers copied out of the output.
#![allow(dead_code)]

use super::Sandbox;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// `fixtures/replay/<name>`.
pub fn day_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/replay")
        .join(name)
}

/// The time a capture file is named by (`20251020T065131Z.xml`).
pub fn capture_time(path: &Path) -> DateTime<Utc> {
    let stem = path.file_stem().unwrap().to_str().unwrap();
    NaiveDateTime::parse_from_str(stem, "%Y%m%dT%H%M%SZ")
        .unwrap_or_else(|e| panic!("{}: not a capture time: {e}", path.display()))
        .and_utc()
}

/// A vendor's captures, oldest first.
pub fn captures(day: &str, vendor: &str) -> Vec<PathBuf> {
    let dir = day_dir(day).join(vendor);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    files
}

/// When the vendor first posted on the day: its first capture after the first (the first
/// holds only its history; a fixture writes a capture only when the document changed).
pub fn first_post(day: &str, vendor: &str) -> Option<DateTime<Utc>> {
    captures(day, vendor).get(1).map(|p| capture_time(p))
}

/// When the feed last changed on the day (for a member: its recovery).
pub fn last_change(day: &str, vendor: &str) -> DateTime<Utc> {
    capture_time(captures(day, vendor).last().unwrap())
}

/// Everything any of the vendor's captures say, lowercase.
pub fn all_text(day: &str, vendor: &str) -> String {
    captures(day, vendor)
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap().to_lowercase())
        .collect::<Vec<_>>()
        .join("\n")
}

/// What one replay printed and raised: each event's payload (the webhook body).
pub struct Replayed {
    pub code: Option<i32>,
    pub stderr: String,
    pub events: Vec<Value>,
}

impl Replayed {
    /// The events of one type, in the order raised.
    pub fn of(&self, kind: &str) -> Vec<&Value> {
        self.events.iter().filter(|e| e["type"] == kind).collect()
    }

    /// Every event as a line, for an assertion's message.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        for e in &self.events {
            let kind = e["type"].as_str().unwrap_or("?");
            let extra = match kind {
                "correlated_outage" => format!(
                    "cluster {} {} joined={} members={} cause={}",
                    e["cluster_id"],
                    e["phase"],
                    e["joined"],
                    members(e).join(","),
                    e["suspected_cause"]
                ),
                _ => format!("{} {} -> {}", e["vendor"], e["from"], e["to"]),
            };
            out.push_str(&format!(
                "{} {kind} {extra} | {}\n",
                e["detected_at"].as_str().unwrap_or("?"),
                e["title"].as_str().unwrap_or("")
            ));
        }
        out.push_str("--- stderr ---\n");
        out.push_str(&self.stderr);
        out
    }
}

/// A correlated_outage event's member vendor keys.
pub fn members(e: &Value) -> Vec<String> {
    e["vendors"]
        .as_array()
        .map(|vs| {
            vs.iter()
                .filter_map(|v| v["vendor"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// An event's `detected_at`.
pub fn detected(e: &Value) -> DateTime<Utc> {
    let text = e["detected_at"].as_str().unwrap_or_default();
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|err| panic!("detected_at {text:?}: {err}"))
        .with_timezone(&Utc)
}

/// `statuswatch replay fixtures/replay/<day> --db <sandbox db> --keep --format json` plus
/// `extra` (through `common::replay`), each JSON line of its output an event.
pub fn replay(sandbox: &Sandbox, day: &str, extra: &[&str]) -> Replayed {
    let db = sandbox.db();
    let mut args = vec!["--db", db.to_str().unwrap(), "--keep", "--format", "json"];
    args.extend_from_slice(extra);
    // Hermetic like every replay test: no STATUSWATCH_DB, no developer configuration.
    let run = super::replay::replay(&day_dir(day), &args);
    let events = run
        .events()
        .into_iter()
        .map(|line| match line.get("payload") {
            // `events --format json` wraps the webhook payload in the outbox row's fields.
            Some(payload) if payload.is_object() => payload.clone(),
            _ => panic!(
                "replay printed a line with no payload: {line}\n{}",
                run.stderr
            ),
        })
        .collect();
    Replayed {
        code: Some(run.code),
        stderr: run.stderr,
        events,
    }
}
