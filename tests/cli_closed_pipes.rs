//! A reader that goes away (`statuswatch poll 2>&1 | head -1`, `query ... | head`) never makes
//! the binary panic: a closed stdout is the reader's choice and the command ends with the code
//! it earned; a closed stderr drops the lines nobody can read. Each test spawns the real binary
//! with a pipe whose reading end is closed before it writes anything.

mod common;
use common::{refused_url, Resource, Sandbox, ATOM, FAST};
use std::process::{Child, Stdio};

/// A sandbox with `ok` feeds served on 127.0.0.1 and `refused` ones nobody answers, so a poll
/// prints a failure line per refused feed on stderr and a summary on stdout.
fn feeds(ok: usize, refused: usize) -> (common::FeedServer, Sandbox) {
    let server = common::FeedServer::start();
    let sandbox = Sandbox::new();
    for i in 0..ok {
        let path = format!("/ok{i}.atom");
        server.set(&path, Resource::feed(ATOM));
        sandbox.add_feed(&format!("Ok{i}"), &server.url(&path));
    }
    for i in 0..refused {
        sandbox.add_feed(&format!("Gone{i}"), &refused_url(&format!("/gone{i}.xml")));
    }
    (server, sandbox)
}

/// Spawns `args` with both streams piped; the caller closes one of them at once.
fn spawn(sandbox: &Sandbox, args: &[&str]) -> Child {
    sandbox
        .command(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Closes the child's stdout before it writes, reads its stderr to the end, and returns the
/// exit code and stderr.
fn with_stdout_closed(mut child: Child) -> (Option<i32>, String) {
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (out.status.code(), common::stderr(&out))
}

/// Closes the child's stderr before it writes, reads its stdout to the end, and returns the
/// exit code and stdout.
fn with_stderr_closed(mut child: Child) -> (Option<i32>, String) {
    drop(child.stderr.take());
    let out = child.wait_with_output().unwrap();
    (out.status.code(), common::stdout(&out))
}

fn poll_args() -> Vec<&'static str> {
    let mut args = vec!["-v", "poll"];
    args.extend_from_slice(FAST);
    args
}

#[test]
fn poll_with_stderr_closed_stores_and_summarises_instead_of_panicking() {
    // Regression: `poll 2>&1 | head -1` exited 101, "failed printing to stderr", at the first
    // failure line after head had gone. -v adds a log line per feed (tracing's writer).
    let (_server, sandbox) = feeds(4, 4);
    let (code, out) = with_stderr_closed(spawn(&sandbox, &poll_args()));
    assert_eq!(code, Some(2), "four feeds failed; stdout:\n{out}");
    assert!(
        out.contains("Polled 8 feeds: 4 fetched, 0 not modified, 4 failed"),
        "{out}"
    );
    assert_eq!(sandbox.count("SELECT count(*) FROM fetches"), 8);
    assert_eq!(
        sandbox.count("SELECT count(*) FROM entries"),
        4,
        "every fetched feed stored"
    );
}

#[test]
fn poll_with_both_streams_closed_still_finishes_its_cycle() {
    let (_server, sandbox) = feeds(3, 3);
    let mut child = spawn(&sandbox, &poll_args());
    drop(child.stdout.take());
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(2));
    assert_eq!(sandbox.count("SELECT count(*) FROM fetches"), 6);
}

#[test]
fn poll_with_stdout_closed_reports_failures_and_keeps_its_exit_code() {
    let (_server, sandbox) = feeds(2, 2);
    let (code, err) = with_stdout_closed(spawn(&sandbox, &["poll", "--connect-timeout", "1s"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.matches("failed: cannot connect").count(), 2, "{err}");
}

#[test]
fn query_and_status_with_stdout_closed_succeed_quietly() {
    let (_server, sandbox) = feeds(2, 0);
    assert_eq!(sandbox.run(&["poll"]).status.code(), Some(0));
    // Far more than a pipe's buffer, so the write meets the closed pipe.
    let many = "WITH RECURSIVE n(i) AS (VALUES(1) UNION ALL SELECT i + 1 FROM n WHERE i < 200000) SELECT i, 'row ' || i FROM n";
    for args in [
        vec!["query", many],
        vec!["query", many, "--format", "json"],
        vec!["query", many, "--format", "csv"],
        vec!["status", "--all"],
        vec!["feeds", "list"],
        vec!["man"],
        vec!["completions", "bash"],
    ] {
        let (code, err) = with_stdout_closed(spawn(&sandbox, &args));
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert_eq!(err, "", "{args:?}: nothing on stderr");
    }
}

#[test]
fn an_error_with_stderr_closed_exits_fatal_without_a_panic() {
    let sandbox = Sandbox::new();
    // No database: the error line goes to a closed stderr; the exit code still tells.
    let (code, out) = with_stderr_closed(spawn(&sandbox, &["status"]));
    assert_eq!(code, Some(1), "{out}");
}
