//! Azure status RSS (`azure.status.microsoft/en-us/status/feed/`).
//!
//! One item per incident communication. Titles sometimes open with a state ("Mitigated - ...",
//! "Resolved: ...", "Active - ...") and post-incident reviews say "Post Incident Review (PIR)"; bodies
//! open with "Summary of impact:" or "Current status:". The state word becomes the update's label
//! ("Mitigated" reads as resolved, "PIR" as postmortem).

use std::sync::LazyLock;

use regex::Regex;

use super::literal_regex;

use super::Raw;
use crate::model::{Entry, Update};

static TITLE_STATE: LazyLock<Regex> = LazyLock::new(|| {
    literal_regex(r"(?i)^\s*(Active|Mitigated|Resolved|Investigating|Monitoring|Update)\s*[-:–]\s*")
});
static PIR: LazyLock<Regex> =
    LazyLock::new(|| literal_regex(r"(?i)post[- ]incident review|\bPIR\b"));

/// Reads an Azure item.
pub(super) fn extract(raw: &Raw<'_>, entry: &mut Entry) {
    let label = if PIR.is_match(&entry.title) {
        "Postmortem".to_string()
    } else {
        match TITLE_STATE
            .captures(&entry.title)
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_ascii_lowercase())
        {
            Some(w) if w == "mitigated" || w == "resolved" => "Resolved".to_string(),
            Some(w) if w == "active" || w == "investigating" => "Investigating".to_string(),
            Some(w) if w == "monitoring" => "Monitoring".to_string(),
            Some(_) => "Update".to_string(),
            None => String::new(),
        }
    };
    entry.updates = vec![Update {
        at: raw.date,
        label,
        text: entry.content.clone(),
    }];
}
