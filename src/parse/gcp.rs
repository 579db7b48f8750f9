//! Google Cloud status Atom (`status.cloud.google.com/en/feed.atom`).
//!
//! One entry per incident update. The title may start with the state ("RESOLVED: ...", "UPDATE: ...");
//! the summary says "Incident began at ... and ended at ..." once over, and lists "Affected products:"
//! and "Affected locations:". Where the vendor's status impact is written ("Service outage",
//! "Service disruption", "Service information") it is the severity.

use std::sync::LazyLock;

use regex::Regex;

use super::Raw;
use crate::model::{Entry, Update};

static TITLE_STATE: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::unwrap_used)] // a literal pattern, covered by tests
    Regex::new(r"(?i)^\s*(RESOLVED|UPDATE|UPDATED|INVESTIGATING|IDENTIFIED|MONITORING)\s*:\s*")
        .unwrap()
});
static PRODUCTS: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::unwrap_used)]
    Regex::new(r"(?im)^\s*Affected products?:\s*(.+?)\s*$").unwrap()
});
static IMPACT: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::unwrap_used)]
    Regex::new(r"(?i)\b(service outage|service disruption|service information|SERVICE_OUTAGE|SERVICE_DISRUPTION|SERVICE_INFORMATION)\b").unwrap()
});

/// Reads a Google Cloud entry.
pub(super) fn extract(raw: &Raw<'_>, entry: &mut Entry) {
    let label = TITLE_STATE
        .captures(&entry.title)
        .and_then(|c| c.get(1))
        .map(|m| {
            let w = m.as_str().to_ascii_lowercase();
            let mut s = w.clone();
            if let Some(f) = s.get_mut(..1) {
                f.make_ascii_uppercase();
            }
            if w == "updated" {
                "Update".to_string()
            } else {
                s
            }
        })
        .unwrap_or_default();
    if let Some(list) = PRODUCTS.captures(&entry.content).and_then(|c| c.get(1)) {
        entry.components = super::split_names(list.as_str());
    }
    entry.severity = IMPACT
        .captures(&entry.content)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_ascii_lowercase().replace('_', " "));
    entry.updates = vec![Update {
        at: raw.date,
        label,
        text: entry.content.clone(),
    }];
}
