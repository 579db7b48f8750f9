//! SQL for `feeds` and `fetches`: the catalog in the database, validators, health, the fetch log.

use super::{time_text, Store, StoreError};
use crate::model::{Engine, FeedSpec};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};

/// A feed as stored: its spec plus validators and health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    pub id: i64,
    pub spec: FeedSpec,
    pub enabled: bool,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub detected_engine: Option<Engine>,
    pub last_fetch_at: Option<String>,
    pub last_success_at: Option<String>,
    pub last_http_status: Option<i64>,
    pub consecutive_failures: i64,
    pub last_error: Option<String>,
    pub next_fetch_at: Option<String>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// One fetch, as the fetch log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRecord {
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub http_status: Option<u16>,
    pub bytes: Option<u64>,
    /// ok, not_modified, http_error, connect_error, timeout, too_large, not_a_feed, parse_error, ...
    pub outcome: String,
    pub repaired: bool,
    pub entries: Option<usize>,
    pub error: Option<String>,
    /// New validators from a 200 answer (None keeps the stored ones).
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// When the feed may be fetched again (backoff); None: whenever its schedule says.
    pub next_fetch_at: Option<DateTime<Utc>>,
}

impl FetchRecord {
    /// Whether this fetch counts as a success for the feed's health.
    pub fn is_success(&self) -> bool {
        self.outcome == "ok" || self.outcome == "not_modified"
    }
}

const FEED_COLUMNS: &str =
    "id, url, title, vendor, engine, category, html_url, schedule, enabled, \
     etag, last_modified, detected_engine, last_fetch_at, last_success_at, last_http_status, \
     consecutive_failures, last_error, next_fetch_at";

fn feed_from_row(row: &Row<'_>) -> rusqlite::Result<FeedRow> {
    let engine: Option<String> = row.get(4)?;
    let detected: Option<String> = row.get(11)?;
    Ok(FeedRow {
        id: row.get(0)?,
        spec: FeedSpec {
            url: row.get(1)?,
            title: row.get(2)?,
            vendor: row.get(3)?,
            // An engine name this build does not know (written by a newer one) means "detect".
            engine: engine.and_then(|e| e.parse().ok()),
            category: row.get(5)?,
            html_url: row.get(6)?,
            schedule: row.get(7)?,
        },
        enabled: row.get(8)?,
        etag: row.get(9)?,
        last_modified: row.get(10)?,
        detected_engine: detected.and_then(|e| e.parse().ok()),
        last_fetch_at: row.get(12)?,
        last_success_at: row.get(13)?,
        last_http_status: row.get(14)?,
        consecutive_failures: row.get(15)?,
        last_error: row.get(16)?,
        next_fetch_at: row.get(17)?,
    })
}

impl Store {
    /// How many feeds the database holds (enabled or not).
    pub fn feed_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM feeds", [], |r| r.get(0))?)
    }

    /// Adds feeds, or updates the catalog fields of feeds already known by URL; keeps their
    /// validators, health and history. One transaction: all or nothing.
    pub fn import_feeds(&mut self, specs: &[FeedSpec]) -> Result<ImportCounts, StoreError> {
        let now = time_text(Utc::now());
        let tx = self.conn.transaction()?;
        let mut counts = ImportCounts::default();
        {
            let mut find = tx.prepare_cached(
                "SELECT title, vendor, engine, category, html_url, schedule FROM feeds WHERE url = ?1",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO feeds (url, title, vendor, engine, category, html_url, schedule, added_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE feeds SET title = ?2, vendor = ?3, engine = ?4, category = ?5,
                        html_url = ?6, schedule = ?7
                 WHERE url = ?1",
            )?;
            for spec in specs {
                let engine = spec.engine.map(Engine::as_str);
                type Existing = (
                    String,
                    String,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                );
                let existing: Option<Existing> = find
                    .query_row([&spec.url], |r| {
                        Ok((
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                        ))
                    })
                    .optional()?;
                match existing {
                    None => {
                        insert.execute(params![
                            spec.url,
                            spec.title,
                            spec.vendor,
                            engine,
                            spec.category,
                            spec.html_url,
                            spec.schedule,
                            now
                        ])?;
                        counts.added += 1;
                    }
                    Some(old) => {
                        let new = (
                            spec.title.clone(),
                            spec.vendor.clone(),
                            engine.map(str::to_string),
                            spec.category.clone(),
                            spec.html_url.clone(),
                            spec.schedule.clone(),
                        );
                        if old == new {
                            counts.unchanged += 1;
                        } else {
                            update.execute(params![
                                spec.url,
                                spec.title,
                                spec.vendor,
                                engine,
                                spec.category,
                                spec.html_url,
                                spec.schedule
                            ])?;
                            counts.updated += 1;
                        }
                    }
                }
            }
        }
        tx.commit()?;
        Ok(counts)
    }

    /// Every feed, ordered by id.
    pub fn list_feeds(&self) -> Result<Vec<FeedRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {FEED_COLUMNS} FROM feeds ORDER BY id"))?;
        let rows = stmt.query_map([], feed_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Finds one feed by numeric id or exact URL.
    pub fn find_feed(&self, id_or_url: &str) -> Result<FeedRow, StoreError> {
        let sql = format!("SELECT {FEED_COLUMNS} FROM feeds WHERE id = ?1 OR url = ?2");
        let id: i64 = id_or_url.trim().parse().unwrap_or(-1);
        self.conn
            .query_row(&sql, params![id, id_or_url.trim()], feed_from_row)
            .optional()?
            .ok_or_else(|| StoreError::NoSuchFeed(id_or_url.to_string()))
    }

    /// Enabled feeds that are not backing off at `now` (the ones a one-shot poll fetches).
    pub fn due_feeds(&self, now: DateTime<Utc>) -> Result<Vec<FeedRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {FEED_COLUMNS} FROM feeds
             WHERE enabled AND (next_fetch_at IS NULL OR next_fetch_at <= ?1)
             ORDER BY id"
        ))?;
        let rows = stmt.query_map([time_text(now)], feed_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Removes a feed and everything stored about it (entries, incidents, state; events keep
    /// their text but lose the link to the feed).
    pub fn remove_feed(&mut self, id_or_url: &str) -> Result<FeedRow, StoreError> {
        let feed = self.find_feed(id_or_url)?;
        let tx = self.conn.transaction()?;
        // Entries point at incidents; clear both in dependency order inside one transaction.
        tx.execute("DELETE FROM entries WHERE feed_id = ?1", [feed.id])?;
        tx.execute("DELETE FROM feeds WHERE id = ?1", [feed.id])?;
        tx.commit()?;
        Ok(feed)
    }

    /// Records one fetch in the log and updates the feed's validators and health, in one
    /// transaction. Used alone for fetches that store no entries (304s, failures).
    pub fn record_fetch(&mut self, feed_id: i64, rec: &FetchRecord) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        record_fetch_in(&tx, feed_id, rec)?;
        tx.commit()?;
        Ok(())
    }

    /// Remembers which engine the parser used for a feed.
    pub fn set_detected_engine(&self, feed_id: i64, engine: Engine) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE feeds SET detected_engine = ?2 WHERE id = ?1 AND detected_engine IS NOT ?2",
            params![feed_id, engine.as_str()],
        )?;
        Ok(())
    }
}

/// The fetch-log write, shared by [`Store::record_fetch`] and the ingest transaction.
/// Returns the new `fetches` row id.
pub(super) fn record_fetch_in(
    tx: &rusqlite::Transaction<'_>,
    feed_id: i64,
    rec: &FetchRecord,
) -> Result<i64, StoreError> {
    let started = time_text(rec.started_at);
    tx.prepare_cached(
        "INSERT INTO fetches (feed_id, started_at, duration_ms, http_status, bytes, outcome,
                              repaired, entries, error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        feed_id,
        started,
        rec.duration_ms,
        rec.http_status,
        rec.bytes.map(|b| b as i64),
        rec.outcome,
        rec.repaired,
        rec.entries.map(|n| n as i64),
        rec.error
    ])?;
    let fetch_id = tx.last_insert_rowid();
    let next = rec.next_fetch_at.map(time_text);
    if rec.is_success() {
        tx.prepare_cached(
            "UPDATE feeds SET last_fetch_at = ?2, last_success_at = ?2, last_http_status = ?3,
                    consecutive_failures = 0, last_error = NULL, next_fetch_at = ?4,
                    etag = COALESCE(?5, etag), last_modified = COALESCE(?6, last_modified)
             WHERE id = ?1",
        )?
        .execute(params![
            feed_id,
            started,
            rec.http_status,
            next,
            rec.etag,
            rec.last_modified
        ])?;
    } else {
        tx.prepare_cached(
            "UPDATE feeds SET last_fetch_at = ?2, last_http_status = ?3,
                    consecutive_failures = consecutive_failures + 1, last_error = ?4,
                    next_fetch_at = ?5
             WHERE id = ?1",
        )?
        .execute(params![feed_id, started, rec.http_status, rec.error, next])?;
    }
    Ok(fetch_id)
}
