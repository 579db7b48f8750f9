//! SQL for `overrides`: a person's corrections of an incident's status or a vendor's state.
//!
//! Setting or removing one re-plans the feed's state in the same transaction, through the
//! events stage's planner like an ingest: a person marking an outage over is news to whoever
//! is paged, so the state change raises its event.

use rusqlite::{params, Connection, OptionalExtension};

use super::state::{insert_event_in, upsert_state_in};
use super::{time_text, Store, StoreError};
use crate::model::{ServiceState, Status};
use crate::model::{StateInputs, StatePlan};

/// What an override corrects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverrideTarget {
    /// One incident's status (its feed is the incident's).
    Incident { id: i64, status: Status },
    /// A feed's state, of the whole service (`component` `""`) or one component.
    State {
        feed_id: i64,
        component: String,
        state: ServiceState,
    },
}

/// One override, as `statuswatch override list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OverrideRow {
    pub id: i64,
    pub vendor: String,
    pub feed_id: i64,
    pub incident_id: Option<i64>,
    pub incident: Option<String>,
    pub component: String,
    pub status: String,
    pub reason: String,
    pub created_at: String,
}

/// The state overrides of a feed, per component.
pub(super) fn state_overrides_in(
    tx: &Connection,
    feed_id: i64,
) -> Result<Vec<(String, ServiceState)>, StoreError> {
    let mut stmt = tx.prepare_cached(
        "SELECT component, status FROM overrides WHERE feed_id = ?1 AND incident_id IS NULL",
    )?;
    let rows = stmt.query_map([feed_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (component, state) = row?;
        // Written by us from a parsed state; an unreadable one is left out, not guessed.
        if let Ok(state) = state.parse() {
            out.push((component, state));
        }
    }
    Ok(out)
}

/// Plans the feed's state again and writes the new states and their events; returns how many
/// events were raised.
fn replan_in(
    tx: &Connection,
    feed_id: i64,
    closed: &[i64],
    plan: impl FnOnce(&StateInputs) -> StatePlan,
) -> Result<usize, StoreError> {
    let inputs = super::state::state_inputs_in(tx, feed_id, closed)?;
    let decided = plan(&inputs);
    for state in &decided.states {
        upsert_state_in(tx, feed_id, state)?;
    }
    for event in &decided.events {
        insert_event_in(tx, event)?;
    }
    Ok(decided.events.len())
}

impl Store {
    /// The feed an override would touch: the incident's feed, or the feed named.
    pub fn override_feed(&self, target: &OverrideTarget) -> Result<i64, StoreError> {
        match target {
            OverrideTarget::State { feed_id, .. } => Ok(*feed_id),
            OverrideTarget::Incident { id, .. } => self
                .conn
                .query_row("SELECT feed_id FROM incidents WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?
                .ok_or(StoreError::NoSuchIncident(*id)),
        }
    }

    /// Sets (or replaces) an override and re-plans the feed's state with `plan`, in one
    /// transaction. Returns the override's id and how many events it raised.
    pub fn set_override(
        &mut self,
        target: &OverrideTarget,
        reason: &str,
        now: chrono::DateTime<chrono::Utc>,
        plan: impl FnOnce(&StateInputs) -> StatePlan,
    ) -> Result<(i64, usize), StoreError> {
        let feed_id = self.override_feed(target)?;
        let tx = self.conn.transaction()?;
        let (incident_id, component, status) = match target {
            OverrideTarget::Incident { id, status } => (Some(*id), String::new(), status.as_str()),
            OverrideTarget::State {
                component, state, ..
            } => (None, component.clone(), state.as_str()),
        };
        tx.execute(
            "DELETE FROM overrides WHERE feed_id = ?1 AND incident_id IS ?2
               AND (?2 IS NOT NULL OR component = ?3)",
            params![feed_id, incident_id, component],
        )?;
        let id: i64 = tx.query_row(
            "INSERT INTO overrides (feed_id, incident_id, component, status, reason, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
            params![
                feed_id,
                incident_id,
                component,
                status,
                reason,
                time_text(now)
            ],
            |r| r.get(0),
        )?;
        let closed: Vec<i64> = incident_id.into_iter().collect();
        let events = replan_in(&tx, feed_id, &closed, plan)?;
        tx.commit()?;
        Ok((id, events))
    }

    /// The feed of an override, for building its planner before [`Store::remove_override`].
    pub fn override_row(&self, id: i64) -> Result<OverrideRow, StoreError> {
        self.overrides()?
            .into_iter()
            .find(|o| o.id == id)
            .ok_or(StoreError::NoSuchOverride(id))
    }

    /// Removes an override (the vendor's word stands again) and re-plans the feed's state.
    /// Returns how many events the change raised.
    pub fn remove_override(
        &mut self,
        id: i64,
        plan: impl FnOnce(&StateInputs) -> StatePlan,
    ) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let removed: Option<(i64, Option<i64>)> = tx
            .query_row(
                "DELETE FROM overrides WHERE id = ?1 RETURNING feed_id, incident_id",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((feed_id, incident_id)) = removed else {
            return Err(StoreError::NoSuchOverride(id));
        };
        let closed: Vec<i64> = incident_id.into_iter().collect();
        let events = replan_in(&tx, feed_id, &closed, plan)?;
        tx.commit()?;
        Ok(events)
    }

    /// Every override, newest first.
    pub fn overrides(&self) -> Result<Vec<OverrideRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.id, f.vendor, o.feed_id, o.incident_id, i.title, o.component, o.status,
                    o.reason, o.created_at
             FROM overrides o JOIN feeds f ON f.id = o.feed_id
             LEFT JOIN incidents i ON i.id = o.incident_id
             ORDER BY o.created_at DESC, o.id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(OverrideRow {
                id: r.get(0)?,
                vendor: r.get(1)?,
                feed_id: r.get(2)?,
                incident_id: r.get(3)?,
                incident: r.get(4)?,
                component: r.get(5)?,
                status: r.get(6)?,
                reason: r.get(7)?,
                created_at: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
