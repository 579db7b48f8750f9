//! Incidents stage: what an entry says about the incident it belongs to, decided without I/O.
//!
//! An incident is either one entry (a Statuspage-style entry holds every update of its
//! incident) or a chain of one-item-per-update entries sharing a chain key (AWS service-region,
//! a PagerDuty-derived feed's title stem, a state-change feed's component; set by `parse`).
//! This module holds the rules: when an incident started and ended, what it is called, how bad
//! it got. `store/entries.rs` only finds and writes the rows these rules describe.

use chrono::{DateTime, Utc};

use crate::model::{title_state_tag, Entry, Phase, Status, Update};

/// The vendor's time for an entry: updated, else published, else the newest update.
pub fn entry_time(entry: &Entry) -> Option<DateTime<Utc>> {
    entry
        .updated
        .or(entry.published)
        .or_else(|| entry.updates.iter().filter_map(|u| u.at).max())
}

/// When the incident an entry describes began: its first update, else its publication.
pub fn entry_start(entry: &Entry) -> Option<DateTime<Utc>> {
    entry
        .updates
        .iter()
        .filter_map(|u| u.at)
        .min()
        .or(entry.published)
}

/// When the incident an entry describes ended: the oldest update of the newest run of
/// closing updates (Resolved, Completed, Postmortem), so a postmortem posted days later does
/// not stretch the outage. Without a timeline: the newest update's time, else the entry's.
pub fn resolved_time(entry: &Entry) -> Option<DateTime<Utc>> {
    let mut newest: Vec<&Update> = entry.updates.iter().filter(|u| u.at.is_some()).collect();
    newest.sort_by_key(|u| std::cmp::Reverse(u.at));
    let closing = |u: &&&Update| {
        matches!(
            Phase::from_word(&u.label),
            Some(Phase::Resolved | Phase::Completed | Phase::Postmortem)
        )
    };
    let run_start = newest.iter().take_while(closing).last().and_then(|u| u.at);
    run_start
        .or_else(|| newest.first().and_then(|u| u.at))
        .or_else(|| entry_time(entry))
}

/// The incident's name as people read it: for a chain, the title without the item's state word
/// ("[Investigating] Databases unavailable" → "Databases unavailable"), since the chain's items
/// differ only in that word; otherwise the entry's title.
pub fn incident_title(entry: &Entry) -> &str {
    if entry.incident_key.is_none() {
        return &entry.title;
    }
    match title_state_tag(&entry.title) {
        Some((_, _, rest)) if !rest.is_empty() => rest,
        _ => &entry.title,
    }
}

/// Whether an entry's word is the incident's current word. A standalone entry is the incident:
/// its text is the vendor's current word, whatever its dates. In a chain, an item older than
/// what the incident already knows (out-of-order arrival) refines the history but does not move
/// the incident's status back in time.
pub fn speaks_for_now(
    in_chain: bool,
    entry_latest: DateTime<Utc>,
    incident_updated: Option<DateTime<Utc>>,
) -> bool {
    !in_chain || incident_updated.is_none_or(|known| entry_latest >= known)
}

/// The incident's new start when an entry shows an earlier one than it had; `None`: keep it.
pub fn earlier_start(
    known: Option<DateTime<Utc>>,
    entry_start: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    match (known, entry_start) {
        (Some(old), Some(new)) if new < old => Some(new),
        _ => None,
    }
}

/// The worse of two statuses by [`Status::rank`].
pub fn worse(a: Status, b: Status) -> Status {
    if b.rank() > a.rank() {
        b
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
    }

    fn entry(title: &str, chain: Option<&str>, updates: &[(&str, &str)]) -> Entry {
        Entry {
            id: "x".into(),
            id_derived: false,
            title: title.into(),
            link: None,
            published: at("2026-01-01T00:00:00Z"),
            updated: None,
            content: String::new(),
            updates: updates
                .iter()
                .map(|(label, t)| Update {
                    at: at(t),
                    label: (*label).into(),
                    text: String::new(),
                })
                .collect(),
            components: vec![],
            incident_key: chain.map(str::to_string),
            severity: None,
            language: None,
        }
    }

    #[test]
    fn resolved_time_case_table() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[
                    ("Resolved", "2026-01-01T03:00:00Z"),
                    ("Investigating", "2026-01-01T01:00:00Z"),
                ],
                "2026-01-01T03:00:00Z",
            ),
            // A postmortem days later does not stretch the incident.
            (
                &[
                    ("Postmortem", "2026-01-05T00:00:00Z"),
                    ("Resolved", "2026-01-01T03:00:00Z"),
                    ("Investigating", "2026-01-01T01:00:00Z"),
                ],
                "2026-01-01T03:00:00Z",
            ),
            // Closing words in other languages.
            (
                &[
                    ("Gelöst", "2026-01-01T04:00:00Z"),
                    ("Untersuchung", "2026-01-01T01:00:00Z"),
                ],
                "2026-01-01T04:00:00Z",
            ),
            (
                &[
                    ("Terminé", "2026-01-01T05:00:00Z"),
                    ("En cours", "2026-01-01T01:00:00Z"),
                ],
                "2026-01-01T05:00:00Z",
            ),
            // No closing word: the newest update.
            (
                &[
                    ("Update", "2026-01-01T02:00:00Z"),
                    ("Investigating", "2026-01-01T01:00:00Z"),
                ],
                "2026-01-01T02:00:00Z",
            ),
        ];
        for (updates, want) in cases {
            let e = entry("t", None, updates);
            assert_eq!(resolved_time(&e), at(want), "{updates:?}");
        }
    }

    #[test]
    fn chain_items_out_of_order_refine_history_only() {
        let t = |s: &str| at(s).unwrap();
        // (in chain, entry's newest time, incident's newest time) → current word?
        let cases = [
            (
                true,
                "2026-01-01T02:00:00Z",
                Some("2026-01-01T01:00:00Z"),
                true,
            ),
            (
                true,
                "2026-01-01T01:00:00Z",
                Some("2026-01-01T01:00:00Z"),
                true,
            ),
            (
                true,
                "2026-01-01T00:30:00Z",
                Some("2026-01-01T01:00:00Z"),
                false,
            ),
            (true, "2026-01-01T00:30:00Z", None, true),
            // A standalone entry always speaks for now.
            (
                false,
                "2026-01-01T00:30:00Z",
                Some("2026-01-01T01:00:00Z"),
                true,
            ),
        ];
        for (chain, latest, known, want) in cases {
            assert_eq!(speaks_for_now(chain, t(latest), known.map(t)), want);
        }
        assert_eq!(
            earlier_start(
                Some(t("2026-01-01T01:00:00Z")),
                Some(t("2026-01-01T00:00:00Z"))
            ),
            Some(t("2026-01-01T00:00:00Z"))
        );
        assert_eq!(
            earlier_start(
                Some(t("2026-01-01T01:00:00Z")),
                Some(t("2026-01-01T02:00:00Z"))
            ),
            None
        );
        assert_eq!(earlier_start(None, Some(t("2026-01-01T02:00:00Z"))), None);
    }

    #[test]
    fn chain_titles_drop_the_state_word() {
        let cases = [
            (
                "[Investigating] Databases unavailable",
                Some("title:databases unavailable"),
                "Databases unavailable",
            ),
            (
                "[Resolved] Databases unavailable",
                Some("title:databases unavailable"),
                "Databases unavailable",
            ),
            ("[Gelöst] Moodle", Some("title:moodle"), "Moodle"),
            // Not a chain: the title as written.
            ("[Resolved] Redis down", None, "[Resolved] Redis down"),
            // Not a state word.
            ("[EU] Latency", Some("title:x"), "[EU] Latency"),
            (
                "Public website is now degraded",
                Some("component:public website"),
                "Public website is now degraded",
            ),
        ];
        for (title, chain, want) in cases {
            assert_eq!(incident_title(&entry(title, chain, &[])), want);
        }
    }
}
