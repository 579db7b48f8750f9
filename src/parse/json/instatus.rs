//! Instatus's own public API: `summary.json` and `components.json` (its Statuspage-compatible
//! summary goes to the Statuspage reader).
//!
//! - `page.status` → `overall`: `UP` → operational, `HASISSUES` → degraded, `UNDERMAINTENANCE` →
//!   maintenance.
//! - `components[]` (`OPERATIONAL`, `DEGRADEDPERFORMANCE`, `PARTIALOUTAGE`, `MAJOROUTAGE`,
//!   `UNDERMAINTENANCE`) → the snapshot, read by the Statuspage reader's words (partial outage is
//!   degraded, major outage an outage); `group` is null, a name, or an object with a `name`.
//! - `activeIncidents[]` / `activeMaintenances[]` (only present while something is active; the
//!   idle summary is just `page`) → one entry each, its one update labelled by its status word
//!   (`NOTSTARTEDYET` reads "Scheduled", `INPROGRESS` "In progress").

use serde::Deserialize;
use serde_json::Value;

use super::statuspage::{component_state, is_placeholder};
use super::{label, link, plain, time, Doc, EntryParts};
use crate::model::{ComponentStatus, Entry, ParsedFeed, ServiceState, Update};
use crate::parse::ParseError;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Document {
    page: Option<Page>,
    components: Option<Vec<Component>>,
    #[serde(rename = "activeIncidents")]
    active_incidents: Option<Vec<Active>>,
    #[serde(rename = "activeMaintenances")]
    active_maintenances: Option<Vec<Active>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Page {
    name: Option<String>,
    url: Option<String>,
    status: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Component {
    id: Option<String>,
    name: String,
    status: Option<String>,
    group: Option<Value>,
}

/// An active incident or maintenance as the summary lists it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Active {
    id: String,
    name: String,
    status: Option<String>,
    impact: Option<String>,
    started: Option<String>,
    start: Option<String>,
    url: Option<String>,
}

/// True for Instatus's own shape: a string `page.status`, upper-case component states, or its
/// active lists.
pub(super) fn is_native(value: &Value) -> bool {
    let Some(o) = value.as_object() else {
        return false;
    };
    let page_word = o
        .get("page")
        .and_then(|p| p.get("status"))
        .is_some_and(Value::is_string);
    let upper_components = o
        .get("components")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find_map(|c| c.get("status")?.as_str()))
        .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| !b.is_ascii_lowercase()));
    page_word
        || upper_components
        || o.contains_key("activeIncidents")
        || o.contains_key("activeMaintenances")
}

pub(super) fn read(doc: &Doc<'_>) -> Result<ParsedFeed, ParseError> {
    let d: Document = doc.typed("an Instatus API document")?;
    if d.page.is_none() && d.components.is_none() {
        return Err(ParseError::NotAFeed(
            "a JSON document without Instatus's `page` or `components`; expected summary.json or components.json"
                .into(),
        ));
    }
    let base = doc.base(d.page.as_ref().and_then(|p| p.url.as_deref()));
    let overall = d
        .page
        .as_ref()
        .and_then(|p| p.status.as_deref())
        .map(page_state)
        .transpose()?;
    let components = d
        .components
        .as_deref()
        .map(|cs| {
            cs.iter()
                .enumerate()
                .filter(|(_, c)| !is_placeholder(&c.name))
                .map(|(i, c)| component(i, c))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let entries: Vec<Entry> = d
        .active_incidents
        .unwrap_or_default()
        .into_iter()
        .chain(d.active_maintenances.unwrap_or_default())
        .filter(|a| !a.id.is_empty())
        .map(|a| entry(a, base.as_ref()))
        .collect();
    // A summary (it has the page's word) lists every active incident and maintenance.
    let lists_open = overall.is_some();
    Ok(doc.feed(
        d.page.and_then(|p| p.name),
        entries,
        components,
        overall,
        lists_open,
    ))
}

fn page_state(word: &str) -> Result<ServiceState, ParseError> {
    Ok(match word.trim().to_ascii_uppercase().as_str() {
        "UP" | "OPERATIONAL" => ServiceState::Operational,
        "HASISSUES" => ServiceState::Degraded,
        "UNDERMAINTENANCE" => ServiceState::Maintenance,
        other => {
            return Err(ParseError::Invalid(format!(
                "an Instatus summary: expected a page status (UP, HASISSUES, UNDERMAINTENANCE) at $.page.status, found {other:?}"
            )))
        }
    })
}

fn component(i: usize, c: &Component) -> Result<ComponentStatus, ParseError> {
    let word = c.status.as_deref().unwrap_or("OPERATIONAL");
    let state = component_state(word).ok_or_else(|| {
        ParseError::Invalid(format!(
            "an Instatus components document: expected a component status (OPERATIONAL, DEGRADEDPERFORMANCE, \
             PARTIALOUTAGE, MAJOROUTAGE, UNDERMAINTENANCE) at $.components[{i}].status, found {word:?}"
        ))
    })?;
    let group = match &c.group {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => o.get("name").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
    .filter(|g| !g.is_empty());
    Ok(ComponentStatus {
        id: c.id.clone(),
        name: c.name.trim().to_string(),
        group,
        state,
    })
}

/// Instatus's words as its page shows them.
fn status_label(word: &str) -> String {
    match word.trim().to_ascii_uppercase().as_str() {
        "NOTSTARTEDYET" => "Scheduled".into(),
        "INPROGRESS" => "In progress".into(),
        other => label(other),
    }
}

fn entry(a: Active, base: Option<&url::Url>) -> Entry {
    let page = base
        .and_then(|b| b.join(&format!("incident/{}", a.id)).ok())
        .map(|u| u.to_string());
    let link = link(a.url.as_deref(), base).or(page);
    let at = time(a.started.as_deref()).or_else(|| time(a.start.as_deref()));
    EntryParts {
        id: link.clone().unwrap_or_else(|| format!("instatus:{}", a.id)),
        title: plain(&a.name),
        link,
        published: at,
        updated: at,
        updates: vec![Update {
            at,
            label: status_label(a.status.as_deref().unwrap_or("")),
            text: String::new(),
        }],
        components: Vec::new(),
        incident_key: None,
        severity: super::lower_word(a.impact),
    }
    .build()
}
