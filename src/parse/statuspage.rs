//! Atlassian Statuspage (`/history.atom`, `/history.rss`), and the engines that copy its markup
//! (LambStatus, some Instatus and status.io pages).
//!
//! One entry per incident or maintenance; its HTML holds every update, newest first:
//!
//! ```text
//! <p><small>Nov <var data-var='date'>14</var>, <var data-var='time'>14:07</var> PST</small><br>
//!    <strong>Resolved</strong> - Tunnels are starting successfully.</p>
//! ```
//!
//! The 2026 markup adds blanks (`<p> <small>`, `<br> <strong>`); older pages have no `<var>`s, and the
//! 2014 generation may put the time after the text. So the timeline is found by its anchors, not by one
//! exact shape: every `<strong>` whose text is a lifecycle word starts an update; a `<small>` that
//! directly precedes a header (nothing but tags and blanks between) is that update's time, any other
//! `<small>` is a time for the update it sits in. "This incident affected: A, B, and C." names the
//! components. Times carry no year: the entry's date gives it, a year earlier when that would put the
//! update in the future of the entry.

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use regex::Regex;

use super::literal_regex;

use super::dates::{month_number, offset_secs};
use super::html::to_text;
use super::Raw;
use crate::model::{Entry, Phase, Update};

static AFFECTED: LazyLock<Regex> = LazyLock::new(|| {
    literal_regex(
        r"(?im)^\s*This (?:incident|scheduled maintenance|maintenance) affected:\s*(.+?)\s*$",
    )
});
static IMPACT: LazyLock<Regex> =
    LazyLock::new(|| literal_regex(r"(?i)\bimpact-(none|minor|major|critical|maintenance)\b"));
static CLOCK: LazyLock<Regex> = LazyLock::new(|| {
    literal_regex(
        r"(?i)^([a-zé]{3,10})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s*(?:(\d{4})\s*(?:-|,|at)?\s*)?(\d{1,2}):(\d{2})\s*(am|pm)?\s*([a-z]{1,5}|[+-]\d{2}:?\d{2})?",
    )
});

/// Reads a Statuspage entry: timeline, components, current impact.
pub(super) fn extract(raw: &Raw<'_>, entry: &mut Entry) {
    entry.updates = timeline(raw.html, raw.date);
    let (components, cleaned) = components_and_strip(&entry.updates, &entry.content);
    if !components.is_empty() {
        entry.components = components;
        entry.updates = cleaned;
    }
    if let Some(c) = IMPACT.captures(raw.html) {
        entry.severity = c.get(1).map(|m| m.as_str().to_ascii_lowercase());
    }
}

/// The update timeline in a Statuspage body, newest first.
pub(crate) fn timeline(html: &str, date: Option<DateTime<Utc>>) -> Vec<Update> {
    struct Header {
        start: usize,
        end: usize,
        label: String,
        at: Option<DateTime<Utc>>,
        /// Where this update's text ends (the start of the next header's own time, or of the next header).
        text_end: usize,
    }
    let mut headers: Vec<Header> = strong_spans(html)
        .filter_map(|span| {
            let label = to_text(&html[span.inner.clone()]);
            Phase::from_word(&label)?;
            Some(Header {
                start: span.whole.start,
                end: span.whole.end,
                label,
                at: None,
                text_end: html.len(),
            })
        })
        .collect();
    if headers.is_empty() {
        return Vec::new();
    }
    for i in 0..headers.len() {
        headers[i].text_end = headers.get(i + 1).map_or(html.len(), |h| h.start);
    }
    for span in small_spans(html) {
        let whole = &span.whole;
        let at = parse_update_time(&to_text(&html[span.inner.clone()]), date);
        // A time directly before a header belongs to it ("leading", the usual shape).
        // Headers are in document order: binary search keeps a body with thousands of updates linear-ish.
        let after = headers.partition_point(|h| h.start < whole.end);
        let next = (after < headers.len()).then_some(after);
        let leads = |n: usize| {
            let between = &html[whole.end..headers[n].start];
            // A closed paragraph between them means the time ended the previous update instead.
            between.len() <= 200
                && !between.contains("</p>")
                && !between.contains("</div>")
                && to_text(between).is_empty()
        };
        if let Some(n) = next.filter(|&n| leads(n)) {
            headers[n].at = headers[n].at.or(at);
            // Cut the time (and the `<p>` opening it) out of the previous update's text.
            if n > 0 {
                let cut = paragraph_start(html, whole.start);
                headers[n - 1].text_end = headers[n - 1].text_end.min(cut);
            }
            continue;
        }
        // Otherwise it trails the update it sits in (2014 shape).
        let before = headers.partition_point(|h| h.end <= whole.start);
        if let Some(h) = before.checked_sub(1).and_then(|i| headers.get_mut(i)) {
            h.at = h.at.or(at);
            h.text_end = h.text_end.min(whole.start);
        }
    }
    let mut updates: Vec<Update> = headers
        .iter()
        .map(|h| {
            let body = html.get(h.end..h.text_end.max(h.end)).unwrap_or("");
            let text = to_text(body);
            let text = text
                .trim_start_matches(['-', '–', '—', ':', ' '])
                .trim()
                .to_string();
            Update {
                at: h.at,
                label: h.label.clone(),
                text,
            }
        })
        .collect();
    // Newest first, as the page writes it; a page that lists oldest first is turned around.
    if let (Some(first), Some(last)) = (
        updates.first().and_then(|u| u.at),
        updates.last().and_then(|u| u.at),
    ) {
        if first < last {
            updates.reverse();
        }
    }
    updates
}

/// Where a tag pair sits in the HTML: the whole of it, and its inner text.
struct Span {
    whole: std::ops::Range<usize>,
    inner: std::ops::Range<usize>,
}

/// `<strong>` or `<b>` headers (any case) around 1 to 40 characters of plain text: what
/// `<(strong|b)>\s*([^<]{1,40}?)\s*</(strong|b)>` matches, found with a byte scan because a
/// page is mostly text and this runs over every entry of every Statuspage feed.
fn strong_spans(html: &str) -> impl Iterator<Item = Span> + '_ {
    let bytes = html.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while let Some(lt) = memchr::memchr(b'<', &bytes[at..]).map(|i| at + i) {
            at = lt + 1;
            let Some(open) = tag_named(bytes, lt, &[b"strong>", b"b>"]) else {
                continue;
            };
            let close = memchr::memchr(b'<', &bytes[open..]).map(|i| open + i)?;
            let Some(end) = tag_named(bytes, close, &[b"/strong>", b"/b>"]) else {
                continue;
            };
            let inner = &html[open..close];
            let mut core = inner.trim();
            if core.is_empty() {
                // Only blanks: the pattern still matches, taking the last one as the text.
                core = inner.char_indices().last().map_or("", |(i, _)| &inner[i..]);
            }
            let chars = core.chars().count();
            if !(1..=40).contains(&chars) {
                continue;
            }
            // `core` is a subslice of `html`: its offset is the pointer distance.
            let start = core.as_ptr() as usize - html.as_ptr() as usize;
            at = end;
            return Some(Span {
                whole: lt..end,
                inner: start..start + core.len(),
            });
        }
        None
    })
}

/// `<small>` elements (any case) of at most 400 characters: what `<small>(.{0,400}?)</small>`
/// matches.
fn small_spans(html: &str) -> impl Iterator<Item = Span> + '_ {
    let bytes = html.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while let Some(lt) = memchr::memchr(b'<', &bytes[at..]).map(|i| at + i) {
            at = lt + 1;
            let Some(open) = tag_named(bytes, lt, &[b"small>"]) else {
                continue;
            };
            // The first `</small>` after it closes it, if close enough.
            let mut from = open;
            let close = loop {
                match memchr::memchr(b'<', &bytes[from..]).map(|i| from + i) {
                    None => return None,
                    Some(c) => match tag_named(bytes, c, &[b"/small>"]) {
                        Some(end) => break Some((c, end)),
                        None if html[open..c].len() > 400 * 4 => break None,
                        None => from = c + 1,
                    },
                }
            };
            let Some((close, end)) = close else {
                continue;
            };
            if html[open..close].chars().count() > 400 {
                continue;
            }
            at = end;
            return Some(Span {
                whole: lt..end,
                inner: open..close,
            });
        }
        None
    })
}

/// When the tag at `lt` (a `<`) is one of `names` (ASCII case ignored, each written with its
/// closing `>`), where it ends.
fn tag_named(bytes: &[u8], lt: usize, names: &[&[u8]]) -> Option<usize> {
    let rest = bytes.get(lt + 1..)?;
    names
        .iter()
        .find(|name| rest.len() >= name.len() && rest[..name.len()].eq_ignore_ascii_case(name))
        .map(|name| lt + 1 + name.len())
}

/// Backs up from a `<small>` over the `<p>` (and blanks) that open its paragraph.
fn paragraph_start(html: &str, small_start: usize) -> usize {
    let before = &html[..small_start];
    let trimmed = before.trim_end();
    for open in ["<p>", "<P>"] {
        if let Some(s) = trimmed.strip_suffix(open) {
            return s.len();
        }
    }
    small_start
}

/// "Nov 14, 14:07 PST", "Nov 4, 2014 - 04:09 UTC", "May 13, 2017, 06:45 UTC" → a time, the year
/// taken from the text or from the entry's date.
pub(crate) fn parse_update_time(
    text: &str,
    entry_date: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    parse_leading_time(text.trim(), entry_date).map(|(at, _)| at)
}

/// [`parse_update_time`] at the start of `text`, with how many bytes the time took.
pub(crate) fn parse_leading_time(
    text: &str,
    entry_date: Option<DateTime<Utc>>,
) -> Option<(DateTime<Utc>, usize)> {
    let c = CLOCK.captures(text)?;
    let used = c.get(0)?.end();
    let month = month_number(c.get(1)?.as_str())?;
    let day: u32 = c.get(2)?.as_str().parse().ok()?;
    let mut hour: u32 = c.get(4)?.as_str().parse().ok()?;
    let minute: u32 = c.get(5)?.as_str().parse().ok()?;
    match c.get(6).map(|m| m.as_str().to_ascii_lowercase()).as_deref() {
        Some("pm") if hour < 12 => hour += 12,
        Some("am") if hour == 12 => hour = 0,
        _ => {}
    }
    let offset = match c.get(7) {
        None => 0,
        Some(z) => offset_secs(z.as_str())?,
    };
    let time = NaiveTime::from_hms_opt(hour, minute, 0)?;
    let off = FixedOffset::east_opt(offset)?;
    let build = |year: i32| -> Option<DateTime<Utc>> {
        let d = NaiveDate::from_ymd_opt(year, month, day)?;
        off.from_local_datetime(&d.and_time(time))
            .single()
            .map(|t| t.with_timezone(&Utc))
    };
    if let Some(y) = c.get(3).and_then(|y| y.as_str().parse::<i32>().ok()) {
        return build(y).map(|at| (at, used));
    }
    let reference = entry_date?;
    let at = build(reference.year())?;
    // An update cannot be much newer than its entry: then it belongs to the year before (a December
    // update in an entry dated January).
    if at > reference + chrono::Duration::days(2) {
        return build(reference.year() - 1).map(|at| (at, used));
    }
    Some((at, used))
}

/// Components from "This incident affected: ..." lines; returns them and the updates with the line cut.
fn components_and_strip(updates: &[Update], content: &str) -> (Vec<String>, Vec<Update>) {
    let Some(c) = AFFECTED.captures(content) else {
        return (Vec::new(), updates.to_vec());
    };
    let list = c.get(1).map_or("", |m| m.as_str());
    let components = super::split_names(list);
    let cleaned = updates
        .iter()
        .map(|u| {
            let mut u = u.clone();
            if let Some(m) = AFFECTED.find(&u.text) {
                u.text = format!("{}{}", &u.text[..m.start()], &u.text[m.end()..])
                    .trim()
                    .to_string();
            }
            u
        })
        .collect();
    (components, cleaned)
}

#[cfg(test)]
mod scan_tests {
    //! The byte scanners must find exactly what the regular expressions they replace found.
    use super::{small_spans, strong_spans};
    use proptest::prelude::*;
    use regex::Regex;

    fn by_regex(pattern: &str, html: &str) -> Vec<(usize, usize, String)> {
        Regex::new(pattern)
            .unwrap()
            .captures_iter(html)
            .map(|c| {
                let whole = c.get(0).unwrap();
                (whole.start(), whole.end(), c[1].to_string())
            })
            .collect()
    }

    fn strong_by_scan(html: &str) -> Vec<(usize, usize, String)> {
        strong_spans(html)
            .map(|s| (s.whole.start, s.whole.end, html[s.inner].to_string()))
            .collect()
    }

    fn small_by_scan(html: &str) -> Vec<(usize, usize, String)> {
        small_spans(html)
            .map(|s| (s.whole.start, s.whole.end, html[s.inner].to_string()))
            .collect()
    }

    const STRONG: &str = r"(?is)<(?:strong|b)>\s*([^<]{1,40}?)\s*</(?:strong|b)>";
    const SMALL: &str = r"(?is)<small>(.{0,400}?)</small>";

    fn same(html: &str) {
        assert_eq!(
            strong_by_scan(html),
            by_regex(STRONG, html),
            "strong in {html:?}"
        );
        assert_eq!(
            small_by_scan(html),
            by_regex(SMALL, html),
            "small in {html:?}"
        );
    }

    #[test]
    fn edge_cases_match_the_regex() {
        for html in [
            "<p><small>Nov <var data-var='date'>14</var>, 14:07 PST</small><br><strong>Resolved</strong> - ok.</p>",
            "<STRONG> Monitoring </B> x <b></b> <b> </b> <strong>Résolu</strong>",
            "<strong>an update header that is far too long to be a lifecycle word</strong>",
            "<strong>Identified<em>x</em></strong><strong>Resolved",
            "<small>never closed <small>inner</small>",
            "<SMALL>é</Small><small></small><smallx>",
            "<b>Investigating</strong> then <strong>Update</b>",
            "<<strong>>Resolved</strong>",
            "",
            "<",
            "<strong",
        ] {
            same(html);
        }
        same(&format!(
            "<small>{}</small><small>ok</small>",
            "ü".repeat(401)
        ));
        same(&format!("<small>{}</small>", "ü".repeat(400)));
        same(&format!("<strong>{}</strong>", "é".repeat(40)));
        same(&format!("<strong>{}</strong>", "é".repeat(41)));
    }

    #[test]
    fn the_real_corpus_matches_the_regex() {
        // Where the integration tests find it (`tests/common/mod.rs` `corpus_dir`): beside the
        // project, else `$STATUSWATCH_CORPUS`. CI guarantees it, so a missing corpus fails
        // rather than passing for nothing.
        let beside = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
        let corpus = match std::env::var_os("STATUSWATCH_CORPUS") {
            Some(dir) if !beside.join("feeds").is_dir() => std::path::PathBuf::from(dir),
            _ => beside,
        };
        let dir = corpus.join("feeds");
        let files = std::fs::read_dir(&dir).unwrap_or_else(|e| {
            panic!(
                "the shared corpus is missing: cannot read {}: {e}; put it beside the project \
                 (../shared/corpus) or set STATUSWATCH_CORPUS",
                dir.display()
            )
        });
        let mut read = 0;
        for file in files {
            let path = file.unwrap().path();
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let raw = String::from_utf8_lossy(&bytes);
            read += 1;
            let html = raw
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&amp;", "&");
            same(&raw);
            same(&html);
        }
        assert!(
            read > 0,
            "the shared corpus has no feeds in {}",
            dir.display()
        );
    }

    proptest! {
        #[test]
        fn random_markup_matches_the_regex(parts in proptest::collection::vec(
            prop_oneof![
                Just("<strong>"), Just("</strong>"), Just("<b>"), Just("</B>"), Just("<STRONG>"),
                Just("<small>"), Just("</small>"), Just("</SMALL>"), Just("<"), Just(">"),
                Just("Resolved"), Just(" "), Just("\n"), Just("é"), Just("xxxxxxxxxxxxxxxxxxxx"),
                Just("<var>"), Just("</b"),
            ],
            0..60,
        )) {
            let html: String = parts.concat();
            prop_assert_eq!(strong_by_scan(&html), by_regex(STRONG, &html));
            prop_assert_eq!(small_by_scan(&html), by_regex(SMALL, &html));
        }
    }
}
