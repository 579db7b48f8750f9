//! Any other RSS/Atom feed: title and summary, plus the few conventions that carry state without an
//! engine of their own.
//!
//! - A bracketed state word at the start of the title, as feeds built from PagerDuty status pages write
//!   it ("[Investigating] Databases unavailable", "[Resolved] ..."): the update's label.
//! - An "Affected: A, B" first line (the same feeds): the components, cut from the text.
//! - Per-component state-change entries ("Public website is now operational", "X: a fault in our own
//!   checking..."): the component named before " is now " or before the first colon.
//!
//! An entry with no bracketed title word may still hold a timeline of updates (other page
//! generators' Statuspage-like markup): the common [`timeline`](super::timeline) reader finds it.
//! Otherwise each entry is one update, dated by the entry.
//!
//! Feeds that post one item per update say which incident an item belongs to only by what the
//! items share, so those items get a chain key: the component of a "X is now degraded" item, or
//! the title after the state word of a "[Investigating] X" item. A later "[Resolved] X" or "X is
//! now operational" then closes the same incident instead of standing alone.

use std::sync::LazyLock;

use regex::Regex;

use super::literal_regex;

use super::Raw;
use crate::model::{Entry, Update};

static BRACKET: LazyLock<Regex> =
    LazyLock::new(|| literal_regex(r"^\s*\[([^\W\d][\w -]{1,30})\]\s*"));
static AFFECTED_LINE: LazyLock<Regex> =
    LazyLock::new(|| literal_regex(r"(?m)^\s*Affected(?: components| services)?:\s*(.+?)\s*$"));
static STATE_CHANGE: LazyLock<Regex> =
    LazyLock::new(|| literal_regex(r"(?i)^(.{1,120}?) is now ([a-z][a-z ]{1,40})$"));

/// Reads a generic entry.
pub(super) fn extract(raw: &Raw<'_>, entry: &mut Entry) {
    let label = BRACKET
        .captures(&entry.title)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().trim().to_string())
        .unwrap_or_default();
    let mut text = entry.content.clone();
    if let Some(c) = AFFECTED_LINE.captures(&entry.content) {
        if let (Some(whole), Some(list)) = (c.get(0), c.get(1)) {
            entry.components = super::split_names(list.as_str());
            text = format!(
                "{}{}",
                &entry.content[..whole.start()],
                &entry.content[whole.end()..]
            )
            .trim()
            .to_string();
        }
    } else if let Some(c) = STATE_CHANGE.captures(&entry.title) {
        if let Some(m) = c.get(1) {
            entry.components = vec![m.as_str().trim().to_string()];
        }
    } else if label.is_empty() {
        if let Some((name, _)) = entry.title.split_once(": ") {
            if !name.is_empty() && name.len() <= 80 && !name.contains(['[', ']']) {
                entry.components = vec![name.trim().to_string()];
            }
        }
    }
    entry.incident_key = chain_key(&entry.title);
    if label.is_empty() {
        let found = super::timeline::timeline(raw.html, raw.published, raw.date);
        if is_incident_timeline(&found) {
            entry.updates = found;
            return;
        }
    }
    entry.updates = vec![Update {
        at: raw.date,
        label,
        text,
    }];
}

/// Whether a timeline found in an entry of an unknown generator is an incident's: a word of
/// state other than a bare "Update", or two dated updates. A news post with one "Update:"
/// paragraph is not an incident timeline.
fn is_incident_timeline(updates: &[Update]) -> bool {
    let worded = updates.iter().any(|u| {
        crate::model::Phase::from_word(&u.label).is_some_and(|p| p != crate::model::Phase::Update)
    });
    let dated = updates
        .iter()
        .filter(|u| u.at.is_some() && !u.label.is_empty())
        .count();
    worded || dated >= 2
}

/// The chain a one-item-per-update entry belongs to, from its title: `component:<name>` for
/// "<name> is now <state>", `title:<stem>` for "[<lifecycle word>] <stem>"; lower case, blanks
/// collapsed. `None`: the entry is an incident of its own.
pub(super) fn chain_key(title: &str) -> Option<String> {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    if let Some(c) = STATE_CHANGE.captures(title.trim()) {
        let name = c.get(1)?.as_str();
        return Some(format!("component:{}", norm(name)));
    }
    let (_, _, rest) = crate::model::title_state_tag(title)?;
    let stem = norm(rest);
    (!stem.is_empty()).then(|| format!("title:{stem}"))
}

static LEADING_WORD: LazyLock<Regex> = LazyLock::new(|| {
    literal_regex(
        r"(?i)^\s*(?:status:\s*(investigating|identified|monitoring|update|resolved|post-?mortem|scheduled|in progress|verifying|completed)\b[\s:.-]*|(investigating|identified|monitoring|update|resolved|post-?mortem|scheduled|in progress|verifying|completed)\s*(?:[-:–—]\s*|\n|$))",
    )
});

/// A lifecycle word that opens a text ("Resolved - ...", "Status: Monitoring ...", "Résolu — ...",
/// "Gelöst: ..."): the label and the rest.
pub(super) fn leading_label(text: &str) -> Option<(String, String)> {
    if let Some(c) = LEADING_WORD.captures(text) {
        let whole = c.get(0)?;
        let word = c.get(1).or_else(|| c.get(2))?;
        return Some((
            word.as_str().to_string(),
            text[whole.end()..].trim().to_string(),
        ));
    }
    // Any language: the words before the first separator, when they are a lifecycle word.
    let head = text.trim_start();
    let head = head
        .strip_prefix("Status:")
        .or_else(|| head.strip_prefix("status:"))
        .map_or(head, str::trim_start);
    let cut = head
        .char_indices()
        .take(40)
        .find(|&(_, c)| matches!(c, '-' | '–' | '—' | ':' | '\n'))
        .map(|(i, _)| i)?;
    let word = head[..cut].trim();
    crate::model::Phase::from_word(word)?;
    let rest = head[cut..]
        .trim_start_matches(['-', '–', '—', ':', '\n', ' '])
        .trim();
    Some((word.to_string(), rest.to_string()))
}

#[cfg(test)]
mod tests {
    use super::chain_key;

    #[test]
    fn chain_keys_case_table() {
        let cases: &[(&str, Option<&str>)] = &[
            // PagerDuty-derived: the title after the state word, any case and spacing.
            (
                "[Investigating] Databases  unavailable",
                Some("title:databases unavailable"),
            ),
            (
                "[Resolved] Databases unavailable",
                Some("title:databases unavailable"),
            ),
            (
                "[Detected] Degraded EU load times",
                Some("title:degraded eu load times"),
            ),
            (
                "[Gelöst] Anmeldung gestört",
                Some("title:anmeldung gestört"),
            ),
            // A bracketed word that is no state word does not chain.
            ("[EU] Elevated latency", None),
            // Per-component state changes: the component.
            (
                "Public website is now degraded",
                Some("component:public website"),
            ),
            (
                "Public website is now operational",
                Some("component:public website"),
            ),
            // Anything else is an incident of its own.
            (
                "Website: a fault in our own checking, not in the service",
                None,
            ),
            ("We shipped dark mode", None),
        ];
        for (title, want) in cases {
            assert_eq!(chain_key(title).as_deref(), *want, "{title}");
        }
    }

    #[test]
    fn leading_labels_in_any_language() {
        let cases: &[(&str, Option<(&str, &str)>)] = &[
            ("Resolved - All good.", Some(("Resolved", "All good."))),
            (
                "Status: Monitoring A fix is out.",
                Some(("Monitoring", "A fix is out.")),
            ),
            (
                "Résolu — Le service est rétabli.",
                Some(("Résolu", "Le service est rétabli.")),
            ),
            (
                "Gelöst: Alles läuft wieder.",
                Some(("Gelöst", "Alles läuft wieder.")),
            ),
            (
                "Status: En cours - travaux.",
                Some(("En cours", "travaux.")),
            ),
            ("We are looking into it - more soon.", None),
            ("Nothing to see", None),
        ];
        for (text, want) in cases {
            let got = super::leading_label(text);
            assert_eq!(
                got.as_ref().map(|(l, r)| (l.as_str(), r.as_str())),
                *want,
                "{text}"
            );
        }
    }
}
