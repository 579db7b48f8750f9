//! Events about our sources rather than the vendors: a feed that has failed for a while
//! (`feed_failing`), one that works again (`feed_recovered`), and a cycle where most feeds
//! failed to connect (`network_down`: the problem is ours, so no per-feed storm).
//!
//! Pure, like the state planner: the store reads the feed's previous health inside the
//! fetch-log transaction, these functions decide, and the store writes the event in that
//! same transaction.

use super::FeedContext;
use crate::model::event::{FeedFailing, FeedRecovered, NetworkDown, UnreachedSample};
use crate::model::{EventDetail, EventPayload, FeedHealth, FetchRecord, NewEvent};
use crate::store::time_text;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Decides the health event one recorded fetch raises, if any: `feed_failing` once a
/// failure streak has lasted `failing_after` (once per streak), `feed_recovered` on the
/// first success after a streak that raised it.
pub fn plan_feed_health(
    feed: &FeedContext,
    before: &FeedHealth,
    fetch: &FetchRecord,
    failing_after: Duration,
    now: DateTime<Utc>,
) -> Option<NewEvent> {
    let since = before.failing_since.unwrap_or(fetch.started_at);
    if fetch.is_success() {
        if !before.failing_notified {
            return None;
        }
        let detail = EventDetail::FeedRecovered(FeedRecovered {
            vendor: feed.vendor.clone(),
            feed: feed.reference(),
            failing_since: time_text(since),
            failures: before.consecutive_failures,
        });
        let title = format!("{} feed works again", feed.title);
        return Some(event(feed, title, time_text(fetch.started_at), now, detail));
    }
    let lasted = (fetch.started_at - since)
        .to_std()
        .unwrap_or(Duration::ZERO);
    if before.failing_notified || lasted < failing_after {
        return None;
    }
    let error = fetch
        .error
        .clone()
        .unwrap_or_else(|| fetch.outcome.to_string());
    let title = format!("{} feed is failing: {error}", feed.title);
    let detail = EventDetail::FeedFailing(FeedFailing {
        vendor: feed.vendor.clone(),
        feed: feed.reference(),
        failing_since: time_text(since),
        failures: before.consecutive_failures + 1,
        outcome: fetch.outcome,
        http_status: fetch.http_status,
        error,
        next_attempt_at: fetch.next_fetch_at.map(time_text),
    });
    Some(event(feed, title, time_text(since), now, detail))
}

fn event(
    feed: &FeedContext,
    title: String,
    occurred_at: String,
    now: DateTime<Utc>,
    detail: EventDetail,
) -> NewEvent {
    NewEvent {
        payload: EventPayload {
            id: uuid::Uuid::now_v7().to_string(),
            occurred_at,
            detected_at: time_text(now),
            title,
            link: Some(crate::redact::url(&feed.url).into_owned()),
            detail,
        },
        feed_id: Some(feed.feed_id),
        incident_id: None,
    }
}

/// The one event of a cycle in which most feeds could not be reached. `samples` are a few
/// (feed title, error) pairs so the reader sees what "down" looked like.
pub fn network_down_event(
    feeds: usize,
    failed: usize,
    samples: &[(String, String)],
    now: DateTime<Utc>,
) -> NewEvent {
    let at = time_text(now);
    NewEvent {
        payload: EventPayload {
            id: uuid::Uuid::now_v7().to_string(),
            occurred_at: at.clone(),
            detected_at: at,
            title: format!(
                "Network down: {failed} of {feeds} feeds could not be reached; their failures are not held against them"
            ),
            link: None,
            detail: EventDetail::NetworkDown(NetworkDown {
                feeds,
                failed,
                samples: samples
                    .iter()
                    .map(|(feed, error)| UnreachedSample {
                        feed: feed.clone(),
                        error: error.clone(),
                    })
                    .collect(),
            }),
        },
        feed_id: None,
        incident_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EventKind, FetchOutcome};

    /// The payload as a receiver reads it.
    fn json(event: &NewEvent) -> serde_json::Value {
        serde_json::to_value(&event.payload).unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn feed() -> FeedContext {
        FeedContext {
            feed_id: 3,
            vendor: "zoom".into(),
            title: "Zoom".into(),
            url: "https://status.zoom.us/history.atom".into(),
            category: None,
        }
    }

    fn fetch(outcome: FetchOutcome, started: &str) -> FetchRecord {
        FetchRecord {
            started_at: at(started),
            duration_ms: 5,
            outcome,
            error: (!outcome.is_success()).then(|| "cannot connect: refused".into()),
            ..FetchRecord::default()
        }
    }

    fn health(since: Option<&str>, notified: bool) -> FeedHealth {
        FeedHealth {
            consecutive_failures: if since.is_some() { 4 } else { 0 },
            failing_since: since.map(at),
            failing_notified: notified,
        }
    }

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn a_short_failure_raises_nothing() {
        let plan = |before, rec: &FetchRecord| {
            plan_feed_health(&feed(), &before, rec, HOUR, rec.started_at)
        };
        assert!(plan(
            health(None, false),
            &fetch(FetchOutcome::ConnectError, "2025-10-20T07:00:00Z")
        )
        .is_none());
        assert!(plan(
            health(Some("2025-10-20T07:00:00Z"), false),
            &fetch(FetchOutcome::ConnectError, "2025-10-20T07:59:59Z")
        )
        .is_none());
        // Recovering from a streak nobody was told about is not news either.
        assert!(plan(
            health(Some("2025-10-20T07:00:00Z"), false),
            &fetch(FetchOutcome::Ok, "2025-10-20T07:30:00Z")
        )
        .is_none());
    }

    #[test]
    fn a_long_failure_raises_feed_failing_once_then_recovered() {
        let rec = fetch(FetchOutcome::ConnectError, "2025-10-20T08:00:00Z");
        let event = plan_feed_health(
            &feed(),
            &health(Some("2025-10-20T07:00:00Z"), false),
            &rec,
            HOUR,
            rec.started_at,
        )
        .unwrap();
        assert_eq!(event.payload.kind(), Some(EventKind::FeedFailing));
        assert_eq!(
            event.payload.occurred_at, "2025-10-20T07:00:00Z",
            "the streak's start"
        );
        assert_eq!(json(&event)["failures"], 5);
        assert!(event.payload.title.contains("refused"));

        let again = fetch(FetchOutcome::ConnectError, "2025-10-20T09:00:00Z");
        assert!(plan_feed_health(
            &feed(),
            &health(Some("2025-10-20T07:00:00Z"), true),
            &again,
            HOUR,
            again.started_at
        )
        .is_none());

        let ok = fetch(FetchOutcome::NotModified, "2025-10-20T10:00:00Z");
        let back = plan_feed_health(
            &feed(),
            &health(Some("2025-10-20T07:00:00Z"), true),
            &ok,
            HOUR,
            ok.started_at,
        )
        .unwrap();
        assert_eq!(back.payload.kind(), Some(EventKind::FeedRecovered));
        assert_eq!(json(&back)["failing_since"], "2025-10-20T07:00:00Z");
    }

    #[test]
    fn zero_failing_after_reports_the_first_failure() {
        let rec = fetch(FetchOutcome::HttpError, "2025-10-20T08:00:00Z");
        let event = plan_feed_health(
            &feed(),
            &health(None, false),
            &rec,
            Duration::ZERO,
            rec.started_at,
        );
        assert_eq!(event.unwrap().payload.kind(), Some(EventKind::FeedFailing));
    }

    #[test]
    fn network_down_is_one_event_without_a_feed() {
        let e = network_down_event(
            10,
            9,
            &[("Zoom".into(), "refused".into())],
            at("2025-10-20T08:00:00Z"),
        );
        assert_eq!(e.payload.kind(), Some(EventKind::NetworkDown));
        assert!(e.feed_id.is_none());
        assert_eq!(json(&e)["failed"], 9);
    }
}
