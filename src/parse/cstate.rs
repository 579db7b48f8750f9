//! cState (static status pages built with Hugo): one RSS item per issue.
//!
//! - A resolved issue's title starts with the page's word for it, in the page's language:
//!   `[Resolved]`, `[Gelöst]`, `[Résolu]`, `[Resuelto]`, `[Rozwiązane]`.
//! - `<category>` holds the issue's `resolvedWhen`: the resolve time of a resolved issue, or the
//!   planned end of announced work. An end that the document's own time has passed closes the
//!   issue then; one still ahead means planned work (under way once its start has come).
//! - The body may hold dated updates under headings ("Update vom 08.07.2026"): the common
//!   timeline reader finds them.

use chrono::{DateTime, Utc};

use super::timeline::{parse_time, timeline};
use super::Raw;
use crate::model::{title_state_tag, Entry, Phase, Update};

/// Reads a cState item.
pub(super) fn extract(raw: &Raw<'_>, entry: &mut Entry) {
    let mut updates = timeline(raw.html, raw.published, raw.date);
    if updates.is_empty() {
        updates.push(Update {
            at: raw.published,
            label: String::new(),
            text: entry.content.clone(),
        });
    }
    let tag = title_state_tag(&entry.title);
    let closed_by_tag =
        tag.is_some_and(|(p, _, _)| matches!(p, Phase::Resolved | Phase::Completed));
    let end: Option<DateTime<Utc>> = raw.categories.iter().find_map(|t| parse_time(t));
    if closed_by_tag {
        updates.insert(
            0,
            Update {
                at: end.or(raw.date),
                label: tag.map_or_else(String::new, |(_, word, _)| word.to_string()),
                text: String::new(),
            },
        );
    } else if let Some(end) = end {
        let now = raw.document_date;
        if now.is_some_and(|now| end <= now) {
            updates.insert(
                0,
                Update {
                    at: Some(end),
                    label: "Resolved".into(),
                    text: String::new(),
                },
            );
        } else if updates[0].label.is_empty() {
            // An end stated ahead is a planned window: under way once it has started.
            let started = match (raw.published, now) {
                (Some(start), Some(now)) => start <= now,
                _ => true,
            };
            updates[0].label = if started { "In progress" } else { "Scheduled" }.into();
        }
    }
    entry.updates = updates;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>(html: &'a str, category: &'a str, published: &str, now: &str) -> Raw<'a> {
        let t = |s: &str| Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc));
        Raw {
            html,
            date: t(published),
            published: t(published),
            document_date: t(now),
            categories: if category.is_empty() {
                vec![]
            } else {
                vec![category]
            },
        }
    }

    fn entry(title: &str) -> Entry {
        Entry {
            id: "x".into(),
            id_derived: false,
            title: title.into(),
            link: None,
            published: None,
            updated: None,
            content: "text".into(),
            updates: vec![],
            components: vec![],
            incident_key: None,
            severity: None,
            language: None,
        }
    }

    #[test]
    fn prefixes_and_categories_case_table() {
        // (title, category, published, document time) → (newest label, its time)
        type Case<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, Option<&'a str>);
        let cases: &[Case<'_>] = &[
            (
                "[Resolved] Redis Down",
                "2019-10-30 10:00:00",
                "2019-10-29T08:00:00Z",
                "2026-01-01T00:00:00Z",
                "Resolved",
                Some("2019-10-30T10:00:00Z"),
            ),
            (
                "[Gelöst] Moodle: Ausfall",
                "2026-08-05T08:00:00",
                "2026-07-31T08:00:00Z",
                "2026-08-11T07:00:00Z",
                "Gelöst",
                Some("2026-08-05T08:00:00Z"),
            ),
            (
                "[Résolu] Panne",
                "",
                "2026-05-01T08:00:00Z",
                "2026-05-02T00:00:00Z",
                "Résolu",
                Some("2026-05-01T08:00:00Z"),
            ),
            // No prefix, an end the document has passed: closed at that end.
            (
                "LUPM Maintenance",
                "2021-09-10 18:00:00",
                "2021-08-02T08:00:00Z",
                "2022-10-25T08:00:00Z",
                "Resolved",
                Some("2021-09-10T18:00:00Z"),
            ),
            // An end still ahead: planned work, under way or not yet started.
            (
                "Datacenter downtime",
                "2022-10-27 18:00:00",
                "2022-10-25T08:00:00Z",
                "2022-10-25T08:00:00Z",
                "In progress",
                Some("2022-10-25T08:00:00Z"),
            ),
            (
                "Datacenter downtime",
                "2022-10-27 18:00:00",
                "2022-10-26T08:00:00Z",
                "2022-10-25T08:00:00Z",
                "Scheduled",
                Some("2022-10-26T08:00:00Z"),
            ),
            // Neither: the words decide.
            (
                "Delayed processing",
                "",
                "2026-07-26T20:50:00Z",
                "2026-07-26T20:50:00Z",
                "",
                Some("2026-07-26T20:50:00Z"),
            ),
        ];
        for (title, category, published, now, label, at) in cases {
            let mut e = entry(title);
            extract(&raw("<p>text</p>", category, published, now), &mut e);
            assert_eq!(e.updates[0].label, *label, "{title}");
            assert_eq!(
                e.updates[0]
                    .at
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                    .as_deref(),
                *at,
                "{title}"
            );
        }
    }
}
