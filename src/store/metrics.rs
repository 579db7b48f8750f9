//! SQL for `/metrics`: what the database holds, read at scrape time in one read transaction.
//!
//! Every query here is answered by a small table (feeds, webhooks, the queue), an index or a
//! rowid bound, never by a scan of the archive: a scrape stays cheap at millions of entries.
//! Entries, revisions and incidents are counted by their highest id (an upper bound: rows of a
//! removed feed, or incidents merged away by `reclassify`, are not subtracted). The outbox is
//! counted incrementally from a sequence number the caller keeps (see [`ArchiveMetrics`]).

use super::{parse_time_text, Store, StoreError};
use std::path::Path;

/// One enabled feed's health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedGaugeRow {
    pub id: i64,
    pub vendor: String,
    pub title: String,
    /// Unix seconds of the last successful fetch (a 304 included); `None` before the first.
    pub last_success: Option<i64>,
    pub consecutive_failures: i64,
}

/// One webhook's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookQueueRow {
    pub webhook: String,
    /// Events waiting to be delivered (dead letters not included).
    pub pending: i64,
    pub dead: i64,
}

/// What a scrape reads from the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveMetrics {
    pub feeds: Vec<FeedGaugeRow>,
    /// Every vendor with an enabled feed and its overall state: the worst of its feeds'
    /// service-wide states as `current_status` ranks them (`unknown` before any fetch).
    pub vendor_states: Vec<(String, String)>,
    pub webhooks: Vec<WebhookQueueRow>,
    /// Outbox events with `seq` in `counted_after..=last_seq`, by kind. The outbox is
    /// append-only (nothing deletes events), so adding these to earlier counts gives exact
    /// totals.
    pub new_events: Vec<(String, u64)>,
    /// The `after` the events were counted from: the caller's, or 0 when the outbox ends
    /// before it (another database), and then earlier counts are void.
    pub counted_after: i64,
    /// The outbox's highest `seq` now: the next scrape's `after`.
    pub last_seq: i64,
    /// Highest ids (see the module doc).
    pub max_entry_id: i64,
    pub max_revision_id: i64,
    pub max_incident_id: i64,
    /// The main file's pages (`page_count` × `page_size`) plus the WAL file beside it.
    pub database_bytes: u64,
}

/// The queries of a scrape; `tests` checks that none scans the archive.
const FEEDS_SQL: &str = "SELECT id, vendor, title, last_success_at, consecutive_failures
     FROM feeds WHERE enabled ORDER BY id";
const VENDOR_STATES_SQL: &str = "SELECT vendor, state, MAX(severity) FROM current_status
     WHERE component = '' GROUP BY vendor ORDER BY vendor";
const WEBHOOK_QUEUES_SQL: &str = "SELECT w.name,
     (SELECT count(*) FROM webhook_queue q
     WHERE q.webhook = w.name AND q.state = 'pending'),
     (SELECT count(*) FROM webhook_queue q
     WHERE q.webhook = w.name AND q.state = 'dead')
     FROM webhooks w ORDER BY w.name";
const LAST_SEQ_SQL: &str = "SELECT COALESCE(MAX(seq), 0) FROM events";
const NEW_EVENTS_SQL: &str = "SELECT kind, count(*) FROM events WHERE seq > ?1 AND seq <= ?2
     GROUP BY kind ORDER BY kind";
const MAX_IDS_SQL: &str = "SELECT (SELECT COALESCE(MAX(id), 0) FROM entries),
     (SELECT COALESCE(MAX(id), 0) FROM entry_revisions),
     (SELECT COALESCE(MAX(id), 0) FROM incidents)";

impl Store {
    /// Reads everything `/metrics` exports from the database, counting outbox events after
    /// `after` (0 for all). One read transaction, so the numbers agree with each other.
    pub fn archive_metrics(&self, after: i64) -> Result<ArchiveMetrics, StoreError> {
        // Read-only and deferred: it only pins a snapshot.
        let tx = self.conn.unchecked_transaction()?;
        let feeds = tx
            .prepare_cached(FEEDS_SQL)?
            .query_map([], |r| {
                let last: Option<String> = r.get(3)?;
                Ok(FeedGaugeRow {
                    id: r.get(0)?,
                    vendor: r.get(1)?,
                    title: r.get(2)?,
                    last_success: last
                        .as_deref()
                        .and_then(parse_time_text)
                        .map(|t| t.timestamp()),
                    consecutive_failures: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        // SQLite takes the bare `state` from the row holding MAX(severity).
        let vendor_states = tx
            .prepare_cached(VENDOR_STATES_SQL)?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        let webhooks = tx
            .prepare_cached(WEBHOOK_QUEUES_SQL)?
            .query_map([], |r| {
                Ok(WebhookQueueRow {
                    webhook: r.get(0)?,
                    pending: r.get(1)?,
                    dead: r.get(2)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        // A range of the rowid: only the events since the last scrape are read. An outbox that
        // ends before `after` is another database (restored from a backup): count it all.
        let last_seq: i64 = tx.query_row(LAST_SEQ_SQL, [], |r| r.get(0))?;
        let counted_after = if last_seq < after { 0 } else { after };
        let new_events = tx
            .prepare_cached(NEW_EVENTS_SQL)?
            .query_map([counted_after, last_seq], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })?
            .map(|row| row.map(|(kind, n)| (kind, u64::try_from(n).unwrap_or(0))))
            .collect::<Result<Vec<_>, _>>()?;
        let (max_entry_id, max_revision_id, max_incident_id): (i64, i64, i64) =
            tx.query_row(MAX_IDS_SQL, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        let pages: i64 = tx.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let page_size: i64 = tx.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        drop(tx);
        let database_bytes =
            u64::try_from(pages.saturating_mul(page_size)).unwrap_or(0) + wal_bytes(&self.path);
        Ok(ArchiveMetrics {
            feeds,
            vendor_states,
            webhooks,
            new_events,
            counted_after,
            last_seq,
            max_entry_id,
            max_revision_id,
            max_incident_id,
            database_bytes,
        })
    }
}

/// The size of the WAL beside `db` (0 when there is none: checkpointed and closed).
fn wal_bytes(db: &Path) -> u64 {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    std::fs::metadata(name).map_or(0, |m| m.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_scrape_query_scans_the_archive() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("m.db")).unwrap();
        for sql in [
            FEEDS_SQL,
            VENDOR_STATES_SQL,
            WEBHOOK_QUEUES_SQL,
            LAST_SEQ_SQL,
            NEW_EVENTS_SQL,
            MAX_IDS_SQL,
        ] {
            let sql = sql.replace("?1", "1").replace("?2", "2");
            let mut stmt = store
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            let plan: Vec<String> = stmt
                .query_map([], |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            for step in &plan {
                for table in [
                    "entries",
                    "entry_revisions",
                    "incidents",
                    "events",
                    "fetches",
                ] {
                    assert!(
                        !step.starts_with(&format!("SCAN {table}")),
                        "{sql}: {plan:?}"
                    );
                }
            }
        }
        let read = store.archive_metrics(0).unwrap();
        assert_eq!((read.last_seq, read.max_entry_id), (0, 0));
        assert!(read.database_bytes > 0);
    }
}
