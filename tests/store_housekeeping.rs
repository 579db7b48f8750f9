//! Housekeeping prunes the old fetch log and the attempt log of finished deliveries, and keeps
//! everything still needed (recent rows, attempts of deliveries still queued).

mod common;

use chrono::{Duration, TimeZone, Utc};
use statuswatch::model::FetchRecord;

#[test]
fn old_fetches_and_finished_delivery_attempts_go_the_rest_stays() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = common::example_store(&path);
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    for days_ago in [90, 40, 31, 5, 0] {
        let record = FetchRecord {
            started_at: now - Duration::days(days_ago),
            http_status: Some(200),
            ..FetchRecord::default()
        };
        store.record_fetch(1, &record, |_| None).unwrap();
    }
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "INSERT INTO events (id, kind, occurred_at, detected_at, payload)
                 VALUES ('e1', 'state_change', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '{}'),
                        ('e2', 'state_change', '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z', '{}');
             INSERT INTO webhooks (name, added_at, start_seq, cursor_seq, seen_at) VALUES ('ops', '2026-01-01T00:00:00Z', 0, 2, '2026-01-01T00:00:00Z');
             -- e1 delivered long ago (two attempts); e2 still pending after an old failure.
             INSERT INTO deliveries (event_seq, webhook, attempt, attempted_at, outcome)
                 VALUES (1, 'ops', 1, '2026-01-01T00:00:10Z', 'failed'),
                        (1, 'ops', 2, '2026-01-01T00:01:10Z', 'delivered'),
                        (2, 'ops', 1, '2026-01-02T00:00:10Z', 'failed');
             INSERT INTO webhook_queue (webhook, event_seq, queued_at, next_attempt_at, attempts)
                 VALUES ('ops', 2, '2026-01-02T00:00:00Z', '2026-06-01T00:00:00Z', 1);",
        )
        .unwrap();
    }
    let (fetches, deliveries) = store.housekeeping(now - Duration::days(30)).unwrap();
    assert_eq!((fetches, deliveries), (3, 2));
    let left = store
        .query("SELECT count(*) FROM fetches UNION ALL SELECT count(*) FROM deliveries WHERE event_seq = 2")
        .unwrap();
    assert_eq!(
        left.rows[0][0].to_string(),
        "2",
        "the recent fetch rows stay"
    );
    assert_eq!(
        left.rows[1][0].to_string(),
        "1",
        "a queued delivery keeps its attempts"
    );
    assert_eq!(store.integrity_check().unwrap(), "ok");
}
