-- why: an AWS-style chain looks up its incidents by (feed, chain, start time) on every new item;
-- without this index that lookup reads every incident of the feed, which grows with the archive.
CREATE INDEX incidents_chain ON incidents (feed_id, chain_key, started_at) WHERE chain_key IS NOT NULL;
