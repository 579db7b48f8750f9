//! Correlate stage: vendors that left operational together, more than chance explains.
//!
//! Pure: the store reads [`CorrelationInputs`] (every vendor's state, recent departures and
//! base rate, the open clusters) in one transaction; [`plan_correlation`] returns the clusters
//! to write and the `correlated_outage` events they raise, written in that same transaction.
//! It runs after every cycle and after every capture of a replay, planning from what is stored,
//! so a crash between a state change and its correlation is made good by the next run.
//!
//! The model (README, "Correlated outages"):
//! - A vendor *departs* when an unplanned incident (degraded or outage at worst; maintenance
//!   does not count) starts, dated as the vendor dates it: a vendor that posts late and dates
//!   its incident back is placed where it belongs.
//! - A *burst* is the departures within one `window` of the first. It opens a cluster when
//!   chance alone would make it at most `max_chance` of the time ([`chance`]): against every
//!   watched vendor's base rate, or against the base rate of the vendors that share a
//!   provider (`runs_on`), whichever is more surprising (the latter corrected for the number
//!   of providers tried). At least `min_members` members, one of them still not operational.
//! - An open cluster takes in a later departure that runs on its suspected cause, names it,
//!   or follows the last member within a window (unless its `runs_on` says it runs elsewhere).
//!   New members are announced by one `grew` at most per window; `resolved` when every member
//!   is operational again. A departure a resolved cluster accounted for never opens another.

pub mod cause;
pub mod chance;
pub mod settings;

pub use settings::CorrelationSettings;

use crate::model::cluster::{
    ClusterMember, ClusterPhase, ClusterWrite, CorrelatedOutage, CorrelationInputs,
    CorrelationPlan, MemberIncident, OpenCluster, StoredMember, SuspectedCause, VendorFacts,
};
use crate::model::{EventDetail, EventPayload, NewEvent, ServiceState};
use crate::store::time_text;
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap, HashSet};

/// A vendor's place in a cluster while it is planned.
#[derive(Debug, Clone)]
pub struct Member<'a> {
    pub facts: &'a VendorFacts,
    pub since: DateTime<Utc>,
    pub incident: Option<MemberIncident>,
    /// Its incident's words, lowercase (for naming a provider or a region).
    pub text: String,
    pub announced: bool,
}

impl Member<'_> {
    fn down(&self) -> bool {
        self.facts.state >= ServiceState::Degraded
    }
}

/// A vendor's first departure at or after `from` (and up to `now`) that no resolved cluster
/// accounted for: an unplanned incident's start, or, with none, its state's own start.
fn first_departure<'a>(
    vendor: &'a VendorFacts,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<Member<'a>> {
    let fresh = |t: DateTime<Utc>| {
        t >= from && t <= now && vendor.accounted_until.is_none_or(|until| t > until)
    };
    if let Some(d) = vendor.departures.iter().find(|d| fresh(d.since)) {
        return Some(Member {
            facts: vendor,
            since: d.since,
            incident: Some(d.incident.clone()),
            text: d.text.clone(),
            announced: false,
        });
    }
    // A source that states its own state (an API) may be down with no incident to date it.
    let since = vendor.state_since?;
    (vendor.state >= ServiceState::Degraded && fresh(since)).then(|| Member {
        facts: vendor,
        since,
        incident: vendor.state_incident.clone(),
        text: String::new(),
        announced: false,
    })
}

fn window_of(settings: &CorrelationSettings) -> chrono::Duration {
    chrono::Duration::from_std(settings.window).unwrap_or(chrono::Duration::minutes(30))
}

/// How likely chance alone makes a burst like `burst` in one window: the smaller of the
/// tail over every vendor and the tails over each shared provider's dependents (those
/// multiplied by the number of providers tried).
fn burst_chance(
    burst: &[&Member<'_>],
    vendors: &[VendorFacts],
    rates: &HashMap<&str, f64>,
    settings: &CorrelationSettings,
) -> f64 {
    let window_hours = settings.window.as_secs_f64() / 3600.0;
    let rate = |v: &VendorFacts| rates.get(v.vendor.as_str()).copied().unwrap_or(0.0);
    let everyone: f64 = vendors.iter().map(rate).sum();
    let mut best = chance::poisson_tail(window_hours * everyone, burst.len());
    let providers: BTreeSet<&str> = burst
        .iter()
        .flat_map(|m| m.facts.runs_on.iter().map(|d| d.provider.as_str()))
        .collect();
    // Only a provider two members share is a hypothesis tried: one member's other
    // dependency (a CDN beside its cloud) must not make the shared one less surprising.
    let shared: Vec<(&str, usize)> = providers
        .into_iter()
        .map(|provider| {
            let k = burst
                .iter()
                .filter(|m| m.facts.runs_on.iter().any(|d| d.provider == provider))
                .count();
            (provider, k)
        })
        .filter(|(_, k)| *k >= 2)
        .collect();
    let tried = shared.len().max(1) as f64;
    for (provider, k) in shared {
        let runs_on = |v: &VendorFacts| v.runs_on.iter().any(|d| d.provider == provider);
        let dependents: f64 = vendors.iter().filter(|v| runs_on(v)).map(rate).sum();
        best = best.min(chance::poisson_tail(window_hours * dependents, k) * tried);
    }
    best.min(1.0)
}

/// Whether a departure belongs to an open cluster: it runs on the cause or names it; or,
/// unless its map says it runs elsewhere, it came with the first burst (within a window of the
/// cluster's opening) or, while no cause is known, within a window of the last member.
fn joins(
    member: &Member<'_>,
    cluster: &OpenCluster,
    last_since: DateTime<Utc>,
    window: chrono::Duration,
    cause: Option<&SuspectedCause>,
    vendors: &HashMap<&str, &VendorFacts>,
) -> bool {
    let map = &member.facts.runs_on;
    let Some(cause) = cause else {
        return member.since <= last_since + window;
    };
    let on_cause = map.iter().any(|d| {
        d.provider == cause.vendor
            && (d.region.is_none() || cause.region.is_none() || d.region == cause.region)
    });
    if on_cause {
        return true;
    }
    if !map.is_empty() {
        return false;
    }
    let names_cause = match vendors.get(cause.vendor.as_str()) {
        Some(provider) => cause::names_vendor(&member.text, provider),
        None => cause::mentions(&member.text, &cause.vendor),
    };
    names_cause || member.since <= cluster.opened_at + window
}

/// Plans the clusters at `now`: open clusters take in new members, announce them, resolve;
/// the remaining departures may open new ones.
pub fn plan_correlation(
    inputs: &CorrelationInputs,
    settings: &CorrelationSettings,
    now: DateTime<Utc>,
) -> CorrelationPlan {
    let window = window_of(settings);
    let by_key: HashMap<&str, &VendorFacts> = inputs
        .vendors
        .iter()
        .map(|v| (v.vendor.as_str(), v))
        .collect();
    let mut taken: HashSet<&str> = inputs
        .open
        .iter()
        .flat_map(|c| c.members.iter().map(|m| m.vendor.as_str()))
        .collect();
    let mut plan = CorrelationPlan::default();
    for cluster in &inputs.open {
        plan_open(
            cluster, inputs, &by_key, &mut taken, settings, now, &mut plan,
        );
    }
    let rates: HashMap<&str, f64> = inputs
        .vendors
        .iter()
        .map(|v| {
            (
                v.vendor.as_str(),
                chance::rate_per_hour(v, settings.prior_interval),
            )
        })
        .collect();
    let horizon = chrono::Duration::from_std(settings.horizon).unwrap_or(window);
    // More than one cluster may open at once only when unrelated bursts coincide: try again
    // on what is left after each.
    for id in inputs.next_id..inputs.next_id + 4 {
        let mut candidates: Vec<Member<'_>> = inputs
            .vendors
            .iter()
            .filter(|v| !taken.contains(v.vendor.as_str()))
            .filter_map(|v| first_departure(v, now - horizon, now))
            .collect();
        candidates.sort_by(|a, b| {
            a.since
                .cmp(&b.since)
                .then(a.facts.vendor.cmp(&b.facts.vendor))
        });
        let Some((members, cause, chance)) =
            best_burst(&candidates, inputs, &by_key, &rates, settings, window)
        else {
            break;
        };
        for m in &members {
            taken.insert(m.facts.vendor.as_str());
        }
        if let Some(c) = &cause {
            // The provider is the cause, not a member: it does not open a cluster of its own.
            if let Some(v) = by_key.get(c.vendor.as_str()) {
                taken.insert(v.vendor.as_str());
            }
        }
        let started_at = members.iter().map(|m| m.since).min().unwrap_or(now);
        let joined: Vec<String> = members.iter().map(|m| m.facts.vendor.clone()).collect();
        let members: Vec<Member<'_>> = members
            .into_iter()
            .map(|m| Member {
                announced: true,
                ..m
            })
            .collect();
        plan.events.push(event(
            id,
            ClusterPhase::Opened,
            started_at,
            &members,
            &joined,
            cause.as_ref(),
            chance,
            &by_key,
            now,
        ));
        plan.clusters.push(write(
            id,
            started_at,
            now,
            now,
            None,
            ClusterPhase::Opened,
            cause,
            chance,
            &members,
        ));
    }
    plan
}

/// The most surprising burst among `candidates` (earliest first) that makes a cluster: its
/// members (without the suspected cause), the cause, and its chance.
fn best_burst<'a>(
    candidates: &[Member<'a>],
    inputs: &'a CorrelationInputs,
    by_key: &HashMap<&str, &'a VendorFacts>,
    rates: &HashMap<&str, f64>,
    settings: &CorrelationSettings,
    window: chrono::Duration,
) -> Option<(Vec<Member<'a>>, Option<SuspectedCause>, f64)> {
    let mut best: Option<(Vec<Member<'a>>, Option<SuspectedCause>, f64)> = None;
    for (i, first) in candidates.iter().enumerate() {
        let burst: Vec<&Member<'a>> = candidates[i..]
            .iter()
            .take_while(|m| m.since <= first.since + window)
            .collect();
        if burst.len() < settings.min_members || !burst.iter().any(|m| m.down()) {
            continue;
        }
        let chance = burst_chance(&burst, &inputs.vendors, rates, settings);
        if chance > settings.max_chance {
            continue;
        }
        let owned: Vec<Member<'a>> = burst.into_iter().cloned().collect();
        let cause = cause::suspect(
            &owned,
            by_key,
            &settings.provider_categories,
            first.since - window,
        );
        let members: Vec<Member<'a>> = owned
            .into_iter()
            .filter(|m| cause.as_ref().is_none_or(|c| c.vendor != m.facts.vendor))
            .collect();
        if members.len() < settings.min_members || !members.iter().any(Member::down) {
            continue;
        }
        let better = best
            .as_ref()
            .is_none_or(|(m, _, c)| chance < *c || (chance == *c && members.len() > m.len()));
        if better {
            best = Some((members, cause, chance));
        }
    }
    best
}

/// One open cluster: new members, its cause now, and the message due (grew, resolved).
fn plan_open<'a>(
    cluster: &OpenCluster,
    inputs: &'a CorrelationInputs,
    by_key: &HashMap<&str, &'a VendorFacts>,
    taken: &mut HashSet<&'a str>,
    settings: &CorrelationSettings,
    now: DateTime<Utc>,
    plan: &mut CorrelationPlan,
) {
    let window = window_of(settings);
    // Members whose vendor is no longer watched leave the cluster.
    let mut members: Vec<Member<'a>> = cluster
        .members
        .iter()
        .filter_map(|stored| {
            let facts = *by_key.get(stored.vendor.as_str())?;
            let text = facts
                .departures
                .iter()
                .find(|d| {
                    stored
                        .incident
                        .as_ref()
                        .is_some_and(|i| i.id == d.incident.id)
                })
                .map(|d| d.text.clone())
                .unwrap_or_default();
            Some(Member {
                facts,
                since: stored.since,
                incident: stored.incident.clone(),
                text,
                announced: stored.announced,
            })
        })
        .collect();
    let cause_key = cluster.cause.as_ref().map(|c| c.vendor.as_str());
    let mut last_since = members
        .iter()
        .map(|m| m.since)
        .max()
        .unwrap_or(cluster.started_at);
    // Earliest first, so whether one joins never depends on the order vendors are listed.
    let mut candidates: Vec<Member<'a>> = inputs
        .vendors
        .iter()
        .filter(|v| !taken.contains(v.vendor.as_str()) && Some(v.vendor.as_str()) != cause_key)
        .filter_map(|v| first_departure(v, cluster.started_at - window, now))
        .collect();
    candidates.sort_by(|a, b| {
        a.since
            .cmp(&b.since)
            .then(a.facts.vendor.cmp(&b.facts.vendor))
    });
    for candidate in candidates {
        let vendor = candidate.facts;
        if joins(
            &candidate,
            cluster,
            last_since,
            window,
            cluster.cause.as_ref(),
            by_key,
        ) {
            last_since = last_since.max(candidate.since);
            taken.insert(vendor.vendor.as_str());
            members.push(candidate);
        }
    }
    let cause = cause::suspect(
        &members,
        by_key,
        &settings.provider_categories,
        cluster.started_at - window,
    )
    .or_else(|| cluster.cause.clone());
    if let Some(c) = &cause {
        members.retain(|m| m.facts.vendor != c.vendor);
    }
    members.sort_by(|a, b| {
        a.since
            .cmp(&b.since)
            .then(a.facts.vendor.cmp(&b.facts.vendor))
    });
    let joined: Vec<String> = members
        .iter()
        .filter(|m| !m.announced)
        .map(|m| m.facts.vendor.clone())
        .collect();
    let phase = if !members.iter().any(Member::down) {
        Some(ClusterPhase::Resolved)
    } else if !joined.is_empty() && now - cluster.last_event_at >= window {
        Some(ClusterPhase::Grew)
    } else {
        None
    };
    let started_at = members
        .iter()
        .map(|m| m.since)
        .min()
        .unwrap_or(cluster.started_at)
        .min(cluster.started_at);
    let (last_event_at, resolved_at, stored_phase) = match phase {
        Some(phase) => {
            for m in &mut members {
                m.announced = true;
            }
            plan.events.push(event(
                cluster.id,
                phase,
                started_at,
                &members,
                &joined,
                cause.as_ref(),
                cluster.chance,
                by_key,
                now,
            ));
            (now, (phase == ClusterPhase::Resolved).then_some(now), phase)
        }
        None => (cluster.last_event_at, None, last_phase(cluster)),
    };
    plan.clusters.push(write(
        cluster.id,
        started_at,
        cluster.opened_at,
        last_event_at,
        resolved_at,
        stored_phase,
        cause,
        cluster.chance,
        &members,
    ));
}

/// An open cluster's newest message was `opened` or `grew`: `grew` once anything joined
/// after the first message.
fn last_phase(cluster: &OpenCluster) -> ClusterPhase {
    if cluster.last_event_at > cluster.opened_at {
        ClusterPhase::Grew
    } else {
        ClusterPhase::Opened
    }
}

#[allow(clippy::too_many_arguments)] // one row's columns
fn write(
    id: i64,
    started_at: DateTime<Utc>,
    opened_at: DateTime<Utc>,
    last_event_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    phase: ClusterPhase,
    cause: Option<SuspectedCause>,
    chance: f64,
    members: &[Member<'_>],
) -> ClusterWrite {
    ClusterWrite {
        id,
        started_at,
        opened_at,
        last_event_at,
        resolved_at,
        phase,
        cause,
        chance,
        members: members
            .iter()
            .map(|m| StoredMember {
                vendor: m.facts.vendor.clone(),
                since: m.since,
                incident: m.incident.clone(),
                announced: m.announced,
            })
            .collect(),
        states: members
            .iter()
            .map(|m| (m.facts.vendor.clone(), m.facts.state))
            .collect(),
    }
}

/// How a cause is called in a title: "AWS us-east-1".
fn cause_name(cause: &SuspectedCause, vendors: &HashMap<&str, &VendorFacts>) -> String {
    let name = vendors
        .get(cause.vendor.as_str())
        .map_or(cause.vendor.as_str(), |v| v.title.as_str());
    match &cause.region {
        Some(region) => format!("{name} {region}"),
        None => name.to_string(),
    }
}

/// "degraded", "down" or "degraded or down": what the members went.
fn went(members: &[Member<'_>]) -> &'static str {
    let outage = members
        .iter()
        .any(|m| m.facts.state == ServiceState::Outage);
    let degraded = members
        .iter()
        .any(|m| m.facts.state == ServiceState::Degraded);
    match (outage, degraded) {
        (true, true) => "degraded or down",
        (true, false) => "down",
        _ => "degraded",
    }
}

/// Two times as a person reads them: the day only when they are on different days.
fn between(first: DateTime<Utc>, last: DateTime<Utc>) -> String {
    if first.date_naive() == last.date_naive() {
        format!(
            "between {} and {} UTC",
            first.format("%H:%M"),
            last.format("%H:%M")
        )
    } else {
        format!(
            "between {} and {} UTC",
            first.format("%Y-%m-%d %H:%M"),
            last.format("%Y-%m-%d %H:%M")
        )
    }
}

fn titles(members: &[Member<'_>], keys: &[String]) -> String {
    members
        .iter()
        .filter(|m| keys.contains(&m.facts.vendor))
        .map(|m| m.facts.title.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[allow(clippy::too_many_arguments)] // one message's facts
fn event(
    cluster_id: i64,
    phase: ClusterPhase,
    started_at: DateTime<Utc>,
    members: &[Member<'_>],
    joined: &[String],
    cause: Option<&SuspectedCause>,
    chance: f64,
    vendors: &HashMap<&str, &VendorFacts>,
    now: DateTime<Utc>,
) -> NewEvent {
    let n = members.len();
    let last = members.iter().map(|m| m.since).max().unwrap_or(started_at);
    let cause_title = cause.map(|c| cause_name(c, vendors));
    let title = match (phase, &cause_title) {
        (ClusterPhase::Opened, Some(c)) => format!(
            "{c} is the likely cause: {n} vendors went {} {}",
            went(members),
            between(started_at, last)
        ),
        (ClusterPhase::Opened, None) => format!(
            "{n} vendors went {} together {}; no common cause known",
            went(members),
            between(started_at, last)
        ),
        (ClusterPhase::Grew, c) => format!(
            "{}{} more affected ({}), {n} vendors in all",
            c.as_ref().map(|c| format!("{c}: ")).unwrap_or_default(),
            joined.len(),
            titles(members, joined)
        ),
        (ClusterPhase::Resolved, c) => format!(
            "Correlated outage over{}: all {n} vendors operational again",
            c.as_ref().map(|c| format!(" ({c})")).unwrap_or_default()
        ),
    };
    let occurred_at = match phase {
        ClusterPhase::Opened => started_at,
        ClusterPhase::Grew => members
            .iter()
            .filter(|m| joined.contains(&m.facts.vendor))
            .map(|m| m.since)
            .max()
            .unwrap_or(now),
        ClusterPhase::Resolved => now,
    };
    // The provider's own incident when it has posted, else the first member's.
    let link = cause
        .and_then(|c| vendors.get(c.vendor.as_str()))
        .and_then(|p| p.state_incident.as_ref())
        .and_then(|i| i.link.clone())
        .or_else(|| {
            members
                .iter()
                .find_map(|m| m.incident.as_ref().and_then(|i| i.link.clone()))
        });
    let detail = CorrelatedOutage {
        cluster_id,
        phase,
        started_at: time_text(started_at),
        vendors: members
            .iter()
            .map(|m| ClusterMember {
                vendor: m.facts.vendor.clone(),
                title: m.facts.title.clone(),
                category: m.facts.category.clone(),
                state: m.facts.state,
                since: time_text(m.since),
                incident: m.incident.clone(),
            })
            .collect(),
        joined: joined.to_vec(),
        suspected_cause: cause.cloned(),
        chance,
    };
    NewEvent {
        payload: EventPayload {
            id: uuid::Uuid::now_v7().to_string(),
            occurred_at: time_text(occurred_at),
            detected_at: time_text(now),
            title,
            link,
            detail: EventDetail::CorrelatedOutage(detail),
        },
        feed_id: None,
        incident_id: None,
    }
}

#[cfg(test)]
pub(crate) mod tests;
