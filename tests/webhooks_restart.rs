//! Nothing is lost across restarts: delivery state lives in SQLite, so a receiver that was
//! down gets everything later, and a `poll` killed with SIGKILL in the middle of a delivery
//! leaves the rest (and the one in flight) to the next run.

mod common;
use common::outbox::{event_ids, TestFeed};
use common::receiver::{free_port, hook, Received, Receiver};
use common::{stderr, summary, Sandbox};
use statuswatch::model::Status;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

fn config(url: &str) -> String {
    hook(
        "ops",
        url,
        "[delivery]\ntimeout = \"1s\"\nfirst_retry = \"50ms\"\nmax_retry = \"100ms\"\nmax_attempts = 20",
    )
}

/// Four events: outage, recovery, degraded, recovery.
fn four_events(feed: &mut TestFeed) {
    feed.publish(&[("i1", Status::Outage, &[])]);
    feed.publish(&[("i1", Status::Resolved, &[])]);
    feed.publish(&[("i1", Status::Resolved, &[]), ("i2", Status::Degraded, &[])]);
    feed.publish(&[("i1", Status::Resolved, &[]), ("i2", Status::Resolved, &[])]);
}

#[test]
fn a_receiver_down_during_a_whole_poll_gets_every_event_later_in_order() {
    let sandbox = Sandbox::new();
    let addr = free_port();
    let url = format!("http://{addr}/hook");
    sandbox.write("statuswatch.toml", &config(&url));
    let mut feed = TestFeed::new(&sandbox.db(), "aws", "cloud");
    assert!(sandbox.run(&["poll"]).status.success());
    four_events(&mut feed);

    // Down: connection refused on every attempt; the poll still ends within its bound, and
    // successfully (webhooks never fail a poll).
    let started = Instant::now();
    let out = sandbox.run(&["poll", "--format", "json", "--deliver-timeout", "1s"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(5));
    let s = summary(&out);
    assert_eq!(
        (s["delivered"].as_i64(), s["delivery_pending"].as_i64()),
        (Some(0), Some(4)),
        "{s}"
    );
    let error: String = sandbox
        .sql()
        .query_row(
            "SELECT last_error FROM webhook_queue ORDER BY event_seq LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(error.contains("connect"), "{error}");

    // Up again: the next run delivers all four, oldest first.
    let receiver = Receiver::start_on(addr);
    let s = summary(&sandbox.run(&["poll", "--format", "json"]));
    assert_eq!(
        (s["delivered"].as_i64(), s["delivery_pending"].as_i64()),
        (Some(4), Some(0)),
        "{s}"
    );
    let got: Vec<String> = receiver
        .received("/hook")
        .iter()
        .map(Received::id)
        .collect();
    assert_eq!(got, event_ids(&sandbox.db()));
}

#[test]
fn sigkill_in_the_middle_of_a_delivery_loses_no_event() {
    let sandbox = Sandbox::new();
    let receiver = Receiver::start();
    // Each answer takes 400 ms (within the 1 s timeout), so a kill lands mid-delivery.
    receiver.set_delay(Duration::from_millis(400));
    sandbox.write("statuswatch.toml", &config(&receiver.url("/hook")));
    let mut feed = TestFeed::new(&sandbox.db(), "aws", "cloud");
    assert!(sandbox.run(&["poll"]).status.success());
    four_events(&mut feed);
    let ids = event_ids(&sandbox.db());

    let mut child = sandbox
        .command(&["poll", "--deliver-timeout", "30s"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill while the second event is in flight (its request has arrived, its answer not yet).
    assert!(receiver.wait_for("/hook", 2, Duration::from_secs(10)));
    std::thread::sleep(Duration::from_millis(100));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let done = sandbox.count("SELECT count(*) FROM deliveries WHERE outcome = 'delivered'");
    assert!(done < 4, "the kill came too late to prove anything");
    assert!(sandbox.count("SELECT count(*) FROM webhook_queue") >= 1);

    // The restart waits out the killed attempt's lease, then delivers the rest.
    receiver.set_delay(Duration::ZERO);
    let out = sandbox.run(&["poll", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(summary(&out)["delivery_pending"], 0);

    let received: Vec<String> = receiver
        .received("/hook")
        .iter()
        .map(Received::id)
        .collect();
    let unique: BTreeSet<&String> = received.iter().collect();
    assert_eq!(
        unique,
        ids.iter().collect(),
        "every event arrived: {received:?}"
    );
    // At least once: only the event in flight at the kill may arrive twice, and the order
    // never goes backwards past it.
    assert!(received.len() <= ids.len() + 1, "{received:?}");
    let mut dedup = received.clone();
    dedup.dedup();
    assert_eq!(dedup, ids);
    assert_eq!(sandbox.count("SELECT count(*) FROM webhook_queue"), 0);
    assert_eq!(
        sandbox
            .count("SELECT count(DISTINCT event_seq) FROM deliveries WHERE outcome = 'delivered'"),
        4
    );
}
