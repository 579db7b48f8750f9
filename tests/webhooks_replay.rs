//! What a webhook would have been sent on the AWS day: `statuswatch replay
//! fixtures/replay/aws-day --deliver` with a receiver on 127.0.0.1 and one webhook taking
//! `correlated_outage`. One `opened`, `grew` at most once per window, one `resolved`, every
//! request signed per the Standard Webhooks spec (checked by code written here).

mod common;
use chrono::Duration;
use common::receiver::{verify_signature, Received, Receiver};
use common::replay_day::{detected, replay};
use common::Sandbox;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[test]
fn the_aws_day_pages_once_grows_at_most_once_per_window_and_resolves_once() {
    let sandbox = Sandbox::new();
    let receiver = Receiver::start();
    let config = sandbox.write(
        "statuswatch.toml",
        &format!(
            "[delivery]\ntimeout = \"2s\"\nfirst_retry = \"50ms\"\nmax_retry = \"200ms\"\n\n{}",
            receiver.hook(
                "ops",
                &format!("secret = \"{SECRET}\"\nkinds = [\"correlated_outage\"]")
            )
        ),
    );
    let run = replay(
        &sandbox,
        "aws-day",
        &[
            "--config",
            config.to_str().unwrap(),
            "--deliver",
            "--deliver-timeout",
            "60s",
        ],
    );
    let dump = run.dump();
    assert_eq!(run.code, Some(0), "replay failed\n{dump}");
    let raised = run.of("correlated_outage");
    assert!(!raised.is_empty(), "the day raised a cluster\n{dump}");

    let got = receiver.received("/ops");
    let bodies: Vec<serde_json::Value> = got.iter().map(Received::json).collect();
    let shown = bodies
        .iter()
        .map(|b| format!("{} {} {}", b["detected_at"], b["type"], b["phase"]))
        .collect::<Vec<_>>()
        .join("\n");
    let context = format!("received:\n{shown}\nraised:\n{dump}");
    for r in &got {
        verify_signature(SECRET, r).unwrap_or_else(|e| panic!("{e}\n{context}"));
    }
    assert!(
        bodies.iter().all(|b| b["type"] == "correlated_outage"),
        "only the kind the webhook takes\n{context}"
    );
    // Delivered exactly what was raised, once each, in order.
    let ids: Vec<String> = got.iter().map(Received::id).collect();
    let raised_ids: Vec<&str> = raised.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(
        ids, raised_ids,
        "each raised message delivered once\n{context}"
    );

    let phase = |p: &str| bodies.iter().filter(|b| b["phase"] == p).count();
    assert_eq!(phase("opened"), 1, "opened once\n{context}");
    assert_eq!(phase("resolved"), 1, "resolved once\n{context}");
    assert_eq!(bodies.last().unwrap()["phase"], "resolved", "{context}");
    let announcing: Vec<&serde_json::Value> =
        bodies.iter().filter(|b| b["phase"] != "resolved").collect();
    for pair in announcing.windows(2) {
        assert!(
            detected(pair[1]) - detected(pair[0]) >= Duration::minutes(30),
            "two messages within one window\n{context}"
        );
    }
    let ids: std::collections::BTreeSet<String> =
        bodies.iter().map(|b| b["cluster_id"].to_string()).collect();
    assert_eq!(ids.len(), 1, "one cluster\n{context}");
}
