//! What `feeds add URL` does with a URL it is not told about: fetch it once and decide what it
//! is. A feed or status API is added as given; a status page's home is searched for its
//! sources ([`catalog::discover`] lists the candidates, best first) and the first candidate
//! that really parses is added instead. Every fetch goes through [`Fetcher`], so the body cap,
//! timeouts and redirect rules of a poll apply here too.

use crate::catalog::discover::{discover, Candidate};
use crate::fetch::{
    is_html_page, Authorization, FetchConfig, FetchError, Fetched, Fetcher, NetworkPolicy,
    Validators,
};
use crate::model::{Engine, ParsedFeed};
use crate::parse::{parse_feed, ParseError, ParseOptions};
use anyhow::{bail, Context};
use url::Url;

/// What the URL turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// The URL itself is a source statuswatch reads.
    Direct {
        /// "Atlassian Statuspage feed", "incident.io status API".
        label: String,
        entries: usize,
        /// The source's own title ("GitHub", "Skylark Status - Incident History").
        title: Option<String>,
    },
    /// The URL is a web page; `url` is the source found from it.
    Found {
        url: String,
        label: String,
        title: Option<String>,
    },
}

/// Fetches `url` and says what to add for it (see the module's doc), sending `authorization`
/// (a feed's `auth_env`) to its origin.
pub fn resolve(
    url: &str,
    network: &NetworkPolicy,
    authorization: Option<Authorization>,
) -> anyhow::Result<Resolved> {
    let mut fetcher = Fetcher::new(FetchConfig {
        network: network.clone(),
        ..FetchConfig::default()
    })?;
    if let Some(auth) = authorization {
        fetcher = fetcher.authorized(auth);
    }
    super::cycle::runtime()?.block_on(resolve_with(&fetcher, url))
}

async fn resolve_with(fetcher: &Fetcher, url: &str) -> anyhow::Result<Resolved> {
    let answer = fetcher.fetch_page(url).await.with_context(|| {
        format!(
            "cannot fetch {url}; check the URL, or add it without fetching it now with --no-check (or name its --engine)"
        )
    })?;
    let Fetched::Modified {
        body,
        content_type,
        final_url,
        ..
    } = answer
    else {
        bail!("{url} answered 304 Not Modified to a request without validators; add it with --no-check");
    };
    let err = match parse_feed(&body, &options(url)) {
        Ok(parsed) => {
            return Ok(Resolved::Direct {
                label: label(&parsed),
                entries: parsed.entries.len(),
                title: parsed.title,
            })
        }
        Err(err) => err,
    };
    let html_page = is_html_page(content_type.as_deref(), &body)
        || matches!(&err, ParseError::NotAFeed(what) if what == "an HTML page");
    if !html_page {
        bail!("{url} answered, but not with a source statuswatch reads: {err}");
    }
    // Relative links are relative to where the page really is, after redirects.
    let base = Url::parse(&final_url).with_context(|| format!("bad final URL {final_url}"))?;
    let html = String::from_utf8_lossy(&body);
    let found = discover(&html, &base);
    let mut tried = Vec::new();
    for candidate in &found.candidates {
        match try_candidate(fetcher, candidate).await {
            Ok(parsed) => {
                return Ok(Resolved::Found {
                    url: candidate.url.clone(),
                    label: label(&parsed),
                    title: parsed.title,
                })
            }
            Err(why) => tried.push(format!("  {}: {why}", candidate.url)),
        }
    }
    let family = found
        .family
        .map(|f| format!(" (it looks like an {} page)", f.name()))
        .unwrap_or_default();
    bail!(
        "{url} is a web page{family}, and no feed or status API was found for it. Tried:\n{}\n\
         Give the feed's or the API's own URL (like https://status.example.com/history.atom), \
         or watch the page's own text with --selector (see the README, \"Status pages with no feed\").",
        tried.join("\n")
    )
}

/// Fetches one candidate and parses it; the reason it is not a source otherwise.
async fn try_candidate(fetcher: &Fetcher, candidate: &Candidate) -> Result<ParsedFeed, String> {
    // The plain fetch, not `fetch_page`: a candidate answering with an HTML page (a soft 404)
    // is not a source.
    match fetcher
        .fetch(&candidate.url, &Validators::default())
        .await
        .map_err(|e: FetchError| e.to_string())?
    {
        Fetched::Modified { body, .. } => {
            parse_feed(&body, &options(&candidate.url)).map_err(|e| e.to_string())
        }
        Fetched::NotModified { .. } => Err("304 Not Modified without validators".into()),
    }
}

fn options(url: &str) -> ParseOptions {
    ParseOptions {
        engine: None,
        feed_url: Some(url.to_string()),
        page: None,
        ..ParseOptions::default()
    }
}

/// What a parsed source is, in words: its engine's product name and whether it is a feed or a
/// status API (a source that states its components' states).
fn label(parsed: &ParsedFeed) -> String {
    let noun = if parsed.components.is_some() {
        "status API"
    } else {
        "feed"
    };
    format!("{} {noun}", product(parsed.engine))
}

/// The product an engine reads, as people name it.
fn product(engine: Engine) -> &'static str {
    match engine {
        Engine::Statuspage => "Atlassian Statuspage",
        Engine::Aws => "AWS Health Dashboard",
        Engine::Gcp => "Google Cloud",
        Engine::Azure => "Azure",
        Engine::Slack => "Slack",
        Engine::Incidentio => "incident.io",
        Engine::Instatus => "Instatus",
        Engine::Statusio => "status.io",
        Engine::Govuk => "GOV.UK",
        Engine::Cstate => "cState",
        Engine::Statusfy => "Statusfy",
        Engine::Playstation => "PlayStation Network",
        Engine::Page => "status page",
        Engine::Generic => "generic",
    }
}
