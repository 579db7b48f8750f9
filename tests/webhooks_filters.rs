//! Filters send each webhook only what it asked for, and the Slack and Discord formats send
//! bodies in the shapes those services document.

mod common;
use common::outbox::{event_ids, insert_raw_event, TestFeed};
use common::receiver::{Received, Receiver};
use common::{stderr, summary, Sandbox};
use statuswatch::model::Status;

#[test]
fn each_webhook_gets_only_what_its_filters_select() {
    let sandbox = Sandbox::new();
    let r = Receiver::start();
    let config = [
        r.hook("all", ""),
        r.hook("outages", "min_status = \"outage\""),
        r.hook("aws", "vendors = [\"AWS\"]\nkinds = [\"state_change\"]"),
        r.hook(
            "cloud-health",
            "categories = [\"cloud\"]\nkinds = [\"feed_failing\", \"feed_recovered\"]",
        ),
        r.hook("api", "components = [\"api\"]"),
        r.hook("into-degraded", "transitions = [\"*->degraded\"]"),
        r.hook("net", "kinds = [\"network_down\"]\nvendors = [\"aws\"]"),
        r.hook(
            "slack",
            "format = \"slack\"\nvendors = [\"aws\"]\nkinds = [\"state_change\"]",
        ),
        r.hook(
            "discord",
            "format = \"discord\"\nvendors = [\"aws\"]\nkinds = [\"state_change\"]",
        ),
    ]
    .concat();
    sandbox.write("statuswatch.toml", &config);
    let mut aws = TestFeed::new(&sandbox.db(), "aws", "cloud");
    let mut zoom = TestFeed::new(&sandbox.db(), "zoom", "saas");
    assert!(sandbox.run(&["poll"]).status.success());

    aws.publish(&[("i1", Status::Outage, &["EC2"])]); // 1: aws operational -> outage
    zoom.publish(&[("z1", Status::Degraded, &["API"])]); // 2: zoom operational -> degraded
    aws.publish(&[("i1", Status::Resolved, &["EC2"])]); // 3: aws outage -> operational
    zoom.publish(&[("z1", Status::Resolved, &["API"])]); // 4: zoom degraded -> operational
    insert_raw_event(
        &sandbox.db(),
        "feed_failing",
        Some("aws"),
        Some(aws.feed_id),
    ); // 5
    insert_raw_event(
        &sandbox.db(),
        "feed_failing",
        Some("zoom"),
        Some(zoom.feed_id),
    ); // 6
    insert_raw_event(&sandbox.db(), "network_down", None, None); // 7
    let ids = event_ids(&sandbox.db());
    assert_eq!(ids.len(), 7);

    let out = sandbox.run(&["poll", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(summary(&out)["delivery_pending"], 0);
    let got = |name: &str| -> Vec<usize> {
        r.received(&format!("/{name}"))
            .iter()
            .map(|x| ids.iter().position(|id| *id == x.id()).unwrap() + 1)
            .collect()
    };
    assert_eq!(got("all"), [1, 2, 3, 4, 5, 6, 7]);
    // The recovery from an outage reaches the outage-only webhook; zoom's degradation does not.
    // min_status narrows state changes only: feed health still arrives (its `kinds` are the
    // default), as documented.
    assert_eq!(got("outages"), [1, 3, 5, 6, 7]);
    assert_eq!(got("aws"), [1, 3]);
    assert_eq!(got("cloud-health"), [5]);
    // The recovery names no component in its payload, but its incident touched API.
    assert_eq!(got("api"), [2, 4, 5, 6, 7]);
    assert_eq!(got("into-degraded"), [2, 5, 6, 7]);
    // network_down is about our side: vendor filters do not hold it back.
    assert_eq!(got("net"), [7]);
    assert_eq!(got("slack"), [1, 3]);
    assert_eq!(got("discord"), [1, 3]);
}

fn shapes(sandbox: &Sandbox, r: &Receiver) -> (Vec<Received>, Vec<Received>) {
    let config = [
        r.hook("slack", "format = \"slack\""),
        r.hook("discord", "format = \"discord\""),
    ]
    .concat();
    sandbox.write("statuswatch.toml", &config);
    let mut aws = TestFeed::new(&sandbox.db(), "aws", "cloud");
    assert!(sandbox.run(&["poll"]).status.success());
    aws.publish(&[("i1", Status::Outage, &["EC2", "S3"])]);
    aws.publish(&[("i1", Status::Resolved, &["EC2", "S3"])]);
    assert!(sandbox.run(&["poll"]).status.success());
    (r.received("/slack"), r.received("/discord"))
}

#[test]
fn slack_bodies_are_block_kit_with_a_text_fallback_and_a_coloured_attachment() {
    let sandbox = Sandbox::new();
    let r = Receiver::start();
    let (slack, _) = shapes(&sandbox, &r);
    assert_eq!(slack.len(), 2);
    let outage = slack[0].json();
    let text = outage["text"].as_str().unwrap();
    assert!(!text.contains('\n'), "one line: {text}");
    assert_eq!(
        text,
        "<https://status.aws.example/incidents/i1|🔴 AWS: outage since 06:01 UTC — Investigating: i1 is outage>",
        "the headline and what the vendor said, linked"
    );
    let blocks = outage["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["text"]["text"], "🔴 AWS: outage since 06:01 UTC");
    assert_eq!(
        blocks[1]["text"]["text"],
        "*Investigating:* i1 is outage\n_aws incident i1_"
    );
    let context = blocks[2]["elements"].to_string();
    assert!(context.contains("*Components:* EC2, S3"), "{context}");
    assert!(
        context.contains("*State:* operational → outage"),
        "{context}"
    );
    assert_eq!(
        blocks[3]["elements"][0]["url"],
        "https://status.aws.example/incidents/i1"
    );
    let a = &outage["attachments"][0];
    assert_eq!(a["color"], "#d32f2f");
    assert!(a["ts"].is_i64());
    assert!(a["fallback"].is_string());
    let recovery = slack[1].json();
    assert_eq!(recovery["attachments"][0]["color"], "#2e7d32");
    assert!(recovery["text"]
        .as_str()
        .unwrap()
        .contains("AWS: operational again (was outage since 06:01 UTC)"));
    assert_eq!(slack[0].header("content-type"), "application/json");
}

#[test]
fn discord_bodies_have_content_and_an_embed_with_an_integer_colour() {
    let sandbox = Sandbox::new();
    let r = Receiver::start();
    let (_, discord) = shapes(&sandbox, &r);
    assert_eq!(discord.len(), 2);
    let outage = discord[0].json();
    let content = outage["content"].as_str().unwrap();
    assert!(
        content.contains("AWS: outage since 06:01 UTC — Investigating: i1 is outage")
            && !content.contains('\n'),
        "{content}"
    );
    let e = &outage["embeds"][0];
    assert_eq!(e["color"].as_u64(), Some(0xD32F2F));
    assert_eq!(e["url"], "https://status.aws.example/incidents/i1");
    assert_eq!(e["title"], "AWS: outage since 06:01 UTC");
    assert_eq!(e["description"], "**Investigating:** i1 is outage");
    let fields = e["fields"].to_string();
    assert!(fields.contains("operational → outage"), "{fields}");
    assert!(fields.contains("aws incident i1"), "{fields}");
    let ts = e["timestamp"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok(), "{ts}");
    assert_eq!(outage["allowed_mentions"]["parse"], serde_json::json!([]));
    assert_eq!(
        discord[1].json()["embeds"][0]["color"].as_u64(),
        Some(0x2E7D32)
    );
}
