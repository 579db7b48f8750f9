//! The catalog stage against OPML files as feed readers and people write them (`fixtures/opml/`):
//! what is read from good files, and the exact messages, with line numbers, for bad ones.

mod common;
use common::fixture_text;
use statuswatch::catalog::{parse_opml, to_opml, CatalogError};
use statuswatch::model::{Dependency, Engine, FeedSpec};

fn fixture(name: &str) -> String {
    fixture_text(&format!("opml/{name}"))
}

fn parse(name: &str) -> Result<Vec<FeedSpec>, CatalogError> {
    parse_opml(&fixture(name), name)
}

fn feed(url: &str, title: &str, vendor: &str) -> FeedSpec {
    FeedSpec {
        url: url.into(),
        title: title.into(),
        vendor: vendor.into(),
        ..FeedSpec::default()
    }
}

#[test]
fn feedly_export() {
    let feeds = parse("feedly.opml").unwrap();
    let status_pages = Some("Status pages".to_string());
    let cloud = Some("cloud".to_string());
    let want = vec![
        FeedSpec {
            html_url: Some("https://www.githubstatus.com".into()),
            category: status_pages.clone(),
            ..feed(
                "https://www.githubstatus.com/history.atom",
                "GitHub Status - Incident History",
                "github",
            )
        },
        FeedSpec {
            html_url: Some("https://status.zoom.us".into()),
            category: status_pages.clone(),
            ..feed(
                "https://status.zoom.us/history.rss",
                "Zoom Status - Incident History",
                "zoom",
            )
        },
        FeedSpec {
            html_url: Some("https://status.benjerry.example".into()),
            category: status_pages,
            ..feed(
                "https://status.benjerry.example/history.atom",
                "Ben & Jerry's Status",
                "ben-jerry-s",
            )
        },
        FeedSpec {
            html_url: Some("https://health.aws.amazon.com/health/status".into()),
            category: cloud.clone(),
            ..feed(
                "https://status.aws.amazon.com/rss/all.rss",
                "Amazon Web Services",
                "amazon-web-services",
            )
        },
        FeedSpec {
            html_url: Some("https://status.cloud.google.com/".into()),
            category: cloud,
            ..feed(
                "https://status.cloud.google.com/en/feed.atom",
                "Google Cloud Service Health Updates",
                "google-cloud-service-health-updates",
            )
        },
    ];
    assert_eq!(feeds, want);
}

#[test]
fn nested_folders_export() {
    let feeds = parse("nested-folders.opml").unwrap();
    let want = vec![
        FeedSpec {
            engine: Some(Engine::Slack),
            // Nested folders make a category path.
            category: Some("Work/saas".into()),
            html_url: Some("https://slack-status.com".into()),
            ..feed("https://slack-status.com/feed/rss", "Slack", "slack")
        },
        FeedSpec {
            engine: Some(Engine::Statuspage),
            category: Some("Work/saas/Vendors we pay".into()),
            schedule: Some("*/2 * * * *".into()),
            ..feed(
                "https://www.stripestatus.com/history.atom",
                "Stripe Status",
                "stripe",
            )
        },
        FeedSpec {
            category: Some("saas".into()),
            ..feed("https://status.twilio.com/history.atom", "Twilio", "twilio")
        },
        FeedSpec {
            category: Some("Work/cloud".into()),
            ..feed(
                "https://status.digitalocean.com/history.atom",
                "DigitalOcean",
                "digitalocean",
            )
        },
        // "Slack again" repeats the first URL and is dropped.
        feed("https://status.example.org/feed.rss", "Unfiled", "unfiled"),
    ];
    assert_eq!(feeds, want);
}

#[test]
fn opml_1_0_thunderbird_export() {
    let feeds = parse("opml-1.0.opml").unwrap();
    let want = vec![
        FeedSpec {
            category: Some("gaming".into()),
            html_url: Some("https://status.roblox.com".into()),
            ..feed(
                "https://status.roblox.com/pages/59db90dbcdeb2f04dadcf16d/rss",
                "Roblox Status",
                "roblox",
            )
        },
        FeedSpec {
            html_url: Some("https://discordstatus.com".into()),
            ..feed(
                "https://discordstatus.com/history.atom",
                "Discord Status",
                "discord",
            )
        },
    ];
    assert_eq!(feeds, want);
}

/// Each bad file and the exact error it gives: every problem, one per line, with its location.
#[test]
fn bad_files_exact_messages() {
    let cases: &[(&str, &str)] = &[
        (
            "not-xml.opml",
            "not-xml.opml: line 1, column 1: not XML: the document starts with text ('{\"feeds\": [{\"title\": \"GitHub\",…') instead of an element: an OPML file starts with <?xml ...?> or <opml>",
        ),
        (
            "truncated.opml",
            "truncated.opml: line 7, column 1: malformed XML: the document ends before <outline> (opened at line 5) is closed: the file may be truncated",
        ),
        (
            "missing-xmlurl.opml",
            "missing-xmlurl.opml: line 12: outline \"Zoom\" has no xmlUrl attribute: add the feed URL as xmlUrl=\"https://...\", or remove the outline",
        ),
        (
            "bad-url.opml",
            "bad-url.opml: line 8, column 31: outline \"Netlify\" has xmlUrl \"www.netlifystatus.com/history.atom\", which is not an absolute http(s) URL (relative URL without a base): write the full feed address, such as \"https://status.example.com/history.atom\"\n\
             bad-url.opml: line 10, column 30: outline \"Heroku\" has xmlUrl \"feed://status.heroku.com/feed\", which is not an absolute http(s) URL (scheme feed): write the full feed address, such as \"https://status.example.com/history.atom\"",
        ),
        (
            "unknown-engine.opml",
            "unknown-engine.opml: line 8, column 78: outline \"Twilio\" has an unknown engine \"statuspage.io\": use one of statuspage, aws, gcp, azure, slack, incidentio, instatus, statusio, govuk, cstate, statusfy, playstation, page, generic, or remove the engine attribute to detect it from the feed\n\
             unknown-engine.opml: line 10, column 16: outline \"Datadog\" has an unknown engine \"statuspages\": use one of statuspage, aws, gcp, azure, slack, incidentio, instatus, statusio, govuk, cstate, statusfy, playstation, page, generic, or remove the engine attribute to detect it from the feed",
        ),
        (
            "many-problems.opml",
            "many-problems.opml: line 7: outline \"Asana\" has no xmlUrl attribute: add the feed URL as xmlUrl=\"https://...\", or remove the outline\n\
             many-problems.opml: line 8, column 31: outline \"Atlassian\" has xmlUrl \"status.atlassian.com/history.atom\", which is not an absolute http(s) URL (relative URL without a base): write the full feed address, such as \"https://status.example.com/history.atom\"\n\
             many-problems.opml: line 9, column 91: outline \"Jira\" has an unknown engine \"jira\": use one of statuspage, aws, gcp, azure, slack, incidentio, instatus, statusio, govuk, cstate, statusfy, playstation, page, generic, or remove the engine attribute to detect it from the feed\n\
             many-problems.opml: line 10, column 88: outline \"Trello\" has a malformed xmlUrl value: a bare & (write it as &amp;)",
        ),
        (
            "no-feeds.opml",
            "no-feeds.opml: no feed outlines (outlines with xmlUrl) found: add <outline text=\"Name\" xmlUrl=\"https://...\"/> inside <body>",
        ),
    ];
    for (name, want) in cases {
        let err = parse(name).unwrap_err();
        assert_eq!(&err.to_string(), want, "fixture {name}");
    }
}

#[test]
fn every_problem_is_structured() {
    let err = parse("many-problems.opml").unwrap_err();
    let got: Vec<(usize, Option<usize>, &str)> = err
        .problems()
        .iter()
        .map(|p| (p.line, p.column, p.outline_text.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (7, None, "Asana"),
            (8, Some(31), "Atlassian"),
            (9, Some(91), "Jira"),
            (10, Some(88), "Trello"),
        ]
    );
}

#[test]
fn a_feed_is_not_a_catalog() {
    let path = format!(
        "{}/fixtures/feeds/statuspage.rss",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap();
    let err = parse_opml(&text, "statuspage.rss").unwrap_err();
    assert_eq!(
        err.to_string(),
        "statuspage.rss: line 2: not an OPML document: the root element is <rss>, expected <opml>: this is a feed itself, not a list of feeds; add its URL to an OPML file as an outline's xmlUrl"
    );
}

#[test]
fn an_html_page_is_not_a_catalog() {
    let path = format!(
        "{}/fixtures/feeds/not-a-feed.html",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap();
    let err = parse_opml(&text, "page.html").unwrap_err();
    assert_eq!(
        err.to_string(),
        "page.html: line 2: not an OPML document: the root element is <html>, expected <opml>: this is a web page; export the feed list from your feed reader as OPML"
    );
}

#[test]
fn reader_exports_round_trip_through_to_opml() {
    for name in ["feedly.opml", "nested-folders.opml", "opml-1.0.opml"] {
        let feeds = parse(name).unwrap();
        let mut expected = feeds.clone();
        // to_opml writes one folder per category, sorted, "other" for none.
        expected.sort_by_key(|f| f.category.clone().unwrap_or_else(|| "other".into()));
        let again = parse_opml(&to_opml(&feeds, name), "export").unwrap();
        assert_eq!(again, expected, "fixture {name}");
    }
}

#[test]
fn runs_on_is_read_normalised_and_round_trips() {
    let feeds = parse("runs-on.opml").unwrap();
    let runs_on = |vendor: &str| -> String {
        let feed = feeds.iter().find(|f| f.vendor == vendor).unwrap();
        Dependency::list_text(&feed.runs_on)
    };
    // Attribute names in any case, items trimmed and lowercased, an empty value is none.
    assert_eq!(runs_on("chat"), "aws:us-east-1,edge");
    assert_eq!(runs_on("paas"), "aws:us-east-1,aws:eu-west-1");
    assert_eq!(runs_on("mail"), "");
    assert_eq!(runs_on("aws"), "");

    let text = to_opml(&feeds, "export");
    assert!(
        text.contains(r#"vendor="chat" category="saas" runs_on="aws:us-east-1,edge"/>"#),
        "{text}"
    );
    assert!(
        !text.contains("runs_on=\"\""),
        "none is not written: {text}"
    );
    let again = parse_opml(&text, "export").unwrap();
    assert_eq!(again, feeds);
}

#[test]
fn bad_runs_on_values_name_their_line_and_column() {
    let err = parse("bad-runs-on.opml").unwrap_err();
    let fix =
        "(write provider or provider:region, separated by commas: \"aws:us-east-1,cloudflare\")";
    assert_eq!(
        err.to_string(),
        format!(
            "bad-runs-on.opml: line 8, column 78: outline \"Chat\" has an invalid runs_on: runs_on item \"aws us-east-1\": a provider is a vendor key: letters, digits, '-', '_', '.' {fix}\n\
             bad-runs-on.opml: line 10, column 16: outline \"Paas\" has an invalid runs_on: runs_on item \"paas:eu\": names the vendor itself; list the other vendors it runs on {fix}\n\
             bad-runs-on.opml: line 11, column 78: outline \"Mail\" has an invalid runs_on: runs_on item \"aws:\": the region after ':' is empty {fix}"
        )
    );
    let lines: Vec<(usize, Option<usize>)> =
        err.problems().iter().map(|p| (p.line, p.column)).collect();
    assert_eq!(lines, [(8, Some(78)), (10, Some(16)), (11, Some(78))]);
}
