//! Slack's status RSS (`slack-status.com/feed/rss`).
//!
//! One item per incident, titled with its kind: "Incident: ...", "Outage: ...", "Maintenance: ...",
//! "Notice: ...". The kind is Slack's own severity; the body's newest note decides whether it is over.

use std::sync::LazyLock;

use regex::Regex;

use super::literal_regex;

use super::Raw;
use crate::model::{Entry, Update};

static KIND: LazyLock<Regex> =
    LazyLock::new(|| literal_regex(r"(?i)^\s*(Incident|Outage|Maintenance|Notice)\s*:\s*"));

/// Reads a Slack item.
pub(super) fn extract(raw: &Raw<'_>, entry: &mut Entry) {
    entry.severity = KIND
        .captures(&entry.title)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string());
    let (label, text) = super::generic::leading_label(&entry.content)
        .unwrap_or_else(|| (String::new(), entry.content.clone()));
    entry.updates = vec![Update {
        at: raw.date,
        label,
        text,
    }];
}
