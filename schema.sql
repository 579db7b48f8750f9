-- statuswatch: the whole current schema, for people to read.
--
-- The database is built by the numbered files in migrations/ (applied on open, tracked by
-- PRAGMA user_version); a test checks that they produce exactly this schema.
-- Times are UTC RFC 3339 text ('2025-10-20T07:11:00Z'), so they sort and compare as text and
-- work with SQLite's date functions. Lists (components) are JSON arrays in text columns.
-- Statuses: outage > degraded > maintenance > informational; and resolved.
-- Service states: operational, informational, maintenance, degraded, outage.

-- One row per feed URL: what it is, its HTTP validators, and its health.
CREATE TABLE feeds (
    id                   INTEGER PRIMARY KEY,
    url                  TEXT    NOT NULL UNIQUE,
    title                TEXT    NOT NULL,
    vendor               TEXT    NOT NULL,
    engine               TEXT,                       -- NULL: detected from the document
    category             TEXT,
    html_url             TEXT,
    schedule             TEXT,                       -- cron expression overriding the global one
    enabled              INTEGER NOT NULL DEFAULT 1,
    added_at             TEXT    NOT NULL,
    etag                 TEXT,                       -- conditional GET validators
    last_modified        TEXT,
    detected_engine      TEXT,                       -- what the last parse found
    last_fetch_at        TEXT,
    last_success_at      TEXT,
    last_http_status     INTEGER,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT,
    next_fetch_at        TEXT,                       -- not fetched before this time (backoff)
    failing_since        TEXT,                       -- first failure of the current streak
    failing_notified_at  TEXT,                       -- when feed_failing was raised for it
    gone_since           TEXT,                       -- first of consecutive 404/410 answers
    redirect_url         TEXT,                       -- a permanent redirect seen lately...
    redirect_count       INTEGER NOT NULL DEFAULT 0, -- ...on this many fetches in a row
    selector             TEXT,                       -- a watched page: CSS selector of the state text
    expect               TEXT,                       -- ...and the regex that text matches when all is well
    reported_state       TEXT,                       -- JSON: what a status API or page says now
    runs_on              TEXT,                       -- 'aws:us-east-1,cloudflare': what it runs on
    auth_env             TEXT                        -- environment variable holding the Authorization header
);
CREATE INDEX feeds_vendor ON feeds (vendor);

-- The fetch log: one row per fetch that brought a document, failed or was redirected; a plain
-- 304 Not Modified only updates the feed's health columns (last_fetch_at, last_success_at,
-- last_http_status). Pruned by age.
CREATE TABLE fetches (
    id          INTEGER PRIMARY KEY,
    feed_id     INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    started_at  TEXT    NOT NULL,
    duration_ms INTEGER NOT NULL,
    http_status INTEGER,
    bytes       INTEGER,
    -- ok, not_modified, http_error, connect_error, timeout, too_large, not_a_feed, parse_error, ...
    outcome     TEXT    NOT NULL,
    repaired    INTEGER NOT NULL DEFAULT 0,          -- the body needed the repair pre-pass
    entries     INTEGER,                             -- entries in the document
    error       TEXT,
    final_url   TEXT,                                -- where redirects led, when they did
    notes       TEXT                                 -- what the parser said of the document, one a line
);
CREATE INDEX fetches_feed_started ON fetches (feed_id, started_at);
CREATE INDEX fetches_started ON fetches (started_at);

-- Incidents: entries grouped (a Statuspage entry is one incident; AWS items of one
-- service-region chain until resolved).
CREATE TABLE incidents (
    id           INTEGER PRIMARY KEY,
    feed_id      INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    incident_key TEXT    NOT NULL,                   -- the entry key, or chain key + '#' + start time
    chain_key    TEXT,                               -- AWS-style service-region chains; NULL otherwise
    title        TEXT    NOT NULL,
    link         TEXT,
    status       TEXT    NOT NULL,                   -- as of the newest entry
    worst_status TEXT    NOT NULL,                   -- worst reached while open
    phase        TEXT,
    severity     TEXT,                               -- the vendor's own word
    components   TEXT    NOT NULL DEFAULT '[]',
    started_at   TEXT    NOT NULL,                   -- the first update's time
    resolved_at  TEXT,                               -- the resolving update's own time
    updated_at   TEXT    NOT NULL,
    same_as      INTEGER REFERENCES incidents (id) ON DELETE SET NULL, -- first seen through another source of the vendor
    UNIQUE (feed_id, incident_key)
);
CREATE INDEX incidents_started ON incidents (started_at);
CREATE INDEX incidents_open ON incidents (feed_id, chain_key) WHERE resolved_at IS NULL;
-- Chain lookups (which incident of a service-region an item belongs to) at any archive size.
CREATE INDEX incidents_chain ON incidents (feed_id, chain_key, started_at) WHERE chain_key IS NOT NULL;
-- Outage statistics by worst status and time (the `outages` view), without reading the table.
CREATE INDEX incidents_worst ON incidents (worst_status, started_at, feed_id, resolved_at);
-- Finding the same incident through another source of the vendor (`same_as`).
CREATE INDEX incidents_link ON incidents (link) WHERE link IS NOT NULL;
-- A vendor's incidents newest first (the API's and the board's lists, a vendor's days).
CREATE INDEX incidents_feed_started ON incidents (feed_id, started_at);
-- Incidents of one status newest first (the API's status filter).
CREATE INDEX incidents_status_started ON incidents (status, started_at);

-- One row per (feed, entry id), with its current classification.
CREATE TABLE entries (
    id            INTEGER PRIMARY KEY,
    feed_id       INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    entry_key     TEXT    NOT NULL,                  -- Atom id / RSS guid, or a derived key
    key_derived   INTEGER NOT NULL DEFAULT 0,
    title         TEXT    NOT NULL,
    link          TEXT,
    published_at  TEXT,
    updated_at    TEXT,
    started_at    TEXT,                              -- first update, else published: matches reposts
    first_seen_at TEXT    NOT NULL,
    last_seen_at  TEXT    NOT NULL,
    content_hash  TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    phase         TEXT,
    rule          TEXT    NOT NULL,                  -- the classification rule that decided
    severity      TEXT,
    components    TEXT    NOT NULL DEFAULT '[]',
    incident_id   INTEGER REFERENCES incidents (id) ON DELETE SET NULL,
    last_fetch_id INTEGER,                           -- the newest fetch whose document held it
    UNIQUE (feed_id, entry_key)
);
CREATE INDEX entries_incident ON entries (incident_id);
CREATE INDEX entries_repost ON entries (feed_id, title, started_at);

-- Every distinct version of an entry, kept whole so the archive can be re-classified when the
-- rules change: its text in `content`, everything else parsed from it (title, dates, timeline,
-- components...) as JSON in `entry_json` (older rows hold the text there too).
CREATE TABLE entry_revisions (
    id           INTEGER PRIMARY KEY,
    entry_id     INTEGER NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    revision     INTEGER NOT NULL,                   -- 1, 2, ...
    seen_at      TEXT    NOT NULL,
    content_hash TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    content      TEXT    NOT NULL,
    entry_json   TEXT    NOT NULL,
    status       TEXT    NOT NULL,                   -- the classification when stored
    UNIQUE (entry_id, revision)
);

-- The timeline inside an entry: one row per vendor update (time, status word, text).
CREATE TABLE updates (
    id          INTEGER PRIMARY KEY,
    entry_id    INTEGER NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    posted_at   TEXT,
    label       TEXT    NOT NULL,
    phase       TEXT,
    text        TEXT    NOT NULL,
    update_hash TEXT    NOT NULL,
    first_seen_at TEXT  NOT NULL,
    UNIQUE (entry_id, update_hash)
);

-- Current state per (feed, component); component '' is the service as a whole.
CREATE TABLE service_state (
    feed_id     INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    component   TEXT    NOT NULL DEFAULT '',
    state       TEXT    NOT NULL,
    since       TEXT    NOT NULL,
    incident_id INTEGER REFERENCES incidents (id) ON DELETE SET NULL,
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (feed_id, component)
) WITHOUT ROWID;

-- The outbox: state changes, written in the same transaction as the data that caused them.
-- `payload` is self-contained (model::event::EventPayload; docs/webhooks.md): delivery and
-- `events` read nothing else, so a feed renamed or removed later changes no event. The other
-- columns repeat its facts for SQL.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,   -- a cursor for `events --follow`
    id          TEXT    NOT NULL UNIQUE,             -- UUIDv7: the idempotency key (webhook-id)
    kind        TEXT    NOT NULL,                    -- state_change, feed_failing, feed_recovered, network_down
    occurred_at TEXT    NOT NULL,                    -- the vendor's time
    detected_at TEXT    NOT NULL,                    -- ours
    feed_id     INTEGER REFERENCES feeds (id) ON DELETE SET NULL,
    vendor      TEXT,
    component   TEXT,
    from_state  TEXT,
    to_state    TEXT,
    incident_id INTEGER REFERENCES incidents (id) ON DELETE SET NULL,
    entry_id    INTEGER REFERENCES entries (id) ON DELETE SET NULL,
    title       TEXT,
    link        TEXT,
    payload     TEXT    NOT NULL                     -- JSON, sent as is by webhooks
);
CREATE INDEX events_vendor ON events (vendor, seq);
CREATE INDEX events_detected ON events (detected_at);

-- Every configured webhook statuswatch has seen (by name: renaming makes a new webhook) and
-- how far it has read the outbox. A webhook starts after the newest event that existed when
-- it was first configured: it is not sent the history.
CREATE TABLE webhooks (
    name       TEXT    PRIMARY KEY,
    added_at   TEXT    NOT NULL,
    start_seq  INTEGER NOT NULL,                     -- events after this one are its to send
    cursor_seq INTEGER NOT NULL,                     -- events up to this one are queued or filtered out
    seen_at    TEXT    NOT NULL,                     -- the last time a configuration named it
    disabled_at     TEXT,                            -- the receiver answered 410 Gone: nothing is sent
    disabled_reason TEXT                             -- the answer, for `webhooks list`
) WITHOUT ROWID;

-- What each webhook still owes: pending events (sent in seq order, one at a time; a pending
-- head holds back later ones) and dead letters (retries exhausted; `webhooks retry` re-drives
-- them). A delivered event leaves the queue; its attempts stay in `deliveries`.
-- next_attempt_at and leased_until are RFC 3339 with milliseconds, compared only to each other.
CREATE TABLE webhook_queue (
    webhook         TEXT    NOT NULL REFERENCES webhooks (name) ON DELETE CASCADE,
    event_seq       INTEGER NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
    state           TEXT    NOT NULL DEFAULT 'pending', -- pending, dead
    attempts        INTEGER NOT NULL DEFAULT 0,      -- attempts made, over all re-drives
    budget_from     INTEGER NOT NULL DEFAULT 0,      -- attempts made before the last re-drive
    queued_at       TEXT    NOT NULL,
    next_attempt_at TEXT    NOT NULL,
    leased_until    TEXT,                            -- an attempt is in flight until then
    last_attempt_at TEXT,
    last_code       INTEGER,                         -- the last answer's HTTP status
    last_error      TEXT,
    PRIMARY KEY (webhook, event_seq)
) WITHOUT ROWID;
CREATE INDEX webhook_queue_dead ON webhook_queue (state, webhook) WHERE state = 'dead';

-- Webhook delivery attempts, one row per attempt (the log; `webhook_queue` holds the state).
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    event_seq       INTEGER NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
    webhook         TEXT    NOT NULL,
    attempt         INTEGER NOT NULL,                -- 1, 2, ... per (event, webhook)
    attempted_at    TEXT    NOT NULL,
    outcome         TEXT    NOT NULL,                -- delivered, failed, dead (the last failure)
    response_code   INTEGER,
    error           TEXT,
    next_attempt_at TEXT,                            -- after a failure: when the next one is due
    duration_ms     INTEGER,
    UNIQUE (event_seq, webhook, attempt)
);
CREATE INDEX deliveries_webhook ON deliveries (webhook, outcome);

-- A person's corrections of the archive (`statuswatch override`): an incident's status, or a
-- vendor's (or one component's) state, with the reason. Kept apart from what the vendor said,
-- so a new fetch or `reclassify` never undoes one; removing the row undoes it.
CREATE TABLE overrides (
    id          INTEGER PRIMARY KEY,
    feed_id     INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    incident_id INTEGER REFERENCES incidents (id) ON DELETE CASCADE,  -- NULL: a state override
    component   TEXT    NOT NULL DEFAULT '',                         -- state override: '' = the whole service
    status      TEXT    NOT NULL,   -- incident: outage, degraded, maintenance, resolved, informational;
                                    -- state: operational, maintenance, degraded, outage
    reason      TEXT    NOT NULL,
    created_at  TEXT    NOT NULL
);
CREATE UNIQUE INDEX overrides_incident ON overrides (incident_id) WHERE incident_id IS NOT NULL;
CREATE UNIQUE INDEX overrides_state ON overrides (feed_id, component) WHERE incident_id IS NULL;


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

-- Current state per vendor and component, worst first when ordered by severity DESC.
CREATE VIEW current_status AS
SELECT f.id                                  AS feed_id,
       f.vendor                              AS vendor,
       f.title                               AS feed,
       f.category                            AS category,
       COALESCE(s.component, '')             AS component,
       COALESCE(s.state, 'unknown')          AS state,
       CASE COALESCE(s.state, 'unknown')
           WHEN 'outage' THEN 5 WHEN 'degraded' THEN 4 WHEN 'maintenance' THEN 3
           WHEN 'informational' THEN 2 WHEN 'unknown' THEN 1 ELSE 0 END AS severity,
       s.since                               AS since,
       i.title                               AS incident,
       COALESCE(i.link, f.html_url)          AS link,
       f.last_success_at                     AS checked_at,
       COALESCE(so.reason, io.reason)        AS override
FROM feeds f
LEFT JOIN service_state s ON s.feed_id = f.id
LEFT JOIN incidents i ON i.id = s.incident_id
LEFT JOIN overrides so ON so.feed_id = f.id AND so.incident_id IS NULL
                      AND so.component = COALESCE(s.component, '')
LEFT JOIN overrides io ON io.incident_id = i.id
WHERE f.enabled;

-- Unplanned incidents (outage or degraded at worst) with their durations in minutes;
-- ongoing ones count up to now. A person's override stands over the vendor's word: an incident
-- marked resolved ends then, one marked informational (a false alarm) is no outage.
CREATE VIEW outages AS
SELECT incident_id, vendor, feed, title, status, started_at, resolved_at,
       ROUND((julianday(COALESCE(resolved_at, 'now')) - julianday(started_at)) * 1440.0, 1)
                                             AS duration_minutes,
       resolved_at IS NULL                   AS ongoing,
       components, link, override
FROM (SELECT i.id                            AS incident_id,
             f.vendor                        AS vendor,
             f.title                         AS feed,
             i.title                         AS title,
             CASE WHEN o.status IN ('outage', 'degraded') THEN o.status
                  ELSE i.worst_status END    AS status,
             i.started_at                    AS started_at,
             CASE WHEN o.status = 'resolved' THEN COALESCE(i.resolved_at, o.created_at)
                  WHEN o.status IN ('outage', 'degraded', 'maintenance') THEN NULL
                  ELSE i.resolved_at END     AS resolved_at,
             i.components                    AS components,
             i.link                          AS link,
             o.reason                        AS override,
             o.status                        AS override_status
      FROM incidents i
      JOIN feeds f ON f.id = i.feed_id
      LEFT JOIN overrides o ON o.incident_id = i.id
      WHERE i.same_as IS NULL)
WHERE status IN ('outage', 'degraded') AND override_status IS NOT 'informational';

-- Feed health at a glance: which feeds are broken, since when, why, and when they are tried
-- again. health: disabled, never fetched, gone (404/410), ok, failing.
CREATE VIEW feed_health AS
SELECT f.id, f.vendor, f.title, f.url, f.enabled,
       CASE WHEN NOT f.enabled THEN 'disabled'
            WHEN f.last_fetch_at IS NULL THEN 'never fetched'
            WHEN f.gone_since IS NOT NULL THEN 'gone'
            WHEN f.consecutive_failures = 0 THEN 'ok'
            ELSE 'failing' END               AS health,
       f.last_fetch_at, f.last_success_at, f.last_http_status,
       f.consecutive_failures, f.failing_since, f.gone_since, f.last_error, f.next_fetch_at,
       f.redirect_url                        AS moving_to
FROM feeds f;
