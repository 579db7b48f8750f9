//! A vendor that takes an open incident off its feed: `poll` closes the incident as withdrawn,
//! and the recovery it raises says so (`"reason": "withdrawn"`) in the outbox and in
//! `events --format json`, while staying a recovery (`to_state` operational).

mod common;

use common::{stderr, FeedServer, Resource, Sandbox};

/// An Atom feed with a resolved incident and, when `open` is set, an ongoing outage.
fn feed(open: bool) -> String {
    let ongoing = r#"
  <entry>
    <id>tag:status.example.com,2005:Incident/202</id>
    <published>2025-10-20T08:00:00Z</published>
    <updated>2025-10-20T08:05:00Z</updated>
    <link rel="alternate" type="text/html" href="https://status.example.com/incidents/202"/>
    <title>Meetings failing to start</title>
    <content type="html">&lt;p&gt;&lt;strong&gt;Investigating&lt;/strong&gt; - Meetings are down for all users: a major outage.&lt;/p&gt;</content>
  </entry>"#;
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>tag:status.example.com,2005:/history</id>
  <title>Example Status</title>
  <updated>2025-10-20T08:05:00Z</updated>{}
  <entry>
    <id>tag:status.example.com,2005:Incident/101</id>
    <published>2025-10-19T07:00:00Z</published>
    <updated>2025-10-19T07:11:00Z</updated>
    <link rel="alternate" type="text/html" href="https://status.example.com/incidents/101"/>
    <title>Elevated API error rates</title>
    <content type="html">&lt;p&gt;&lt;strong&gt;Resolved&lt;/strong&gt; - This incident has been resolved.&lt;/p&gt;</content>
  </entry>
</feed>
"#,
        if open { ongoing } else { "" }
    )
}

fn event_lines(sandbox: &Sandbox) -> Vec<serde_json::Value> {
    let out = sandbox.run(&["events", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn an_incident_the_vendor_takes_off_its_feed_recovers_as_withdrawn() {
    let server = FeedServer::start();
    server.set("/history.atom", Resource::feed(feed(true)));
    let sandbox = Sandbox::new();
    sandbox.add_feed("Example", &server.url("/history.atom"));
    let out = sandbox.poll(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let first = event_lines(&sandbox);
    assert_eq!(first.len(), 1, "{first:?}");
    assert_ne!(first[0]["to_state"], "operational", "{first:?}");

    // The vendor deletes the ongoing incident's post; the resolved one stays.
    server.set("/history.atom", Resource::feed(feed(false)));
    sandbox.make_due();
    let out = sandbox.poll(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = event_lines(&sandbox);
    assert_eq!(lines.len(), 2, "{lines:?}");
    let recovery = &lines[1];
    assert_eq!(recovery["kind"], "state_change");
    assert_eq!(recovery["to_state"], "operational", "still a recovery");
    assert_eq!(recovery["payload"]["reason"], "withdrawn", "{recovery}");
    assert_eq!(
        recovery["payload"]["incident"]["title"],
        "Meetings failing to start"
    );
    let title = recovery["title"].as_str().unwrap();
    assert!(
        title.contains(
            "was withdrawn by the vendor (the incident left the feed without a resolution)"
        ),
        "{title}"
    );
    // The outbox row itself, what delivery sends.
    assert_eq!(
        sandbox.strings(
            "SELECT json_extract(payload, '$.reason') FROM events ORDER BY seq DESC LIMIT 1"
        ),
        ["withdrawn"]
    );
    assert_eq!(
        sandbox.strings("SELECT phase FROM incidents WHERE title = 'Meetings failing to start'"),
        ["withdrawn"]
    );
    // The first event, an ordinary change, has no reason at all.
    assert!(lines[0]["payload"].get("reason").is_none(), "{}", lines[0]);
}
