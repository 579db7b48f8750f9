-- why: issue 4, fetching like a good citizen. Feeds keep the state that polite fetching and
-- visible health need: when the current failure streak began and whether `feed_failing` was
-- raised for it, since when the server says the feed is gone (404/410), and a permanent
-- redirect seen on consecutive fetches (the stored URL moves only once it is confirmed).
-- The fetch log records where a redirected fetch ended. feed_health shows all of it.
ALTER TABLE feeds ADD COLUMN failing_since TEXT;
ALTER TABLE feeds ADD COLUMN failing_notified_at TEXT;
ALTER TABLE feeds ADD COLUMN gone_since TEXT;
ALTER TABLE feeds ADD COLUMN redirect_url TEXT;
ALTER TABLE feeds ADD COLUMN redirect_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fetches ADD COLUMN final_url TEXT;

DROP VIEW feed_health;
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
