//! Entry identity: the one function that decides what an entry's id is.
//!
//! The store keys entries on (feed, id), so an id must survive re-fetches: the same entry must get the
//! same id every time, and an edited entry must keep it. The order, after miniflux's RSS adapter:
//!
//! 1. the entry's own id (Atom `<id>`, RSS `<guid>`), trimmed, as written;
//! 2. else its link, as written (after trimming), because a link names one page;
//! 3. else a hash of title + date, because the pair is stable while neither changes;
//! 4. else (no date either) a hash of title + content: editing the text then makes a new entry, which is
//!    the lesser evil next to merging distinct entries that share a title.
//!
//! A title alone is never an id: vendors retitle incidents while they work on them. Ids from steps 2-4
//! are marked `id_derived`. A watched status page has no entries of its own: its one entry is the text it
//! shows, keyed by [`page_entry_id`] (URL and a hash of the text). feed-rs would invent a random UUID for entries without an id (a new one on
//! every parse, so every fetch would look like new entries); our parser gives it [`no_id`] instead, which
//! leaves the id empty for this function to fill.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// Prefix of ids derived from title + date or title + content.
pub const DERIVED_PREFIX: &str = "urn:statuswatch:entry:";

/// An id generator for feed-rs's builder that leaves missing ids empty.
pub fn no_id(
    _links: &[feed_rs::model::Link],
    _title: &Option<feed_rs::model::Text>,
    _base: Option<&str>,
) -> String {
    String::new()
}

/// The entry's id and whether it was derived. `own` is the Atom id or RSS guid (may be empty).
pub fn entry_id(
    own: &str,
    link: Option<&str>,
    title: &str,
    date: Option<DateTime<Utc>>,
    content: &str,
) -> (String, bool) {
    let own = own.trim();
    if !own.is_empty() {
        return (own.to_string(), false);
    }
    if let Some(link) = link.map(str::trim).filter(|l| !l.is_empty()) {
        return (link.to_string(), true);
    }
    let mut h = Sha256::new();
    h.update(title.trim().as_bytes());
    h.update([0u8]);
    match date {
        Some(d) => {
            h.update(b"date:");
            h.update(d.to_rfc3339().as_bytes());
        }
        None => {
            h.update(b"content:");
            h.update(content.trim().as_bytes());
        }
    }
    (hex_id(DERIVED_PREFIX, h), true)
}

/// The id of a watched page's entry: the page's URL, `#`, and a hash of the text it shows, so
/// the same text is the same entry on every fetch and a new text is a new entry.
pub fn page_entry_id(url: &str, text: &str) -> String {
    let mut h = Sha256::new();
    h.update(text.as_bytes());
    hex_id(&format!("{url}#"), h)
}

/// `prefix` and the first 128 bits of the hash, in hex.
fn hex_id(prefix: &str, h: Sha256) -> String {
    let digest = h.finalize();
    let mut id = String::with_capacity(prefix.len() + 32);
    id.push_str(prefix);
    for b in &digest[..16] {
        id.push_str(&format!("{b:02x}"));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn fallback_order() {
        let d = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).single();
        assert_eq!(
            entry_id(" g1 ", Some("https://l"), "T", d, "c"),
            ("g1".into(), false)
        );
        assert_eq!(
            entry_id("", Some(" https://l "), "T", d, "c"),
            ("https://l".into(), true)
        );
        let (a, derived) = entry_id("", None, "T", d, "c");
        assert!(derived && a.starts_with(DERIVED_PREFIX));
        // Stable across calls, insensitive to content when a date exists.
        assert_eq!(entry_id("", None, "T", d, "other").0, a);
        // Title alone never decides: another date, another id.
        let d2 = Utc.with_ymd_and_hms(2024, 1, 3, 3, 4, 5).single();
        assert_ne!(entry_id("", None, "T", d2, "c").0, a);
        // No date: content takes part.
        assert_ne!(
            entry_id("", None, "T", None, "c").0,
            entry_id("", None, "T", None, "d").0
        );
    }
}
