//! Google Cloud's `status.cloud.google.com/incidents.json`: an array of incidents, newest first.
//!
//! Each: `id`, `number`, `begin`, `created`, `end` (absent while open), `modified`,
//! `external_desc`, `updates[]` {created, modified, when, text, status, affected_locations},
//! `most_recent_update`, `status_impact` (`SERVICE_INFORMATION`, `SERVICE_DISRUPTION`,
//! `SERVICE_OUTAGE`), `severity`, `service_name`, `affected_products[]` {title, id,
//! current_title}, `uri` (`incidents/<id>`), `currently_affected_locations[]`.
//!
//! One incident is one entry (the API gives it whole, like a Statuspage incident), keyed by its
//! page (`https://status.cloud.google.com/incidents/<id>`, what the Atom feed links to). As the
//! Atom reader does: severity is the status impact in words ("service disruption"), components
//! are the affected products. Whether it is over is `end` (the status impact stays
//! `SERVICE_DISRUPTION` after it closes and update statuses say `AVAILABLE` throughout), so the
//! newest update of an ended incident is labelled "Resolved" and every other update "Update",
//! the Atom titles' words.

use serde::Deserialize;

use super::{link, plain, time, Doc, EntryParts};
use crate::model::{Entry, ParsedFeed, Update};
use crate::parse::ParseError;

const SITE: &str = "https://status.cloud.google.com/";

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Incident {
    id: String,
    begin: Option<String>,
    created: Option<String>,
    end: Option<String>,
    modified: Option<String>,
    external_desc: String,
    updates: Vec<IncidentUpdate>,
    most_recent_update: Option<IncidentUpdate>,
    status_impact: Option<String>,
    service_name: Option<String>,
    affected_products: Vec<Product>,
    uri: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
struct IncidentUpdate {
    created: Option<String>,
    when: Option<String>,
    text: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Product {
    title: Option<String>,
    current_title: Option<String>,
}

pub(super) fn read(doc: &Doc<'_>) -> Result<ParsedFeed, ParseError> {
    let incidents: Vec<Incident> = doc.typed("a Google Cloud incident list")?;
    // Links point at the real site unless the document came from elsewhere (a mirror, a test
    // server), where its relative `uri`s resolve against the feed's own origin.
    let base = match doc.origin() {
        Some(o) if o.host_str() != Some("status.cloud.google.com") => o,
        _ => url::Url::parse(SITE).map_err(|e| ParseError::Invalid(e.to_string()))?,
    };
    let entries: Vec<Entry> = incidents
        .into_iter()
        .filter(|i| !i.id.is_empty())
        .map(|i| entry(i, &base))
        .collect();
    // incidents.json holds ended incidents too: one left out has aged out, not ended now.
    Ok(doc.feed(
        Some("Google Cloud Service Health".into()),
        entries,
        None,
        None,
        false,
    ))
}

fn entry(i: Incident, base: &url::Url) -> Entry {
    let uri = i
        .uri
        .clone()
        .unwrap_or_else(|| format!("incidents/{}", i.id));
    let page = link(Some(&uri), Some(base));
    let ended = time(i.end.as_deref());
    let mut list = i.updates;
    if list.is_empty() {
        list.extend(i.most_recent_update);
    }
    let mut updates: Vec<Update> = list
        .iter()
        .map(|u| Update {
            at: time(u.when.as_deref()).or_else(|| time(u.created.as_deref())),
            label: "Update".into(),
            text: plain(u.text.as_deref().unwrap_or("")),
        })
        .collect();
    super::newest_first(&mut updates);
    if ended.is_some() {
        match updates.first_mut() {
            Some(newest) => newest.label = "Resolved".into(),
            None => updates.push(Update {
                at: ended,
                label: "Resolved".into(),
                text: String::new(),
            }),
        }
    }
    let mut components: Vec<String> = i
        .affected_products
        .iter()
        .filter_map(|p| p.current_title.clone().or_else(|| p.title.clone()))
        .map(|t| plain(&t))
        .collect();
    if components.is_empty() {
        components.extend(i.service_name.as_deref().map(plain));
    }
    EntryParts {
        id: page.clone().unwrap_or_else(|| format!("gcp:{}", i.id)),
        title: plain(&i.external_desc),
        link: page,
        published: time(i.begin.as_deref()).or_else(|| time(i.created.as_deref())),
        updated: time(i.modified.as_deref()).or(ended),
        updates,
        components,
        incident_key: None,
        severity: i
            .status_impact
            .map(|s| s.trim().to_ascii_lowercase().replace('_', " "))
            .filter(|s| !s.is_empty()),
    }
    .build()
}
