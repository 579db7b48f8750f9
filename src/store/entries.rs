//! SQL for `entries`, `entry_revisions`, `updates` and `incidents`: the ingest transaction.
//!
//! One fetch of one feed is one transaction: the fetch log row, every entry upsert, the
//! incidents they touch, the new service state and the events it raises (the outbox) commit
//! together or not at all. What the state change *is* is decided by the caller's planner
//! (the events stage); this file only reads and writes rows.

use super::feeds::{insert_fetch_row, record_fetch_in};
use super::state::{insert_event_in, set_reported_in, state_inputs_in, upsert_state_in};
use super::{parse_time_text, time_text, Store, StoreError, WriteScope};
use crate::incidents::{
    earlier_start, entry_start, entry_time, incident_title, resolved_time, speaks_for_now, worse,
};
use crate::model::event::UpdateRef;
use crate::model::{
    Capped, ClassifiedEntry, DocumentFacts, Entry, FeedHealth, FetchRecord, NewEvent, OpenIncident,
    Phase, StateInputs, StatePlan, Status,
};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

/// What happened to one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryOutcome {
    New,
    Revised,
    Unchanged,
}

/// What one ingest did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestCounts {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub events: usize,
    /// The kinds of those events, one per event (for the daemon's metrics).
    pub event_kinds: Vec<&'static str>,
    /// The stored URL changed to this (a confirmed permanent redirect).
    pub url_changed: Option<String>,
}

fn hash_hex(bytes: &[u8]) -> String {
    digest_hex(&Sha256::digest(bytes))
}

/// The first 16 bytes of a SHA-256 digest, as 32 lowercase hex digits.
fn digest_hex(digest: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(32);
    for b in &digest[..16] {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

/// An entry as the writer gets it: its key, the time the ingest orders by and its content
/// hash, with either everything storing it needs (its classification, the JSON kept in
/// `entry_revisions`, each update's dedupe key) or nothing more, for an entry the feed already
/// holds with this hash ([`StorableEntry::known_unchanged`]: only its `last_seen_at` moves).
/// The digests are CPU work done where the entry was parsed (the pipeline's parse workers),
/// not on the single writer thread.
#[derive(Debug, Clone)]
pub struct StorableEntry {
    key: String,
    time: Option<DateTime<Utc>>,
    hash: String,
    full: Option<Box<Digested>>,
}

/// What storing a new or revised entry needs beyond its hash.
#[derive(Debug, Clone)]
struct Digested {
    classified: ClassifiedEntry,
    json: String,
    update_hashes: Vec<String>,
}

impl StorableEntry {
    /// The content hash of a parsed entry: what tells a revision from an unchanged entry.
    /// Over the whole entry's JSON, as it has always been, so hashes stored by earlier
    /// versions still compare; streamed, not built as a string.
    pub fn content_hash(entry: &Entry) -> Result<String, StoreError> {
        let mut hasher = Sha256::new();
        serde_json::to_writer(&mut hasher, entry)?;
        Ok(digest_hex(&hasher.finalize()))
    }

    pub fn new(classified: ClassifiedEntry) -> Result<StorableEntry, StoreError> {
        let hash = StorableEntry::content_hash(&classified.entry)?;
        StorableEntry::with_hash(classified, hash)
    }

    /// [`StorableEntry::new`] with the entry's [`StorableEntry::content_hash`] already known.
    pub fn with_hash(
        mut classified: ClassifiedEntry,
        hash: String,
    ) -> Result<StorableEntry, StoreError> {
        // The stored JSON leaves the text out: `entry_revisions.content` holds it, and
        // the text is most of an entry's bytes.
        let content = std::mem::take(&mut classified.entry.content);
        let json = serde_json::to_string(&classified.entry);
        classified.entry.content = content;
        let json = json?;
        let update_hashes = classified
            .entry
            .updates
            .iter()
            .map(|update| {
                let key = format!(
                    "{}\u{1f}{}\u{1f}{}",
                    update.at.map(time_text).as_deref().unwrap_or(""),
                    update.label,
                    update.text
                );
                hash_hex(key.as_bytes())
            })
            .collect();
        Ok(StorableEntry {
            key: classified.entry.id.clone(),
            time: entry_time(&classified.entry),
            hash,
            full: Some(Box::new(Digested {
                classified,
                json,
                update_hashes,
            })),
        })
    }

    /// An entry the feed already holds under its key with this `hash` (from
    /// [`Store::entry_hashes`]), neither classified nor digested. Should the stored entry no
    /// longer match when it is written, the ingest fails with
    /// [`StoreError::KnownEntryChanged`] and stores nothing, and the document is to be
    /// prepared again in full.
    pub fn known_unchanged(entry: &Entry, hash: String) -> StorableEntry {
        StorableEntry {
            key: entry.id.clone(),
            time: entry_time(entry),
            hash,
            full: None,
        }
    }

    /// The entry's classification, unless it was passed on as known unchanged.
    pub fn classified(&self) -> Option<&ClassifiedEntry> {
        self.full.as_ref().map(|full| &full.classified)
    }
}

/// What an ingest knows about the feed before it writes: a feed with no stored entries yet
/// (its first fetch) has nothing to look up, save keys this same document repeats.
struct Known<'a> {
    feed_has_entries: bool,
    keys_seen: std::collections::HashSet<&'a str>,
}

impl<'a> Known<'a> {
    /// True when `key` can only be new: the feed had no entries and this document has not
    /// used the key before. Records the key.
    fn surely_new(&mut self, key: &'a str) -> bool {
        self.keys_seen.insert(key) && !self.feed_has_entries
    }
}

/// A stored entry as the ingest looks it up: id, content hash, and whether its incident was
/// closed as withdrawn (read in the same statement, so an unchanged entry costs one lookup).
type Existing = (i64, String, bool);

fn existing_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Existing> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}

/// The stored entry of `feed_id` under `key`.
fn entry_by_key(tx: &Connection, feed_id: i64, key: &str) -> Result<Option<Existing>, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT e.id, e.content_hash, i.phase IS 'withdrawn'
             FROM entries e LEFT JOIN incidents i ON i.id = e.incident_id
             WHERE e.feed_id = ?1 AND e.entry_key = ?2",
        )?
        .query_row(params![feed_id, key], existing_row)
        .optional()?)
}

/// A sloppy feed may repost an incident under a new id. The same title and start time, in an
/// entry that this document has not already claimed, is the same incident: the stored entry
/// takes the new key, and its history and incident stay whole.
fn find_repost(
    tx: &Connection,
    feed_id: i64,
    fetch_id: i64,
    entry: &Entry,
    started_at: Option<&str>,
) -> Result<Option<Existing>, StoreError> {
    let Some(started_at) = started_at else {
        return Ok(None);
    };
    Ok(tx
        .prepare_cached(
            "SELECT e.id, e.content_hash, i.phase IS 'withdrawn'
             FROM entries e LEFT JOIN incidents i ON i.id = e.incident_id
             WHERE e.feed_id = ?1 AND e.title = ?2 AND e.started_at = ?3
               AND e.last_fetch_id IS NOT ?4
             ORDER BY e.id DESC LIMIT 1",
        )?
        .query_row(
            params![feed_id, entry.title, started_at, fetch_id],
            existing_row,
        )
        .optional()?)
}

/// Closes open incidents none of whose entries the fetch `fetch_id` saw, in `phase`; returns
/// their ids. In a `capped` document, only those the cap cannot have left out.
fn close_vanished(
    tx: &Connection,
    feed_id: i64,
    fetch_id: i64,
    now: DateTime<Utc>,
    phase: &str,
    capped: Option<&Capped>,
) -> Result<Vec<i64>, StoreError> {
    // A capped document left out its oldest entries: an incident is gone from it only if one
    // of its entries is as new as the oldest kept (the cap would have kept it). One whose
    // entries are all older, or have no time, may just be beyond the cap: it stays as it is.
    let kept_since = match capped {
        None => None,
        Some(Capped {
            oldest_kept: Some(t),
            ..
        }) => Some(time_text(*t)),
        Some(Capped {
            oldest_kept: None, ..
        }) => return Ok(Vec::new()),
    };
    let mut stmt = tx.prepare_cached(
        "UPDATE incidents SET status = 'resolved', phase = ?4, resolved_at = ?3, updated_at = ?3
         WHERE feed_id = ?1 AND resolved_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM entries e
                           WHERE e.incident_id = incidents.id AND e.last_fetch_id = ?2)
           AND (?5 IS NULL OR EXISTS (SELECT 1 FROM entries e
                                      WHERE e.incident_id = incidents.id
                                        AND (e.updated_at >= ?5 OR e.published_at >= ?5)))
         RETURNING id",
    )?;
    let ids = stmt.query_map(
        params![feed_id, fetch_id, time_text(now), phase, kept_since],
        |r| r.get(0),
    )?;
    Ok(ids.collect::<Result<_, _>>()?)
}

/// Points each of `touched` (incidents of `feed_id` this write changed) at the same incident
/// another source of the same vendor showed first, by the incident's page: a vendor's feed and
/// its status API both link it. The views and `history` then count it once.
fn mark_same_incidents(tx: &Connection, feed_id: i64, touched: &[i64]) -> Result<(), StoreError> {
    if touched.is_empty() {
        return Ok(());
    }
    // Most vendors have one source: then there is nothing to match, and one indexed count
    // instead of a lookup per incident keeps a revised document's write as cheap as before.
    let sources: i64 = tx
        .prepare_cached(
            "SELECT COUNT(*) FROM feeds WHERE vendor = (SELECT vendor FROM feeds WHERE id = ?1)",
        )?
        .query_row([feed_id], |r| r.get(0))?;
    if sources < 2 {
        return Ok(());
    }
    let mut stmt = tx.prepare_cached(
        "UPDATE incidents SET same_as = (
             SELECT min(j.id) FROM incidents j
             JOIN feeds g ON g.id = j.feed_id
             WHERE j.link = incidents.link AND j.feed_id != incidents.feed_id
               AND j.same_as IS NULL AND j.id < incidents.id
               AND g.vendor = (SELECT vendor FROM feeds WHERE id = ?1))
         WHERE id = ?2 AND same_as IS NULL AND link IS NOT NULL",
    )?;
    for id in touched {
        stmt.execute(params![feed_id, id])?;
    }
    Ok(())
}

/// The phase of an incident the vendor took off its feed.
const WITHDRAWN: &str = "withdrawn";

impl Store {
    /// Ingests one successful fetch of a feed in one transaction; see the module doc. The
    /// entries' digests were computed ahead (off the writer). `health` plans the feed's health
    /// event (a recovery) as for [`Store::record_fetch`]; `plan` the state and its events.
    /// `facts`: what the source said of itself, kept for every later plan (APIs, pages), and
    /// whether the document lists every open incident (then one it leaves out has ended), and
    /// whether the entry cap cut it short (then an old incident it leaves out may be beyond it).
    /// `pipeline::store_document` wires both planners.
    pub fn ingest(
        &mut self,
        feed_id: i64,
        fetch: &FetchRecord,
        entries: &[StorableEntry],
        facts: &DocumentFacts,
        health: impl FnOnce(&FeedHealth) -> Option<NewEvent>,
        plan: impl FnOnce(&StateInputs) -> StatePlan,
    ) -> Result<IngestCounts, StoreError> {
        let now = fetch.started_at;
        // Its own transaction when run alone, a savepoint in the writer's group commit when
        // batched (see `writer`): rolled back alone if it fails either way.
        let tx = WriteScope::begin(&mut self.conn)?;
        let recorded = record_fetch_in(&tx, feed_id, fetch, health)?;
        // Entries are stored from a document, which is always logged (only a 304 is not).
        let fetch_id = match recorded.fetch_id {
            Some(id) => id,
            None => insert_fetch_row(&tx, feed_id, fetch)?,
        };
        let mut counts = IngestCounts {
            events: recorded.events,
            event_kinds: recorded.event_kinds,
            url_changed: recorded.url_changed,
            ..IngestCounts::default()
        };
        let mut touched = Vec::new();
        // Oldest first, so the items of a chain (one per update) arrive in the order they
        // were posted, whatever order the feed lists them in.
        let mut ordered: Vec<&StorableEntry> = entries.iter().collect();
        ordered.sort_by_key(|se| se.time);
        let mut known = Known {
            feed_has_entries: tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM entries WHERE feed_id = ?1)")?
                .query_row([feed_id], |r| r.get(0))?,
            keys_seen: std::collections::HashSet::with_capacity(entries.len()),
        };
        for se in ordered {
            let (outcome, incident) = match &se.full {
                Some(full) => upsert_entry(&tx, feed_id, fetch_id, se, full, &mut known, now)?,
                None => (
                    touch_known(&tx, feed_id, fetch_id, se, &mut known, now)?,
                    None,
                ),
            };
            match outcome {
                EntryOutcome::New => counts.new += 1,
                EntryOutcome::Revised => counts.updated += 1,
                EntryOutcome::Unchanged => counts.unchanged += 1,
            }
            if let Some(id) = incident {
                touched.push(id);
            }
        }
        // An open incident none of whose entries is in the document any more: in a document
        // that lists every open incident (a status API's summary) it has ended; in a feed the
        // vendor withdrew it. Closed at our time, since the vendor gave none. An empty feed is
        // more likely a glitch than a vendor deleting everything, so it closes nothing; an
        // empty summary says nothing is open.
        if facts.lists_open {
            touched.extend(close_vanished(
                &tx,
                feed_id,
                fetch_id,
                now,
                Phase::Resolved.as_str(),
                facts.capped.as_ref(),
            )?);
        } else if !entries.is_empty() {
            touched.extend(close_vanished(
                &tx,
                feed_id,
                fetch_id,
                now,
                WITHDRAWN,
                facts.capped.as_ref(),
            )?);
        }
        touched.sort_unstable();
        touched.dedup();
        mark_same_incidents(&tx, feed_id, &touched)?;
        if let Some(reported) = &facts.reported {
            set_reported_in(&tx, feed_id, reported)?;
        }
        let inputs = state_inputs_in(&tx, feed_id, &touched)?;
        let decided = plan(&inputs);
        for state in &decided.states {
            upsert_state_in(&tx, feed_id, state)?;
        }
        for event in &decided.events {
            insert_event_in(&tx, event)?;
        }
        counts.events += decided.events.len();
        counts
            .event_kinds
            .extend(decided.events.iter().map(|e| e.payload.kind_name()));
        tx.commit()?;
        Ok(counts)
    }
}

/// Stores an entry passed on as known unchanged, as [`upsert_entry`] stores an unchanged one:
/// only its `last_seen_at` and `last_fetch_id` move. Anything else (the key unknown after all,
/// another hash, its incident withdrawn: cases whose writes need the classified entry) fails
/// the ingest with [`StoreError::KnownEntryChanged`].
fn touch_known<'a>(
    tx: &Connection,
    feed_id: i64,
    fetch_id: i64,
    se: &'a StorableEntry,
    known: &mut Known<'a>,
    now: DateTime<Utc>,
) -> Result<EntryOutcome, StoreError> {
    let changed = || StoreError::KnownEntryChanged {
        feed_id,
        key: se.key.clone(),
    };
    if known.surely_new(&se.key) {
        return Err(changed());
    }
    match entry_by_key(tx, feed_id, &se.key)? {
        Some((id, old_hash, false)) if old_hash == se.hash => {
            tx.prepare_cached(
                "UPDATE entries SET last_seen_at = ?2, last_fetch_id = ?3 WHERE id = ?1",
            )?
            .execute(params![id, time_text(now), fetch_id])?;
            Ok(EntryOutcome::Unchanged)
        }
        _ => Err(changed()),
    }
}

/// Inserts or revises one entry and its incident. Returns the outcome and, when the entry
/// changed, the incident it belongs to.
fn upsert_entry<'a>(
    tx: &Connection,
    feed_id: i64,
    fetch_id: i64,
    se: &'a StorableEntry,
    full: &'a Digested,
    known: &mut Known<'a>,
    now: DateTime<Utc>,
) -> Result<(EntryOutcome, Option<i64>), StoreError> {
    let ce = &full.classified;
    let entry = &ce.entry;
    let (json, hash) = (&full.json, &se.hash);
    let now_text = time_text(now);
    let started_at = entry_start(entry).map(time_text);
    let surely_new = known.surely_new(&entry.id);
    let mut existing: Option<Existing> = None;
    if !surely_new {
        existing = entry_by_key(tx, feed_id, &entry.id)?;
    }
    // A repost is an entry stored by an earlier fetch: a feed with none has no reposts.
    if existing.is_none() && known.feed_has_entries {
        existing = find_repost(tx, feed_id, fetch_id, entry, started_at.as_deref())?;
    }
    if let Some((id, old_hash, withdrawn)) = &existing {
        if old_hash == hash {
            tx.prepare_cached(
                "UPDATE entries SET last_seen_at = ?2, last_fetch_id = ?3 WHERE id = ?1",
            )?
            .execute(params![id, now_text, fetch_id])?;
            // An entry back in the document after its incident was closed as withdrawn
            // reopens it: the vendor's word stands again.
            if *withdrawn {
                let incident = upsert_incident(tx, feed_id, Some(*id), ce, false, now)?;
                return Ok((EntryOutcome::Unchanged, incident));
            }
            return Ok((EntryOutcome::Unchanged, None));
        }
    }
    let components = serde_json::to_string(&entry.components)?;
    let status = ce.class.status.as_str();
    let phase = ce.class.phase.map(Phase::as_str);
    // A new entry is attached to nothing yet: its incident is found or made first, so the
    // entry row is written once, with it (no read-back, no second UPDATE).
    let new_incident = match existing {
        None => Some(upsert_incident(tx, feed_id, None, ce, surely_new, now)?),
        Some(_) => None,
    };
    let (entry_id, outcome, revision) = match existing {
        None => {
            let id: i64 = tx
                .prepare_cached(
                    "INSERT INTO entries (feed_id, entry_key, key_derived, title, link, published_at,
                         updated_at, first_seen_at, last_seen_at, content_hash, status, phase, rule,
                         severity, components, started_at, last_fetch_id, incident_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
                     RETURNING id",
                )?
                .query_row(
                    params![
                        feed_id,
                        entry.id,
                        entry.id_derived,
                        entry.title,
                        entry.link,
                        entry.published.map(time_text),
                        entry.updated.map(time_text),
                        now_text,
                        hash,
                        status,
                        phase,
                        ce.class.rule,
                        entry.severity,
                        components,
                        started_at,
                        fetch_id,
                        new_incident.flatten()
                    ],
                    |r| r.get(0),
                )?;
            (id, EntryOutcome::New, 1)
        }
        Some((id, _, _)) => {
            tx.prepare_cached(
                "UPDATE entries SET title = ?2, link = ?3, published_at = ?4, updated_at = ?5,
                        last_seen_at = ?6, content_hash = ?7, status = ?8, phase = ?9, rule = ?10,
                        severity = ?11, components = ?12, started_at = ?13, last_fetch_id = ?14,
                        entry_key = ?15, key_derived = ?16
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                entry.title,
                entry.link,
                entry.published.map(time_text),
                entry.updated.map(time_text),
                now_text,
                hash,
                status,
                phase,
                ce.class.rule,
                entry.severity,
                components,
                started_at,
                fetch_id,
                entry.id,
                entry.id_derived
            ])?;
            let last: i64 = tx
                .prepare_cached(
                    "SELECT COALESCE(MAX(revision), 0) FROM entry_revisions WHERE entry_id = ?1",
                )?
                .query_row([id], |r| r.get(0))?;
            (id, EntryOutcome::Revised, last + 1)
        }
    };
    tx.prepare_cached(
        "INSERT INTO entry_revisions (entry_id, revision, seen_at, content_hash, title, content,
                                      entry_json, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        entry_id,
        revision,
        now_text,
        hash,
        entry.title,
        entry.content,
        json,
        status
    ])?;
    {
        let mut insert_update = tx.prepare_cached(
            "INSERT INTO updates (entry_id, posted_at, label, phase, text, update_hash, first_seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (entry_id, update_hash) DO NOTHING",
        )?;
        for (update, update_hash) in entry.updates.iter().zip(&full.update_hashes) {
            insert_update.execute(params![
                entry_id,
                update.at.map(time_text),
                update.label,
                Phase::from_word(&update.label).map(Phase::as_str),
                update.text,
                update_hash,
                now_text
            ])?;
        }
    }
    let incident = match new_incident {
        Some(incident) => incident,
        None => {
            let incident = upsert_incident(tx, feed_id, Some(entry_id), ce, false, now)?;
            if let Some(incident_id) = incident {
                tx.prepare_cached("UPDATE entries SET incident_id = ?2 WHERE id = ?1")?
                    .execute(params![entry_id, incident_id])?;
            }
            incident
        }
    };
    Ok((outcome, incident))
}

/// Creates or advances the incident an entry belongs to. Informational entries that belong
/// to no incident yet stay outside incidents (announcements are not incidents). `entry_id` is
/// the stored entry, `None` for one not written yet (so attached to nothing).
fn upsert_incident(
    tx: &Connection,
    feed_id: i64,
    entry_id: Option<i64>,
    ce: &ClassifiedEntry,
    surely_new: bool,
    now: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    let entry = &ce.entry;
    let status = ce.class.status;
    let at = entry_time(entry).unwrap_or(now);
    let at_text = time_text(at);
    let first_update = entry.updates.iter().filter_map(|u| u.at).min();
    let newest_update = entry.updates.iter().filter_map(|u| u.at).max();
    let components = serde_json::to_string(&entry.components)?;
    let phase = ce.class.phase.map(Phase::as_str);

    // Already attached (a revision of a known entry)?
    let attached: Option<i64> = match entry_id {
        Some(entry_id) => tx
            .prepare_cached("SELECT incident_id FROM entries WHERE id = ?1")?
            .query_row([entry_id], |r| r.get(0))?,
        None => None,
    };
    let chain = entry.incident_key.as_deref();
    let found: Option<i64> = match (attached, chain) {
        (Some(id), _) => Some(id),
        (None, Some(chain)) => find_chain_incident(tx, feed_id, chain, &at_text)?,
        // The entry is new to a feed that had none: no incident has its key yet (and if a
        // chain's key happens to match, the insert below finds it).
        (None, None) if surely_new => None,
        (None, None) => incident_by_key(tx, feed_id, &entry.id)?,
    };

    let incident_id = if let Some(id) = found {
        id
    } else {
        if status == Status::Informational {
            return Ok(None);
        }
        let (key, started) = match chain {
            Some(chain) => (format!("{chain}#{at_text}"), at),
            None => (entry.id.clone(), first_update.unwrap_or(at)),
        };
        let resolved_at =
            (status == Status::Resolved).then(|| time_text(resolved_time(entry).unwrap_or(at)));
        let worst = worse(ce.worst, status);
        let id = tx
            .prepare_cached(
                "INSERT INTO incidents (feed_id, incident_key, chain_key, title, link, status,
                     worst_status, phase, severity, components, started_at, resolved_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                 ON CONFLICT (feed_id, incident_key) DO NOTHING
                 RETURNING id",
            )?
            .query_row(
                params![
                    feed_id,
                    key,
                    chain,
                    incident_title(entry),
                    entry.link,
                    status.as_str(),
                    worst.as_str(),
                    phase,
                    entry.severity,
                    components,
                    time_text(started),
                    resolved_at,
                    time_text(newest_update.unwrap_or(at))
                ],
                |r| r.get(0),
            )
            .optional()?;
        match id {
            Some(id) => return Ok(Some(id)),
            // The key was taken after all: advance that incident instead.
            None => match incident_by_key(tx, feed_id, &key)? {
                Some(id) => id,
                None => return Ok(None),
            },
        }
    };

    let (old_worst, old_updated, old_started): (String, String, String) = tx
        .prepare_cached("SELECT worst_status, updated_at, started_at FROM incidents WHERE id = ?1")?
        .query_row([incident_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let old_worst: Status = old_worst.parse().unwrap_or(Status::Degraded);
    let worst = worse(worse(old_worst, ce.worst), status);
    let latest = newest_update.unwrap_or(at);
    // In a chain, an item older than what the incident already knows (out-of-order arrival)
    // refines the history but does not move the incident's status back in time. A standalone
    // entry is the incident: its current text is the vendor's current word, whatever its dates.
    let is_newest = speaks_for_now(chain.is_some(), latest, parse_time_text(&old_updated));
    let started = match earlier_start(parse_time_text(&old_started), first_update.or(Some(at))) {
        Some(new) => time_text(new),
        None => old_started,
    };
    if is_newest {
        let resolved_at =
            (status == Status::Resolved).then(|| time_text(resolved_time(entry).unwrap_or(latest)));
        tx.prepare_cached(
            "UPDATE incidents SET title = ?2, link = COALESCE(?3, link), status = ?4,
                    worst_status = ?5, phase = ?6, severity = COALESCE(?7, severity),
                    components = ?8, started_at = ?9, resolved_at = ?10, updated_at = ?11
             WHERE id = ?1",
        )?
        .execute(params![
            incident_id,
            incident_title(entry),
            entry.link,
            status.as_str(),
            worst.as_str(),
            phase,
            entry.severity,
            components,
            started,
            resolved_at,
            time_text(latest)
        ])?;
    } else {
        tx.prepare_cached("UPDATE incidents SET worst_status = ?2, started_at = ?3 WHERE id = ?1")?
            .execute(params![incident_id, worst.as_str(), started])?;
    }
    Ok(Some(incident_id))
}

fn incident_by_key(tx: &Connection, feed_id: i64, key: &str) -> Result<Option<i64>, StoreError> {
    Ok(tx
        .prepare_cached("SELECT id FROM incidents WHERE feed_id = ?1 AND incident_key = ?2")?
        .query_row(params![feed_id, key], |r| r.get(0))
        .optional()?)
}

/// The incident of a chain an item at time `at` belongs to: the newest one that started by
/// then and was open at that time, else the first one that started later (the item is an
/// earlier update than any we knew of). `None`: the item starts a new incident.
fn find_chain_incident(
    tx: &Connection,
    feed_id: i64,
    chain: &str,
    at: &str,
) -> Result<Option<i64>, StoreError> {
    let covering: Option<i64> = tx
        .prepare_cached(
            "SELECT id FROM incidents
             WHERE feed_id = ?1 AND chain_key = ?2 AND started_at <= ?3
               AND (resolved_at IS NULL OR resolved_at >= ?3)
             ORDER BY started_at DESC LIMIT 1",
        )?
        .query_row(params![feed_id, chain, at], |r| r.get(0))
        .optional()?;
    if covering.is_some() {
        return Ok(covering);
    }
    Ok(tx
        .prepare_cached(
            "SELECT id FROM incidents
             WHERE feed_id = ?1 AND chain_key = ?2 AND started_at > ?3
             ORDER BY started_at LIMIT 1",
        )?
        .query_row(params![feed_id, chain, at], |r| r.get(0))
        .optional()?)
}

/// The statement [`load_incidents`] reads with: a feed's open (and overridden closed)
/// incidents, or (`only`) one incident of it.
fn incidents_sql(only: bool) -> String {
    const COLUMNS: &str = "i.id, i.title, i.link, i.status, i.phase, i.components, i.started_at,
         COALESCE(i.resolved_at, o.created_at, i.updated_at), i.updated_at,
         i.resolved_at IS NULL, o.status, i.severity, i.phase IS 'withdrawn'";
    // The open ones come from the partial index; overridden ones are few. CROSS JOIN keeps
    // `overrides` the outer loop: given the choice, SQLite scanned every incident of the
    // archive for each write of a changed document (95 % of a changed cycle's reads).
    match only {
        false => format!(
            "SELECT {COLUMNS} FROM incidents i LEFT JOIN overrides o ON o.incident_id = i.id
             WHERE i.feed_id = ?1 AND i.resolved_at IS NULL
             UNION ALL
             SELECT {COLUMNS} FROM overrides o CROSS JOIN incidents i ON i.id = o.incident_id
             WHERE o.feed_id = ?1 AND i.resolved_at IS NOT NULL"
        ),
        true => format!(
            "SELECT {COLUMNS} FROM incidents i LEFT JOIN overrides o ON o.incident_id = i.id
             WHERE i.feed_id = ?1 AND i.id = ?2"
        ),
    }
}

/// Open incidents of a feed (`only` None), or the incidents among `only` that are resolved,
/// as people see them: an incident a person marked resolved or informational is closed (at the
/// override's time when the vendor never closed it), one marked active is open in that status.
pub(super) fn load_incidents(
    tx: &Connection,
    feed_id: i64,
    only: Option<&[i64]>,
) -> Result<Vec<OpenIncident>, StoreError> {
    let sql = incidents_sql(only.is_some());
    let mut stmt = tx.prepare_cached(&sql)?;
    // (incident as seen, open as seen)
    let read = |r: &rusqlite::Row<'_>| -> rusqlite::Result<(OpenIncident, bool)> {
        let status: String = r.get(3)?;
        let phase: Option<String> = r.get(4)?;
        let components: String = r.get(5)?;
        let vendor_open: bool = r.get(9)?;
        let overridden: Option<String> = r.get(10)?;
        let vendor_status: Status = status.parse().unwrap_or(Status::Degraded);
        let (status, open) = match overridden.as_deref().and_then(|s| s.parse::<Status>().ok()) {
            Some(s) => (s, s.is_active()),
            None => (vendor_status, vendor_open),
        };
        let closed_at: String = r.get(7)?;
        let updated_at: String = r.get(8)?;
        Ok((
            OpenIncident {
                id: r.get(0)?,
                title: r.get(1)?,
                link: r.get(2)?,
                status,
                phase: phase.as_deref().and_then(Phase::from_word),
                // Written by us as a JSON array; a damaged value loses components, not the incident.
                components: serde_json::from_str(&components).unwrap_or_default(),
                started_at: r.get(6)?,
                updated_at: if open { updated_at } else { closed_at },
                severity: r.get(11)?,
                latest_update: None,
                withdrawn: r.get(12)?,
            },
            open,
        ))
    };
    let mut out = Vec::new();
    match only {
        None => {
            for row in stmt.query_map([feed_id], read)? {
                let (incident, open) = row?;
                if open {
                    out.push(incident);
                }
            }
            for incident in &mut out {
                incident.latest_update = latest_update(tx, incident.id)?;
            }
            out.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
        }
        Some(ids) => {
            for id in ids {
                if let Some((mut incident, open)) =
                    stmt.query_row(params![feed_id, id], read).optional()?
                {
                    if !open {
                        incident.latest_update = latest_update(tx, incident.id)?;
                        out.push(incident);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The newest update of an incident's entries: by the vendor's time, else the newest revision's
/// first (timelines are stored newest first), so an event can quote what the vendor said last.
fn latest_update(tx: &Connection, incident_id: i64) -> Result<Option<UpdateRef>, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT u.label, u.text, u.posted_at FROM updates u JOIN entries e ON e.id = u.entry_id
             WHERE e.incident_id = ?1
             ORDER BY u.posted_at IS NULL, u.posted_at DESC, u.first_seen_at DESC, u.id
             LIMIT 1",
        )?
        .query_row([incident_id], |r| {
            Ok(UpdateRef {
                label: r.get(0)?,
                text: r.get(1)?,
                posted_at: r.get(2)?,
            })
        })
        .optional()?)
}

/// An entry as stored: its newest revision, parsed back, and its current verdict.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub entry_id: i64,
    pub entry: Entry,
    pub status: Status,
    pub phase: Option<Phase>,
    pub rule: String,
    /// The chain key of the incident the entry belongs to (`None`: no incident, or one of its
    /// own), so `reclassify` can tell when chaining would change.
    pub incident_chain: Option<String>,
    /// Whether the entry belongs to an incident.
    pub has_incident: bool,
}

impl Store {
    /// The content hash of each entry of a feed, by entry key, for the pipeline to pass
    /// entries it finds unchanged on as [`StorableEntry::known_unchanged`]. Entries whose
    /// incident was closed as withdrawn are left out: their return reopens it, which needs the
    /// classified entry.
    pub fn entry_hashes(
        &self,
        feed_id: i64,
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.entry_key, e.content_hash
             FROM entries e LEFT JOIN incidents i ON i.id = e.incident_id
             WHERE e.feed_id = ?1 AND i.phase IS NOT 'withdrawn'",
        )?;
        let rows = stmt.query_map([feed_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every entry of a feed with its newest revision, oldest first (by the vendor's time).
    pub fn feed_entries(&self, feed_id: i64) -> Result<Vec<StoredEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.id, r.entry_json, e.status, e.phase, e.rule, r.content, i.chain_key,
                    i.id IS NOT NULL
             FROM entries e
             JOIN entry_revisions r ON r.entry_id = e.id
              AND r.revision = (SELECT MAX(revision) FROM entry_revisions WHERE entry_id = e.id)
             LEFT JOIN incidents i ON i.id = e.incident_id
             WHERE e.feed_id = ?1
             ORDER BY COALESCE(e.updated_at, e.published_at, e.first_seen_at), e.id",
        )?;
        let rows = stmt.query_map([feed_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, bool>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (entry_id, json, status, phase, rule, content, incident_chain, has_incident) = row?;
            let mut entry: Entry = serde_json::from_str(&json)?;
            // Newer revisions keep the text only in `content`; older ones in the JSON too.
            if entry.content.is_empty() {
                entry.content = content;
            }
            out.push(StoredEntry {
                entry_id,
                entry,
                status: status.parse().unwrap_or(Status::Informational),
                phase: phase.as_deref().and_then(Phase::from_word),
                rule,
                incident_chain,
                has_incident,
            });
        }
        Ok(out)
    }

    /// Writes new verdicts for a feed's entries and rebuilds its incidents and service state
    /// from them, in one transaction. Raises no events: re-reading history under new rules is
    /// not news. Incidents are rebuilt from the entries: an incident whose key survives keeps
    /// its row (and the events that name it); entries that now chain into one incident leave
    /// their old ones, which are removed. Incidents closed as withdrawn stay as they are: the
    /// vendor's removal is a fact of the archive, not a verdict to redo.
    pub fn reclassify_feed(
        &mut self,
        feed_id: i64,
        verdicts: &[(i64, ClassifiedEntry)],
        plan: impl FnOnce(&StateInputs) -> StatePlan,
    ) -> Result<Reclassified, StoreError> {
        let now = chrono::Utc::now();
        let tx = self.conn.transaction()?;
        let before: i64 = tx.query_row(
            "SELECT COUNT(*) FROM incidents WHERE feed_id = ?1",
            [feed_id],
            |r| r.get(0),
        )?;
        // Worst status is re-derived from the entries under the new rules.
        tx.execute(
            "UPDATE incidents SET worst_status = 'informational'
             WHERE feed_id = ?1 AND phase IS NOT 'withdrawn'",
            [feed_id],
        )?;
        // A person's override follows its incident's entries into whatever incident they form
        // now (a chain they merged into), so a rebuild never silently drops a correction.
        let overridden: Vec<(i64, i64)> = tx
            .prepare(
                "SELECT o.id, e.id FROM overrides o JOIN entries e ON e.incident_id = o.incident_id
                 WHERE o.feed_id = ?1 ORDER BY o.id, e.id",
            )?
            .query_map([feed_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        tx.execute(
            "UPDATE entries SET incident_id = NULL
             WHERE feed_id = ?1 AND incident_id IN
                   (SELECT id FROM incidents WHERE feed_id = ?1 AND phase IS NOT 'withdrawn')",
            [feed_id],
        )?;
        let withdrawn: std::collections::HashSet<i64> = tx
            .prepare(
                "SELECT e.id FROM entries e JOIN incidents i ON i.id = e.incident_id
                 WHERE e.feed_id = ?1 AND i.phase IS 'withdrawn'",
            )?
            .query_map([feed_id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut ordered: Vec<&(i64, ClassifiedEntry)> = verdicts.iter().collect();
        ordered.sort_by_key(|(_, ce)| entry_time(&ce.entry));
        for (entry_id, ce) in ordered {
            tx.prepare_cached(
                "UPDATE entries SET status = ?2, phase = ?3, rule = ?4 WHERE id = ?1",
            )?
            .execute(params![
                entry_id,
                ce.class.status.as_str(),
                ce.class.phase.map(Phase::as_str),
                ce.class.rule
            ])?;
            if withdrawn.contains(entry_id) {
                continue;
            }
            if let Some(incident) = upsert_incident(&tx, feed_id, Some(*entry_id), ce, false, now)?
            {
                tx.prepare_cached("UPDATE entries SET incident_id = ?2 WHERE id = ?1")?
                    .execute(params![entry_id, incident])?;
            }
        }
        for (override_id, entry_id) in &overridden {
            // OR IGNORE: the new incident may already carry an override of its own, which stands.
            tx.prepare_cached(
                "UPDATE OR IGNORE overrides SET incident_id = (
                     SELECT incident_id FROM entries WHERE id = ?2 AND incident_id IS NOT NULL)
                 WHERE id = ?1
                   AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.incident_id = overrides.incident_id)
                   AND EXISTS (SELECT 1 FROM entries WHERE id = ?2 AND incident_id IS NOT NULL)",
            )?
            .execute(params![override_id, entry_id])?;
        }
        // Overrides whose entries form no incident any more (now read as announcements) go
        // with their incident: counted, so the command can say so.
        let overrides_dropped: i64 = tx.query_row(
            "SELECT COUNT(*) FROM overrides o WHERE o.feed_id = ?1 AND o.incident_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.incident_id = o.incident_id)",
            [feed_id],
            |r| r.get(0),
        )?;
        // Incidents no entry belongs to any more (merged into a chain, or now read as
        // announcements): gone. Events that named them keep their own copy of what they said.
        let removed = tx.execute(
            "DELETE FROM incidents WHERE feed_id = ?1
               AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.incident_id = incidents.id)",
            [feed_id],
        )?;
        let after: i64 = tx.query_row(
            "SELECT COUNT(*) FROM incidents WHERE feed_id = ?1",
            [feed_id],
            |r| r.get(0),
        )?;
        let inputs = state_inputs_in(&tx, feed_id, &[])?;
        let decided = plan(&inputs);
        let changed = decided
            .states
            .iter()
            .filter(|s| {
                inputs
                    .previous
                    .iter()
                    .find(|p| p.component == s.component)
                    .is_none_or(|p| p.state != s.state)
            })
            .count();
        for state in &decided.states {
            upsert_state_in(&tx, feed_id, state)?;
        }
        tx.commit()?;
        let removed = i64::try_from(removed).unwrap_or(i64::MAX);
        Ok(Reclassified {
            states_changed: changed,
            incidents_removed: usize::try_from(removed).unwrap_or(0),
            incidents_added: usize::try_from((after - before + removed).max(0)).unwrap_or(0),
            overrides_dropped: usize::try_from(overrides_dropped).unwrap_or(0),
        })
    }
}

/// What [`Store::reclassify_feed`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reclassified {
    /// Service or component state rows whose state changed.
    pub states_changed: usize,
    /// Incidents removed: merged into a chain, or no longer incidents at all.
    pub incidents_removed: usize,
    /// Incidents created by the rebuild.
    pub incidents_added: usize,
    /// Overrides of incidents that are no incident any more (their entries now read as
    /// announcements), removed with them.
    pub overrides_dropped: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With an archive's statistics (many incidents, no overrides), SQLite preferred reading
    /// every incident to reading the empty `overrides` for the second arm, on every write of a
    /// changed document.
    #[test]
    fn loading_a_feeds_incidents_never_reads_every_incident() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("plan.db")).unwrap();
        store
            .conn
            .execute_batch(
                "ANALYZE;
                 DELETE FROM sqlite_stat1;
                 INSERT INTO sqlite_stat1 VALUES
                     ('incidents', 'sqlite_autoindex_incidents_1', '50000 25 1'),
                     ('incidents', 'incidents_open', '0 0 0'),
                     ('incidents', 'incidents_started', '50000 401'),
                     ('incidents', 'incidents_feed_started', '50000 25 1');
                 ANALYZE sqlite_schema;",
            )
            .unwrap();
        for only in [false, true] {
            let sql = incidents_sql(only);
            let mut stmt = store
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            let values: &[&dyn rusqlite::ToSql] = if only { &[&1, &2] } else { &[&1] };
            let steps: Vec<String> = stmt
                .query_map(values, |r| r.get::<_, String>(3))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert!(
                !steps.iter().any(|s| s.starts_with("SCAN i")),
                "{sql}\n{steps:#?}"
            );
        }
    }
}
