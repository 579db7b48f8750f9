//! Our own truth fixtures (`fixtures/truth/`, see its README): shapes and languages the shared
//! corpus has few or none of, held to the corpus's bars. Entry accuracy is printed per engine
//! and language (`cargo test --test truth_fixtures -- --nocapture`).

mod common;

use std::path::Path;

use common::truth::{entry_report, state_report};

fn dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/truth")
}

/// "cstate-fr.xml" → "fr"; files without a language suffix are English.
fn language(file: &str) -> &str {
    let stem = file.split('.').next().unwrap_or(file);
    match stem.rsplit_once('-') {
        Some((_, l)) if l.len() == 2 => l,
        _ => "en",
    }
}

#[test]
fn fixture_entries_match_their_labels() {
    let report = entry_report(&dir(), &dir().join("labels.jsonl"), |file, engine| {
        format!("{engine}/{}", language(file))
    });
    report.print("fixture accuracy per engine/language");
    report.assert_entry_bars();
    let (worst, file) = report.worst_file();
    assert!(
        worst >= 95.0,
        "{file}: {worst:.1}% < 95%: {:#?}",
        report.wrong
    );
}

#[test]
fn fixture_documents_end_in_their_labelled_state() {
    let (right, total, lines) = state_report(&dir(), &dir().join("state-labels.jsonl"));
    println!("fixture state per document:");
    for line in &lines {
        println!("{line}");
    }
    assert_eq!(right, total, "\n{}", lines.join("\n"));
}
