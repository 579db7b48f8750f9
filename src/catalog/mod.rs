//! Catalog stage: OPML 2.0 ⇄ [`FeedSpec`]s. (Interface stub: filled in by the catalog work.)

use crate::model::FeedSpec;

/// The default catalog, built from the shared status-feed catalog, compiled into the binary.
pub const BUNDLED_OPML: &str = include_str!("../../feeds.opml");

/// Why an OPML document was rejected.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{source_name}: {message}")]
    Invalid { source_name: String, message: String },
}

/// Reads every feed outline of an OPML document; `source_name` names it in errors.
pub fn parse_opml(_text: &str, _source_name: &str) -> Result<Vec<FeedSpec>, CatalogError> {
    Ok(Vec::new())
}

/// Writes feeds as an OPML 2.0 document, grouped by category.
pub fn to_opml(_feeds: &[FeedSpec], _title: &str) -> String {
    String::new()
}
