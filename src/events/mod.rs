//! Events stage: decides service state from open incidents and turns changes into events.
//!
//! Pure: it reads the [`StateInputs`] the store gathered inside the ingest transaction and
//! returns a [`StatePlan`] the store writes in that same transaction (the outbox pattern), so
//! a state change and its event are committed together or not at all.
//!
//! One event per change of a vendor's overall state (component ""); component states are
//! tracked in `service_state` and listed in the event's payload, so one incident that touches
//! five components pages once, not six times. A source that states every component's state
//! itself (a status API: `StateInputs::reported`) sets those components directly, lifts the
//! vendor's state to its worst component (or its own overall word, or an open incident, if
//! worse), and each of its components that moves raises a `component_change` too, which
//! webhooks receive only when their `kinds` ask for it.

pub mod health;

use crate::model::event::{
    ChangeReason, ComponentChange, ComponentState, FeedRef, IncidentRef, StateChange,
};
use crate::model::{
    EventDetail, EventPayload, NewEvent, OpenIncident, Phase, Reported, ServiceState, StateInputs,
    StatePlan, StateRow, Status,
};
use crate::store::time_text;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// The feed an ingest is about, as events describe it.
#[derive(Debug, Clone)]
pub struct FeedContext {
    pub feed_id: i64,
    pub vendor: String,
    pub title: String,
    pub url: String,
    pub category: Option<String>,
}

impl FeedContext {
    /// The feed as an event names it: everything a receiver or filter needs, copied in.
    pub fn reference(&self) -> FeedRef {
        FeedRef {
            id: self.feed_id,
            title: self.title.clone(),
            // Receivers see the URL without the credentials a feed may need to be fetched.
            url: crate::redact::url(&self.url).into_owned(),
            category: self.category.clone(),
        }
    }
}

/// Whether an open incident counts towards the service's state now: maintenance that is only
/// scheduled has not started.
fn counts(incident: &OpenIncident) -> bool {
    incident.status.is_active()
        && !(incident.status == Status::Maintenance && incident.phase == Some(Phase::Scheduled))
}

/// The state each component should be in, with the incident that puts it there. A state a
/// person set by hand stands over what the incidents say.
fn desired_states<'a>(
    open: &'a [OpenIncident],
    overrides: &[(String, ServiceState)],
    reported: Option<&Reported>,
) -> BTreeMap<String, (ServiceState, Option<&'a OpenIncident>)> {
    let mut desired: BTreeMap<String, (ServiceState, Option<&OpenIncident>)> = BTreeMap::new();
    desired.insert(String::new(), (ServiceState::Operational, None));
    // What the source says of itself (a status API's components): each component as stated,
    // and the service at least as bad as its worst component and its own overall word.
    if let Some(reported) = reported {
        let worst = reported.components.iter().map(|c| c.state).max();
        for component in &reported.components {
            desired.insert(component.name.clone(), (component.state, None));
        }
        let overall = worst
            .into_iter()
            .chain(reported.overall)
            .max()
            .unwrap_or(ServiceState::Operational);
        desired.insert(String::new(), (overall, None));
    }
    // A component the source states itself is as it says (the API knows its components
    // better than an incident's list of them); an incident still lifts the whole service.
    let stated: std::collections::HashSet<&str> = reported
        .iter()
        .flat_map(|r| r.components.iter().map(|c| c.name.as_str()))
        .collect();
    for incident in open.iter().filter(|i| counts(i)) {
        let state = incident.status.service_state();
        let names = std::iter::once(String::new()).chain(
            incident
                .components
                .iter()
                .filter(|c| !stated.contains(c.as_str()))
                .cloned(),
        );
        for name in names {
            let slot = desired
                .entry(name)
                .or_insert((ServiceState::Operational, None));
            // Worse wins; as bad as what the source reported, the incident is the cause to show.
            if state > slot.0 || (state == slot.0 && slot.1.is_none()) {
                *slot = (state, Some(incident));
            }
        }
    }
    for (component, state) in overrides {
        desired.insert(component.clone(), (*state, None));
    }
    desired
}

/// Plans the new service state of one feed and the events its changes raise.
/// A vendor's time, unless it is later than `now` (a clock or a typo of the vendor's: 2099):
/// then `now`, when we saw it. The entry keeps the vendor's own text; only the state's and the
/// event's time are held to what has happened.
fn not_after(vendor_time: &str, now: DateTime<Utc>) -> String {
    match DateTime::parse_from_rfc3339(vendor_time) {
        Ok(t) if t.with_timezone(&Utc) > now => time_text(now),
        _ => vendor_time.to_string(),
    }
}

pub fn plan_state(feed: &FeedContext, inputs: &StateInputs, now: DateTime<Utc>) -> StatePlan {
    let now_text = time_text(now);
    let desired = desired_states(&inputs.open, &inputs.overrides, inputs.reported.as_ref());
    let previous: BTreeMap<&str, &StateRow> = inputs
        .previous
        .iter()
        .map(|row| (row.component.as_str(), row))
        .collect();
    // The vendor's time for a recovery: when the newest incident closed by this ingest ended.
    let recovered_at = inputs
        .resolved_now
        .iter()
        .map(|i| i.updated_at.as_str())
        .max()
        .map(|t| not_after(t, now));

    let mut plan = StatePlan::default();
    let mut names: Vec<&str> = desired.keys().map(String::as_str).collect();
    names.extend(
        previous
            .keys()
            .copied()
            .filter(|c| !desired.contains_key(*c)),
    );
    let mut overall_change = None;
    // A component's own event is for sources that state every component (status APIs, now
    // or in their previous report): a feed's components move with their incident, which the
    // vendor's `state_change` lists, so one incident still pages once.
    let stated = |name: &str| {
        inputs
            .reported
            .iter()
            .flat_map(|r| r.components.iter())
            .any(|c| c.name == name)
            || previous
                .get(name)
                .is_some_and(|p| p.incident_id.is_none() && inputs.reported.is_some())
    };
    let mut component_changes = Vec::new();
    for name in names {
        let (to, incident) = desired
            .get(name)
            .map(|(s, i)| (*s, *i))
            .unwrap_or((ServiceState::Operational, None));
        let prev = previous.get(name);
        let from = prev.map(|p| p.state).unwrap_or(ServiceState::Operational);
        let incident_id = incident.map(|i| i.id);
        let occurred_at = match incident {
            Some(i) => not_after(&i.updated_at, now),
            None => recovered_at.clone().unwrap_or_else(|| now_text.clone()),
        };
        let changed = from != to;
        let unchanged_row = prev.is_some_and(|p| !changed && p.incident_id == incident_id);
        if unchanged_row {
            continue;
        }
        plan.states.push(StateRow {
            component: name.to_string(),
            state: to,
            since: match prev {
                Some(p) if !changed => p.since.clone(),
                _ if changed => occurred_at.clone(),
                _ => now_text.clone(),
            },
            incident_id,
            updated_at: now_text.clone(),
        });
        if changed && name.is_empty() {
            overall_change = Some((from, to, incident, occurred_at));
        } else if changed && stated(name) {
            component_changes.push((name, from, to, incident, occurred_at));
        }
    }
    // Components after the vendor's own change, so a receiver reads the headline first.
    let component_events = component_changes
        .into_iter()
        .map(|(name, from, to, incident, occurred_at)| {
            component_change_event(feed, name, (from, to), incident, occurred_at, &now_text)
        })
        .collect::<Vec<_>>();

    if let Some((from, to, incident, occurred_at)) = overall_change {
        // The components' states after this change, worst first, for the payload.
        let mut components: Vec<(&str, ServiceState)> = desired
            .iter()
            .filter(|(name, (state, _))| !name.is_empty() && *state != ServiceState::Operational)
            .map(|(name, (state, _))| (name.as_str(), *state))
            .collect();
        components.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        // A recovery names the incident that ended, so the message says what is over.
        let shown = incident.or_else(|| {
            inputs
                .resolved_now
                .iter()
                .max_by(|a, b| a.updated_at.cmp(&b.updated_at))
        });
        // A recovery no resolution caused: every incident this document closed was taken off
        // the feed. Said so, so a receiver can tell it from the vendor resolving it.
        let withdrawn = to == ServiceState::Operational
            && !inputs.resolved_now.is_empty()
            && inputs.resolved_now.iter().all(|i| i.withdrawn);
        plan.events.push(state_change_event(
            feed,
            (from, to),
            (incident, shown),
            &components,
            withdrawn.then_some(ChangeReason::Withdrawn),
            occurred_at,
            now_text.clone(),
        ));
    }
    plan.events.extend(component_events);
    plan
}

fn incident_ref(i: &OpenIncident) -> IncidentRef {
    IncidentRef {
        id: i.id,
        title: i.title.clone(),
        link: i.link.clone(),
        status: i.status,
        phase: i.phase,
        started_at: i.started_at.clone(),
        components: i.components.clone(),
        severity: i.severity.clone(),
        latest_update: i.latest_update.clone(),
    }
}

/// Builds one `component_change` event: one component of the vendor moved.
fn component_change_event(
    feed: &FeedContext,
    component: &str,
    (from, to): (ServiceState, ServiceState),
    cause: Option<&OpenIncident>,
    occurred_at: String,
    detected_at: &str,
) -> NewEvent {
    let title = match (to, cause) {
        (ServiceState::Operational, _) => {
            format!("{} / {component} is operational again", feed.title)
        }
        (_, Some(i)) => format!("{} / {component} is {to}: {}", feed.title, i.title),
        (_, None) => format!("{} / {component} is {to}", feed.title),
    };
    NewEvent {
        payload: EventPayload {
            id: uuid::Uuid::now_v7().to_string(),
            occurred_at,
            detected_at: detected_at.to_string(),
            title,
            link: cause.and_then(|i| i.link.clone()),
            detail: EventDetail::ComponentChange(ComponentChange {
                vendor: feed.vendor.clone(),
                feed: feed.reference(),
                component: component.to_string(),
                from,
                to,
                incident: cause.map(incident_ref),
            }),
        },
        feed_id: Some(feed.feed_id),
        incident_id: cause.map(|i| i.id),
    }
}

/// Builds one `state_change` event and its webhook payload: `(from, to)`, the incident that
/// causes the new state and the one the event names (for a recovery: the one that ended).
fn state_change_event(
    feed: &FeedContext,
    (from, to): (ServiceState, ServiceState),
    (cause, shown): (Option<&OpenIncident>, Option<&OpenIncident>),
    components: &[(&str, ServiceState)],
    reason: Option<ChangeReason>,
    occurred_at: String,
    detected_at: String,
) -> NewEvent {
    let title = match shown {
        Some(i) if reason == Some(ChangeReason::Withdrawn) => format!(
            "{} is operational again: {} was withdrawn by the vendor (the incident left the feed without a resolution)",
            feed.title, i.title
        ),
        Some(i) if to == ServiceState::Operational => {
            format!("{} is operational again: {}", feed.title, i.title)
        }
        Some(i) => format!("{} is {}: {}", feed.title, to, i.title),
        None => format!("{} is {}", feed.title, to),
    };
    let payload = EventPayload {
        id: uuid::Uuid::now_v7().to_string(),
        occurred_at,
        detected_at,
        title,
        link: shown.and_then(|i| i.link.clone()),
        detail: EventDetail::StateChange(StateChange {
            vendor: feed.vendor.clone(),
            feed: feed.reference(),
            component: None,
            from,
            to,
            incident: shown.map(incident_ref),
            components: components
                .iter()
                .map(|(name, state)| ComponentState {
                    name: name.to_string(),
                    state: *state,
                })
                .collect(),
            reason,
        }),
    };
    NewEvent {
        payload,
        feed_id: Some(feed.feed_id),
        incident_id: cause.or(shown).map(|i| i.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed() -> FeedContext {
        FeedContext {
            feed_id: 1,
            vendor: "zoom".into(),
            title: "Zoom".into(),
            url: "https://status.zoom.us/history.atom".into(),
            category: Some("saas".into()),
        }
    }

    fn incident(
        id: i64,
        status: Status,
        phase: Option<Phase>,
        components: &[&str],
    ) -> OpenIncident {
        OpenIncident {
            id,
            title: format!("incident {id}"),
            link: None,
            status,
            phase,
            components: components.iter().map(|c| c.to_string()).collect(),
            started_at: "2025-10-20T07:00:00Z".into(),
            updated_at: "2025-10-20T07:11:00Z".into(),
            severity: None,
            latest_update: None,
            withdrawn: false,
        }
    }

    fn state(component: &str, state: ServiceState) -> StateRow {
        StateRow {
            component: component.into(),
            state,
            since: "2025-10-01T00:00:00Z".into(),
            incident_id: None,
            updated_at: "2025-10-01T00:00:00Z".into(),
        }
    }

    fn to_state(event: &NewEvent) -> Option<ServiceState> {
        event.payload.transition().map(|(_, to)| to)
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-10-20T07:15:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_vendor_time_in_the_future_is_held_to_now() {
        let mut future = incident(7, Status::Outage, None, &[]);
        future.updated_at = "2099-01-01T00:00:00Z".into();
        let inputs = StateInputs {
            previous: vec![],
            open: vec![future],
            resolved_now: vec![],
            overrides: vec![],
            reported: None,
        };
        let plan = plan_state(&feed(), &inputs, now());
        assert_eq!(plan.events[0].payload.occurred_at, "2025-10-20T07:15:00Z");
        assert_eq!(plan.states[0].since, "2025-10-20T07:15:00Z");
    }

    #[test]
    fn first_sight_of_a_quiet_feed_writes_state_silently() {
        let inputs = StateInputs {
            previous: vec![],
            open: vec![],
            resolved_now: vec![],
            overrides: vec![],
            reported: None,
        };
        let plan = plan_state(&feed(), &inputs, now());
        assert_eq!(plan.states.len(), 1);
        assert_eq!(plan.states[0].state, ServiceState::Operational);
        assert!(plan.events.is_empty());
    }

    #[test]
    fn an_active_incident_raises_one_event_whatever_its_components() {
        let inputs = StateInputs {
            previous: vec![],
            open: vec![incident(
                7,
                Status::Outage,
                Some(Phase::Investigating),
                &["API", "Web"],
            )],
            resolved_now: vec![],
            overrides: vec![],
            reported: None,
        };
        let plan = plan_state(&feed(), &inputs, now());
        assert_eq!(plan.events.len(), 1);
        let event = &plan.events[0];
        assert_eq!(
            event.payload.transition(),
            Some((ServiceState::Operational, ServiceState::Outage))
        );
        assert_eq!(
            event.payload.occurred_at, "2025-10-20T07:11:00Z",
            "the vendor's time"
        );
        assert_eq!(event.incident_id, Some(7));
        assert_eq!(event.payload.components(), ["API", "Web"]);
        assert_eq!(event.payload.category(), Some("saas"), "copied in");
        // The service row and one row per component.
        assert_eq!(plan.states.len(), 3);
    }

    #[test]
    fn the_worst_open_incident_decides() {
        let inputs = StateInputs {
            previous: vec![state("", ServiceState::Degraded)],
            open: vec![
                incident(1, Status::Degraded, None, &[]),
                incident(2, Status::Outage, None, &[]),
            ],
            resolved_now: vec![],
            overrides: vec![],
            reported: None,
        };
        let plan = plan_state(&feed(), &inputs, now());
        assert_eq!(to_state(&plan.events[0]), Some(ServiceState::Outage));
        assert_eq!(plan.events[0].incident_id, Some(2));
    }

    #[test]
    fn scheduled_maintenance_does_not_change_state_until_it_starts() {
        let scheduled = StateInputs {
            previous: vec![state("", ServiceState::Operational)],
            open: vec![incident(
                3,
                Status::Maintenance,
                Some(Phase::Scheduled),
                &[],
            )],
            resolved_now: vec![],
            overrides: vec![],
            reported: None,
        };
        assert!(plan_state(&feed(), &scheduled, now()).events.is_empty());
        let started = StateInputs {
            open: vec![incident(
                3,
                Status::Maintenance,
                Some(Phase::InProgress),
                &[],
            )],
            ..scheduled
        };
        let plan = plan_state(&feed(), &started, now());
        assert_eq!(to_state(&plan.events[0]), Some(ServiceState::Maintenance));
    }

    #[test]
    fn recovery_names_the_incident_that_ended_and_clears_components() {
        let mut ended = incident(9, Status::Resolved, Some(Phase::Resolved), &["API"]);
        ended.updated_at = "2025-10-20T07:13:00Z".into();
        let inputs = StateInputs {
            previous: vec![
                state("", ServiceState::Outage),
                state("API", ServiceState::Outage),
            ],
            open: vec![],
            resolved_now: vec![ended],
            overrides: vec![],
            reported: None,
        };
        let plan = plan_state(&feed(), &inputs, now());
        assert_eq!(plan.events.len(), 1);
        let event = &plan.events[0];
        assert_eq!(to_state(event), Some(ServiceState::Operational));
        assert_eq!(event.payload.occurred_at, "2025-10-20T07:13:00Z");
        assert!(event.payload.title.contains("incident 9"));
        assert!(plan
            .states
            .iter()
            .all(|s| s.state == ServiceState::Operational));
        assert_eq!(plan.states.len(), 2);
    }

    #[test]
    fn a_recovery_because_the_vendor_withdrew_the_incident_says_withdrawn() {
        let mut gone = incident(9, Status::Resolved, None, &["API"]);
        gone.withdrawn = true;
        let inputs = StateInputs {
            previous: vec![state("", ServiceState::Outage)],
            resolved_now: vec![gone.clone()],
            ..StateInputs::default()
        };
        let plan = plan_state(&feed(), &inputs, now());
        assert_eq!(plan.events.len(), 1);
        let event = &plan.events[0].payload;
        assert!(event.withdrawn(), "{event:?}");
        assert_eq!(
            event.transition(),
            Some((ServiceState::Outage, ServiceState::Operational)),
            "still a recovery: a receiver that only reads `to` closes its alert"
        );
        assert!(
            event
                .title
                .contains("incident 9 was withdrawn by the vendor"),
            "{}",
            event.title
        );
        // One incident resolved and one withdrawn in the same document: someone resolved it.
        let resolved = incident(10, Status::Resolved, Some(Phase::Resolved), &[]);
        let mixed = StateInputs {
            resolved_now: vec![gone, resolved],
            ..inputs.clone()
        };
        assert!(!plan_state(&feed(), &mixed, now()).events[0]
            .payload
            .withdrawn());
        // Withdrawn, but another incident keeps the vendor down: a change, not a recovery.
        let mut still = inputs;
        still.open = vec![incident(11, Status::Degraded, None, &[])];
        let plan = plan_state(&feed(), &still, now());
        assert!(!plan.events[0].payload.withdrawn());
        assert_eq!(to_state(&plan.events[0]), Some(ServiceState::Degraded));
    }

    #[test]
    fn no_change_plans_nothing() {
        let mut row = state("", ServiceState::Degraded);
        row.incident_id = Some(1);
        let inputs = StateInputs {
            previous: vec![row],
            open: vec![incident(1, Status::Degraded, None, &[])],
            resolved_now: vec![],
            overrides: vec![],
            reported: None,
        };
        let plan = plan_state(&feed(), &inputs, now());
        assert!(plan.states.is_empty());
        assert!(plan.events.is_empty());
    }

    fn reported(components: &[(&str, ServiceState)], overall: Option<ServiceState>) -> Reported {
        Reported {
            components: components
                .iter()
                .map(|(name, state)| crate::model::ComponentStatus {
                    id: None,
                    name: name.to_string(),
                    group: None,
                    state: *state,
                })
                .collect(),
            overall,
        }
    }

    #[test]
    fn a_status_api_sets_components_and_lifts_the_vendor_to_its_worst_one() {
        let inputs = StateInputs {
            reported: Some(reported(
                &[
                    ("API", ServiceState::Degraded),
                    ("Web", ServiceState::Operational),
                ],
                Some(ServiceState::Degraded),
            )),
            ..StateInputs::default()
        };
        let plan = plan_state(&feed(), &inputs, now());
        let state_of = |name: &str| {
            plan.states
                .iter()
                .find(|s| s.component == name)
                .map(|s| s.state)
        };
        assert_eq!(state_of(""), Some(ServiceState::Degraded));
        assert_eq!(state_of("API"), Some(ServiceState::Degraded));
        assert_eq!(state_of("Web"), Some(ServiceState::Operational));
        let kinds: Vec<&str> = plan.events.iter().map(|e| e.payload.kind_name()).collect();
        assert_eq!(
            kinds,
            ["state_change", "component_change"],
            "the vendor first, then the one component that moved"
        );
        assert_eq!(plan.events[1].payload.component(), Some("API"));
        assert_eq!(
            plan.events[1].payload.transition(),
            Some((ServiceState::Operational, ServiceState::Degraded))
        );
    }

    #[test]
    fn an_open_incident_that_says_more_than_the_components_wins() {
        let inputs = StateInputs {
            open: vec![incident(
                4,
                Status::Outage,
                Some(Phase::Identified),
                &["API"],
            )],
            reported: Some(reported(&[("API", ServiceState::Degraded)], None)),
            ..StateInputs::default()
        };
        let plan = plan_state(&feed(), &inputs, now());
        let overall = plan.states.iter().find(|s| s.component.is_empty()).unwrap();
        assert_eq!(overall.state, ServiceState::Outage);
        assert_eq!(overall.incident_id, Some(4));
    }

    #[test]
    fn a_component_that_recovers_raises_its_own_event_and_a_quiet_one_none() {
        let mut api = state("API", ServiceState::Degraded);
        api.incident_id = None;
        let inputs = StateInputs {
            previous: vec![
                state("", ServiceState::Degraded),
                api,
                state("Web", ServiceState::Operational),
            ],
            reported: Some(reported(
                &[
                    ("API", ServiceState::Operational),
                    ("Web", ServiceState::Operational),
                ],
                None,
            )),
            ..StateInputs::default()
        };
        let plan = plan_state(&feed(), &inputs, now());
        let kinds: Vec<&str> = plan.events.iter().map(|e| e.payload.kind_name()).collect();
        assert_eq!(kinds, ["state_change", "component_change"]);
        assert!(plan.events[1]
            .payload
            .title
            .contains("API is operational again"));
    }

    #[test]
    fn components_named_only_by_a_feeds_incident_raise_no_event_of_their_own() {
        let inputs = StateInputs {
            open: vec![incident(7, Status::Outage, None, &["API", "Web"])],
            ..StateInputs::default()
        };
        let plan = plan_state(&feed(), &inputs, now());
        assert_eq!(plan.events.len(), 1);
        assert_eq!(plan.events[0].payload.kind_name(), "state_change");
    }

    #[test]
    fn an_incident_as_bad_as_the_reported_state_is_named_as_its_cause() {
        let inputs = StateInputs {
            open: vec![incident(4, Status::Outage, Some(Phase::Identified), &[])],
            reported: Some(reported(&[("API", ServiceState::Outage)], None)),
            ..StateInputs::default()
        };
        let plan = plan_state(&feed(), &inputs, now());
        let overall = plan.states.iter().find(|s| s.component.is_empty()).unwrap();
        assert_eq!(
            (overall.state, overall.incident_id),
            (ServiceState::Outage, Some(4))
        );
    }
}
