//! The real-feed corpus, one level up from `truth_corpus_entries`: each corpus document is served on
//! 127.0.0.1 and polled by the real binary into a fresh SQLite file, and the vendor's state
//! (`current_status`, component `''`) and its open incidents are compared with
//! `state-labels.jsonl` (rules in the corpus's LABELING.md).
//!
//! The bar (issue 12): the state and the set of open incidents right for at least 95% of
//! documents. Each document's result is printed
//! (`cargo test --test truth_corpus_state -- --nocapture`). Without the corpus the test fails.

mod common;

use common::corpus_dir;
use common::truth::state_report;

#[test]
fn corpus_documents_end_in_their_labelled_state() {
    let corpus = corpus_dir("state-labels.jsonl");
    let (right, total, lines) =
        state_report(&corpus.join("feeds"), &corpus.join("state-labels.jsonl"));
    let share = 100.0 * right as f64 / total as f64;
    println!("corpus state per document:");
    for line in &lines {
        println!("{line}");
    }
    println!("  {right}/{total} documents right ({share:.1}%)");
    assert!(
        share >= 95.0,
        "only {share:.1}% of documents right:\n{}",
        lines.join("\n")
    );
}
