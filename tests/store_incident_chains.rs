//! Feeds that post one item per update: the items of one incident (or one component) are
//! chained into one incident, a resolving item closes it, and `reclassify` re-chains an archive
//! stored before chaining existed (one never-closed incident per item).

mod common;
use common::{
    fixture, one_feed_polled, stderr, stdout, vendor_state, FeedServer, Resource, Sandbox,
};

fn polled(path: &str, fixture_name: &str) -> (FeedServer, Sandbox) {
    one_feed_polled(path, fixture(fixture_name), "acme")
}

/// "title|status|started_at|resolved_at" of every incident, by title.
fn incidents(sandbox: &Sandbox) -> Vec<String> {
    sandbox.strings(
        "SELECT title || '|' || status || '|' || started_at || '|' || COALESCE(resolved_at, 'open')
         FROM incidents ORDER BY title",
    )
}

fn state(sandbox: &Sandbox) -> String {
    vendor_state(sandbox, "acme")
}

const PAGERDUTY_LIKE: [&str; 3] = [
    "Database upgrade|maintenance|2023-11-14T22:20:00Z|open",
    "Queries are failing|resolved|2023-11-14T22:15:00Z|2023-11-14T22:18:20Z",
    "Slow dashboards|degraded|2023-11-14T22:13:20Z|open",
];

#[test]
fn a_per_update_feed_chains_its_items_and_a_resolving_item_closes_the_chain() {
    let (server, sandbox) = polled("/feed.rss", "parse/generic_pagerduty.rss");
    // Three items of "Queries are failing" are one incident, closed by its [Resolved] item; the
    // scheduled upgrade is open but not under way; release notes are no incident.
    assert_eq!(incidents(&sandbox), PAGERDUTY_LIKE);
    assert_eq!(state(&sandbox), "degraded");

    // The vendor resolves the dashboards incident with a new item.
    let doc = String::from_utf8(fixture("parse/generic_pagerduty.rss")).unwrap();
    let resolved = "<item><title>[Resolved] Slow dashboards</title>\
        <link>https://status.acme.test/posts/details/P1</link><guid>P1-1700000900</guid>\
        <description>Dashboards load normally again.</description>\
        <pubDate>Tue, 14 Nov 2023 22:35:00 +0000</pubDate></item>";
    server.set(
        "/feed.rss",
        Resource::feed(doc.replacen("<item>", &format!("{resolved}<item>"), 1)),
    );
    let out = sandbox.run(&["poll"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        incidents(&sandbox).contains(
            &"Slow dashboards|resolved|2023-11-14T22:13:20Z|2023-11-14T22:35:00Z".to_string()
        ),
        "{:?}",
        incidents(&sandbox)
    );
    assert_eq!(
        state(&sandbox),
        "operational",
        "scheduled work does not count"
    );
    assert_eq!(
        sandbox.count("SELECT count(*) FROM events WHERE from_state = 'degraded' AND to_state = 'operational'"),
        1
    );
}

#[test]
fn a_component_state_change_feed_closes_each_component_by_its_operational_item() {
    let (_server, sandbox) = polled("/history.atom", "parse/generic_state_change.atom");
    assert_eq!(
        incidents(&sandbox),
        [
            // degraded → major outage → operational: one incident, worst outage, closed.
            "API is now operational|resolved|2024-03-05T08:00:00Z|2024-03-05T10:00:00Z",
            // Nothing has said the website is back yet; the retraction is no incident.
            "Website is now under maintenance|maintenance|2024-03-05T06:00:00Z|open",
        ]
    );
    assert_eq!(
        sandbox.count("SELECT count(*) FROM incidents WHERE worst_status = 'outage'"),
        1
    );
    assert_eq!(state(&sandbox), "maintenance");
}

#[test]
fn reclassify_rechains_an_archive_stored_one_incident_per_item() {
    let (_server, sandbox) = polled("/feed.rss", "parse/generic_pagerduty.rss");
    let events = sandbox.count("SELECT count(*) FROM events");
    // Rewrite the archive into the shape earlier versions stored: no chain keys, one incident
    // per item, none of them ever closed.
    sandbox
        .sql()
        .execute_batch(
            "UPDATE entry_revisions SET entry_json = json_set(entry_json, '$.incident_key', json('null'));
             UPDATE entries SET incident_id = NULL;
             DELETE FROM incidents;
             INSERT INTO incidents (feed_id, incident_key, title, status, worst_status, started_at, updated_at)
                 SELECT feed_id, entry_key, title, status, status, published_at, published_at
                 FROM entries WHERE status <> 'informational';
             UPDATE entries SET incident_id =
                 (SELECT id FROM incidents i WHERE i.feed_id = entries.feed_id AND i.incident_key = entries.entry_key);",
        )
        .unwrap();
    assert_eq!(
        sandbox.count("SELECT count(*) FROM incidents WHERE resolved_at IS NULL"),
        5
    );

    let out = sandbox.run(&["reclassify"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("incidents rebuilt (3 new, 5 merged away or gone)"),
        "{text}"
    );
    assert_eq!(incidents(&sandbox), PAGERDUTY_LIKE);
    assert_eq!(state(&sandbox), "degraded");
    assert_eq!(
        sandbox.count("SELECT count(*) FROM events"),
        events,
        "history is not news"
    );
    // A second run finds nothing to do.
    let again = sandbox.run(&["reclassify"]);
    assert!(
        stdout(&again).contains("0 status changes in 0 feeds"),
        "{}",
        stdout(&again)
    );
}
