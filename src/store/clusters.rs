//! SQL for correlated outages: what the correlate stage plans from (vendors, departures, base
//! rates, open clusters) and the clusters it writes, and the listing `clusters` shows.

use super::{parse_time_text, time_text, Store, StoreError, WriteScope};
use crate::correlate::CorrelationSettings;
use crate::model::cluster::{
    ClusterWrite, CorrelationInputs, CorrelationPlan, Departure, MemberIncident, OpenCluster,
    StoredMember, SuspectedCause, VendorFacts,
};
use crate::model::ServiceState;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use std::collections::HashMap;

/// How much of an incident's words the stage reads for naming a provider or a region.
const TEXT_LIMIT: usize = 4000;

impl Store {
    /// Whether a correlated outage is open (not yet resolved).
    pub fn cluster_open(&self) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM clusters WHERE resolved_at IS NULL)")?
            .query_row([], |r| r.get(0))?)
    }

    /// Reads the correlate stage's inputs at `now`, plans with `plan` and writes the plan
    /// (clusters, members, events) in one transaction. Returns the events written.
    pub fn correlate(
        &mut self,
        settings: &CorrelationSettings,
        now: DateTime<Utc>,
        plan: impl FnOnce(&CorrelationInputs) -> CorrelationPlan,
    ) -> Result<usize, StoreError> {
        let tx = WriteScope::begin(&mut self.conn)?;
        let Some(inputs) = inputs_in(&tx, settings, now)? else {
            // Nothing departed lately and no cluster is open: nothing to plan.
            return Ok(0);
        };
        let planned = plan(&inputs);
        for cluster in &planned.clusters {
            write_cluster_in(&tx, cluster)?;
        }
        for event in &planned.events {
            super::state::insert_event_in(&tx, event)?;
        }
        tx.commit()?;
        Ok(planned.events.len())
    }
}

fn duration(d: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

fn saturating_sub(t: DateTime<Utc>, d: std::time::Duration) -> DateTime<Utc> {
    t.checked_sub_signed(duration(d))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The inputs at `now`, or `None` when there is nothing to plan (no recent departure, no
/// vendor down lately, no open cluster): the common case costs two indexed lookups.
fn inputs_in(
    tx: &Connection,
    settings: &CorrelationSettings,
    now: DateTime<Utc>,
) -> Result<Option<CorrelationInputs>, StoreError> {
    let open = open_clusters_in(tx)?;
    let window = duration(settings.window);
    let horizon_start = saturating_sub(now, settings.horizon);
    // An open cluster takes in departures back to a window before its start.
    let from = open
        .iter()
        .map(|c| c.started_at - window)
        .fold(horizon_start, DateTime::min);
    let (from_text, now_text) = (time_text(from), time_text(now));
    let departures = departures_in(tx, &from_text, &now_text)?;
    if open.is_empty() && departures.is_empty() && !vendor_down_since(tx, &from_text)? {
        return Ok(None);
    }
    let mut vendors = vendors_in(tx)?;
    states_in(tx, &mut vendors)?;
    for (vendor, departure) in departures {
        if let Some(v) = vendors.get_mut(&vendor) {
            v.departures.push(departure);
        }
    }
    // The base rate: unplanned incidents over the baseline before the horizon, over the
    // history the archive holds for the vendor (from its oldest incident, or when it was
    // added, whichever is earlier; at most the baseline). The oldest incident of all, not the
    // oldest inside the baseline: a feed whose history goes back further has been watched
    // (by its vendor) the whole baseline, even if its last months were quiet.
    let baseline_start = saturating_sub(horizon_start, settings.baseline);
    let mut past = tx.prepare_cached(
        "SELECT vendor, COUNT(*) FROM outages
         WHERE started_at >= ?1 AND started_at < ?2 GROUP BY vendor",
    )?;
    let rows = past.query_map(
        params![time_text(baseline_start), time_text(horizon_start)],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
    )?;
    for row in rows {
        let (vendor, count) = row?;
        if let Some(v) = vendors.get_mut(&vendor) {
            v.past_incidents = u32::try_from(count).unwrap_or(u32::MAX);
        }
    }
    let mut first = tx.prepare_cached(
        "SELECT vendor, MIN(start) FROM (
             SELECT f.vendor AS vendor, MIN(i.started_at) AS start
             FROM incidents i JOIN feeds f ON f.id = i.feed_id
             GROUP BY f.vendor
             UNION ALL
             SELECT vendor, MIN(added_at) FROM feeds GROUP BY vendor)
         GROUP BY vendor",
    )?;
    let rows = first.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
    })?;
    for row in rows {
        let (vendor, start) = row?;
        let start = start.as_deref().and_then(parse_time_text);
        if let (Some(v), Some(start)) = (vendors.get_mut(&vendor), start) {
            let start = start.max(baseline_start);
            v.history_hours = ((horizon_start - start).num_seconds().max(0) as f64) / 3600.0;
        }
    }
    let mut accounted = tx.prepare_cached(
        "SELECT m.vendor, MAX(c.resolved_at) FROM cluster_members m
         JOIN clusters c ON c.id = m.cluster_id
         WHERE c.resolved_at IS NOT NULL GROUP BY m.vendor",
    )?;
    let rows = accounted.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
    })?;
    for row in rows {
        let (vendor, until) = row?;
        if let Some(v) = vendors.get_mut(&vendor) {
            v.accounted_until = until.as_deref().and_then(parse_time_text);
        }
    }
    let next_id: i64 = tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM clusters", [], |r| {
        r.get(0)
    })?;
    let mut vendors: Vec<VendorFacts> = vendors.into_values().collect();
    vendors.sort_by(|a, b| a.vendor.cmp(&b.vendor));
    Ok(Some(CorrelationInputs {
        vendors,
        open,
        next_id,
    }))
}

/// Whether a vendor is down since `from` by its source's own word (an API with no incident).
fn vendor_down_since(tx: &Connection, from: &str) -> Result<bool, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM service_state
             WHERE component = '' AND state IN ('degraded', 'outage') AND since >= ?1)",
        )?
        .query_row([from], |r| r.get(0))?)
}

/// Every watched vendor: its first feed's title, its first category, what its feeds run on.
fn vendors_in(tx: &Connection) -> Result<HashMap<String, VendorFacts>, StoreError> {
    let mut stmt = tx.prepare_cached(
        "SELECT vendor, title, category, runs_on FROM feeds WHERE enabled ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    let mut vendors: HashMap<String, VendorFacts> = HashMap::new();
    for row in rows {
        let (vendor, title, category, runs_on) = row?;
        let runs_on = super::feeds::runs_on_from_column(runs_on.as_deref());
        let entry = vendors
            .entry(vendor.clone())
            .or_insert_with(|| VendorFacts::new(vendor, title));
        if entry.category.is_none() {
            entry.category = category.map(|c| c.to_lowercase());
        }
        for dep in runs_on {
            if !entry.runs_on.contains(&dep) {
                entry.runs_on.push(dep);
            }
        }
    }
    Ok(vendors)
}

/// Each vendor's worst feed state now, with its incident.
fn states_in(
    tx: &Connection,
    vendors: &mut HashMap<String, VendorFacts>,
) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(
        "SELECT f.vendor, s.state, s.since, s.incident_id, i.title, i.link
         FROM service_state s JOIN feeds f ON f.id = s.feed_id
         LEFT JOIN incidents i ON i.id = s.incident_id
         WHERE s.component = '' AND f.enabled",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<i64>>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, Option<String>>(5)?,
        ))
    })?;
    for row in rows {
        let (vendor, state, since, incident_id, title, link) = row?;
        let state: ServiceState = state.parse().unwrap_or(ServiceState::Operational);
        let Some(v) = vendors.get_mut(&vendor) else {
            continue;
        };
        if state > v.state {
            v.state = state;
            v.state_since = parse_time_text(&since);
            v.state_incident =
                incident_id
                    .zip(title)
                    .map(|(id, title)| MemberIncident { id, title, link });
        }
    }
    Ok(())
}

/// Unplanned incidents started in `[from, to]` (the `outages` view: a person's overrides
/// stand, an incident seen through two sources counts once), oldest first, with their words.
fn departures_in(
    tx: &Connection,
    from: &str,
    to: &str,
) -> Result<Vec<(String, Departure)>, StoreError> {
    let mut stmt = tx.prepare_cached(
        "SELECT incident_id, vendor, title, link, started_at FROM outages
         WHERE started_at >= ?1 AND started_at <= ?2 ORDER BY started_at, incident_id",
    )?;
    let rows = stmt.query_map(params![from, to], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut words = tx.prepare_cached(
        "SELECT u.text FROM updates u JOIN entries e ON e.id = u.entry_id
         WHERE e.incident_id = ?1 ORDER BY u.posted_at DESC LIMIT 4",
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (id, vendor, title, link, started_at) = row?;
        let Some(since) = parse_time_text(&started_at) else {
            continue;
        };
        let mut text = title.to_lowercase();
        for update in words.query_map([id], |r| r.get::<_, String>(0))? {
            text.push(' ');
            text.push_str(&update?.to_lowercase());
            if text.len() > TEXT_LIMIT {
                break;
            }
        }
        out.push((
            vendor,
            Departure {
                since,
                incident: MemberIncident { id, title, link },
                text,
            },
        ));
    }
    Ok(out)
}

fn cause_from(
    vendor: Option<String>,
    region: Option<String>,
    why: Option<String>,
) -> Option<SuspectedCause> {
    vendor.map(|vendor| SuspectedCause {
        vendor,
        region,
        why: why.unwrap_or_default(),
    })
}

fn open_clusters_in(tx: &Connection) -> Result<Vec<OpenCluster>, StoreError> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, started_at, opened_at, last_event_at, cause_vendor, cause_region, cause_why,
                chance
         FROM clusters WHERE resolved_at IS NULL ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            [
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ],
            cause_from(r.get(4)?, r.get(5)?, r.get(6)?),
            r.get::<_, f64>(7)?,
        ))
    })?;
    let mut open = Vec::new();
    for row in rows {
        let (id, [started, opened, last], cause, chance) = row?;
        let (Some(started_at), Some(opened_at), Some(last_event_at)) = (
            parse_time_text(&started),
            parse_time_text(&opened),
            parse_time_text(&last),
        ) else {
            continue;
        };
        open.push(OpenCluster {
            id,
            started_at,
            opened_at,
            last_event_at,
            members: members_in(tx, id)?
                .into_iter()
                .filter_map(|m| {
                    Some(StoredMember {
                        since: parse_time_text(&m.since)?,
                        vendor: m.vendor,
                        incident: m.incident,
                        announced: m.announced,
                    })
                })
                .collect(),
            cause,
            chance,
        });
    }
    Ok(open)
}

/// A member as stored, for planning and for people.
struct MemberRow {
    vendor: String,
    since: String,
    state: String,
    incident: Option<MemberIncident>,
    announced: bool,
}

fn members_in(tx: &Connection, cluster_id: i64) -> Result<Vec<MemberRow>, StoreError> {
    let mut stmt = tx.prepare_cached(
        "SELECT m.vendor, m.since, m.state, m.incident_id, i.title, i.link, m.announced
         FROM cluster_members m LEFT JOIN incidents i ON i.id = m.incident_id
         WHERE m.cluster_id = ?1 ORDER BY m.since, m.vendor",
    )?;
    let rows = stmt.query_map([cluster_id], |r| {
        let incident = r
            .get::<_, Option<i64>>(3)?
            .zip(r.get::<_, Option<String>>(4)?)
            .map(|(id, title)| -> rusqlite::Result<MemberIncident> {
                Ok(MemberIncident {
                    id,
                    title,
                    link: r.get(5)?,
                })
            })
            .transpose()?;
        Ok(MemberRow {
            vendor: r.get(0)?,
            since: r.get(1)?,
            state: r.get(2)?,
            incident,
            announced: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn write_cluster_in(tx: &Connection, c: &ClusterWrite) -> Result<(), StoreError> {
    let cause = c.cause.as_ref();
    tx.prepare_cached(
        "INSERT INTO clusters (id, started_at, opened_at, last_event_at, resolved_at, phase,
                               cause_vendor, cause_region, cause_why, chance)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (id) DO UPDATE SET
             started_at = excluded.started_at, last_event_at = excluded.last_event_at,
             resolved_at = excluded.resolved_at, phase = excluded.phase,
             cause_vendor = excluded.cause_vendor, cause_region = excluded.cause_region,
             cause_why = excluded.cause_why, chance = excluded.chance",
    )?
    .execute(params![
        c.id,
        time_text(c.started_at),
        time_text(c.opened_at),
        time_text(c.last_event_at),
        c.resolved_at.map(time_text),
        <&str>::from(c.phase),
        cause.map(|c| &c.vendor),
        cause.and_then(|c| c.region.as_ref()),
        cause.map(|c| &c.why),
        c.chance,
    ])?;
    tx.prepare_cached("DELETE FROM cluster_members WHERE cluster_id = ?1")?
        .execute([c.id])?;
    let states: HashMap<&str, ServiceState> =
        c.states.iter().map(|(v, s)| (v.as_str(), *s)).collect();
    let mut insert = tx.prepare_cached(
        "INSERT INTO cluster_members (cluster_id, vendor, since, state, incident_id, announced)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for m in &c.members {
        let state = states
            .get(m.vendor.as_str())
            .copied()
            .unwrap_or(ServiceState::Operational);
        insert.execute(params![
            c.id,
            m.vendor,
            time_text(m.since),
            state.as_str(),
            m.incident.as_ref().map(|i| i.id),
            m.announced,
        ])?;
    }
    Ok(())
}

/// One cluster as `statuswatch clusters` and `status` show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ClusterRow {
    pub id: i64,
    pub started_at: String,
    pub opened_at: String,
    pub last_event_at: String,
    pub resolved_at: Option<String>,
    pub phase: String,
    pub suspected_cause: Option<SuspectedCause>,
    pub chance: f64,
    pub members: Vec<ClusterMemberRow>,
}

/// One member of a listed cluster.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ClusterMemberRow {
    pub vendor: String,
    pub state: String,
    pub since: String,
    pub incident: Option<String>,
    pub link: Option<String>,
}

impl Store {
    /// Clusters newest first: open ones only, or every one started since `since`.
    pub fn clusters(
        &self,
        since: Option<&str>,
        open_only: bool,
        limit: usize,
    ) -> Result<Vec<ClusterRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, started_at, opened_at, last_event_at, resolved_at, phase, cause_vendor,
                    cause_region, cause_why, chance
             FROM clusters
             WHERE (?1 IS NULL OR started_at >= ?1) AND (NOT ?2 OR resolved_at IS NULL)
             ORDER BY started_at DESC, id DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![since, open_only, limit as i64], |r| {
            Ok(ClusterRow {
                id: r.get(0)?,
                started_at: r.get(1)?,
                opened_at: r.get(2)?,
                last_event_at: r.get(3)?,
                resolved_at: r.get(4)?,
                phase: r.get(5)?,
                suspected_cause: cause_from(r.get(6)?, r.get(7)?, r.get(8)?),
                chance: r.get(9)?,
                members: Vec::new(),
            })
        })?;
        let mut clusters: Vec<ClusterRow> = rows.collect::<Result<_, _>>()?;
        for cluster in &mut clusters {
            cluster.members = members_in(&self.conn, cluster.id)?
                .into_iter()
                .map(|m| ClusterMemberRow {
                    vendor: m.vendor,
                    state: m.state,
                    since: m.since,
                    link: m.incident.as_ref().and_then(|i| i.link.clone()),
                    incident: m.incident.map(|i| i.title),
                })
                .collect();
        }
        Ok(clusters)
    }
}
