//! `statuswatch completions` and `statuswatch man`, as a user installs them.

mod common;
use common::{stderr, stdout, Sandbox};

#[test]
fn completion_scripts_know_every_command() {
    let sandbox = Sandbox::new();
    for (shell, marker) in [
        ("bash", "_statuswatch()"),
        ("zsh", "#compdef statuswatch"),
        ("fish", "complete -c statuswatch"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = sandbox.run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell}");
        for command in ["poll", "serve", "replay", "webhooks"] {
            assert!(script.contains(command), "{shell} lacks {command}");
        }
    }
    let bad = sandbox.run(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("invalid value 'tcsh'"),
        "{}",
        stderr(&bad)
    );
    assert!(
        !sandbox.db().exists(),
        "no database for a completion script"
    );
}

#[test]
fn manual_pages_for_the_program_and_each_command() {
    let sandbox = Sandbox::new();
    let main = stdout(&sandbox.run(&["man"]));
    assert!(main.contains(".TH statuswatch 1"), "{main}");
    assert!(main.contains("serve"), "the commands are listed");
    let poll = stdout(&sandbox.run(&["man", "poll"]));
    assert!(
        poll.contains(".TH statuswatch\\-poll 1") || poll.contains(".TH statuswatch-poll 1"),
        "{poll}"
    );
    assert!(poll.contains("\\-\\-deliver\\-timeout") || poll.contains("deliver-timeout"));
    let bad = sandbox.run(&["man", "pol"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("no command \"pol\""),
        "{}",
        stderr(&bad)
    );
}
