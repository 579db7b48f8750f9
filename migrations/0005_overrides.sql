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

-- Views show the overrides: `override` is the reason where a person's word stands.
DROP VIEW current_status;
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

DROP VIEW outages;
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
      LEFT JOIN overrides o ON o.incident_id = i.id)
WHERE status IN ('outage', 'degraded') AND override_status IS NOT 'informational';
