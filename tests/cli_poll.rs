//! End to end: the real binary polls fixture feeds served by a real HTTP server on 127.0.0.1
//! into a real SQLite file, and the rows say what happened.

mod common;
use common::{fixture, opml, stderr, summary, FeedServer, Resource, Sandbox};

const SKYLARK: &str = "/skylark/history.atom";
const QUILLPAY: &str = "/quillpay/history.rss";
const AWS: &str = "/aws/rss/all.rss";
const GCP: &str = "/gcp/en/feed.atom";

fn rss(name: &str) -> Resource {
    let mut r = Resource::feed(fixture(name));
    r.content_type = "application/rss+xml; charset=utf-8".into();
    r
}

/// Four feeds of four engines, imported from an OPML file the way a user would.
fn setup() -> (FeedServer, Sandbox) {
    let server = FeedServer::start();
    server.set(SKYLARK, Resource::feed(fixture("feeds/statuspage-v1.atom")));
    server.set(QUILLPAY, rss("feeds/statuspage.rss"));
    server.set(AWS, rss("feeds/aws-all.rss"));
    server.set(GCP, Resource::feed(fixture("feeds/gcp.atom")));
    let sandbox = Sandbox::new();
    let catalog = opml(&[
        ("Skylark", "skylark", "statuspage", server.url(SKYLARK)),
        ("Quillpay", "quillpay", "statuspage", server.url(QUILLPAY)),
        ("AWS", "aws", "aws", server.url(AWS)),
        ("Google Cloud", "gcp", "gcp", server.url(GCP)),
    ]);
    let file = sandbox.write("feeds.opml", &catalog);
    let out = sandbox.run(&["feeds", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "import failed: {}", stderr(&out));
    (server, sandbox)
}

#[test]
fn entries_are_stored_once_and_a_second_poll_gets_304s() {
    let (server, sandbox) = setup();
    let first = sandbox.run(&["poll", "--format", "json"]);
    assert_eq!(first.status.code(), Some(0), "stderr: {}", stderr(&first));
    let s = summary(&first);
    assert_eq!(s["fetched"], 4);
    assert_eq!(s["errors"], 0);
    assert_eq!(s["new"], 4 + 3 + 5 + 3);
    // First sight archives history silently: one event per vendor with something active now
    // (Quillpay's card payments, AWS Lambda eu-west-1, Cloud Build), none for Skylark.
    assert_eq!(s["events"], 3);
    assert_eq!(sandbox.count("SELECT count(*) FROM entries"), 15);
    assert_eq!(sandbox.count("SELECT count(*) FROM entry_revisions"), 15);
    assert_eq!(
        sandbox.count("SELECT count(*) FROM fetches WHERE outcome = 'ok' AND http_status = 200"),
        4
    );
    assert_eq!(
        sandbox.count(
            "SELECT count(*) FROM feeds WHERE etag IS NOT NULL AND last_modified IS NOT NULL"
        ),
        4
    );
    // AWS items chain per service-region; GCP updates per incident.
    let aws_incidents =
        "SELECT count(*) FROM incidents i JOIN feeds f ON f.id = i.feed_id WHERE f.vendor = 'aws'";
    assert_eq!(sandbox.count(aws_incidents), 2);
    let gcp_incidents =
        "SELECT count(*) FROM incidents i JOIN feeds f ON f.id = i.feed_id WHERE f.vendor = 'gcp'";
    assert_eq!(sandbox.count(gcp_incidents), 2);
    assert_eq!(
        sandbox.count(
            "SELECT count(*) FROM service_state WHERE component = '' AND state <> 'operational'"
        ),
        3
    );

    let second = sandbox.run(&["poll", "--format", "json"]);
    assert_eq!(second.status.code(), Some(0), "stderr: {}", stderr(&second));
    let s = summary(&second);
    assert_eq!(
        (s["fetched"].as_i64(), s["not_modified"].as_i64()),
        (Some(0), Some(4))
    );
    assert_eq!(
        (
            s["new"].as_i64(),
            s["updated"].as_i64(),
            s["events"].as_i64()
        ),
        (Some(0), Some(0), Some(0))
    );
    assert_eq!(sandbox.count("SELECT count(*) FROM entries"), 15);
    assert_eq!(sandbox.count("SELECT count(*) FROM events"), 3);
    // A 304 updates the feed's health columns and writes nothing else: no log row.
    assert_eq!(
        sandbox.count("SELECT count(*) FROM feeds WHERE last_http_status = 304"),
        4
    );
    assert_eq!(
        sandbox.count("SELECT count(*) FROM fetches WHERE http_status = 304"),
        0
    );
    // The conditional GET really carried the stored validators.
    let seen = server.seen(SKYLARK);
    assert_eq!(seen.len(), 2);
    assert!(seen[0].headers.get("if-none-match").is_none());
    assert!(seen[1].headers.get("if-none-match").is_some());
    assert!(seen[1].headers.get("if-modified-since").is_some());
    let agent = seen[0].headers.get("user-agent").unwrap().to_str().unwrap();
    assert!(agent.starts_with("statuswatch/"), "{agent}");
}

#[test]
fn a_changed_feed_gets_a_revision_and_exactly_one_event_per_state_change() {
    let (server, sandbox) = setup();
    assert_eq!(sandbox.run(&["poll"]).status.code(), Some(0));
    let skylark_events = "SELECT count(*) FROM events WHERE vendor = 'skylark'";
    assert_eq!(sandbox.count(skylark_events), 0);

    // v2: a new active incident, and an old one edited with a postmortem.
    server.set(SKYLARK, Resource::feed(fixture("feeds/statuspage-v2.atom")));
    let out = sandbox.run(&["poll", "--format", "json", "--feed", &server.url(SKYLARK)]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let s = summary(&out);
    assert_eq!(
        (
            s["new"].as_i64(),
            s["updated"].as_i64(),
            s["unchanged"].as_i64()
        ),
        (Some(1), Some(1), Some(3))
    );
    assert_eq!(s["events"], 1);
    let edited = "SELECT max(r.revision) FROM entry_revisions r JOIN entries e ON e.id = r.entry_id
                  WHERE e.entry_key LIKE '%Incident/24000102'";
    assert_eq!(sandbox.count(edited), 2);
    let conn = sandbox.sql();
    let (from, to, incident): (String, String, String) = conn
        .query_row(
            "SELECT e.from_state, e.to_state, i.title FROM events e JOIN incidents i ON i.id = e.incident_id
             WHERE e.vendor = 'skylark'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((from.as_str(), to.as_str()), ("operational", "degraded"));
    assert_eq!(incident, "Elevated error rates on the API");

    // The same document again changes nothing.
    let again = summary(&sandbox.run(&["poll", "--format", "json"]));
    assert_eq!(again["events"], 0);

    // v3: the incident is resolved; the vendor's resolution time is kept, not ours.
    server.set(SKYLARK, Resource::feed(fixture("feeds/statuspage-v3.atom")));
    let s = summary(&sandbox.run(&["poll", "--format", "json"]));
    assert_eq!(
        (s["updated"].as_i64(), s["events"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(sandbox.count(skylark_events), 2);
    let (status, resolved_at, minutes): (String, String, f64) = conn
        .query_row(
            "SELECT status, resolved_at, duration_minutes FROM outages WHERE title = 'Elevated error rates on the API'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(status, "degraded");
    assert!(resolved_at.starts_with("2026-09-20T11:30"), "{resolved_at}");
    assert!(minutes > 0.0);
    let state: String = conn
        .query_row(
            "SELECT state FROM current_status WHERE vendor = 'skylark' AND component = ''",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(state, "operational");
}

#[test]
fn two_polls_at_once_store_everything_once_and_raise_each_event_once() {
    // A cron line whose previous cycle is still running, or a `poll` by hand beside the
    // daemon: two processes fetch the same feeds and write the same file at once.
    let (server, sandbox) = setup();
    server.set_delay(std::time::Duration::from_millis(300));
    let spawn = || sandbox.spawn(&["poll", "--format", "json"]);
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
        assert_eq!(summary(&out)["errors"], 0);
    }
    // Both fetched every feed (the server saw each twice), and the archive is as after one.
    assert_eq!(server.seen(SKYLARK).len(), 2);
    assert_eq!(sandbox.count("SELECT count(*) FROM entries"), 15);
    assert_eq!(sandbox.count("SELECT count(*) FROM entry_revisions"), 15);
    assert_eq!(sandbox.count("SELECT count(*) FROM incidents WHERE feed_id IN (SELECT id FROM feeds WHERE vendor IN ('aws', 'gcp'))"), 4);
    assert_eq!(sandbox.count("SELECT count(*) FROM events"), 3);
}

#[test]
fn a_feed_removed_while_it_is_fetched_is_skipped_and_the_cycle_goes_on() {
    let (server, sandbox) = setup();
    server.set_path_delay(AWS, std::time::Duration::from_millis(1500));
    let aws: i64 = sandbox.count("SELECT id FROM feeds WHERE vendor = 'aws'");
    let poll = sandbox.spawn(&["poll", "--format", "json"]);
    // Remove the feed while the poll waits for its answer.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while server.seen(AWS).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let removed = sandbox.run(&["feeds", "remove", &aws.to_string(), "--yes"]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    let out = poll.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let s = summary(&out);
    assert_eq!(
        (s["feeds"].as_i64(), s["fetched"].as_i64()),
        (Some(3), Some(3))
    );
    assert_eq!(s["errors"], 0);
    // The other feeds are stored as ever; of the removed one, nothing is left or added.
    assert_eq!(sandbox.count("SELECT count(*) FROM entries"), 15 - 5);
    assert_eq!(
        sandbox.count(&format!(
            "SELECT (SELECT count(*) FROM feeds WHERE id = {aws}) + (SELECT count(*) FROM fetches WHERE feed_id = {aws})"
        )),
        0
    );
}
