//! Every input a fuzz target ever crashed on, kept in fuzz/regressions/TARGET/, replayed
//! through the same property the target checks (fuzz/properties.rs), so a fixed crash stays
//! fixed without nightly or libFuzzer.

use std::path::Path;

include!("../fuzz/properties.rs");

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.file_name().is_some_and(|n| n != ".gitkeep"))
        .collect();
    inputs.sort();
    for input in inputs {
        let data = std::fs::read(&input).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{target}: {} fails again", input.display());
    }
}

#[test]
fn parse_feed_crashes_stay_fixed() {
    replay("parse_feed", check_parse_feed);
}

#[test]
fn classify_crashes_stay_fixed() {
    replay("classify", check_classify);
}

#[test]
fn opml_crashes_stay_fixed() {
    replay("opml", check_opml);
}

#[test]
fn config_crashes_stay_fixed() {
    replay("config", check_config);
}

/// The properties themselves must be able to fail: a document the parser must read, and
/// an OPML file our export must keep, checked on seeds that exercise each path.
#[test]
fn the_properties_run_on_real_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let atom = std::fs::read(root.join("fixtures/parse/statuspage_history.atom")).unwrap();
    let mut input = vec![255u8];
    input.extend_from_slice(&atom);
    check_parse_feed(&input);
    check_opml(&std::fs::read(root.join("feeds.opml")).unwrap());
    check_classify(b"Major outage\0We are investigating elevated errors\0major\0");
    check_config(b"[network]\nallow = [\"10.0.0.0/8\"]\n");
}
