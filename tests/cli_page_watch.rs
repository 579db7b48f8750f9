//! End to end: a status page with no feed, watched by a CSS selector (`feeds add --selector`,
//! OPML `selector`/`expect`), served by a real HTTP server on 127.0.0.1 and polled by the real
//! binary. The page's text gives the vendor's state; a page whose markup no longer has the
//! selector's element is a failing source, and what was stored stays.

mod common;
use common::{stderr, stdout, summary, FeedServer, Resource, Sandbox};

const PAGE: &str = "/signal/";

fn page(status_text: &str) -> Resource {
    Resource::plain(
        200,
        "text/html; charset=utf-8",
        format!(
            "<!doctype html><html><head><title>Signal Status</title></head><body>\
             <header><a href=/>Signal</a></header><main><div class=\"status-banner\">\
             <h1 class=\"headline\">{status_text}</h1></div><p>Follow us for updates.</p></main>\
             </body></html>"
        ),
    )
}

fn add_page(sandbox: &Sandbox, url: &str, extra: &[&str]) -> i64 {
    let mut args = vec![
        "feeds",
        "add",
        url,
        "--title",
        "Signal",
        "--vendor",
        "signal",
        "--selector",
        ".status-banner .headline",
    ];
    args.extend_from_slice(extra);
    let out = sandbox.run(&args);
    assert!(out.status.success(), "feeds add failed: {}", stderr(&out));
    sandbox.count("SELECT id FROM feeds WHERE vendor = 'signal'")
}

fn state(sandbox: &Sandbox) -> String {
    sandbox.strings("SELECT state FROM current_status WHERE vendor = 'signal' AND component = ''")
        [0]
    .clone()
}

fn open_incidents(sandbox: &Sandbox) -> Vec<String> {
    sandbox.strings("SELECT status FROM incidents WHERE resolved_at IS NULL ORDER BY id")
}

#[test]
fn the_page_text_gives_the_state_and_an_outage_sentence_opens_an_incident() {
    let server = FeedServer::start();
    server.set(PAGE, page("Signal is up and running."));
    let sandbox = Sandbox::new();
    let id = add_page(&sandbox, &server.url(PAGE), &[]);
    assert_eq!(
        sandbox.strings("SELECT engine || ' ' || selector FROM feeds"),
        ["page .status-banner .headline"]
    );

    let out = sandbox.poll(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(summary(&out)["new"], 1);
    assert_eq!(
        sandbox.strings("SELECT title || ' | ' || status FROM entries"),
        ["Signal is up and running. | informational"]
    );
    assert_eq!(state(&sandbox), "operational");
    assert!(open_incidents(&sandbox).is_empty());
    let status = stdout(&sandbox.run(&["status", "--all"]));
    assert!(status.contains("signal"), "{status}");

    // Unchanged text: nothing new.
    sandbox.make_due();
    let out = sandbox.poll(&[]);
    assert_eq!(summary(&out)["new"], 0, "{}", stdout(&out));

    server.set(
        PAGE,
        page("We are experiencing an outage of message delivery."),
    );
    sandbox.make_due();
    let out = sandbox.poll(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(open_incidents(&sandbox), ["outage"]);
    assert_eq!(state(&sandbox), "outage");
    assert!(
        sandbox.event_kinds().contains(&"state_change".to_string()),
        "{:?}",
        sandbox.event_kinds()
    );

    // Back to all good: the outage text is gone from the page, so its incident closes.
    server.set(PAGE, page("Signal is up and running."));
    sandbox.make_due();
    let out = sandbox.poll(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(open_incidents(&sandbox).is_empty());
    assert_eq!(state(&sandbox), "operational");
    assert_eq!(sandbox.feed(id).consecutive_failures, 0);
}

#[test]
fn expect_decides_all_good_and_other_text_is_degraded() {
    let server = FeedServer::start();
    server.set(PAGE, page("Alles in Ordnung"));
    let sandbox = Sandbox::new();
    add_page(&sandbox, &server.url(PAGE), &["--expect", "(?i)in ordnung"]);
    let out = sandbox.poll(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        sandbox.strings("SELECT status || ' ' || severity FROM entries"),
        ["informational expected"]
    );
    assert_eq!(state(&sandbox), "operational");

    // Text no rule has a word for, and not the expected one: a person should look.
    server.set(PAGE, page("Wir arbeiten daran."));
    sandbox.make_due();
    sandbox.poll(&[]);
    assert_eq!(open_incidents(&sandbox), ["degraded"]);
    assert_eq!(state(&sandbox), "degraded");
}

#[test]
fn a_page_whose_markup_changed_fails_and_keeps_what_was_stored() {
    let server = FeedServer::start();
    server.set(
        PAGE,
        page("We are experiencing an outage of message delivery."),
    );
    let sandbox = Sandbox::new();
    let id = add_page(&sandbox, &server.url(PAGE), &[]);
    sandbox.poll(&[]);
    assert_eq!(state(&sandbox), "outage");

    server.set(
        PAGE,
        Resource::plain(
            200,
            "text/html",
            "<html><body><div class=\"new-design\">Signal is up and running.</div></body></html>",
        ),
    );
    sandbox.make_due();
    let out = sandbox.poll(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let report = format!("{}{}", stdout(&out), stderr(&out));
    assert!(report.contains("matched nothing"), "{report}");
    let fetch = sandbox.last_fetch(id);
    assert_eq!(fetch.outcome, "parse_error");
    let error = fetch.error.unwrap_or_default();
    assert!(
        error.contains("\".status-banner .headline\" matched nothing")
            && error.contains("markup has probably changed")
            && error.contains("selector"),
        "{error}"
    );
    let feed = sandbox.feed(id);
    assert_eq!(feed.consecutive_failures, 1);
    assert!(feed.next_fetch_at.is_some(), "a failing page backs off");
    // Nothing stored is lost, and a page we cannot read does not say "operational".
    assert_eq!(sandbox.count("SELECT count(*) FROM entries"), 1);
    assert_eq!(open_incidents(&sandbox), ["outage"]);
    assert_eq!(state(&sandbox), "outage");
}

#[test]
fn bad_settings_are_refused_with_the_feed_or_line() {
    let sandbox = Sandbox::new();
    // Refused with exit 1, naming the feed and the flag.
    let refused = |settings: &[&str], wanted: &str| {
        let mut args = vec!["feeds", "add", "http://127.0.0.1:9/page"];
        args.extend_from_slice(settings);
        let out = sandbox.run(&args);
        assert_eq!(out.status.code(), Some(1), "{settings:?}");
        let err = stderr(&out);
        assert!(err.contains(wanted), "missing {wanted:?} in: {err}");
    };
    refused(
        &["--selector", "div["],
        "feed http://127.0.0.1:9/page: --selector: \"div[\" is not a CSS selector",
    );
    refused(
        &["--selector", "main", "--expect", "(up"],
        "feed http://127.0.0.1:9/page: --expect: \"(up\" is not a valid regular expression",
    );
    let out = sandbox.run(&["feeds", "add", "http://127.0.0.1:9/page", "--expect", "up"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "clap refuses --expect alone: a usage error"
    );
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 0);

    let opml = "<?xml version=\"1.0\"?>\n<opml version=\"2.0\"><body>\n\
        <outline text=\"Good\" xmlUrl=\"http://127.0.0.1:9/a\" selector=\"main p\"/>\n\
        <outline text=\"Broken\" xmlUrl=\"http://127.0.0.1:9/b\" selector=\"p &gt;\"/>\n\
        <outline text=\"Pattern\" xmlUrl=\"http://127.0.0.1:9/c\" selector=\"p\" expect=\"[a-\"/>\n\
        <outline text=\"Alone\" xmlUrl=\"http://127.0.0.1:9/d\" expect=\"up\"/>\n\
        </body></opml>\n";
    let file = sandbox.write("pages.opml", opml);
    let out = sandbox.run(&["feeds", "import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    for wanted in [
        "line 4, column 54: outline \"Broken\" has an invalid selector: \"p >\" is not a CSS selector",
        "line 5, column 68: outline \"Pattern\" has an invalid expect: \"[a-\" is not a valid regular expression",
        "line 6, column 53: outline \"Alone\" has expect but no selector",
    ] {
        assert!(err.contains(wanted), "missing {wanted:?} in:\n{err}");
    }
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 0);
}

#[test]
fn the_opml_round_trip_keeps_selector_and_expect() {
    let sandbox = Sandbox::new();
    let opml = "<?xml version=\"1.0\"?>\n<opml version=\"2.0\"><body>\n\
        <outline text=\"Signal\" vendor=\"signal\" xmlUrl=\"http://127.0.0.1:9/signal\" \
        selector=\"div[data-x=&quot;a&amp;b&quot;] &gt; h1\" expect=\"(?i)up &amp; running\"/>\n\
        </body></opml>\n";
    let file = sandbox.write("in.opml", opml);
    let out = sandbox.run(&["feeds", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stored = sandbox.strings("SELECT engine || '|' || selector || '|' || expect FROM feeds");
    assert_eq!(stored, ["page|div[data-x=\"a&b\"] > h1|(?i)up & running"]);

    let exported = stdout(&sandbox.run(&["feeds", "export"]));
    let again = Sandbox::new();
    let file = again.write("out.opml", &exported);
    let out = again.run(&["feeds", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}\n{exported}", stderr(&out));
    assert_eq!(
        again.strings("SELECT engine || '|' || selector || '|' || expect FROM feeds"),
        stored
    );

    let list = stdout(&again.run(&["feeds", "list", "--format", "json"]));
    let row: serde_json::Value = serde_json::from_str(list.lines().next().unwrap()).unwrap();
    assert_eq!(row["selector"], "div[data-x=\"a&b\"] > h1");
    assert_eq!(row["expect"], "(?i)up & running");
    let table = stdout(&again.run(&["feeds", "list"]));
    assert!(table.contains("PAGE WATCH"), "{table}");
}

#[test]
fn reclassify_with_new_rules_moves_a_pages_state_with_its_verdict() {
    let server = FeedServer::start();
    server.set(PAGE, page("Message delivery is down for some users."));
    let sandbox = Sandbox::new();
    add_page(&sandbox, &server.url(PAGE), &[]);
    assert_eq!(sandbox.poll(&[]).status.code(), Some(0));
    assert_ne!(state(&sandbox), "operational");

    // A user's rule says that sentence is not an incident: re-reading the archive alone
    // (no fetch) must bring the vendor back, with nothing of the old verdict kept aside.
    let rules = sandbox.write(
        "mine.toml",
        "[[rule]]\nname = 'known-banner'\nfield = 'any'\nregex = '(?i)message delivery is down'\n\
         status = 'informational'\npriority = 2000\n",
    );
    let out = sandbox.run(&["reclassify", "--rules", rules.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(state(&sandbox), "operational", "{}", stdout(&out));
}
