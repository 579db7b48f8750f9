-- One incident seen through two sources of one vendor (its Atom feed and its status API) is
-- one incident: the later row points at the first (`same_as`), and the views and `history`
-- count only the first. Matched by the incident's page (`link`), which both sources give.
ALTER TABLE incidents ADD COLUMN same_as INTEGER REFERENCES incidents (id) ON DELETE SET NULL;
CREATE INDEX incidents_link ON incidents (link) WHERE link IS NOT NULL;

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
      LEFT JOIN overrides o ON o.incident_id = i.id
      WHERE i.same_as IS NULL)
WHERE status IN ('outage', 'degraded') AND override_status IS NOT 'informational';
