//! The update timeline of an entry written by any generator, in any markup and language.
//!
//! Status pages that are not Statuspage still write an incident as a run of updates, each
//! opened by a header: a lifecycle word (`<p><strong>Resolved</strong> — text</p>`, `<b>`,
//! `<h3>Resolved</h3>`, `**Resolved**: text` in markdown, a bare "Resolved: text" line), a time
//! (`<h2>16.02.2026, 18:00 Uhr</h2>`, "Update vom 08.07.2026", "12:30 UTC — text", Statusfy's
//! `update-block-date`), or a time followed by a word (Statuspage-like `<small>` times). The
//! extractor works on the plain text, one line per block, so the markup does not matter: it
//! marks lifecycle words that sit alone in an emphasis or heading element (so "**Resolved** text"
//! with no separator is still a header), then reads line by line. Lifecycle words come from
//! [`PHASE_WORDS`](crate::model::PHASE_WORDS), in every language listed there.
//!
//! Text before the first header is the first post, dated by the entry's publication. The result
//! is newest first: a page that appends updates (oldest first) is turned around by its times.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use regex::Regex;

use super::literal_regex;

use super::dates::offset_secs;
use super::html::to_text;
use crate::model::{Phase, Update};

/// Marks a lifecycle word that an emphasis or heading element holds alone (private-use
/// characters: never in a status page's text, and kept by [`to_text`]).
const OPEN: char = '\u{e000}';
const CLOSE: char = '\u{e001}';

static EMPHASIS: LazyLock<Regex> = LazyLock::new(|| {
    literal_regex(
        r"(?is)<(?:strong|b|em|h[1-6])(?:\s[^>]*)?>\s*([^<]{1,60}?)\s*</(?:strong|b|em|h[1-6])\s*>",
    )
});
/// "Resolved", "Gelöst - text", "In progress: text", "**Resolved** text" (markdown).
static LABEL_LINE: LazyLock<Regex> = LazyLock::new(|| {
    literal_regex(
        r"^(?:\*\*|__|\*|_)?\[?([^\W\d][\w'’ ]{1,32}?)\]?(?:\*\*|__|\*|_)?\s*(?:[-–—:|]\s*(.*))?$",
    )
});
static MARKDOWN_LABEL: LazyLock<Regex> =
    LazyLock::new(|| literal_regex(r"^(?:\*\*|__)([^*_]{1,32}?)(?:\*\*|__)\s*[-–—:|]?\s*(.*)$"));
/// Words that may open a dated header: "Update vom 08.07.2026", "Mise à jour du 3 mai".
static UPDATE_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    literal_regex(
        r"(?i)^(?:update|updated|aktualisierung|nachtrag|mise à jour|actualización|aggiornamento|atualização|aktualizacja|bijwerking|更新)\s*(?:vom|du|del|de|from|on|am|le|z dnia|van|dal)?\s*[:,-]?\s*",
    )
});
static ISO: LazyLock<Regex> = LazyLock::new(|| {
    literal_regex(
        r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?",
    )
});
/// 08.07.2026, 16.02.2026, 18:00 Uhr, 18.06.2026 / 17:03 Uhr, 3/5/2026 is not read (ambiguous).
static DAY_FIRST: LazyLock<Regex> = LazyLock::new(|| {
    literal_regex(
        r"(?i)^(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4}|\d{2})\b(?:\s*(?:,|/|-|–|um|at|à|ab)?\s*(\d{1,2})[:.](\d{2})(?:\s*(?:uhr|h)\b)?)?",
    )
});
/// "12:30 UTC", "09:05 CEST": a time of day, with its zone so a stray "16:00" is not a header.
static TIME_ONLY: LazyLock<Regex> = LazyLock::new(|| {
    literal_regex(r"^(\d{1,2}):(\d{2})\s*(?:(am|pm)\s*)?([A-Za-z]{1,5}|[+-]\d{2}:?\d{2})\b")
});

/// One header found on a line: its label, its time, and the text after it on that line.
#[derive(Debug)]
struct Header {
    label: String,
    at: Option<DateTime<Utc>>,
    rest: String,
}

/// The updates in `html`, newest first; empty when it has no header at all (then the entry is
/// one update, as the engine decides). `published` dates the text before the first header;
/// `date` (the entry's newest date) gives the day and year of times written without them.
pub(crate) fn timeline(
    html: &str,
    published: Option<DateTime<Utc>>,
    date: Option<DateTime<Utc>>,
) -> Vec<Update> {
    let marked = EMPHASIS.replace_all(html, |c: &regex::Captures<'_>| {
        let inner = to_text(&c[1]);
        let starts_block = c.get(0).is_some_and(|m| opens_block(&html[..m.start()]));
        if starts_block && Phase::from_word(&inner).is_some() {
            format!("<br>{OPEN}{inner}{CLOSE}")
        } else {
            c[0].to_string()
        }
    });
    let text = to_text(&marked);
    let reference = date.or(published);
    let mut updates: Vec<Update> = Vec::new();
    let mut preamble: Vec<&str> = Vec::new();
    let mut any_header = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match read_header(line, reference) {
            Some(h) => {
                any_header = true;
                // A time alone, then a word alone (Statusfy, `<small>` then `<strong>`): one header.
                if let Some(last) = updates.last_mut() {
                    if last.text.is_empty() && last.label.is_empty() && h.at.is_none() {
                        last.label = h.label;
                        last.text = h.rest;
                        continue;
                    }
                }
                updates.push(Update {
                    at: h.at,
                    label: h.label,
                    text: h.rest,
                });
            }
            None => {
                let clean = strip_marks(line);
                match updates.last_mut() {
                    Some(u) => {
                        if !u.text.is_empty() {
                            u.text.push('\n');
                        }
                        u.text.push_str(&clean);
                    }
                    None => preamble.push(line),
                }
            }
        }
    }
    if !any_header {
        return Vec::new();
    }
    if !preamble.is_empty() {
        let text: Vec<String> = preamble.iter().map(|l| strip_marks(l)).collect();
        updates.insert(
            0,
            Update {
                at: published,
                label: String::new(),
                text: text.join("\n"),
            },
        );
    }
    // Newest first: a page that appends its updates lists them oldest first. The headers' own
    // times decide; the first post's date only when a single header is dated.
    let has_preamble = !preamble.is_empty();
    let header_times: Vec<DateTime<Utc>> = updates
        .iter()
        .skip(usize::from(has_preamble))
        .filter_map(|u| u.at)
        .collect();
    let ascending = match header_times.as_slice() {
        [] => false,
        [only] => has_preamble && updates[0].at.is_some_and(|p| p < *only),
        [first, .., last] => first < last,
    };
    if ascending {
        updates.reverse();
    }
    updates
}

/// Whether text that follows `before` starts a block: nothing but blanks since the start or
/// since a tag that begins or ends a line (`<p>`, `<br>`, `</div>`, ...).
fn opens_block(before: &str) -> bool {
    let trimmed = before.trim_end();
    if trimmed.is_empty() {
        return true;
    }
    let Some(body) = trimmed.strip_suffix('>') else {
        return false;
    };
    let Some(lt) = body.rfind('<') else {
        return false;
    };
    let name: String = body[lt + 1..]
        .trim_start_matches('/')
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    matches!(
        name.as_str(),
        "p" | "br"
            | "div"
            | "li"
            | "ul"
            | "ol"
            | "td"
            | "th"
            | "tr"
            | "section"
            | "article"
            | "blockquote"
            | "dd"
            | "dt"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "small"
            | "hr"
    )
}

fn strip_marks(line: &str) -> String {
    line.replace([OPEN, CLOSE], "")
}

/// Reads `line` as a header, if it is one.
fn read_header(line: &str, reference: Option<DateTime<Utc>>) -> Option<Header> {
    // A marked lifecycle word at the start of the line.
    if let Some(after_open) = line.strip_prefix(OPEN) {
        let (label, rest) = after_open.split_once(CLOSE)?;
        return Some(Header {
            label: label.trim().to_string(),
            at: None,
            rest: clean_rest(rest),
        });
    }
    let owned = strip_marks(line);
    let line = owned.as_str();
    if let Some(h) =
        worded_header(&MARKDOWN_LABEL, line).or_else(|| worded_header(&LABEL_LINE, line))
    {
        return Some(h);
    }
    // A time, perhaps after "Update vom", perhaps followed by a word and text.
    let (prefixed, body) = match UPDATE_PREFIX.find(line) {
        Some(m) => (true, &line[m.end()..]),
        None => (false, line),
    };
    let (at, used) = read_time(body, reference)?;
    let rest = clean_rest(&body[used..]);
    let (label, rest) = match worded_header(&LABEL_LINE, &rest) {
        Some(h) => (h.label, h.rest),
        None if prefixed => ("Update".to_string(), rest),
        None => (String::new(), rest),
    };
    Some(Header {
        label,
        at: Some(at),
        rest,
    })
}

/// `line` read by `pattern` (group 1 the word, group 2 the text after it) as a header, when the
/// word is a lifecycle word.
fn worded_header(pattern: &Regex, line: &str) -> Option<Header> {
    let c = pattern.captures(line)?;
    let label = c.get(1)?.as_str().trim();
    Phase::from_word(label)?;
    Some(Header {
        label: label.to_string(),
        at: None,
        rest: clean_rest(c.get(2).map_or("", |m| m.as_str())),
    })
}

/// The text after a header: its separator cut.
fn clean_rest(rest: &str) -> String {
    rest.trim()
        .trim_start_matches(['-', '–', '—', ':', '|', ',', '/'])
        .trim()
        .to_string()
}

/// A time written alone ("2022-10-27 18:00:00", "2026-08-05T08:00:00", "08.07.2026"), zone-less
/// times read as UTC.
pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let (at, used) = read_time(s, None)?;
    s[used..].trim().is_empty().then_some(at)
}

/// A time at the start of `s` and how many bytes it took.
fn read_time(s: &str, reference: Option<DateTime<Utc>>) -> Option<(DateTime<Utc>, usize)> {
    if let Some(c) = ISO.captures(s) {
        let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
        let year = i32::try_from(num(1)?).ok()?;
        let day = NaiveDate::from_ymd_opt(year, num(2)?, num(3)?)?;
        let time = NaiveTime::from_hms_opt(
            num(4).unwrap_or(0),
            num(5).unwrap_or(0),
            num(6).unwrap_or(0),
        )?;
        let offset = c.get(7).map_or(Some(0), |z| offset_secs(z.as_str()))?;
        return Some((local(day, time, offset)?, c.get(0)?.end()));
    }
    if let Some(c) = DAY_FIRST.captures(s) {
        let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
        let mut year = i32::try_from(num(3)?).ok()?;
        if year < 100 {
            year += 2000;
        }
        let day = NaiveDate::from_ymd_opt(year, num(2)?, num(1)?)?;
        let time = NaiveTime::from_hms_opt(num(4).unwrap_or(0), num(5).unwrap_or(0), 0)?;
        return Some((local(day, time, 0)?, c.get(0)?.end()));
    }
    if let Some(found) = super::statuspage::parse_leading_time(s, reference) {
        return Some(found);
    }
    if let Some(c) = TIME_ONLY.captures(s) {
        let mut hour: u32 = c.get(1)?.as_str().parse().ok()?;
        let minute: u32 = c.get(2)?.as_str().parse().ok()?;
        match c.get(3).map(|m| m.as_str().to_ascii_lowercase()).as_deref() {
            Some("pm") if hour < 12 => hour += 12,
            Some("am") if hour == 12 => hour = 0,
            _ => {}
        }
        let offset = offset_secs(c.get(4)?.as_str())?;
        let day = reference?.date_naive();
        let at = local(day, NaiveTime::from_hms_opt(hour, minute, 0)?, offset)?;
        // A time later than the entry belongs to the day before.
        let at = match reference {
            Some(r) if at > r + Duration::hours(1) => at - Duration::days(1),
            _ => at,
        };
        return Some((at, c.get(0)?.end()));
    }
    None
}

fn local(day: NaiveDate, time: NaiveTime, offset: i32) -> Option<DateTime<Utc>> {
    let year = chrono::Datelike::year(&day);
    if !(1990..=2100).contains(&year) {
        return None;
    }
    FixedOffset::east_opt(offset)?
        .from_local_datetime(&day.and_time(time))
        .single()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// (label, time, text) of each update, newest first.
    fn read(html: &str) -> Vec<(String, Option<String>, String)> {
        timeline(
            html,
            Some(at("2026-03-01T08:00:00Z")),
            Some(at("2026-03-01T20:00:00Z")),
        )
        .into_iter()
        .map(|u| {
            (
                u.label,
                u.at.map(|t| t.format("%Y-%m-%dT%H:%M").to_string()),
                u.text,
            )
        })
        .collect()
    }

    fn labels(html: &str) -> Vec<String> {
        read(html).into_iter().map(|u| u.0).collect()
    }

    #[test]
    fn header_shapes_case_table() {
        let cases: &[(&str, &[&str])] = &[
            // Separators after a strong label: em dash, en dash, colon, hyphen, none.
            ("<p><strong>Resolved</strong> — Fixed.</p><p><strong>Investigating</strong> — Looking.</p>", &["Resolved", "Investigating"]),
            ("<p><strong>Resolved</strong> – Fixed.</p><p><strong>Identified</strong> – Cause.</p>", &["Resolved", "Identified"]),
            ("<p><b>Monitoring</b>: a fix is out.</p><p><b>Investigating</b>: errors.</p>", &["Monitoring", "Investigating"]),
            ("<p><strong>Resolved</strong> This incident has been resolved.</p>", &["Resolved"]),
            ("<h3>Resolved</h3><p>All good.</p><h3>Investigating</h3><p>Errors.</p>", &["Resolved", "Investigating"]),
            // Markdown emphasis, plain text.
            ("**Resolved** - back to normal\n\n**Investigating** - errors", &["Resolved", "Investigating"]),
            ("Resolved: back to normal\nInvestigating: errors on login", &["Resolved", "Investigating"]),
            // Other languages.
            ("<p><strong>Gelöst</strong> - Der Fehler ist behoben.</p><p><strong>Untersuchung</strong> - Fehler.</p>", &["Gelöst", "Untersuchung"]),
            ("<p><strong>Résolu</strong> — Le service est rétabli.</p><p><strong>Identifié</strong> — cause trouvée.</p>", &["Résolu", "Identifié"]),
            ("<p><strong>Resuelto</strong>: servicio normal.</p>", &["Resuelto"]),
            ("<p><strong>Rozwiązane</strong> - działa.</p>", &["Rozwiązane"]),
            ("<p><strong>解決済み</strong> - 復旧しました。</p>", &["解決済み"]),
            // A word of state inside a sentence is not a header.
            ("<p>The issue is <strong>resolved</strong> for most users.</p>", &[]),
            ("<p>Nothing here has a header.</p>", &[]),
        ];
        for (html, want) in cases {
            let got = labels(html);
            assert_eq!(&got, want, "in {html}");
        }
    }

    #[test]
    fn dated_headers_and_order() {
        // cState: dated headings, newest first, and a preamble-free body.
        let got = read("<h2>16.02.2026, 18:00 Uhr</h2><p>LernSax ist wieder online.</p><h2>14.02.2026</h2><p>Wartung.</p>");
        assert_eq!(got[0].1.as_deref(), Some("2026-02-16T18:00"));
        assert_eq!(got[0].2, "LernSax ist wieder online.");
        assert_eq!(got[1].1.as_deref(), Some("2026-02-14T00:00"));
        // An update appended below the first post (oldest first): turned around.
        let got = read("<p>Am 07.07.2026 Austausch der Firewall.</p><h1>Update vom 08.07.2026</h1><p>Erfolgreich abgeschlossen.</p>");
        assert_eq!(got[0].0, "Update");
        assert_eq!(got[0].2, "Erfolgreich abgeschlossen.");
        assert_eq!(got[1].0, "");
        assert_eq!(got[1].1.as_deref(), Some("2026-03-01T08:00"));
        // Statusfy update blocks: a date line, a title line, a body.
        let got = read(
            "<p>The board crashed.</p><div class=\"update-block\"><div class=\"update-block-date\">2026-02-20T12:00:00.000Z</div>\
             <div class=\"update-block-title\">Parts arrived</div><div class=\"update-block-body\"><p>Defective.</p></div></div>\
             <div class=\"update-block\"><div class=\"update-block-date\">2026-02-24T12:00:00.000Z</div>\
             <div class=\"update-block-title\">Resolved</div><div class=\"update-block-body\"><p>Works fine.</p></div></div>",
        );
        assert_eq!(got[0].0, "Resolved");
        assert_eq!(got[0].1.as_deref(), Some("2026-02-24T12:00"));
        assert_eq!(got[0].2, "Works fine.");
        assert_eq!(got[1].2, "Parts arrived\nDefective.");
        assert_eq!(got.last().unwrap().2, "The board crashed.");
        // A Statuspage-like <small> time before a strong word, from another generator.
        let got = read("<p><small>Feb 28, 14:07 UTC</small><br><strong>Resolved</strong> - ok.</p><p><small>Feb 28, 13:00 UTC</small><br><strong>Investigating</strong> - errors.</p>");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, "Resolved");
        assert_eq!(got[0].1.as_deref(), Some("2026-02-28T14:07"));
        // Times of day with a zone, on the entry's day.
        let got = read("<p>Queued.</p><ul><li><strong>12:30 UTC</strong> — 143,000 left.</li><li><strong>11:10 UTC</strong> — 190,000 left.</li></ul>");
        assert_eq!(got[1].1.as_deref(), Some("2026-03-01T12:30"));
        assert_eq!(got[1].2, "143,000 left.");
        // A bare clock in the text is not a header.
        assert!(read("<p>16:00 - 18:00 Wartung</p>").is_empty());
    }
}
