//! Redirects: loops and long chains refused, a permanent move followed by the stored URL
//! only once it is confirmed, a temporary one never.
//!
//! https → http downgrades are refused too; that rule is pinned by the unit test
//! `redirects_never_downgrade_https_to_http` in `src/fetch/mod.rs`, because an https server
//! here would need a certificate the client trusts, and the decision is one pure function.

mod common;

use common::*;

#[test]
fn a_redirect_loop_is_refused() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    server.set("/a.atom", Resource::redirect(302, "/b.atom"));
    server.set("/b.atom", Resource::redirect(302, "/a.atom"));
    let id = sandbox.add_feed("Loop", &server.url("/a.atom"));

    sandbox.poll(&[]);

    let fetch = sandbox.last_fetch(id);
    assert_eq!(fetch.outcome, "redirect_error");
    assert!(
        fetch.error.as_deref().unwrap().contains("loop"),
        "{fetch:?}"
    );
    assert_eq!(server.seen("/a.atom").len(), 1, "no going round");
    assert_eq!(sandbox.feed(id).consecutive_failures, 1);
    assert_fetched_normally(&sandbox, &server, other, 1);
}

#[test]
fn a_chain_longer_than_the_cap_is_refused() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    for i in 0..6 {
        server.set(
            &format!("/hop{i}"),
            Resource::redirect(307, &format!("/hop{}", i + 1)),
        );
    }
    server.set("/hop6", Resource::feed(ATOM));
    let id = sandbox.add_feed("Long", &server.url("/hop0"));

    sandbox.poll(&["--max-redirects", "3"]);

    let fetch = sandbox.last_fetch(id);
    assert_eq!(fetch.outcome, "redirect_error");
    assert!(
        fetch
            .error
            .as_deref()
            .unwrap()
            .contains("more than 3 redirects"),
        "{fetch:?}"
    );
    assert!(server.seen("/hop4").is_empty());
    assert_fetched_normally(&sandbox, &server, other, 1);
}

#[test]
fn a_301_chain_moves_the_stored_url_after_the_configured_number_of_fetches() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    server.set("/old.atom", Resource::redirect(301, "/mid.atom"));
    server.set(
        "/mid.atom",
        Resource::redirect(308, &server.url("/new.atom")),
    );
    server.set("/new.atom", Resource::feed(ATOM));
    let id = sandbox.add_feed("Moved", &server.url("/old.atom"));
    let new_url = server.url("/new.atom");

    for round in 1..=2 {
        sandbox.poll(&["--moved-after", "3"]);
        let feed = sandbox.feed(id);
        assert_eq!(
            feed.url,
            server.url("/old.atom"),
            "round {round}: not yet confirmed"
        );
        assert_eq!(feed.redirect_url.as_deref(), Some(new_url.as_str()));
        assert_eq!(feed.redirect_count, round);
        let fetch = sandbox.last_fetch(id);
        // The first fetch downloads; later ones send the validators the parsed body left.
        let expected = if round == 1 { 200 } else { 304 };
        assert_eq!(fetch.http_status, Some(expected));
        assert_eq!(fetch.final_url.as_deref(), Some(new_url.as_str()));
        sandbox.make_due();
    }
    let out = sandbox.poll(&["--moved-after", "3"]);
    let feed = sandbox.feed(id);
    assert_eq!(feed.url, new_url, "third fetch confirms: {}", stderr(&out));
    assert_eq!(feed.redirect_url, None);
    assert_eq!(server.seen("/old.atom").len(), 3);

    // From now on the new address is asked directly: a plain 304, which only the feed's
    // health columns record (no redirect, so no log row).
    let logged = sandbox.fetches(id).len();
    sandbox.make_due();
    sandbox.poll(&["--moved-after", "3"]);
    assert_eq!(server.seen("/old.atom").len(), 3);
    assert_eq!(server.seen("/new.atom").len(), 4);
    assert_eq!(sandbox.fetches(id).len(), logged);
    assert_eq!(sandbox.feed(id).last_http_status, Some(304));
    assert_fetched_normally(&sandbox, &server, other, 4);
}

#[test]
fn a_failure_keeps_the_redirect_count_and_a_usable_answer_without_the_redirect_resets_it() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    server.set("/old.atom", Resource::redirect(301, "/new.atom"));
    server.set("/new.atom", Resource::feed(ATOM));
    let id = sandbox.add_feed("Wavering", &server.url("/old.atom"));
    sandbox.poll(&["--moved-after", "3"]);
    assert_eq!(sandbox.feed(id).redirect_count, 1);

    // A failed fetch says nothing either way.
    server.set("/old.atom", Resource::plain(503, "text/plain", "busy"));
    sandbox.make_due();
    sandbox.poll(&["--moved-after", "3"]);
    let feed = sandbox.feed(id);
    assert_eq!(feed.last_http_status, Some(503));
    assert_eq!(feed.redirect_count, 1);
    assert_eq!(feed.redirect_url, Some(server.url("/new.atom")));

    // The old address answers again (a body of its own, so first a 200): the move was not
    // for good; then a 304 keeps it so.
    server.set("/old.atom", Resource::feed(format!("{ATOM}\n")));
    for expected in [200, 304] {
        sandbox.make_due();
        sandbox.poll(&["--moved-after", "3"]);
        let feed = sandbox.feed(id);
        assert_eq!(feed.last_http_status, Some(expected));
        assert_eq!(feed.redirect_count, 0, "after a {expected}");
        assert_eq!(feed.redirect_url, None, "after a {expected}");
        assert_eq!(feed.url, server.url("/old.atom"));
    }
}

#[test]
fn a_302_never_moves_the_stored_url() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let other = bystander(&sandbox, &server);
    server.set("/feed.atom", Resource::redirect(302, "/today.atom"));
    server.set("/today.atom", Resource::feed(ATOM));
    let id = sandbox.add_feed("Temp", &server.url("/feed.atom"));

    for _ in 0..3 {
        sandbox.poll(&["--moved-after", "2"]);
        sandbox.make_due();
    }

    let feed = sandbox.feed(id);
    assert_eq!(feed.url, server.url("/feed.atom"));
    assert_eq!(feed.redirect_url, None);
    assert_eq!(feed.redirect_count, 0);
    assert_eq!(server.seen("/feed.atom").len(), 3);
    let fetch = sandbox.last_fetch(id);
    assert_eq!(
        fetch.http_status,
        Some(304),
        "validators from the first, parsed, fetch"
    );
    assert_eq!(fetch.final_url, Some(server.url("/today.atom")));
    assert_fetched_normally(&sandbox, &server, other, 3);
}

#[test]
fn a_move_onto_a_url_another_feed_already_has_keeps_both_feeds() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    server.set("/old.atom", Resource::redirect(301, "/new.atom"));
    server.set("/new.atom", Resource::feed(ATOM));
    let old = sandbox.add_feed("Old", &server.url("/old.atom"));
    let new = sandbox.add_feed("New", &server.url("/new.atom"));

    let out = sandbox.poll(&["--moved-after", "1"]);

    assert_eq!(summary(&out)["feeds"], 2, "{}", stderr(&out));
    assert_eq!(sandbox.feed(old).url, server.url("/old.atom"));
    assert_eq!(sandbox.feed(new).url, server.url("/new.atom"));
    assert_eq!(sandbox.last_fetch(old).http_status, Some(200));
}

#[test]
fn a_move_onto_a_url_another_feed_has_in_any_spelling_keeps_both_feeds_apart() {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    server.set(
        "/old.atom",
        Resource::redirect(301, &server.url("/new.atom")),
    );
    server.set("/new.atom", Resource::feed(ATOM));
    sandbox.add_feed("Moved", &server.url("/old.atom"));
    // A row from before URLs were normalised, holding the target in another spelling.
    let other = server.url("/new.atom").replace("http://", "HTTP://");
    sandbox
        .sql()
        .execute(
            "INSERT INTO feeds (url, title, vendor, added_at) VALUES (?1, 'New', 'new', '2025-01-01T00:00:00Z')",
            [&other],
        )
        .unwrap();
    let out = sandbox.poll(&["--moved-after", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        sandbox.strings("SELECT url FROM feeds ORDER BY id"),
        [server.url("/old.atom"), other]
    );
}
