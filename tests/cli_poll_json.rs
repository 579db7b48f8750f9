//! End to end: `feeds add` a Statuspage `summary.json` served on 127.0.0.1, `poll` it through the
//! real binary, and the archive holds its incidents with the API's ids, impact and updates; the
//! second poll is a 304 (conditional GET works for JSON as for feeds). A JSON document of no
//! known shape fails that feed alone, with the reason in the fetch log.

mod common;
use common::{stderr, stdout, summary, FeedServer, Resource, Sandbox};

const SUMMARY: &str = "/skylark/api/v2/summary.json";

fn json(name: &str) -> Resource {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/json")
        .join(name);
    let mut r = Resource::feed(std::fs::read(path).unwrap());
    r.content_type = "application/json; charset=utf-8".into();
    r
}

#[test]
fn a_summary_json_is_polled_stored_and_then_not_modified() {
    let server = FeedServer::start();
    server.set(SUMMARY, json("statuspage_summary.json"));
    let sandbox = Sandbox::new();
    let id = sandbox.add_feed("Skylark", &server.url(SUMMARY));

    let first = sandbox.poll(&[]);
    assert_eq!(first.status.code(), Some(0), "stderr: {}", stderr(&first));
    let s = summary(&first);
    assert_eq!(
        (s["fetched"].as_i64(), s["errors"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(s["new"].as_i64(), Some(3));
    assert_eq!(sandbox.count("SELECT count(*) FROM entries"), 3);
    let incidents = sandbox.strings(
        "SELECT incident_key || ' ' || status || ' ' || coalesce(severity, '-') FROM incidents ORDER BY incident_key",
    );
    assert_eq!(
        incidents,
        [
            "https://status.skylark.example/incidents/inc0major001 outage major",
            "https://status.skylark.example/incidents/inc0resol002 resolved minor",
            "https://status.skylark.example/incidents/mnt0sched003 maintenance maintenance",
        ]
    );
    // The updates of the API, stored as the timeline.
    assert_eq!(sandbox.count("SELECT count(*) FROM updates"), 5);
    let history = sandbox.run(&["history", "skylark"]);
    assert!(history.status.success(), "{}", stderr(&history));
    let text = stdout(&history);
    assert!(text.contains("API requests failing"), "{text}");

    let second = sandbox.poll(&[]);
    assert_eq!(second.status.code(), Some(0), "stderr: {}", stderr(&second));
    let s = summary(&second);
    assert_eq!(
        (
            s["fetched"].as_i64(),
            s["not_modified"].as_i64(),
            s["new"].as_i64()
        ),
        (Some(0), Some(1), Some(0))
    );
    let seen = server.seen(SUMMARY);
    assert_eq!(seen.len(), 2);
    assert_eq!(sandbox.feed(id).last_http_status, Some(304));
    assert_eq!(sandbox.count("SELECT count(*) FROM entries"), 3);
}

#[test]
fn json_of_no_known_shape_fails_that_feed_alone() {
    let server = FeedServer::start();
    server.set(SUMMARY, json("statuspage_summary_idle.json"));
    let mut odd = Resource::feed(br#"{"data":{"items":[1,2,3]}}"#.to_vec());
    odd.content_type = "application/json".into();
    server.set("/odd.json", odd);
    let sandbox = Sandbox::new();
    sandbox.add_feed("Skylark", &server.url(SUMMARY));
    let odd_id = sandbox.add_feed("Odd", &server.url("/odd.json"));

    let out = sandbox.poll(&[]);
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(&out));
    let s = summary(&out);
    assert_eq!(
        (s["fetched"].as_i64(), s["errors"].as_i64()),
        (Some(1), Some(1))
    );
    let row = sandbox.last_fetch(odd_id);
    assert_eq!(row.outcome, "not_a_feed");
    let error = row.error.unwrap_or_default();
    assert!(error.contains("`data`"), "{error}");
}

#[test]
fn a_summary_drives_component_states_and_its_next_idle_summary_ends_the_incident() {
    let server = FeedServer::start();
    server.set(SUMMARY, json("statuspage_summary.json"));
    let sandbox = Sandbox::new();
    sandbox.add_feed("Skylark", &server.url(SUMMARY));
    let first = sandbox.poll(&[]);
    assert_eq!(first.status.code(), Some(0), "stderr: {}", stderr(&first));
    let states = || {
        sandbox.strings("SELECT component || '=' || state FROM current_status ORDER BY component")
    };
    assert_eq!(
        states(),
        [
            "=outage",
            "API=outage",
            "Dashboard=degraded",
            "Git Operations=outage",
            "Search=maintenance",
            "Webhooks=operational",
        ],
        "every component as the API states it; the vendor at its worst"
    );
    let status = sandbox.run(&["status"]);
    assert!(
        stdout(&status).contains("Git Operations"),
        "{}",
        stdout(&status)
    );
    let kinds =
        sandbox.strings("SELECT kind || ':' || coalesce(component, '') FROM events ORDER BY seq");
    assert_eq!(kinds[0], "state_change:", "{kinds:?}");
    assert!(
        kinds.contains(&"component_change:API".to_string()),
        "{kinds:?}"
    );

    // All fine again: the summary no longer lists the incident, so it is over.
    server.set(SUMMARY, json("statuspage_summary_idle.json"));
    let second = sandbox.poll(&[]);
    assert_eq!(second.status.code(), Some(0), "stderr: {}", stderr(&second));
    assert!(
        states().iter().all(|s| s.ends_with("=operational")),
        "{:?}",
        states()
    );
    assert_eq!(
        sandbox.strings("SELECT status || ' ' || coalesce(phase, '-') FROM incidents WHERE incident_key LIKE '%inc0major001'"),
        ["resolved resolved"]
    );
    assert_eq!(
        sandbox.count("SELECT count(*) FROM incidents WHERE resolved_at IS NULL"),
        0,
        "the scheduled maintenance it stopped listing is over too"
    );
}

/// Skylark's Atom feed, holding the same incident the summary fixture lists (same page).
const SKYLARK_ATOM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xml:lang="en-US" xmlns="http://www.w3.org/2005/Atom">
  <id>tag:status.skylark.example,2005:/history</id>
  <link rel="alternate" type="text/html" href="https://status.skylark.example"/>
  <title>Skylark Status - Incident History</title>
  <updated>2025-10-20T07:10:00Z</updated>
  <entry>
    <id>tag:status.skylark.example,2005:Incident/24000200</id>
    <published>2025-10-20T07:02:00Z</published>
    <updated>2025-10-20T07:10:00Z</updated>
    <link rel="alternate" type="text/html" href="https://status.skylark.example/incidents/inc0major001"/>
    <title>API requests failing</title>
    <content type="html">&lt;p&gt;&lt;small&gt;Oct &lt;var data-var='date'&gt;20&lt;/var&gt;, &lt;var data-var='time'&gt;07:10&lt;/var&gt; UTC&lt;/small&gt;&lt;br&gt;&lt;strong&gt;Identified&lt;/strong&gt; - API requests are failing; the cause is identified.&lt;/p&gt;</content>
  </entry>
</feed>"#;

#[test]
fn one_incident_seen_through_a_vendors_feed_and_its_api_is_counted_once() {
    let server = FeedServer::start();
    server.set(SUMMARY, json("statuspage_summary.json"));
    server.set("/skylark/history.atom", Resource::feed(SKYLARK_ATOM));
    let sandbox = Sandbox::new();
    // Two sources of one vendor: its Atom feed and its status API.
    sandbox.add_feed("Skylark", &server.url("/skylark/history.atom"));
    sandbox.add_feed("Skylark", &server.url(SUMMARY));
    let polled = sandbox.poll(&[]);
    assert_eq!(polled.status.code(), Some(0), "{}", stderr(&polled));

    let page = "https://status.skylark.example/incidents/inc0major001";
    assert_eq!(
        sandbox.count(&format!(
            "SELECT count(*) FROM incidents WHERE link = '{page}'"
        )),
        2,
        "each source keeps its own row"
    );
    assert_eq!(
        sandbox.count(&format!(
            "SELECT count(*) FROM outages WHERE link = '{page}'"
        )),
        1,
        "the outages view counts the incident once"
    );
    let history = stdout(&sandbox.run(&["history", "skylark"]));
    assert_eq!(
        history.matches("API requests failing").count(),
        1,
        "{history}"
    );
}
