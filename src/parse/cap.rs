//! The per-document entry cap: a document never brings more than `max` entries, the newest.
//!
//! Status feeds carry tens of entries (the most in the shared corpus of real feeds is 36); a
//! document of 100,000 is a generator gone wrong or a hostile server, and every entry costs
//! memory and a row. The cap is applied to the feed parser's entries before the per-entry work
//! (text extraction, classification, digests), so that work and its memory stay bounded too.

use chrono::{DateTime, Utc};

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
