//! SQL for `feeds` and `fetches`: the catalog in the database, validators, health, the fetch log.

use super::state::insert_event_in;
use super::{parse_time_text, time_text, Store, StoreError, WriteScope};
use crate::model::{
    normalize_feed_url, Dependency, Engine, EventKind, FeedHealth, FeedSpec, FetchRecord, NewEvent,
};
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
    /// First failure of the current failure streak.
    pub failing_since: Option<String>,
    /// First of the consecutive 404/410 answers, while they last.
    pub gone_since: Option<String>,
    /// A permanent redirect seen on the latest successful fetches, not yet confirmed.
    pub redirect_url: Option<String>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// What recording one fetch did besides the log row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordedFetch {
    /// The `fetches` row id; `None` for a 304 that was not redirected (not logged: see
    /// `record_fetch_in`).
    pub fetch_id: Option<i64>,
    /// Health events written with it (0 or 1).
    pub events: usize,
    /// Their kinds (for the daemon's metrics).
    pub event_kinds: Vec<&'static str>,
    /// The stored URL changed to this (a confirmed permanent redirect).
    pub url_changed: Option<String>,
}

const FEED_COLUMNS: &str =
    "id, url, title, vendor, engine, category, html_url, schedule, enabled, \
     etag, last_modified, detected_engine, last_fetch_at, last_success_at, last_http_status, \
     consecutive_failures, last_error, next_fetch_at, failing_since, gone_since, redirect_url, \
     selector, expect, runs_on, auth_env";

/// A `runs_on` list as the `feeds.runs_on` column holds it: [`Dependency::list_text`], NULL
/// for none (not known).
pub(super) fn runs_on_column(list: &[Dependency]) -> Option<String> {
    (!list.is_empty()).then(|| Dependency::list_text(list))
}

/// The `feeds.runs_on` column read back. It was checked when it was stored; a value this
/// build cannot read (written by hand, or by a newer build) counts as no map.
pub(super) fn runs_on_from_column(text: Option<&str>) -> Vec<Dependency> {
    text.and_then(|t| Dependency::parse_list(t).ok())
        .unwrap_or_default()
}

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
            selector: row.get(21)?,
            expect: row.get(22)?,
            runs_on: runs_on_from_column(row.get::<_, Option<String>>(23)?.as_deref()),
            auth_env: row.get(24)?,
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
        failing_since: row.get(18)?,
        gone_since: row.get(19)?,
        redirect_url: row.get(20)?,
    })
}

impl FeedRow {
    /// Whether the feed may be fetched at `now`: enabled, not backing off, and not a replayed
    /// feed (`replay:`, whose documents come only from a replay directory). The one rule of
    /// "due" (a schedule, where there is one, says *when* on top of it).
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.enabled && !self.is_backing_off(now) && !self.spec.is_replay()
    }

    /// Whether the feed is backing off at `now` (`next_fetch_at` still ahead).
    pub fn is_backing_off(&self, now: DateTime<Utc>) -> bool {
        self.next_fetch_at
            .as_deref()
            .and_then(parse_time_text)
            .is_some_and(|next| next > now)
    }
}

impl Store {
    /// How many feeds the database holds (enabled or not).
    pub fn feed_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM feeds", [], |r| r.get(0))?)
    }

    /// The newest fetch of any enabled feed (stored time text), for readiness probes.
    pub fn last_fetch_at(&self) -> Result<Option<String>, StoreError> {
        Ok(self.conn.query_row(
            "SELECT MAX(last_fetch_at) FROM feeds WHERE enabled",
            [],
            |r| r.get(0),
        )?)
    }

    /// Adds feeds, or updates the catalog fields of feeds already known by URL; keeps their
    /// validators, health and history. One transaction: all or nothing.
    /// `now` becomes a new feed's `added_at`, where its history in the archive begins (the
    /// correlate stage's base rates count from it).
    pub fn import_feeds(
        &mut self,
        specs: &[FeedSpec],
        now: DateTime<Utc>,
    ) -> Result<ImportCounts, StoreError> {
        let now = time_text(now);
        let tx = self.conn.transaction()?;
        let mut counts = ImportCounts::default();
        {
            let mut find = tx.prepare_cached(
                "SELECT title, vendor, engine, category, html_url, schedule, selector, expect,
                        runs_on, auth_env
                 FROM feeds WHERE url = ?1",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO feeds (url, title, vendor, engine, category, html_url, schedule, added_at,
                                    selector, expect, runs_on, auth_env)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE feeds SET title = ?2, vendor = ?3, engine = ?4, category = ?5,
                        html_url = ?6, schedule = ?7, selector = ?8, expect = ?9, runs_on = ?10,
                        auth_env = ?11
                 WHERE url = ?1",
            )?;
            // Stored URLs by their normal spelling, read once when a URL is not found as given.
            let mut spellings: Option<std::collections::HashMap<String, Vec<String>>> = None;
            for spec in specs {
                let key = match find.exists([&spec.url])? {
                    true => spec.url.clone(),
                    false => {
                        let map = match &mut spellings {
                            Some(map) => map,
                            None => spellings.insert(spellings_of(&tx)?),
                        };
                        let key = match map.get(&normalize_feed_url(&spec.url)).map(Vec::as_slice) {
                            Some([stored]) => stored.clone(),
                            Some(_) => return Err(same_url(&tx, &spec.url)?),
                            None => spec.url.clone(),
                        };
                        map.entry(normalize_feed_url(&spec.url))
                            .or_insert_with(|| vec![key.clone()]);
                        key
                    }
                };
                let engine = spec.engine.map(Engine::as_str);
                let runs_on = runs_on_column(&spec.runs_on);
                type Existing = (
                    String,
                    String,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                );
                let existing: Option<Existing> = find
                    .query_row([&key], |r| {
                        Ok((
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                            r.get(6)?,
                            r.get(7)?,
                            r.get(8)?,
                            r.get(9)?,
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
                            now,
                            spec.selector,
                            spec.expect,
                            runs_on,
                            spec.auth_env
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
                            spec.selector.clone(),
                            spec.expect.clone(),
                            runs_on.clone(),
                            spec.auth_env.clone(),
                        );
                        if old == new {
                            counts.unchanged += 1;
                        } else {
                            // The row as stored: an old spelling stays what it was.
                            update.execute(params![
                                key,
                                spec.title,
                                spec.vendor,
                                engine,
                                spec.category,
                                spec.html_url,
                                spec.schedule,
                                spec.selector,
                                spec.expect,
                                runs_on,
                                spec.auth_env
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

    /// The distinct schedules of the enabled feeds (`None`: the global one), each with the
    /// title of one feed that has it (for the log): what the daemon needs to know when to wake,
    /// without reading every feed's row while it waits.
    pub fn enabled_schedules(&self) -> Result<Vec<(Option<String>, String)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT schedule, min(title) FROM feeds WHERE enabled GROUP BY schedule",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Finds one feed by numeric id or exact URL.
    pub fn find_feed(&self, id_or_url: &str) -> Result<FeedRow, StoreError> {
        let sql = format!("SELECT {FEED_COLUMNS} FROM feeds WHERE id = ?1 OR url = ?2 OR url = ?3");
        let id: i64 = id_or_url.trim().parse().unwrap_or(-1);
        let normal = normalize_feed_url(id_or_url);
        if let Some(row) = self
            .conn
            .query_row(&sql, params![id, id_or_url.trim(), normal], feed_from_row)
            .optional()?
        {
            return Ok(row);
        }
        match stored_spelling(&self.conn, &normal)? {
            Some(stored) => self.find_feed(&stored),
            None => Err(StoreError::NoSuchFeed(id_or_url.to_string())),
        }
    }

    /// The feeds [`FeedRow::is_due`] at `now` (the ones a one-shot poll fetches).
    pub fn due_feeds(&self, now: DateTime<Utc>) -> Result<Vec<FeedRow>, StoreError> {
        let mut feeds = self.list_feeds()?;
        feeds.retain(|feed| feed.is_due(now));
        Ok(feeds)
    }

    /// Enables or disables a feed (a disabled one is never fetched and leaves the status
    /// views; its history stays). Returns the feed as it now is, and whether it was enabled.
    pub fn set_feed_enabled(
        &mut self,
        id_or_url: &str,
        enabled: bool,
    ) -> Result<(FeedRow, bool), StoreError> {
        let feed = self.find_feed(id_or_url)?;
        self.conn.execute(
            "UPDATE feeds SET enabled = ?2 WHERE id = ?1",
            params![feed.id, enabled],
        )?;
        let was = feed.enabled;
        Ok((FeedRow { enabled, ..feed }, was))
    }

    /// How many entries are stored for a feed (what `feeds remove` would delete).
    pub fn feed_entry_count(&self, feed_id: i64) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM entries WHERE feed_id = ?1",
            [feed_id],
            |r| r.get(0),
        )?)
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
    /// transaction, with the health event `health` plans from the feed's previous health
    /// (the outbox). Used alone for fetches that store no entries (304s, failures).
    pub fn record_fetch(
        &mut self,
        feed_id: i64,
        rec: &FetchRecord,
        health: impl FnOnce(&FeedHealth) -> Option<NewEvent>,
    ) -> Result<RecordedFetch, StoreError> {
        // Like `ingest`: it also runs inside the writer's group transaction.
        let tx = WriteScope::begin(&mut self.conn)?;
        let done = record_fetch_in(&tx, feed_id, rec, health)?;
        tx.commit()?;
        Ok(done)
    }

    /// Records fetches that failed because our own network is down: log rows only, the
    /// feeds' health, counters and backoff untouched, plus `event` (one `network_down`) when
    /// given, in one transaction.
    pub fn record_uncounted_fetches(
        &mut self,
        records: &[(i64, FetchRecord)],
        event: Option<&NewEvent>,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let mut exists = tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM feeds WHERE id = ?1)")?;
        for (feed_id, rec) in records {
            // A feed removed (by another process) since it was fetched has no log left to add to.
            if exists.query_row([feed_id], |r| r.get(0))? {
                insert_fetch_row(&tx, *feed_id, rec)?;
            }
        }
        drop(exists);
        if let Some(event) = event {
            insert_event_in(&tx, event)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Whether the outage that left `unreached` feeds unreachable already has its
    /// `network_down` event: one was raised and none of them has been fetched successfully
    /// since (had one, the network came back in between and this is a new outage).
    pub fn network_down_open(&self, unreached: &[i64]) -> Result<bool, StoreError> {
        let raised: Option<String> = self.conn.query_row(
            "SELECT max(detected_at) FROM events WHERE kind = 'network_down'",
            [],
            |r| r.get(0),
        )?;
        let Some(raised) = raised else {
            return Ok(false);
        };
        let mut last_success = self
            .conn
            .prepare_cached("SELECT last_success_at FROM feeds WHERE id = ?1")?;
        for id in unreached {
            let success: Option<String> = last_success
                .query_row([id], |r| r.get(0))
                .optional()?
                .flatten();
            if success.is_some_and(|s| s > raised) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Deletes fetch-log rows that started before `older_than`, in batches (see
    /// [`Store::housekeeping`]); returns how many.
    pub fn prune_fetches(&mut self, older_than: DateTime<Utc>) -> Result<usize, StoreError> {
        self.delete_in_batches(
            // Oldest ids first: rows logged together share pages, so a batch touches few.
            "DELETE FROM fetches WHERE id IN (
                 SELECT id FROM fetches WHERE started_at < ?1 ORDER BY id LIMIT ?2)",
            &time_text(older_than),
        )
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

/// The fetch-log row alone; returns its id.
pub(super) fn insert_fetch_row(
    tx: &rusqlite::Connection,
    feed_id: i64,
    rec: &FetchRecord,
) -> Result<i64, StoreError> {
    tx.prepare_cached(
        "INSERT INTO fetches (feed_id, started_at, duration_ms, http_status, bytes, outcome,
                              repaired, entries, error, final_url, notes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        feed_id,
        time_text(rec.started_at),
        rec.duration_ms,
        rec.http_status,
        rec.bytes.map(|b| b as i64),
        rec.outcome.as_str(),
        rec.repaired,
        rec.entries.map(|n| n as i64),
        rec.error,
        rec.final_url,
        // One note a line; NULL when the parser had nothing to say.
        (!rec.notes.is_empty()).then(|| rec.notes.join("\n"))
    ])?;
    Ok(tx.last_insert_rowid())
}

/// The fetch-log write and the feed's health, shared by [`Store::record_fetch`] and the
/// ingest transaction. `health` plans the feed's health event from its previous health.
pub(super) fn record_fetch_in(
    tx: &rusqlite::Connection,
    feed_id: i64,
    rec: &FetchRecord,
    health: impl FnOnce(&FeedHealth) -> Option<NewEvent>,
) -> Result<RecordedFetch, StoreError> {
    let before = tx
        .prepare_cached(
            "SELECT consecutive_failures, failing_since, failing_notified_at FROM feeds WHERE id = ?1",
        )?
        .query_row([feed_id], |r| {
            let since: Option<String> = r.get(1)?;
            let notified: Option<String> = r.get(2)?;
            Ok(FeedHealth {
                consecutive_failures: r.get(0)?,
                failing_since: since.as_deref().and_then(parse_time_text),
                failing_notified: notified.is_some(),
            })
        })
        .optional()?
        .ok_or_else(|| StoreError::NoSuchFeed(feed_id.to_string()))?;
    // A 304 says only "still the same": the feed's health columns record it, and the log
    // keeps the fetches that brought something, failed or were redirected (an unchanged
    // cycle writes nothing else, and the log does not fill with a row per feed per cycle).
    let fetch_id = if rec.http_status == Some(304) && rec.final_url.is_none() {
        None
    } else {
        Some(insert_fetch_row(tx, feed_id, rec)?)
    };
    let started = time_text(rec.started_at);
    let next = rec.next_fetch_at.map(time_text);
    if rec.is_success() {
        // `track_redirect`'s reset of the redirect count rides along: one statement a 304.
        tx.prepare_cached(
            "UPDATE feeds SET last_fetch_at = ?2, last_success_at = ?2, last_http_status = ?3,
                    consecutive_failures = 0, last_error = NULL, next_fetch_at = ?4,
                    etag = COALESCE(?5, etag), last_modified = COALESCE(?6, last_modified),
                    failing_since = NULL, failing_notified_at = NULL, gone_since = NULL,
                    redirect_url = CASE WHEN ?7 THEN NULL ELSE redirect_url END,
                    redirect_count = CASE WHEN ?7 THEN 0 ELSE redirect_count END
             WHERE id = ?1",
        )?
        .execute(params![
            feed_id,
            started,
            rec.http_status,
            next,
            rec.etag,
            rec.last_modified,
            resets_redirect(rec)
        ])?;
    } else {
        // The record carries gone_since as `fetch::backoff::gone_since` decided it.
        tx.prepare_cached(
            "UPDATE feeds SET last_fetch_at = ?2, last_http_status = ?3,
                    consecutive_failures = consecutive_failures + 1, last_error = ?4,
                    next_fetch_at = ?5, failing_since = COALESCE(failing_since, ?2),
                    gone_since = ?6
             WHERE id = ?1",
        )?
        .execute(params![
            feed_id,
            started,
            rec.http_status,
            rec.error,
            next,
            rec.gone_since.map(time_text)
        ])?;
    }
    let mut done = RecordedFetch {
        fetch_id,
        ..RecordedFetch::default()
    };
    if let Some(event) = health(&before) {
        insert_event_in(tx, &event)?;
        if event.payload.kind() == Some(EventKind::FeedFailing) {
            tx.prepare_cached("UPDATE feeds SET failing_notified_at = ?2 WHERE id = ?1")?
                .execute(params![feed_id, event.payload.detected_at])?;
        }
        done.events = 1;
        done.event_kinds.push(event.payload.kind_name());
    }
    done.url_changed = track_redirect(tx, feed_id, rec)?;
    Ok(done)
}

/// Whether this fetch resets a feed's redirect count: a usable answer (2xx or 304) without a
/// permanent redirect.
fn resets_redirect(rec: &FetchRecord) -> bool {
    rec.moved.is_none()
        && rec
            .http_status
            .is_some_and(|s| s == 304 || (200..300).contains(&s))
}

/// Counts a permanent redirect across consecutive usable fetches and moves the stored URL
/// once it is confirmed. A usable answer without one resets the count; a failed fetch says
/// nothing either way. Returns the new URL when it moved.
fn track_redirect(
    tx: &rusqlite::Connection,
    feed_id: i64,
    rec: &FetchRecord,
) -> Result<Option<String>, StoreError> {
    let Some(moved) = &rec.moved else {
        // A success's own UPDATE reset them (`record_fetch_in`).
        if resets_redirect(rec) && !rec.is_success() {
            tx.prepare_cached(
                "UPDATE feeds SET redirect_url = NULL, redirect_count = 0
                 WHERE id = ?1 AND (redirect_url IS NOT NULL OR redirect_count != 0)",
            )?
            .execute([feed_id])?;
        }
        return Ok(None);
    };
    let count: i64 = tx
        .prepare_cached(
            "UPDATE feeds SET
                 redirect_count = CASE WHEN redirect_url IS ?2 THEN redirect_count + 1 ELSE 1 END,
                 redirect_url = ?2
             WHERE id = ?1 RETURNING redirect_count",
        )?
        .query_row(params![feed_id, moved.url], |r| r.get(0))?;
    if count < i64::from(moved.after.max(1)) {
        return Ok(None);
    }
    // Another feed may already have that URL, in any spelling (the user added the new
    // address too): then keep this one where it is, still counting, rather than merge two
    // feeds' histories. Stored in the one spelling `feeds add` uses.
    let url = normalize_feed_url(&moved.url);
    let taken = {
        let mut others = tx.prepare_cached("SELECT url FROM feeds WHERE id != ?1")?;
        let mut rows = others.query([feed_id])?;
        let mut taken = false;
        while let Some(row) = rows.next()? {
            taken |= normalize_feed_url(&row.get::<_, String>(0)?) == url;
        }
        taken
    };
    if taken {
        tracing::warn!(feed_id, url = %crate::redact::url(&url), "Feed moved permanently to a URL another feed already has; keeping its URL.");
        return Ok(None);
    }
    tx.prepare_cached(
        "UPDATE feeds SET url = ?2, redirect_url = NULL, redirect_count = 0 WHERE id = ?1",
    )?
    .execute(params![feed_id, url])?;
    Ok(Some(url))
}

/// Stored feed URLs by their normal spelling ([`normalize_feed_url`]).
///
/// Databases from before URLs were normalised hold them as they were given. They are compared
/// normalised here rather than rewritten by a migration: two rows that are one URL spelled
/// two ways could only be merged by choosing whose history and settings win, which is the
/// user's call (`SameUrl` says so), and a rewrite would need URL parsing that SQL lacks.
fn spellings_of(
    conn: &rusqlite::Connection,
) -> Result<std::collections::HashMap<String, Vec<String>>, StoreError> {
    let mut map: std::collections::HashMap<String, Vec<String>> = Default::default();
    let mut stmt = conn.prepare_cached("SELECT url FROM feeds ORDER BY id")?;
    for url in stmt.query_map([], |r| r.get::<_, String>(0))? {
        let url = url?;
        map.entry(normalize_feed_url(&url)).or_default().push(url);
    }
    Ok(map)
}

/// The stored URL that is `normal` spelled another way, if exactly one is.
fn stored_spelling(
    conn: &rusqlite::Connection,
    normal: &str,
) -> Result<Option<String>, StoreError> {
    match spellings_of(conn)?.remove(normal).as_deref() {
        None => Ok(None),
        Some([stored]) => Ok(Some(stored.clone())),
        Some(_) => Err(same_url(conn, normal)?),
    }
}

/// [`StoreError::SameUrl`] for the feeds whose URLs are `url` spelled another way.
fn same_url(conn: &rusqlite::Connection, url: &str) -> Result<StoreError, StoreError> {
    let normal = normalize_feed_url(url);
    let mut stmt = conn.prepare_cached("SELECT id, url FROM feeds ORDER BY id")?;
    let mut ids = Vec::new();
    for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
        let (id, stored) = row?;
        if normalize_feed_url(&stored) == normal {
            ids.push(id);
        }
    }
    Ok(StoreError::SameUrl {
        url: crate::redact::url(&normal).into_owned(),
        ids,
    })
}

#[cfg(test)]
mod tests {
    use crate::model::{Dependency, FeedSpec};
    use crate::store::Store;

    fn spec(runs_on: &str) -> FeedSpec {
        FeedSpec {
            url: "https://status.example.com/history.atom".into(),
            title: "Example".into(),
            vendor: "example".into(),
            runs_on: Dependency::parse_list(runs_on).unwrap(),
            ..FeedSpec::default()
        }
    }

    #[test]
    fn enabled_schedules_are_the_distinct_ones_of_enabled_feeds() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("f.db")).unwrap();
        let feed = |n: u32, schedule: Option<&str>| FeedSpec {
            url: format!("https://status{n}.example.com/history.atom"),
            title: format!("Feed {n}"),
            vendor: format!("v{n}"),
            schedule: schedule.map(str::to_string),
            ..FeedSpec::default()
        };
        let specs = [
            feed(1, None),
            feed(2, None),
            feed(3, Some("0 * * * *")),
            feed(4, Some("0 * * * *")),
            feed(5, Some("*/5 * * * *")),
        ];
        store.import_feeds(&specs, chrono::Utc::now()).unwrap();
        store
            .set_feed_enabled("https://status5.example.com/history.atom", false)
            .unwrap();
        let mut got = store.enabled_schedules().unwrap();
        got.sort();
        assert_eq!(
            got,
            vec![
                (None, "Feed 1".to_string()),
                (Some("0 * * * *".to_string()), "Feed 3".to_string()),
            ]
        );
    }

    #[test]
    fn runs_on_is_stored_in_one_text_form_and_read_back_on_add_and_update() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("f.db")).unwrap();
        let column = |store: &Store| -> Option<String> {
            store
                .conn
                .query_row("SELECT runs_on FROM feeds", [], |r| r.get(0))
                .unwrap()
        };

        let first = spec("AWS:us-east-1, cloudflare");
        assert_eq!(
            store
                .import_feeds(std::slice::from_ref(&first), chrono::Utc::now())
                .unwrap()
                .added,
            1
        );
        assert_eq!(column(&store).as_deref(), Some("aws:us-east-1,cloudflare"));
        assert_eq!(store.list_feeds().unwrap()[0].spec, first);
        assert_eq!(
            store
                .import_feeds(&[first], chrono::Utc::now())
                .unwrap()
                .unchanged,
            1
        );

        let changed = spec("gcp:us-east1");
        assert_eq!(
            store
                .import_feeds(std::slice::from_ref(&changed), chrono::Utc::now())
                .unwrap()
                .updated,
            1
        );
        assert_eq!(column(&store).as_deref(), Some("gcp:us-east1"));
        assert_eq!(store.find_feed("1").unwrap().spec, changed);

        // A catalog that says nothing about it: not known (NULL), as a new column starts.
        assert_eq!(
            store
                .import_feeds(&[spec("")], chrono::Utc::now())
                .unwrap()
                .updated,
            1
        );
        assert_eq!(column(&store), None);

        // A value this build cannot read (a hand-written UPDATE) reads as no map.
        store
            .conn
            .execute("UPDATE feeds SET runs_on = 'aws:us east'", [])
            .unwrap();
        assert!(store.list_feeds().unwrap()[0].spec.runs_on.is_empty());
    }
}
