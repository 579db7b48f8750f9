//! A document that makes feed-rs panic fails alone with a clean error, and Rust's panic text
//! (and a backtrace under `RUST_BACKTRACE`) stays out of the output: the binary's panic hook
//! logs caught parser panics at debug. Any other panic is a bug and stays loud.

mod common;
use common::{stderr, Resource, Sandbox, ATOM};

/// feed-rs unwraps the hours of an itunes:duration: an oversized number panics inside it (the
/// same document as `parse_bad_input`'s).
const HOSTILE: &str = r#"<?xml version="1.0"?><rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>T</title><item><guid>p</guid><title>x</title><itunes:duration>99999999999999999999999:00:00</itunes:duration></item></channel></rss>"#;

fn assert_no_panic_text(err: &str) {
    for text in [
        "panicked at",
        "stack backtrace",
        "RUST_BACKTRACE",
        "PosOverflow }\n",
    ] {
        assert!(!err.contains(text), "{text:?} reached stderr:\n{err}");
    }
}

/// Runs `args` under `RUST_BACKTRACE=backtrace`, asserts exit 2 (a feed or file failed) with no
/// panic text on stderr, and returns stderr.
fn run_failing_quietly(sandbox: &Sandbox, args: &[&str], backtrace: &str) -> String {
    let out = sandbox
        .command(args)
        .env("RUST_BACKTRACE", backtrace)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let err = stderr(&out);
    assert_no_panic_text(&err);
    err
}

#[test]
fn a_parser_panic_in_classify_prints_only_the_clean_error() {
    let sandbox = Sandbox::new();
    let file = sandbox.write("hostile.xml", HOSTILE);
    let err = run_failing_quietly(&sandbox, &["classify", file.to_str().unwrap()], "1");
    assert!(
        err.contains("hostile.xml: the feed parser crashed on this document"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_parser_panic_is_logged_at_debug() {
    let sandbox = Sandbox::new();
    let file = sandbox.write("hostile.xml", HOSTILE);
    let out = sandbox
        .command(&["-v", "classify", file.to_str().unwrap()])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(
        err.contains("DEBUG") && err.contains("The parser panicked on a document"),
        "{err}"
    );
    assert!(
        err.contains("feed-rs"),
        "the log names where it panicked: {err}"
    );
}

#[test]
fn a_parser_panic_during_poll_fails_that_feed_alone_quietly() {
    let server = common::FeedServer::start();
    server.set("/hostile.rss", Resource::feed(HOSTILE));
    server.set("/fine.atom", Resource::feed(ATOM));
    let sandbox = Sandbox::new();
    sandbox.add_feed("Hostile", &server.url("/hostile.rss"));
    sandbox.add_feed("Fine", &server.url("/fine.atom"));
    let err = run_failing_quietly(&sandbox, &["poll"], "full");
    assert!(
        err.contains("\"Hostile\"") && err.contains("the feed parser crashed"),
        "{err}"
    );
    assert_eq!(
        sandbox.count("SELECT count(*) FROM fetches WHERE outcome = 'ok'"),
        1,
        "the fine feed was stored"
    );
}

/// Set in the child this test binary runs of itself.
const CHILD: &str = "STATUSWATCH_PANIC_HOOK_CHILD";

#[test]
fn a_panic_outside_the_parser_keeps_the_default_message() {
    if std::env::var_os(CHILD).is_some() {
        statuswatch::cli::panics::install();
        // Quiet: caught inside the parser.
        let parsed = statuswatch::parse::parse_feed(
            HOSTILE.as_bytes(),
            &statuswatch::parse::ParseOptions::default(),
        );
        assert!(parsed.is_err());
        assert!(!statuswatch::parse::panic_is_caught(), "the region ended");
        panic!("a real bug stays loud");
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_panic_outside_the_parser_keeps_the_default_message",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD, "1")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the child's panic fails its test");
    let err = stderr(&out);
    assert!(
        err.contains("panicked at") && err.contains("a real bug stays loud"),
        "{err}"
    );
    assert_eq!(
        err.matches("panicked at").count(),
        1,
        "only the real bug: {err}"
    );
}
