//! Webhook delivery end to end: events made through the real store, delivered by the real
//! binary's `poll` to a receiver on 127.0.0.1. Signatures are checked by an implementation of
//! the Standard Webhooks spec written here, not by statuswatch's own signing code.

mod common;
use common::outbox::{event_ids, events, TestFeed};
use common::receiver::{hook, verify_signature, Received, Receiver};
use common::{stderr, stdout, summary, Sandbox};
use statuswatch::model::Status;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Retries fast enough for a test: 50 ms, 100 ms, 200 ms, ...
const FAST: &str = "[delivery]\ntimeout = \"2s\"\nfirst_retry = \"50ms\"\nmax_retry = \"200ms\"\nmax_attempts = 5\n";

fn poll(sandbox: &Sandbox) -> serde_json::Value {
    let out = sandbox.run(&["poll", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    summary(&out)
}

#[test]
fn poll_delivers_signed_events_that_verify_with_the_spec() {
    let sandbox = Sandbox::new();
    let receiver = Receiver::start();
    let mut aws = TestFeed::new(&sandbox.db(), "aws", "cloud");
    sandbox.write(
        "statuswatch.toml",
        &hook(
            "ops",
            &receiver.url("/hook"),
            &format!("secret = \"{SECRET}\""),
        ),
    );
    // The webhook is registered by this first run: it starts after the (empty) outbox.
    assert_eq!(poll(&sandbox)["delivered"], 0);
    assert_eq!(aws.publish(&[("i1", Status::Outage, &[])]), 1);
    assert_eq!(
        aws.publish(&[("i1", Status::Resolved, &[])]),
        1,
        "the recovery"
    );

    let s = poll(&sandbox);
    assert_eq!(
        (s["delivered"].as_i64(), s["delivery_pending"].as_i64()),
        (Some(2), Some(0))
    );
    assert_eq!(s["events"], 0, "the summary's own keys are kept");

    let got = receiver.received("/hook");
    let outbox = events(&sandbox.db());
    assert_eq!(got.len(), 2);
    for (r, (seq, id, _, _, payload)) in got.iter().zip(&outbox) {
        assert_eq!(r.json()["seq"], *seq, "the outbox seq");
        verify_signature(SECRET, r).unwrap();
        assert_eq!(&r.id(), id, "webhook-id is the event id");
        // The payload as stored, with the outbox seq put first.
        let seq = r.json()["seq"].as_i64().unwrap();
        assert_eq!(
            String::from_utf8(r.body.clone()).unwrap(),
            format!("{{\"seq\":{seq},{}", &payload[1..]),
            "json sends the payload as stored, seq first"
        );
        assert_eq!(r.header("content-type"), "application/json");
    }
    assert_eq!(got[0].json()["to"], "outage");
    assert_eq!(got[1].json()["to"], "operational");
    // A tampered body does not verify.
    let mut forged = got[0].clone();
    forged.body = br#"{"to":"operational"}"#.to_vec();
    assert!(verify_signature(SECRET, &forged).is_err());

    // Nothing is sent twice.
    assert_eq!(poll(&sandbox)["delivered"], 0);
    assert_eq!(receiver.received("/hook").len(), 2);
}

#[test]
fn a_receiver_failing_three_times_gets_the_event_exactly_once_under_one_id() {
    let sandbox = Sandbox::new();
    let receiver = Receiver::start();
    receiver.script(&[500, 500, 500]);
    let mut zoom = TestFeed::new(&sandbox.db(), "zoom", "saas");
    sandbox.write(
        "statuswatch.toml",
        &(hook("flaky", &receiver.url("/flaky"), "") + FAST),
    );
    poll(&sandbox);
    zoom.publish(&[("i1", Status::Degraded, &[])]);

    let s = poll(&sandbox);
    assert_eq!(s["delivered"], 1, "{s}");
    let got = receiver.received("/flaky");
    assert_eq!(
        got.iter().map(|r| r.answered).collect::<Vec<_>>(),
        [500, 500, 500, 200]
    );
    assert_eq!(receiver.accepted("/flaky").len(), 1);
    let ids: Vec<String> = got.iter().map(Received::id).collect();
    assert!(
        ids.iter().all(|id| *id == event_ids(&sandbox.db())[0]),
        "{ids:?}"
    );
    // The waits grow: 50 ms, then about 100, then about 200 (±20 %).
    let gaps: Vec<u128> = got
        .windows(2)
        .map(|w| (w[1].at - w[0].at).as_millis())
        .collect();
    assert!(gaps[0] >= 35 && gaps[2] >= 150, "{gaps:?}");
    // Every attempt is in the log.
    let conn = sandbox.sql();
    let log: Vec<(i64, String, Option<i64>)> = conn
        .prepare("SELECT attempt, outcome, response_code FROM deliveries ORDER BY attempt")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        log,
        [
            (1, "failed".into(), Some(500)),
            (2, "failed".into(), Some(500)),
            (3, "failed".into(), Some(500)),
            (4, "delivered".into(), Some(200)),
        ]
    );
    assert_eq!(sandbox.count("SELECT count(*) FROM webhook_queue"), 0);
}

#[test]
fn a_failing_head_holds_back_later_events_for_its_webhook_only() {
    let sandbox = Sandbox::new();
    let receiver = Receiver::start();
    receiver.script(&[503, 503]);
    let mut aws = TestFeed::new(&sandbox.db(), "aws", "cloud");
    sandbox.write(
        "statuswatch.toml",
        &(hook("slow", &receiver.url("/a"), "") + &hook("fine", &receiver.url("/b"), "") + FAST),
    );
    poll(&sandbox);
    aws.publish(&[("i1", Status::Degraded, &[])]);
    aws.publish(&[("i1", Status::Outage, &[])]);
    aws.publish(&[("i1", Status::Resolved, &[])]);
    let ids = event_ids(&sandbox.db());
    assert_eq!(ids.len(), 3);

    assert_eq!(poll(&sandbox)["delivered"], 6);
    let order =
        |path: &str| -> Vec<String> { receiver.received(path).iter().map(Received::id).collect() };
    // The script's two 503s hit whichever webhook asked first; either way each webhook sees
    // its events in seq order, a failed head repeated before anything after it.
    for path in ["/a", "/b"] {
        let mut seen = order(path);
        seen.dedup();
        assert_eq!(seen, ids, "{path}");
    }
    assert_eq!(
        receiver.accepted("/a").len() + receiver.accepted("/b").len(),
        6
    );
}

#[test]
fn dead_letters_are_listed_and_can_be_sent_again() {
    let sandbox = Sandbox::new();
    let receiver = Receiver::start();
    receiver.set_status(500);
    let mut gcp = TestFeed::new(&sandbox.db(), "gcp", "cloud");
    let config = hook("down", &receiver.url("/down"), "")
        + &FAST.replace("max_attempts = 5", "max_attempts = 3");
    sandbox.write("statuswatch.toml", &config);
    poll(&sandbox);
    gcp.publish(&[("i1", Status::Outage, &[])]);
    gcp.publish(&[("i1", Status::Resolved, &[])]);

    let out = sandbox.run(&["poll", "--format", "json"]);
    let s = summary(&out);
    assert_eq!(
        (s["delivered"].as_i64(), s["dead_letters"].as_i64()),
        (Some(0), Some(2)),
        "{s}"
    );
    assert!(stderr(&out).contains("webhooks dead"), "{}", stderr(&out));
    assert_eq!(
        receiver.received("/down").len(),
        6,
        "3 attempts each, then given up"
    );

    let dead = sandbox.run(&["webhooks", "dead", "--format", "json"]);
    let rows: Vec<serde_json::Value> = stdout(&dead)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["attempts"], 3);
    assert_eq!(rows[0]["last_code"], 500);
    assert!(rows[0]["last_error"]
        .as_str()
        .unwrap()
        .starts_with("HTTP 500"));

    let list = stdout(&sandbox.run(&["webhooks", "list", "--format", "json"]));
    let row: serde_json::Value = serde_json::from_str(list.trim()).unwrap();
    assert_eq!(
        (row["delivered"].as_i64(), row["dead"].as_i64()),
        (Some(0), Some(2))
    );
    assert!(row["last_error"].as_str().unwrap().contains("500"), "{row}");

    // Retried while the receiver still fails: dead again, and the exit code says so.
    let seq = rows[1]["event_seq"].to_string();
    let out = sandbox.run(&["webhooks", "retry", &seq]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stdout(&out).contains("1 dead again"), "{}", stdout(&out));

    // The receiver is fixed; one dead letter by its seq, the other with --all.
    receiver.set_status(200);
    let out = sandbox.run(&["webhooks", "retry", &seq]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("Delivered 1"), "{}", stdout(&out));
    let out = sandbox.run(&["webhooks", "retry", "--all", "down"]);
    assert!(stdout(&out).contains("Delivered 1"), "{}", stdout(&out));
    let accepted: Vec<String> = receiver
        .accepted("/down")
        .iter()
        .map(Received::id)
        .collect();
    let ids = event_ids(&sandbox.db());
    assert_eq!(accepted, [ids[1].clone(), ids[0].clone()]);
    let list = stdout(&sandbox.run(&["webhooks", "list", "--format", "json"]));
    let row: serde_json::Value = serde_json::from_str(list.trim()).unwrap();
    assert_eq!(
        (row["delivered"].as_i64(), row["dead"].as_i64()),
        (Some(2), Some(0))
    );
    let again = sandbox.run(&["webhooks", "retry", "--all"]);
    assert!(
        stdout(&again).contains("No dead letters"),
        "{}",
        stdout(&again)
    );
}

#[test]
fn a_new_webhook_starts_with_the_events_after_it_was_added() {
    let sandbox = Sandbox::new();
    let receiver = Receiver::start();
    let mut aws = TestFeed::new(&sandbox.db(), "aws", "cloud");
    aws.publish(&[("old", Status::Outage, &[])]);
    aws.publish(&[("old", Status::Resolved, &[])]);
    sandbox.write(
        "statuswatch.toml",
        &hook("late", &receiver.url("/late"), ""),
    );
    assert_eq!(poll(&sandbox)["delivered"], 0, "the history is not sent");
    aws.publish(&[
        ("old", Status::Resolved, &[]),
        ("new", Status::Degraded, &[]),
    ]);
    assert_eq!(poll(&sandbox)["delivered"], 1);
    let got = receiver.received("/late");
    assert_eq!(got[0].id(), *event_ids(&sandbox.db()).last().unwrap());
}

#[test]
fn webhooks_test_sends_a_signed_test_event_and_shows_the_answer() {
    let sandbox = Sandbox::new();
    let receiver = Receiver::start();
    sandbox.write(
        "statuswatch.toml",
        &(hook(
            "ops",
            &receiver.url("/ops?token=abc"),
            &format!("secret = \"{SECRET}\""),
        ) + &hook("broken", &receiver.url("/broken"), "")),
    );
    let out = sandbox.run(&["webhooks", "test", "ops"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("HTTP 200"), "{text}");
    assert!(
        !text.contains("token=abc"),
        "the URL's query is not shown: {text}"
    );
    let got = receiver.received("/ops");
    assert_eq!(got.len(), 1);
    verify_signature(SECRET, &got[0]).unwrap();
    assert_eq!(got[0].json()["type"], "test");
    assert_eq!(got[0].json()["id"], got[0].id().as_str());
    assert!(text.contains(&got[0].id()), "{text}");

    receiver.set_status(418);
    let out = sandbox.run(&["webhooks", "test", "broken"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).contains("HTTP 418"), "{}", stdout(&out));
    let out = sandbox.run(&["webhooks", "test", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("ops, broken"), "{}", stderr(&out));
    // Test events are not outbox events: nothing is queued or logged.
    assert_eq!(sandbox.count("SELECT count(*) FROM deliveries"), 0);
}

#[test]
fn a_webhook_can_take_its_url_and_secret_from_the_environment() {
    let sandbox = Sandbox::new();
    let receiver = Receiver::start();
    sandbox.write(
        "statuswatch.toml",
        "[[webhooks]]\nname = \"ops\"\nurl_env = \"SW_TEST_OPS_URL\"\nsecret_env = \"SW_TEST_OPS_SECRET\"\n",
    );
    let out = sandbox
        .command(&["webhooks", "test", "ops"])
        .env("SW_TEST_OPS_URL", receiver.url("/ops?token=abc"))
        .env("SW_TEST_OPS_SECRET", SECRET)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = receiver.received("/ops");
    assert_eq!(got.len(), 1);
    verify_signature(SECRET, &got[0]).unwrap();

    // Without the variables the file is refused at start, naming the file, line and variable.
    let out = sandbox
        .command(&["webhooks", "test", "ops"])
        .env_remove("SW_TEST_OPS_URL")
        .env_remove("SW_TEST_OPS_SECRET")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("statuswatch.toml: line 3: webhook \"ops\": url_env names SW_TEST_OPS_URL, which is not set"),
        "{err}"
    );
    assert!(
        err.contains("line 4:") && err.contains("SW_TEST_OPS_SECRET"),
        "{err}"
    );
    assert_eq!(receiver.received("/ops").len(), 1, "nothing more was sent");
}

#[test]
fn two_polls_delivering_at_once_send_each_event_once_in_order() {
    // An overlapping cron `poll` (or one beside the daemon): both deliver from one outbox.
    let sandbox = Sandbox::new();
    let receiver = Receiver::start();
    let mut aws = TestFeed::new(&sandbox.db(), "aws", "cloud");
    sandbox.write(
        "statuswatch.toml",
        &hook("ops", &receiver.url("/hook"), FAST),
    );
    assert_eq!(poll(&sandbox)["delivered"], 0);
    for i in 0..3 {
        aws.publish(&[(&format!("i{i}"), Status::Outage, &[])]);
        aws.publish(&[(&format!("i{i}"), Status::Resolved, &[])]);
    }
    let ids = event_ids(&sandbox.db());
    assert_eq!(ids.len(), 6);
    receiver.set_delay(std::time::Duration::from_millis(100));
    let spawn = || sandbox.spawn(&["poll", "--format", "json"]);
    let (a, b) = (spawn(), spawn());
    let mut delivered = 0;
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        delivered += summary(&out)["delivered"].as_i64().unwrap();
    }
    assert_eq!(delivered, 6, "between them, each event once");
    let got: Vec<String> = receiver
        .received("/hook")
        .iter()
        .map(Received::id)
        .collect();
    assert_eq!(got, ids, "once each, in outbox order");
    assert_eq!(
        sandbox.count("SELECT count(*) FROM deliveries WHERE outcome = 'delivered'"),
        6
    );
}
