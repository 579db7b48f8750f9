-- why: an AWS-style chain looks up its incidents by (feed, chain, start time) on every new item;
-- without this index that lookup reads every incident of the feed, which grows with the archive.
CREATE INDEX incidents_chain ON incidents (feed_id, chain_key, started_at) WHERE chain_key IS NOT NULL;
-- why: the README's "outage minutes per vendor this quarter" reads incidents by worst status and
-- start time; with this covering index it reads only that quarter's outages, from the index alone,
-- not every incident since the quarter began and its table row.
CREATE INDEX incidents_worst ON incidents (worst_status, started_at, feed_id, resolved_at);
