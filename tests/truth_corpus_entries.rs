//! The real-feed corpus test: runs the real binary's `classify --json` over every feed in the shared
//! corpus and compares each entry with its label in `labels.jsonl`, on (file, id).
//!
//! The bar (issue 3): at least 97% of labelled entries exactly right, and not one resolved entry called
//! active nor one active entry called resolved (those are the mistakes that raise or swallow alerts).
//! Accuracy per engine is printed (`cargo test --test truth_corpus_entries -- --nocapture`).
//!
//! The corpus lives outside the crate: `CARGO_MANIFEST_DIR/../shared/corpus`, else `$STATUSWATCH_CORPUS`.
//! Without either the test fails: a skipped corpus test would report success for nothing.

mod common;

use common::corpus_dir;
use common::truth::entry_report;

#[test]
fn corpus_matches_labels() {
    let corpus = corpus_dir("labels.jsonl");
    let report = entry_report(
        &corpus.join("feeds"),
        &corpus.join("labels.jsonl"),
        |_, engine| engine.to_string(),
    );
    report.print("corpus accuracy per engine");
    report.assert_entry_bars();
}
