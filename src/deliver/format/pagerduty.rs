//! PagerDuty Events API v2: a vendor entering trouble triggers an alert, its recovery resolves
//! it, under one `dedup_key` per incident.
//!
//! Shape and limits (PagerDuty's Events API v2 reference, "Send an Alert Event",
//! <https://developer.pagerduty.com/api-reference/368ae3d938c9e-send-an-event-to-pager-duty>):
//! `routing_key` (the integration key, 32 characters), `event_action` `trigger`/`resolve`,
//! `dedup_key` at most 255 characters, and for a trigger a `payload` with `summary` (at most
//! 1,024 characters), `source`, `severity` (`critical`, `error`, `warning` or `info`), optional
//! `timestamp`, `component`, `group`, `class` and `custom_details`; `links` and `client`
//! beside it. A whole event must stay under 512 KB, which the cuts below keep far from.
//!
//! What is sent for which event (the webhook's filter already applied, see `config.rs`):
//! - `state_change` (and `component_change`, when `kinds` names it) to outage, degraded,
//!   maintenance or informational: `trigger`, severity `critical`, `warning`, `info`, `info`;
//!   back to operational: `resolve`. The key is the incident (`statuswatch/VENDOR/incident/ID`),
//!   the same for the trigger and the recovery that names it; a change with no incident (a
//!   status API's own word) is keyed by the feed.
//! - `correlated_outage`: `opened`/`grew` trigger (critical when a member is down, else
//!   warning), `resolved` resolves, keyed by the cluster (`statuswatch/cluster/ID`).
//! - `test` (`webhooks test`): a `resolve` of a key no alert has, which PagerDuty accepts (202)
//!   without paging anyone: it proves the URL and routing key.
//! - Feed health and `network_down` are about statuswatch's own sources, not a vendor: the
//!   webhook's filter leaves them out, so nothing is sent.

use super::{brief, cut, facts, one_line, safe_link, said, since};
use crate::model::{ClusterPhase, EventDetail, EventPayload, ServiceState};
use serde_json::{json, Value};
use std::fmt;

/// Where PagerDuty takes events when a webhook gives no `url`.
pub const PAGERDUTY_ENQUEUE_URL: &str = "https://events.pagerduty.com/v2/enqueue";

const SUMMARY_MAX: usize = 1024;
const DEDUP_KEY_MAX: usize = 255;
const DETAIL_MAX: usize = 4000;

/// A PagerDuty integration's routing key: it lets anyone page the service, so it is never
/// shown (its `Debug` is redacted) and only ever read from the environment.
#[derive(Clone, PartialEq, Eq)]
pub struct RoutingKey(String);

impl RoutingKey {
    pub fn new(key: &str) -> RoutingKey {
        RoutingKey(key.trim().to_string())
    }

    pub(super) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RoutingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RoutingKey(<redacted>)")
    }
}

/// Trigger or resolve, and PagerDuty's severity for a trigger.
fn action(event: &EventPayload) -> (&'static str, &'static str) {
    let severity = |state: ServiceState| match state {
        ServiceState::Outage => "critical",
        ServiceState::Degraded => "warning",
        _ => "info",
    };
    match &event.detail {
        EventDetail::CorrelatedOutage(c) if c.phase == ClusterPhase::Resolved => {
            ("resolve", "info")
        }
        EventDetail::CorrelatedOutage(c) => match c.worst_state() {
            ServiceState::Outage => ("trigger", "critical"),
            _ => ("trigger", "warning"),
        },
        EventDetail::Test(_) => ("resolve", "info"),
        _ => match event.transition() {
            Some((_, ServiceState::Operational)) => ("resolve", "info"),
            Some((_, to)) => ("trigger", severity(to)),
            // Not a vendor's trouble; the filter keeps these out, but if one comes it is said.
            None => ("trigger", "info"),
        },
    }
}

/// The alert an event is about: the incident, else the feed (or the cluster).
fn dedup_key(event: &EventPayload) -> String {
    let key = match &event.detail {
        EventDetail::CorrelatedOutage(c) => format!("statuswatch/cluster/{}", c.cluster_id),
        EventDetail::Test(t) => format!("statuswatch/test/{}/{}", t.webhook, event.id),
        _ => {
            let vendor = event.vendor().unwrap_or("statuswatch");
            let component = match &event.detail {
                EventDetail::ComponentChange(c) => format!("/component/{}", c.component),
                _ => String::new(),
            };
            match (event.incident(), event.feed()) {
                (Some(i), _) => format!("statuswatch/{vendor}/incident/{}{component}", i.id),
                (None, Some(f)) => format!("statuswatch/{vendor}/feed/{}{component}", f.id),
                (None, None) => format!("statuswatch/{vendor}/event/{}", event.id),
            }
        }
    };
    key.chars().take(DEDUP_KEY_MAX).collect()
}

/// The Events API v2 body for `event`, with `routing_key`.
pub fn pagerduty(event: &EventPayload, routing_key: &str) -> Value {
    let (event_action, severity) = action(event);
    let mut body = json!({
        "routing_key": routing_key,
        "event_action": event_action,
        "dedup_key": dedup_key(event),
        "client": "statuswatch",
    });
    if event_action == "resolve" {
        return body;
    }
    let mut details = serde_json::Map::new();
    for (name, value) in facts(event) {
        details.insert(name.to_lowercase().replace(' ', "_"), Value::String(value));
    }
    if let Some(said) = said(event) {
        details.insert("vendor_said".into(), Value::String(said.line(DETAIL_MAX)));
    }
    details.insert("event_id".into(), Value::String(event.id.clone()));
    details.insert(
        "event_type".into(),
        Value::String(event.kind_name().to_string()),
    );
    details.insert("since".into(), Value::String(since(event).to_string()));
    let source = match (event.feed(), event.vendor()) {
        (Some(feed), _) => one_line(&feed.title),
        (None, Some(vendor)) => vendor.to_string(),
        (None, None) => "statuswatch".to_string(),
    };
    let mut payload = json!({
        "summary": brief(event, SUMMARY_MAX),
        "source": cut(&source, 255),
        "severity": severity,
        "timestamp": event.occurred_at,
        "class": event.kind_name(),
        "custom_details": details,
    });
    let components = event.components();
    if !components.is_empty() {
        payload["component"] = Value::String(cut(&components.join(", "), 255));
    }
    if let Some(category) = event.category() {
        payload["group"] = Value::String(category.to_string());
    }
    body["payload"] = payload;
    if let Some(link) = safe_link(event) {
        body["links"] =
            json!([{ "href": link, "text": "The incident on the vendor's status page" }]);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn an_outage_triggers_and_its_recovery_resolves_the_same_key() {
        let v = pagerduty(&outage().payload, "R0UT1NG");
        assert_eq!(v["routing_key"], "R0UT1NG");
        assert_eq!(v["event_action"], "trigger");
        assert_eq!(v["dedup_key"], "statuswatch/zoom/incident/7");
        let p = &v["payload"];
        assert_eq!(p["severity"], "critical");
        assert_eq!(
            p["summary"],
            "Zoom: outage (major) since 07:19 UTC — Investigating: We are seeing elevated errors on meetings."
        );
        assert_eq!(p["source"], "Zoom");
        assert_eq!(p["component"], "API, Web");
        assert_eq!(p["group"], "cloud");
        assert_eq!(p["class"], "state_change");
        assert_eq!(p["custom_details"]["severity"], "major");
        assert_eq!(
            v["links"][0]["href"],
            "https://status.zoom.us/incidents/abc"
        );
        let r = pagerduty(&recovery(), "R0UT1NG");
        assert_eq!(r["event_action"], "resolve");
        assert_eq!(r["dedup_key"], v["dedup_key"]);
        assert!(r.get("payload").is_none());
    }

    #[test]
    fn severities_map_and_the_summary_is_cut_to_1024() {
        let mut e = outage_saying(&"z".repeat(3000)).payload;
        assert_eq!(
            pagerduty(&e, "k")["payload"]["summary"]
                .as_str()
                .unwrap()
                .chars()
                .count(),
            SUMMARY_MAX
        );
        for (to, severity) in [
            (ServiceState::Degraded, "warning"),
            (ServiceState::Maintenance, "info"),
            (ServiceState::Informational, "info"),
        ] {
            if let EventDetail::StateChange(c) = &mut e.detail {
                c.to = to;
            }
            assert_eq!(pagerduty(&e, "k")["payload"]["severity"], severity, "{to}");
        }
        let c = pagerduty(&cluster(), "k");
        assert_eq!(c["dedup_key"], "statuswatch/cluster/4");
        assert_eq!(
            (
                c["event_action"].as_str(),
                c["payload"]["severity"].as_str()
            ),
            (Some("trigger"), Some("critical"))
        );
        assert_eq!(
            format!("{:?}", RoutingKey::new("secret")),
            "RoutingKey(<redacted>)"
        );
    }
}
