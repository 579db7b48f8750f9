//! Each webhook's task: queue the new outbox events its filter accepts, claim the queue's head
//! under a lease, attempt it, and record the outcome (delivered, retry at a time, dead letter).
//! The queue is in SQLite, so a restart goes on where it stopped; the HTTP runs here, on the
//! async runtime, never on the writer thread.

use super::{mail, send};
use super::{DeliverError, DeliveryPolicy, DeliveryReport, Webhook};
use crate::model::StoredEvent;
use crate::store::writer::Writer;
use crate::store::{AttemptOutcome, AttemptRecord, Claim, StoreError};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// Events read from the outbox per queueing transaction.
const ENQUEUE_BATCH: usize = 500;
/// Attempts are not started with less time than this left before a deadline.
const MIN_ATTEMPT: Duration = Duration::from_millis(100);

/// What every webhook's task shares.
pub(super) struct Inner {
    pub(super) webhooks: Vec<Arc<Webhook>>,
    pub(super) policy: DeliveryPolicy,
    pub(super) writer: Writer,
    pub(super) client: reqwest::Client,
    pub(super) wake: watch::Sender<u64>,
    /// Told of every recorded attempt (`run --listen`'s metrics).
    pub(super) observer: std::sync::OnceLock<super::AttemptObserver>,
}

/// What one step of a webhook's task did.
enum Step {
    Attempted(DeliveryReport),
    Wait(DateTime<Utc>),
    Idle,
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
                        hook.filter.matches(&e.payload)
                    })
                })
                .await?;
            queued += n;
            if read < ENQUEUE_BATCH {
                return Ok(queued);
            }
        }
    }

    /// One attempt at sending `event` to `hook`: a mail for an email channel, else a POST.
    pub(super) async fn attempt(
        &self,
        hook: &Webhook,
        event: &StoredEvent,
        timeout: Duration,
    ) -> send::AttemptResult {
        match &hook.email {
            Some(email) => mail::send(email, &self.policy.network, event, timeout).await,
            None => send::send(&self.client, hook, event, timeout).await,
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
        let result = self.attempt(hook, &event, timeout).await;
        let failures = failures + 1;
        let mut report = DeliveryReport::default();
        // (An SMTP reply is never 410, but the rule is HTTP's: it is not applied to mail.)
        let outcome = if result.status == Some(410) && hook.email.is_none() {
            // Standard Webhooks: 410 Gone means the endpoint is no more; stop sending, keep the
            // queue for a person to re-enable.
            report.failed = 1;
            tracing::warn!(webhook = %hook.name, event = %event.payload.id, seq = event.seq,
                error = result.error.as_deref().unwrap_or(""),
                "The receiver answered 410 Gone: webhook disabled, its queue kept (`statuswatch webhooks enable NAME` turns it back on).");
            AttemptOutcome::Gone
        } else if result.is_success() {
            report.delivered = 1;
            tracing::info!(webhook = %hook.name, event = %event.payload.id, seq = event.seq,
                status = result.status, "Delivered event.");
            AttemptOutcome::Delivered
        } else if failures >= self.policy.max_attempts || result.permanent {
            report.dead = 1;
            tracing::warn!(webhook = %hook.name, event = %event.payload.id, seq = event.seq,
                attempts = failures, error = result.error.as_deref().unwrap_or(""),
                "Giving up on event: it is now a dead letter (see `statuswatch webhooks dead`).");
            AttemptOutcome::Dead
        } else {
            report.failed = 1;
            let wait = self.policy.next_wait(failures, result.retry_after);
            let next_attempt_at = Utc::now() + wait;
            tracing::warn!(webhook = %hook.name, event = %event.payload.id, seq = event.seq,
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
        let observed = self.observer.get().map(|f| (Arc::clone(f), record.clone()));
        self.writer.run(move |s| s.record_attempt(&record)).await?;
        if let Some((observer, record)) = observed {
            observer(&record);
        }
        Ok(Step::Attempted(report))
    }

    /// [`Deliverer::deliver_pending`] for one webhook.
    pub(super) async fn drain(
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
    pub(super) async fn work(
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
}
