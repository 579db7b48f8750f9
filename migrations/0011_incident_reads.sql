-- A vendor's incidents newest first (the API's and the board's lists, a vendor's days),
-- without reading every incident of the archive.
CREATE INDEX incidents_feed_started ON incidents (feed_id, started_at);
-- Incidents of one status newest first (the API's status filter), same reason.
CREATE INDEX incidents_status_started ON incidents (status, started_at);
