//! `/metrics` as Prometheus scrapes it: the real binary on 127.0.0.1 (`serve` beside a `poll`,
//! and `run --listen` with the poller's own counters), every line of the exposition checked
//! against the OpenMetrics text grammar, label values from feeds escaped.

mod common;

use common::receiver::hook;
use common::served::{Reply, Served};
use common::{fixture, opml, refused_url, stderr, FeedServer, Resource, Sandbox};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Fast retries, two attempts: a refused receiver's events become dead letters within a poll.
const FAST_DELIVERY: &str =
    "[delivery]\ntimeout = \"1s\"\nfirst_retry = \"50ms\"\nmax_retry = \"100ms\"\nmax_attempts = 2\n";

/// One sample: its name, labels and value.
#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

impl Sample {
    fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Checks every line against the OpenMetrics text grammar (HELP, TYPE, UNIT, samples of a
/// declared family, one `# EOF` at the end) and returns the samples, label values unescaped.
fn parse_exposition(text: &str) -> Vec<Sample> {
    assert!(text.ends_with("# EOF\n"), "no final # EOF:\n{text}");
    let lines: Vec<&str> = text.lines().collect();
    let mut families: HashMap<String, String> = HashMap::new();
    let mut helped = std::collections::HashSet::new();
    let mut samples = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if *line == "# EOF" {
            assert_eq!(i, lines.len() - 1, "# EOF before the end");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (keyword, name, arg) = (
                parts.next().unwrap(),
                parts.next().unwrap_or(""),
                parts.next().unwrap_or(""),
            );
            assert!(valid_name(name), "bad metric name in {line:?}");
            assert!(name.starts_with("statuswatch_"), "unprefixed: {line:?}");
            assert!(!arg.is_empty(), "empty {keyword}: {line:?}");
            match keyword {
                "HELP" => {
                    assert!(!arg.ends_with(".."), "{line:?}");
                    helped.insert(name.to_string());
                }
                "TYPE" => {
                    assert!(
                        ["counter", "gauge", "histogram", "info", "unknown"].contains(&arg),
                        "{line:?}"
                    );
                    assert!(
                        families.insert(name.to_string(), arg.to_string()).is_none(),
                        "family {name} declared twice"
                    );
                }
                "UNIT" => assert!(name.ends_with(&format!("_{arg}")), "{line:?}"),
                _ => panic!("unknown comment line {line:?}"),
            }
            continue;
        }
        let sample = parse_sample(line);
        let family = families
            .iter()
            .find(|(f, kind)| {
                let suffixes: &[&str] = match kind.as_str() {
                    "counter" => &["_total", "_created"],
                    "histogram" => &["_bucket", "_sum", "_count", "_created"],
                    "info" => &["_info"],
                    _ => &[""],
                };
                suffixes.iter().any(|s| sample.name == format!("{f}{s}"))
            })
            .unwrap_or_else(|| panic!("sample of no declared family: {line:?}"));
        assert!(helped.contains(family.0), "no HELP for {}", family.0);
        samples.push(sample);
    }
    assert_eq!(
        helped.len(),
        families.len(),
        "every family has HELP and TYPE"
    );
    samples
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `name{label="value",...} number`, with `\\`, `\"` and `\n` the only escapes.
fn parse_sample(line: &str) -> Sample {
    let name_end = line
        .find(['{', ' '])
        .unwrap_or_else(|| panic!("no value: {line:?}"));
    let name = &line[..name_end];
    assert!(valid_name(name), "bad sample name: {line:?}");
    let mut labels = Vec::new();
    let mut rest = &line[name_end..];
    if let Some(after) = rest.strip_prefix('{') {
        let mut chars = after.char_indices();
        loop {
            let key: String = chars
                .by_ref()
                .take_while(|(_, c)| *c != '=')
                .map(|(_, c)| c)
                .collect();
            assert!(valid_name(&key), "bad label name {key:?} in {line:?}");
            assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "{line:?}");
            let mut value = String::new();
            loop {
                match chars.next().map(|(_, c)| c) {
                    Some('\\') => match chars.next().map(|(_, c)| c) {
                        Some('\\') => value.push('\\'),
                        Some('"') => value.push('"'),
                        Some('n') => value.push('\n'),
                        other => panic!("bad escape {other:?} in {line:?}"),
                    },
                    Some('"') => break,
                    Some(c) => value.push(c),
                    None => panic!("unterminated label value in {line:?}"),
                }
            }
            labels.push((key, value));
            match chars.next() {
                Some((_, ',')) => continue,
                Some((at, '}')) => {
                    rest = &after[at + 1..];
                    break;
                }
                other => panic!("expected , or }} after a label, got {other:?} in {line:?}"),
            }
        }
    }
    let value_text = rest
        .strip_prefix(' ')
        .unwrap_or_else(|| panic!("no space before the value: {line:?}"));
    assert!(
        !value_text.contains(' '),
        "unexpected extra field: {line:?}"
    );
    let value = match value_text {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        text => text
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line:?}")),
    };
    Sample {
        name: name.to_string(),
        labels,
        value,
    }
}

fn scrape(served: &Served) -> (Reply, Vec<Sample>) {
    let reply = served.get("/metrics", &[]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("content-type"), Some(CONTENT_TYPE));
    let samples = parse_exposition(&reply.body);
    (reply, samples)
}

/// The one sample named `name` whose labels include all of `labels`.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let found: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.name == name && labels.iter().all(|(k, v)| s.label(k) == Some(*v)))
        .collect();
    assert!(found.len() <= 1, "{name} {labels:?} matches {found:?}");
    found.first().map(|s| s.value)
}

/// A healthy feed and a failing one (HTTP 500) on the FeedServer, imported but not polled.
fn two_feeds(sandbox: &Sandbox) -> FeedServer {
    let server = FeedServer::start();
    server.set(
        "/skylark.atom",
        Resource::feed(fixture("feeds/statuspage-v2.atom")),
    );
    server.set(
        "/broken.atom",
        Resource::plain(500, "text/plain", "internal error"),
    );
    let file = sandbox.write(
        "feeds.opml",
        &opml(&[
            ("Skylark", "skylark", "", server.url("/skylark.atom")),
            ("Broken", "brokenco", "", server.url("/broken.atom")),
        ]),
    );
    let out = sandbox.run(&["feeds", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    server
}

fn feed_id(sandbox: &Sandbox, vendor: &str) -> String {
    sandbox
        .count(&format!("SELECT id FROM feeds WHERE vendor = '{vendor}'"))
        .to_string()
}

#[test]
fn serve_exports_what_the_database_holds() {
    let sandbox = Sandbox::new();
    let _server = two_feeds(&sandbox);
    sandbox.write(
        "statuswatch.toml",
        &(hook("ops", &refused_url("/hook"), "") + FAST_DELIVERY),
    );
    let out = sandbox.poll(&[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "one feed failed: {}",
        stderr(&out)
    );
    let healthy = feed_id(&sandbox, "skylark");
    let broken = feed_id(&sandbox, "brokenco");
    let skylark_state = common::vendor_state(&sandbox, "skylark");
    // Label values come from feeds: quotes, backslashes and newlines must arrive escaped.
    let weird_title = "Broken \"quoted\" C:\\feeds\nsecond line";
    sandbox
        .sql()
        .execute(
            "UPDATE feeds SET title = ?1 WHERE id = ?2",
            rusqlite::params![weird_title, broken],
        )
        .unwrap();

    let served = Served::start(&sandbox, &["serve"], &[]);
    let (reply, samples) = scrape(&served);

    let last_success = value(
        &samples,
        "statuswatch_feed_last_success_timestamp_seconds",
        &[
            ("feed_id", &healthy),
            ("vendor", "skylark"),
            ("title", "Skylark"),
        ],
    )
    .expect("the healthy feed's last success");
    let now = chrono::Utc::now().timestamp() as f64;
    assert!(
        (now - last_success).abs() < 120.0,
        "{last_success} vs {now}"
    );
    assert_eq!(
        value(
            &samples,
            "statuswatch_feed_consecutive_failures",
            &[("feed_id", &healthy)]
        ),
        Some(0.0)
    );
    assert_eq!(
        value(
            &samples,
            "statuswatch_feed_consecutive_failures",
            &[
                ("feed_id", &broken),
                ("title", weird_title),
                ("vendor", "brokenco")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &samples,
            "statuswatch_feed_last_success_timestamp_seconds",
            &[("feed_id", &broken)]
        ),
        None,
        "a feed that never worked has no last success"
    );
    assert!(
        reply
            .body
            .contains(r#"title="Broken \"quoted\" C:\\feeds\nsecond line""#),
        "{}",
        reply.body
    );

    // One series per state: 1 for the current one, 0 for the others.
    let states: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.name == "statuswatch_vendor_state" && s.label("vendor") == Some("skylark"))
        .collect();
    assert_eq!(states.len(), 6, "{states:?}");
    for s in &states {
        let want = if s.label("state") == Some(skylark_state.as_str()) {
            1.0
        } else {
            0.0
        };
        assert_eq!(s.value, want, "{s:?}");
    }
    assert_eq!(
        value(
            &samples,
            "statuswatch_vendor_state",
            &[("vendor", "brokenco"), ("state", "unknown")]
        ),
        Some(1.0),
        "a vendor never fetched is unknown"
    );

    // The refused webhook: its events became dead letters, as the database says.
    let dead = sandbox.count("SELECT count(*) FROM webhook_queue WHERE state = 'dead'");
    let pending = sandbox.count("SELECT count(*) FROM webhook_queue WHERE state = 'pending'");
    assert!(dead > 0, "the poll raised events for the webhook");
    assert_eq!(
        value(
            &samples,
            "statuswatch_webhook_dead_letters",
            &[("webhook", "ops")]
        ),
        Some(dead as f64)
    );
    assert_eq!(
        value(
            &samples,
            "statuswatch_webhook_queue_depth",
            &[("webhook", "ops")]
        ),
        Some(pending as f64)
    );

    // Events by kind, as the outbox holds them.
    let kinds = sandbox.strings("SELECT kind || '=' || count(*) FROM events GROUP BY kind");
    assert!(!kinds.is_empty());
    for pair in &kinds {
        let (kind, n) = pair.split_once('=').unwrap();
        assert_eq!(
            value(
                &samples,
                "statuswatch_outbox_events_total",
                &[("kind", kind)]
            ),
            Some(n.parse().unwrap()),
            "{kind}"
        );
    }
    let entries = sandbox.count("SELECT count(*) FROM entries");
    assert_eq!(
        value(
            &samples,
            "statuswatch_archive_rows",
            &[("table", "entries")]
        ),
        Some(entries as f64)
    );
    let size = value(&samples, "statuswatch_database_size_bytes", &[]).unwrap();
    assert!(size >= 4096.0, "{size}");
    // `serve` does not poll: none of the poller's own metrics.
    assert!(!samples
        .iter()
        .any(|s| s.name.starts_with("statuswatch_fetches")));

    // A later scrape counts only the new events, and counts them once.
    sandbox.make_due();
    sandbox
        .sql()
        .execute("UPDATE feeds SET etag = NULL, last_modified = NULL", [])
        .unwrap();
    let (_, again) = scrape(&served);
    let total = |s: &[Sample]| -> f64 {
        s.iter()
            .filter(|s| s.name == "statuswatch_outbox_events_total")
            .map(|s| s.value)
            .sum()
    };
    assert_eq!(
        total(&again),
        total(&samples),
        "nothing new: the same totals"
    );
    let out = sandbox.poll(&[]);
    assert!(out.status.code().is_some(), "{}", stderr(&out));
    let (_, after) = scrape(&served);
    let all = sandbox.count("SELECT count(*) FROM events") as f64;
    assert_eq!(total(&after), all);
}

#[test]
fn run_listen_exports_the_pollers_own_counters() {
    let sandbox = Sandbox::new();
    let _server = two_feeds(&sandbox);
    sandbox.write(
        "statuswatch.toml",
        &(hook("ops", &refused_url("/hook"), "") + FAST_DELIVERY),
    );
    let served = Served::start(
        &sandbox,
        &[
            "run",
            "--schedule",
            "*/1 * * * * *",
            "--max-jitter-ms",
            "0",
            "--timeout",
            "2s",
        ],
        &[],
    );
    // Wait for the first cycle (both feeds fetched, the cycle settled).
    let deadline = Instant::now() + Duration::from_secs(30);
    let samples = loop {
        let (_, samples) = scrape(&served);
        let cycles = value(&samples, "statuswatch_cycle_duration_seconds_count", &[]);
        let failed = value(
            &samples,
            "statuswatch_fetches_total",
            &[("outcome", "http_error"), ("status", "500")],
        );
        // The cycle's event, tried twice at a receiver that refuses, is given up.
        let dead = value(
            &samples,
            "statuswatch_deliveries_total",
            &[("webhook", "ops"), ("outcome", "dead")],
        );
        if cycles.is_some_and(|c| c >= 1.0) && failed.is_some() && dead.is_some() {
            break samples;
        }
        assert!(
            Instant::now() < deadline,
            "no cycle within 30 s: {samples:#?}\n{}",
            served.stderr_so_far()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        value(
            &samples,
            "statuswatch_fetches_total",
            &[("outcome", "ok"), ("status", "200")]
        )
        .is_some_and(|n| n >= 1.0),
        "{samples:#?}"
    );

    // Histograms: cumulative buckets ending at +Inf, which equals the count.
    for name in [
        "statuswatch_fetch_duration_seconds",
        "statuswatch_parse_duration_seconds",
        "statuswatch_cycle_duration_seconds",
    ] {
        let buckets: Vec<&Sample> = samples
            .iter()
            .filter(|s| s.name == format!("{name}_bucket"))
            .collect();
        assert!(buckets.len() > 5, "{name}: {buckets:?}");
        assert!(
            buckets.windows(2).all(|w| w[0].value <= w[1].value),
            "{name} buckets are cumulative"
        );
        let inf = buckets.last().unwrap();
        assert_eq!(inf.label("le"), Some("+Inf"));
        let count = value(&samples, &format!("{name}_count"), &[]).unwrap();
        assert_eq!(inf.value, count, "{name}");
        assert!(count >= 1.0, "{name}");
        assert!(
            value(&samples, &format!("{name}_sum"), &[]).unwrap() > 0.0,
            "{name}"
        );
    }
    let fetched = value(&samples, "statuswatch_fetch_duration_seconds_count", &[]).unwrap();
    let by_outcome: f64 = samples
        .iter()
        .filter(|s| s.name == "statuswatch_fetches_total")
        .map(|s| s.value)
        .sum();
    assert_eq!(fetched, by_outcome, "every fetch is timed");

    // Entries and events this process stored, beside the outbox's totals.
    let new_entries = value(&samples, "statuswatch_entries_total", &[("change", "new")]).unwrap();
    assert!(new_entries >= 1.0);
    assert!(
        samples
            .iter()
            .any(|s| s.name == "statuswatch_events_raised_total" && s.value >= 1.0),
        "{samples:#?}"
    );
    let raised = value(
        &samples,
        "statuswatch_events_raised_total",
        &[("kind", "state_change")],
    );
    let in_outbox = value(
        &samples,
        "statuswatch_outbox_events_total",
        &[("kind", "state_change")],
    );
    assert!(
        raised.is_some() && raised <= in_outbox,
        "{raised:?} {in_outbox:?}"
    );
    let failed = value(
        &samples,
        "statuswatch_deliveries_total",
        &[("webhook", "ops"), ("outcome", "failed")],
    );
    let dead = value(
        &samples,
        "statuswatch_deliveries_total",
        &[("webhook", "ops"), ("outcome", "dead")],
    );
    assert!(
        failed >= dead,
        "each dead letter failed once before: {failed:?} {dead:?}"
    );
}

#[test]
fn metrics_need_the_token_when_one_is_set() {
    let sandbox = Sandbox::new();
    let _server = two_feeds(&sandbox);
    let out = sandbox.poll(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let secret = "tok-metrics-5e1d";
    let served = Served::start(
        &sandbox,
        &["serve", "--token-env", "SW_TEST_TOKEN"],
        &[("SW_TEST_TOKEN", secret)],
    );
    assert_eq!(served.get("/metrics", &[]).status, 401);
    let bearer = format!("Bearer {secret}");
    let reply = served.get("/metrics", &[("authorization", &bearer)]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(!parse_exposition(&reply.body).is_empty());
}
