//! `statuswatch override`: a person's correction stands over the feeds, survives `reclassify`
//! and new polls, shows in `status`, `history` and the views, raises the event its state change
//! means, and is undone by removing it.

mod common;
use common::{
    fixture, one_feed_polled, opml, stderr, stdout, transitions, vendor_state, FeedServer, Sandbox,
};

fn polled() -> (FeedServer, Sandbox) {
    one_feed_polled("/feed.rss", fixture("parse/generic_pagerduty.rss"), "acme")
}

fn state(sandbox: &Sandbox) -> String {
    vendor_state(sandbox, "acme")
}

fn ok(sandbox: &Sandbox, args: &[&str]) -> String {
    let out = sandbox.run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn an_incident_marked_resolved_by_hand_stays_resolved_until_the_override_is_removed() {
    let (_server, sandbox) = polled();
    assert_eq!(state(&sandbox), "degraded");
    let id: i64 = sandbox
        .sql()
        .query_row(
            "SELECT id FROM incidents WHERE title = 'Slow dashboards'",
            [],
            |r| r.get(0),
        )
        .unwrap();

    let text = ok(
        &sandbox,
        &[
            "override",
            "incident",
            &id.to_string(),
            "--status",
            "resolved",
            "--reason",
            "vendor forgot to close it",
        ],
    );
    assert!(
        text.contains("is resolved by hand (1 events raised)"),
        "{text}"
    );
    assert_eq!(state(&sandbox), "operational");
    assert_eq!(
        transitions(&sandbox),
        ["operational>degraded", "degraded>operational"]
    );

    // history and the outages view follow the override and say so.
    let history = ok(&sandbox, &["history", "--format", "json"]);
    let rows: Vec<serde_json::Value> = history
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let row = rows.iter().find(|r| r["incident_id"] == id).unwrap();
    assert_eq!(row["status"], "resolved");
    assert_eq!(row["vendor_status"], "degraded");
    assert_eq!(row["override_reason"], "vendor forgot to close it");
    assert!(row["resolved_at"].is_string());
    assert!(ok(&sandbox, &["history"]).contains("resolved (override)"));
    assert_eq!(
        sandbox.count(&format!(
            "SELECT count(*) FROM outages WHERE incident_id = {id} AND NOT ongoing
               AND override = 'vendor forgot to close it'"
        )),
        1
    );

    // New polls of the same document and reclassify do not undo it.
    assert_eq!(sandbox.run(&["poll"]).status.code(), Some(0));
    ok(&sandbox, &["reclassify"]);
    assert_eq!(state(&sandbox), "operational");
    assert!(ok(&sandbox, &["override", "list"]).contains("vendor forgot to close it"));

    // Removed: the vendor's word stands again, and that is news too.
    let oid: i64 = sandbox
        .sql()
        .query_row("SELECT id FROM overrides", [], |r| r.get(0))
        .unwrap();
    let text = ok(&sandbox, &["override", "remove", &oid.to_string()]);
    assert!(text.contains("(1 events raised)"), "{text}");
    assert_eq!(state(&sandbox), "degraded");
    assert_eq!(sandbox.count("SELECT count(*) FROM overrides"), 0);
    assert_eq!(
        transitions(&sandbox),
        [
            "operational>degraded",
            "degraded>operational",
            "operational>degraded"
        ]
    );
}

#[test]
fn a_false_alarm_marked_informational_is_no_outage() {
    let (_server, sandbox) = polled();
    let id: i64 = sandbox
        .sql()
        .query_row(
            "SELECT id FROM incidents WHERE title = 'Slow dashboards'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    ok(
        &sandbox,
        &[
            "override",
            "incident",
            &id.to_string(),
            "--status",
            "informational",
            "--reason",
            "our probe",
        ],
    );
    assert_eq!(state(&sandbox), "operational");
    assert_eq!(
        sandbox.count(&format!(
            "SELECT count(*) FROM outages WHERE incident_id = {id}"
        )),
        0
    );
}

#[test]
fn a_vendor_state_set_by_hand_shows_in_status_and_stands_over_the_feed() {
    let (_server, sandbox) = polled();
    let text = ok(
        &sandbox,
        &[
            "override",
            "vendor",
            "acme",
            "--state",
            "outage",
            "--reason",
            "down for us, page says degraded",
        ],
    );
    assert!(
        text.contains("acme is outage by hand (1 events raised)"),
        "{text}"
    );
    assert_eq!(state(&sandbox), "outage");
    let status = ok(&sandbox, &["status"]);
    assert!(status.contains("outage (override)"), "{status}");
    let json = ok(&sandbox, &["status", "--format", "json"]);
    assert!(json.contains("down for us, page says degraded"), "{json}");
    assert_eq!(sandbox.run(&["poll"]).status.code(), Some(0));
    assert_eq!(state(&sandbox), "outage", "a poll does not undo it");

    // Setting it again replaces it, one override per target.
    ok(
        &sandbox,
        &[
            "override",
            "vendor",
            "acme",
            "--state",
            "degraded",
            "--reason",
            "better now",
        ],
    );
    assert_eq!(sandbox.count("SELECT count(*) FROM overrides"), 1);
    assert_eq!(state(&sandbox), "degraded");
}

#[test]
fn bad_overrides_are_refused_with_what_to_do() {
    let (_server, sandbox) = polled();
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "override", "incident", "9999", "--status", "resolved", "--reason", "x",
            ],
            "no incident has id 9999: see the ID column of `statuswatch history`",
        ),
        (
            &[
                "override", "vendor", "nobody", "--state", "outage", "--reason", "x",
            ],
            "no feed has vendor, id or URL \"nobody\": see `statuswatch feeds list`",
        ),
        (
            &[
                "override", "vendor", "acme", "--state", "outage", "--reason", "  ",
            ],
            "--reason is empty",
        ),
        (
            &["override", "remove", "77"],
            "no override has id 77: see `statuswatch override list`",
        ),
        (
            &[
                "override", "vendor", "acme", "--state", "sunny", "--reason", "x",
            ],
            "unknown status \"sunny\"",
        ),
    ];
    for (args, want) in cases {
        let out = sandbox.run(args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr(&out).contains(want), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(sandbox.count("SELECT count(*) FROM overrides"), 0);
    assert_eq!(state(&sandbox), "degraded", "nothing changed");

    // A vendor with two feeds must be named by feed id or URL.
    let second = sandbox.write(
        "more.opml",
        &opml(&[(
            "Acme EU",
            "acme",
            "",
            "http://127.0.0.1:9/eu.rss".to_string(),
        )]),
    );
    assert!(sandbox
        .run(&["feeds", "import", second.to_str().unwrap()])
        .status
        .success());
    let out = sandbox.run(&[
        "override", "vendor", "acme", "--state", "outage", "--reason", "x",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("vendor \"acme\" has 2 feeds (")
            && stderr(&out).contains("name one by id or URL"),
        "{}",
        stderr(&out)
    );
}
