//! Correlated outages on replayed days: `statuswatch replay` (the real binary) over the
//! fixtures in `fixtures/replay/` (see `fixtures/replay/generate.py` for how each day is
//! made). On the AWS day exactly one cluster opens, early, naming AWS us-east-1, grows with
//! the afternoon's second wave and resolves once; on an ordinary day of scattered incidents,
//! three unrelated ones in the same half hour among them, none opens while the incidents
//! still raise their state changes.

mod common;
use chrono::{DateTime, Duration, Utc};
use common::replay_day::{all_text, detected, first_post, last_change, members, replay, Replayed};
use common::Sandbox;
use serde_json::Value;
use std::collections::BTreeSet;

const AWS_DAY: &str = "aws-day";
const ORDINARY_DAY: &str = "ordinary-day";
/// The correlation window (the `[correlation]` default the fixtures are replayed with).
const WINDOW: i64 = 30;

fn phase(e: &Value) -> &str {
    e["phase"].as_str().unwrap_or("?")
}

/// Whether the fixture's OPML carried `runs_on` into the database.
fn runs_on_imported(sandbox: &Sandbox) -> bool {
    sandbox.count("SELECT COUNT(*) FROM feeds WHERE runs_on IS NOT NULL AND runs_on <> ''") > 0
}

#[test]
fn the_aws_day_opens_one_cluster_early_names_aws_us_east_1_grows_and_resolves_once() {
    let sandbox = Sandbox::new();
    let run = replay(&sandbox, AWS_DAY, &[]);
    let dump = run.dump();
    assert_eq!(run.code, Some(0), "replay failed\n{dump}");
    let clusters = run.of("correlated_outage");

    // Exactly one cluster, opened once.
    let ids: BTreeSet<String> = clusters
        .iter()
        .map(|e| e["cluster_id"].to_string())
        .collect();
    assert_eq!(ids.len(), 1, "one cluster, not {ids:?}\n{dump}");
    let opened: Vec<&&Value> = clusters.iter().filter(|e| phase(e) == "opened").collect();
    assert_eq!(opened.len(), 1, "opened once\n{dump}");
    let opened = opened[0];
    assert_eq!(
        phase(clusters[0]),
        "opened",
        "the first message opens it\n{dump}"
    );

    // Every member, from the last message (the resolved one lists them all).
    assert_eq!(
        sandbox.count("SELECT COUNT(*) FROM clusters"),
        1,
        "one row in clusters\n{dump}"
    );
    let last = clusters.last().unwrap();
    let all = members(last);

    // Opened within 30 minutes of the third member's first post, read from the captures.
    let mut posts: Vec<(DateTime<Utc>, String)> = all
        .iter()
        .map(|v| {
            let at = first_post(AWS_DAY, v)
                .unwrap_or_else(|| panic!("member {v} never posted in the fixture\n{dump}"));
            (at, v.clone())
        })
        .collect();
    posts.sort();
    assert!(posts.len() >= 3, "at least three members\n{dump}");
    let third = posts[2].0;
    assert!(
        detected(opened) >= third,
        "opened at {} before three members had posted\n{dump}",
        detected(opened)
    );
    assert!(
        detected(opened) <= third + Duration::minutes(WINDOW),
        "opened at {} but the third member ({}) first posted at {third}\n{dump}",
        detected(opened),
        posts[2].1
    );

    // Named by its cause: AWS in us-east-1, from the opening message on.
    for e in &clusters {
        let cause = &e["suspected_cause"];
        assert_eq!(cause["vendor"], "aws", "cause in {}\n{dump}", phase(e));
        assert_eq!(
            cause["region"],
            "us-east-1",
            "region in {}\n{dump}",
            phase(e)
        );
    }
    assert!(
        !all.contains(&"aws".to_string()),
        "the cause is no member\n{dump}"
    );

    // Grew during the second wave (the members that first posted after midday), and never
    // two messages within one window.
    let second_wave: Vec<&String> = posts
        .iter()
        .filter(|(at, _)| *at >= third.date_naive().and_hms_opt(12, 0, 0).unwrap().and_utc())
        .map(|(_, v)| v)
        .collect();
    assert!(
        second_wave.len() >= 3,
        "the fixture's second wave joined: {second_wave:?}\n{dump}"
    );
    let wave_start = posts.iter().find(|(_, v)| v == second_wave[0]).unwrap().0;
    let grew: Vec<&&Value> = clusters.iter().filter(|e| phase(e) == "grew").collect();
    assert!(
        grew.iter().any(|e| {
            detected(e) >= wave_start
                && e["joined"].as_array().is_some_and(|j| {
                    j.iter()
                        .any(|v| second_wave.iter().any(|w| v == w.as_str()))
                })
        }),
        "a grew announcing the second wave ({second_wave:?}, from {wave_start})\n{dump}"
    );
    let announcing: Vec<&&Value> = clusters.iter().filter(|e| phase(e) != "resolved").collect();
    for pair in announcing.windows(2) {
        let gap = detected(pair[1]) - detected(pair[0]);
        assert!(
            gap >= Duration::minutes(WINDOW),
            "two messages {} apart ({} then {})\n{dump}",
            gap,
            detected(pair[0]),
            detected(pair[1])
        );
    }

    // Resolved once, last, after every member recovered.
    let resolved: Vec<&&Value> = clusters.iter().filter(|e| phase(e) == "resolved").collect();
    assert_eq!(resolved.len(), 1, "resolved once\n{dump}");
    assert_eq!(
        phase(last),
        "resolved",
        "resolved is the last message\n{dump}"
    );
    let recovered = all.iter().map(|v| last_change(AWS_DAY, v)).max().unwrap();
    assert!(
        detected(resolved[0]) >= recovered,
        "resolved at {} before the last member recovered ({recovered})\n{dump}",
        detected(resolved[0])
    );
    for v in last["vendors"].as_array().unwrap() {
        assert_eq!(v["state"], "operational", "{v}\n{dump}");
    }

    // The member that never names AWS (it blames "a third-party provider") is one: it came
    // with the first burst.
    let text = all_text(AWS_DAY, "pixelforge");
    assert!(
        text.contains("third-party provider") && !text.contains("aws") && !text.contains("amazon"),
        "the fixture's pixelforge never names AWS"
    );
    assert!(
        all.contains(&"pixelforge".to_string()),
        "pixelforge is a member\n{dump}"
    );
    // The late poster (three hours after the first burst) names AWS and joins.
    assert!(
        all.contains(&"docusend".to_string()),
        "docusend is a member\n{dump}"
    );

    // mapleboard, ordinarily unlucky at 07:15 on its own database, runs on gcp: its map says
    // it runs elsewhere, so it does not join by time alone. (Without the map it would: it came
    // within a window of the opening, like any vendor of unknown dependencies.)
    assert!(
        runs_on_imported(&sandbox),
        "the fixture's runs_on reached feeds.runs_on\n{dump}"
    );
    assert!(
        !all.contains(&"mapleboard".to_string()),
        "mapleboard runs on gcp: no member\n{dump}"
    );

    // The members' own incidents raised their state changes too.
    let changed: BTreeSet<String> = run
        .of("state_change")
        .iter()
        .filter_map(|e| e["vendor"].as_str().map(String::from))
        .collect();
    for v in &all {
        assert!(changed.contains(v), "{v} raised no state_change\n{dump}");
    }
    // Quiet vendors stay quiet: their history (the first capture) raises nothing; only a feed
    // that changed during the day has a state change.
    for v in &changed {
        assert!(
            first_post(AWS_DAY, v).is_some(),
            "{v} never changed during the day but raised a state change\n{dump}"
        );
    }
}

#[test]
fn an_ordinary_day_with_three_unrelated_incidents_in_one_half_hour_opens_no_cluster() {
    let sandbox = Sandbox::new();
    let run: Replayed = replay(&sandbox, ORDINARY_DAY, &[]);
    let dump = run.dump();
    assert_eq!(run.code, Some(0), "replay failed\n{dump}");
    assert!(
        run.of("correlated_outage").is_empty(),
        "no cluster on an ordinary day\n{dump}"
    );
    assert_eq!(sandbox.count("SELECT COUNT(*) FROM clusters"), 0, "{dump}");
    // The day's incidents still raise their ordinary state changes: the three in one half hour
    // among them (so this cannot pass by raising nothing).
    let changes = run.of("state_change");
    let left: Vec<(String, DateTime<Utc>)> = changes
        .iter()
        .filter(|e| e["from"] == "operational")
        .filter_map(|e| Some((e["vendor"].as_str()?.to_string(), detected(e))))
        .collect();
    for v in ["quoteport", "riverplay", "tidebank"] {
        assert!(
            left.iter().any(|(w, _)| w == v),
            "{v} left operational\n{dump}"
        );
    }
    let times: Vec<DateTime<Utc>> = ["quoteport", "riverplay", "tidebank"]
        .iter()
        .map(|v| first_post(ORDINARY_DAY, v).unwrap())
        .collect();
    let span = *times.iter().max().unwrap() - *times.iter().min().unwrap();
    assert!(
        span <= Duration::minutes(WINDOW),
        "the fixture's three are in one half hour"
    );
    assert!(
        left.len() >= 8,
        "the day's ordinary incidents raised their state changes: {left:?}\n{dump}"
    );
}
