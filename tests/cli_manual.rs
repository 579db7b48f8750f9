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

#[test]
fn every_commands_help_ends_with_examples_of_it() {
    let sandbox = Sandbox::new();
    let commands = [
        "init",
        "feeds",
        "poll",
        "status",
        "query",
        "events",
        "history",
        "clusters",
        "run",
        "serve",
        "classify",
        "reclassify",
        "override",
        "webhooks",
        "replay",
        "completions",
        "man",
    ];
    for command in commands {
        let help = stdout(&sandbox.run(&[command, "--help"]));
        let examples = help
            .rfind("Examples:\n")
            .unwrap_or_else(|| panic!("{command} --help has no examples:\n{help}"));
        let tail = &help[examples..];
        assert!(
            tail.lines()
                .skip(1)
                .all(|l| l.trim_start().starts_with("statuswatch ")
                    || l.starts_with("    ")
                    || l.starts_with("  STATUSWATCH_")
                    || l.starts_with("  curl ")
                    || l.trim().is_empty()),
            "{command}: {tail}"
        );
        assert!(
            tail.contains(&format!("statuswatch {command}")),
            "{command}: {tail}"
        );
    }
    // And the list above is every command there is.
    let top = stdout(&sandbox.run(&["--help"]));
    let listed = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // Wrapped descriptions are indented further.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .count();
    assert_eq!(listed, commands.len(), "{top}");
}
