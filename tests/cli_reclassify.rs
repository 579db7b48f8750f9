//! `statuswatch reclassify`: new rules over the stored archive, without fetching, without events.

mod common;
use common::{fixture, opml, stderr, stdout, FeedServer, Resource, Sandbox};

/// A sandbox that has polled one Statuspage feed (the server must outlive the test).
fn skylark_polled() -> (FeedServer, Sandbox) {
    let server = FeedServer::start();
    server.set(
        "/skylark.atom",
        Resource::feed(fixture("feeds/statuspage-v2.atom")),
    );
    let sandbox = Sandbox::new();
    let file = sandbox.write(
        "feeds.opml",
        &opml(&[(
            "Skylark",
            "skylark",
            "statuspage",
            server.url("/skylark.atom"),
        )]),
    );
    assert!(sandbox
        .run(&["feeds", "import", file.to_str().unwrap()])
        .status
        .success());
    assert_eq!(sandbox.run(&["poll"]).status.code(), Some(0));
    (server, sandbox)
}

#[test]
fn new_rules_rewrite_verdicts_incidents_and_state_but_raise_no_events() {
    let (_server, sandbox) = skylark_polled();
    let state = "SELECT state FROM current_status WHERE vendor = 'skylark' AND component = ''";
    let read_state = || -> String { sandbox.sql().query_row(state, [], |r| r.get(0)).unwrap() };
    assert_eq!(read_state(), "degraded");
    assert_eq!(sandbox.count("SELECT count(*) FROM events"), 1);
    let fetches = sandbox.count("SELECT count(*) FROM fetches");

    // A rule that calls API error rates an outage.
    let rules = sandbox.write(
        "rules.toml",
        "[[rule]]\nname = \"api-errors-are-outages\"\nfield = \"title\"\nregex = '(?i)error rates on the API'\nstatus = \"outage\"\npriority = 2000\n",
    );
    let dry = sandbox.run(&[
        "reclassify",
        "--rules",
        rules.to_str().unwrap(),
        "--dry-run",
    ]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains("Would reclassify 5 entries in 1 feeds: 1 status changes"),
        "{}",
        stdout(&dry)
    );
    assert_eq!(read_state(), "degraded", "a dry run writes nothing");

    let out = sandbox.run(&["reclassify", "--rules", rules.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("degraded → outage: 1"), "{text}");
    assert!(
        text.contains("2 service or component states changed (no events raised)"),
        "{text}"
    );
    assert_eq!(read_state(), "outage");
    assert_eq!(
        sandbox.count("SELECT count(*) FROM entries WHERE rule = 'api-errors-are-outages' AND status = 'outage'"),
        1
    );
    assert_eq!(
        sandbox.count("SELECT count(*) FROM incidents WHERE title = 'Elevated error rates on the API' AND worst_status = 'outage'"),
        1
    );
    assert_eq!(
        sandbox.count("SELECT count(*) FROM events"),
        1,
        "history is not news"
    );
    assert_eq!(
        sandbox.count("SELECT count(*) FROM fetches"),
        fetches,
        "nothing was fetched"
    );

    // Back to the built-in rules: the verdict returns, still silently.
    let back = sandbox.run(&["reclassify"]);
    assert!(
        stdout(&back).contains("outage → degraded: 1"),
        "{}",
        stdout(&back)
    );
    assert_eq!(read_state(), "degraded");
    assert_eq!(sandbox.count("SELECT count(*) FROM events"), 1);

    // A broken rules file is refused before anything is touched.
    let broken = sandbox.write(
        "broken.toml",
        "[[rule]]\nname = \"bad\"\nfield = \"title\"\nregex = '(unclosed'\nstatus = \"outage\"\n",
    );
    let refused = sandbox.run(&["reclassify", "--rules", broken.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("bad"),
        "names the rule: {}",
        stderr(&refused)
    );
}

/// The archive keeps an entry's text once, in `entry_revisions.content` (the JSON beside it
/// holds the rest): rules about the text still see it, and rows in the older shape (the text
/// in the JSON too) read the same.
#[test]
fn rules_on_the_text_see_it_in_new_and_older_archive_rows() {
    let (_server, sandbox) = skylark_polled();
    assert_eq!(
        sandbox.count(
            "SELECT count(*) FROM entry_revisions
             WHERE json_extract(entry_json, '$.content') = '' AND content LIKE '%affected: API.%'"
        ),
        1,
        "the text is stored once, in `content`"
    );
    // "This incident affected: API." is in the text only (not the title, not an update).
    let rules = sandbox.write(
        "rules.toml",
        "[[rule]]\nname = \"api-is-down\"\nfield = \"content\"\nregex = '(?i)affected: API\\.'\nstatus = \"outage\"\npriority = 2000\n",
    );
    let rules = rules.to_str().unwrap();
    let out = sandbox.run(&["reclassify", "--rules", rules]);
    assert!(
        stdout(&out).contains("degraded → outage: 1"),
        "{}",
        stdout(&out)
    );
    assert!(sandbox.run(&["reclassify"]).status.success());

    // The older shape: the text in the JSON as well.
    sandbox
        .sql()
        .execute_batch(
            "UPDATE entry_revisions SET entry_json = json_set(entry_json, '$.content', content)",
        )
        .unwrap();
    let out = sandbox.run(&["reclassify", "--rules", rules]);
    assert!(
        stdout(&out).contains("degraded → outage: 1"),
        "{}",
        stdout(&out)
    );
}
