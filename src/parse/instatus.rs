//! Instatus pages' RSS. Their bodies follow Statuspage's update markup closely enough to reuse its
//! timeline reader; a body in other markup goes to the common timeline reader; a body without any
//! is one update whose label is its opening state word ("Resolved - ...", "Status: Monitoring").

use super::Raw;
use crate::model::{Entry, Update};

/// Reads an Instatus item.
pub(super) fn extract(raw: &Raw<'_>, entry: &mut Entry) {
    labelled(raw, entry);
}

/// Shared by engines whose bodies are either Statuspage-like or "Word - text".
pub(super) fn labelled(raw: &Raw<'_>, entry: &mut Entry) {
    let mut updates = super::statuspage::timeline(raw.html, raw.date);
    if updates.is_empty() {
        updates = super::timeline::timeline(raw.html, raw.published, raw.date);
    }
    if !updates.is_empty() {
        entry.updates = updates;
        return;
    }
    let (label, text) = super::generic::leading_label(&entry.content)
        .unwrap_or_else(|| (String::new(), entry.content.clone()));
    entry.updates = vec![Update {
        at: raw.date,
        label,
        text,
    }];
}
