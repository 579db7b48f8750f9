//! The AWS Health Dashboard's event list, `health.aws.amazon.com/public/currentevents`: a JSON
//! array of events, served as UTF-16 with a byte-order mark (decoded before it gets here by
//! `repair::decode`).
//!
//! Each event: `date` (epoch seconds as a string), `arn`, `region_name`, `status`, `service`
//! (`ec2-us-east-1`: service and region, the same pair the AWS feed reader chains on),
//! `service_name`, `summary` (`[RESOLVED] ` once closed), `event_log[]` {summary, message, status,
//! timestamp}, `impacted_services` {key: {service_name, current, max}}, `end_time` (closed only).
//!
//! Status codes are strings in the event and integers in the log; both are read. The mapping,
//! from the codes the dashboard uses: `0` resolved (operating normally), `1` informational,
//! `2` degradation, `3` disruption. The event's worst code (its log, its impacted services'
//! `max`) is its severity, in the AWS feed's own words ("Informational message", "Service
//! degradation", "Service disruption"), so the AWS rules read it as they read the feed.
//!
//! One event is one entry keyed by its ARN, chained by service-region (`incident_key`) like the
//! feed's items; its log entries are its updates, newest first, labelled like the feed's titles.
//! A closed event (status `0` or an `end_time`) gets a "Resolved" update at its end time when
//! its log has none: the API says it ended then, and that is when the incident resolved.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{epoch, lenient_string, plain, Doc, EntryParts};
use crate::model::{Entry, ParsedFeed, Update};
use crate::parse::ParseError;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Event {
    #[serde(deserialize_with = "lenient_string")]
    date: Option<String>,
    arn: Option<String>,
    region_name: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    status: Option<String>,
    service: Option<String>,
    service_name: Option<String>,
    summary: String,
    event_log: Vec<LogEntry>,
    impacted_services: BTreeMap<String, Impacted>,
    #[serde(deserialize_with = "lenient_string")]
    end_time: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LogEntry {
    summary: Option<String>,
    message: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    status: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    timestamp: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Impacted {
    service_name: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    max: Option<String>,
}

pub(super) fn read(doc: &Doc<'_>) -> Result<ParsedFeed, ParseError> {
    let events: Vec<Event> = doc.typed("an AWS Health Dashboard event list")?;
    let entries: Vec<Entry> = events.into_iter().filter_map(entry).collect();
    Ok(doc.feed(
        Some("AWS Health Dashboard".into()),
        entries,
        None,
        None,
        true,
    ))
}

/// A status code as a number (`"3"`, `3`); anything else is unknown.
fn code(s: Option<&str>) -> Option<u8> {
    s?.trim().parse().ok()
}

/// The AWS feed's word for a code.
fn word(code: u8) -> &'static str {
    match code {
        0 => "Service is operating normally",
        1 => "Informational message",
        2 => "Service degradation",
        _ => "Service disruption",
    }
}

/// The region of an ARN: `arn:aws:health:us-west-2::event/...`.
fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

fn entry(e: Event) -> Option<Entry> {
    let arn = e.arn.clone().filter(|a| !a.is_empty());
    let service = e.service.clone().filter(|s| !s.is_empty());
    let id = arn.clone().or_else(|| {
        Some(format!(
            "aws:{}:{}",
            service.as_deref()?,
            e.date.as_deref()?
        ))
    })?;
    let region = arn.as_deref().and_then(arn_region);
    // The chain key and component name the AWS feed reader gives its items: "ec2-us-east-1",
    // "ec2 (us-east-1)".
    let chain_service = match (service.as_deref(), region) {
        (Some(s), Some(r)) => s.strip_suffix(&format!("-{r}")).unwrap_or(s).to_string(),
        (Some(s), None) => s.to_string(),
        (None, _) => e.service_name.clone().unwrap_or_default(),
    };
    let mut components = Vec::with_capacity(1 + e.impacted_services.len());
    components.push(match region {
        Some(r) => format!("{chain_service} ({r})"),
        None => chain_service.clone(),
    });
    components.extend(
        e.impacted_services
            .values()
            .filter_map(|s| s.service_name.as_deref().map(plain)),
    );

    let status = code(e.status.as_deref());
    let worst = e
        .event_log
        .iter()
        .filter_map(|l| code(l.status.as_deref()))
        .chain(
            e.impacted_services
                .values()
                .filter_map(|s| code(s.max.as_deref())),
        )
        .chain(status)
        .max();
    let ended = epoch(e.end_time.as_deref());
    let closed = status == Some(0) || ended.is_some();

    let mut updates: Vec<Update> = e
        .event_log
        .iter()
        .map(|l| {
            let text = [l.summary.as_deref(), l.message.as_deref()]
                .into_iter()
                .flatten()
                .map(plain)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            let c = code(l.status.as_deref());
            Update {
                at: epoch(l.timestamp.as_deref()),
                label: match c {
                    Some(0) => "Resolved".to_string(),
                    Some(c) => word(c).to_string(),
                    None => String::new(),
                },
                text,
            }
        })
        .collect();
    if closed && !updates.iter().any(|u| u.label == "Resolved") {
        updates.push(Update {
            at: ended.or_else(|| updates.iter().filter_map(|u| u.at).max()),
            label: "Resolved".into(),
            text: plain(&e.summary),
        });
    }
    let published = epoch(e.date.as_deref());
    let updated = updates.iter().filter_map(|u| u.at).max().or(published);
    Some(
        EntryParts {
            id,
            title: plain(&e.summary),
            link: None,
            published,
            updated,
            updates,
            components,
            incident_key: service.or_else(|| Some(chain_service).filter(|s| !s.is_empty())),
            severity: worst.filter(|c| *c > 0).map(|c| word(c).to_string()),
        }
        .build(),
    )
}
