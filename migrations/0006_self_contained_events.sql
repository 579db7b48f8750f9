-- Events carry everything delivery needs in their own payload (the feed's category, the
-- incident's components, the link), so renaming or removing a feed later changes nothing
-- about what is delivered or which filters match. Events written before this carried them
-- only through joins; copy them in once, from the rows they point at today.
UPDATE events
SET payload = json_set(payload, '$.feed.category',
                       (SELECT f.category FROM feeds f WHERE f.id = events.feed_id))
WHERE json_valid(payload)
  AND json_type(payload, '$.feed') = 'object'
  AND json_type(payload, '$.feed.category') IS NULL
  AND (SELECT f.category FROM feeds f WHERE f.id = events.feed_id) IS NOT NULL;

UPDATE events
SET payload = json_set(payload, '$.incident.components',
                       json((SELECT i.components FROM incidents i WHERE i.id = events.incident_id)))
WHERE json_valid(payload)
  AND json_type(payload, '$.incident') = 'object'
  AND json_type(payload, '$.incident.components') IS NULL
  AND (SELECT json_valid(i.components) FROM incidents i WHERE i.id = events.incident_id);

UPDATE events
SET payload = json_set(payload, '$.link', link)
WHERE json_valid(payload)
  AND json_type(payload, '$.link') IS NULL
  AND link IS NOT NULL;
