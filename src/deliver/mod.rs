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

pub mod config;
pub mod filter;
pub mod format;
pub mod sign;

use crate::store::writer::Writer;
use crate::store::{AttemptOutcome, AttemptRecord, Claim, EventRow, OutboxEvent, StoreError};
use chrono::{DateTime, Utc};
use filter::Filter;
use format::Format;
use serde::Serialize;
use sign::Secret;
use std::fmt;
use std::future::Future;
use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// Events read from the outbox per queueing transaction.
const ENQUEUE_BATCH: usize = 500;
/// Added to the request timeout for an attempt's lease, to cover recording its outcome.
const LEASE_MARGIN: Duration = Duration::from_secs(2);
/// Attempts are not started with less time than this left before a deadline.
const MIN_ATTEMPT: Duration = Duration::from_millis(100);

/// One configured webhook, validated.
#[derive(Clone)]
pub struct Webhook {
    /// Unique name: the identity its delivery state is kept under.
    pub name: String,
    pub url: url::Url,
    pub format: Format,
    pub secret: Option<Secret>,
    pub filter: Filter,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("name", &self.name)
            .field("url", &redact_url(&self.url))
            .field("format", &self.format)
            .field("secret", &self.secret)
            .field("filter", &self.filter)
            .finish()
    }
}

/// A URL as it may be shown or logged: scheme, host and port only (paths and queries of
/// webhook URLs often hold tokens).
pub fn redact_url(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("");
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let rest = if url.path() == "/" && url.query().is_none() {
        "/"
    } else {
        "/…"
    };
    format!("{}://{host}{port}{rest}", url.scheme())
}

/// Timeouts and retries, the same for every webhook (`[delivery]` in the configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// Per-request timeout.
    pub timeout: Duration,
    /// Wait after the first failure; doubles after each further one.
    pub first_retry: Duration,
    /// Longest wait between two attempts.
    pub max_retry: Duration,
    /// Attempts before an event becomes a dead letter.
    pub max_attempts: u32,
    /// How often an idle `run_until` looks for events written by other processes.
    pub idle: Duration,
}

impl Default for DeliveryPolicy {
    /// 13 attempts over about a day: 30 s, 1, 2, 4, 8, 16, 32, 64, 128, 256 min, 8 h, 8 h
    /// (each ±20 %).
    fn default() -> DeliveryPolicy {
        DeliveryPolicy {
            timeout: Duration::from_secs(10),
            first_retry: Duration::from_secs(30),
            max_retry: Duration::from_secs(8 * 3600),
            max_attempts: 13,
            idle: Duration::from_secs(5),
        }
    }
}

impl DeliveryPolicy {
    /// The wait after `failures` failed attempts (1 or more), before jitter.
    pub fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        self.first_retry
            .saturating_mul(1u32 << doublings)
            .min(self.max_retry)
    }

    /// The wait with ±20 % jitter, and at least what the receiver asked for in `Retry-After`
    /// (but never more than `max_retry`).
    fn next_wait(&self, failures: u32, retry_after: Option<Duration>) -> Duration {
        let jitter = 0.8 + 0.4 * fastrand::f64();
        let wait = self.backoff(failures).mul_f64(jitter);
        match retry_after {
            Some(asked) => wait.max(asked.min(self.max_retry)),
            None => wait,
        }
    }

    fn lease(&self) -> Duration {
        self.timeout + LEASE_MARGIN
    }
}

/// Why delivery as a whole cannot go on (a failed attempt is not an error: it is retried).
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
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

/// The result of one HTTP attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttemptResult {
    /// The answer's status, when there was an answer.
    pub status: Option<u16>,
    /// Why it failed, when it did (never contains the URL).
    pub error: Option<String>,
    pub duration_ms: u64,
    /// The receiver's `Retry-After`, if it gave one.
    #[serde(skip)]
    pub retry_after: Option<Duration>,
}

impl AttemptResult {
    /// 2xx: the receiver has the event.
    pub fn is_success(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Sends outbox events to the configured webhooks. Cheap to clone.
#[derive(Clone)]
pub struct Deliverer {
    inner: Arc<Inner>,
}

struct Inner {
    webhooks: Vec<Arc<Webhook>>,
    policy: DeliveryPolicy,
    writer: Writer,
    client: reqwest::Client,
    wake: watch::Sender<u64>,
}

enum Step {
    Attempted(DeliveryReport),
    Wait(DateTime<Utc>),
    Idle,
}

impl Deliverer {
    /// A deliverer for `webhooks` under `policy`, writing through `writer`. Call
    /// [`Self::register`] (or use [`Self::start`]) before the first poll cycle.
    pub fn new(
        webhooks: Vec<Webhook>,
        policy: DeliveryPolicy,
        writer: Writer,
    ) -> Result<Deliverer, DeliverError> {
        let client = reqwest::Client::builder()
            .user_agent(concat!(
                "statuswatch/",
                env!("CARGO_PKG_VERSION"),
                " (webhooks)"
            ))
            .connect_timeout(policy.timeout)
            // A redirect is not an acceptance: the receiver's URL should be the final one.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(DeliverError::Client)?;
        Ok(Deliverer {
            inner: Arc::new(Inner {
                webhooks: webhooks.into_iter().map(Arc::new).collect(),
                policy,
                writer,
                client,
                wake: watch::channel(0).0,
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
    ) -> Result<(OutboxEvent, AttemptResult), DeliverError> {
        let hook = self
            .inner
            .webhooks
            .iter()
            .find(|w| w.name == name)
            .ok_or_else(|| DeliverError::UnknownWebhook(name.to_string()))?;
        let event = test_event(name, Utc::now());
        let result = self
            .inner
            .send(hook, &event, self.inner.policy.timeout)
            .await;
        Ok((event, result))
    }
}

impl Inner {
    /// Moves the webhook's new outbox events that pass its filter into its queue.
    async fn enqueue(&self, hook: &Arc<Webhook>) -> Result<usize, DeliverError> {
        let mut queued = 0;
        loop {
            let hook = Arc::clone(hook);
            let now = Utc::now();
            let (n, read) = self
                .writer
                .run(move |s| {
                    s.enqueue_deliveries(&hook.name, now, ENQUEUE_BATCH, &|e| {
                        hook.filter.matches(e)
                    })
                })
                .await?;
            queued += n;
            if read < ENQUEUE_BATCH {
                return Ok(queued);
            }
        }
    }

    /// One step for one webhook: queue new events, then attempt the head if it is due.
    async fn step(
        &self,
        hook: &Arc<Webhook>,
        deadline: Option<Instant>,
    ) -> Result<Step, DeliverError> {
        self.enqueue(hook).await?;
        let now = Utc::now();
        let lease_until = now + self.policy.lease();
        let name = hook.name.clone();
        let claim = self
            .writer
            .run(move |s| s.claim_delivery(&name, now, lease_until))
            .await?;
        let (event, failures) = match claim {
            Claim::Empty => return Ok(Step::Idle),
            Claim::NotBefore(until) => return Ok(Step::Wait(until)),
            Claim::Ready { event, failures } => (event, failures),
        };
        let timeout = match deadline {
            Some(deadline) => self
                .policy
                .timeout
                .min(deadline.saturating_duration_since(Instant::now())),
            None => self.policy.timeout,
        };
        if timeout < MIN_ATTEMPT {
            let (name, seq) = (hook.name.clone(), event.seq);
            self.writer
                .run(move |s| s.release_delivery(&name, seq))
                .await?;
            return Ok(Step::Idle);
        }
        let attempted_at = Utc::now();
        let result = self.send(hook, &event, timeout).await;
        let failures = failures + 1;
        let mut report = DeliveryReport::default();
        let outcome = if result.is_success() {
            report.delivered = 1;
            tracing::info!(webhook = %hook.name, event = %event.id, seq = event.seq,
                status = result.status, "Delivered event.");
            AttemptOutcome::Delivered
        } else if failures >= self.policy.max_attempts {
            report.dead = 1;
            tracing::warn!(webhook = %hook.name, event = %event.id, seq = event.seq,
                attempts = failures, error = result.error.as_deref().unwrap_or(""),
                "Giving up on event: it is now a dead letter (see `statuswatch webhooks dead`).");
            AttemptOutcome::Dead
        } else {
            report.failed = 1;
            let wait = self.policy.next_wait(failures, result.retry_after);
            let next_attempt_at = Utc::now() + wait;
            tracing::warn!(webhook = %hook.name, event = %event.id, seq = event.seq,
                attempt = failures, error = result.error.as_deref().unwrap_or(""),
                retry_in_ms = wait.as_millis() as u64, "Delivery failed; will retry.");
            AttemptOutcome::Failed { next_attempt_at }
        };
        let record = AttemptRecord {
            webhook: hook.name.clone(),
            event_seq: event.seq,
            attempted_at,
            duration_ms: result.duration_ms as i64,
            response_code: result.status,
            error: result.error.clone(),
            outcome,
        };
        self.writer.run(move |s| s.record_attempt(&record)).await?;
        Ok(Step::Attempted(report))
    }

    /// [`Deliverer::deliver_pending`] for one webhook.
    async fn drain(
        &self,
        hook: &Arc<Webhook>,
        deadline: Instant,
    ) -> Result<DeliveryReport, DeliverError> {
        let mut report = DeliveryReport::default();
        while Instant::now() + MIN_ATTEMPT < deadline {
            match self.step(hook, Some(deadline)).await? {
                Step::Attempted(part) => report.add(&part),
                Step::Wait(until) => {
                    let wait = (until - Utc::now()).to_std().unwrap_or_default();
                    if Instant::now() + wait + MIN_ATTEMPT >= deadline {
                        break;
                    }
                    tokio::time::sleep(wait).await;
                }
                Step::Idle => break,
            }
        }
        Ok(report)
    }

    /// [`Deliverer::run_until`] for one webhook.
    async fn work(
        self: Arc<Self>,
        hook: Arc<Webhook>,
        mut stopped: watch::Receiver<bool>,
    ) -> Result<(), DeliverError> {
        let mut wake = self.wake.subscribe();
        loop {
            if *stopped.borrow() {
                return Ok(());
            }
            let wait = match self.step(&hook, None).await {
                Ok(Step::Attempted(_)) => continue,
                Ok(Step::Wait(until)) => (until - Utc::now()).to_std().unwrap_or_default(),
                Ok(Step::Idle) => self.policy.idle,
                Err(DeliverError::Store(StoreError::WriterGone)) => {
                    return Err(StoreError::WriterGone.into())
                }
                Err(e) => {
                    tracing::error!(webhook = %hook.name, error = %e,
                        "Delivery stopped by an error; trying again shortly.");
                    self.policy.idle
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait.min(self.policy.idle)) => {}
                _ = wake.changed() => {}
                _ = stopped.changed() => return Ok(()),
            }
        }
    }

    /// One signed POST of `event` in the webhook's format.
    async fn send(&self, hook: &Webhook, event: &OutboxEvent, timeout: Duration) -> AttemptResult {
        let body = format::body(hook.format, event);
        let timestamp = Utc::now().timestamp();
        let mut request = self
            .client
            .post(hook.url.clone())
            .timeout(timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        for (name, value) in sign::headers(&event.id, timestamp, &body, hook.secret.as_ref()) {
            request = request.header(name, value);
        }
        let started = Instant::now();
        let mut result = AttemptResult {
            status: None,
            error: None,
            duration_ms: 0,
            retry_after: None,
        };
        match request.body(body).send().await {
            Ok(mut response) => {
                let status = response.status();
                result.status = Some(status.as_u16());
                result.retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| crate::fetch::parse_retry_after(v, chrono::Utc::now()));
                if !status.is_success() {
                    // The first bytes of the answer usually say why; never more than that.
                    let snippet = match response.chunk().await {
                        Ok(Some(bytes)) => {
                            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]);
                            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                            (!text.is_empty()).then(|| format!(": {text}"))
                        }
                        _ => None,
                    };
                    let hint = if status.is_redirection() {
                        " (redirects are not followed: configure the final URL)"
                    } else {
                        ""
                    };
                    result.error = Some(format!(
                        "HTTP {}{hint}{}",
                        status.as_u16(),
                        snippet.unwrap_or_default()
                    ));
                }
            }
            Err(e) => result.error = Some(describe(e, timeout)),
        }
        result.duration_ms = started.elapsed().as_millis() as u64;
        result
    }
}

/// A transport error as a line of text, without the URL (it may hold a token).
fn describe(err: reqwest::Error, timeout: Duration) -> String {
    if err.is_timeout() {
        return format!("no answer within {} ms", timeout.as_millis());
    }
    let err = err.without_url();
    let mut text = if err.is_connect() {
        "cannot connect".to_string()
    } else {
        err.to_string()
    };
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.ends_with(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
    }
    text
}

/// The synthetic event `webhooks test` sends: kind `test`, a fresh id, no vendor.
pub fn test_event(webhook: &str, now: DateTime<Utc>) -> OutboxEvent {
    let id = uuid::Uuid::now_v7().to_string();
    let at = crate::store::time_text(now);
    let title = format!("statuswatch test event for webhook \"{webhook}\"");
    let payload = serde_json::json!({
        "id": id,
        "type": "test",
        "occurred_at": at,
        "detected_at": at,
        "vendor": null,
        "feed": null,
        "component": null,
        "from": null,
        "to": null,
        "title": title,
        "link": null,
        "incident": null,
        "components": [],
        "webhook": webhook,
    });
    OutboxEvent {
        seq: 0,
        id,
        kind: "test".into(),
        occurred_at: at.clone(),
        detected_at: at,
        vendor: None,
        feed_title: None,
        category: None,
        component: None,
        from_state: None,
        to_state: None,
        title: Some(title),
        link: None,
        components: Vec::new(),
        payload: payload.to_string(),
    }
}

/// One event as one JSON line (outbox fields plus the payload: the `events --format json`
/// shape), newline included. For `events` and `run --events-stdout`.
pub fn event_json_line(event: &EventRow) -> Result<String, serde_json::Error> {
    let mut line = serde_json::to_string(event)?;
    line.push('\n');
    Ok(line)
}

/// Writes and flushes one event line; a closed pipe is an `Err` of kind `BrokenPipe`, which a
/// caller should treat as "the reader has gone".
pub fn write_event_line(out: &mut impl Write, event: &EventRow) -> io::Result<()> {
    let line = event_json_line(event).map_err(io::Error::other)?;
    out.write_all(line.as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_backoff_spans_about_a_day() {
        let policy = DeliveryPolicy::default();
        assert_eq!(policy.backoff(1), Duration::from_secs(30));
        assert_eq!(policy.backoff(2), Duration::from_secs(60));
        assert_eq!(policy.backoff(11), Duration::from_secs(8 * 3600));
        assert_eq!(policy.backoff(40), Duration::from_secs(8 * 3600));
        let total: Duration = (1..policy.max_attempts).map(|n| policy.backoff(n)).sum();
        let hours = total.as_secs_f64() / 3600.0;
        assert!((20.0..30.0).contains(&hours), "{hours} h");
    }

    #[test]
    fn jitter_stays_within_a_fifth_and_retry_after_is_honoured_up_to_the_cap() {
        let policy = DeliveryPolicy::default();
        for _ in 0..100 {
            let w = policy.next_wait(3, None).as_secs_f64();
            assert!((96.0..=144.0).contains(&w), "{w}");
        }
        let asked = policy.next_wait(1, Some(Duration::from_secs(600)));
        assert_eq!(asked, Duration::from_secs(600));
        let capped = policy.next_wait(1, Some(Duration::from_secs(86_400 * 7)));
        assert_eq!(capped, policy.max_retry);
    }

    #[test]
    fn urls_are_shown_without_paths_or_queries() {
        let u = url::Url::parse("https://hooks.slack.com/services/T0/B0/secret").unwrap();
        assert_eq!(redact_url(&u), "https://hooks.slack.com/…");
        let u = url::Url::parse("http://127.0.0.1:8080/?token=x").unwrap();
        assert_eq!(redact_url(&u), "http://127.0.0.1:8080/…");
        let u = url::Url::parse("https://example.com").unwrap();
        assert_eq!(redact_url(&u), "https://example.com/");
    }

    #[test]
    fn the_test_event_is_valid_json_with_its_own_id() {
        let e = test_event("ops", Utc::now());
        let v: serde_json::Value = serde_json::from_str(&e.payload).unwrap();
        assert_eq!(v["type"], "test");
        assert_eq!(v["id"], e.id.as_str());
        assert_eq!(v["webhook"], "ops");
    }

    #[test]
    fn event_lines_are_single_json_lines() {
        let row = EventRow {
            seq: 4,
            id: "e".into(),
            kind: "state_change".into(),
            occurred_at: "2025-10-20T07:11:00Z".into(),
            detected_at: "2025-10-20T07:12:00Z".into(),
            vendor: Some("zoom".into()),
            component: None,
            from_state: Some("operational".into()),
            to_state: Some("outage".into()),
            title: Some("a\nb".into()),
            link: None,
            payload: serde_json::json!({"id": "e"}),
        };
        let mut out = Vec::new();
        write_event_line(&mut out, &row).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches('\n').count(), 1);
        let v: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(v["seq"], 4);
        assert_eq!(v["payload"]["id"], "e");
    }
}
