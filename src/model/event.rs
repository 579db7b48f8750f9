//! The event contract: what the events stage writes into the outbox, what `statuswatch events`
//! prints, and what a `json` webhook receives, as one serde type. `docs/webhooks.md` shows one
//! payload of each kind; a test reads those examples back through this type.
//!
//! An event carries everything a receiver or a filter needs (the feed's title, URL and
//! category, the incident's components) from the moment it is written, so renaming or
//! removing a feed later changes nothing about what is delivered.

use super::{EventKind, Phase, ServiceState, Status};
use serde::{Deserialize, Serialize};

/// The body of one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventPayload {
    /// UUIDv7: the idempotency key webhooks send as `webhook-id`.
    pub id: String,
    /// The vendor's time for the change (RFC 3339 UTC).
    pub occurred_at: String,
    /// When statuswatch saw it (RFC 3339 UTC).
    pub detected_at: String,
    /// One readable line.
    pub title: String,
    /// Where to read more: the incident's page, or the feed.
    #[serde(default)]
    pub link: Option<String>,
    /// What the event is about, tagged by `type`.
    #[serde(flatten)]
    pub detail: EventDetail,
}

/// The kind-specific part of a payload; `type` in the JSON names the variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventDetail {
    StateChange(StateChange),
    FeedFailing(FeedFailing),
    FeedRecovered(FeedRecovered),
    NetworkDown(NetworkDown),
    ComponentChange(ComponentChange),
    CorrelatedOutage(super::CorrelatedOutage),
    /// The synthetic event `webhooks test` sends; never stored.
    Test(TestEvent),
    /// A kind this build does not know (written by a newer version): delivered as stored.
    #[serde(other)]
    Unknown,
}

/// The feed an event is about, as it was when the event was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedRef {
    pub id: i64,
    pub title: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

/// The incident behind a state change (for a recovery: the one that ended).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRef {
    pub id: i64,
    pub title: String,
    pub link: Option<String>,
    pub status: Status,
    pub phase: Option<Phase>,
    pub started_at: String,
    /// The components the incident names, so a recovery still says what recovered.
    #[serde(default)]
    pub components: Vec<String>,
    /// The vendor's own severity word, where it states one (Statuspage's impact `major`,
    /// GCP's `high`, ...).
    #[serde(default)]
    pub severity: Option<String>,
    /// What the vendor said last: the incident's newest update, so a message can quote it.
    #[serde(default)]
    pub latest_update: Option<UpdateRef>,
}

/// One update of an incident's timeline, as the vendor wrote it (plain text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateRef {
    /// The status word as written (`Investigating`, `Identified`), empty when there is none.
    pub label: String,
    pub text: String,
    /// The vendor's time of the update, when it gives one.
    #[serde(default)]
    pub posted_at: Option<String>,
}

/// One component's state after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentState {
    pub name: String,
    pub state: ServiceState,
}

/// A vendor's overall state changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateChange {
    pub vendor: String,
    pub feed: FeedRef,
    /// Always null today: one event per change of the service as a whole.
    #[serde(default)]
    pub component: Option<String>,
    pub from: ServiceState,
    pub to: ServiceState,
    pub incident: Option<IncidentRef>,
    /// The components not operational after the change, worst first.
    #[serde(default)]
    pub components: Vec<ComponentState>,
    /// Why a recovery happened, when it is not the vendor resolving the incident: `withdrawn`,
    /// the incident left the feed without a resolution. Left out otherwise, so the payload of
    /// every other change is what it always was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ChangeReason>,
}

/// Why a state change happened, when the change itself does not say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeReason {
    /// The vendor took the incident off its feed without posting a resolution.
    Withdrawn,
    /// A reason written by a newer version: the change is read as an ordinary one.
    #[serde(other)]
    Other,
}

/// One component of a vendor changed state (raised next to the vendor's `state_change`, and
/// also when the vendor's overall state stays where it was).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentChange {
    pub vendor: String,
    pub feed: FeedRef,
    pub component: String,
    pub from: ServiceState,
    pub to: ServiceState,
    /// The incident that puts it there (for a recovery: none), when an incident does.
    pub incident: Option<IncidentRef>,
}

/// A feed has failed for longer than `failing_after`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedFailing {
    pub vendor: String,
    pub feed: FeedRef,
    pub failing_since: String,
    pub failures: i64,
    pub outcome: super::FetchOutcome,
    pub http_status: Option<u16>,
    pub error: String,
    pub next_attempt_at: Option<String>,
}

/// A feed that raised `feed_failing` works again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedRecovered {
    pub vendor: String,
    pub feed: FeedRef,
    pub failing_since: String,
    pub failures: i64,
}

/// Most feeds of one cycle could not be reached: the problem is ours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkDown {
    pub feeds: usize,
    pub failed: usize,
    pub samples: Vec<UnreachedSample>,
}

/// One feed that could not be reached, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreachedSample {
    pub feed: String,
    pub error: String,
}

/// `webhooks test`: shaped like a state change with nothing in it, so a receiver that reads
/// state changes can take it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestEvent {
    pub webhook: String,
    #[serde(default)]
    pub vendor: Option<String>,
    #[serde(default)]
    pub feed: Option<FeedRef>,
    #[serde(default)]
    pub component: Option<String>,
    #[serde(default)]
    pub from: Option<ServiceState>,
    #[serde(default)]
    pub to: Option<ServiceState>,
    #[serde(default)]
    pub incident: Option<IncidentRef>,
    #[serde(default)]
    pub components: Vec<ComponentState>,
}

/// One event as the outbox holds it: what `events` lists and delivery sends.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// The outbox order: webhooks deliver by it, `events --follow` resumes from it.
    pub seq: i64,
    pub payload: EventPayload,
    /// The payload's JSON exactly as stored: the body a `json` webhook receives and signs.
    pub body: String,
}

impl StoredEvent {
    /// Reads a stored payload. One this build cannot read (a newer version's, or damaged)
    /// keeps its common facts from the row's columns and its body as stored, so it is still
    /// listed and delivered.
    pub fn read(seq: i64, body: String, columns: EventColumns) -> StoredEvent {
        let payload = serde_json::from_str(&body).unwrap_or(EventPayload {
            title: columns.title.unwrap_or_else(|| columns.kind.clone()),
            id: columns.id,
            occurred_at: columns.occurred_at,
            detected_at: columns.detected_at,
            link: columns.link,
            detail: EventDetail::Unknown,
        });
        StoredEvent { seq, payload, body }
    }

    /// The `type` word as stored, also for a kind this build does not know.
    pub fn kind_name(&self) -> String {
        match self.payload.detail {
            EventDetail::Unknown => serde_json::from_str::<serde_json::Value>(&self.body)
                .ok()
                .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
                .unwrap_or_else(|| "unknown".to_string()),
            _ => self.payload.kind_name().to_string(),
        }
    }

    /// One JSON line of `events --format json` and `run --events-stdout`: the outbox fields
    /// and the payload as stored. No newline.
    pub fn json_line(&self) -> Result<String, serde_json::Error> {
        let p = &self.payload;
        let body: serde_json::Value = serde_json::from_str(&self.body)
            .unwrap_or_else(|_| serde_json::Value::String(self.body.clone()));
        let transition = p.transition();
        serde_json::to_string(&serde_json::json!({
            "seq": self.seq,
            "id": p.id,
            "kind": self.kind_name(),
            "occurred_at": p.occurred_at,
            "detected_at": p.detected_at,
            "vendor": p.vendor(),
            "component": p.component(),
            "from_state": transition.map(|(from, _)| from),
            "to_state": transition.map(|(_, to)| to),
            "title": p.title,
            "link": p.link,
            "payload": body,
        }))
    }
}

/// The outbox columns a payload that cannot be read falls back on.
#[derive(Debug, Clone, Default)]
pub struct EventColumns {
    pub id: String,
    pub kind: String,
    pub occurred_at: String,
    pub detected_at: String,
    pub title: Option<String>,
    pub link: Option<String>,
}

impl EventPayload {
    /// The kind, for the outbox's `kind` column and filters; `None` for `test` and for kinds
    /// this build does not know.
    pub fn kind(&self) -> Option<EventKind> {
        match &self.detail {
            EventDetail::StateChange(_) => Some(EventKind::StateChange),
            EventDetail::FeedFailing(_) => Some(EventKind::FeedFailing),
            EventDetail::FeedRecovered(_) => Some(EventKind::FeedRecovered),
            EventDetail::NetworkDown(_) => Some(EventKind::NetworkDown),
            EventDetail::ComponentChange(_) => Some(EventKind::ComponentChange),
            EventDetail::CorrelatedOutage(_) => Some(EventKind::CorrelatedOutage),
            EventDetail::Test(_) | EventDetail::Unknown => None,
        }
    }

    /// The `type` word, as in the JSON (`unknown` for a kind this build does not know).
    pub fn kind_name(&self) -> &'static str {
        match &self.detail {
            EventDetail::Test(_) => "test",
            EventDetail::Unknown => "unknown",
            _ => self.kind().map_or("unknown", EventKind::as_str),
        }
    }

    /// The feed the event is about, if it is about one.
    pub fn feed(&self) -> Option<&FeedRef> {
        match &self.detail {
            EventDetail::StateChange(e) => Some(&e.feed),
            EventDetail::FeedFailing(e) => Some(&e.feed),
            EventDetail::FeedRecovered(e) => Some(&e.feed),
            EventDetail::ComponentChange(e) => Some(&e.feed),
            EventDetail::Test(e) => e.feed.as_ref(),
            EventDetail::NetworkDown(_)
            | EventDetail::CorrelatedOutage(_)
            | EventDetail::Unknown => None,
        }
    }

    pub fn vendor(&self) -> Option<&str> {
        match &self.detail {
            EventDetail::StateChange(e) => Some(&e.vendor),
            EventDetail::FeedFailing(e) => Some(&e.vendor),
            EventDetail::FeedRecovered(e) => Some(&e.vendor),
            EventDetail::ComponentChange(e) => Some(&e.vendor),
            EventDetail::Test(e) => e.vendor.as_deref(),
            EventDetail::NetworkDown(_)
            | EventDetail::CorrelatedOutage(_)
            | EventDetail::Unknown => None,
        }
    }

    pub fn category(&self) -> Option<&str> {
        self.feed().and_then(|f| f.category.as_deref())
    }

    /// `(from, to)` of a state change, of the vendor or of one component.
    pub fn transition(&self) -> Option<(ServiceState, ServiceState)> {
        match &self.detail {
            EventDetail::StateChange(e) => Some((e.from, e.to)),
            EventDetail::ComponentChange(e) => Some((e.from, e.to)),
            _ => None,
        }
    }

    /// The component a change is about (`None`: the service as a whole).
    pub fn component(&self) -> Option<&str> {
        match &self.detail {
            EventDetail::StateChange(e) => e.component.as_deref(),
            EventDetail::ComponentChange(e) => Some(&e.component),
            _ => None,
        }
    }

    /// Whether the change is a recovery because the vendor withdrew the incident (took it off
    /// its feed without a resolution), not because it resolved it.
    pub fn withdrawn(&self) -> bool {
        matches!(&self.detail, EventDetail::StateChange(e) if e.reason == Some(ChangeReason::Withdrawn))
    }

    /// The incident behind a change.
    pub fn incident(&self) -> Option<&IncidentRef> {
        match &self.detail {
            EventDetail::StateChange(e) => e.incident.as_ref(),
            EventDetail::ComponentChange(e) => e.incident.as_ref(),
            _ => None,
        }
    }

    /// Every component the change or its incident touched: the components' states (or the
    /// one component that changed), then the incident's own list (so a recovery still names
    /// what recovered).
    pub fn components(&self) -> Vec<&str> {
        let mut names: Vec<&str> = match &self.detail {
            EventDetail::StateChange(e) => e.components.iter().map(|c| c.name.as_str()).collect(),
            EventDetail::ComponentChange(e) => vec![e.component.as_str()],
            _ => return Vec::new(),
        };
        for name in self.incident().iter().flat_map(|i| i.components.iter()) {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        names
    }
}

/// Payloads for unit tests elsewhere in the crate, built from their JSON so they are what a
/// stored event reads as.
#[cfg(test)]
pub(crate) mod samples {
    use super::*;

    /// A payload of `kind` (`state_change`, `feed_failing`, `network_down`, anything else
    /// reads as unknown) about `vendor`'s feed in category `cloud`; `from`/`to` for a change,
    /// whose non-operational components are `components`.
    pub(crate) fn payload(
        kind: &str,
        vendor: &str,
        from: &str,
        to: &str,
        components: &[&str],
    ) -> EventPayload {
        let feed = serde_json::json!({
            "id": 1, "title": vendor.to_uppercase(), "url": "http://127.0.0.1/feed", "category": "cloud",
        });
        let mut value = serde_json::json!({
            "id": "01", "type": kind, "occurred_at": "2025-10-20T07:11:00Z",
            "detected_at": "2025-10-20T07:12:00Z", "title": "t", "link": null,
        });
        let extra = match kind {
            "state_change" => serde_json::json!({
                "vendor": vendor, "feed": feed, "component": null, "from": from, "to": to,
                "incident": null,
                "components": components.iter()
                    .map(|c| serde_json::json!({"name": c, "state": to})).collect::<Vec<_>>(),
            }),
            "feed_failing" => serde_json::json!({
                "vendor": vendor, "feed": feed, "failing_since": "2025-10-20T06:00:00Z",
                "failures": 5, "outcome": "timeout", "http_status": null,
                "error": "timed out", "next_attempt_at": null,
            }),
            "network_down" => serde_json::json!({"feeds": 10, "failed": 9, "samples": []}),
            "component_change" => serde_json::json!({
                "vendor": vendor, "feed": feed, "component": components.first().copied().unwrap_or("API"),
                "from": from, "to": to, "incident": null,
            }),
            _ => serde_json::json!({}),
        };
        if let (Some(out), Some(more)) = (value.as_object_mut(), extra.as_object()) {
            out.extend(more.clone());
        }
        serde_json::from_value(value).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ```json examples under "### Payloads" in docs/webhooks.md.
    fn documented_payloads() -> Vec<serde_json::Value> {
        let doc = include_str!("../../docs/webhooks.md");
        let start = doc
            .find("### Payloads")
            .expect("docs/webhooks.md has a Payloads section");
        let section = &doc[start..];
        let section = &section[..section[4..].find("\n### ").map_or(section.len(), |i| i + 4)];
        section
            .split("```json")
            .skip(1)
            .map(|block| {
                let json = &block[..block.find("```").expect("a closed code block")];
                serde_json::from_str(json).expect("the example is JSON")
            })
            .collect()
    }

    #[test]
    fn the_documented_payloads_are_exactly_what_the_type_reads_and_writes() {
        let examples = documented_payloads();
        let mut kinds: Vec<String> = Vec::new();
        for example in examples {
            let payload: EventPayload = serde_json::from_value(example.clone())
                .unwrap_or_else(|e| panic!("{e}: {example}"));
            assert_ne!(payload.detail, EventDetail::Unknown, "{example}");
            // Equal both ways: the doc names no field the type lacks, and misses none it writes.
            assert_eq!(serde_json::to_value(&payload).unwrap(), example);
            kinds.push(payload.kind_name().to_string());
        }
        for kind in [
            "state_change",
            "feed_failing",
            "feed_recovered",
            "network_down",
            "correlated_outage",
            "test",
        ] {
            assert!(
                kinds.iter().any(|k| k == kind),
                "docs/webhooks.md shows no {kind} payload"
            );
        }
    }

    #[test]
    fn a_stored_payload_this_build_cannot_read_is_still_listed_and_delivered_as_stored() {
        let columns = || EventColumns {
            id: "e9".into(),
            kind: "state_change".into(),
            occurred_at: "2025-10-20T07:00:00Z".into(),
            detected_at: "2025-10-20T07:01:00Z".into(),
            title: Some("Zoom is outage".into()),
            link: None,
        };
        // Damaged (or from a version whose shape this one cannot read): the row's columns.
        let damaged = StoredEvent::read(7, "{\"type\": \"state_change\"".into(), columns());
        assert_eq!(damaged.payload.detail, EventDetail::Unknown);
        assert_eq!(damaged.payload.title, "Zoom is outage");
        assert_eq!(damaged.payload.id, "e9");
        assert_eq!(
            damaged.body, "{\"type\": \"state_change\"",
            "sent as stored"
        );
        let line: serde_json::Value = serde_json::from_str(&damaged.json_line().unwrap()).unwrap();
        assert_eq!(line["seq"], 7);
        assert_eq!(
            line["payload"], "{\"type\": \"state_change\"",
            "kept as text"
        );
        // A newer kind keeps its own name.
        let newer = StoredEvent::read(
            8,
            r#"{"id":"e10","type":"vendor_rumour","occurred_at":"a","detected_at":"b","title":"t"}"#
                .into(),
            columns(),
        );
        assert_eq!(newer.kind_name(), "vendor_rumour");
    }

    #[test]
    fn a_kind_from_a_newer_version_reads_as_unknown_and_keeps_the_common_fields() {
        let text = r#"{"id":"x","type":"vendor_rumour","occurred_at":"a","detected_at":"b",
                       "title":"AWS us-east-1 is the likely cause","cluster_id":"c1"}"#;
        let payload: EventPayload = serde_json::from_str(text).unwrap();
        assert_eq!(payload.detail, EventDetail::Unknown);
        assert_eq!(payload.title, "AWS us-east-1 is the likely cause");
        assert_eq!(payload.kind(), None);
        assert_eq!(payload.kind_name(), "unknown");
    }

    #[test]
    fn a_recovery_names_the_components_of_the_incident_that_ended() {
        let payload = EventPayload {
            id: "x".into(),
            occurred_at: "a".into(),
            detected_at: "b".into(),
            title: "t".into(),
            link: None,
            detail: EventDetail::StateChange(StateChange {
                vendor: "zoom".into(),
                feed: FeedRef {
                    id: 1,
                    title: "Zoom".into(),
                    url: "http://127.0.0.1/zoom".into(),
                    category: Some("saas".into()),
                },
                component: None,
                from: ServiceState::Outage,
                to: ServiceState::Operational,
                incident: Some(IncidentRef {
                    id: 3,
                    title: "Meetings".into(),
                    link: None,
                    status: Status::Resolved,
                    phase: Some(Phase::Resolved),
                    started_at: "a".into(),
                    components: vec!["Meetings".into(), "Chat".into()],
                    severity: None,
                    latest_update: None,
                }),
                components: vec![],
                reason: None,
            }),
        };
        assert_eq!(payload.components(), ["Meetings", "Chat"]);
        assert_eq!(payload.category(), Some("saas"));
        let round: EventPayload =
            serde_json::from_str(&serde_json::to_string(&payload).unwrap()).unwrap();
        assert_eq!(round, payload);
    }
}
