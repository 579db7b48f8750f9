//! Fetch stage: one HTTP GET of a feed, polite and bounded.
//!
//! Conditional GET from stored validators (a 304 is an outcome, not an error), a user agent
//! that names us, compressed bodies, connect and whole-request timeouts, a body cap enforced
//! while streaming (after decompression, so a gzip bomb is cut off), a redirect cap, no
//! https → http downgrade, and an HTML page answered with 200 (a login wall, a soft 404) told
//! apart from a feed. Fetching never parses and never touches the database.
//!
//! [`backoff`] decides when a failed feed is tried again; [`politeness`] bounds how many
//! fetches run at once, overall and per host.

pub mod backoff;
pub mod network;
pub mod politeness;
pub mod proxy;

use crate::model::FetchOutcome;
use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, LAST_MODIFIED, LOCATION, RETRY_AFTER,
};
use reqwest::redirect;
use std::time::Duration;
use url::Url;

pub use backoff::BackoffPolicy;
pub use network::{names_this_machine, CheckedResolver, NetworkPolicy, Refused};
pub use proxy::{Proxies, ProxyError};

/// Limits and identity of the HTTP client; every field has a safe default.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Establishing the TCP (and TLS) connection. Default 10 s.
    pub connect_timeout: Duration,
    /// The whole fetch, every redirect hop and the body included: a server that drips bytes
    /// is cut off. Default 30 s.
    pub timeout: Duration,
    /// Largest body accepted, counted after decompression. Default 10 MiB (the largest real
    /// status feeds are a few hundred KB).
    pub max_body_bytes: u64,
    /// Redirect hops followed before giving up. Default 5.
    pub max_redirects: usize,
    pub user_agent: String,
    /// Fetches in flight at once, all hosts together. Default 16.
    pub concurrency: usize,
    /// Fetches in flight at once to one host (many vendors share a status-page host).
    /// Default 2.
    pub per_host: usize,
    /// Consecutive fetches that must see the same permanent redirect (301/308) before the
    /// stored URL follows it. Default 3: one misconfigured deploy does not move a feed.
    pub moved_after: u32,
    /// When failed feeds are tried again.
    pub backoff: BackoffPolicy,
    /// Where connections may go (`[network]` in the configuration; see `network.rs`).
    pub network: NetworkPolicy,
}

/// The user agent: names statuswatch, its version and where to read about it.
pub fn default_user_agent() -> String {
    format!(
        "statuswatch/{} (+https://github.com/statuswatch/statuswatch#readme)",
        env!("CARGO_PKG_VERSION")
    )
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body_bytes: 10 * 1024 * 1024,
            max_redirects: 5,
            user_agent: default_user_agent(),
            concurrency: 16,
            per_host: 2,
            moved_after: 3,
            backoff: BackoffPolicy::default(),
            network: NetworkPolicy::default(),
        }
    }
}

/// The validators a conditional GET sends back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// What a fetch accepts as its answer's body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Accept {
    /// A feed or API document: an HTML page answered with 200 is `not_a_feed` (a moved feed's
    /// old URL often serves the vendor's home page).
    #[default]
    Feed,
    /// Anything, HTML pages included: a watched status page (a feed with a `selector`) is one.
    Html,
}

/// One redirect hop that was followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// 301, 302, 303, 307 or 308.
    pub status: u16,
    /// Where it pointed.
    pub to: String,
}

impl Hop {
    /// Whether the server said the move is for good (301, 308).
    pub fn is_permanent(&self) -> bool {
        self.status == 301 || self.status == 308
    }
}

/// A fetch that reached the server and got a usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// 200: a body to parse, with the new validators.
    Modified {
        status: u16,
        /// The bytes exactly as the server sent them (after content decoding): no charset
        /// conversion, BOM kept; the parser owns encodings.
        body: Vec<u8>,
        validators: Validators,
        content_type: Option<String>,
        /// Where the body came from after redirects.
        final_url: String,
        redirects: Vec<Hop>,
    },
    /// 304: nothing changed since the validators.
    NotModified {
        status: u16,
        final_url: String,
        redirects: Vec<Hop>,
    },
}

impl Fetched {
    /// The redirect hops followed, in order.
    pub fn redirects(&self) -> &[Hop] {
        match self {
            Fetched::Modified { redirects, .. } | Fetched::NotModified { redirects, .. } => {
                redirects
            }
        }
    }

    /// Where the answer came from.
    pub fn final_url(&self) -> &str {
        match self {
            Fetched::Modified { final_url, .. } | Fetched::NotModified { final_url, .. } => {
                final_url
            }
        }
    }

    /// The feed's new home if the server moved it for good: the end of the leading run of
    /// permanent hops. A chain that starts with a temporary hop moves nothing (the stored
    /// URL is still the one to ask).
    pub fn permanent_target(&self) -> Option<&str> {
        permanent_target(self.redirects())
    }
}

/// The end of the leading run of permanent hops, if any.
pub fn permanent_target(hops: &[Hop]) -> Option<&str> {
    hops.iter()
        .take_while(|hop| hop.is_permanent())
        .last()
        .map(|hop| hop.to.as_str())
}

/// Why a fetch failed. `outcome()` is the word stored in `fetches.outcome`.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("invalid feed URL {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("timed out after {} {what}", human_duration(*after))]
    Timeout {
        after: Duration,
        /// "connecting", "waiting for the whole answer".
        what: &'static str,
    },
    #[error("HTTP {status}{}", reason.as_deref().map(|r| format!(" {r}")).unwrap_or_default())]
    Http {
        status: u16,
        reason: Option<String>,
        /// From `Retry-After` on 429 and 503.
        retry_after: Option<Duration>,
    },
    #[error("body larger than the {limit}-byte limit: raise the body limit if this feed is really that big")]
    TooLarge { limit: u64 },
    #[error("redirect refused: {0}")]
    Redirect(String),
    /// A 200 answer that is an HTML page (a login wall, an error page): a soft 404.
    #[error("the body is an HTML page, not an RSS or Atom feed: check the feed URL (login walls and error pages answer 200 too)")]
    NotAFeed,
    #[error("HTTP client error: {0}")]
    Client(String),
    /// The feed's `auth_env` names a variable that cannot give its Authorization header.
    #[error("auth_env: the environment variable {var} {why}: set it, where statuswatch runs, to the whole Authorization header value (such as \"Bearer TOKEN\"), or remove auth_env from the feed (feeds add URL --auth-env with another name, or edit the OPML and import it)")]
    Auth { var: String, why: &'static str },
    /// A proxy variable of the environment that cannot be used (see `proxy.rs`).
    #[error("{0}")]
    Proxy(#[from] ProxyError),
}

impl FetchError {
    /// How the fetch log records this failure.
    pub fn outcome(&self) -> FetchOutcome {
        match self {
            // A feed set up wrong, as a bad URL is.
            FetchError::BadUrl { .. } | FetchError::Auth { .. } => FetchOutcome::BadUrl,
            FetchError::Connect(_) => FetchOutcome::ConnectError,
            FetchError::Timeout { .. } => FetchOutcome::Timeout,
            FetchError::Http { .. } => FetchOutcome::HttpError,
            FetchError::TooLarge { .. } => FetchOutcome::TooLarge,
            FetchError::Redirect(_) => FetchOutcome::RedirectError,
            FetchError::NotAFeed => FetchOutcome::NotAFeed,
            FetchError::Client(_) | FetchError::Proxy(_) => FetchOutcome::ClientError,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            FetchError::Http { status, .. } => Some(*status),
            FetchError::NotAFeed => Some(200),
            _ => None,
        }
    }

    /// How long the server asked us to wait (429, 503 with `Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether the server was never reached (connection, DNS, timeout): when most feeds of a
    /// cycle fail this way, the network is ours to blame, not theirs.
    pub fn is_network(&self) -> bool {
        matches!(self, FetchError::Connect(_) | FetchError::Timeout { .. })
    }
}

/// "1.5 s", "200 ms", "30 s": durations as people read them.
pub fn human_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// The HTTP client: one per process, shared by every fetch (keep-alive across feeds of a host).
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    config: FetchConfig,
    /// Sent as `Authorization` to the origin of the URL fetched (see [`Fetcher::authorized`]).
    authorization: Option<Authorization>,
    /// The proxies the client goes through, read from the environment when it was built.
    proxies: Proxies,
}

/// A feed's `Authorization` header value, read from the environment variable its `auth_env`
/// names at each fetch, so it is never stored. Never shown either: its `Debug` is redacted and
/// the header is marked sensitive (HTTP/2 never indexes it, and reqwest never prints it).
#[derive(Clone)]
pub struct Authorization(HeaderValue);

impl std::fmt::Debug for Authorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Authorization(<redacted>)")
    }
}

impl Authorization {
    /// The header value the environment variable `var` holds; the error names the variable
    /// and what is wrong with it (never its value).
    pub fn from_env(var: &str) -> Result<Authorization, FetchError> {
        let fail = |why| FetchError::Auth {
            var: var.to_string(),
            why,
        };
        let value = std::env::var_os(var).ok_or_else(|| fail("is not set"))?;
        let text = value.to_str().ok_or_else(|| fail("is not valid UTF-8"))?;
        if text.trim().is_empty() {
            return Err(fail("is empty"));
        }
        let mut header = HeaderValue::from_str(text.trim()).map_err(|_| {
            fail("holds a character an HTTP header cannot carry (a line break or a control character)")
        })?;
        header.set_sensitive(true);
        Ok(Authorization(header))
    }
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

/// The innermost cause: "Connection refused (os error 111)" rather than the wrappers.
fn root_cause(err: &dyn std::error::Error) -> String {
    let mut last = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        last = cause.to_string();
        source = cause.source();
    }
    last
}

/// Whether a redirect hop may be followed. Pure, so the rules are tested without servers:
/// at most `max` hops, never back to a URL already visited (a loop), never from https to
/// http (a downgrade would hand the request to anyone on the path), only http(s).
pub fn check_redirect(from: &Url, to: &Url, visited: &[Url], max: usize) -> Result<(), String> {
    if visited.len() > max {
        return Err(format!("more than {max} redirects"));
    }
    if to.scheme() != "http" && to.scheme() != "https" {
        return Err(format!("to a non-HTTP URL ({to})"));
    }
    if from.scheme() == "https" && to.scheme() == "http" {
        return Err(format!("from https to http ({to})"));
    }
    if visited.contains(to) {
        return Err(format!("a redirect loop back to {to}"));
    }
    Ok(())
}

/// Whether a 200 body is an HTML page rather than a feed: the server calls it HTML and its
/// first bytes look like HTML. Both must agree: some feeds are served as `text/html`, and
/// the parser rejects HTML served under a feed type anyway.
pub fn is_html_page(content_type: Option<&str>, body: &[u8]) -> bool {
    let declared_html = content_type.is_some_and(|ct| {
        let mime = ct.split(';').next().unwrap_or("").trim();
        mime.eq_ignore_ascii_case("text/html") || mime.eq_ignore_ascii_case("application/xhtml+xml")
    });
    if !declared_html {
        return false;
    }
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let head: Vec<u8> = body.iter().take(2048).map(u8::to_ascii_lowercase).collect();
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    if has(b"<rss") || has(b"<feed") || has(b"<rdf:rdf") {
        return false;
    }
    has(b"<!doctype html") || has(b"<html") || has(b"<head") || has(b"<body")
}

impl Fetcher {
    /// Builds the client from the config, going through the proxies the environment names
    /// (`proxy.rs`).
    pub fn new(config: FetchConfig) -> Result<Fetcher, FetchError> {
        Fetcher::with_proxies(config, Proxies::from_env()?)
    }

    /// [`Fetcher::new`] with the proxies given rather than read from the environment.
    pub fn with_proxies(config: FetchConfig, proxies: Proxies) -> Result<Fetcher, FetchError> {
        proxies.check(&config.network)?;
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static(
                "application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5",
            ),
        );
        // Redirects are followed by hand in `fetch`, not by reqwest's policy: the pipeline
        // needs each hop's status (a 301 chain moves the stored URL, a 302 does not), the
        // loop and downgrade checks are then one pure, tested function, and the whole-fetch
        // deadline covers every hop. A custom policy could record hops only through state
        // shared per client, which concurrent fetches would have to untangle.
        let builder = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .default_headers(headers)
            .connect_timeout(config.connect_timeout)
            .redirect(redirect::Policy::none())
            .gzip(true)
            .brotli(true)
            .deflate(true)
            .pool_max_idle_per_host(config.per_host.max(1));
        // Names are checked on the addresses their lookup returned, the ones dialled.
        let client = CheckedResolver::install(&config.network, &proxies, builder)
            .build()
            .map_err(|e| FetchError::Client(error_chain(&e)))?;
        Ok(Fetcher {
            client,
            config,
            authorization: None,
            proxies,
        })
    }

    /// This fetcher sending `authorization` with each request to the origin (scheme, host and
    /// port) of the URL it is asked for, and never past a redirect to another origin. The
    /// client (its connections) is shared.
    pub fn authorized(&self, authorization: Authorization) -> Fetcher {
        Fetcher {
            authorization: Some(authorization),
            ..self.clone()
        }
    }

    /// The limits in force.
    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    /// The proxy a request to `url` goes through, credentials redacted, if any.
    pub fn proxy_for(&self, url: &str) -> Option<String> {
        self.proxies.shown_for(url)
    }

    /// GETs the feed at `url`, conditionally when validators are known, within the whole-fetch
    /// deadline.
    pub async fn fetch(&self, url: &str, validators: &Validators) -> Result<Fetched, FetchError> {
        self.fetch_accepting(url, validators, Accept::Feed).await
    }

    /// GETs a web page that is wanted as HTML (a status page's home, for `feeds add` to find
    /// its feed in): the same limits, redirect rules and deadline as [`Fetcher::fetch`].
    /// Unconditional: a page looked at once has no validators.
    pub async fn fetch_page(&self, url: &str) -> Result<Fetched, FetchError> {
        self.fetch_accepting(url, &Validators::default(), Accept::Html)
            .await
    }

    /// [`Fetcher::fetch`], with what the caller accepts as a body: a watched page takes HTML.
    pub async fn fetch_accepting(
        &self,
        url: &str,
        validators: &Validators,
        accept: Accept,
    ) -> Result<Fetched, FetchError> {
        let deadline = self.config.timeout;
        match tokio::time::timeout(deadline, self.fetch_unbounded(url, validators, accept)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout {
                after: deadline,
                what: "waiting for the whole answer",
            }),
        }
    }

    async fn fetch_unbounded(
        &self,
        url: &str,
        validators: &Validators,
        accept: Accept,
    ) -> Result<Fetched, FetchError> {
        let bad_url = |reason: String| FetchError::BadUrl {
            url: url.to_string(),
            reason,
        };
        let mut current = Url::parse(url).map_err(|e| bad_url(e.to_string()))?;
        if current.scheme() != "http" && current.scheme() != "https" {
            return Err(bad_url("only http and https URLs can be fetched".into()));
        }
        // A URL that names this machine may reach it, through every hop that stays here.
        let mut this_machine = names_this_machine(&current);
        self.config
            .network
            .check_url(&current, this_machine)
            .map_err(|refused| bad_url(refused.to_string()))?;
        let origin = current.origin();
        let mut visited = vec![current.clone()];
        let mut redirects = Vec::new();
        let mut response = loop {
            let mut request = self.client.get(current.clone());
            if let Some(etag) = &validators.etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &validators.last_modified {
                request = request.header(IF_MODIFIED_SINCE, lm);
            }
            if let Some(Authorization(value)) = &self.authorization {
                if current.origin() == origin {
                    request = request.header(AUTHORIZATION, value.clone());
                }
            }
            let response = request.send().await.map_err(|e| self.classify_error(&e))?;
            let status = response.status().as_u16();
            if !matches!(status, 301 | 302 | 303 | 307 | 308) {
                break response;
            }
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| FetchError::Redirect(format!("HTTP {status} without a Location")))?;
            let next = current
                .join(location)
                .map_err(|e| FetchError::Redirect(format!("bad Location {location:?}: {e}")))?;
            check_redirect(&current, &next, &visited, self.config.max_redirects)
                .map_err(FetchError::Redirect)?;
            this_machine = this_machine && names_this_machine(&next);
            self.config
                .network
                .check_url(&next, this_machine)
                .map_err(|refused| FetchError::Redirect(format!("to {next}: {refused}")))?;
            redirects.push(Hop {
                status,
                to: next.to_string(),
            });
            visited.push(next.clone());
            current = next;
        };
        let final_url = current.to_string();
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified {
                status: 304,
                final_url,
                redirects,
            });
        }
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
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
        let content_type = header(CONTENT_TYPE);
        let limit = self.config.max_body_bytes;
        // With content decoding on, reqwest reports no length for compressed bodies; this
        // only saves downloading a body the server already says is too big.
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
        if accept == Accept::Feed && is_html_page(content_type.as_deref(), &body) {
            return Err(FetchError::NotAFeed);
        }
        Ok(Fetched::Modified {
            status: status.as_u16(),
            body,
            validators,
            content_type,
            final_url,
            redirects,
        })
    }

    fn classify_error(&self, err: &reqwest::Error) -> FetchError {
        if err.is_connect() && err.is_timeout() {
            FetchError::Timeout {
                after: self.config.connect_timeout,
                what: "connecting",
            }
        } else if err.is_timeout() {
            FetchError::Timeout {
                after: self.config.timeout,
                what: "waiting for the whole answer",
            }
        } else if err.is_connect() {
            let host_port = |u: &Url| {
                u.host_str()
                    .map(|h| format!("{h}:{}", u.port_or_known_default().unwrap_or(0)))
            };
            let host = err.url().and_then(host_port).unwrap_or_default();
            // Through a proxy, the connection that failed was the proxy's.
            let proxy = err
                .url()
                .and_then(|u| self.proxies.for_url(u))
                .and_then(host_port);
            let host = match proxy {
                Some(proxy) => format!("the proxy {proxy} (for {host})"),
                None => host,
            };
            FetchError::Connect(format!("{host}: {}", root_cause(err)))
        } else {
            FetchError::Client(error_chain(err))
        }
    }
}

/// `Retry-After` as seconds or an HTTP date, relative to `now`.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - now;
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2025-10-20T07:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Mon, 20 Oct 2025 08:00:00 GMT", now),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn only_unreached_server_is_a_network_failure() {
        let http = |status| FetchError::Http {
            status,
            reason: None,
            retry_after: None,
        };
        assert!(FetchError::Connect("x".into()).is_network());
        assert!(!http(503).is_network());
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn redirects_never_downgrade_https_to_http() {
        // Pinned here rather than end to end: a test https server would need certificates
        // the client trusts, and the decision is this one function either way.
        let from = url("https://status.example.com/feed");
        let err = check_redirect(
            &from,
            &url("http://status.example.com/feed"),
            std::slice::from_ref(&from),
            5,
        )
        .unwrap_err();
        assert!(err.contains("from https to http"), "{err}");
        assert!(check_redirect(
            &from,
            &url("https://other.example.com/feed"),
            std::slice::from_ref(&from),
            5
        )
        .is_ok());
        let plain = url("http://status.example.com/feed");
        assert!(check_redirect(
            &plain,
            &url("https://status.example.com/feed"),
            std::slice::from_ref(&plain),
            5
        )
        .is_ok());
    }

    #[test]
    fn redirects_stop_at_loops_caps_and_strange_schemes() {
        let a = url("http://h/a");
        let b = url("http://h/b");
        let err = check_redirect(&b, &a, &[a.clone(), b.clone()], 5).unwrap_err();
        assert!(err.contains("loop"), "{err}");
        let many: Vec<Url> = (0..4).map(|i| url(&format!("http://h/{i}"))).collect();
        assert!(check_redirect(&many[3], &url("http://h/x"), &many, 3).is_err());
        assert!(check_redirect(&many[3], &url("http://h/x"), &many, 4).is_ok());
        assert!(
            check_redirect(&a, &url("file:///etc/passwd"), std::slice::from_ref(&a), 5).is_err()
        );
    }

    #[test]
    fn only_leading_permanent_hops_move_a_feed() {
        let hop = |status, to: &str| Hop {
            status,
            to: to.into(),
        };
        assert_eq!(
            permanent_target(&[hop(301, "http://h/b"), hop(308, "http://h/c")]),
            Some("http://h/c")
        );
        assert_eq!(
            permanent_target(&[hop(301, "http://h/b"), hop(302, "http://h/c")]),
            Some("http://h/b")
        );
        assert_eq!(
            permanent_target(&[hop(302, "http://h/b"), hop(301, "http://h/c")]),
            None
        );
        assert_eq!(permanent_target(&[]), None);
    }

    #[test]
    fn html_pages_are_told_apart_from_feeds() {
        let html = Some("text/html; charset=utf-8");
        assert!(is_html_page(
            html,
            b"<!DOCTYPE html><html><body>Log in</body></html>"
        ));
        assert!(is_html_page(html, b"\xEF\xBB\xBF\n  <html lang=en>"));
        // A feed served as text/html is still a feed.
        assert!(!is_html_page(
            html,
            b"<?xml version=\"1.0\"?><rss version=\"2.0\"></rss>"
        ));
        assert!(!is_html_page(html, b"<feed xmlns=\"http://www.w3.org/2005/Atom\"><content type=\"html\">&lt;html&gt;</content></feed>"));
        // HTML under a feed type is the parser's to reject.
        assert!(!is_html_page(
            Some("application/atom+xml"),
            b"<html></html>"
        ));
        assert!(!is_html_page(None, b"<html></html>"));
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(human_duration(Duration::from_millis(200)), "200 ms");
        assert_eq!(human_duration(Duration::from_secs(30)), "30 s");
        assert_eq!(human_duration(Duration::from_millis(1500)), "1.5 s");
    }
}
