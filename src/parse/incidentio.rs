//! incident.io status pages' RSS: one item per incident, its current state and affected components:
//!
//! ```text
//! <b>Status: Resolved</b><br/><br/>All impacted services have now fully recovered.<br/><br/>
//! <b>Affected components</b><ul><li>Images (Operational)</li></ul>
//! ```
//!
//! The state is one update; the components keep their names, their worst listed state becomes the
//! severity (it is the page's own word for how bad it is).

use std::sync::LazyLock;

use regex::Regex;

use super::literal_regex;

use super::html::to_text;
use super::Raw;
use crate::model::{Entry, Update};

static STATUS: LazyLock<Regex> = LazyLock::new(|| {
    literal_regex(r"(?is)<(?:b|strong)>\s*Status:\s*([^<]{1,40}?)\s*</(?:b|strong)>")
});
static AFFECTED: LazyLock<Regex> =
    LazyLock::new(|| literal_regex(r"(?is)<(?:b|strong)>\s*Affected components\s*</(?:b|strong)>"));
static ITEM: LazyLock<Regex> = LazyLock::new(|| literal_regex(r"(?is)<li>(.{1,300}?)</li>"));
static STATE_SUFFIX: LazyLock<Regex> = LazyLock::new(|| literal_regex(r"^(.*?)\s*\(([^()]+)\)$"));

/// Reads an incident.io item.
pub(super) fn extract(raw: &Raw<'_>, entry: &mut Entry) {
    let html = raw.html;
    let label = STATUS
        .captures(html)
        .and_then(|c| c.get(1))
        .map(|m| to_text(m.as_str()));
    let (body_start, body_end) = match STATUS.find(html) {
        Some(m) => (
            m.end(),
            AFFECTED
                .find_at(html, m.end())
                .map_or(html.len(), |a| a.start()),
        ),
        None => (0, AFFECTED.find(html).map_or(html.len(), |a| a.start())),
    };
    let text = to_text(&html[body_start..body_end]);
    let mut worst: Option<(u8, String)> = None;
    if let Some(a) = AFFECTED.find(html) {
        for c in ITEM.captures_iter(&html[a.end()..]) {
            let item = to_text(c.get(1).map_or("", |m| m.as_str()));
            let (name, state) = match STATE_SUFFIX.captures(&item) {
                Some(s) => (
                    s.get(1).map_or("", |m| m.as_str()).to_string(),
                    s.get(2).map(|m| m.as_str().to_string()),
                ),
                None => (item.clone(), None),
            };
            if let Some(state) = state {
                let rank = state_rank(&state);
                if rank > 0 && worst.as_ref().is_none_or(|(r, _)| rank > *r) {
                    worst = Some((rank, state));
                }
            }
            if !name.is_empty() {
                entry.components.push(name);
            }
        }
    }
    entry.severity = worst.map(|(_, s)| s);
    entry.updates = vec![Update {
        at: raw.date,
        label: label.unwrap_or_default(),
        text,
    }];
}

/// How bad a component state is, 0 for operational or unknown.
fn state_rank(state: &str) -> u8 {
    let s = state.to_ascii_lowercase();
    if s.contains("full outage") || s.contains("major outage") {
        4
    } else if s.contains("partial outage") {
        3
    } else if s.contains("degraded") {
        2
    } else if s.contains("maintenance") {
        1
    } else {
        0
    }
}
