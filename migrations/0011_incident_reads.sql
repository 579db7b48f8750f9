-- A vendor's incidents newest first (the API's and the board's lists, a vendor's days),
-- without reading every incident of the archive.
CREATE INDEX incidents_feed_started ON incidents (feed_id, started_at);
