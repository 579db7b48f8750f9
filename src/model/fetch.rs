//! What one fetch of a feed did, as the fetch log records it and the health planner reads it.
//! Shared by fetch (which produces the outcome), the pipeline (which fills the record), the
//! events stage (which plans `feed_failing` / `feed_recovered`) and the store (which writes it).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How one fetch ended: the word in the fetch log's `outcome` column, in cycle reports and in
/// `feed_failing` payloads.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Serialize,
    Deserialize,
    strum::Display,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum FetchOutcome {
    /// A document came and was stored.
    #[default]
    Ok,
    /// 304: the document is unchanged.
    NotModified,
    BadUrl,
    ConnectError,
    Timeout,
    HttpError,
    TooLarge,
    RedirectError,
    NotAFeed,
    ClientError,
    /// The server answered with an empty body.
    Empty,
    ParseError,
}

impl FetchOutcome {
    /// The word in the fetch log, reports and payloads.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether this fetch counts as a success for the feed's health.
    pub fn is_success(self) -> bool {
        matches!(self, FetchOutcome::Ok | FetchOutcome::NotModified)
    }
}

#[cfg(test)]
mod tests {
    use super::FetchOutcome;

    #[test]
    fn outcome_words_are_the_stored_ones() {
        for (outcome, word) in [
            (FetchOutcome::Ok, "ok"),
            (FetchOutcome::NotModified, "not_modified"),
            (FetchOutcome::ConnectError, "connect_error"),
            (FetchOutcome::NotAFeed, "not_a_feed"),
        ] {
            assert_eq!(outcome.as_str(), word);
            assert_eq!(serde_json::to_value(outcome).unwrap(), word);
        }
    }
}

/// One fetch, as the fetch log records it. `Default` is an empty successful record at the
/// epoch, for filling with struct-update syntax.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FetchRecord {
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub http_status: Option<u16>,
    pub bytes: Option<u64>,
    pub outcome: FetchOutcome,
    pub repaired: bool,
    /// What the parser said about the document (`ParsedFeed::notes`).
    pub notes: Vec<String>,
    pub entries: Option<usize>,
    pub error: Option<String>,
    /// New validators from a 200 answer (None keeps the stored ones).
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// When the feed may be fetched again (backoff); None: whenever its schedule says.
    pub next_fetch_at: Option<DateTime<Utc>>,
    /// The first of the consecutive 404/410 answers this fetch continues, if it is one (see
    /// `fetch::backoff::gone_since`, the one place that decides it).
    pub gone_since: Option<DateTime<Utc>>,
    /// Where redirects led, when they did.
    pub final_url: Option<String>,
    /// A permanent redirect (301/308 from the stored URL) seen by this fetch, which reached a
    /// usable answer: the stored URL moves once it has been seen this many fetches in a row.
    pub moved: Option<MovedTo>,
}

impl FetchRecord {
    /// Whether this fetch counts as a success for the feed's health.
    pub fn is_success(&self) -> bool {
        self.outcome.is_success()
    }
}

/// A permanent redirect seen by one fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedTo {
    pub url: String,
    /// Consecutive fetches that must see it before the stored URL changes (at least 1).
    pub after: u32,
}

/// A feed's health before a fetch is recorded, as the events stage needs it to decide on
/// `feed_failing` / `feed_recovered`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedHealth {
    pub consecutive_failures: i64,
    pub failing_since: Option<DateTime<Utc>>,
    /// `feed_failing` was raised for the current streak.
    pub failing_notified: bool,
}
