//! Statusfy: one Atom entry per incident. The first paragraph is the first post; later updates
//! are `update-block`s (a date, a title that may be a lifecycle word, a body), oldest first.
//! Most incidents have no update block at all, and then the words decide.

use super::timeline::timeline;
use super::Raw;
use crate::model::{Entry, Update};

/// Reads a Statusfy entry.
pub(super) fn extract(raw: &Raw<'_>, entry: &mut Entry) {
    entry.updates = timeline(raw.html, raw.published, raw.date);
    if entry.updates.is_empty() {
        entry.updates.push(Update {
            at: raw.published,
            label: String::new(),
            text: entry.content.clone(),
        });
    }
}
