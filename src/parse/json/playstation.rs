//! PlayStation Network's status JSON, `status.playstation.com/data/statuses/region/<REGION>.json`
//! (SCEA, SCEE, SCEJA, ...).
//!
//! No real response was available: this shape is the one code that reads the endpoint relies
//! on (open-source status checkers), and the fixtures follow it. A region:
//! `{regionName, status[], countries[] {countryCode, countryName, status[], services[]
//! {serviceId, serviceName, status[]}}}`; a status: `{statusId, statusType ("Outage",
//! "Degraded", "Maintenance", "OK"), startDate, endDate, createdDate, modifiedDate, message
//! {messages {"en-US": ...}}}`. Empty `status` lists everywhere mean all is well.
//!
//! - Components: one per service (`serviceName`, the same across a region's countries), in the
//!   worst state any country reports for it now.
//! - `overall`: the worst current state at any level (region, country, service).
//! - Entries: one per `statusId` (a message repeated in every country is one), titled
//!   "<services>: <statusType>" ("Gaming and Social: Outage"; "PlayStation Network: ..." for a
//!   region- or country-wide one), text the English message.
//!
//! "Now" is the document's own newest time (its latest created/modified date; parsing has no
//! clock): a status whose `endDate` is at or before it has ended (labelled "Resolved"); a
//! maintenance whose `startDate` is after it is planned ("Scheduled") and leaves the state alone.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{lenient_string, plain, time, Doc, EntryParts};
use crate::model::{ComponentStatus, Entry, ParsedFeed, ServiceState, Update};
use crate::parse::ParseError;

const SITE: &str = "https://status.playstation.com/";
const WHOLE: &str = "PlayStation Network";

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Region {
    #[serde(rename = "regionName")]
    region_name: Option<String>,
    status: Vec<Status>,
    countries: Vec<Country>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Country {
    status: Vec<Status>,
    services: Vec<Service>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Service {
    #[serde(rename = "serviceId", deserialize_with = "lenient_string")]
    service_id: Option<String>,
    #[serde(rename = "serviceName")]
    service_name: String,
    status: Vec<Status>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Status {
    #[serde(rename = "statusId", deserialize_with = "lenient_string")]
    status_id: Option<String>,
    #[serde(rename = "statusType")]
    status_type: Option<String>,
    #[serde(rename = "startDate")]
    start_date: Option<String>,
    #[serde(rename = "endDate")]
    end_date: Option<String>,
    #[serde(rename = "createdDate")]
    created_date: Option<String>,
    #[serde(rename = "modifiedDate")]
    modified_date: Option<String>,
    message: Option<Message>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Message {
    messages: HashMap<String, String>,
}

impl Status {
    fn kind(&self) -> ServiceState {
        let t = self
            .status_type
            .as_deref()
            .unwrap_or("")
            .to_ascii_lowercase();
        if t.contains("outage") {
            ServiceState::Outage
        } else if t.contains("degrad") {
            ServiceState::Degraded
        } else if t.contains("maint") {
            ServiceState::Maintenance
        } else if t.is_empty() || t == "ok" {
            ServiceState::Operational
        } else {
            ServiceState::Informational
        }
    }

    /// Ended, planned, or in force as of `now`.
    fn phase(&self, now: Option<DateTime<Utc>>) -> Phase {
        let end = time(self.end_date.as_deref());
        let start = time(self.start_date.as_deref());
        match now {
            Some(n) if end.is_some_and(|e| e <= n) => Phase::Ended,
            Some(n) if self.kind() == ServiceState::Maintenance && start.is_some_and(|s| s > n) => {
                Phase::Planned
            }
            _ => Phase::Now,
        }
    }

    /// The English message, else any.
    fn text(&self) -> String {
        let Some(m) = &self.message else {
            return String::new();
        };
        ["en-US", "en-GB", "en"]
            .iter()
            .find_map(|k| m.messages.get(*k))
            .or_else(|| {
                let mut keys: Vec<&String> = m.messages.keys().collect();
                keys.sort();
                keys.first().and_then(|k| m.messages.get(*k))
            })
            .map(|s| plain(s))
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Ended,
    Planned,
    Now,
}

pub(super) fn read(doc: &Doc<'_>) -> Result<ParsedFeed, ParseError> {
    if doc.value.get("countries").is_none() && doc.value.get("regionName").is_none() {
        return Err(ParseError::NotAFeed(
            "a JSON document without PlayStation Network's `regionName` or `countries`; \
             expected status.playstation.com/data/statuses/region/<REGION>.json"
                .into(),
        ));
    }
    let r: Region = doc.typed("a PlayStation Network region status")?;
    let all_statuses = || {
        r.status.iter().chain(r.countries.iter().flat_map(|c| {
            c.status
                .iter()
                .chain(c.services.iter().flat_map(|s| s.status.iter()))
        }))
    };
    let now = all_statuses()
        .flat_map(|s| [s.created_date.as_deref(), s.modified_date.as_deref()])
        .filter_map(time)
        .max();
    let current = |s: &Status| match s.phase(now) {
        Phase::Now => s.kind(),
        _ => ServiceState::Operational,
    };

    // Services in first-seen order, each in its worst state across the region's countries.
    let mut components: Vec<ComponentStatus> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for service in r.countries.iter().flat_map(|c| c.services.iter()) {
        let name = plain(&service.service_name);
        if name.is_empty() {
            continue;
        }
        let state = service
            .status
            .iter()
            .map(current)
            .max()
            .unwrap_or(ServiceState::Operational);
        match at.get(&name) {
            Some(&i) => components[i].state = components[i].state.max(state),
            None => {
                at.insert(name.clone(), components.len());
                components.push(ComponentStatus {
                    id: service.service_id.clone(),
                    name,
                    group: None,
                    state,
                });
            }
        }
    }
    let overall = all_statuses()
        .map(current)
        .max()
        .unwrap_or(ServiceState::Operational);

    // One entry per status id, naming every service it was posted under.
    let posted = r
        .status
        .iter()
        .map(|s| (None, s))
        .chain(r.countries.iter().flat_map(|c| {
            c.status.iter().map(|s| (None, s)).chain(
                c.services
                    .iter()
                    .flat_map(|sv| sv.status.iter().map(move |s| (Some(sv), s))),
            )
        }));
    let mut order: Vec<(String, &Status)> = Vec::new();
    let mut services_of: HashMap<String, Vec<String>> = HashMap::new();
    for (service, s) in posted {
        let key = s.status_id.clone().unwrap_or_else(|| {
            format!(
                "{}-{}",
                s.status_type.as_deref().unwrap_or(""),
                s.start_date.as_deref().unwrap_or("")
            )
        });
        let list = services_of.entry(key.clone()).or_insert_with(|| {
            order.push((key, s));
            Vec::new()
        });
        if let Some(name) = service
            .map(|sv| plain(&sv.service_name))
            .filter(|n| !n.is_empty())
        {
            if !list.contains(&name) {
                list.push(name);
            }
        }
    }
    let region = r.region_name.as_deref().unwrap_or("region").to_string();
    let entries: Vec<Entry> = order
        .into_iter()
        .map(|(key, s)| {
            let services = services_of.remove(&key).unwrap_or_default();
            entry(&region, &key, s, services, now)
        })
        .collect();

    let title = match &r.region_name {
        Some(name) => format!("{WHOLE} status ({name})"),
        None => format!("{WHOLE} status"),
    };
    Ok(doc.feed(Some(title), entries, Some(components), Some(overall), true))
}

fn entry(
    region: &str,
    key: &str,
    s: &Status,
    services: Vec<String>,
    now: Option<DateTime<Utc>>,
) -> Entry {
    let kind = s
        .status_type
        .as_deref()
        .map(plain)
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "Status".into());
    let scope = if services.is_empty() {
        WHOLE.to_string()
    } else {
        services.join(", ")
    };
    let label = match (s.phase(now), s.kind()) {
        (Phase::Ended, ServiceState::Maintenance) => "Completed",
        (Phase::Ended, _) => "Resolved",
        (Phase::Planned, _) => "Scheduled",
        (Phase::Now, ServiceState::Maintenance) => "In progress",
        (Phase::Now, _) => "",
    };
    let start = time(s.start_date.as_deref());
    let modified = time(s.modified_date.as_deref());
    let ended = time(s.end_date.as_deref()).filter(|_| s.phase(now) == Phase::Ended);
    EntryParts {
        id: format!("{SITE}#{region}/{key}"),
        title: format!("{scope}: {kind}"),
        link: Some(SITE.to_string()),
        published: start.or_else(|| time(s.created_date.as_deref())),
        updated: modified.or(start),
        updates: vec![Update {
            at: ended.or(modified).or(start),
            label: label.to_string(),
            text: s.text(),
        }],
        components: services,
        incident_key: None,
        severity: Some(kind),
    }
    .build()
}
