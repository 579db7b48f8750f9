-- What a vendor runs on (OPML `runs_on`): `provider:region` items separated by commas, each
-- provider another feed's vendor key. NULL: not known.
ALTER TABLE feeds ADD COLUMN runs_on TEXT;

-- Correlated outages: vendors that left operational together, more than chance explains.
-- Written by the correlate stage with the `correlated_outage` events they raise, in one
-- transaction. The id is the events' `cluster_id`.
CREATE TABLE clusters (
    id            INTEGER PRIMARY KEY,
    started_at    TEXT    NOT NULL,                  -- the first member's departure
    opened_at     TEXT    NOT NULL,                  -- when it was judged no chance
    last_event_at TEXT    NOT NULL,                  -- its newest message (grew waits a window)
    resolved_at   TEXT,                              -- every member operational again
    phase         TEXT    NOT NULL,                  -- opened, grew, resolved: its newest message
    cause_vendor  TEXT,                              -- the suspected cause, when there is one
    cause_region  TEXT,
    cause_why     TEXT,
    chance        REAL    NOT NULL                   -- how likely chance alone made the burst
);
CREATE INDEX clusters_open ON clusters (started_at) WHERE resolved_at IS NULL;

-- A cluster's members: one row per vendor.
CREATE TABLE cluster_members (
    cluster_id  INTEGER NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    vendor      TEXT    NOT NULL,
    since       TEXT    NOT NULL,                    -- its incident's start, as the vendor dates it
    state       TEXT    NOT NULL,                    -- its state when the cluster was last planned
    incident_id INTEGER REFERENCES incidents (id) ON DELETE SET NULL,
    announced   INTEGER NOT NULL DEFAULT 0,          -- listed in a message already
    PRIMARY KEY (cluster_id, vendor)
) WITHOUT ROWID;
CREATE INDEX cluster_members_vendor ON cluster_members (vendor);
