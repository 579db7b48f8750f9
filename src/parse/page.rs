//! A plain status page with no feed or API: the text under a CSS selector says the state.

use super::{PageWatch, ParseError, ParseOptions};
use crate::model::ParsedFeed;

/// Reads the state a status page shows under `watch.selector`.
pub(super) fn parse(
    _body: &str,
    _watch: &PageWatch,
    _opts: &ParseOptions,
) -> Result<ParsedFeed, ParseError> {
    Err(ParseError::NotAFeed("an HTML page".into()))
}
