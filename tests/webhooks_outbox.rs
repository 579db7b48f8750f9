//! The outbox is self-contained: an event carries what its webhooks need from the moment it is
//! written, so a feed renamed, recategorised or removed afterwards changes neither what is
//! delivered nor which filters match; and databases written before that are brought up to it.

mod common;
use common::outbox::TestFeed;
use common::receiver::Receiver;
use common::{stderr, Sandbox};
use statuswatch::model::Status;
use statuswatch::store::{Store, MIGRATIONS};

#[test]
fn a_feed_renamed_and_removed_after_its_event_changes_nothing_delivered() {
    let sandbox = Sandbox::new();
    let r = Receiver::start();
    sandbox.write(
        "statuswatch.toml",
        &format!(
            "[[webhooks]]\nname = \"cloud\"\nurl = \"{}\"\nformat = \"slack\"\ncategories = [\"cloud\"]\n\n\
             [[webhooks]]\nname = \"raw\"\nurl = \"{}\"\n",
            r.url("/cloud"),
            r.url("/raw")
        ),
    );
    let mut aws = TestFeed::new(&sandbox.db(), "aws", "cloud");
    // A second (disabled) feed, so the database never looks empty: `poll` would import the
    // bundled catalog of real vendors.
    let _bystander = TestFeed::new(&sandbox.db(), "zoom", "saas");
    assert!(
        sandbox.run(&["poll"]).status.success(),
        "registers the webhooks"
    );
    aws.publish(&[("i1", Status::Outage, &["EC2"])]);

    // After the event: the feed is renamed and recategorised, then removed with its incidents.
    sandbox
        .sql()
        .execute(
            "UPDATE feeds SET title = 'Renamed', category = 'other' WHERE id = ?1",
            [aws.feed_id],
        )
        .unwrap();
    let removed = sandbox.run(&["feeds", "remove", &aws.feed_id.to_string(), "--yes"]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert_eq!(sandbox.count("SELECT count(*) FROM incidents"), 0);

    let out = sandbox.run(&["poll"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let cloud = r.received("/cloud");
    assert_eq!(
        cloud.len(),
        1,
        "the category filter still matches the event"
    );
    let slack = cloud[0].json();
    // The Block Kit context lists the feed and components.
    let details = slack["blocks"][2]["elements"].to_string();
    assert!(
        details.contains("*Feed:* AWS"),
        "the feed as it was: {details}"
    );
    assert!(details.contains("*Components:* EC2"), "{details}");

    let raw = r.received("/raw");
    assert_eq!(raw.len(), 1);
    let payload = raw[0].json();
    assert_eq!(payload["feed"]["title"], "AWS");
    assert_eq!(payload["feed"]["category"], "cloud");
    assert_eq!(payload["incident"]["components"][0], "EC2");
}

#[test]
fn migrating_copies_the_joined_facts_into_older_events() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    {
        // A database as the previous version left it: migrations up to 0005, and one event
        // whose payload names neither the category nor the incident's components.
        let conn = rusqlite::Connection::open(&db).unwrap();
        let before = MIGRATIONS
            .iter()
            .position(|(name, _)| *name == "0006_self_contained_events")
            .unwrap();
        for (_, sql) in &MIGRATIONS[..before] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", before as i64)
            .unwrap();
        conn.execute_batch(
            "INSERT INTO feeds (id, url, title, vendor, category, added_at)
                 VALUES (1, 'http://127.0.0.1:9/zoom', 'Zoom', 'zoom', 'saas',
                         '2025-10-01T00:00:00Z');
             INSERT INTO incidents (id, feed_id, incident_key, title, status, worst_status,
                                    components, started_at, updated_at)
                 VALUES (7, 1, 'k', 'Meetings fail', 'resolved', 'outage', '[\"Meetings\"]',
                         '2025-10-20T07:00:00Z', '2025-10-20T08:00:00Z');",
        )
        .unwrap();
        let legacy = serde_json::json!({
            "id": "e1", "type": "state_change", "occurred_at": "2025-10-20T08:00:00Z",
            "detected_at": "2025-10-20T08:01:00Z", "vendor": "zoom",
            "feed": { "id": 1, "title": "Zoom", "url": "http://127.0.0.1:9/zoom" },
            "component": null, "from": "outage", "to": "operational",
            "title": "Zoom is operational again: Meetings fail", "link": null,
            "incident": { "id": 7, "title": "Meetings fail", "link": null, "status": "resolved",
                          "phase": "resolved", "started_at": "2025-10-20T07:00:00Z" },
            "components": [],
        });
        conn.execute(
            "INSERT INTO events (id, kind, occurred_at, detected_at, feed_id, vendor, from_state,
                                 to_state, incident_id, title, payload)
             VALUES ('e1', 'state_change', '2025-10-20T08:00:00Z', '2025-10-20T08:01:00Z', 1,
                     'zoom', 'outage', 'operational', 7, 'Zoom is operational again', ?1)",
            [legacy.to_string()],
        )
        .unwrap();
    }
    let store = Store::open(&db).unwrap();
    let events = store.events_after(0, None, None, 10).unwrap();
    assert_eq!(events.len(), 1);
    let payload = &events[0].payload;
    assert_eq!(payload.category(), Some("saas"));
    assert_eq!(payload.components(), ["Meetings"]);
    let body: serde_json::Value = serde_json::from_str(&events[0].body).unwrap();
    assert_eq!(body["feed"]["category"], "saas");
    assert_eq!(body["title"], "Zoom is operational again: Meetings fail");
}
