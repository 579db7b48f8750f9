//! Parse stage: feed bytes → [`ParsedFeed`], via feed-rs plus one extractor per engine.
//!
//! Parsing does no I/O. (Interface stub: filled in by the parse work.)

use crate::model::{Engine, ParsedFeed};

/// What the parser needs besides the bytes.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// The engine the catalog names; `None` means detect it from the document.
    pub engine: Option<Engine>,
    /// The feed URL, for resolving relative links and for detection.
    pub feed_url: Option<String>,
}

/// Why a document could not be read as a feed.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("the body is empty: expected an RSS or Atom document")]
    Empty,
    #[error("the body is {0}, not an RSS or Atom feed: check the feed URL")]
    NotAFeed(String),
    #[error("not a valid feed document: {0}")]
    Invalid(String),
}

/// Parses one feed document.
pub fn parse_feed(_bytes: &[u8], _opts: &ParseOptions) -> Result<ParsedFeed, ParseError> {
    Err(ParseError::Invalid("parser not built yet".into()))
}
