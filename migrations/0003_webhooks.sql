-- why: webhook delivery (issue 6). Delivery state must live in SQLite so a restart resumes
-- where it stopped: `webhooks` remembers each configured webhook (by name) and how far it has
-- read the outbox; `webhook_queue` holds the events a webhook still owes (pending, with the
-- next attempt time) and its dead letters; `deliveries` stays the log of every attempt and
-- gains the attempt's duration. The old pending index is replaced: the queue answers "what is
-- due", the log is read per webhook and outcome.

CREATE TABLE webhooks (
    name       TEXT    PRIMARY KEY,
    added_at   TEXT    NOT NULL,
    start_seq  INTEGER NOT NULL,
    cursor_seq INTEGER NOT NULL,
    seen_at    TEXT    NOT NULL
) WITHOUT ROWID;

CREATE TABLE webhook_queue (
    webhook         TEXT    NOT NULL REFERENCES webhooks (name) ON DELETE CASCADE,
    event_seq       INTEGER NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
    state           TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    budget_from     INTEGER NOT NULL DEFAULT 0,
    queued_at       TEXT    NOT NULL,
    next_attempt_at TEXT    NOT NULL,
    leased_until    TEXT,
    last_attempt_at TEXT,
    last_code       INTEGER,
    last_error      TEXT,
    PRIMARY KEY (webhook, event_seq)
) WITHOUT ROWID;
CREATE INDEX webhook_queue_dead ON webhook_queue (state, webhook) WHERE state = 'dead';

ALTER TABLE deliveries ADD COLUMN duration_ms INTEGER;
DROP INDEX deliveries_pending;
CREATE INDEX deliveries_webhook ON deliveries (webhook, outcome);
