//! Replays sequences of feed versions through the real binary and asserts the exact
//! incidents, state and events after each poll, and that a repeated poll adds no event.

mod common;
use common::{
    opml, statuspage_atom, stderr, summary, transitions, vendor_state, FeedServer, GenIncident,
    Resource, Sandbox,
};

/// One feed served at `/feed`, imported with the given engine.
fn one_feed(engine: &str) -> (FeedServer, Sandbox) {
    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    let file = sandbox.write(
        "feeds.opml",
        &opml(&[("Acme", "acme", engine, server.url("/feed"))]),
    );
    assert!(sandbox
        .run(&["feeds", "import", file.to_str().unwrap()])
        .status
        .success());
    (server, sandbox)
}

/// Serves `doc` (fresh validators, so it is fetched), polls, and then polls the same document
/// again with validators stripped (a 200 with the same body) to prove the repeat adds nothing.
fn poll(server: &FeedServer, sandbox: &Sandbox, doc: &str) -> serde_json::Value {
    server.set(
        "/feed",
        Resource::plain(200, "application/atom+xml", doc.as_bytes().to_vec()),
    );
    let out = sandbox.run(&["poll", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let again = summary(&sandbox.run(&["poll", "--format", "json"]));
    assert_eq!(again["events"], 0, "a repeated poll raised an event");
    assert_eq!(again["new"], 0);
    assert_eq!(again["updated"], 0);
    summary(&out)
}

fn incidents(sandbox: &Sandbox) -> Vec<String> {
    sandbox.strings(
        "SELECT status || '|' || worst_status || '|' || started_at || '|' || COALESCE(resolved_at, '-')
         FROM incidents ORDER BY id",
    )
}

fn state(sandbox: &Sandbox) -> String {
    vendor_state(sandbox, "acme")
}

fn incident(updates: &[(&str, &str, &str)]) -> String {
    statuspage_atom(
        "status.acme.example",
        &[GenIncident {
            id: "501".into(),
            title: "Login problems".into(),
            updates: updates
                .iter()
                .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
                .collect(),
        }],
    )
}

#[test]
fn investigating_identified_monitoring_resolved() {
    let (server, sandbox) = one_feed("statuspage");
    let investigating = (
        "2026-03-02T10:00:00Z",
        "Investigating",
        "Some users see errors when logging in.",
    );
    let identified = (
        "2026-03-02T10:20:00Z",
        "Identified",
        "Users are unable to log in. We found the cause.",
    );
    let monitoring = (
        "2026-03-02T10:50:00Z",
        "Monitoring",
        "A fix has been deployed; we are monitoring.",
    );
    let resolved = (
        "2026-03-02T11:05:00Z",
        "Resolved",
        "This incident has been resolved.",
    );

    poll(&server, &sandbox, &incident(&[investigating]));
    assert_eq!(transitions(&sandbox), ["operational>degraded"]);
    poll(&server, &sandbox, &incident(&[identified, investigating]));
    assert_eq!(
        transitions(&sandbox),
        ["operational>degraded", "degraded>outage"]
    );
    assert_eq!(state(&sandbox), "outage");
    poll(
        &server,
        &sandbox,
        &incident(&[monitoring, identified, investigating]),
    );
    // A fix is out but not confirmed: the incident is still open, no longer an outage.
    assert_eq!(
        transitions(&sandbox),
        ["operational>degraded", "degraded>outage", "outage>degraded"]
    );
    let s = poll(
        &server,
        &sandbox,
        &incident(&[resolved, monitoring, identified, investigating]),
    );
    assert_eq!(s["updated"], 1);
    assert_eq!(
        transitions(&sandbox),
        [
            "operational>degraded",
            "degraded>outage",
            "outage>degraded",
            "degraded>operational"
        ]
    );
    assert_eq!(state(&sandbox), "operational");
    assert_eq!(
        incidents(&sandbox),
        ["resolved|outage|2026-03-02T10:00:00Z|2026-03-02T11:05:00Z"]
    );
    assert_eq!(sandbox.count("SELECT count(*) FROM updates"), 4);
    assert_eq!(sandbox.count("SELECT count(*) FROM entry_revisions"), 4);
    let minutes: f64 = sandbox
        .sql()
        .query_row("SELECT duration_minutes FROM outages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(minutes, 65.0);
}

#[test]
fn maintenance_scheduled_in_progress_completed() {
    let (server, sandbox) = one_feed("statuspage");
    let doc = |updates: &[(&str, &str, &str)]| {
        statuspage_atom(
            "status.acme.example",
            &[GenIncident {
                id: "777".into(),
                title: "Scheduled database maintenance".into(),
                updates: updates
                    .iter()
                    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
                    .collect(),
            }],
        )
    };
    let scheduled = (
        "2026-03-05T09:00:00Z",
        "Scheduled",
        "We will be undergoing scheduled maintenance.",
    );
    let in_progress = (
        "2026-03-06T02:00:00Z",
        "In progress",
        "Scheduled maintenance is currently in progress.",
    );
    let completed = (
        "2026-03-06T03:00:00Z",
        "Completed",
        "The scheduled maintenance has been completed.",
    );
    poll(&server, &sandbox, &doc(&[scheduled]));
    assert!(
        transitions(&sandbox).is_empty(),
        "scheduled work has not started: no event"
    );
    assert_eq!(state(&sandbox), "operational");
    poll(&server, &sandbox, &doc(&[in_progress, scheduled]));
    assert_eq!(transitions(&sandbox), ["operational>maintenance"]);
    poll(
        &server,
        &sandbox,
        &doc(&[completed, in_progress, scheduled]),
    );
    assert_eq!(
        transitions(&sandbox),
        ["operational>maintenance", "maintenance>operational"]
    );
    assert_eq!(
        incidents(&sandbox),
        ["resolved|maintenance|2026-03-05T09:00:00Z|2026-03-06T03:00:00Z"]
    );
    assert_eq!(
        sandbox.count("SELECT count(*) FROM outages"),
        0,
        "planned work is not an outage"
    );
}

fn aws_item(service_region: &str, epoch: i64, title: &str, body: &str) -> String {
    let at = chrono::DateTime::from_timestamp(epoch, 0)
        .unwrap()
        .format("%a, %d %b %Y %H:%M:%S GMT");
    format!(
        "<item><title><![CDATA[{title}]]></title><link>http://status.aws.amazon.com/</link><pubDate>{at}</pubDate>\
         <guid isPermaLink=\"false\">http://status.aws.amazon.com/#{service_region}_{epoch}</guid>\
         <description><![CDATA[{body}]]></description></item>\n"
    )
}

fn aws_doc(items: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title><![CDATA[Amazon Web Services Service Status]]></title>\
         <link>http://status.aws.amazon.com/</link><generator>AWS Service Health Dashboard RSS Generator</generator>\n{}</channel></rss>\n",
        items.concat()
    )
}

#[test]
fn aws_items_chain_into_one_incident_until_resolved_even_out_of_order() {
    let (server, sandbox) = one_feed("aws");
    let t0 = 1_790_064_600; // 2026-09-22T08:10:00Z
    let first = aws_item(
        "ec2-us-east-1",
        t0,
        "Informational message: Increased API Error Rates",
        "We are investigating increased API error rates in US-EAST-1.",
    );
    let worse = aws_item(
        "ec2-us-east-1",
        t0 + 1800,
        "Service disruption: Increased API Error Rates",
        "Instances cannot be launched in US-EAST-1.",
    );
    let done = aws_item(
        "ec2-us-east-1",
        t0 + 5400,
        "Service is operating normally: [RESOLVED] Increased API Error Rates",
        "The issue has been resolved and the service is operating normally.",
    );

    poll(&server, &sandbox, &aws_doc(std::slice::from_ref(&first)));
    assert_eq!(transitions(&sandbox), ["operational>degraded"]);
    // The resolution arrives before the middle item was ever seen.
    poll(&server, &sandbox, &aws_doc(&[done.clone(), first.clone()]));
    assert_eq!(
        transitions(&sandbox),
        ["operational>degraded", "degraded>operational"]
    );
    // The middle item shows up late: history gets worse, the present does not change.
    let s = poll(&server, &sandbox, &aws_doc(&[done, worse, first]));
    assert_eq!(
        (s["new"].as_i64(), s["events"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(state(&sandbox), "operational");
    assert_eq!(
        incidents(&sandbox),
        ["resolved|outage|2026-09-22T08:10:00Z|2026-09-22T09:40:00Z"]
    );
    assert_eq!(
        sandbox.count("SELECT count(*) FROM entries WHERE incident_id IS NOT NULL"),
        3
    );
}

#[test]
fn an_incident_edited_after_resolution_gets_a_revision_and_no_event() {
    let (server, sandbox) = one_feed("statuspage");
    let investigating = (
        "2026-03-02T10:00:00Z",
        "Investigating",
        "Users are unable to log in.",
    );
    let resolved = (
        "2026-03-02T10:30:00Z",
        "Resolved",
        "This incident has been resolved.",
    );
    let postmortem = (
        "2026-03-09T16:00:00Z",
        "Postmortem",
        "A configuration change caused the outage.",
    );
    let first = poll(&server, &sandbox, &incident(&[resolved, investigating]));
    assert_eq!(first["events"], 0, "resolved history is archived silently");
    let s = poll(
        &server,
        &sandbox,
        &incident(&[postmortem, resolved, investigating]),
    );
    assert_eq!(
        (s["updated"].as_i64(), s["events"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(sandbox.count("SELECT count(*) FROM entry_revisions"), 2);
    // The postmortem a week later does not stretch the outage.
    assert_eq!(
        incidents(&sandbox),
        ["resolved|outage|2026-03-02T10:00:00Z|2026-03-02T10:30:00Z"]
    );
    assert!(transitions(&sandbox).is_empty());
}

#[test]
fn the_same_document_twice_in_a_row_changes_nothing() {
    let (server, sandbox) = one_feed("statuspage");
    let doc = incident(&[(
        "2026-03-02T10:00:00Z",
        "Investigating",
        "Elevated error rates on the API.",
    )]);
    let s = poll(&server, &sandbox, &doc);
    assert_eq!(
        (s["new"].as_i64(), s["events"].as_i64()),
        (Some(1), Some(1))
    );
    let before = sandbox.count("SELECT count(*) FROM entry_revisions");
    let s = poll(&server, &sandbox, &doc);
    assert_eq!(
        (s["unchanged"].as_i64(), s["events"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        sandbox.count("SELECT count(*) FROM entry_revisions"),
        before
    );
}
