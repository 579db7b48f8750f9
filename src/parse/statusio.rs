//! status.io pages' RSS: one item per incident or maintenance, the body opening with its state
//! ("Investigating - ...", "Status: Resolved"), sometimes in Statuspage-like markup.

use super::Raw;
use crate::model::Entry;

/// Reads a status.io item.
pub(super) fn extract(raw: &Raw<'_>, entry: &mut Entry) {
    super::instatus::labelled(raw, entry);
}
