//! `/metrics` in the Prometheus text format (OpenMetrics 1.0).
//!
//! `serve` runs beside the process that polls, so what it exports is what the database holds,
//! read at scrape time by one store query (`Store::archive_metrics`, which never scans the
//! archive): feed health, vendor states, webhook queues, outbox events by kind, archive size.
//! `run --listen` adds the poller's own counters and histograms ([`PollerMetrics`]), which
//! exist only in the process that polls. One scrape is one encoded response.

use super::problem::Problem;
use super::AppState;
use crate::metrics::{PollerMetrics, PREFIX};
use crate::store::ArchiveMetrics;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The OpenMetrics text format's content type.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Every service state a vendor gauge has a series for: the model's, and `unknown` (never
/// fetched), as the `current_status` view names them.
fn states() -> impl Iterator<Item = &'static str> {
    use strum::IntoEnumIterator;
    crate::model::ServiceState::iter()
        .map(crate::model::ServiceState::as_str)
        .chain(["unknown"])
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(scrape))
}

/// What `/metrics` keeps between scrapes.
#[derive(Debug, Default)]
pub struct MetricsState {
    /// The poller's metrics: `Some` in `run --listen`, `None` in `serve`.
    poller: Option<Arc<PollerMetrics>>,
    /// Held for a whole scrape, so two scrapes never count the same events twice.
    outbox: tokio::sync::Mutex<OutboxTally>,
}

impl MetricsState {
    pub fn new(poller: Option<Arc<PollerMetrics>>) -> Arc<MetricsState> {
        Arc::new(MetricsState {
            poller,
            outbox: tokio::sync::Mutex::default(),
        })
    }
}

/// Outbox events by kind up to `after`. The outbox is append-only, so each scrape reads only
/// the events since the last one (a range of its rowid) instead of counting it all.
#[derive(Debug, Default)]
struct OutboxTally {
    after: i64,
    by_kind: BTreeMap<String, u64>,
}

impl OutboxTally {
    fn add(&mut self, read: &ArchiveMetrics) {
        if read.counted_after != self.after {
            self.by_kind.clear(); // another database: its outbox was counted from the start
        }
        for (kind, n) in &read.new_events {
            *self.by_kind.entry(kind.clone()).or_default() += n;
        }
        self.after = read.last_seq;
    }
}

async fn scrape(State(state): State<AppState>) -> Response {
    let mut tally = state.metrics.outbox.lock().await;
    let after = tally.after;
    let read = match state.pool.read(move |s| s.archive_metrics(after)).await {
        Ok(read) => read,
        Err(error) => return Problem::from(error).into_response(),
    };
    tally.add(&read);
    let mut body = String::new();
    let encoded = encode_archive(&mut body, &read, &tally.by_kind).and_then(|()| {
        if let Some(poller) = &state.metrics.poller {
            poller.encode(&mut body)?;
        }
        encode_eof(&mut body)
    });
    drop(tally);
    if let Err(error) = encoded {
        return Problem::internal(&error).into_response();
    }
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FeedLabels {
    feed_id: String,
    vendor: String,
    title: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VendorStateLabels {
    vendor: String,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookLabels {
    webhook: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TableLabels {
    table: &'static str,
}

fn gauge(value: i64) -> Gauge {
    let g = Gauge::default();
    g.set(value);
    g
}

/// Writes what the database holds (a registry built for this scrape), without `# EOF`.
fn encode_archive(
    out: &mut String,
    read: &ArchiveMetrics,
    events_by_kind: &BTreeMap<String, u64>,
) -> std::fmt::Result {
    let mut registry = Registry::with_prefix(PREFIX);

    let last_success = Family::<FeedLabels, Gauge>::default();
    let failures = Family::<FeedLabels, Gauge>::default();
    for feed in &read.feeds {
        let labels = FeedLabels {
            feed_id: feed.id.to_string(),
            vendor: feed.vendor.clone(),
            title: feed.title.clone(),
        };
        if let Some(at) = feed.last_success {
            last_success.get_or_create(&labels).set(at);
        }
        failures
            .get_or_create(&labels)
            .set(feed.consecutive_failures);
    }
    registry.register_with_unit(
        "feed_last_success_timestamp",
        "When each enabled feed was last fetched successfully (a 304 counts), as Unix time; absent before its first success",
        Unit::Seconds,
        last_success,
    );
    registry.register(
        "feed_consecutive_failures",
        "Failed fetches in a row of each enabled feed (0 when its last fetch worked)",
        failures,
    );

    let vendor_state = Family::<VendorStateLabels, Gauge>::default();
    for (vendor, current) in &read.vendor_states {
        for state in states() {
            vendor_state
                .get_or_create(&VendorStateLabels {
                    vendor: vendor.clone(),
                    state,
                })
                .set(i64::from(current == state));
        }
    }
    registry.register(
        "vendor_state",
        "1 for each vendor's current overall state (the worst of its feeds'), 0 for the other states",
        vendor_state,
    );

    let depth = Family::<WebhookLabels, Gauge>::default();
    let dead = Family::<WebhookLabels, Gauge>::default();
    for hook in &read.webhooks {
        let labels = WebhookLabels {
            webhook: hook.webhook.clone(),
        };
        depth.get_or_create(&labels).set(hook.pending);
        dead.get_or_create(&labels).set(hook.dead);
    }
    registry.register(
        "webhook_queue_depth",
        "Events waiting to be delivered to each webhook (dead letters not included)",
        depth,
    );
    registry.register(
        "webhook_dead_letters",
        "Events each webhook gave up on (`statuswatch webhooks dead`; `webhooks retry` sends them again)",
        dead,
    );

    let events = Family::<KindLabels, Counter>::default();
    for (kind, n) in events_by_kind {
        events
            .get_or_create(&KindLabels { kind: kind.clone() })
            .inc_by(*n);
    }
    registry.register(
        "outbox_events",
        "Events in the outbox by kind, from every process that wrote the database (the outbox is never pruned)",
        events,
    );

    let rows = Family::<TableLabels, Gauge>::default();
    for (table, n) in [
        ("entries", read.max_entry_id),
        ("entry_revisions", read.max_revision_id),
        ("incidents", read.max_incident_id),
    ] {
        rows.get_or_create(&TableLabels { table }).set(n);
    }
    registry.register(
        "archive_rows",
        "Rows archived per table, estimated by the highest row id (no table scan; rows deleted with a removed feed are not subtracted)",
        rows,
    );
    registry.register_with_unit(
        "database_size",
        "The database file's pages plus its write-ahead log",
        Unit::Bytes,
        gauge(i64::try_from(read.database_bytes).unwrap_or(i64::MAX)),
    );
    encode_registry(out, &registry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{FeedGaugeRow, WebhookQueueRow};

    fn read() -> ArchiveMetrics {
        ArchiveMetrics {
            feeds: vec![FeedGaugeRow {
                id: 7,
                vendor: "a\"b".into(),
                title: "back\\slash\nnext".into(),
                last_success: Some(1_760_944_260),
                consecutive_failures: 0,
            }],
            vendor_states: vec![("zoom".into(), "degraded".into())],
            webhooks: vec![WebhookQueueRow {
                webhook: "ops".into(),
                pending: 2,
                dead: 1,
            }],
            new_events: vec![("state_change".into(), 3)],
            counted_after: 0,
            last_seq: 3,
            max_entry_id: 10,
            max_revision_id: 12,
            max_incident_id: 4,
            database_bytes: 4096,
        }
    }

    #[test]
    fn the_archive_is_encoded_with_escaped_labels_and_one_series_per_state() {
        let mut tally = OutboxTally::default();
        tally.add(&read());
        let mut out = String::new();
        encode_archive(&mut out, &read(), &tally.by_kind).unwrap();
        for line in [
            r#"statuswatch_feed_last_success_timestamp_seconds{feed_id="7",vendor="a\"b",title="back\\slash\nnext"} 1760944260"#,
            r#"statuswatch_vendor_state{vendor="zoom",state="degraded"} 1"#,
            r#"statuswatch_vendor_state{vendor="zoom",state="operational"} 0"#,
            r#"statuswatch_webhook_queue_depth{webhook="ops"} 2"#,
            r#"statuswatch_webhook_dead_letters{webhook="ops"} 1"#,
            r#"statuswatch_outbox_events_total{kind="state_change"} 3"#,
            r#"statuswatch_archive_rows{table="entries"} 10"#,
            "statuswatch_database_size_bytes 4096",
        ] {
            assert!(out.lines().any(|l| l == line), "no {line:?} in\n{out}");
        }
        assert_eq!(out.matches("statuswatch_vendor_state{").count(), 6);
    }

    #[test]
    fn the_outbox_tally_adds_up_and_restarts_for_another_database() {
        let mut tally = OutboxTally::default();
        tally.add(&read());
        let later = ArchiveMetrics {
            new_events: vec![("feed_failing".into(), 1), ("state_change".into(), 1)],
            counted_after: 3,
            last_seq: 5,
            ..read()
        };
        tally.add(&later);
        assert_eq!(tally.by_kind["state_change"], 4);
        assert_eq!(tally.by_kind["feed_failing"], 1);
        assert_eq!(tally.after, 5);
        // The outbox now ends before 5: the store counted it from the start.
        tally.add(&read());
        assert_eq!(tally.by_kind.len(), 1);
        assert_eq!(tally.by_kind["state_change"], 3);
    }
}
