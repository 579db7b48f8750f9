//! The JSON status-API readers on our own fixtures (`fixtures/json/`, small documents modelled on
//! each API's real or documented shape): family detection, the component snapshot and overall
//! word, the entries built from incidents, and the verdict the default rules give them.

use std::path::Path;

use statuswatch::classify::Rules;
use statuswatch::model::{ComponentStatus, Engine, Entry, ParsedFeed, ServiceState, Status};
use statuswatch::parse::{parse_feed, ParseError, ParseOptions};

fn bytes(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/json")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load_with(name: &str, url: Option<&str>, engine: Option<Engine>) -> ParsedFeed {
    let opts = ParseOptions {
        engine,
        feed_url: url.map(str::to_string),
        page: None,
        ..ParseOptions::default()
    };
    parse_feed(&bytes(name), &opts).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn load(name: &str) -> ParsedFeed {
    load_with(name, None, None)
}

fn entry<'a>(feed: &'a ParsedFeed, id: &str) -> &'a Entry {
    feed.entries
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("no entry {id} in {:?}", ids(feed)))
}

fn ids(feed: &ParsedFeed) -> Vec<&str> {
    feed.entries.iter().map(|e| e.id.as_str()).collect()
}

fn status(feed: &ParsedFeed, e: &Entry) -> Status {
    Rules::embedded().classify(feed.engine, e).status
}

fn states(feed: &ParsedFeed) -> Vec<(String, Option<String>, ServiceState)> {
    feed.components
        .as_deref()
        .unwrap_or_else(|| panic!("no components"))
        .iter()
        .map(|c: &ComponentStatus| (c.name.clone(), c.group.clone(), c.state))
        .collect()
}

fn owned(
    rows: &[(&str, Option<&str>, ServiceState)],
) -> Vec<(String, Option<String>, ServiceState)> {
    rows.iter()
        .map(|(n, g, s)| (n.to_string(), g.map(str::to_string), *s))
        .collect()
}

#[test]
fn statuspage_summary() {
    use ServiceState::*;
    let feed = load("statuspage_summary.json");
    assert_eq!(feed.engine, Engine::Statuspage);
    assert_eq!(feed.title.as_deref(), Some("Skylark"));
    assert_eq!(feed.overall, Some(Outage));
    // The group heading and the "Visit ..." signpost are not services.
    assert_eq!(
        states(&feed),
        owned(&[
            ("API", Some("Core Platform"), Outage),
            ("Git Operations", Some("Core Platform"), Outage),
            ("Dashboard", None, Degraded),
            ("Search", None, Maintenance),
            ("Webhooks", None, Operational),
        ])
    );
    assert_eq!(
        feed.components.as_ref().unwrap()[0].id.as_deref(),
        Some("cmp000api001")
    );

    let major = entry(
        &feed,
        "https://status.skylark.example/incidents/inc0major001",
    );
    assert_eq!(major.title, "API requests failing");
    assert_eq!(
        major.link.as_deref(),
        Some("https://status.skylark.example/incidents/inc0major001"),
        "the incident's page, as the feed links it"
    );
    assert_eq!(major.severity.as_deref(), Some("major"));
    // +02:00 read as such; created_at is the first post.
    assert_eq!(
        major.published.unwrap().to_rfc3339(),
        "2025-10-20T07:02:00+00:00"
    );
    assert_eq!(
        major.updated.unwrap().to_rfc3339(),
        "2025-10-20T07:35:00+00:00"
    );
    let labels: Vec<&str> = major.updates.iter().map(|u| u.label.as_str()).collect();
    assert_eq!(labels, ["Identified", "Investigating"]);
    assert_eq!(
        major.updates[1].text,
        "We are investigating failed API requests."
    );
    // Joined on code: the update's snapshot name "Core Platform - Git ops" reads as the
    // component's current name.
    assert_eq!(major.components, ["API", "Git Operations"]);
    assert!(!major.id_derived);
    assert_eq!(major.incident_key, None);
    assert_eq!(status(&feed, major), Status::Outage);

    let resolved = entry(
        &feed,
        "https://status.skylark.example/incidents/inc0resol002",
    );
    assert_eq!(
        resolved.link.as_deref(),
        Some("https://status.skylark.example/incidents/inc0resol002")
    );
    assert_eq!(resolved.updates[0].label, "Resolved");
    assert_eq!(status(&feed, resolved), Status::Resolved);

    let planned = entry(
        &feed,
        "https://status.skylark.example/incidents/mnt0sched003",
    );
    assert_eq!(planned.severity.as_deref(), Some("maintenance"));
    assert_eq!(planned.updates[0].label, "Scheduled");
    assert_eq!(planned.components, ["Search"]);
    assert_eq!(status(&feed, planned), Status::Maintenance);
}

#[test]
fn statuspage_idle_summary() {
    let feed = load("statuspage_summary_idle.json");
    assert_eq!(feed.overall, Some(ServiceState::Operational));
    assert!(feed.entries.is_empty());
    assert!(feed
        .components
        .unwrap()
        .iter()
        .all(|c| c.state == ServiceState::Operational));
}

#[test]
fn incidentio_summary_is_read_as_statuspage_shape() {
    let feed = load("incidentio_summary.json");
    assert_eq!(feed.engine, Engine::Incidentio);
    assert_eq!(feed.overall, Some(ServiceState::Degraded));
    assert_eq!(
        states(&feed),
        owned(&[
            ("Chat", None, ServiceState::Degraded),
            ("Login", None, ServiceState::Operational)
        ])
    );
    let e = entry(
        &feed,
        "https://status.quillchat.example/incidents/01JINCAAAAAAAAAAAAAAAAAAA1",
    );
    assert_eq!(e.severity.as_deref(), Some("minor"));
    // No components on incident.io's incidents: none are invented.
    assert!(e.components.is_empty());
    assert_eq!(status(&feed, e), Status::Degraded);
}

#[test]
fn an_explicit_engine_wins() {
    // A Statuspage-shaped summary the catalog calls Instatus keeps that engine.
    let feed = load_with("incidentio_summary.json", None, Some(Engine::Instatus));
    assert_eq!(feed.engine, Engine::Instatus);
    assert_eq!(feed.entries.len(), 1);
    // Naming the wrong family is an error that says where the shapes part.
    let err = parse_feed(
        &bytes("statuspage_summary.json"),
        &ParseOptions {
            engine: Some(Engine::Aws),
            ..ParseOptions::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, ParseError::Invalid(_)), "{err}");
    assert!(err.to_string().contains("at $"), "{err}");
}

#[test]
fn instatus_summary_and_components() {
    use ServiceState::*;
    let feed = load("instatus_summary.json");
    assert_eq!(feed.engine, Engine::Instatus);
    assert_eq!(feed.overall, Some(Degraded));
    assert_eq!(feed.components, None);
    let up = entry(
        &feed,
        "https://status.larkspur.example/incident/clinc0000000000000000001",
    );
    assert_eq!(up.updates[0].label, "Investigating");
    assert_eq!(up.severity.as_deref(), Some("majoroutage"));
    assert_eq!(status(&feed, up), Status::Outage);
    let mnt = entry(
        &feed,
        "https://status.larkspur.example/maintenance/clmnt0000000000000000001",
    );
    assert_eq!(mnt.updates[0].label, "Scheduled");
    assert_eq!(status(&feed, mnt), Status::Maintenance);

    let feed = load("instatus_components.json");
    assert_eq!(feed.engine, Engine::Instatus);
    assert_eq!(feed.overall, None);
    assert_eq!(
        states(&feed),
        owned(&[
            ("Website", None, Operational),
            ("Uploads", Some("Storage"), Outage),
            ("Thumbnails", Some("Storage"), Outage),
            ("Search", None, Degraded),
            ("Billing", None, Maintenance),
        ])
    );
}

#[test]
fn slack_current_and_history() {
    let ok = load("slack_current_ok.json");
    assert_eq!(ok.engine, Engine::Slack);
    assert_eq!(ok.overall, Some(ServiceState::Operational));
    assert!(ok.entries.is_empty());

    let feed = load("slack_current_active.json");
    assert_eq!(feed.overall, Some(ServiceState::Outage));
    assert_eq!(feed.components, None);
    let out = entry(&feed, "https://slack-status.com/2025-10/aaaa1111bbbb2222");
    assert_eq!(
        out.title,
        "Outage: Messages are failing to send for some users"
    );
    assert_eq!(out.severity.as_deref(), Some("Outage"));
    assert_eq!(out.components, ["Messaging", "Connectivity"]);
    assert_eq!(out.updates.len(), 2);
    assert!(out.updates[0]
        .text
        .starts_with("We've identified the cause"));
    assert!(!out.updates[0].text.contains('\r'));
    assert_eq!(
        out.published.unwrap().to_rfc3339(),
        "2025-10-20T14:05:00+00:00"
    );
    assert_eq!(status(&feed, out), Status::Outage);
    // A numeric id reads like a string one; the planned work is maintenance.
    let mnt = entry(&feed, "https://slack-status.com/2025-10/cccc3333dddd4444");
    assert_eq!(mnt.updates[0].label, "Scheduled");
    assert_eq!(status(&feed, mnt), Status::Maintenance);

    let history = load("slack_history.json");
    assert_eq!(history.engine, Engine::Slack);
    assert_eq!(history.overall, None);
    assert_eq!(history.entries.len(), 2);
    let done = entry(
        &history,
        "https://slack-status.com/2025-10/eeee5555ffff6666",
    );
    assert_eq!(done.updates[0].label, "Resolved");
    assert_eq!(
        done.updates[0].text,
        "Channels load normally again for all users."
    );
    assert_eq!(status(&history, done), Status::Resolved);
}

#[test]
fn a_slack_incident_whose_url_is_no_url_keeps_it_as_its_id() {
    let body = r#"[{"title": "Delays", "type": "incident", "status": "active",
        "url": "https://slack-status.7-10-18T10:3gggg", "notes": []},
        {"title": "Unnamed", "type": "incident", "status": "active", "notes": []}]"#;
    let opts = ParseOptions {
        engine: Some(Engine::Slack),
        ..ParseOptions::default()
    };
    let feed = parse_feed(body.as_bytes(), &opts).unwrap();
    // The one with neither id nor url cannot be followed from poll to poll.
    assert_eq!(ids(&feed), ["https://slack-status.7-10-18T10:3gggg"]);
}

#[test]
fn aws_currentevents() {
    let feed = load("aws_currentevents.json");
    assert_eq!(feed.engine, Engine::Aws);
    assert_eq!(feed.entries.len(), 2);
    let open = &feed.entries[0];
    assert!(open.id.starts_with("arn:aws:health:us-east-1::event/EC2/"));
    // The AWS feed reader's chain key and component name.
    assert_eq!(open.incident_key.as_deref(), Some("ec2-us-east-1"));
    assert_eq!(
        open.components,
        [
            "ec2 (us-east-1)",
            "Amazon Elastic Compute Cloud",
            "AWS Lambda"
        ]
    );
    assert_eq!(open.severity.as_deref(), Some("Service disruption"));
    assert_eq!(open.updates[0].label, "Service disruption");
    assert_eq!(open.updates[1].label, "Service degradation");
    assert_eq!(status(&feed, open), Status::Outage);

    let closed = &feed.entries[1];
    assert_eq!(closed.incident_key.as_deref(), Some("s3-eu-west-1"));
    assert_eq!(closed.title, "[RESOLVED] Increased PUT latencies");
    // The end time is the resolving update.
    assert_eq!(closed.updates[0].label, "Resolved");
    assert_eq!(
        closed.updates[0].at.unwrap().to_rfc3339(),
        "2025-10-19T08:30:00+00:00"
    );
    assert_eq!(status(&feed, closed), Status::Resolved);
}

#[test]
fn aws_in_utf16_with_a_byte_order_mark() {
    let text = String::from_utf8(bytes("aws_currentevents.json")).unwrap();
    let utf8 = load("aws_currentevents.json");
    let mut be = vec![0xFE, 0xFF];
    be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    let mut le = vec![0xFF, 0xFE];
    le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let bare_be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    for (what, body) in [("BE+BOM", be), ("LE+BOM", le), ("BE, no BOM", bare_be)] {
        let feed =
            parse_feed(&body, &ParseOptions::default()).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(feed.entries, utf8.entries, "{what}");
        assert!(feed.repaired, "{what}: re-encoding is a repair");
    }
}

#[test]
fn gcp_incidents() {
    let feed = load("gcp_incidents.json");
    assert_eq!(feed.engine, Engine::Gcp);
    let open = entry(
        &feed,
        "https://status.cloud.google.com/incidents/OpenInc0000000000001",
    );
    assert_eq!(open.severity.as_deref(), Some("service outage"));
    assert_eq!(open.components, ["Cloud Build"]);
    assert_eq!(open.updates.len(), 2);
    assert!(open.updates.iter().all(|u| u.label == "Update"));
    assert!(open.updates[0].text.starts_with("Builds still fail"));
    assert_eq!(status(&feed, open), Status::Outage);
    let closed = entry(
        &feed,
        "https://status.cloud.google.com/incidents/ClosedInc00000000002",
    );
    assert_eq!(closed.updates[0].label, "Resolved");
    assert_eq!(closed.severity.as_deref(), Some("service disruption"));
    assert_eq!(status(&feed, closed), Status::Resolved);
}

#[test]
fn playstation_region() {
    use ServiceState::*;
    let feed = load("psn_region_scee.json");
    assert_eq!(feed.engine, Engine::Playstation);
    assert_eq!(feed.overall, Some(Outage));
    // The degraded video problem ended, the store's maintenance is still ahead.
    assert_eq!(
        states(&feed),
        owned(&[
            ("Account Management", None, Operational),
            ("Gaming and Social", None, Outage),
            ("PlayStation Video", None, Operational),
            ("PlayStation Store", None, Operational),
        ])
    );
    // One entry per message, however many countries repeat it.
    assert_eq!(feed.entries.len(), 3);
    let out = entry(&feed, "https://status.playstation.com/#SCEE/st-9001");
    assert_eq!(out.title, "Gaming and Social: Outage");
    assert_eq!(
        out.content,
        "You might have difficulty launching games, apps or features."
    );
    assert_eq!(status(&feed, out), Status::Outage);
    let ended = entry(&feed, "https://status.playstation.com/#SCEE/st-8990");
    assert_eq!(ended.updates[0].label, "Resolved");
    assert_eq!(status(&feed, ended), Status::Resolved);
    let planned = entry(&feed, "https://status.playstation.com/#SCEE/st-9010");
    assert_eq!(planned.updates[0].label, "Scheduled");
    assert_eq!(status(&feed, planned), Status::Maintenance);

    let idle = load("psn_region_scea_idle.json");
    assert_eq!(idle.overall, Some(Operational));
    assert!(idle.entries.is_empty());
    assert_eq!(idle.components.unwrap().len(), 4);
}

#[test]
fn json_that_is_no_known_api_says_so() {
    let cases: &[(&str, &str)] = &[
        (r#"{"data":{"items":[]}}"#, "`data`"),
        (r#"[{"foo":1}]"#, "`foo`"),
        ("[]", "name the engine"),
    ];
    for (body, says) in cases {
        let err = parse_feed(body.as_bytes(), &ParseOptions::default()).unwrap_err();
        assert!(matches!(err, ParseError::NotAFeed(_)), "{body}: {err}");
        assert!(err.to_string().contains(says), "{body}: {err}");
    }
    let err = parse_feed(
        br#"{"page":{"name":"x"},"components":"all good"}"#,
        &ParseOptions::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("expected an array at $.components, found a string"),
        "{err}"
    );
    let err = parse_feed(b"{\"page\": ", &ParseOptions::default()).unwrap_err();
    assert!(matches!(err, ParseError::Invalid(_)), "{err}");
}
