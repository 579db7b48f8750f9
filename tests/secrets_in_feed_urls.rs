//! Credentials a feed needs never leave the fetch: a feed URL with `user:password@` and a
//! `token` parameter is fetched with them (the server sees them), but no output of the real
//! binary (feeds add/list/check, poll, errors), no webhook payload and nothing `serve` shows
//! carries them. Header auth from the environment (`auth_env`) sends the header and stores
//! only the variable's name.

mod common;
use base64::Engine as _;
use common::receiver::{hook, Receiver};
use common::served::Served;
use common::{statuspage_atom, stderr, stdout, FeedServer, GenIncident, Resource, Sandbox};
use std::process::Output;

const USER: &str = "alice-user";
const PASSWORD: &str = "s3cretpw";
const TOKEN: &str = "abc123tok";

fn atom(incidents: &[GenIncident]) -> Resource {
    Resource::feed(statuspage_atom("status.skylark.example", incidents))
}

fn outage() -> GenIncident {
    GenIncident {
        id: "inc1".into(),
        title: "Skylark API down".into(),
        updates: vec![(
            chrono::Utc::now().to_rfc3339(),
            "Investigating".into(),
            "The API is down for everyone.".into(),
        )],
    }
}

/// Every byte a run wrote, for the "never shown" checks.
fn all_output(out: &Output) -> String {
    format!("{}{}", stdout(out), stderr(out))
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in [PASSWORD, TOKEN, USER] {
        assert!(
            !text.contains(secret),
            "{what} shows the secret {secret:?}:\n{text}"
        );
    }
}

#[test]
fn credentials_in_a_feed_url_are_sent_to_the_server_and_shown_nowhere() {
    let sandbox = Sandbox::new();
    let server = FeedServer::start();
    let receiver = Receiver::start();
    sandbox.write("statuswatch.toml", &hook("ops", &receiver.url("/hook"), ""));
    server.set("/feed.atom", atom(&[]));
    let url = format!(
        "http://{USER}:{PASSWORD}@{}/feed.atom?token={TOKEN}&page=1",
        server.addr
    );

    // Added with the check: fetched once, with the credentials.
    let add = sandbox.run(&["feeds", "add", &url, "--title", "Skylark"]);
    assert!(add.status.success(), "{}", stderr(&add));
    assert_no_secret("feeds add", &all_output(&add));
    assert!(
        stdout(&add).contains(&format!(
            "http://***@{}/feed.atom?token=***&page=1",
            server.addr
        )),
        "the URL is shown masked: {}",
        stdout(&add)
    );
    assert!(
        stderr(&add).contains("carries credentials") && stderr(&add).contains("--auth-env"),
        "feeds add warns and says what is better: {}",
        stderr(&add)
    );
    // Stored as given: the fetch needs it.
    assert_eq!(sandbox.strings("SELECT url FROM feeds"), vec![url.clone()]);

    let mut shown = Vec::new();
    for args in [
        &["feeds", "list"][..],
        &["feeds", "list", "--format", "json"],
        &["feeds", "list", "--format", "csv"],
        &["feeds", "check", "1"],
        &["poll", "--format", "json"],
    ] {
        let out = sandbox.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        shown.push((format!("{args:?}"), all_output(&out)));
    }

    // An incident opens: its events go to the webhook.
    server.set("/feed.atom", atom(&[outage()]));
    sandbox.make_due();
    let poll = sandbox.run(&["poll", "--format", "json"]);
    assert!(poll.status.success(), "{}", stderr(&poll));
    shown.push(("poll with an incident".into(), all_output(&poll)));
    let payloads = receiver.received("/hook");
    assert!(!payloads.is_empty(), "the incident's events were delivered");
    for p in &payloads {
        let body = String::from_utf8_lossy(&p.body).into_owned();
        assert_no_secret("a webhook payload", &body);
        assert!(body.contains("/feed.atom?token=***"), "{body}");
    }

    // A failure is shown (stderr), stored and listed: without the secrets.
    server.set("/feed.atom", Resource::plain(500, "text/plain", "boom"));
    sandbox.make_due();
    let failed = sandbox.run(&["poll", "-v"]);
    assert_eq!(failed.status.code(), Some(2), "{}", stderr(&failed));
    shown.push(("failing poll -v".into(), all_output(&failed)));
    let listed = sandbox.run(&["feeds", "list", "--format", "json"]);
    shown.push(("feeds list after the failure".into(), all_output(&listed)));

    // What `serve` shows: the API and the board.
    let served = Served::start(&sandbox, &["serve"], &[]);
    for path in ["/api/v1/feeds", "/feeds", "/api/v1/events"] {
        let reply = served.get(path, &[]);
        assert_eq!(reply.status, 200, "{path}");
        shown.push((format!("serve {path}"), reply.body));
    }
    drop(served);

    for (what, text) in &shown {
        assert_no_secret(what, text);
    }
    assert!(
        shown.iter().any(|(_, t)| t.contains("token=***")),
        "the URL appears, masked"
    );

    // Every fetch carried the credentials: basic auth from the userinfo, and the token.
    let seen = server.seen("/feed.atom");
    assert!(seen.len() >= 4, "{} fetches", seen.len());
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
    );
    for s in &seen {
        assert_eq!(
            s.headers.get("authorization").map(|v| v.to_str().unwrap()),
            Some(basic.as_str())
        );
        assert_eq!(s.query.as_deref(), Some(&*format!("token={TOKEN}&page=1")));
    }
}

#[test]
fn an_opml_url_with_credentials_is_noted_at_import_and_masked_in_the_note() {
    let sandbox = Sandbox::new();
    let opml = common::opml(&[(
        "Skylark",
        "skylark",
        "statuspage",
        format!("http://{USER}:{PASSWORD}@127.0.0.1:9/f?api_key={TOKEN}"),
    )]);
    let file = sandbox.write("feeds.opml", &opml);
    let out = sandbox.run(&["feeds", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_no_secret("feeds import", &all_output(&out));
    assert!(
        stderr(&out).contains("line 5: outline \"Skylark\": the URL http://***@127.0.0.1:9/f?api_key=*** carries credentials")
            && stderr(&out).contains("auth_env=\"VAR\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn auth_env_sends_the_variable_as_the_authorization_header_and_stores_only_its_name() {
    let sandbox = Sandbox::new();
    let server = FeedServer::start();
    server.set("/feed.atom", atom(&[]));
    let secret = "Bearer tok-9f8e7d6c5b4a";
    let url = server.url("/feed.atom");

    let mut add = sandbox.command(&[
        "feeds",
        "add",
        &url,
        "--title",
        "Skylark",
        "--auth-env",
        "SKYLARK_AUTH",
    ]);
    let add = add.env("SKYLARK_AUTH", secret).output().unwrap();
    assert!(add.status.success(), "{}", stderr(&add));
    assert!(
        !stderr(&add).contains("carries credentials"),
        "no warning without URL credentials"
    );

    let mut poll = sandbox.command(&["poll", "-v", "--format", "json"]);
    let poll = poll
        .env("SKYLARK_AUTH", secret)
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(poll.status.success(), "{}", stderr(&poll));

    let seen = server.seen("/feed.atom");
    assert_eq!(seen.len(), 2, "the check of feeds add, then the poll");
    for s in &seen {
        assert_eq!(
            s.headers.get("authorization").map(|v| v.to_str().unwrap()),
            Some(secret)
        );
    }
    for (what, text) in [
        ("feeds add", all_output(&add)),
        ("poll at trace level", all_output(&poll)),
    ] {
        assert!(!text.contains("tok-9f8e7d6c5b4a"), "{what}: {text}");
    }
    // Only the name is stored; the value is nowhere in the database file.
    assert_eq!(
        sandbox.strings("SELECT auth_env FROM feeds"),
        vec!["SKYLARK_AUTH".to_string()]
    );
    let db = std::fs::read(sandbox.db()).unwrap();
    let wal = std::fs::read(sandbox.db().with_extension("db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(
            !bytes.windows(16).any(|w| w == b"tok-9f8e7d6c5b4a"),
            "the secret is in the database"
        );
    }
    // Exported, the feed keeps the name (so an import round-trips it).
    let export = sandbox.run(&["feeds", "export"]);
    assert!(stdout(&export).contains("auth_env=\"SKYLARK_AUTH\""));
}

#[test]
fn auth_env_naming_a_variable_not_set_fails_that_feed_naming_the_variable() {
    let sandbox = Sandbox::new();
    let server = FeedServer::start();
    server.set("/feed.atom", atom(&[]));
    server.set("/other.atom", atom(&[]));
    let url = server.url("/feed.atom");

    // With the check, feeds add refuses at once.
    let add = sandbox.run(&["feeds", "add", &url, "--auth-env", "SKYLARK_AUTH"]);
    assert_eq!(add.status.code(), Some(1));
    assert!(
        stderr(&add).contains("auth_env: the environment variable SKYLARK_AUTH is not set"),
        "{}",
        stderr(&add)
    );
    assert_eq!(sandbox.count("SELECT COUNT(*) FROM feeds"), 0);

    // Added unchecked, it is that feed's failure at poll; the other feed is fetched.
    let add = sandbox.run(&[
        "feeds",
        "add",
        &url,
        "--no-check",
        "--title",
        "Skylark",
        "--auth-env",
        "SKYLARK_AUTH",
    ]);
    assert!(add.status.success(), "{}", stderr(&add));
    sandbox.add_feed("Other", &server.url("/other.atom"));
    let poll = sandbox
        .command(&["poll"])
        .env_remove("SKYLARK_AUTH")
        .output()
        .unwrap();
    assert_eq!(poll.status.code(), Some(2), "{}", stderr(&poll));
    assert!(
        stderr(&poll).contains("\"Skylark\"")
            && stderr(&poll).contains("the environment variable SKYLARK_AUTH is not set"),
        "{}",
        stderr(&poll)
    );
    assert!(
        server.seen("/feed.atom").is_empty(),
        "nothing fetched without its header"
    );
    assert_eq!(server.seen("/other.atom").len(), 1);

    // Set but unusable: each says what is wrong, never the value.
    for (value, why) in [
        ("  ", "is empty"),
        (
            "Bearer a\nX-Evil: 1",
            "holds a character an HTTP header cannot carry",
        ),
    ] {
        sandbox.make_due();
        let poll = sandbox
            .command(&["poll"])
            .env("SKYLARK_AUTH", value)
            .output()
            .unwrap();
        assert_eq!(poll.status.code(), Some(2), "{}", stderr(&poll));
        assert!(
            stderr(&poll).contains(&format!("the environment variable SKYLARK_AUTH {why}")),
            "{}",
            stderr(&poll)
        );
        assert!(!stderr(&poll).contains("X-Evil"), "{}", stderr(&poll));
    }
    assert!(server.seen("/feed.atom").is_empty());
}

#[test]
fn auth_env_that_is_not_a_variable_name_is_refused_by_feeds_add_and_import() {
    let sandbox = Sandbox::new();
    let add = sandbox.run(&[
        "feeds",
        "add",
        "http://127.0.0.1:9/f",
        "--no-check",
        "--auth-env",
        "Bearer abc",
    ]);
    assert_eq!(add.status.code(), Some(1));
    assert!(
        stderr(&add).contains("--auth-env: \"Bearer abc\" is not an environment variable's name"),
        "{}",
        stderr(&add)
    );
    let file = sandbox.write(
        "feeds.opml",
        "<?xml version=\"1.0\"?>\n<opml version=\"2.0\">\n<head><title>t</title></head>\n<body>\n<outline text=\"Skylark\" xmlUrl=\"http://127.0.0.1:9/f\" auth_env=\"1TOKEN\"/>\n</body>\n</opml>\n",
    );
    let import = sandbox.run(&["feeds", "import", file.to_str().unwrap()]);
    assert_eq!(import.status.code(), Some(1));
    assert!(
        stderr(&import).contains("line 5, column 55: outline \"Skylark\" has an invalid auth_env: \"1TOKEN\" is not an environment variable's name"),
        "{}",
        stderr(&import)
    );
}
