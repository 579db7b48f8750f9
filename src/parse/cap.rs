//! The per-document entry cap: a document never brings more than `max` entries, the newest.
//!
//! Status feeds carry tens of entries (the most in the shared corpus of real feeds is 36); a
//! document of 100,000 is a generator gone wrong or a hostile server, and every entry costs
//! memory and a row. The cap is applied twice: first to the XML text ([`trim_items`]), so the
//! feed parser, whose model of an entry costs about 2 KB however short the entry, only reads
//! the items kept; then to the parser's entries ([`newest_first`]), the exact rule, before the
//! per-entry work (text extraction, classification, digests).

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use regex::Regex;

use crate::model::Capped;

/// Entries taken from one document unless configured otherwise: 14× the most any real feed in
/// the shared corpus carries (36), so no real feed is cut, and low enough that the per-entry
/// work of one document stays a few megabytes.
pub const DEFAULT_MAX_ENTRIES: usize = 500;

/// Keeps the `max` newest of `items` (by `time`; items without a time after every timed one,
/// in document order, as are ties), in their document order. `None` when nothing was dropped.
pub fn newest_first<T>(
    items: Vec<T>,
    time: impl Fn(&T) -> Option<DateTime<Utc>>,
    max: usize,
) -> (Vec<T>, Option<Capped>) {
    if items.len() <= max {
        return (items, None);
    }
    let times: Vec<Option<DateTime<Utc>>> = items.iter().map(&time).collect();
    let mut order: Vec<usize> = (0..items.len()).collect();
    // Newest first; `None` sorts last because `Reverse(None) > Reverse(Some(_))`. The sort
    // is stable, so document order decides among equals.
    order.sort_by_key(|&i| std::cmp::Reverse(times[i]));
    let mut keep = vec![false; items.len()];
    for &i in &order[..max] {
        keep[i] = true;
    }
    let oldest_kept = order[..max].iter().filter_map(|&i| times[i]).min();
    let dropped = items.len() - max;
    let kept: Vec<T> = items
        .into_iter()
        .zip(keep)
        .filter_map(|(item, k)| k.then_some(item))
        .collect();
    (
        kept,
        Some(Capped {
            kept: max,
            dropped,
            oldest_kept,
        }),
    )
}

/// Cuts an XML feed's text down to its `max` newest `<item>`/`<entry>` elements (by the
/// newest date element each holds; the rule of [`newest_first`]), leaving everything between
/// and around them as it is, with how many items the text held. `None` when the text holds
/// `max` items or fewer, or its items cannot be told apart (an element left open): then the
/// parser reads it all and [`newest_first`] still caps its entries.
pub fn trim_items(text: &str, max: usize) -> Option<(String, usize)> {
    // Counting first is a regex scan, cheap beside the parse: most documents stop here.
    if super::legacy::item_elements(text) <= max {
        return None;
    }
    let spans = item_spans(text)?;
    if spans.len() <= max {
        return None;
    }
    let total = spans.len();
    let (kept, _) = newest_first(
        spans.clone(),
        |&(start, end)| item_time(&text[start..end]),
        max,
    );
    let mut out = String::with_capacity(text.len() / total * max + 4096);
    let mut copied = 0;
    let mut kept = kept.into_iter().peekable();
    // Every item element, kept or not, in order; what lies between them is copied.
    for (start, end) in spans {
        out.push_str(&text[copied..start]);
        if kept.peek() == Some(&(start, end)) {
            out.push_str(&text[start..end]);
            kept.next();
        }
        copied = end;
    }
    out.push_str(&text[copied..]);
    Some((out, total))
}

/// The byte spans of the item and entry elements, outside CDATA sections and comments;
/// `None` when one is never closed.
fn item_spans(text: &str) -> Option<Vec<(usize, usize)>> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    let mut open: Option<(usize, &str)> = None;
    while let Some(p) = memchr::memchr(b'<', &bytes[i..]) {
        let at = i + p;
        let rest = &text[at..];
        let skip = |marker: &str, from: usize| {
            rest[from..]
                .find(marker)
                .map(|q| at + from + q + marker.len())
        };
        if rest.starts_with("<![CDATA[") {
            i = skip("]]>", 9)?;
            continue;
        }
        if rest.starts_with("<!--") {
            i = skip("-->", 4)?;
            continue;
        }
        let tag_end = at + rest.find('>')? + 1;
        let tag = &text[at..tag_end];
        match open {
            None => {
                let name = super::legacy::tag_name(tag);
                if is_item_name(name) {
                    if tag.ends_with("/>") {
                        spans.push((at, tag_end));
                    } else {
                        open = Some((at, name));
                    }
                }
            }
            Some((start, name)) => {
                if tag
                    .strip_prefix("</")
                    .map(|t| t.trim_end_matches('>').trim())
                    == Some(name)
                {
                    spans.push((start, tag_end));
                    open = None;
                }
            }
        }
        i = tag_end;
    }
    open.is_none().then_some(spans)
}

fn is_item_name(name: &str) -> bool {
    let local = name.rsplit(':').next().unwrap_or(name);
    local == "item" || local == "entry"
}

/// The newest date an item's own date elements state (`updated`, `published`, `pubDate`,
/// `dc:date`, Atom 0.3's `modified` and `issued`), read as the feed parser reads them.
fn item_time(item: &str) -> Option<DateTime<Utc>> {
    static DATE: LazyLock<Regex> = LazyLock::new(|| {
        super::literal_regex(
            r"<(?:[A-Za-z_][\w.-]*:)?(?:updated|published|pubDate|date|modified|issued)(?:\s[^>]*)?>([^<]{1,100})</",
        )
    });
    DATE.captures_iter(item)
        .filter_map(|c| super::dates::parse_timestamp(&c[1]))
        .max()
}

/// The note a capped document carries.
pub fn note(capped: &Capped) -> String {
    format!(
        "the document holds {} entries, more than the cap of {}: kept the newest {} and left \
         out {} older ones (raise --max-entries to take more)",
        capped.kept + capped.dropped,
        capped.kept,
        capped.kept,
        capped.dropped
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(d: u32) -> Option<DateTime<Utc>> {
        Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0).single()
    }

    #[test]
    fn keeps_the_newest_in_document_order() {
        // (name, time): feeds usually list newest first, but not always.
        let items = vec![("a", day(3)), ("b", day(9)), ("c", day(1)), ("d", day(7))];
        let (kept, capped) = newest_first(items, |i| i.1, 2);
        assert_eq!(kept.iter().map(|i| i.0).collect::<Vec<_>>(), ["b", "d"]);
        assert_eq!(
            capped,
            Some(Capped {
                kept: 2,
                dropped: 2,
                oldest_kept: day(7)
            })
        );
    }

    #[test]
    fn entries_without_time_come_after_timed_ones_in_document_order() {
        let items = vec![("x", None), ("a", day(2)), ("y", None), ("z", None)];
        let (kept, capped) = newest_first(items, |i| i.1, 3);
        assert_eq!(
            kept.iter().map(|i| i.0).collect::<Vec<_>>(),
            ["x", "a", "y"]
        );
        assert_eq!(capped.map(|c| c.oldest_kept), Some(day(2)));
        // Ties keep document order.
        let items = vec![("p", day(5)), ("q", day(5)), ("r", day(5))];
        let (kept, _) = newest_first(items, |i| i.1, 2);
        assert_eq!(kept.iter().map(|i| i.0).collect::<Vec<_>>(), ["p", "q"]);
    }

    #[test]
    fn under_the_cap_nothing_changes() {
        let items = vec![("a", day(1)), ("b", None)];
        let (kept, capped) = newest_first(items.clone(), |i| i.1, 2);
        assert_eq!(kept, items);
        assert_eq!(capped, None);
    }

    #[test]
    fn the_text_keeps_its_newest_items_and_everything_around_them() {
        let doc = "<rss><channel><title>T</title>\
            <item><title>a</title><pubDate>Mon, 05 Jan 2026 00:00:00 GMT</pubDate></item>\
            <!-- <item>not one</item> -->\
            <item><title>b</title><description><![CDATA[<item>x</item>]]></description>\
              <pubDate>Fri, 09 Jan 2026 00:00:00 GMT</pubDate></item>\
            <item><title>c</title><pubDate>Thu, 01 Jan 2026 00:00:00 GMT</pubDate></item>\
            <atom:link href='x'/></channel></rss>";
        let (cut, total) = trim_items(doc, 2).unwrap();
        assert_eq!(total, 3);
        assert!(
            cut.contains("<title>a</title>") && cut.contains("<title>b</title>"),
            "{cut}"
        );
        assert!(!cut.contains("<title>c</title>"), "{cut}");
        assert!(cut.contains("<!-- <item>not one</item> -->"), "{cut}");
        assert!(
            cut.ends_with("<atom:link href='x'/></channel></rss>"),
            "{cut}"
        );
        // Atom entries, and their `updated`.
        let atom = "<feed><entry><updated>2026-01-02T00:00:00Z</updated></entry>\
                    <entry><updated>2026-01-03T00:00:00Z</updated></entry></feed>";
        let (cut, total) = trim_items(atom, 1).unwrap();
        assert_eq!(total, 2);
        assert_eq!(
            cut,
            "<feed><entry><updated>2026-01-03T00:00:00Z</updated></entry></feed>"
        );
        // Under the cap, or not cut cleanly: left for the parser.
        assert_eq!(trim_items(atom, 2), None);
        let open = "<rss><item><title>a</title></item><item><title>b</title>";
        assert_eq!(trim_items(open, 1), None);
    }

    #[test]
    fn the_note_names_the_counts_and_the_flag() {
        let msg = note(&Capped {
            kept: 500,
            dropped: 99_500,
            oldest_kept: None,
        });
        assert_eq!(
            msg,
            "the document holds 100000 entries, more than the cap of 500: kept the newest 500 \
             and left out 99500 older ones (raise --max-entries to take more)"
        );
    }
}
