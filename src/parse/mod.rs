//! Parse stage: feed bytes → [`ParsedFeed`], via feed-rs plus one extractor per engine.
//!
//! The steps, each in its own file:
//! 1. [`repair`]: decode to UTF-8 (BOM, UTF-16, XML declaration) and repair what lenient readers repair
//!    (bare `&`, HTML entities, control characters), so one sloppy byte does not lose a whole feed;
//! 2. sniff what the body is, so an HTML error page or an empty body gets an error that says so;
//! 3. feed-rs reads the XML, behind `catch_unwind`: it panics on some hostile inputs, and one bad feed
//!    must fail alone;
//! 4. [`cap`] keeps the newest entries when a document holds more than the cap;
//! 5. [`identity`] gives every entry a stable id; duplicates of one id in a document collapse to
//!    the newest, with a note;
//! 6. the engine's extractor (detected by [`detect_engine`] unless the catalog names it) turns the
//!    entry into plain text ([`html`]), the update timeline, components, incident key and severity.
//!
//! Parsing does no I/O.

mod aws;
mod azure;
pub mod cap;
mod cstate;
pub mod dates;
mod gcp;
mod generic;
mod govuk;
pub mod html;
pub mod identity;
mod incidentio;
mod instatus;
mod json;
mod legacy;
pub mod page;
pub mod repair;
mod rss_content;
mod slack;
mod statusfy;
mod statusio;
mod statuspage;
pub(crate) mod timeline;

use std::borrow::Cow;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use chrono::{DateTime, Utc};

use crate::model::{Engine, Entry, ParsedFeed};

pub use page::PageWatchError;

/// Compiles one of this module's own literal patterns. Every pattern is compiled by the unit
/// tests of the reader that holds it, so a bad one fails CI rather than a user's poll.
#[allow(clippy::expect_used)]
pub(crate) fn literal_regex(pattern: &str) -> regex::Regex {
    regex::Regex::new(pattern).expect("a literal pattern of the parse module compiles")
}

/// What the parser needs besides the bytes.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    /// The engine the catalog names; `None` means detect it from the document.
    pub engine: Option<Engine>,
    /// The feed URL, for resolving relative links and for detection.
    pub feed_url: Option<String>,
    /// For a plain status page: what to read from it. `None`: an HTML body is not a source.
    pub page: Option<PageWatch>,
    /// Entries taken from one document at most, the newest ([`cap`]).
    pub max_entries: usize,
}

impl Default for ParseOptions {
    fn default() -> ParseOptions {
        ParseOptions {
            engine: None,
            feed_url: None,
            page: None,
            max_entries: cap::DEFAULT_MAX_ENTRIES,
        }
    }
}

/// How a plain status page is read (OPML `selector` and `expect`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageWatch {
    /// CSS selector whose text says the state.
    pub selector: String,
    /// A regular expression the text matches when all is well.
    pub expect: Option<String>,
}

/// Why a document could not be read as a feed.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error(
        "the body is empty: expected an RSS or Atom document (check the feed URL, or retry later)"
    )]
    Empty,
    #[error("the body is {0}, not an RSS or Atom feed: check the feed URL (status pages usually serve /history.atom, /history.rss or /feed)")]
    NotAFeed(String),
    #[error("not a valid feed document: {0}. statuswatch repairs bare '&', control characters and encodings, but not broken structure: check the feed with a validator or tell the vendor")]
    Invalid(String),
    /// A watched status page could not be read: its selector matched nothing (the markup
    /// changed), or its stored settings are broken. The message says which and what to do.
    #[error("{0}")]
    Page(String),
    #[error("the feed parser crashed on this document ({0}); this feed was skipped and others are unaffected: please report the document")]
    Panicked(String),
}

/// An entry as the feed gave it, before the engine's extractor reads it.
pub(crate) struct Raw<'a> {
    /// The markup of the content (or, failing that, the summary).
    pub html: &'a str,
    /// The entry's newest date (updated, else published): gives the year to day-and-month times.
    pub date: Option<DateTime<Utc>>,
    /// The entry's first date (published, else updated): dates its first post.
    pub published: Option<DateTime<Utc>>,
    /// The document's own time (its `updated`/`lastBuildDate`, else its newest entry): "now" as
    /// the document sees it, for times an entry states ahead (a planned end).
    pub document_date: Option<DateTime<Utc>>,
    /// The entry's category terms (cState puts its resolve time there).
    pub categories: Vec<&'a str>,
}

/// Parses one feed document.
pub fn parse_feed(bytes: &[u8], opts: &ParseOptions) -> Result<ParsedFeed, ParseError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace() || *b == 0) {
        return Err(ParseError::Empty);
    }
    // Everything below handles outside data, in our code as in feed-rs's: a panic anywhere fails
    // this document alone.
    let caught = CaughtRegion::enter();
    let outcome = catch_unwind(AssertUnwindSafe(|| parse_inner(bytes, opts)));
    drop(caught);
    match outcome {
        Ok(result) => result,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(ParseError::Panicked(what))
        }
    }
}

thread_local! {
    /// Set while this thread runs inside [`parse_feed`]'s `catch_unwind`.
    static CAUGHT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether a panic on this thread now would be caught by [`parse_feed`] and reported as the
/// document's [`ParseError::Panicked`]: the binary's panic hook keeps such panics out of normal
/// output (they are one hostile document's problem, not a bug to shout about).
pub fn panic_is_caught() -> bool {
    CAUGHT.with(std::cell::Cell::get)
}

/// Marks the caught region for [`panic_is_caught`]; leaving restores what was there (a nested
/// parse stays inside its caller's region).
struct CaughtRegion {
    before: bool,
}

impl CaughtRegion {
    fn enter() -> CaughtRegion {
        CaughtRegion {
            before: CAUGHT.with(|c| c.replace(true)),
        }
    }
}

impl Drop for CaughtRegion {
    fn drop(&mut self) {
        CAUGHT.with(|c| c.set(self.before));
    }
}

fn parse_inner(bytes: &[u8], opts: &ParseOptions) -> Result<ParsedFeed, ParseError> {
    let decoded = repair::decode(bytes);
    let mut notes: Vec<String> = decoded.note.iter().cloned().collect();
    let text: &str = &decoded.text;
    let body = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if body.is_empty() {
        return Err(ParseError::Empty);
    }
    // The body's syntax decides the reader: JSON to the status-API readers, HTML (when the
    // source names a selector) to the page watcher, XML to feed-rs.
    if body.starts_with(['{', '[']) && !body.contains("jsonfeed.org/version") {
        let feed = json::parse(body, opts)?;
        let (entries, capped) = cap::newest_first(feed.entries, newest, opts.max_entries);
        notes.extend(capped.as_ref().map(cap::note));
        return Ok(ParsedFeed {
            repaired: decoded.changed,
            entries,
            notes,
            capped,
            ..feed
        });
    }
    if let Some(watch) = &opts.page {
        if !body.starts_with("<?xml") && root_name(body).is_none_or(|r| is_html_root(&r)) {
            return page::parse(body, watch, opts).map(|page| ParsedFeed { notes, ..page });
        }
    }
    check_is_feed(body)?;
    let repaired = repair::repair(text);
    // Old dialects (unversioned RSS, Atom 0.3) in the words feed-rs reads.
    let (repaired, dialect) = match legacy::modernize(&repaired) {
        (Cow::Owned(modern), dialect) => (Cow::Owned(modern), dialect),
        (Cow::Borrowed(_), _) => (repaired, None),
    };
    let was_repaired = decoded.changed || matches!(repaired, Cow::Owned(_));
    // A document of more items than the cap: the parser reads only the newest (its model of
    // every entry of a 100,000-item document is most of the memory it would cost).
    let (repaired, items_in_text) = match cap::trim_items(&repaired, opts.max_entries) {
        Some((cut, total)) => {
            // A repaired copy of the whole text is not needed any more.
            drop(repaired);
            (Cow::Owned(cut), Some(total))
        }
        None => (repaired, None),
    };
    if let Some(dialect) = dialect {
        tracing::debug!(?dialect, "Read an old feed dialect as its modern form.");
    }

    let parser = feed_rs::parser::Builder::new()
        .id_generator(identity::no_id)
        .timestamp_parser(dates::parse_timestamp)
        .base_uri(opts.feed_url.as_deref())
        .build();
    let mut feed = parser.parse(repaired.as_bytes()).map_err(|e| match e {
        feed_rs::parser::ParseFeedError::ParseError(
            feed_rs::parser::ParseErrorKind::NoFeedRoot,
        ) => ParseError::NotAFeed(describe_root(body)),
        other => ParseError::Invalid(other.to_string()),
    })?;

    // Entries in the document that the parser did not see must not vanish without a word.
    let elements = legacy::item_elements(&repaired);
    if feed.entries.is_empty() && elements > 0 {
        return Err(ParseError::Invalid(format!(
            "the document holds {elements} <item> or <entry> elements, but none could be read \
             (a feed dialect statuswatch does not know): nothing was stored from it"
        )));
    }
    let engine = opts
        .engine
        .unwrap_or_else(|| detect_engine(repaired.as_bytes(), opts.feed_url.as_deref()));
    let base = opts
        .feed_url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .or_else(|| {
            feed.links
                .iter()
                .find_map(|l| url::Url::parse(&l.href).ok())
        });

    let document_date = feed.updated.max(
        feed.entries
            .iter()
            .filter_map(|e| e.updated.max(e.published))
            .max(),
    );
    // The cap comes before the per-entry work, so a huge document costs the feed parser's
    // model and no more.
    let fe_time = |fe: &feed_rs::model::Entry| fe.updated.max(fe.published);
    let (raw_entries, capped) =
        cap::newest_first(std::mem::take(&mut feed.entries), fe_time, opts.max_entries);
    // Cut in the text already: the counts are the text's, the oldest kept time the parser's.
    let capped = match items_in_text {
        None => capped,
        Some(total) => Some(crate::model::Capped {
            kept: raw_entries.len(),
            dropped: total.saturating_sub(raw_entries.len()),
            oldest_kept: raw_entries.iter().filter_map(fe_time).min(),
        }),
    };
    notes.extend(capped.as_ref().map(cap::note));
    // Only RSS items can carry the plain `<content>` feed-rs leaves out (Atom's is read), and
    // only when an item came without content.
    let full_contents = if matches!(feed.feed_type, feed_rs::model::FeedType::RSS2)
        && raw_entries.iter().any(|e| e.content.is_none())
    {
        rss_content::item_contents(&repaired)
    } else {
        std::collections::HashMap::new()
    };
    // The document's text is not read again: give its memory back before the entries are built.
    drop(repaired);
    drop(decoded);
    let mut entries: Vec<Entry> = Vec::with_capacity(raw_entries.len());
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(raw_entries.len());
    // How many entries of the document each kept entry stands for (more than one: duplicates).
    let mut copies: Vec<usize> = Vec::with_capacity(raw_entries.len());
    // Each feed-rs entry is dropped as soon as it is built.
    for fe in raw_entries {
        let full = full_contents.get(fe.id.as_str()).map(String::as_str);
        let entry = build_entry(
            &fe,
            engine,
            base.as_ref(),
            document_date,
            feed.language.as_deref(),
            full,
        );
        match seen.get(&entry.id) {
            // Duplicate ids in one document: keep the newest version (by updated, else published),
            // the first one on a tie: feeds list newest first, so on equal times the first is the
            // vendor's latest word, and the result depends on nothing but the document (two
            // polls of it never flip-flop between the versions).
            Some(&at) => {
                copies[at] += 1;
                if newest(&entry) > newest(&entries[at]) {
                    entries[at] = entry;
                }
            }
            None => {
                seen.insert(entry.id.clone(), entries.len());
                entries.push(entry);
                copies.push(1);
            }
        }
    }
    let duplicates: Vec<(&str, usize)> = entries
        .iter()
        .zip(&copies)
        .filter(|(_, n)| **n > 1)
        .map(|(e, n)| (e.id.as_str(), *n))
        .collect();
    notes.extend(duplicates_note(&duplicates));

    Ok(ParsedFeed {
        title: feed
            .title
            .as_ref()
            .map(|t| html::to_text(&t.content))
            .filter(|t| !t.is_empty()),
        engine,
        entries,
        repaired: was_repaired,
        components: None,
        overall: None,
        lists_open: false,
        notes,
        capped,
    })
}

/// The note for entries that share an id in one document: how many ids, the first few by name.
fn duplicates_note(duplicates: &[(&str, usize)]) -> Option<String> {
    const NAMED: usize = 3;
    let (first_id, first_n) = duplicates.first()?;
    if duplicates.len() == 1 {
        return Some(format!(
            "{first_n} entries share the id \"{first_id}\": kept the newest (by updated, else \
             published time; the first in the document on a tie)"
        ));
    }
    let named: Vec<String> = duplicates
        .iter()
        .take(NAMED)
        .map(|(id, n)| format!("\"{id}\" ×{n}"))
        .collect();
    let more = duplicates.len().saturating_sub(NAMED);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    Some(format!(
        "{} ids are each shared by several entries ({}{more}): kept the newest of each (by \
         updated, else published time; the first in the document on a tie)",
        duplicates.len(),
        named.join(", ")
    ))
}

fn is_html_root(name: &str) -> bool {
    let local = name.rsplit(':').next().unwrap_or(name).to_ascii_lowercase();
    matches!(local.as_str(), "html" | "head" | "body" | "!doctype")
}

fn newest(e: &Entry) -> Option<DateTime<Utc>> {
    e.updated.max(e.published)
}

/// Turns one feed-rs entry into our entry, then lets the engine's extractor read it.
fn build_entry(
    fe: &feed_rs::model::Entry,
    engine: Engine,
    base: Option<&url::Url>,
    document_date: Option<DateTime<Utc>>,
    feed_language: Option<&str>,
    full_content: Option<&str>,
) -> Entry {
    let title = fe
        .title
        .as_ref()
        .map(|t| html::to_text(&t.content))
        .unwrap_or_default();
    let raw_link = fe
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| fe.links.first())
        .map(|l| l.href.as_str());
    let link = raw_link.and_then(|h| html::sanitize_link(h, base));
    let markup: &str = fe
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .filter(|b| !b.trim().is_empty())
        // A plain `<content>` element feed-rs does not read holds the whole text where the
        // description is cut short (cState).
        .or(full_content)
        .or_else(|| fe.summary.as_ref().map(|s| s.content.as_str()))
        .unwrap_or("");
    let content = html::to_text(markup);
    let (id, id_derived) = identity::entry_id(
        &fe.id,
        raw_link,
        &title,
        fe.published.or(fe.updated),
        &content,
    );
    let raw = Raw {
        html: markup,
        date: fe.updated.max(fe.published),
        published: fe.published.or(fe.updated),
        document_date,
        categories: fe.categories.iter().map(|c| c.term.as_str()).collect(),
    };
    let mut entry = Entry {
        id,
        id_derived,
        title,
        link,
        published: fe.published,
        updated: fe.updated,
        content,
        updates: Vec::new(),
        components: Vec::new(),
        incident_key: None,
        severity: None,
        language: declared_language(fe.language.as_deref().or(feed_language)),
    };
    match engine {
        Engine::Statuspage => statuspage::extract(&raw, &mut entry),
        Engine::Aws => aws::extract(&raw, &mut entry, &fe.id),
        Engine::Gcp => gcp::extract(&raw, &mut entry),
        Engine::Azure => azure::extract(&raw, &mut entry),
        Engine::Slack => slack::extract(&raw, &mut entry),
        Engine::Incidentio => incidentio::extract(&raw, &mut entry),
        Engine::Instatus => instatus::extract(&raw, &mut entry),
        Engine::Statusio => statusio::extract(&raw, &mut entry),
        Engine::Govuk => govuk::extract(&raw, &mut entry),
        Engine::Cstate => cstate::extract(&raw, &mut entry),
        Engine::Statusfy => statusfy::extract(&raw, &mut entry),
        // A feed named as from a JSON or page source is still read as a feed: generically.
        Engine::Generic | Engine::Playstation | Engine::Page => generic::extract(&raw, &mut entry),
    }
    entry
}

/// The chain key the parser gives an entry of this engine that carries none, from what the
/// entry shows (its title). `reclassify` uses it to re-chain entries stored
/// before the rule existed; engines whose chain comes from the document alone (AWS guids) keep
/// the stored key.
pub fn derive_chain_key(engine: Engine, entry: &Entry) -> Option<String> {
    if entry.incident_key.is_some() || engine != Engine::Generic {
        return entry.incident_key.clone();
    }
    generic::chain_key(&entry.title)
}

/// The primary subtag of a declared language ("de-DE" → "de"), `None` for English (the
/// language every rule set reads anyway) and for anything that is not a language tag.
fn declared_language(tag: Option<&str>) -> Option<String> {
    let primary = tag?.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    let is_code =
        (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase());
    (is_code && primary != "en").then_some(primary)
}

/// Rejects bodies that are plainly not feeds, naming what they are.
fn check_is_feed(body: &str) -> Result<(), ParseError> {
    let first = body.as_bytes()[0];
    if first == b'{' || first == b'[' {
        // feed-rs reads JSON Feed; any other JSON (a status API) is not a feed.
        if body.contains("jsonfeed.org/version") {
            return Ok(());
        }
        return Err(ParseError::NotAFeed(
            "a JSON document (perhaps a status API, not its feed)".into(),
        ));
    }
    if first != b'<' {
        return Err(ParseError::NotAFeed("plain text".into()));
    }
    match root_name(body) {
        Some(name) => {
            let local = name
                .rsplit(':')
                .next()
                .unwrap_or(&name)
                .to_ascii_lowercase();
            match local.as_str() {
                "rss" | "feed" | "rdf" | "entry" => Ok(()),
                _ => Err(ParseError::NotAFeed(describe_root(body))),
            }
        }
        None => Err(ParseError::Invalid("no root element found".into())),
    }
}

/// The name of the first element, skipping the declaration, comments, doctype and blanks;
/// `html` for a page whose doctype says HTML, whatever comes first.
fn root_name(body: &str) -> Option<String> {
    let root = legacy::root_tag(body);
    let prolog = body[..root.map_or(body.len(), |(start, _)| start)].to_ascii_lowercase();
    if prolog
        .split("<!doctype")
        .skip(1)
        .any(|rest| rest.trim_start().starts_with("html"))
    {
        return Some("html".into());
    }
    let (start, end) = root?;
    Some(legacy::tag_name(&body[start..end]).to_string())
}

/// Says what a non-feed body is, for [`ParseError::NotAFeed`].
fn describe_root(body: &str) -> String {
    match root_name(body) {
        Some(n) if n.eq_ignore_ascii_case("html") => "an HTML page".into(),
        Some(n) if n.eq_ignore_ascii_case("rss") => {
            "an RSS document of a version the parser does not read (expected version=\"2.0\")"
                .into()
        }
        Some(n) => format!("an XML document whose root element is <{n}>"),
        None => "not XML".into(),
    }
}

/// How far into the document detection looks: the channel head and the first entries.
const DETECT_WINDOW: usize = 32 * 1024;

/// Guesses the engine of a feed from its URL and its first bytes: the generator, vendor hosts in ids
/// and links, guid shapes and the markup of the content. [`Engine::Generic`] when nothing is known.
pub fn detect_engine(bytes: &[u8], feed_url: Option<&str>) -> Engine {
    let head = &bytes[..bytes.len().min(DETECT_WINDOW)];
    let head = String::from_utf8_lossy(head);
    let url = feed_url.unwrap_or("").to_ascii_lowercase();
    let has = |s: &str| head.contains(s);
    let url_has = |s: &str| url.contains(s);

    if url_has("status.aws.amazon.com")
        || url_has("health.aws.amazon.com")
        || has("status.aws.amazon.com/#")
        || has("AWS Service Health Dashboard")
    {
        return Engine::Aws;
    }
    if url_has("status.cloud.google.com")
        || has("tag:status.cloud.google.com")
        || has("<id>https://status.cloud.google.com")
    {
        return Engine::Gcp;
    }
    if url_has("azure.status.microsoft")
        || url_has("status.azure.com")
        || url_has("azure.microsoft.com/status")
        || has("azure.status.microsoft")
        || has("Azure Status")
    {
        return Engine::Azure;
    }
    if url_has("slack-status.com") || url_has("status.slack.com") || has("slack-status.com") {
        return Engine::Slack;
    }
    if url_has("gov.uk") || has("<id>https://www.gov.uk") || has("tag:www.gov.uk") {
        return Engine::Govuk;
    }
    if url_has("instatus.com") || has("instatus.com") || has("Instatus") {
        return Engine::Instatus;
    }
    if has("<generator>github.com/cstate") || has("<generator>cState") {
        return Engine::Cstate;
    }
    if has("<generator>Statusfy") || has("update-block-date") {
        return Engine::Statusfy;
    }
    if url_has("status.io/") || has("status.io/pages") || has("<generator>status.io") {
        return Engine::Statusio;
    }
    // incident.io writes the state as "<b>Status: Resolved</b>" (escaped or in CDATA).
    if url_has("incident.io")
        || has("incident.io")
        || has("<b>Status: ")
        || has("&lt;b&gt;Status: ")
    {
        return Engine::Incidentio;
    }
    // Statuspage (and LambStatus, which copies its markup): "<small>date</small><br><strong>Word</strong>"
    // or its 2026 spelling with blanks, escaped in RSS/Atom or raw in CDATA; Atom ids "...,2005:Incident/".
    let statuspage_markup = (has("data-var=") && (has("&lt;strong&gt;") || has("<strong>")))
        || (has("&lt;small&gt;") && has("&lt;strong&gt;"))
        || (has("<small>") && has("<strong>"));
    if statuspage_markup
        || has(",2005:Incident/")
        || url.ends_with(".statuspage.io/history.atom")
        || url.ends_with(".statuspage.io/history.rss")
    {
        return Engine::Statuspage;
    }
    Engine::Generic
}

/// Splits a list of names written for people: "A, B, and C", "A and B", "A; B".
pub(crate) fn split_names(list: &str) -> Vec<String> {
    list.split([',', ';', '\n'])
        .flat_map(|part| part.split(" and "))
        .map(|s| {
            s.trim()
                .trim_start_matches("and ")
                .trim_end_matches('.')
                .trim()
                .to_string()
        })
        .filter(|s| !s.is_empty() && s.len() <= 200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_case_table() {
        let cases: &[(&str, Option<&str>, Engine)] = &[
            ("<rss><guid>http://status.aws.amazon.com/#ec2-us-east-1_1</guid></rss>", None, Engine::Aws),
            ("<rss/>", Some("https://status.aws.amazon.com/rss/ec2-us-east-1.rss"), Engine::Aws),
            ("<feed><id>tag:status.cloud.google.com,2024:feed</id></feed>", None, Engine::Gcp),
            ("<rss/>", Some("https://azure.status.microsoft/en-us/status/feed/"), Engine::Azure),
            ("<rss/>", Some("https://slack-status.com/feed/rss"), Engine::Slack),
            ("<feed/>", Some("https://www.gov.uk/government/organisations/x.atom"), Engine::Govuk),
            ("<rss/>", Some("https://acme.instatus.com/history.rss"), Engine::Instatus),
            ("<rss><link>https://status.io/pages/history/1</link></rss>", None, Engine::Statusio),
            ("<rss><description><![CDATA[<b>Status: Resolved</b>]]></description></rss>", None, Engine::Incidentio),
            ("<feed><id>tag:status.x.com,2005:Incident/1</id></feed>", None, Engine::Statuspage),
            ("<rss><description>&lt;p&gt; &lt;small&gt;x&lt;/small&gt;&lt;br&gt; &lt;strong&gt;Resolved&lt;/strong&gt;</description></rss>", None, Engine::Statuspage),
            ("<feed><link href='https://status.x.com/history.atom'/><entry><title>X is now degraded</title></entry></feed>", Some("https://status.x.com/history.atom"), Engine::Generic),
            ("<rss><channel><generator>github.com/cstate</generator></channel></rss>", None, Engine::Cstate),
            ("<feed><generator>Statusfy</generator></feed>", None, Engine::Statusfy),
            ("<rss><item><title>News</title></item></rss>", None, Engine::Generic),
        ];
        for (doc, url, want) in cases {
            assert_eq!(detect_engine(doc.as_bytes(), *url), *want, "doc {doc}");
        }
    }

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/fixtures/feeds/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn a_windows_1252_document_declared_utf8_reads_right_and_says_so() {
        let feed = parse_feed(
            &fixture("cp1252-declared-utf8.rss"),
            &ParseOptions::default(),
        )
        .unwrap();
        assert_eq!(
            feed.entries[0].title,
            "Caf\u{e9} orders delayed \u{2013} we\u{2019}re investigating"
        );
        assert!(feed.entries[0].content.contains("\u{201c}Retry\u{201d}"));
        assert!(feed.repaired);
        assert_eq!(
            feed.notes,
            ["not valid UTF-8 at byte 221; read as Windows-1252"]
        );
    }

    #[test]
    fn one_stray_byte_in_utf8_is_read_alone() {
        let feed = parse_feed(
            &fixture("utf8-one-stray-byte.rss"),
            &ParseOptions::default(),
        )
        .unwrap();
        let titles: Vec<&str> = feed.entries.iter().map(|e| e.title.as_str()).collect();
        // The UTF-8 around the byte stays UTF-8: no "CafÃ©".
        assert_eq!(
            titles,
            ["Caf\u{e9} \u{e9}clair menu offline", "Payments slow"]
        );
        assert!(feed.entries[1].content.contains("We\u{2019}re looking"));
        assert_eq!(feed.notes.len(), 1);
        assert!(
            feed.notes[0]
                .starts_with("not valid UTF-8 at byte 762; read as Windows-1252 (1 stray byte"),
            "{:?}",
            feed.notes
        );
    }

    #[test]
    fn duplicate_ids_keep_the_newest_and_say_so() {
        let feed = parse_feed(&fixture("duplicate-guids.rss"), &ParseOptions::default()).unwrap();
        let kept: Vec<(&str, &str)> = feed
            .entries
            .iter()
            .map(|e| (e.id.as_str(), e.content.as_str()))
            .collect();
        // lantern-51: the Resolved copy is newer (12:30) though listed first; lantern-52: equal
        // times, the first copy.
        assert_eq!(
            kept,
            [
                ("lantern-51", "Resolved \u{2013} Search is back."),
                ("lantern-52", "Monitoring \u{2013} first copy.")
            ]
        );
        // Before: collapsed in silence. Now the reader is told.
        assert_eq!(
            feed.notes,
            [
                "2 ids are each shared by several entries (\"lantern-51\" ×2, \"lantern-52\" ×3): \
              kept the newest of each (by updated, else published time; the first in the \
              document on a tie)"
            ]
        );
        assert_eq!(
            duplicates_note(&[("a", 2)]).as_deref(),
            Some(
                "2 entries share the id \"a\": kept the newest (by updated, else published \
                 time; the first in the document on a tie)"
            )
        );
        let many = [("a", 2), ("b", 2), ("c", 2), ("d", 2), ("e", 2)];
        assert!(duplicates_note(&many).unwrap().starts_with(
            "5 ids are each shared by several entries (\"a\" ×2, \"b\" ×2, \"c\" ×2 and 2 more)"
        ));
        assert_eq!(duplicates_note(&[]), None);
    }

    /// An RSS document of `n` items, item `i` published `i` minutes after midnight, listed
    /// oldest first (so the newest are not simply the first).
    fn many_items(n: usize) -> String {
        let mut doc = String::from("<rss version=\"2.0\"><channel><title>Many</title>");
        for i in 0..n {
            doc.push_str(&format!(
                "<item><title>Item {i}</title><guid>item-{i}</guid>\
                 <pubDate>Wed, 02 Dec 2026 {:02}:{:02}:00 GMT</pubDate>\
                 <description>Investigating - item {i}</description></item>",
                i / 60,
                i % 60
            ));
        }
        doc.push_str("</channel></rss>");
        doc
    }

    #[test]
    fn the_entry_cap_keeps_the_newest_and_says_so() {
        let opts = ParseOptions {
            max_entries: 3,
            ..ParseOptions::default()
        };
        let feed = parse_feed(many_items(10).as_bytes(), &opts).unwrap();
        let ids: Vec<&str> = feed.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["item-7", "item-8", "item-9"]);
        let capped = feed.capped.unwrap();
        assert_eq!((capped.kept, capped.dropped), (3, 7));
        assert_eq!(capped.oldest_kept, feed.entries[0].published);
        assert_eq!(
            feed.notes,
            ["the document holds 10 entries, more than the cap of 3: kept the newest 3 and left \
              out 7 older ones (raise --max-entries to take more)"]
        );
        // At the cap, nothing is said.
        let feed = parse_feed(many_items(3).as_bytes(), &opts).unwrap();
        assert_eq!(
            (feed.entries.len(), feed.capped, feed.notes.len()),
            (3, None, 0)
        );
        // The default cap is above every real feed, and applies without asking.
        let feed = parse_feed(
            many_items(cap::DEFAULT_MAX_ENTRIES + 1).as_bytes(),
            &ParseOptions::default(),
        )
        .unwrap();
        assert_eq!(feed.entries.len(), cap::DEFAULT_MAX_ENTRIES);
    }

    #[test]
    fn a_status_api_document_is_capped_too() {
        let path = format!(
            "{}/fixtures/json/gcp_incidents.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(&path).unwrap();
        let opts = ParseOptions {
            max_entries: 1,
            ..ParseOptions::default()
        };
        let feed = parse_feed(&bytes, &opts).unwrap();
        // Two incidents; the newer (modified 2025-10-20) is kept.
        let ids: Vec<&str> = feed.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), 1);
        assert!(ids[0].contains("OpenInc0000000000001"), "{ids:?}");
        assert_eq!(feed.capped.map(|c| (c.kept, c.dropped)), Some((1, 1)));
        assert_eq!(feed.notes.len(), 1, "{:?}", feed.notes);
    }

    #[test]
    fn names() {
        assert_eq!(
            split_names("Git Operations, Webhooks, and API Requests."),
            ["Git Operations", "Webhooks", "API Requests"]
        );
        assert_eq!(split_names("Actions."), ["Actions"]);
        assert_eq!(split_names("A and B"), ["A", "B"]);
    }
}
