//! Deliver stage: outbox events → webhook POSTs (and JSON lines for `run --events-stdout`).
//!
//! Reads only the outbox. Every configured webhook has its own task and its own queue in
//! SQLite (`webhook_queue`): the task moves new events that pass the webhook's filter into the
//! queue, then sends the queue's head — the lowest `seq` — until it is accepted (any 2xx),
//! retrying with exponential backoff and jitter, and after `max_attempts` makes it a dead
//! letter and goes on. So each webhook receives its events in order, a failing head holds back
//! later events *for that webhook only*, and a slow or dead receiver never delays polling or
//! the other webhooks. The HTTP requests run on the async runtime; the database writer thread
//! only runs the short queue reads and writes.
//!
//! At least once, never lost: an event is in the queue until an attempt is *recorded* as
//! delivered, so a crash before that record sends it again after a restart, with the same
//! `webhook-id` (the event id) for the receiver to de-duplicate. An attempt holds a lease
//! (request timeout + 2 s) on its event, so two processes delivering from one database never
//! send the same event at once; a killed process's lease simply expires.
//!
//! This file is the public face ([`Deliverer`], [`Webhook`], the event lines); `config.rs`
//! validates the settings, `policy.rs` is the retry policy, `worker.rs` each webhook's task and
//! `send.rs` one HTTP attempt.

pub mod config;
pub mod filter;
pub mod format;
pub mod mail;
mod policy;
mod send;
pub mod sign;
mod worker;

pub use policy::DeliveryPolicy;
pub use send::AttemptResult;

use crate::model::event::TestEvent;
use crate::model::{EventDetail, EventPayload, StoredEvent};
use crate::store::writer::Writer;
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use filter::Filter;
use format::Format;
use serde::Serialize;
use sign::Secret;
use std::fmt;
use std::future::Future;
use std::io::{self, Write};
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// One configured webhook, validated.
#[derive(Clone)]
pub struct Webhook {
    /// Unique name: the identity its delivery state is kept under.
    pub name: String,
    pub url: url::Url,
    pub format: Format,
    /// What the format needs beyond the event (routing key, topic, template).
    pub options: format::FormatOptions,
    pub secret: Option<Secret>,
    pub filter: Filter,
    /// Set for `format = "email"`: the event goes out as a mail over SMTP to `url`
    /// (`smtp://` or `smtps://`), not as an HTTP POST, and `format` and `secret` are unused.
    pub email: Option<Arc<mail::Email>>,
}

impl Webhook {
    /// The format's name as the configuration writes it (`json`, ..., `email`).
    pub fn format_name(&self) -> &'static str {
        match &self.email {
            Some(_) => "email",
            None => self.format.as_str(),
        }
    }
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("name", &self.name)
            .field("url", &redact_url(&self.url))
            .field("format", &self.format)
            .field("options", &self.options)
            .field("secret", &self.secret)
            .field("filter", &self.filter)
            .field("email", &self.email)
            .finish()
    }
}

/// A webhook URL as it may be shown or logged (host only): see [`crate::redact::endpoint`].
pub use crate::redact::endpoint as redact_url;

/// Why delivery as a whole cannot go on (a failed attempt is not an error: it is retried).
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// A proxy variable of the environment that cannot be used (`fetch/proxy.rs`).
    #[error("webhooks: {0}")]
    Proxy(#[from] crate::fetch::ProxyError),
    #[error("no webhook named {0:?} in the configuration")]
    UnknownWebhook(String),
}

/// What one delivery pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    /// Events accepted (2xx).
    pub delivered: usize,
    /// Attempts that failed and will be retried.
    pub failed: usize,
    /// Events that became dead letters.
    pub dead: usize,
    /// Events still queued (not dead) for the configured webhooks when the pass ended.
    pub pending: usize,
}

impl DeliveryReport {
    fn add(&mut self, other: &DeliveryReport) {
        self.delivered += other.delivered;
        self.failed += other.failed;
        self.dead += other.dead;
    }
}

/// What a deliverer tells of each attempt once it is recorded (plain data: `run --listen`
/// counts them for `/metrics`).
pub type AttemptObserver = Arc<dyn Fn(&crate::store::AttemptRecord) + Send + Sync>;

/// Sends outbox events to the configured webhooks. Cheap to clone.
#[derive(Clone)]
pub struct Deliverer {
    inner: Arc<worker::Inner>,
}

impl Deliverer {
    /// A deliverer for `webhooks` under `policy`, writing through `writer`. Call
    /// [`Self::register`] (or use [`Self::start`]) before the first poll cycle.
    pub fn new(
        webhooks: Vec<Webhook>,
        policy: DeliveryPolicy,
        writer: Writer,
    ) -> Result<Deliverer, DeliverError> {
        let client = send::client(&policy)?;
        Ok(Deliverer {
            inner: Arc::new(worker::Inner {
                webhooks: webhooks.into_iter().map(Arc::new).collect(),
                policy,
                writer,
                client,
                wake: watch::channel(0).0,
                observer: std::sync::OnceLock::new(),
            }),
        })
    }

    /// [`Self::new`] and [`Self::register`].
    pub async fn start(
        webhooks: Vec<Webhook>,
        policy: DeliveryPolicy,
        writer: Writer,
    ) -> Result<Deliverer, DeliverError> {
        let deliverer = Deliverer::new(webhooks, policy, writer)?;
        deliverer.register().await?;
        Ok(deliverer)
    }

    /// Records the configured webhooks in the database. A webhook seen for the first time
    /// starts after the newest event existing now, so call this *before* a poll cycle whose
    /// events it should get. Returns the names that were new.
    pub async fn register(&self) -> Result<Vec<String>, DeliverError> {
        let names = self.names();
        let now = Utc::now();
        let added = self
            .inner
            .writer
            .run(move |s| s.register_webhooks(&names, now))
            .await?;
        for name in &added {
            tracing::info!(webhook = %name, "New webhook: it gets events from now on.");
        }
        Ok(added)
    }

    /// Has `observer` told of every attempt recorded from now on. Only the first observer
    /// set is kept.
    pub fn observe_attempts(&self, observer: AttemptObserver) {
        let _ = self.inner.observer.set(observer);
    }

    /// The configured webhooks.
    pub fn webhooks(&self) -> impl Iterator<Item = &Webhook> {
        self.inner.webhooks.iter().map(|w| w.as_ref())
    }

    fn names(&self) -> Vec<String> {
        self.inner.webhooks.iter().map(|w| w.name.clone()).collect()
    }

    /// Tells a running [`Self::run_until`] that new events exist (call after each cycle).
    pub fn notify(&self) {
        self.inner.wake.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// One bounded pass: every webhook sends what is due, in order, and waits for retries that
    /// fall due before `deadline`; nothing is started after it, and a request in flight at the
    /// deadline is cut short (and counted as a failed attempt). What is left stays queued.
    pub async fn deliver_pending(&self, deadline: Instant) -> Result<DeliveryReport, DeliverError> {
        let mut tasks = JoinSet::new();
        for hook in &self.inner.webhooks {
            let inner = Arc::clone(&self.inner);
            let hook = Arc::clone(hook);
            tasks.spawn(async move { inner.drain(&hook, deadline).await });
        }
        let mut report = DeliveryReport::default();
        let mut failure = None;
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Ok(part)) => report.add(&part),
                Ok(Err(e)) => {
                    failure.get_or_insert(e);
                }
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => {}
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
        let names = self.names();
        report.pending = self
            .inner
            .writer
            .run(move |s| s.pending_deliveries(&names))
            .await? as usize;
        Ok(report)
    }

    /// Delivers continuously until `shutdown` completes: one task per webhook, woken by
    /// [`Self::notify`], by its next retry falling due, and every `idle` interval (for events
    /// other processes write). On shutdown, attempts in flight finish (each is bounded by the
    /// request timeout) and are recorded; nothing else starts.
    pub async fn run_until<F>(&self, shutdown: F) -> Result<(), DeliverError>
    where
        F: Future<Output = ()>,
    {
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        for hook in &self.inner.webhooks {
            let inner = Arc::clone(&self.inner);
            let hook = Arc::clone(hook);
            let stopped = stopped.clone();
            tasks.spawn(async move { inner.work(hook, stopped).await });
        }
        tokio::pin!(shutdown);
        let mut result = Ok(());
        if tasks.is_empty() {
            shutdown.await;
            return result;
        }
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                joined = tasks.join_next() => match joined {
                    None => break,
                    Some(Ok(Ok(()))) => {}
                    Some(Ok(Err(e))) => {
                        result = Err(e);
                        break;
                    }
                    Some(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    Some(Err(_)) => {}
                },
            }
        }
        let _ = stop.send(true);
        while let Some(joined) = tasks.join_next().await {
            if let Err(e) = joined {
                if e.is_panic() {
                    std::panic::resume_unwind(e.into_panic());
                }
            }
        }
        result
    }

    /// Sends a synthetic, signed `test` event to one webhook, outside its queue and log.
    pub async fn send_test(
        &self,
        name: &str,
    ) -> Result<(StoredEvent, AttemptResult), DeliverError> {
        let hook = self
            .inner
            .webhooks
            .iter()
            .find(|w| w.name == name)
            .ok_or_else(|| DeliverError::UnknownWebhook(name.to_string()))?;
        let event = test_event(name, Utc::now());
        let result = self
            .inner
            .attempt(hook, &event, self.inner.policy.timeout)
            .await;
        Ok((event, result))
    }
}

/// The synthetic event `webhooks test` sends: kind `test`, a fresh id, no vendor.
pub fn test_event(webhook: &str, now: DateTime<Utc>) -> StoredEvent {
    let at = crate::store::time_text(now);
    let payload = EventPayload {
        id: uuid::Uuid::now_v7().to_string(),
        occurred_at: at.clone(),
        detected_at: at,
        title: format!("statuswatch test event for webhook \"{webhook}\""),
        link: None,
        detail: EventDetail::Test(TestEvent {
            webhook: webhook.to_string(),
            vendor: None,
            feed: None,
            component: None,
            from: None,
            to: None,
            incident: None,
            components: Vec::new(),
        }),
    };
    // Serializing this payload (strings, options, lists) cannot fail; an empty body would
    // still be a test of the receiver's answer.
    let body = serde_json::to_string(&payload).unwrap_or_default();
    StoredEvent {
        seq: 0,
        payload,
        body,
    }
}

/// Writes and flushes one event as one JSON line ([`StoredEvent::json_line`]); a closed pipe
/// is an `Err` of kind `BrokenPipe`, which a caller should treat as "the reader has gone".
pub fn write_event_line(out: &mut impl Write, event: &StoredEvent) -> io::Result<()> {
    let mut line = event.json_line().map_err(io::Error::other)?;
    line.push('\n');
    out.write_all(line.as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_paths_or_queries() {
        let u = url::Url::parse("https://hooks.slack.com/services/T0/B0/secret").unwrap();
        assert_eq!(redact_url(&u), "https://hooks.slack.com/…");
        let u = url::Url::parse("http://127.0.0.1:8080/?token=x").unwrap();
        assert_eq!(redact_url(&u), "http://127.0.0.1:8080/…");
        let u = url::Url::parse("https://example.com").unwrap();
        assert_eq!(redact_url(&u), "https://example.com/");
        let u = url::Url::parse("smtp://mail.example.com:587").unwrap();
        assert_eq!(redact_url(&u), "smtp://mail.example.com:587");
    }

    #[test]
    fn the_test_event_is_valid_json_with_its_own_id() {
        let e = test_event("ops", Utc::now());
        let v: serde_json::Value = serde_json::from_str(&e.body).unwrap();
        assert_eq!(v["type"], "test");
        assert_eq!(v["id"], e.payload.id.as_str());
        assert_eq!(v["webhook"], "ops");
    }

    #[test]
    fn event_lines_are_single_json_lines() {
        let mut payload = crate::model::event::samples::payload(
            "state_change",
            "zoom",
            "operational",
            "outage",
            &[],
        );
        payload.title = "a\nb".into();
        let row = StoredEvent {
            seq: 4,
            body: serde_json::to_string(&payload).unwrap(),
            payload,
        };
        let mut out = Vec::new();
        write_event_line(&mut out, &row).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches('\n').count(), 1);
        let v: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(v["seq"], 4);
        assert_eq!(v["payload"]["id"], "01");
        assert_eq!(v["kind"], "state_change");
        assert_eq!(v["to_state"], "outage");
    }
}
