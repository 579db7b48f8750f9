//! Atlassian Statuspage's API (`/api/v2/summary.json`, `status.json`, `components.json`,
//! `incidents.json`, `scheduled-maintenances.json`), and the summaries incident.io and Instatus
//! serve in its shape.
//!
//! - `components[]` → the component snapshot. A component with `group: true` is a heading, not a
//!   service: its name becomes its children's `group` (joined by `group_id`) and it is left out.
//!   A placeholder (GitHub's "Visit www.githubstatus.com for more information") is left out too:
//!   a name that starts with "Visit " and then names a web address (a `www.`, `http` or a dotted
//!   host) or says "for more information" is a signpost, never a service.
//! - `status.indicator` → `overall` (none → operational, minor → degraded, major and critical →
//!   outage, maintenance → maintenance).
//! - `incidents[]` and `scheduled_maintenances[]` → one entry each, built like the Statuspage feed
//!   reader's: id and link the incident's page (`<page url>/incidents/<id>`, what the feed's
//!   entries link to; the `shortlink` only without a page URL), updates newest first labelled with
//!   the status word as the page shows it, affected components by their current names (joined on
//!   `code`/`id`, never on the snapshot name an update carries), severity the `impact`.
//!
//! incident.io's summary has no `incidents` key when idle and no `scheduled_maintenances`: a
//! missing list is an empty one.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::{label, link, plain, time, Doc, EntryParts};
use crate::model::{ComponentStatus, Entry, ParsedFeed, ServiceState, Update};

use crate::parse::ParseError;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Document {
    page: Option<Page>,
    status: Option<Indicator>,
    components: Option<Vec<Component>>,
    incidents: Option<Vec<Incident>>,
    scheduled_maintenances: Option<Vec<Incident>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Page {
    name: Option<String>,
    url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Indicator {
    indicator: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Component {
    id: Option<String>,
    name: String,
    status: Option<String>,
    group: Option<bool>,
    group_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Incident {
    id: String,
    name: String,
    status: Option<String>,
    impact: Option<String>,
    shortlink: Option<String>,
    created_at: Option<String>,
    started_at: Option<String>,
    updated_at: Option<String>,
    resolved_at: Option<String>,
    components: Option<Vec<Affected>>,
    incident_updates: Option<Vec<IncidentUpdate>>,
}

/// A component as an incident or an update names it: `id` in `components[]`, `code` in
/// `affected_components[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Affected {
    id: Option<String>,
    code: Option<String>,
    name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct IncidentUpdate {
    status: Option<String>,
    body: Option<String>,
    created_at: Option<String>,
    display_at: Option<String>,
    affected_components: Option<Vec<Affected>>,
}

/// The keys that make an object a Statuspage API document.
const KEYS: [&str; 5] = [
    "page",
    "status",
    "components",
    "incidents",
    "scheduled_maintenances",
];

/// True when the object has the top-level names of a Statuspage API document.
pub(super) fn is_shaped(value: &Value) -> bool {
    let Some(o) = value.as_object() else {
        return false;
    };
    let status_ok = o.get("status").is_none_or(|s| s.get("indicator").is_some());
    status_ok && KEYS.iter().any(|k| o.contains_key(*k))
}

/// incident.io's page ids are 26-character ULIDs (`01JMDK9XYNY6RXSED6SDWW50WY`).
pub(super) fn page_id_is_ulid(value: &Value) -> bool {
    value
        .pointer("/page/id")
        .and_then(Value::as_str)
        .is_some_and(|id| {
            id.len() == 26
                && id
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        })
}

pub(super) fn read(doc: &Doc<'_>) -> Result<ParsedFeed, ParseError> {
    if !is_shaped(doc.value) {
        return Err(ParseError::NotAFeed(format!(
            "a JSON document without the keys of a Statuspage API document (one of {}); \
             expected /api/v2/summary.json or one of its siblings",
            KEYS.map(|k| format!("`{k}`")).join(", ")
        )));
    }
    let d: Document = doc.typed("a Statuspage API document")?;
    let base = doc.base(d.page.as_ref().and_then(|p| p.url.as_deref()));

    let incidents = d.incidents.unwrap_or_default();
    let maintenances = d.scheduled_maintenances.unwrap_or_default();
    let names = component_names(
        d.components.as_deref().unwrap_or(&[]),
        incidents.iter().chain(&maintenances),
    );
    let components = d
        .components
        .as_deref()
        .map(|cs| snapshot(cs, "$.components"))
        .transpose()?;
    let overall = d
        .status
        .as_ref()
        .and_then(|s| s.indicator.as_deref())
        .map(indicator_state)
        .transpose()?;

    let entries: Vec<Entry> = incidents
        .into_iter()
        .chain(maintenances)
        .filter(|i| !i.id.is_empty())
        .map(|i| entry(i, base.as_ref(), &names))
        .collect();

    // `summary.json` (components and the page's status together) lists every unresolved
    // incident and every maintenance not completed; `incidents.json` and its siblings list
    // the recent past, where leaving one out only means it aged out.
    let lists_open = components.is_some() && overall.is_some();
    Ok(doc.feed(
        d.page.and_then(|p| p.name),
        entries,
        components,
        overall,
        lists_open,
    ))
}

/// Component id → its current name, for joining affected components on `code`: the page's
/// components, and the current component objects incidents carry (`incidents.json` and
/// `scheduled-maintenances.json` have no top-level list).
fn component_names<'a>(
    components: &[Component],
    incidents: impl Iterator<Item = &'a Incident>,
) -> HashMap<String, String> {
    let mut names: HashMap<String, String> = HashMap::new();
    for i in incidents {
        for c in i.components.as_deref().unwrap_or(&[]) {
            if let (Some(id), Some(name)) = (c.id.as_ref(), c.name.as_ref()) {
                names.insert(id.clone(), name.clone());
            }
        }
    }
    // The page's own list is the newest word on a name.
    for c in components {
        if let Some(id) = &c.id {
            names.insert(id.clone(), c.name.clone());
        }
    }
    names
}

/// The services and their states: groups folded into their children, placeholders left out.
fn snapshot(components: &[Component], at: &str) -> Result<Vec<ComponentStatus>, ParseError> {
    let groups: HashMap<&str, &str> = components
        .iter()
        .filter(|c| c.group == Some(true))
        .filter_map(|c| Some((c.id.as_deref()?, c.name.as_str())))
        .collect();
    let mut out = Vec::with_capacity(components.len());
    for (i, c) in components.iter().enumerate() {
        if c.group == Some(true) || is_placeholder(&c.name) {
            continue;
        }
        let word = c.status.as_deref().unwrap_or("operational");
        let state = component_state(word).ok_or_else(|| {
            ParseError::Invalid(format!(
                "a Statuspage API document: expected a component status (operational, degraded_performance, \
                 partial_outage, major_outage, under_maintenance) at {at}[{i}].status, found {word:?}"
            ))
        })?;
        out.push(ComponentStatus {
            id: c.id.clone(),
            name: c.name.trim().to_string(),
            group: c
                .group_id
                .as_deref()
                .and_then(|g| groups.get(g))
                .map(|g| g.to_string()),
            state,
        });
    }
    Ok(out)
}

/// A signpost listed as a component: "Visit www.githubstatus.com for more information".
pub(super) fn is_placeholder(name: &str) -> bool {
    let lower = name.trim().to_lowercase();
    let Some(rest) = lower.strip_prefix("visit ") else {
        return false;
    };
    let names_a_site = rest.contains("www.")
        || rest.contains("http")
        || rest
            .split_whitespace()
            .next()
            .is_some_and(|w| w.contains('.') && !w.ends_with('.'));
    names_a_site || rest.contains("for more information")
}

/// A component's state word. Words of other hosts that copy the shape are read by what they
/// say (a "full_outage" is an outage), so a new word degrades gracefully; one that says nothing
/// known is an error, never a guess.
pub(super) fn component_state(word: &str) -> Option<ServiceState> {
    let w = word.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    Some(match w.as_str() {
        "operational" => ServiceState::Operational,
        "degraded_performance" | "degraded" => ServiceState::Degraded,
        // A part of the service does not work: an outage by LABELING.md ("partial outage").
        "partial_outage" | "major_outage" | "full_outage" => ServiceState::Outage,
        "under_maintenance" | "maintenance" => ServiceState::Maintenance,
        _ if w.contains("maint") => ServiceState::Maintenance,
        _ if w.contains("outage") || w.contains("major") || w.contains("full") => {
            ServiceState::Outage
        }
        _ if w.contains("degrad") => ServiceState::Degraded,
        _ => return None,
    })
}

/// `status.indicator` → the page's overall word.
fn indicator_state(word: &str) -> Result<ServiceState, ParseError> {
    Ok(match word.trim().to_ascii_lowercase().as_str() {
        "none" => ServiceState::Operational,
        "minor" => ServiceState::Degraded,
        "major" | "critical" => ServiceState::Outage,
        "maintenance" => ServiceState::Maintenance,
        other => {
            return Err(ParseError::Invalid(format!(
                "a Statuspage API document: expected an indicator (none, minor, major, critical, maintenance) \
                 at $.status.indicator, found {other:?}"
            )))
        }
    })
}

/// One incident or maintenance as the Statuspage feed reader would give it.
fn entry(i: Incident, base: Option<&url::Url>, names: &HashMap<String, String>) -> Entry {
    let page = base
        .and_then(|b| b.join(&format!("incidents/{}", i.id)).ok())
        .map(|u| u.to_string());
    let id = page
        .clone()
        .unwrap_or_else(|| format!("incidents/{}", i.id));
    let updates_in = i.incident_updates.unwrap_or_default();
    // Affected components by their current names: the incident's own list, then every code an
    // update names; a snapshot name only when the code is no longer on the page.
    let current = |a: &Affected| -> Option<String> {
        let code = a.id.as_deref().or(a.code.as_deref());
        code.and_then(|c| names.get(c).cloned())
            .or_else(|| a.name.clone())
            .filter(|n| !is_placeholder(n))
    };
    let mut components: Vec<String> = i
        .components
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .filter_map(current)
        .collect();
    for u in &updates_in {
        components.extend(
            u.affected_components
                .as_deref()
                .unwrap_or(&[])
                .iter()
                .filter_map(current),
        );
    }
    let updates: Vec<Update> = updates_in
        .iter()
        .map(|u| Update {
            at: time(u.display_at.as_deref()).or_else(|| time(u.created_at.as_deref())),
            label: label(u.status.as_deref().unwrap_or("")),
            text: plain(u.body.as_deref().unwrap_or("")),
        })
        .collect();
    let resolved = matches!(
        i.status.as_deref(),
        Some("resolved" | "completed" | "postmortem")
    );
    let updated = time(i.updated_at.as_deref())
        .or_else(|| resolved.then(|| time(i.resolved_at.as_deref())).flatten())
        .or_else(|| updates.iter().filter_map(|u| u.at).max());
    EntryParts {
        // The incident's page, as the feed's entries link it, so the same incident read from
        // the feed and from the API is recognised as one; the shortlink only when there is
        // no page to point at.
        link: page.or_else(|| link(i.shortlink.as_deref(), base)),
        id,
        title: plain(&i.name),
        published: time(i.created_at.as_deref()).or_else(|| time(i.started_at.as_deref())),
        updated,
        updates,
        components,
        incident_key: None,
        severity: super::lower_word(i.impact),
    }
    .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_signposts_only() {
        assert!(is_placeholder(
            "Visit www.githubstatus.com for more information"
        ));
        assert!(is_placeholder("Visit status.example.com"));
        assert!(is_placeholder("visit https://example.com/status"));
        assert!(!is_placeholder("Visitor analytics"));
        assert!(!is_placeholder("Visit scheduling"));
        assert!(!is_placeholder("Git Operations"));
    }

    #[test]
    fn component_words() {
        use ServiceState::*;
        for (w, s) in [
            ("operational", Operational),
            ("degraded_performance", Degraded),
            ("partial_outage", Outage),
            ("major_outage", Outage),
            ("under_maintenance", Maintenance),
            ("full_outage", Outage),
        ] {
            assert_eq!(component_state(w), Some(s), "{w}");
        }
        assert_eq!(component_state("purple"), None);
    }
}
