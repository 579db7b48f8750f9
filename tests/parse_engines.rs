//! Per-engine tests on our own fixtures (`fixtures/parse/`, modelled on the real formats): detection,
//! extraction (timeline, times, components, incident keys, severity) and the verdict on each status
//! word the engine uses.

use std::path::Path;

use chrono::{TimeZone, Utc};
use statuswatch::classify::Rules;
use statuswatch::model::{Engine, Entry, ParsedFeed, Phase, Status};
use statuswatch::parse::{parse_feed, ParseOptions};

fn load(name: &str) -> ParsedFeed {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/parse")
        .join(name);
    let bytes = std::fs::read(&path).unwrap();
    parse_feed(&bytes, &ParseOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn entry<'a>(feed: &'a ParsedFeed, id: &str) -> &'a Entry {
    feed.entries
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("no entry {id}"))
}

/// (fixture, engine it must be detected as, [(entry id, status, phase)]) — every entry of the fixture.
type Case = (
    &'static str,
    Engine,
    &'static [(&'static str, Status, Option<Phase>)],
);

const CASES: &[Case] = {
    use Phase::*;
    use Status::*;
    &[
        (
            "statuspage_history.atom",
            Engine::Statuspage,
            &[
                (
                    "tag:status.acme.test,2005:Incident/1001",
                    Status::Resolved,
                    Some(Phase::Resolved),
                ),
                (
                    "tag:status.acme.test,2005:Incident/1002",
                    Degraded,
                    Some(Monitoring),
                ),
                (
                    "tag:status.acme.test,2005:Incident/1003",
                    Outage,
                    Some(Identified),
                ),
                (
                    "tag:status.acme.test,2005:Incident/1004",
                    Degraded,
                    Some(Investigating),
                ),
                (
                    "tag:status.acme.test,2005:Incident/1005",
                    Degraded,
                    Some(Update),
                ),
                (
                    "tag:status.acme.test,2005:Incident/1006",
                    Status::Resolved,
                    Some(Postmortem),
                ),
                (
                    "tag:status.acme.test,2005:Incident/2001",
                    Maintenance,
                    Some(Scheduled),
                ),
                (
                    "tag:status.acme.test,2005:Incident/2002",
                    Maintenance,
                    Some(InProgress),
                ),
                (
                    "tag:status.acme.test,2005:Incident/2003",
                    Maintenance,
                    Some(Verifying),
                ),
                (
                    "tag:status.acme.test,2005:Incident/2004",
                    Status::Resolved,
                    Some(Completed),
                ),
            ],
        ),
        (
            "statuspage_2026.rss",
            Engine::Statuspage,
            &[
                (
                    "https://status.acme.test/incidents/r2026a",
                    Degraded,
                    Some(Monitoring),
                ),
                (
                    "https://status.acme.test/incidents/r2026b",
                    Maintenance,
                    Some(InProgress),
                ),
            ],
        ),
        (
            "statuspage_2014.atom",
            Engine::Statuspage,
            &[
                (
                    "tag:status.old.test,2005:Incident/11",
                    Status::Resolved,
                    Some(Phase::Resolved),
                ),
                (
                    "tag:status.old.test,2005:Incident/10",
                    Degraded,
                    Some(Identified),
                ),
            ],
        ),
        (
            "aws_service.rss",
            Engine::Aws,
            &[
                (
                    "http://status.aws.amazon.com/#s3-us-east-1_1709665200",
                    Status::Resolved,
                    Some(Phase::Resolved),
                ),
                (
                    "http://status.aws.amazon.com/#s3-us-east-1_1709661600",
                    Outage,
                    None,
                ),
                (
                    "http://status.aws.amazon.com/#s3-us-east-1_1709660400",
                    Outage,
                    None,
                ),
                (
                    "http://status.aws.amazon.com/#s3-us-east-1_1709659800",
                    Degraded,
                    None,
                ),
                (
                    "http://status.aws.amazon.com/#s3-us-east-1_1709659200",
                    Degraded,
                    None,
                ),
                (
                    "http://status.aws.amazon.com/#s3-us-east-1_1709658600",
                    Degraded,
                    None,
                ),
                (
                    "http://status.aws.amazon.com/#s3-us-east-1_1709658300",
                    Degraded,
                    None,
                ),
                (
                    "http://status.aws.amazon.com/#s3-us-east-1_1709571600",
                    Informational,
                    None,
                ),
                (
                    "http://status.aws.amazon.com/#s3-us-east-1_1709485200",
                    Status::Resolved,
                    Some(Phase::Resolved),
                ),
                (
                    "http://status.aws.amazon.com/#route53_1709398800",
                    Degraded,
                    None,
                ),
            ],
        ),
        (
            "gcp_feed.atom",
            Engine::Gcp,
            &[
                (
                    "tag:status.cloud.google.com,2024-06-13:feed:abc123.u3",
                    Status::Resolved,
                    Some(Phase::Resolved),
                ),
                (
                    "tag:status.cloud.google.com,2024-06-13:feed:abc123.u2",
                    Degraded,
                    Some(Update),
                ),
                (
                    "tag:status.cloud.google.com,2024-06-12:feed:def456.u1",
                    Outage,
                    Some(Update),
                ),
                (
                    "tag:status.cloud.google.com,2024-06-11:feed:ghi789.u1",
                    Degraded,
                    None,
                ),
            ],
        ),
        (
            "azure_status.rss",
            Engine::Azure,
            &[
                ("AZ-1", Status::Resolved, Some(Phase::Resolved)),
                ("AZ-2", Degraded, Some(Investigating)),
                ("AZ-3", Status::Resolved, Some(Postmortem)),
                ("AZ-4", Outage, Some(Investigating)),
            ],
        ),
        (
            "slack_status.rss",
            Engine::Slack,
            &[
                ("https://slack-status.com/2024-03/aaa", Degraded, None),
                ("https://slack-status.com/2024-03/bbb", Outage, None),
                (
                    "https://slack-status.com/2024-03/ccc",
                    Status::Resolved,
                    Some(Phase::Resolved),
                ),
                ("https://slack-status.com/2024-03/ddd", Maintenance, None),
                ("https://slack-status.com/2024-03/eee", Informational, None),
            ],
        ),
        (
            "incidentio_history.rss",
            Engine::Incidentio,
            &[
                (
                    "https://status.acme.test/incidents/01HAAAAAAAAAAAAAAAAAAAAAA1",
                    Outage,
                    Some(Investigating),
                ),
                (
                    "https://status.acme.test/incidents/01HAAAAAAAAAAAAAAAAAAAAAA2",
                    Degraded,
                    Some(Identified),
                ),
                (
                    "https://status.acme.test/incidents/01HAAAAAAAAAAAAAAAAAAAAAA3",
                    Degraded,
                    Some(Monitoring),
                ),
                (
                    "https://status.acme.test/incidents/01HAAAAAAAAAAAAAAAAAAAAAA4",
                    Status::Resolved,
                    Some(Phase::Resolved),
                ),
            ],
        ),
        (
            "instatus_history.rss",
            Engine::Instatus,
            &[
                ("https://acme.instatus.com/cl1", Outage, Some(Investigating)),
                (
                    "https://acme.instatus.com/cl2",
                    Status::Resolved,
                    Some(Phase::Resolved),
                ),
                ("https://acme.instatus.com/cl3", Degraded, Some(Identified)),
                (
                    "https://acme.instatus.com/cl4",
                    Maintenance,
                    Some(Scheduled),
                ),
            ],
        ),
        (
            "statusio_history.rss",
            Engine::Statusio,
            &[
                (
                    "https://status.io/pages/incident/5a1b2c3d4e5f/i1",
                    Degraded,
                    Some(Investigating),
                ),
                (
                    "https://status.io/pages/incident/5a1b2c3d4e5f/i2",
                    Status::Resolved,
                    Some(Phase::Resolved),
                ),
                (
                    "https://status.io/pages/maintenance/5a1b2c3d4e5f/m1",
                    Maintenance,
                    Some(InProgress),
                ),
            ],
        ),
        (
            "govuk_announcements.atom",
            Engine::Govuk,
            &[
                (
                    "https://www.gov.uk/government/news/new-guidance",
                    Informational,
                    None,
                ),
                (
                    "https://www.gov.uk/government/news/planned-downtime",
                    Maintenance,
                    None,
                ),
                (
                    "https://www.gov.uk/government/news/service-problem",
                    Outage,
                    None,
                ),
            ],
        ),
        (
            "generic_pagerduty.rss",
            Engine::Generic,
            &[
                ("P1-1700000000", Degraded, Some(Investigating)),
                ("P2-1700000100", Outage, Some(Identified)),
                ("P2-1700000200", Degraded, Some(Monitoring)),
                ("P2-1700000300", Status::Resolved, Some(Phase::Resolved)),
                ("P3-1700000400", Maintenance, Some(Scheduled)),
                ("P4-1700000500", Informational, None),
            ],
        ),
        (
            "generic_state_change.atom",
            Engine::Generic,
            &[
                (
                    "tag:status,2024-03-05:api:4",
                    Status::Resolved,
                    Some(Phase::Resolved),
                ),
                ("tag:status,2024-03-05:api:3", Outage, None),
                ("tag:status,2024-03-05:api:2", Degraded, None),
                ("tag:status,2024-03-05:web:1", Informational, None),
                ("tag:status,2024-03-05:web:0", Maintenance, None),
            ],
        ),
    ]
};

#[test]
fn every_fixture_entry_is_detected_and_classified() {
    let rules = Rules::embedded();
    for (file, engine, expected) in CASES {
        let feed = load(file);
        assert_eq!(feed.engine, *engine, "{file}: detected engine");
        assert_eq!(feed.entries.len(), expected.len(), "{file}: entry count");
        assert!(!feed.repaired, "{file}: a clean fixture needs no repair");
        for (id, status, phase) in *expected {
            let e = entry(&feed, id);
            let c = rules.classify(feed.engine, e);
            assert_eq!(
                (c.status, c.phase),
                (*status, *phase),
                "{file} {id} ({:?}): rule {}",
                e.title,
                c.rule
            );
            assert!(!e.id_derived);
        }
    }
}

#[test]
fn statuspage_timeline_times_and_components() {
    let feed = load("statuspage_history.atom");
    let e = entry(&feed, "tag:status.acme.test,2005:Incident/1001");
    let labels: Vec<_> = e.updates.iter().map(|u| u.label.as_str()).collect();
    assert_eq!(labels, ["Resolved", "Monitoring", "Investigating"]);
    assert_eq!(e.updates[0].text, "This incident has been resolved.");
    assert_eq!(e.updates[2].text, "The API is unavailable for all users.");
    // The entry is dated January 2024: the December update belongs to 2023.
    assert_eq!(
        e.updates[0].at,
        Utc.with_ymd_and_hms(2024, 1, 2, 9, 30, 0).single()
    );
    assert_eq!(
        e.updates[2].at,
        Utc.with_ymd_and_hms(2023, 12, 31, 23, 10, 0).single()
    );
    assert_eq!(e.components, ["API", "Dashboard (EU)", "Webhooks"]);
    assert_eq!(
        e.link.as_deref(),
        Some("https://status.acme.test/incidents/aaa1")
    );

    // PST times are converted to UTC.
    let pst = entry(&feed, "tag:status.acme.test,2005:Incident/1002");
    assert_eq!(
        pst.updates[0].at,
        Utc.with_ymd_and_hms(2023, 12, 20, 18, 0, 0).single()
    );

    let m = entry(&feed, "tag:status.acme.test,2005:Incident/2001");
    assert_eq!(m.components, ["API"]);
    assert_eq!(
        m.updates[0].text,
        "The API will be unavailable during the window."
    );
}

#[test]
fn statuspage_2026_markup_with_blanks() {
    let feed = load("statuspage_2026.rss");
    let e = entry(&feed, "https://status.acme.test/incidents/r2026a");
    assert_eq!(e.updates.len(), 2);
    assert_eq!(e.updates[0].label, "Monitoring");
    assert_eq!(
        e.updates[0].text,
        "A fix has been implemented and we're monitoring the results."
    );
    assert_eq!(
        e.updates[0].at,
        Utc.with_ymd_and_hms(2026, 6, 3, 7, 28, 0).single()
    );
    assert_eq!(
        e.updates[1].at,
        Utc.with_ymd_and_hms(2026, 6, 3, 7, 10, 0).single()
    );
    assert_eq!(e.components, ["Claude API (api.example.test)", "Console"]);
    let b = entry(&feed, "https://status.acme.test/incidents/r2026b");
    assert_eq!(b.updates[1].label, "Scheduled");
    assert_eq!(
        b.updates[1].text,
        "The old endpoint is scheduled for a brownout.\nPlan ahead."
    );
}

#[test]
fn statuspage_2014_markup() {
    let feed = load("statuspage_2014.atom");
    let e = entry(&feed, "tag:status.old.test,2005:Incident/11");
    assert_eq!(e.updates.len(), 2);
    assert_eq!(
        e.updates[1].at,
        Utc.with_ymd_and_hms(2014, 3, 3, 18, 2, 0).single()
    );
    // Time after the text, with its year and a US zone.
    let t = entry(&feed, "tag:status.old.test,2005:Incident/10");
    assert_eq!(t.updates[0].label, "Identified");
    assert_eq!(t.updates[0].text, "Emails are delayed by up to an hour.");
    assert_eq!(
        t.updates[0].at,
        Utc.with_ymd_and_hms(2014, 2, 27, 14, 0, 0).single()
    );
    assert_eq!(
        t.updates[1].at,
        Utc.with_ymd_and_hms(2014, 2, 27, 13, 15, 0).single()
    );
}

#[test]
fn aws_keys_severity_and_bilingual_text() {
    let feed = load("aws_service.rss");
    let e = entry(
        &feed,
        "http://status.aws.amazon.com/#s3-us-east-1_1709661600",
    );
    assert_eq!(e.incident_key.as_deref(), Some("s3-us-east-1"));
    assert_eq!(e.components, ["s3 (us-east-1)"]);
    assert_eq!(e.severity.as_deref(), Some("Service disruption"));
    assert_eq!(
        e.published,
        Utc.with_ymd_and_hms(2024, 3, 5, 18, 0, 0).single()
    );
    let global = entry(&feed, "http://status.aws.amazon.com/#route53_1709398800");
    assert_eq!(global.incident_key.as_deref(), Some("route53"));
    let ja = entry(
        &feed,
        "http://status.aws.amazon.com/#s3-us-east-1_1709658300",
    );
    assert!(ja.title.contains("ストレージの遅延") && ja.content.contains("We are investigating"));
    // Every item of one service-region shares the key, so the store can chain them into one incident.
    let keys: std::collections::HashSet<_> = feed
        .entries
        .iter()
        .filter(|e| e.id.contains("#s3-"))
        .map(|e| e.incident_key.clone())
        .collect();
    assert_eq!(keys.len(), 1);
}

#[test]
fn incidentio_components_and_severity() {
    let feed = load("incidentio_history.rss");
    let e = entry(
        &feed,
        "https://status.acme.test/incidents/01HAAAAAAAAAAAAAAAAAAAAAA1",
    );
    assert_eq!(e.components, ["Chat", "Files"]);
    assert_eq!(e.severity.as_deref(), Some("Full outage"));
    assert_eq!(e.updates[0].label, "Investigating");
    assert_eq!(e.updates[0].text, "We are investigating failures.");
    let r = entry(
        &feed,
        "https://status.acme.test/incidents/01HAAAAAAAAAAAAAAAAAAAAAA4",
    );
    assert_eq!(r.severity, None);
}

#[test]
fn gcp_products_and_impact() {
    let feed = load("gcp_feed.atom");
    let e = entry(
        &feed,
        "tag:status.cloud.google.com,2024-06-13:feed:abc123.u3",
    );
    assert_eq!(e.components, ["Cloud Storage", "Cloud Run"]);
    let o = entry(
        &feed,
        "tag:status.cloud.google.com,2024-06-12:feed:def456.u1",
    );
    assert_eq!(o.severity.as_deref(), Some("service outage"));
}

#[test]
fn generic_tags_and_affected_lines() {
    let feed = load("generic_pagerduty.rss");
    let e = entry(&feed, "P1-1700000000");
    assert_eq!(e.components, ["Dashboards", "API"]);
    assert_eq!(e.updates[0].label, "Investigating");
    assert_eq!(
        e.updates[0].text,
        "Dashboards are loading slowly for some users."
    );
    let s = load("generic_state_change.atom");
    assert_eq!(entry(&s, "tag:status,2024-03-05:api:3").components, ["API"]);
    assert_eq!(
        entry(&s, "tag:status,2024-03-05:web:1").components,
        ["Website"]
    );
}

#[test]
fn engine_given_by_the_catalog_wins_over_detection() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/parse/generic_pagerduty.rss");
    let bytes = std::fs::read(path).unwrap();
    let opts = ParseOptions {
        engine: Some(Engine::Slack),
        feed_url: None,
        page: None,
        ..ParseOptions::default()
    };
    assert_eq!(parse_feed(&bytes, &opts).unwrap().engine, Engine::Slack);
}
