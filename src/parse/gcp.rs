//! Google Cloud status Atom (`status.cloud.google.com/en/feed.atom`).
//!
//! One entry per incident update. The title may start with the state ("RESOLVED: ...", "UPDATE: ...");
//! the summary says "Incident began at ... and ended at ..." once over, and lists "Affected products:"
//! and "Affected locations:". Where the vendor's status impact is written ("Service outage",
//! "Service disruption", "Service information") it is the severity.

use std::sync::LazyLock;

use regex::Regex;

use super::literal_regex;

use super::Raw;
use crate::model::{Entry, Update};

static TITLE_STATE: LazyLock<Regex> = LazyLock::new(|| {
    literal_regex(r"(?i)^\s*(RESOLVED|UPDATE|UPDATED|INVESTIGATING|IDENTIFIED|MONITORING)\s*:\s*")
});
static PRODUCTS: LazyLock<Regex> =
    LazyLock::new(|| literal_regex(r"(?im)^\s*Affected products?:\s*(.+?)\s*$"));
static IMPACT: LazyLock<Regex> = LazyLock::new(|| {
    literal_regex(
        r"(?i)\b(service outage|service disruption|service information|SERVICE_OUTAGE|SERVICE_DISRUPTION|SERVICE_INFORMATION)\b",
    )
});

static INCIDENT_IN_LINK: LazyLock<Regex> =
    LazyLock::new(|| literal_regex(r"/incidents?/([A-Za-z0-9_-]+)"));
static INCIDENT_IN_ID: LazyLock<Regex> =
    LazyLock::new(|| literal_regex(r":feed:([A-Za-z0-9_-]+)\."));

/// The incident an update belongs to: its link names it (`/incidents/<id>`), else the entry id
/// (`...:feed:<incident>.<update>`). Updates of one incident chain into one incident.
fn incident_of(entry: &Entry) -> Option<String> {
    let from_link = entry
        .link
        .as_deref()
        .and_then(|l| INCIDENT_IN_LINK.captures(l))
        .and_then(|c| c.get(1));
    let from_id = INCIDENT_IN_ID.captures(&entry.id).and_then(|c| c.get(1));
    from_link.or(from_id).map(|m| m.as_str().to_string())
}

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
    entry.incident_key = incident_of(entry);
    entry.updates = vec![Update {
        at: raw.date,
        label,
        text: entry.content.clone(),
    }];
}

#[cfg(test)]
mod tests {
    use super::incident_of;
    use crate::model::Entry;

    fn entry(id: &str, link: Option<&str>) -> Entry {
        Entry {
            id: id.into(),
            id_derived: false,
            title: String::new(),
            link: link.map(str::to_string),
            published: None,
            updated: None,
            content: String::new(),
            updates: vec![],
            components: vec![],
            incident_key: None,
            severity: None,
            language: None,
        }
    }

    #[test]
    fn updates_of_one_incident_share_its_key() {
        let a = entry(
            "tag:status.cloud.google.com,2026:feed:Pn7b.Kl8q",
            Some("https://status.cloud.google.com/incidents/Pn7b"),
        );
        let b = entry("tag:status.cloud.google.com,2026:feed:Pn7b.Zx4c", None);
        assert_eq!(incident_of(&a).as_deref(), Some("Pn7b"));
        assert_eq!(incident_of(&b).as_deref(), Some("Pn7b"));
        assert_eq!(incident_of(&entry("urn:x", None)), None);
    }
}
