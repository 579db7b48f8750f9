//! SQL for webhook delivery: the `webhooks` registry, the `webhook_queue` (what each webhook
//! still owes, and its dead letters) and the `deliveries` attempt log.
//!
//! Everything that decides (filters, backoff, dead-lettering) is in `deliver/`; these functions
//! only read and write, each write in one short `IMMEDIATE` transaction so two processes
//! delivering from one database (a daemon and a cron `poll`) serialise instead of racing.

use super::state::{event_from_row, EVENT_SELECT};
use super::{parse_time_text, time_text, Store, StoreError};
use crate::model::StoredEvent;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

/// Times in the queue carry milliseconds (backoff can be shorter than a second in tests).
fn ms_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// What the head of a webhook's queue allows now.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The head event is due and now leased to the caller for one attempt.
    Ready {
        event: Box<StoredEvent>,
        /// Failed attempts since the event was queued or last re-driven.
        failures: u32,
    },
    /// The head event waits for its next attempt (or another deliverer's attempt) until then.
    NotBefore(DateTime<Utc>),
    /// Nothing pending.
    Empty,
}

/// How an attempt ended, as the log and the queue record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered,
    Failed {
        next_attempt_at: DateTime<Utc>,
    },
    Dead,
    /// The receiver answered 410 Gone: the attempt failed, the event stays pending (due at
    /// once) and the webhook is disabled until `webhooks enable`.
    Gone,
}

/// One attempt, to be logged and applied to the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    pub webhook: String,
    pub event_seq: i64,
    pub attempted_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub response_code: Option<u16>,
    pub error: Option<String>,
    pub outcome: AttemptOutcome,
}

/// Per-webhook counts for `webhooks list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct WebhookStats {
    pub name: String,
    pub added_at: Option<String>,
    pub delivered: i64,
    pub pending: i64,
    pub dead: i64,
    pub last_delivered_at: Option<String>,
    pub last_error_at: Option<String>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<String>,
    /// When a 410 Gone disabled the webhook (None: enabled).
    pub disabled_at: Option<String>,
    pub disabled_reason: Option<String>,
}

/// One dead letter (or, from [`Store::queued_deliveries`], any queued delivery).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QueuedDelivery {
    pub webhook: String,
    pub event_seq: i64,
    pub event_id: String,
    pub state: String,
    pub attempts: i64,
    pub last_attempt_at: Option<String>,
    pub last_code: Option<i64>,
    pub last_error: Option<String>,
    pub title: Option<String>,
}

impl Store {
    /// Remembers configured webhooks. A webhook seen for the first time starts after the newest
    /// event that exists now (it is not sent the history). Returns the names that were new.
    pub fn register_webhooks(
        &mut self,
        names: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let now = time_text(now);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut added = Vec::new();
        for name in names {
            let updated = tx
                .prepare_cached("UPDATE webhooks SET seen_at = ?2 WHERE name = ?1")?
                .execute(params![name, now])?;
            if updated == 0 {
                tx.prepare_cached(
                    "INSERT INTO webhooks (name, added_at, start_seq, cursor_seq, seen_at)
                     SELECT ?1, ?2, s, s, ?2 FROM (SELECT COALESCE(MAX(seq), 0) AS s FROM events)",
                )?
                .execute(params![name, now])?;
                added.push(name.clone());
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// Reads up to `batch` events after the webhook's cursor, queues those `accept` wants and
    /// moves the cursor past all of them, in one transaction. Returns (queued, read); call
    /// again while `read == batch`. A webhook that was never registered queues nothing.
    pub fn enqueue_deliveries(
        &mut self,
        webhook: &str,
        now: DateTime<Utc>,
        batch: usize,
        accept: &dyn Fn(&StoredEvent) -> bool,
    ) -> Result<(usize, usize), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // A disabled webhook queues nothing: its cursor waits where it stopped.
        let cursor: Option<i64> = tx
            .prepare_cached(
                "SELECT cursor_seq FROM webhooks WHERE name = ?1 AND disabled_at IS NULL",
            )?
            .query_row([webhook], |r| r.get(0))
            .optional()?;
        let Some(cursor) = cursor else {
            return Ok((0, 0));
        };
        let events: Vec<StoredEvent> = tx
            .prepare_cached(&format!(
                "{EVENT_SELECT} WHERE seq > ?1 ORDER BY seq LIMIT ?2"
            ))?
            .query_map(params![cursor, batch as i64], event_from_row)?
            .collect::<Result<_, _>>()?;
        let mut queued = 0;
        let now_ms = ms_text(now);
        let now_s = time_text(now);
        for event in &events {
            if accept(event) {
                queued += tx
                    .prepare_cached(
                        "INSERT OR IGNORE INTO webhook_queue
                             (webhook, event_seq, queued_at, next_attempt_at)
                         VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute(params![webhook, event.seq, now_s, now_ms])?;
            }
        }
        if let Some(last) = events.last() {
            tx.prepare_cached("UPDATE webhooks SET cursor_seq = ?2 WHERE name = ?1")?
                .execute(params![webhook, last.seq])?;
        }
        tx.commit()?;
        Ok((queued, events.len()))
    }

    /// Looks at the head (lowest seq) of a webhook's pending events; when it is due and not
    /// leased, leases it until `lease_until` and returns it. Later events never overtake it.
    pub fn claim_delivery(
        &mut self,
        webhook: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Claim, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let disabled: bool = tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM webhooks WHERE name = ?1 AND disabled_at IS NOT NULL)",
            )?
            .query_row([webhook], |r| r.get(0))?;
        if disabled {
            return Ok(Claim::Empty);
        }
        let head: Option<(i64, i64, i64, String, Option<String>)> = tx
            .prepare_cached(
                "SELECT event_seq, attempts, budget_from, next_attempt_at, leased_until
                 FROM webhook_queue WHERE webhook = ?1 AND state = 'pending'
                 ORDER BY event_seq LIMIT 1",
            )?
            .query_row([webhook], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()?;
        let Some((seq, attempts, budget_from, next, leased)) = head else {
            return Ok(Claim::Empty);
        };
        let later = |text: Option<&str>| text.and_then(parse_time_text).filter(|t| *t > now);
        if let Some(until) = later(leased.as_deref()).or_else(|| later(Some(&next))) {
            return Ok(Claim::NotBefore(until));
        }
        tx.prepare_cached(
            "UPDATE webhook_queue SET leased_until = ?3 WHERE webhook = ?1 AND event_seq = ?2",
        )?
        .execute(params![webhook, seq, ms_text(lease_until)])?;
        let event = tx
            .prepare_cached(&format!("{EVENT_SELECT} WHERE seq = ?1"))?
            .query_row([seq], event_from_row)?;
        tx.commit()?;
        Ok(Claim::Ready {
            event: Box::new(event),
            failures: (attempts - budget_from).max(0) as u32,
        })
    }

    /// Logs one attempt in `deliveries` and applies it to the queue: a delivered event leaves
    /// it; a failed one waits for its next attempt; a dead one stays as a dead letter.
    pub fn record_attempt(&mut self, rec: &AttemptRecord) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let attempt: i64 = tx
            .prepare_cached(
                "SELECT COALESCE(MAX(attempt), 0) + 1 FROM deliveries
                 WHERE event_seq = ?1 AND webhook = ?2",
            )?
            .query_row(params![rec.event_seq, rec.webhook], |r| r.get(0))?;
        let (outcome, next) = match rec.outcome {
            AttemptOutcome::Delivered => ("delivered", None),
            AttemptOutcome::Failed { next_attempt_at } => ("failed", Some(next_attempt_at)),
            AttemptOutcome::Dead => ("dead", None),
            AttemptOutcome::Gone => ("failed", None),
        };
        let attempted_at = time_text(rec.attempted_at);
        tx.prepare_cached(
            "INSERT INTO deliveries (event_seq, webhook, attempt, attempted_at, outcome,
                                     response_code, error, next_attempt_at, duration_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            rec.event_seq,
            rec.webhook,
            attempt,
            attempted_at,
            outcome,
            rec.response_code,
            rec.error,
            next.map(time_text),
            rec.duration_ms
        ])?;
        match rec.outcome {
            AttemptOutcome::Delivered => {
                tx.prepare_cached(
                    "DELETE FROM webhook_queue WHERE webhook = ?1 AND event_seq = ?2",
                )?
                .execute(params![rec.webhook, rec.event_seq])?;
            }
            AttemptOutcome::Failed { .. } | AttemptOutcome::Dead | AttemptOutcome::Gone => {
                tx.prepare_cached(
                    "UPDATE webhook_queue SET
                         state = CASE WHEN ?3 THEN 'dead' ELSE 'pending' END,
                         attempts = attempts + 1,
                         next_attempt_at = COALESCE(?4, next_attempt_at),
                         leased_until = NULL, last_attempt_at = ?5, last_code = ?6,
                         last_error = ?7
                     WHERE webhook = ?1 AND event_seq = ?2",
                )?
                .execute(params![
                    rec.webhook,
                    rec.event_seq,
                    rec.outcome == AttemptOutcome::Dead,
                    next.map(ms_text),
                    attempted_at,
                    rec.response_code,
                    rec.error
                ])?;
            }
        }
        if rec.outcome == AttemptOutcome::Gone {
            tx.prepare_cached(
                "UPDATE webhooks SET disabled_at = ?2, disabled_reason = ?3 WHERE name = ?1",
            )?
            .execute(params![
                rec.webhook,
                attempted_at,
                rec.error.as_deref().unwrap_or("HTTP 410 Gone")
            ])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Turns a webhook a 410 Gone disabled back on: its queue (kept pending) goes out again
    /// and it reads the outbox from where it stopped. Returns whether it was disabled; `None`
    /// when no webhook has that name.
    pub fn enable_webhook(&mut self, webhook: &str) -> Result<Option<bool>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let was: Option<bool> = tx
            .prepare_cached("SELECT disabled_at IS NOT NULL FROM webhooks WHERE name = ?1")?
            .query_row([webhook], |r| r.get(0))
            .optional()?;
        if was == Some(true) {
            tx.prepare_cached(
                "UPDATE webhooks SET disabled_at = NULL, disabled_reason = NULL WHERE name = ?1",
            )?
            .execute([webhook])?;
        }
        tx.commit()?;
        Ok(was)
    }

    /// Gives up a lease without counting an attempt (the attempt never started).
    pub fn release_delivery(&mut self, webhook: &str, event_seq: i64) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "UPDATE webhook_queue SET leased_until = NULL WHERE webhook = ?1 AND event_seq = ?2",
            )?
            .execute(params![webhook, event_seq])?;
        Ok(())
    }

    /// Counts and last outcomes of each named webhook, in the order given.
    pub fn webhook_stats(&self, names: &[String]) -> Result<Vec<WebhookStats>, StoreError> {
        let mut out = Vec::new();
        for name in names {
            let mut stats = self
                .conn
                .prepare_cached(
                    "SELECT w.added_at,
                        (SELECT count(*) FROM deliveries d
                          WHERE d.webhook = w.name AND d.outcome = 'delivered'),
                        (SELECT count(*) FROM webhook_queue q
                          WHERE q.webhook = w.name AND q.state = 'pending'),
                        (SELECT count(*) FROM webhook_queue q
                          WHERE q.webhook = w.name AND q.state = 'dead'),
                        (SELECT max(attempted_at) FROM deliveries d
                          WHERE d.webhook = w.name AND d.outcome = 'delivered'),
                        (SELECT min(next_attempt_at) FROM webhook_queue q
                          WHERE q.webhook = w.name AND q.state = 'pending'),
                        w.disabled_at, w.disabled_reason
                     FROM webhooks w WHERE w.name = ?1",
                )?
                .query_row([name], |r| {
                    Ok(WebhookStats {
                        name: name.clone(),
                        added_at: r.get(0)?,
                        delivered: r.get(1)?,
                        pending: r.get(2)?,
                        dead: r.get(3)?,
                        last_delivered_at: r.get(4)?,
                        next_attempt_at: r.get(5)?,
                        disabled_at: r.get(6)?,
                        disabled_reason: r.get(7)?,
                        ..WebhookStats::default()
                    })
                })
                .optional()?
                .unwrap_or_else(|| WebhookStats {
                    name: name.clone(),
                    ..WebhookStats::default()
                });
            if let Some((at, error)) = self
                .conn
                .prepare_cached(
                    "SELECT attempted_at, COALESCE(error, 'HTTP ' || response_code) FROM deliveries
                     WHERE webhook = ?1 AND outcome <> 'delivered' ORDER BY id DESC LIMIT 1",
                )?
                .query_row([name], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?
            {
                stats.last_error_at = Some(at);
                stats.last_error = error;
            }
            out.push(stats);
        }
        Ok(out)
    }

    /// Queued deliveries in `state` (`pending` or `dead`), optionally for one webhook, oldest
    /// event first.
    pub fn queued_deliveries(
        &self,
        state: &str,
        webhook: Option<&str>,
    ) -> Result<Vec<QueuedDelivery>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT q.webhook, q.event_seq, e.id, q.state, q.attempts, q.last_attempt_at,
                    q.last_code, q.last_error, e.title
             FROM webhook_queue q JOIN events e ON e.seq = q.event_seq
             WHERE q.state = ?1 AND (?2 IS NULL OR q.webhook = ?2)
             ORDER BY q.webhook, q.event_seq",
        )?;
        let rows = stmt.query_map(params![state, webhook], |r| {
            Ok(QueuedDelivery {
                webhook: r.get(0)?,
                event_seq: r.get(1)?,
                event_id: r.get(2)?,
                state: r.get(3)?,
                attempts: r.get(4)?,
                last_attempt_at: r.get(5)?,
                last_code: r.get(6)?,
                last_error: r.get(7)?,
                title: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Puts dead letters back in the queue with a fresh retry budget, due now: those of one
    /// event (by seq) and/or one webhook, or all. Returns how many.
    pub fn redrive_dead(
        &mut self,
        webhook: Option<&str>,
        event_seq: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "UPDATE webhook_queue SET state = 'pending', budget_from = attempts,
                     next_attempt_at = ?3, leased_until = NULL
                 WHERE state = 'dead' AND (?1 IS NULL OR webhook = ?1)
                   AND (?2 IS NULL OR event_seq = ?2)",
            )?
            .execute(params![webhook, event_seq, ms_text(now)])?)
    }

    /// An event's seq from its seq or its UUID text.
    pub fn resolve_event(&self, seq_or_id: &str) -> Result<Option<i64>, StoreError> {
        let text = seq_or_id.trim();
        Ok(self
            .conn
            .prepare_cached("SELECT seq FROM events WHERE seq = ?1 OR id = ?2")?
            .query_row(params![text.parse::<i64>().ok(), text], |r| r.get(0))
            .optional()?)
    }

    /// Pending (not dead) deliveries of the named webhooks.
    pub fn pending_deliveries(&self, names: &[String]) -> Result<i64, StoreError> {
        let mut total = 0;
        for name in names {
            total += self
                .conn
                .prepare_cached(
                    "SELECT count(*) FROM webhook_queue WHERE webhook = ?1 AND state = 'pending'",
                )?
                .query_row([name], |r| r.get::<_, i64>(0))?;
        }
        Ok(total)
    }
}
