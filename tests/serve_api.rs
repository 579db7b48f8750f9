//! The JSON API of `statuswatch serve` as a client uses it: the real binary on 127.0.0.1 over
//! an archive filled by real polls of a local feed server. Every endpoint, the keyset pages
//! walked to the end and compared with SQL, each filter, the long poll and the SSE stream
//! woken by a concurrent `poll`, the problems, and every answer checked against the OpenAPI
//! document the server serves.

mod common;

use common::served::Served;
use common::{fixture, stderr, FeedServer, Resource, Sandbox};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Incidents in the generated feed; entries 2k and 2k+1 start at the same second, so page
/// boundaries fall inside ties.
const PELICAN_INCIDENTS: usize = 23;
/// Its first two are still open (Investigating only).
const PELICAN_OPEN: usize = 2;

/// A Statuspage-style Atom feed for vendor Pelican: recent incidents (days before now), in
/// pairs that share a start time.
fn pelican_feed() -> String {
    let now = chrono::Utc::now();
    let mut entries = String::new();
    for k in 0..PELICAN_INCIDENTS {
        let start = now - chrono::Duration::hours(3 + 24 * (k / 2) as i64);
        let start = start.with_timezone(&chrono::Utc);
        let end = start + chrono::Duration::minutes(50);
        let stamp = |t: chrono::DateTime<chrono::Utc>, word: &str, text: &str| {
            format!(
                "&lt;p&gt;&lt;small&gt;{} &lt;var data-var='date'&gt;{}&lt;/var&gt;, &lt;var data-var='time'&gt;{}&lt;/var&gt; UTC&lt;/small&gt;&lt;br&gt;&lt;strong&gt;{word}&lt;/strong&gt; - {text}&lt;/p&gt;",
                t.format("%b"),
                t.format("%-d"),
                t.format("%H:%M")
            )
        };
        let title = match k % 3 {
            0 => format!("Elevated error rates on the API ({k})"),
            1 => format!("Dashboard unavailable ({k})"),
            _ => format!("Delayed webhook deliveries ({k})"),
        };
        let open = k < PELICAN_OPEN;
        let mut content = String::new();
        if !open {
            content.push_str(&stamp(end, "Resolved", "This incident has been resolved."));
        }
        content.push_str(&stamp(start, "Investigating", "We are investigating."));
        let updated = if open { start } else { end };
        entries.push_str(&format!(
            "  <entry>\n    <id>tag:status.pelican.example,2005:Incident/{k}</id>\n    <published>{}</published>\n    <updated>{}</updated>\n    <link rel=\"alternate\" type=\"text/html\" href=\"https://status.pelican.example/incidents/{k}\"/>\n    <title>{title}</title>\n    <content type=\"html\">{content}</content>\n  </entry>\n",
            start.format("%Y-%m-%dT%H:%M:%SZ"),
            updated.format("%Y-%m-%dT%H:%M:%SZ"),
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xml:lang=\"en-US\" xmlns=\"http://www.w3.org/2005/Atom\">\n  <id>tag:status.pelican.example,2005:/history</id>\n  <link rel=\"alternate\" type=\"text/html\" href=\"https://status.pelican.example\"/>\n  <title>Pelican Status - Incident History</title>\n  <updated>{}</updated>\n{entries}</feed>\n",
        now.format("%Y-%m-%dT%H:%M:%SZ")
    )
}

/// Three vendors (Skylark at v1, Quillpay, Pelican) polled once, and the server over them.
fn archive() -> (FeedServer, Sandbox, Served) {
    let (server, sandbox) = common::skylark_and_quillpay_polled_with(vec![(
        "Pelican",
        "pelican",
        "/pelican.atom",
        Resource::feed(pelican_feed().into_bytes()),
    )]);
    let served = Served::start(&sandbox, &["serve"], &[]);
    (server, sandbox, served)
}

/// Changes Skylark's feed and polls it: its state changes, so events are written.
fn skylark_becomes(server: &FeedServer, sandbox: &Sandbox, version: &str) {
    server.set(
        "/skylark.atom",
        Resource::feed(fixture(&format!("feeds/statuspage-{version}.atom"))),
    );
    sandbox.make_due();
    let out = sandbox.poll(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

fn ok_json(served: &Served, path: &str) -> Value {
    let reply = served.get(path, &[]);
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{path}: {:?}",
        reply.header("content-type")
    );
    reply.json()
}

fn ids_from_sql(sandbox: &Sandbox, sql: &str) -> Vec<i64> {
    let conn = sandbox.sql();
    let mut stmt = conn.prepare(sql).unwrap();
    let ids = stmt
        .query_map([], |r| r.get::<_, i64>(0))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    ids
}

/// Walks every page of a listing, asserting each is at most `limit` long; returns the ids.
fn walk(served: &Served, path: &str, list: &str, id: &str, limit: usize) -> Vec<i64> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let url = match &cursor {
            None => format!("{path}{sep}limit={limit}"),
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
        };
        let page = ok_json(served, &url);
        let rows = page[list].as_array().unwrap();
        assert!(rows.len() <= limit, "{url}: {} rows", rows.len());
        ids.extend(rows.iter().map(|r| r[id].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(rows.len(), limit, "only a full page has a next one");
                cursor = Some(next.to_string());
            }
            None => return ids,
        }
    }
    panic!("{path}: more than 1000 pages");
}

/// The override-aware end of an incident, as the API documents it (`history`'s rule).
const RESOLVED: &str =
    "CASE WHEN o.status IN ('resolved', 'informational') THEN COALESCE(i.resolved_at, o.created_at)
                             WHEN o.status IS NOT NULL THEN NULL ELSE i.resolved_at END";
const NEWEST_FIRST: &str = "ORDER BY i.started_at DESC, i.id DESC";

fn incident_sql(condition: &str) -> String {
    format!(
        "SELECT i.id FROM incidents i JOIN feeds f ON f.id = i.feed_id
         LEFT JOIN overrides o ON o.incident_id = i.id
         WHERE i.same_as IS NULL AND ({condition}) {NEWEST_FIRST}"
    )
}

#[test]
fn incident_pages_hold_every_incident_once_newest_first() {
    let (_server, sandbox, served) = archive();
    let all = ids_from_sql(&sandbox, &incident_sql("1"));
    assert!(all.len() > PELICAN_INCIDENTS, "{}", all.len());
    for limit in [1, 4, 500] {
        assert_eq!(
            walk(&served, "/api/v1/incidents", "incidents", "id", limit),
            all,
            "limit {limit}"
        );
    }
    let pelican = ids_from_sql(&sandbox, &incident_sql("f.vendor = 'pelican'"));
    assert_eq!(pelican.len(), PELICAN_INCIDENTS);
    assert_eq!(
        walk(
            &served,
            "/api/v1/incidents?vendor=pelican",
            "incidents",
            "id",
            3
        ),
        pelican
    );
    let outages = ids_from_sql(
        &sandbox,
        "SELECT incident_id FROM outages ORDER BY started_at DESC, incident_id DESC",
    );
    assert!(!outages.is_empty());
    assert_eq!(
        walk(&served, "/api/v1/outages", "outages", "incident_id", 2),
        outages
    );
    // The default page is 50.
    let page = ok_json(&served, "/api/v1/incidents");
    assert_eq!(
        page["incidents"].as_array().unwrap().len(),
        all.len().min(50)
    );
}

#[test]
fn each_filter_lists_what_sql_lists_and_overrides_count() {
    let (_server, sandbox, served) = archive();
    // A person calls one open Pelican incident a false alarm: it is no longer open, and its
    // status is theirs.
    let open_pelican = ids_from_sql(
        &sandbox,
        &incident_sql("f.vendor = 'pelican' AND i.resolved_at IS NULL"),
    );
    assert_eq!(open_pelican.len(), PELICAN_OPEN);
    let marked = open_pelican[0].to_string();
    let out = sandbox.run(&[
        "override",
        "incident",
        &marked,
        "--status",
        "informational",
        "--reason",
        "false alarm",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));

    let check = |query: &str, condition: &str| {
        let want = ids_from_sql(&sandbox, &incident_sql(condition));
        let got = walk(
            &served,
            &format!("/api/v1/incidents?{query}"),
            "incidents",
            "id",
            5,
        );
        assert_eq!(got, want, "{query}");
        want
    };
    for status in [
        "outage",
        "degraded",
        "maintenance",
        "informational",
        "resolved",
    ] {
        check(
            &format!("status={status}"),
            &format!("COALESCE(o.status, i.status) = '{status}'"),
        );
    }
    let informational = check(
        "status=informational&vendor=pelican",
        "f.vendor = 'pelican' AND COALESCE(o.status, i.status) = 'informational'",
    );
    assert_eq!(informational, vec![open_pelican[0]]);
    let open = check("ongoing=true", &format!("({RESOLVED}) IS NULL"));
    assert!(
        !open.contains(&open_pelican[0]) && open.contains(&open_pelican[1]),
        "{open:?}"
    );
    check("ongoing=false", &format!("({RESOLVED}) IS NOT NULL"));
    check(
        "vendor=quillpay&ongoing=true",
        &format!("f.vendor = 'quillpay' AND ({RESOLVED}) IS NULL"),
    );
    check("vendor=nobody", "f.vendor = 'nobody'");

    // Dates: since a day's start, until the end of a day; times and ages as well.
    let day: String = sandbox
        .sql()
        .query_row(
            "SELECT substr(started_at, 1, 10) FROM incidents ORDER BY started_at DESC LIMIT 1 OFFSET 6",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let since = check(
        &format!("since={day}"),
        &format!("i.started_at >= '{day}T00:00:00Z'"),
    );
    let until = check(
        &format!("until={day}"),
        &format!("i.started_at < date('{day}', '+1 day') || 'T00:00:00Z'"),
    );
    assert!(!since.is_empty() && !until.is_empty());
    check(
        &format!("since={day}&until={day}"),
        &format!("substr(i.started_at, 1, 10) = '{day}'"),
    );
    check(
        &format!("since={day}T12:00:00Z"),
        &format!("i.started_at >= '{day}T12:00:00Z'"),
    );
    let recent = check(
        "since=36h",
        "i.started_at >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-36 hours')",
    );
    assert!(recent.len() >= 4, "{recent:?}");

    // The outages view, with its own override rule (informational is no outage).
    let outage_sql = |condition: &str| {
        ids_from_sql(
            &sandbox,
            &format!("SELECT incident_id FROM outages WHERE {condition} ORDER BY started_at DESC, incident_id DESC"),
        )
    };
    for (query, condition) in [
        ("vendor=pelican", "vendor = 'pelican'".to_string()),
        ("ongoing=true", "ongoing".to_string()),
        ("ongoing=false", "NOT ongoing".to_string()),
        (
            &format!("since={day}") as &str,
            format!("started_at >= '{day}T00:00:00Z'"),
        ),
    ] {
        let got = walk(
            &served,
            &format!("/api/v1/outages?{query}"),
            "outages",
            "incident_id",
            3,
        );
        assert_eq!(got, outage_sql(&condition), "{query}");
    }
    let page = ok_json(&served, "/api/v1/outages?vendor=pelican&limit=500");
    let listed: Vec<i64> = page["outages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["incident_id"].as_i64().unwrap())
        .collect();
    assert!(
        !listed.contains(&open_pelican[0]),
        "a false alarm is no outage"
    );
}

#[test]
fn one_incident_has_its_timeline_oldest_first_and_its_revisions() {
    let (server, sandbox, served) = archive();
    // Skylark's Incident/24000102 gains a Postmortem in v2: a second revision.
    skylark_becomes(&server, &sandbox, "v2");
    let id: i64 = sandbox
        .sql()
        .query_row(
            "SELECT incident_id FROM entries WHERE entry_key LIKE '%Incident/24000102'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let detail = ok_json(&served, &format!("/api/v1/incidents/{id}"));
    assert_eq!(detail["incident"]["id"], id);
    assert_eq!(detail["incident"]["vendor"], "skylark");
    assert_eq!(detail["incident"]["title"], "Delayed webhook deliveries");
    let labels: Vec<&str> = detail["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels.first(), Some(&"Investigating"), "{labels:?}");
    assert!(
        labels.contains(&"Resolved") && labels.contains(&"Postmortem"),
        "{labels:?}"
    );
    let revisions: Vec<i64> = detail["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["revision"].as_i64().unwrap())
        .collect();
    assert_eq!(revisions, vec![1, 2]);
    let want_updates = sandbox.count(&format!(
        "SELECT COUNT(*) FROM updates u JOIN entries e ON e.id = u.entry_id WHERE e.incident_id = {id}"
    ));
    assert_eq!(labels.len() as i64, want_updates);

    let missing = served.get("/api/v1/incidents/999999", &[]);
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.header("content-type"),
        Some("application/problem+json")
    );
    assert!(missing.json()["detail"]
        .as_str()
        .unwrap()
        .contains("999999"));
}

#[test]
fn a_vendor_has_its_state_open_and_recent_incidents_and_its_days() {
    let (_server, _sandbox, served) = archive();
    let pelican = ok_json(&served, "/api/v1/vendors/pelican");
    assert_eq!(pelican["vendor"], "pelican");
    assert_ne!(pelican["state"], "operational");
    assert!(pelican["status"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["vendor"] == "pelican"));
    assert_eq!(
        pelican["open_incidents"].as_array().unwrap().len(),
        PELICAN_OPEN
    );
    assert_eq!(
        pelican["recent_incidents"].as_array().unwrap().len(),
        PELICAN_INCIDENTS
    );
    let days = pelican["days"].as_array().unwrap();
    assert!(!days.is_empty(), "{pelican}");
    assert!(days
        .iter()
        .all(|d| ["outage", "degraded"].contains(&d["worst_status"].as_str().unwrap())));

    let status = ok_json(&served, "/api/v1/status");
    let vendors: Vec<&str> = status["status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["vendor"].as_str().unwrap())
        .collect();
    for v in ["skylark", "quillpay", "pelican"] {
        assert!(vendors.contains(&v), "{vendors:?}");
    }
    assert_ne!(vendors[0], "skylark", "worst first: skylark is operational");
    assert!(status["correlated_outages"].is_array());

    let feeds = ok_json(&served, "/api/v1/feeds");
    let feeds = feeds["feeds"].as_array().unwrap();
    assert_eq!(feeds.len(), 3);
    assert!(feeds.iter().all(|f| f["health"] == "ok"), "{feeds:?}");

    let missing = served.get("/api/v1/vendors/nobody", &[]);
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.header("content-type"),
        Some("application/problem+json")
    );
}

#[test]
fn every_bad_parameter_is_a_problem_naming_it() {
    let (_server, _sandbox, served) = archive();
    let cases = [
        ("/api/v1/events?after=ten", "after="),
        ("/api/v1/events?after=-1", "after="),
        ("/api/v1/events?wait=31s", "wait="),
        ("/api/v1/events?wait=soon", "wait="),
        ("/api/v1/events?limit=0", "limit="),
        ("/api/v1/incidents?status=down", "status="),
        ("/api/v1/incidents?since=yesterday", "since="),
        ("/api/v1/incidents?until=2025-13-01", "until="),
        ("/api/v1/incidents?limit=0", "limit="),
        ("/api/v1/incidents?limit=501", "limit="),
        ("/api/v1/incidents?cursor=nonsense", "cursor="),
        ("/api/v1/incidents?ongoing=yes", "ongoing="),
        ("/api/v1/incidents?vender=skylark", "vender"),
        ("/api/v1/incidents?limit=1&limit=2", "limit"),
        ("/api/v1/outages?cursor=MjAyNXwx", "cursor="),
        ("/api/v1/outages?since=x", "since="),
        ("/api/v1/incidents/abc", "\"abc\""),
        ("/api/v1/status?verbose=1", "verbose"),
        ("/api/v1/feeds?x=1", "`x`"),
        ("/api/v1/events/stream?after=x", "after="),
    ];
    for (path, names) in cases {
        let reply = served.get(path, &[]);
        assert_eq!(reply.status, 400, "{path}: {}", reply.body);
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json"),
            "{path}"
        );
        let problem = reply.json();
        assert_eq!(problem["status"], 400);
        assert_eq!(problem["title"], "Bad Request");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(names), "{path}: {detail}");
    }
    let reply = served.get("/api/v1/events/stream", &[("Last-Event-ID", "later")]);
    assert_eq!(reply.status, 400);
    assert!(reply.json()["detail"]
        .as_str()
        .unwrap()
        .contains("Last-Event-ID"));
    let reply = served.get("/api/v1/nothing", &[]);
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
}

#[test]
fn events_match_the_cli_and_a_long_poll_returns_when_a_poll_writes() {
    let (server, sandbox, served) = archive();
    let page = ok_json(&served, "/api/v1/events?limit=500");
    let listed = page["events"].as_array().unwrap();
    assert!(!listed.is_empty());
    let cli = common::stdout(&sandbox.run(&["events", "--format", "json"]));
    let cli: Vec<Value> = cli
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        listed, &cli,
        "the API lists each event as `events --format json` prints it"
    );
    let last = listed.last().unwrap()["seq"].as_i64().unwrap();
    assert_eq!(page["next_after"], last);
    // Paging by `after`.
    let first = ok_json(&served, "/api/v1/events?limit=1");
    assert_eq!(first["events"].as_array().unwrap().len(), 1);
    let rest = ok_json(
        &served,
        &format!("/api/v1/events?after={}&limit=500", first["next_after"]),
    );
    assert_eq!(rest["events"].as_array().unwrap().len(), listed.len() - 1);

    // Nothing after the last one: a long poll waits out its `wait`, then answers empty.
    let started = Instant::now();
    let empty = ok_json(&served, &format!("/api/v1/events?after={last}&wait=1s"));
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(empty["events"].as_array().unwrap().len(), 0);
    assert_eq!(empty["next_after"], last);

    // A concurrent poll writes: the waiting request answers with it, long before its wait.
    let url = served.url(&format!("/api/v1/events?after={last}&wait=30s"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let started = Instant::now();
        let reply = common::served::get(&url, &[]);
        let _ = tx.send((reply, started.elapsed()));
    });
    std::thread::sleep(Duration::from_millis(700));
    let polled_at = Instant::now();
    skylark_becomes(&server, &sandbox, "v2");
    let (reply, waited) = rx.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let woke = reply.json();
    let events = woke["events"].as_array().unwrap();
    assert!(!events.is_empty(), "{woke}");
    assert!(events.iter().all(|e| e["seq"].as_i64().unwrap() > last));
    assert!(events.iter().any(|e| e["vendor"] == "skylark"), "{woke}");
    assert!(
        waited < Duration::from_secs(20),
        "answered after {waited:?}"
    );
    assert!(polled_at.elapsed() < Duration::from_secs(20));
}

/// One Server-Sent Event: (id, event, data).
type Sse = (i64, String, String);

/// Opens the event stream (with `headers`) and reads its events on a thread; returns once the
/// server has answered, so it has read where to start.
fn open_stream(served: &Served, path: &str, headers: &[(&str, &str)]) -> mpsc::Receiver<Sse> {
    let url = served.url(path);
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (tx, rx) = mpsc::channel();
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let client = reqwest::blocking::Client::builder()
            .no_proxy()
            .timeout(None)
            .build()
            .unwrap();
        let mut request = client.get(&url);
        for (k, v) in &headers {
            request = request.header(k, v);
        }
        let response = request.send().unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("text/event-stream")
        );
        let _ = ready_tx.send(());
        let (mut id, mut kind, mut data) = (None, String::new(), String::new());
        for line in BufReader::new(response).lines() {
            let Ok(line) = line else { return };
            if line.is_empty() {
                if let Some(seq) = id.take() {
                    if tx
                        .send((seq, std::mem::take(&mut kind), std::mem::take(&mut data)))
                        .is_err()
                    {
                        return;
                    }
                }
            } else if let Some(v) = line
                .strip_prefix("id: ")
                .or_else(|| line.strip_prefix("id:"))
            {
                id = v.trim().parse().ok();
            } else if let Some(v) = line
                .strip_prefix("event: ")
                .or_else(|| line.strip_prefix("event:"))
            {
                kind = v.trim().to_string();
            } else if let Some(v) = line
                .strip_prefix("data: ")
                .or_else(|| line.strip_prefix("data:"))
            {
                data.push_str(v);
            }
        }
    });
    ready_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the stream did not open");
    rx
}

fn seqs_after(sandbox: &Sandbox, after: i64) -> Vec<i64> {
    ids_from_sql(
        sandbox,
        &format!("SELECT seq FROM events WHERE seq > {after} ORDER BY seq"),
    )
}

fn receive(rx: &mpsc::Receiver<Sse>, count: usize) -> Vec<Sse> {
    let mut got = Vec::new();
    while got.len() < count {
        got.push(
            rx.recv_timeout(Duration::from_secs(10))
                .expect("an event within 10 s"),
        );
    }
    got
}

#[test]
fn the_event_stream_sends_what_a_concurrent_poll_writes_and_resumes_after_last_event_id() {
    let (server, sandbox, served) = archive();
    let before = sandbox.count("SELECT MAX(seq) FROM events");
    // Without a position the stream starts at now: the history is not replayed.
    let live = open_stream(&served, "/api/v1/events/stream", &[]);
    skylark_becomes(&server, &sandbox, "v2");
    let written = seqs_after(&sandbox, before);
    assert!(!written.is_empty());
    let got = receive(&live, written.len());
    assert_eq!(got.iter().map(|e| e.0).collect::<Vec<_>>(), written);
    for (seq, kind, data) in &got {
        let event: Value = serde_json::from_str(data).unwrap();
        let cli = common::stdout(&sandbox.run(&[
            "events",
            "--format",
            "json",
            "--after",
            &(seq - 1).to_string(),
        ]));
        let cli: Value = serde_json::from_str(cli.lines().next().unwrap()).unwrap();
        assert_eq!(
            event, cli,
            "data is the event as `events --format json` prints it"
        );
        assert_eq!(&event["kind"], kind);
    }
    drop(live);

    // A client that got the first one reconnects with Last-Event-ID: it gets the rest, then
    // what the next poll writes, nothing twice.
    let first = got[0].0;
    let resumed = open_stream(
        &served,
        "/api/v1/events/stream",
        &[("Last-Event-ID", &first.to_string())],
    );
    skylark_becomes(&server, &sandbox, "v3");
    let want = seqs_after(&sandbox, first);
    assert!(want.len() > written.len() - 1, "v3 wrote events");
    let again = receive(&resumed, want.len());
    assert_eq!(again.iter().map(|e| e.0).collect::<Vec<_>>(), want);
    assert!(
        resumed.recv_timeout(Duration::from_millis(1200)).is_err(),
        "nothing more, nothing repeated"
    );

    // `?after=` starts there too.
    let from = open_stream(
        &served,
        &format!("/api/v1/events/stream?after={before}"),
        &[],
    );
    let replayed = receive(&from, seqs_after(&sandbox, before).len());
    assert_eq!(
        replayed.iter().map(|e| e.0).collect::<Vec<_>>(),
        seqs_after(&sandbox, before)
    );
}

// ---- The OpenAPI document -----------------------------------------------------------------

/// A small JSON Schema check for what utoipa writes: `$ref` to components, `type` (one or a
/// list), `required`, `properties` (strict: an undeclared field is an error, so the document
/// cannot lag the code), `items`, `oneOf`/`anyOf`/`allOf`, `enum`, `nullable`.
fn check_schema(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {reference}"));
        let target = &doc["components"]["schemas"][name];
        assert!(target.is_object(), "{reference} is not in the document");
        return check_schema(doc, target, value, at, errors);
    }
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = options
            .iter()
            .filter(|o| {
                let mut e = Vec::new();
                check_schema(doc, o, value, at, &mut e);
                e.is_empty()
            })
            .count();
        if matching != 1 {
            errors.push(format!(
                "{at}: matches {matching} of oneOf, not exactly one"
            ));
        }
    }
    if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
        let any = options.iter().any(|o| {
            let mut e = Vec::new();
            check_schema(doc, o, value, at, &mut e);
            e.is_empty()
        });
        if !any {
            errors.push(format!("{at}: matches none of anyOf"));
        }
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for part in all {
            check_schema(doc, part, value, at, errors);
        }
    }
    if value.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
        return;
    }
    if let Some(kind) = schema.get("type") {
        let kinds: Vec<&str> = match kind {
            Value::String(k) => vec![k.as_str()],
            Value::Array(ks) => ks.iter().filter_map(Value::as_str).collect(),
            other => panic!("{at}: odd type {other}"),
        };
        let fits = |k: &str| match k {
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "number" => value.is_number(),
            "integer" => value.is_i64() || value.is_u64(),
            other => panic!("{at}: unknown type {other}"),
        };
        if !kinds.iter().any(|k| fits(k)) {
            errors.push(format!("{at}: {value} is not {kinds:?}"));
            return;
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            errors.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    if let Value::Object(fields) = value {
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if !fields.contains_key(name) {
                    errors.push(format!("{at}: required field {name} is missing"));
                }
            }
        }
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, field) in fields {
                match properties.get(name) {
                    Some(s) => check_schema(doc, s, field, &format!("{at}.{name}"), errors),
                    None => errors.push(format!("{at}: field {name} is not in the schema")),
                }
            }
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check_schema(doc, item_schema, item, &format!("{at}[{i}]"), errors);
        }
    }
}

fn schema_errors(doc: &Value, path: &str, value: &Value) -> Vec<String> {
    let schema =
        &doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "{path}: no JSON 200 schema");
    let mut errors = Vec::new();
    check_schema(doc, schema, value, path, &mut errors);
    errors
}

#[test]
fn every_answer_fits_the_served_openapi_document_and_every_path_is_served() {
    let (server, sandbox, served) = archive();
    // An open incident, a changed entry and an override fill most optional fields.
    skylark_becomes(&server, &sandbox, "v2");
    let out = sandbox.run(&[
        "override", "vendor", "quillpay", "--state", "outage", "--reason", "calls",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = ok_json(&served, "/api/v1/openapi.json");
    assert_eq!(doc["openapi"], "3.1.0");
    let id: i64 = sandbox
        .sql()
        .query_row(
            "SELECT incident_id FROM entries WHERE entry_key LIKE '%Incident/24000102'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let concrete = |path: &str| {
        path.replace("{vendor}", "skylark")
            .replace("{id}", &id.to_string())
    };
    let paths: Vec<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    let mut want = vec![
        "/api/v1/events",
        "/api/v1/events/stream",
        "/api/v1/feeds",
        "/api/v1/incidents",
        "/api/v1/incidents/{id}",
        "/api/v1/openapi.json",
        "/api/v1/outages",
        "/api/v1/status",
        "/api/v1/vendors/{vendor}",
    ];
    want.sort();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(sorted, want, "the document lists exactly the routes");
    for path in &paths {
        let item = &doc["paths"][path]["get"];
        for parameter in item["parameters"].as_array().into_iter().flatten() {
            assert!(parameter["schema"].is_object(), "{path}: {parameter}");
        }
        let problem = &item["responses"]["400"]["content"]["application/problem+json"]["schema"];
        assert_eq!(problem["$ref"], "#/components/schemas/Problem", "{path}");
        if path == "/api/v1/events/stream" {
            // Served as a stream, not JSON: opening it is the check.
            drop(open_stream(&served, path, &[]));
            continue;
        }
        let body = ok_json(&served, &concrete(path));
        let errors = schema_errors(&doc, path, &body);
        assert!(errors.is_empty(), "{path}: {errors:#?}\n{body}");
    }
    // The listings with filters too (fuller rows: ongoing, open incidents).
    for path in [
        "/api/v1/incidents?ongoing=true",
        "/api/v1/outages?ongoing=true",
        "/api/v1/vendors/pelican",
        "/api/v1/events?limit=500",
    ] {
        let documented = path
            .split('?')
            .next()
            .unwrap()
            .replace("pelican", "{vendor}");
        let body = ok_json(&served, path);
        assert!(schema_errors(&doc, &documented, &body).is_empty(), "{path}");
    }
    // Problems fit the Problem schema.
    let problem = served.get("/api/v1/incidents/999999", &[]).json();
    let mut errors = Vec::new();
    check_schema(
        &doc,
        &serde_json::json!({"$ref": "#/components/schemas/Problem"}),
        &problem,
        "problem",
        &mut errors,
    );
    assert!(errors.is_empty(), "{errors:?}");

    // The check can fail: broken answers are caught.
    let good = ok_json(&served, "/api/v1/vendors/pelican");
    assert!(schema_errors(&doc, "/api/v1/vendors/{vendor}", &good).is_empty());
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("state");
    let mut wrong_type = good.clone();
    wrong_type["open_incidents"][0]["id"] = Value::String("one".into());
    let mut wrong_null = good.clone();
    wrong_null["recent_incidents"][0]["title"] = Value::Null;
    let mut undeclared = good.clone();
    undeclared["days"][0]["colour"] = Value::String("red".into());
    let mut not_array = good.clone();
    not_array["status"] = serde_json::json!({"vendor": "pelican"});
    for (what, broken) in [
        ("a required field missing", missing),
        ("an integer as text", wrong_type),
        ("null for a string", wrong_null),
        ("an undeclared field", undeclared),
        ("an object for an array", not_array),
    ] {
        let errors = schema_errors(&doc, "/api/v1/vendors/{vendor}", &broken);
        assert!(!errors.is_empty(), "{what} passed the check");
    }
    let mut bad_cause = ok_json(&served, "/api/v1/status");
    bad_cause["correlated_outages"] = serde_json::json!([{"id": 1, "started_at": "a", "opened_at": "b", "last_event_at": "c", "resolved_at": null, "phase": "opened", "suspected_cause": {"vendor": 3}, "chance": 0.1, "members": []}]);
    assert!(
        !schema_errors(&doc, "/api/v1/status", &bad_cause).is_empty(),
        "a bad oneOf member passed"
    );
}
