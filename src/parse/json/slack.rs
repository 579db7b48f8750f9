//! Slack's status API, `slack-status.com/api/v2.0.0/current` and `/history` (documented at
//! docs.slack.dev, "Slack Status API"; no real response was available to test against, so the
//! fixtures follow the documented samples).
//!
//! `current` is `{status: "ok" | "active", date_created, date_updated, active_incidents[]}`;
//! `history` is an array of the same incidents: `{id, date_created, date_updated, title, type
//! (incident, outage, notice, maintenance), status (active, resolved, scheduled, completed...),
//! url, services[], notes[] {date_created, body}}`.
//!
//! Each incident becomes an entry titled as Slack's own feed titles it ("Outage: ..."), so the
//! Slack rules read both alike; its notes are its updates, the newest carrying the incident's
//! closing or planned word ("Resolved", "Completed", "Scheduled", "In progress" for active
//! maintenance) and older ones none, as the feed gives them. `overall` (from `current` only):
//! "ok" is operational; otherwise the worst active incident's type (outage → outage, incident →
//! degraded, maintenance → maintenance, notice → informational). `current` lists only the
//! services an incident names, so it gives no component snapshot.

use serde::Deserialize;
use serde_json::Value;

use super::{label, lenient_string, link, plain, time, Doc, EntryParts};
use crate::model::{Entry, ParsedFeed, ServiceState, Update};
use crate::parse::ParseError;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Current {
    status: Option<String>,
    active_incidents: Vec<Incident>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Incident {
    #[serde(deserialize_with = "lenient_string")]
    id: Option<String>,
    date_created: Option<String>,
    date_updated: Option<String>,
    title: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    status: Option<String>,
    url: Option<String>,
    services: Vec<String>,
    notes: Vec<Note>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Note {
    date_created: Option<String>,
    body: Option<String>,
}

pub(super) fn read(doc: &Doc<'_>) -> Result<ParsedFeed, ParseError> {
    let base = doc.origin();
    let (incidents, overall) = match doc.value {
        Value::Array(_) => {
            let list: Vec<Incident> = doc.typed("a Slack status history")?;
            (list, None)
        }
        _ => {
            if doc.value.get("status").is_none() && doc.value.get("active_incidents").is_none() {
                return Err(ParseError::NotAFeed(
                    "a JSON object without Slack's `status` or `active_incidents`; expected api/v2.0.0/current or /history"
                        .into(),
                ));
            }
            let c: Current = doc.typed("a Slack current status")?;
            let overall = overall(&c)?;
            (c.active_incidents, Some(overall))
        }
    };
    let entries: Vec<Entry> = incidents
        .into_iter()
        .map(|i| entry(i, base.as_ref()))
        .filter(|e| !e.id.is_empty())
        .collect();
    // `current` lists every active incident; `history` is the past, and lists no such thing.
    let lists_open = overall.is_some();
    Ok(doc.feed(
        Some("Slack System Status".into()),
        entries,
        None,
        overall,
        lists_open,
    ))
}

fn overall(c: &Current) -> Result<ServiceState, ParseError> {
    match c.status.as_deref().map(str::trim) {
        Some("ok") => Ok(ServiceState::Operational),
        Some("active") | None => Ok(c
            .active_incidents
            .iter()
            .map(|i| kind_state(i.kind.as_deref().unwrap_or("incident")))
            .max()
            // "active" with nothing listed: Slack says something is wrong without saying what.
            .unwrap_or(ServiceState::Degraded)),
        Some(other) => Err(ParseError::Invalid(format!(
            "a Slack current status: expected \"ok\" or \"active\" at $.status, found {other:?}"
        ))),
    }
}

fn kind_state(kind: &str) -> ServiceState {
    match kind.trim().to_ascii_lowercase().as_str() {
        "outage" => ServiceState::Outage,
        "maintenance" => ServiceState::Maintenance,
        "notice" => ServiceState::Informational,
        _ => ServiceState::Degraded,
    }
}

fn entry(i: Incident, base: Option<&url::Url>) -> Entry {
    let kind = label(i.kind.as_deref().unwrap_or("incident"));
    let status = i
        .status
        .as_deref()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let maintenance = kind == "Maintenance";
    // The word the newest note carries: the incident's end or plan; an active incident has none
    // (its title and text say how bad it is).
    let newest_label = match status.as_str() {
        "active" if maintenance => "In progress".to_string(),
        "active" | "" => String::new(),
        other => label(other),
    };
    let mut updates: Vec<Update> = i
        .notes
        .iter()
        .map(|n| Update {
            at: time(n.date_created.as_deref()),
            label: String::new(),
            text: plain(n.body.as_deref().unwrap_or("")),
        })
        .collect();
    super::newest_first(&mut updates);
    match updates.first_mut() {
        Some(newest) => newest.label = newest_label,
        None if !newest_label.is_empty() => updates.push(Update {
            at: time(i.date_updated.as_deref()),
            label: newest_label,
            text: String::new(),
        }),
        None => {}
    }
    let link = link(i.url.as_deref(), base);
    // A `url` that is no URL still names the incident (found by the parse_feed fuzz target:
    // it left the entry with an empty id).
    let id = link
        .clone()
        .or_else(|| i.id.as_ref().map(|id| format!("slack-status:{id}")))
        .or_else(|| {
            i.url
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_string)
        })
        .unwrap_or_default();
    EntryParts {
        id,
        title: format!("{kind}: {}", plain(&i.title)),
        link,
        published: time(i.date_created.as_deref()),
        updated: time(i.date_updated.as_deref()),
        updates,
        components: i.services.iter().map(|s| plain(s)).collect(),
        incident_key: None,
        severity: Some(kind),
    }
    .build()
}
