//! The poller's own metrics, which only the process that polls can know: `run --listen`
//! records them as its feeds, ticks and delivery attempts finish, and `/metrics` encodes them
//! after what the database holds (`serve::metrics`). Fed plain data (the pipeline's reports,
//! the deliverer's attempt records), so no stage depends on prometheus.

use crate::daemon::TickReport;
use crate::pipeline::{FeedReport, FeedResult};
use crate::store::{AttemptOutcome, AttemptRecord};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

/// Every metric name starts with this (and `_`).
pub const PREFIX: &str = "statuswatch";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FetchLabels {
    /// The fetch log's word: ok, not_modified, http_error, timeout, ...
    outcome: String,
    /// The HTTP status, or `none` when no answer came.
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChangeLabels {
    change: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    webhook: String,
    outcome: &'static str,
}

/// Counters and histograms since this process started. Share it behind an `Arc`.
#[derive(Debug)]
pub struct PollerMetrics {
    registry: Registry,
    fetches: Family<FetchLabels, Counter>,
    fetch_duration: Histogram,
    parse_duration: Histogram,
    entries: Family<ChangeLabels, Counter>,
    events: Family<KindLabels, Counter>,
    deliveries: Family<DeliveryLabels, Counter>,
    cycle_duration: Histogram,
}

impl Default for PollerMetrics {
    fn default() -> Self {
        PollerMetrics::new()
    }
}

impl PollerMetrics {
    pub fn new() -> PollerMetrics {
        let fetches = Family::<FetchLabels, Counter>::default();
        // 50 ms .. 51 s: a fetch is bounded by the request timeout (30 s by default).
        let fetch_duration = Histogram::new(exponential_buckets(0.05, 2.0, 11));
        // 1 ms .. 2 s: one document's parse, classification and digests.
        let parse_duration = Histogram::new(exponential_buckets(0.001, 2.0, 12));
        let entries = Family::<ChangeLabels, Counter>::default();
        let events = Family::<KindLabels, Counter>::default();
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        // 250 ms .. 512 s: a tick's feeds, jitter included, up to several request timeouts.
        let cycle_duration = Histogram::new(exponential_buckets(0.25, 2.0, 12));
        // Both series exist from the start, so `rate()` sees the first entries.
        for change in ["new", "revised"] {
            let _ = entries.get_or_create(&ChangeLabels { change });
        }
        // prometheus-client ends each HELP text with a period, and counters' names with _total.
        let mut registry = Registry::with_prefix(PREFIX);
        registry.register(
            "fetches",
            "Fetches by this process, by outcome (the fetch log's word) and HTTP status (none: no answer)",
            fetches.clone(),
        );
        registry.register_with_unit(
            "fetch_duration",
            "How long fetches took, from the request until the whole body was in (or it failed)",
            Unit::Seconds,
            fetch_duration.clone(),
        );
        registry.register_with_unit(
            "parse_duration",
            "How long parsing, classifying and digesting one fetched document took",
            Unit::Seconds,
            parse_duration.clone(),
        );
        registry.register(
            "entries",
            "Entries stored by this process: new ones, and revised ones (their text changed)",
            entries.clone(),
        );
        registry.register(
            "events_raised",
            "Events this process raised into the outbox, by kind",
            events.clone(),
        );
        registry.register(
            "deliveries",
            "Webhook delivery attempts by this process, by webhook and outcome (delivered, failed: retried later, dead: given up)",
            deliveries.clone(),
        );
        registry.register_with_unit(
            "cycle_duration",
            "How long a tick's due feeds took, from the tick until the last was stored and the cycle settled (jitter included)",
            Unit::Seconds,
            cycle_duration.clone(),
        );
        PollerMetrics {
            registry,
            fetches,
            fetch_duration,
            parse_duration,
            entries,
            events,
            deliveries,
            cycle_duration,
        }
    }

    /// One feed's work is done.
    pub fn feed_done(&self, report: &FeedReport) {
        let outcome = match &report.result {
            FeedResult::Stored { new, updated, .. } => {
                self.entry_changes("new", *new);
                self.entry_changes("revised", *updated);
                "ok"
            }
            FeedResult::NotModified => "not_modified",
            FeedResult::Failed { outcome, .. } => outcome.as_str(),
            FeedResult::Removed => return,
        };
        let status = report
            .http_status
            .map_or_else(|| "none".to_string(), |s| s.to_string());
        self.fetches
            .get_or_create(&FetchLabels {
                outcome: outcome.to_string(),
                status,
            })
            .inc();
        self.fetch_duration.observe(report.work.fetch.as_secs_f64());
        if let Some(parse) = report.work.parse {
            self.parse_duration.observe(parse.as_secs_f64());
        }
        self.events_raised(&report.work.event_kinds);
    }

    /// One tick is done: its duration, and the events of the cycle as a whole.
    pub fn tick_done(&self, tick: &TickReport) {
        self.cycle_duration.observe(tick.duration.as_secs_f64());
        self.events_raised(&tick.summary.cycle_event_kinds);
    }

    /// One delivery attempt was recorded.
    pub fn attempt(&self, record: &AttemptRecord) {
        let outcome = match record.outcome {
            AttemptOutcome::Delivered => "delivered",
            AttemptOutcome::Failed { .. } | AttemptOutcome::Gone => "failed",
            AttemptOutcome::Dead => "dead",
        };
        self.deliveries
            .get_or_create(&DeliveryLabels {
                webhook: record.webhook.clone(),
                outcome,
            })
            .inc();
    }

    /// Writes these metrics in the OpenMetrics text format, without the final `# EOF`.
    pub fn encode(&self, out: &mut String) -> std::fmt::Result {
        prometheus_client::encoding::text::encode_registry(out, &self.registry)
    }

    fn entry_changes(&self, change: &'static str, n: usize) {
        if n > 0 {
            self.entries
                .get_or_create(&ChangeLabels { change })
                .inc_by(n as u64);
        }
    }

    fn events_raised(&self, kinds: &[&'static str]) {
        for kind in kinds {
            self.events.get_or_create(&KindLabels { kind }).inc();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FetchOutcome;
    use crate::pipeline::FeedWork;
    use std::time::Duration;

    fn report(result: FeedResult, status: Option<u16>) -> FeedReport {
        FeedReport {
            feed_id: 1,
            title: "t".into(),
            url: "http://127.0.0.1/".into(),
            http_status: status,
            bytes: None,
            duration_ms: 0,
            entries: None,
            next_fetch_at: None,
            moved_to: None,
            proxy: None,
            result,
            work: FeedWork {
                fetch: Duration::from_millis(120),
                parse: Some(Duration::from_millis(3)),
                event_kinds: vec!["state_change"],
            },
        }
    }

    #[test]
    fn feeds_are_counted_by_outcome_and_status_with_their_timings() {
        let m = PollerMetrics::new();
        m.feed_done(&report(
            FeedResult::Stored {
                new: 2,
                updated: 1,
                unchanged: 0,
                events: 1,
                repaired: false,
                notes: Vec::new(),
            },
            Some(200),
        ));
        m.feed_done(&report(
            FeedResult::Failed {
                outcome: FetchOutcome::ConnectError,
                error: "refused".into(),
                counted: true,
            },
            None,
        ));
        m.feed_done(&report(FeedResult::Removed, None));
        let mut out = String::new();
        m.encode(&mut out).unwrap();
        for line in [
            r#"statuswatch_fetches_total{outcome="ok",status="200"} 1"#,
            r#"statuswatch_fetches_total{outcome="connect_error",status="none"} 1"#,
            r#"statuswatch_entries_total{change="new"} 2"#,
            r#"statuswatch_entries_total{change="revised"} 1"#,
            r#"statuswatch_events_raised_total{kind="state_change"} 2"#,
            "statuswatch_fetch_duration_seconds_count 2",
            "statuswatch_parse_duration_seconds_count 2",
            r#"statuswatch_fetch_duration_seconds_bucket{le="0.2"} 2"#,
            r#"statuswatch_fetch_duration_seconds_bucket{le="0.1"} 0"#,
        ] {
            assert!(out.lines().any(|l| l == line), "no {line:?} in\n{out}");
        }
    }
}
