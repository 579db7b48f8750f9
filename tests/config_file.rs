//! The configuration file as the binary reads it: where it is found, bad files refused at
//! start naming the file and line, and secrets kept out of output and logs.

mod common;
use common::outbox::TestFeed;
use common::receiver::{hook, Receiver};
use common::{stderr, stdout, Sandbox};
use statuswatch::model::Status;

#[test]
fn a_webhook_url_that_is_not_http_stops_poll_at_start_naming_the_line() {
    let sandbox = Sandbox::new();
    TestFeed::new(&sandbox.db(), "aws", "cloud");
    sandbox.write(
        "statuswatch.toml",
        "# hooks\n[[webhooks]]\nname = \"ops\"\nurl = \"ftp://files.example.com/drop?token=s3cr3t\"\n",
    );
    let out = sandbox.run(&["poll"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(
            "statuswatch.toml: line 4: webhook \"ops\": url must be http or https, not \"ftp\""
        ),
        "{err}"
    );
    assert!(!err.contains("s3cr3t"), "{err}");
    assert_eq!(
        sandbox.count("SELECT count(*) FROM fetches"),
        0,
        "nothing ran"
    );
}

#[test]
fn an_unknown_key_is_refused_naming_the_file_and_line() {
    let sandbox = Sandbox::new();
    let path = sandbox.write(
        "custom.toml",
        "[[webhooks]]\nname = \"ops\"\nurl = \"https://hooks.example.com/x\"\nmin_severity = \"outage\"\n",
    );
    let out = sandbox.run(&["--config", path.to_str().unwrap(), "webhooks", "list"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("custom.toml: line 4, column 1"), "{err}");
    assert!(err.contains("min_severity"), "{err}");
    let out = sandbox.run(&["poll"]);
    assert!(
        out.status.success() || out.status.code() == Some(2),
        "no config by default"
    );
}

#[test]
fn the_file_is_found_by_flag_variable_or_default_paths() {
    let sandbox = Sandbox::new();
    let r = Receiver::start();
    let file = |name: &str| hook(name, &r.url("/x"), "");
    let listed = |out: std::process::Output| -> String {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    // Nothing anywhere: no webhooks.
    assert!(listed(sandbox.run(&["webhooks", "list"])).contains("No webhooks configured"));
    // The user's config directory.
    let xdg = sandbox.dir.path().join("xdg/statuswatch");
    std::fs::create_dir_all(&xdg).unwrap();
    std::fs::write(xdg.join("config.toml"), file("from-xdg")).unwrap();
    assert!(listed(sandbox.run(&["webhooks", "list"])).contains("from-xdg"));
    // ./statuswatch.toml wins over it.
    sandbox.write("statuswatch.toml", &file("from-cwd"));
    assert!(listed(sandbox.run(&["webhooks", "list"])).contains("from-cwd"));
    // STATUSWATCH_CONFIG and --config win over both.
    let explicit = sandbox.write("explicit.toml", &file("from-env"));
    let out = sandbox
        .command(&["webhooks", "list"])
        .env("STATUSWATCH_CONFIG", &explicit)
        .output()
        .unwrap();
    assert!(listed(out).contains("from-env"));
    // An explicit file that does not exist is an error, not "no configuration".
    let out = sandbox.run(&["--config", "missing.toml", "webhooks", "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("missing.toml does not exist"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn secrets_and_url_tokens_never_reach_output_or_logs() {
    let sandbox = Sandbox::new();
    let r = Receiver::start();
    r.script(&[500]);
    let secret = "whsec_c2VjcmV0LWtleS1ieXRlcy0xMjM0NTY3ODkw";
    sandbox.write(
        "statuswatch.toml",
        &hook(
            "ops",
            &r.url("/services/T0/B0/tokentokentoken"),
            &format!("secret = \"{secret}\"\n[delivery]\nfirst_retry = \"50ms\""),
        ),
    );
    let mut aws = TestFeed::new(&sandbox.db(), "aws", "cloud");
    assert!(sandbox.run(&["poll"]).status.success());
    aws.publish(&[("i1", Status::Outage, &[])]);
    let out = sandbox
        .command(&["poll"])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let list = sandbox.run(&["webhooks", "list"]);
    let all = [stdout(&out), stderr(&out), stdout(&list), stderr(&list)].concat();
    assert!(all.contains("Delivered event"), "the log is on: {all}");
    for leak in ["tokentokentoken", "c2VjcmV0LWtleS1ieXRl", "/services/T0"] {
        assert!(!all.contains(leak), "{leak} leaked:\n{all}");
    }
    assert!(
        stdout(&list).contains(&format!("http://{}/…", r.addr)),
        "{}",
        stdout(&list)
    );
}

/// Runs each command over `config` (as ./statuswatch.toml) and checks that it stops at load,
/// before any fetch, with a message containing each of `want`.
fn refused_at_load(config: &str, commands: &[&[&str]], want: &[&str]) {
    let sandbox = Sandbox::new();
    TestFeed::new(&sandbox.db(), "aws", "cloud");
    sandbox.write("statuswatch.toml", config);
    for args in commands {
        let out = sandbox.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr(&out);
        for want in want {
            assert!(err.contains(want), "{args:?}: {err}");
        }
    }
    assert_eq!(
        sandbox.count("SELECT count(*) FROM fetches"),
        0,
        "nothing ran"
    );
}

#[test]
fn a_bad_schedule_in_the_file_stops_every_command_that_reads_it_naming_the_line() {
    // `poll` never reads the schedule, yet a file that `run` would refuse is refused here too.
    refused_at_load(
        "# the daemon\nschedule = \"every 5 min\"\n",
        &[&["poll"], &["run", "--once"], &["webhooks", "list"]],
        &[
            "statuswatch.toml: line 2: schedule \"every 5 min\": expected 5 fields",
            "such as \"*/5 * * * *\" for every 5 minutes",
        ],
    );
}

#[test]
fn a_bad_timezone_in_the_file_is_refused_at_load_naming_the_line() {
    refused_at_load(
        "schedule = \"0 9 * * *\"\ntimezone = \"Europe/Lundon\"\n",
        &[&["poll"], &["run", "--once"]],
        &["statuswatch.toml: line 2: timezone: unknown timezone \"Europe/Lundon\": use an IANA name such as \"Europe/London\" or \"UTC\""],
    );
}
