-- why: a receiver answering 410 Gone says the endpoint no longer exists (Standard Webhooks
-- asks senders to stop), so its webhook is disabled: nothing more is sent to it and its queue
-- is kept (pending, not dead-lettered) until `statuswatch webhooks enable NAME`. When and why
-- it was disabled are kept for `webhooks list`.
ALTER TABLE webhooks ADD COLUMN disabled_at TEXT;
ALTER TABLE webhooks ADD COLUMN disabled_reason TEXT;
