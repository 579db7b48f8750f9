//! Which outbox events a webhook wants: kinds, vendors, categories, components, a minimum
//! status and transitions, all from the webhook's table in the configuration file.
//!
//! Pure: [`Filter::matches`] looks only at the event. Every filter given must pass (AND); inside
//! one list any entry may match (OR). A filter constrains only events that carry what it looks
//! at, so the rules stay predictable:
//!
//! - `kinds` picks the kinds of event (default: `state_change`, `feed_failing`,
//!   `feed_recovered`, `network_down`, `correlated_outage`; `component_change` only when
//!   asked for).
//! - `vendors` and `categories` apply to events about a feed (every kind but `network_down`,
//!   which is about our own network and reaches every webhook whose `kinds` include it).
//! - `components`, `min_status` and `transitions` apply to `state_change` and
//!   `component_change` events only.
//! - A `correlated_outage` is about many vendors: `vendors` and `categories` match when any
//!   member (or the suspected cause) does, `min_status` compares its worst member now, and its
//!   `resolved` message reaches every webhook its kind and vendors reach.
//! - `min_status` compares the *worse side* of the transition: `degraded -> outage`,
//!   `outage -> degraded` and `outage -> operational` all reach an outage-only webhook, so the
//!   people told about an outage are also told when it ends.
//! - `transitions` are `FROM->TO` patterns over service states, `*` matching any
//!   (`"*->outage"`, `"outage->*"`, `"degraded->operational"`).

use crate::model::{ClusterPhase, CorrelatedOutage, EventDetail, EventPayload};
use crate::model::{EventKind, ServiceState};
use std::fmt;
use std::str::FromStr;

/// Every kind a webhook can ask for.
pub const ALL_KINDS: [EventKind; 6] = [
    EventKind::StateChange,
    EventKind::FeedFailing,
    EventKind::FeedRecovered,
    EventKind::NetworkDown,
    EventKind::ComponentChange,
    EventKind::CorrelatedOutage,
];

/// What a webhook gets when it names no `kinds`: all but `component_change`, which a status
/// API raises for each of dozens of components on a bad day; the vendor's `state_change`
/// lists them already.
pub const DEFAULT_KINDS: [EventKind; 5] = [
    EventKind::StateChange,
    EventKind::FeedFailing,
    EventKind::FeedRecovered,
    EventKind::NetworkDown,
    EventKind::CorrelatedOutage,
];

/// Reads an event kind as written in the configuration and the outbox.
pub fn parse_kind(s: &str) -> Option<EventKind> {
    ALL_KINDS
        .into_iter()
        .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
}

/// One `FROM->TO` pattern; `None` is `*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: Option<ServiceState>,
    pub to: Option<ServiceState>,
}

impl Transition {
    fn matches(&self, from: ServiceState, to: ServiceState) -> bool {
        self.from.is_none_or(|f| f == from) && self.to.is_none_or(|t| t == to)
    }
}

impl fmt::Display for Transition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |s: Option<ServiceState>| s.map_or("*", ServiceState::as_str);
        write!(f, "{}->{}", side(self.from), side(self.to))
    }
}

impl FromStr for Transition {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (from, to) = s
            .split_once("->")
            .or_else(|| s.split_once('→'))
            .ok_or_else(|| {
                format!("transition {s:?} is not FROM->TO (for example \"*->outage\")")
            })?;
        let side = |word: &str| -> Result<Option<ServiceState>, String> {
            let word = word.trim();
            if word == "*" {
                return Ok(None);
            }
            word.parse().map(Some).map_err(|_| {
                format!(
                    "transition {s:?}: unknown state {word:?} (known: operational, informational, maintenance, degraded, outage, *)"
                )
            })
        };
        Ok(Transition {
            from: side(from)?,
            to: side(to)?,
        })
    }
}

/// What a webhook wants; the default lets every event through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Kinds sent; never empty after configuration (default [`DEFAULT_KINDS`]).
    pub kinds: Vec<EventKind>,
    /// Vendor keys, lowercase; empty means any.
    pub vendors: Vec<String>,
    /// Feed categories, lowercase; empty means any.
    pub categories: Vec<String>,
    /// Component names, lowercase; empty means any.
    pub components: Vec<String>,
    /// The least severe state either side of a transition must reach.
    pub min_status: Option<ServiceState>,
    /// Transition patterns; empty means any.
    pub transitions: Vec<Transition>,
    /// Every change back to operational passes `min_status` (set for `pagerduty`, whose
    /// alerts a recovery must resolve even after the state eased below `min_status` first).
    pub every_recovery: bool,
}

impl Default for Filter {
    fn default() -> Filter {
        Filter {
            kinds: DEFAULT_KINDS.to_vec(),
            vendors: Vec::new(),
            categories: Vec::new(),
            components: Vec::new(),
            min_status: None,
            transitions: Vec::new(),
            every_recovery: false,
        }
    }
}

impl fmt::Display for Filter {
    /// A short description for `webhooks list`: `all events`, or each filter given.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.kinds != DEFAULT_KINDS {
            let kinds: Vec<&str> = self.kinds.iter().map(|k| k.as_str()).collect();
            parts.push(format!("kinds={}", kinds.join(",")));
        }
        for (key, list) in [
            ("vendors", &self.vendors),
            ("categories", &self.categories),
            ("components", &self.components),
        ] {
            if !list.is_empty() {
                parts.push(format!("{key}={}", list.join(",")));
            }
        }
        if let Some(min) = self.min_status {
            parts.push(format!("min_status={min}"));
        }
        if !self.transitions.is_empty() {
            let t: Vec<String> = self.transitions.iter().map(Transition::to_string).collect();
            parts.push(format!("transitions={}", t.join(",")));
        }
        if parts.is_empty() {
            f.write_str("all events")
        } else {
            f.write_str(&parts.join(" "))
        }
    }
}

fn any_eq(list: &[String], value: Option<&str>) -> bool {
    value.is_some_and(|v| list.iter().any(|x| x.eq_ignore_ascii_case(v)))
}

impl Filter {
    /// Whether the webhook wants this event.
    pub fn matches(&self, event: &EventPayload) -> bool {
        let Some(kind) = event.kind() else {
            // A kind this build does not know (a newer writer): send only to webhooks that
            // did not narrow anything, the safe side of "at least once".
            return *self == Filter::default();
        };
        if !self.kinds.contains(&kind) {
            return false;
        }
        if let EventDetail::CorrelatedOutage(cluster) = &event.detail {
            return self.matches_cluster(cluster);
        }
        if kind != EventKind::NetworkDown {
            if !self.vendors.is_empty() && !any_eq(&self.vendors, event.vendor()) {
                return false;
            }
            if !self.categories.is_empty() && !any_eq(&self.categories, event.category()) {
                return false;
            }
        }
        let Some((from, to)) = event.transition() else {
            return true;
        };
        if !self.components.is_empty()
            && !event
                .components()
                .iter()
                .any(|c| any_eq(&self.components, Some(c)))
        {
            return false;
        }
        let recovery = self.every_recovery && to == ServiceState::Operational;
        if !recovery && self.min_status.is_some_and(|min| from.max(to) < min) {
            return false;
        }
        self.transitions.is_empty() || self.transitions.iter().any(|t| t.matches(from, to))
    }

    /// A correlated outage is about many vendors: `vendors` and `categories` match when any
    /// member (or the suspected cause) does; `min_status` looks at the worst member now,
    /// except for `resolved`, which reaches everyone who could have been told of the cluster.
    fn matches_cluster(&self, cluster: &CorrelatedOutage) -> bool {
        let cause = cluster.suspected_cause.as_ref().map(|c| c.vendor.as_str());
        if !self.vendors.is_empty()
            && !cluster
                .vendors
                .iter()
                .map(|m| m.vendor.as_str())
                .chain(cause)
                .any(|v| any_eq(&self.vendors, Some(v)))
        {
            return false;
        }
        if !self.categories.is_empty()
            && !cluster
                .vendors
                .iter()
                .any(|m| any_eq(&self.categories, m.category.as_deref()))
        {
            return false;
        }
        cluster.phase == ClusterPhase::Resolved
            || self
                .min_status
                .is_none_or(|min| cluster.worst_state() >= min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::event::samples::payload as event;

    fn change(from: &str, to: &str) -> EventPayload {
        event("state_change", "aws", from, to, &["EC2"])
    }

    fn outage_only() -> Filter {
        Filter {
            min_status: Some(ServiceState::Outage),
            ..Filter::default()
        }
    }

    #[test]
    fn the_default_filter_sends_everything() {
        let f = Filter::default();
        assert!(f.matches(&change("operational", "degraded")));
        assert!(f.matches(&event("feed_failing", "aws", "", "", &[])));
        assert!(f.matches(&event("network_down", "", "", "", &[])));
    }

    #[test]
    fn min_status_looks_at_the_worse_side_so_recoveries_reach_outage_hooks() {
        let cases = [
            ("operational", "outage", true),
            ("degraded", "outage", true),
            ("outage", "operational", true),
            ("outage", "degraded", true),
            ("operational", "degraded", false),
            ("degraded", "operational", false),
            ("operational", "maintenance", false),
        ];
        for (from, to, want) in cases {
            assert_eq!(
                outage_only().matches(&change(from, to)),
                want,
                "{from}->{to}"
            );
        }
        let degraded = Filter {
            min_status: Some(ServiceState::Degraded),
            ..Filter::default()
        };
        assert!(degraded.matches(&change("degraded", "operational")));
        assert!(!degraded.matches(&change("maintenance", "operational")));
    }

    fn cluster(phase: &str, states: &[(&str, &str)]) -> EventPayload {
        let vendors: Vec<serde_json::Value> = states
            .iter()
            .map(|(v, s)| {
                serde_json::json!({"vendor": v, "title": v, "category": "saas", "state": s,
                "since": "2025-10-20T06:52:00Z", "incident": null})
            })
            .collect();
        serde_json::from_value(serde_json::json!({
            "id": "c", "type": "correlated_outage", "occurred_at": "2025-10-20T06:52:00Z",
            "detected_at": "2025-10-20T07:00:00Z", "title": "t", "cluster_id": 1, "phase": phase,
            "started_at": "2025-10-20T06:52:00Z", "vendors": vendors, "joined": [],
            "suspected_cause": {"vendor": "aws", "region": null, "why": "w"}, "chance": 1e-6,
        }))
        .unwrap()
    }

    #[test]
    fn a_correlated_outage_matches_by_any_member_and_its_end_reaches_everyone_told() {
        let opened = cluster("opened", &[("slack", "degraded"), ("zoom", "degraded")]);
        assert!(Filter::default().matches(&opened), "sent by default");
        let zoom = Filter {
            vendors: vec!["zoom".into()],
            ..Filter::default()
        };
        assert!(zoom.matches(&opened));
        let aws = Filter {
            vendors: vec!["aws".into()],
            ..Filter::default()
        };
        assert!(aws.matches(&opened), "the suspected cause counts");
        let other = Filter {
            vendors: vec!["github".into()],
            ..Filter::default()
        };
        assert!(!other.matches(&opened));
        let gaming = Filter {
            categories: vec!["gaming".into()],
            ..Filter::default()
        };
        assert!(!gaming.matches(&opened));
        assert!(!outage_only().matches(&opened), "no member is down");
        let worse = cluster("grew", &[("slack", "outage"), ("zoom", "degraded")]);
        assert!(outage_only().matches(&worse));
        let resolved = cluster(
            "resolved",
            &[("slack", "operational"), ("zoom", "operational")],
        );
        assert!(outage_only().matches(&resolved));
        let changes_only = Filter {
            kinds: vec![EventKind::StateChange],
            ..Filter::default()
        };
        assert!(!changes_only.matches(&opened));
    }

    #[test]
    fn min_status_does_not_silence_feed_health() {
        assert!(outage_only().matches(&event("feed_failing", "aws", "", "", &[])));
    }

    #[test]
    fn transitions_match_with_wildcards() {
        let f = Filter {
            transitions: vec!["*->outage".parse().unwrap(), "outage->*".parse().unwrap()],
            ..Filter::default()
        };
        assert!(f.matches(&change("degraded", "outage")));
        assert!(f.matches(&change("outage", "operational")));
        assert!(!f.matches(&change("operational", "degraded")));
        assert_eq!(
            "degraded → operational".parse::<Transition>().unwrap(),
            Transition {
                from: Some(ServiceState::Degraded),
                to: Some(ServiceState::Operational)
            }
        );
        assert!("outage".parse::<Transition>().is_err());
        assert!("down->*"
            .parse::<Transition>()
            .unwrap_err()
            .contains("down"));
    }

    #[test]
    fn vendors_categories_and_components_ignore_case() {
        let f = Filter {
            vendors: vec!["aws".into()],
            categories: vec!["cloud".into()],
            components: vec!["ec2".into()],
            ..Filter::default()
        };
        assert!(f.matches(&change("operational", "outage")));
        assert!(!f.matches(&event(
            "state_change",
            "gcp",
            "operational",
            "outage",
            &["EC2"]
        )));
        assert!(!f.matches(&event(
            "state_change",
            "aws",
            "operational",
            "outage",
            &["S3"]
        )));
        // Components narrow state changes only; feed health of the vendor still arrives.
        assert!(f.matches(&event("feed_failing", "aws", "", "", &[])));
        assert!(!f.matches(&event("feed_failing", "gcp", "", "", &[])));
        // network_down is about us, not a vendor.
        assert!(f.matches(&event("network_down", "", "", "", &[])));
    }

    #[test]
    fn kinds_select_what_arrives() {
        let f = Filter {
            kinds: vec![EventKind::StateChange],
            ..Filter::default()
        };
        assert!(f.matches(&change("operational", "outage")));
        assert!(!f.matches(&event("feed_failing", "aws", "", "", &[])));
        assert!(!f.matches(&event("network_down", "", "", "", &[])));
        assert_eq!(parse_kind("Feed_Recovered"), Some(EventKind::FeedRecovered));
        assert_eq!(parse_kind("test"), None);
    }

    #[test]
    fn unknown_kinds_reach_only_unfiltered_webhooks() {
        assert!(Filter::default().matches(&event("new_kind", "aws", "", "", &[])));
        assert!(!outage_only().matches(&event("new_kind", "aws", "", "", &[])));
    }

    #[test]
    fn component_changes_come_only_when_asked_for_and_follow_the_component_filters() {
        let moved = event(
            "component_change",
            "github",
            "operational",
            "degraded",
            &["Actions"],
        );
        assert!(!Filter::default().matches(&moved), "opt-in");
        let actions = Filter {
            kinds: vec![EventKind::ComponentChange],
            components: vec!["actions".into()],
            ..Filter::default()
        };
        assert!(actions.matches(&moved));
        let pages = event(
            "component_change",
            "github",
            "operational",
            "degraded",
            &["Pages"],
        );
        assert!(!actions.matches(&pages));
        let outage_only = Filter {
            kinds: vec![EventKind::ComponentChange],
            min_status: Some(ServiceState::Outage),
            ..Filter::default()
        };
        assert!(!outage_only.matches(&moved));
    }
}
