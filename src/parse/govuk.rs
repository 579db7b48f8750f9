//! GOV.UK publishing Atom (`www.gov.uk/.../*.atom`): announcements, guidance and news, one entry per
//! publication. There is no incident lifecycle to read; the title and summary are the whole entry, and
//! the classifier decides (mostly informational; planned downtime notices read as maintenance).

use super::Raw;
use crate::model::{Entry, Update};

/// Reads a GOV.UK entry.
pub(super) fn extract(raw: &Raw<'_>, entry: &mut Entry) {
    entry.updates = vec![Update {
        at: raw.date,
        label: String::new(),
        text: entry.content.clone(),
    }];
}
