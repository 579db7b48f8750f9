//! SQL for `service_state` and the `events` outbox.

use super::{Store, StoreError};
use crate::model::event::EventColumns;
use crate::model::{NewEvent, Reported, ServiceState, StateInputs, StateRow, StoredEvent};
use rusqlite::{params, Connection, OptionalExtension};

/// One line of `statuswatch status`: the `current_status` view.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct StatusRow {
    pub vendor: String,
    pub feed: String,
    pub category: Option<String>,
    pub component: String,
    pub state: String,
    pub since: Option<String>,
    pub incident: Option<String>,
    pub link: Option<String>,
    pub checked_at: Option<String>,
    /// The reason a person gave, where an override decides this state.
    #[serde(rename = "override")]
    pub override_reason: Option<String>,
}

/// One row of the `current_status` view, in the column order `current_status` selects.
pub(super) fn status_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StatusRow> {
    Ok(StatusRow {
        vendor: r.get(0)?,
        feed: r.get(1)?,
        category: r.get(2)?,
        component: r.get(3)?,
        state: r.get(4)?,
        since: r.get(5)?,
        incident: r.get(6)?,
        link: r.get(7)?,
        checked_at: r.get(8)?,
        override_reason: r.get(9)?,
    })
}

/// What the state planner plans from, read inside the transaction: the previous states, the
/// open incidents, the incidents among `resolved` (closed by this write), a person's overrides
/// and what the source last reported itself.
pub(super) fn state_inputs_in(
    tx: &Connection,
    feed_id: i64,
    resolved: &[i64],
) -> Result<StateInputs, StoreError> {
    Ok(StateInputs {
        previous: load_states_in(tx, feed_id)?,
        open: super::entries::load_incidents(tx, feed_id, None)?,
        resolved_now: if resolved.is_empty() {
            Vec::new()
        } else {
            super::entries::load_incidents(tx, feed_id, Some(resolved))?
        },
        overrides: super::overrides::state_overrides_in(tx, feed_id)?,
        reported: reported_in(tx, feed_id)?,
    })
}

/// Keeps what a source's latest document said of itself (see [`state_inputs_in`]).
pub(super) fn set_reported_in(
    tx: &Connection,
    feed_id: i64,
    reported: &Reported,
) -> Result<(), StoreError> {
    tx.prepare_cached("UPDATE feeds SET reported_state = ?2 WHERE id = ?1")?
        .execute(params![feed_id, serde_json::to_string(reported)?])?;
    Ok(())
}

fn reported_in(tx: &Connection, feed_id: i64) -> Result<Option<Reported>, StoreError> {
    let text: Option<String> = tx
        .prepare_cached("SELECT reported_state FROM feeds WHERE id = ?1")?
        .query_row([feed_id], |r| r.get(0))
        .optional()?
        .flatten();
    // A value this build cannot read (a newer one's) counts as no report, not as an error
    // that would stop the feed.
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

pub(super) fn load_states_in(tx: &Connection, feed_id: i64) -> Result<Vec<StateRow>, StoreError> {
    let mut stmt = tx.prepare_cached(
        "SELECT component, state, since, incident_id, updated_at FROM service_state
         WHERE feed_id = ?1 ORDER BY component",
    )?;
    let rows = stmt.query_map([feed_id], |r| {
        let state: String = r.get(1)?;
        Ok(StateRow {
            component: r.get(0)?,
            state: state.parse().unwrap_or(ServiceState::Operational),
            since: r.get(2)?,
            incident_id: r.get(3)?,
            updated_at: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn upsert_state_in(
    tx: &Connection,
    feed_id: i64,
    row: &StateRow,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO service_state (feed_id, component, state, since, incident_id, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (feed_id, component) DO UPDATE SET
             state = excluded.state, since = excluded.since,
             incident_id = excluded.incident_id, updated_at = excluded.updated_at",
    )?
    .execute(params![
        feed_id,
        row.component,
        row.state.as_str(),
        row.since,
        row.incident_id,
        row.updated_at
    ])?;
    Ok(())
}

pub(super) fn insert_event_in(tx: &Connection, e: &NewEvent) -> Result<(), StoreError> {
    // The columns repeat the payload's facts for SQL; the payload is what is delivered.
    let p = &e.payload;
    tx.prepare_cached(
        "INSERT INTO events (id, kind, occurred_at, detected_at, feed_id, vendor, component,
                             from_state, to_state, incident_id, title, link, payload)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        p.id,
        p.kind_name(),
        p.occurred_at,
        p.detected_at,
        e.feed_id,
        p.vendor(),
        p.component(),
        p.transition().map(|(from, _)| from.as_str()),
        p.transition().map(|(_, to)| to.as_str()),
        e.incident_id,
        p.title,
        p.link,
        serde_json::to_string(p)?
    ])?;
    Ok(())
}

impl Store {
    /// The `current_status` view, worst first, then by vendor.
    pub fn current_status(&self) -> Result<Vec<StatusRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT vendor, feed, category, component, state, since, incident, link, checked_at,
                    override
             FROM current_status ORDER BY severity DESC, vendor, feed, component",
        )?;
        let rows = stmt.query_map([], status_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Events after `after_seq`, oldest first, optionally since a time and for one vendor.
    pub fn events_after(
        &self,
        after_seq: i64,
        since: Option<&str>,
        vendor: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{EVENT_SELECT}
             WHERE seq > ?1 AND (?2 IS NULL OR detected_at >= ?2) AND (?3 IS NULL OR vendor = ?3)
             ORDER BY seq LIMIT ?4"
        ))?;
        let rows = stmt.query_map(
            params![after_seq, since, vendor, limit as i64],
            event_from_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// An outbox row: everything about an event is in its own row (nothing joined), so what is
/// listed and delivered does not change when a feed is renamed or removed later.
pub(super) const EVENT_SELECT: &str =
    "SELECT seq, payload, id, kind, occurred_at, detected_at, title, link FROM events";

pub(super) fn event_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEvent> {
    let columns = EventColumns {
        id: r.get(2)?,
        kind: r.get(3)?,
        occurred_at: r.get(4)?,
        detected_at: r.get(5)?,
        title: r.get(6)?,
        link: r.get(7)?,
    };
    Ok(StoredEvent::read(r.get(0)?, r.get(1)?, columns))
}

/// One incident with its duration, as `statuswatch history` shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HistoryRow {
    pub incident_id: i64,
    pub vendor: String,
    pub feed: String,
    pub title: String,
    pub status: String,
    pub worst_status: String,
    pub phase: Option<String>,
    pub started_at: String,
    pub resolved_at: Option<String>,
    pub duration_minutes: Option<f64>,
    pub components: Vec<String>,
    pub link: Option<String>,
    /// A person's override of the status, and why (`status`, `resolved_at` and the duration
    /// already follow it; the vendor's own word is `vendor_status`).
    pub override_status: Option<String>,
    pub override_reason: Option<String>,
    pub vendor_status: String,
}

impl Store {
    /// Incidents, newest first, optionally for one vendor and since a time.
    pub fn history(
        &self,
        vendor: Option<&str>,
        since: Option<&str>,
        limit: usize,
    ) -> Result<Vec<HistoryRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, vendor, feed, title, status, worst_status, phase, started_at, resolved_at,
                    ROUND((julianday(COALESCE(resolved_at, 'now')) - julianday(started_at)) * 1440.0, 1),
                    components, link, override_status, override_reason, vendor_status
             FROM (SELECT i.id, f.vendor, f.title AS feed, i.title, COALESCE(o.status, i.status) AS status,
                          i.worst_status, i.phase, i.started_at,
                          CASE WHEN o.status IN ('resolved', 'informational')
                                   THEN COALESCE(i.resolved_at, o.created_at)
                               WHEN o.status IS NOT NULL THEN NULL
                               ELSE i.resolved_at END AS resolved_at,
                          i.components, i.link, o.status AS override_status,
                          o.reason AS override_reason, i.status AS vendor_status
                   FROM incidents i JOIN feeds f ON f.id = i.feed_id
                   LEFT JOIN overrides o ON o.incident_id = i.id
             WHERE (?1 IS NULL OR f.vendor = ?1) AND (?2 IS NULL OR i.started_at >= ?2)
               AND i.same_as IS NULL)
             ORDER BY started_at DESC, id DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![vendor, since, limit as i64], |r| {
            let components: String = r.get(10)?;
            Ok(HistoryRow {
                incident_id: r.get(0)?,
                vendor: r.get(1)?,
                feed: r.get(2)?,
                title: r.get(3)?,
                status: r.get(4)?,
                worst_status: r.get(5)?,
                phase: r.get(6)?,
                started_at: r.get(7)?,
                resolved_at: r.get(8)?,
                duration_minutes: r.get(9)?,
                components: serde_json::from_str(&components).unwrap_or_default(),
                link: r.get(11)?,
                override_status: r.get(12)?,
                override_reason: r.get(13)?,
                vendor_status: r.get(14)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The newest event's sequence number (0 when there is none).
    pub fn last_event_seq(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?)
    }
}
