//! Where a feed (or a webhook) may send statuswatch: the network policy (`src/fetch/network.rs`) on real
//! fetches. Every refusal here happens before a connection is made (a literal address is
//! judged before the request; the refused addresses are never dialled), so no packet leaves
//! this machine: the servers are on 127.0.0.1 and the forbidden targets are only named in
//! redirects and URLs. A name resolving into a forbidden range (DNS rebinding) is covered by
//! the unit tests of `NetworkPolicy::filter`, the resolver's check, since no test may rely
//! on a DNS server.

mod common;

use common::*;

fn refused_redirect(target: &str) -> (FetchRow, Sandbox) {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    server.set("/feed.atom", Resource::redirect(302, target));
    let id = sandbox.add_feed("Sneaky", &server.url("/feed.atom"));
    let out = sandbox.poll(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_fetched_normally(&sandbox, &server, other, 1);
    (sandbox.last_fetch(id), sandbox)
}

#[test]
fn a_redirect_to_the_metadata_service_is_refused_in_every_spelling() {
    for target in [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://2852039166/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
    ] {
        let (fetch, _sandbox) = refused_redirect(target);
        assert_eq!(fetch.outcome, "redirect_error", "{target}: {fetch:?}");
        let error = fetch.error.unwrap();
        assert!(
            error.contains("refused to connect to") && error.contains("never connects"),
            "{target}: {error}"
        );
    }
}

#[test]
fn a_redirect_into_a_private_network_names_the_setting_that_would_allow_it() {
    let (fetch, _sandbox) = refused_redirect("http://10.20.30.40/feed.atom");
    assert_eq!(fetch.outcome, "redirect_error");
    let error = fetch.error.unwrap();
    assert!(
        error.contains("refused to connect to 10.20.30.40")
            && error.contains(r#"[network] allow = ["10.0.0.0/8"]"#),
        "{error}"
    );
}

#[test]
fn this_machine_is_reachable_when_named_by_address_or_as_localhost() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    server.set("/a.atom", Resource::feed(ATOM));
    // The name goes through the checking resolver; the hop stays on this machine.
    let port = server
        .url("/")
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    server.set(
        "/moved.atom",
        Resource::redirect(302, &format!("http://localhost:{port}/a.atom")),
    );
    let by_name = sandbox.add_feed("Named", &format!("http://localhost:{port}/a.atom"));
    let moved = sandbox.add_feed("Moved", &server.url("/moved.atom"));
    let out = sandbox.poll(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(sandbox.last_fetch(by_name).outcome, "ok");
    assert_eq!(sandbox.last_fetch(moved).outcome, "ok");
}

#[test]
fn a_feed_url_at_a_forbidden_address_is_refused_when_added_with_or_without_the_check() {
    let sandbox = Sandbox::new();
    // Added with the check: refused before anything is stored.
    let out = sandbox.run(&["feeds", "add", "http://169.254.169.254/latest/meta-data/"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("refused to connect to 169.254.169.254"),
        "{err}"
    );
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 0);

    // Without the check too: it would fail at every poll.
    let out = sandbox.run(&[
        "feeds",
        "add",
        "http://192.168.7.7/status.atom",
        "--no-check",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(r#"[network] allow = ["192.168.0.0/16"]"#),
        "{err}"
    );
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 0);
}

#[test]
fn a_bad_network_setting_is_refused_at_start_with_its_line() {
    let sandbox = Sandbox::new();
    sandbox.write(
        "statuswatch.toml",
        "[network]\nallow = [\"10.0.0.0/8\",\n  \"ten dot something\", \"169.254.0.0/16\"]\n",
    );
    let out = sandbox.run(&["poll"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("statuswatch.toml: line 3")
            && err.contains("\"ten dot something\" is not an address range"),
        "{err}"
    );
    assert!(err.contains("169.254.0.0/16 cannot be allowed"), "{err}");
}

#[test]
fn an_email_channel_at_a_refused_address_is_named_when_the_configuration_loads() {
    let sandbox = Sandbox::new();
    sandbox.write(
        "statuswatch.toml",
        "[[webhooks]]\nname = \"mail\"\nformat = \"email\"\nurl = \"smtp://169.254.169.254:25\"\n\
         from = \"statuswatch <alerts@example.com>\"\nto = [\"ops@example.com\"]\n",
    );
    let out = sandbox.run(&["webhooks", "list"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("line 2: webhook \"mail\": url: refused to connect to 169.254.169.254")
            && err.contains("never connects"),
        "{err}"
    );
}

#[test]
fn a_webhook_is_held_to_the_same_policy() {
    let sandbox = Sandbox::new();
    sandbox.write(
        "statuswatch.toml",
        "[[webhooks]]\nname = \"meta\"\nurl = \"http://169.254.169.254/hook\"\n\n\
         [[webhooks]]\nname = \"inside\"\nurl = \"http://10.9.8.7:8080/hook\"\n",
    );
    let out = sandbox.run(&["webhooks", "list"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("statuswatch.toml: line 2: webhook \"meta\": url: refused to connect to 169.254.169.254"),
        "{err}"
    );
    assert!(
        err.contains("line 6: webhook \"inside\": url: refused to connect to 10.9.8.7")
            && err.contains(r#"[network] allow = ["10.0.0.0/8"]"#),
        "{err}"
    );

    // Allowed on purpose: the file loads (nothing is sent by listing).
    sandbox.write(
        "statuswatch.toml",
        "[network]\nallow = [\"10.0.0.0/8\"]\n\n[[webhooks]]\nname = \"inside\"\nurl = \"http://10.9.8.7:8080/hook\"\n",
    );
    let out = sandbox.run(&["webhooks", "list"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
