//! Fetch stage: one HTTP GET of a feed, polite and bounded.
//!
//! Conditional GET from stored validators (a 304 is an outcome, not an error), a user agent
//! that names us, compressed bodies, connect and whole-request timeouts, a body cap enforced
//! while streaming (after decompression, so a gzip bomb is cut off), a redirect cap and no
//! https → http downgrade. Fetching never parses and never touches the database.

use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
    RETRY_AFTER,
};
use reqwest::redirect;
use std::time::Duration;

/// Limits and identity of the HTTP client; every field has a safe default.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub connect_timeout: Duration,
    /// The whole request, body included: a server that drips bytes is cut off.
    pub timeout: Duration,
    /// Largest body accepted, counted after decompression.
    pub max_body_bytes: u64,
    pub max_redirects: usize,
    pub user_agent: String,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body_bytes: 10 * 1024 * 1024,
            max_redirects: 5,
            user_agent: format!(
                "statuswatch/{} (+https://github.com/statuswatch/statuswatch#readme)",
                env!("CARGO_PKG_VERSION")
            ),
        }
    }
}

/// The validators a conditional GET sends back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A fetch that reached the server and got a usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    /// 200: a body to parse, with the new validators.
    Modified {
        status: u16,
        body: Vec<u8>,
        validators: Validators,
        content_type: Option<String>,
        /// Where the body came from after redirects.
        final_url: String,
    },
    /// 304: nothing changed since the validators.
    NotModified { status: u16 },
}

/// Why a fetch failed. `outcome()` is the word stored in `fetches.outcome`.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("invalid feed URL {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("cannot connect: {0}: check the URL and that the server is up")]
    Connect(String),
    #[error("timed out after {0:?}: the server did not answer in time")]
    Timeout(Duration),
    #[error("HTTP {status}{}", reason.as_deref().map(|r| format!(" {r}")).unwrap_or_default())]
    Http {
        status: u16,
        reason: Option<String>,
        /// From `Retry-After` on 429 and 503.
        retry_after: Option<Duration>,
    },
    #[error("body larger than the {limit}-byte limit: raise max_body_bytes if this feed is really that big")]
    TooLarge { limit: u64 },
    #[error("redirect refused: {0}")]
    Redirect(String),
    #[error("HTTP client error: {0}")]
    Client(String),
}

impl FetchError {
    /// The outcome word for the fetch log.
    pub fn outcome(&self) -> &'static str {
        match self {
            FetchError::BadUrl { .. } => "bad_url",
            FetchError::Connect(_) => "connect_error",
            FetchError::Timeout(_) => "timeout",
            FetchError::Http { .. } => "http_error",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::Redirect(_) => "redirect_error",
            FetchError::Client(_) => "client_error",
        }
    }

    /// The HTTP status, when the server answered.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            FetchError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether trying again later may succeed (retry policy is one match on this).
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Connect(_) | FetchError::Timeout(_) | FetchError::Client(_) => true,
            FetchError::Http { status, .. } => *status == 429 || *status == 408 || *status >= 500,
            FetchError::BadUrl { .. } | FetchError::TooLarge { .. } | FetchError::Redirect(_) => {
                false
            }
        }
    }
}

/// The HTTP client: one per process, shared by every fetch (keep-alive across feeds of a host).
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    config: FetchConfig,
}

/// Text of an error and its causes, so "connection refused" is not hidden behind
/// "error sending request".
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

impl Fetcher {
    /// Builds the client from the config.
    pub fn new(config: FetchConfig) -> Result<Fetcher, FetchError> {
        let max_redirects = config.max_redirects;
        let policy = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max_redirects {
                return attempt.error(format!("more than {max_redirects} redirects"));
            }
            let downgrade = attempt
                .previous()
                .last()
                .is_some_and(|prev| prev.scheme() == "https" && attempt.url().scheme() == "http");
            if downgrade {
                let to = attempt.url().to_string();
                return attempt.error(format!("from https to http ({to})"));
            }
            attempt.follow()
        });
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static(
                "application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5",
            ),
        );
        let client = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .default_headers(headers)
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(policy)
            .gzip(true)
            .brotli(true)
            .deflate(true)
            .pool_max_idle_per_host(4)
            .build()
            .map_err(|e| FetchError::Client(error_chain(&e)))?;
        Ok(Fetcher { client, config })
    }

    /// The limits in force.
    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    /// GETs `url`, conditionally when validators are known.
    pub async fn fetch(
        &self,
        url: &str,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        let parsed = url::Url::parse(url).map_err(|e| FetchError::BadUrl {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        if parsed.scheme() != "http" && parsed.scheme() != "https" {
            return Err(FetchError::BadUrl {
                url: url.to_string(),
                reason: "only http and https URLs can be fetched".into(),
            });
        }
        let mut request = self.client.get(parsed);
        if let Some(etag) = &validators.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            request = request.header(IF_MODIFIED_SINCE, lm);
        }
        let mut response = request.send().await.map_err(|e| self.classify_error(&e))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(FetchOutcome::NotModified { status: 304 });
        }
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            return Err(FetchError::Http {
                status: status.as_u16(),
                reason: status.canonical_reason().map(str::to_string),
                retry_after,
            });
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let validators = Validators {
            etag: header(ETAG),
            last_modified: header(LAST_MODIFIED),
        };
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let final_url = response.url().to_string();
        let limit = self.config.max_body_bytes;
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(FetchError::TooLarge { limit });
        }
        let mut body = Vec::new();
        // Count while streaming: Content-Length can lie, and decompression multiplies.
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.classify_error(&e))?
        {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(FetchError::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(FetchOutcome::Modified {
            status: status.as_u16(),
            body,
            validators,
            content_type,
            final_url,
        })
    }

    fn classify_error(&self, err: &reqwest::Error) -> FetchError {
        let text = error_chain(err);
        if err.is_timeout() {
            FetchError::Timeout(self.config.timeout)
        } else if err.is_redirect() {
            FetchError::Redirect(text)
        } else if err.is_connect() {
            FetchError::Connect(text)
        } else {
            FetchError::Client(text)
        }
    }
}

/// `Retry-After` as seconds or an HTTP date, relative to now.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn only_server_trouble_is_transient() {
        let http = |status| FetchError::Http {
            status,
            reason: None,
            retry_after: None,
        };
        assert!(http(503).is_transient());
        assert!(http(429).is_transient());
        assert!(!http(404).is_transient());
        assert!(!FetchError::TooLarge { limit: 1 }.is_transient());
    }
}
