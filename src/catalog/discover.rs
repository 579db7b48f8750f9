//! Finding a status page's sources from its HTML: page text + its URL → the URLs worth trying,
//! best first.
//!
//! `feeds add https://status.example.com` fetches the page once and asks [`discover`] what to
//! try; the command fetches each candidate in order and keeps the first that really parses.
//! This module only reads text: no I/O, so the order is tested without servers.
//!
//! Where candidates come from:
//! - `<link rel="alternate">` tags of a feed type (Atom, RSS, JSON Feed), hrefs resolved against
//!   the page's URL: what feed readers look for, and what the vendor chose to advertise;
//! - the page's family, told by markers in the HTML: Atlassian Statuspage (its asset host, a
//!   `statuspage.io` or `stspg` reference, a `/history.atom` link) or incident.io (a mention of
//!   `incident.io`, or its `/proxy/` data path). Both serve the Statuspage-compatible
//!   `api/v2/summary.json`;
//! - the paths status pages serve by convention (`history.atom`, `history.rss`, `feed.rss`,
//!   `api/v2/summary.json`), beside the page and at the site's root.
//!
//! Order: on a Statuspage or incident.io page the JSON summary comes first, because it says
//! more than the feed: every component's state and the overall indicator right now, and the
//! open incidents with their impact (the feed has only what incidents said). Then the linked
//! feeds, then the conventional feeds. On any other page the feeds come first (advertised,
//! then conventional) and the summary last: an unknown page's `api/v2/summary.json` is a
//! guess, while its advertised feed is a fact.

use url::Url;

/// What a candidate is expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// An RSS, Atom or JSON Feed document.
    Feed,
    /// A Statuspage-compatible JSON status API (`api/v2/summary.json`).
    StatusApi,
}

/// Why a candidate is on the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The page links it with `<link rel="alternate">`.
    Linked,
    /// Status pages of its kind serve it at that path.
    Convention,
}

/// The hosted status-page product a page is built with, as far as its HTML tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageFamily {
    Statuspage,
    Incidentio,
}

impl PageFamily {
    /// The product's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            PageFamily::Statuspage => "Atlassian Statuspage",
            PageFamily::Incidentio => "incident.io",
        }
    }
}

/// One URL to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub url: String,
    pub kind: SourceKind,
    pub origin: Origin,
}

/// What a page says about its sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    /// The product the page is built with, when its markers say.
    pub family: Option<PageFamily>,
    /// Every URL worth trying, best first, each once.
    pub candidates: Vec<Candidate>,
}

/// Feed paths status pages serve by convention, in order of preference: Statuspage's and
/// incident.io's Atom first (it carries the update timeline with dates), then RSS.
const CONVENTIONAL_FEEDS: [&str; 3] = ["history.atom", "history.rss", "feed.rss"];

/// The Statuspage-compatible summary (Statuspage, incident.io).
const SUMMARY: &str = "api/v2/summary.json";

/// At most this many advertised feeds are kept: a page linking dozens (one per component, one
/// per language) is not made to cost dozens of fetches.
const MAX_LINKED: usize = 8;

/// The candidates a page offers, best first (see the module's doc for the order).
pub fn discover(html: &str, page: &Url) -> Discovery {
    let linked: Vec<Url> = alternate_links(html)
        .into_iter()
        .filter_map(|href| resolve(page, &href))
        .take(MAX_LINKED)
        .collect();
    let family = family(html, &linked);
    let mut out = Vec::new();
    let mut push = |url: Url, kind, origin| {
        let url = url.to_string();
        if !out.iter().any(|c: &Candidate| c.url == url) {
            out.push(Candidate { url, kind, origin });
        }
    };
    let bases = convention_bases(page);
    let summaries: Vec<Url> = bases.iter().filter_map(|b| b.join(SUMMARY).ok()).collect();
    if family.is_some() {
        for url in &summaries {
            push(url.clone(), SourceKind::StatusApi, Origin::Convention);
        }
    }
    for url in linked {
        push(url, SourceKind::Feed, Origin::Linked);
    }
    for base in &bases {
        for path in CONVENTIONAL_FEEDS {
            if let Ok(url) = base.join(path) {
                push(url, SourceKind::Feed, Origin::Convention);
            }
        }
    }
    for url in summaries {
        push(url, SourceKind::StatusApi, Origin::Convention);
    }
    Discovery {
        family,
        candidates: out,
    }
}

/// Where conventional paths are tried: beside the page (a page at `/united-states` is taken as
/// the folder `/united-states/`, as per-country pages serve their own feeds), then the site's
/// root, where hosted status pages keep them.
fn convention_bases(page: &Url) -> Vec<Url> {
    let mut folder = page.clone();
    folder.set_query(None);
    folder.set_fragment(None);
    if !folder.path().ends_with('/') {
        let path = format!("{}/", folder.path());
        folder.set_path(&path);
    }
    let mut bases = vec![folder.clone()];
    if let Ok(root) = folder.join("/") {
        if root != folder {
            bases.push(root);
        }
    }
    bases
}

/// The family a page's markers name. Statuspage's markers are what its hosted pages carry:
/// its asset CDN host, `statuspage.io` references, `stspg` (its short links and script names),
/// and the `/history.atom` path only it and incident.io serve; incident.io pages name
/// `incident.io` and load their data through `/proxy/`.
fn family(html: &str, linked: &[Url]) -> Option<PageFamily> {
    let lower = html.to_ascii_lowercase();
    let has = |s: &str| lower.contains(s);
    if has("incident.io") || has("\"/proxy/") || has("'/proxy/") {
        return Some(PageFamily::Incidentio);
    }
    let links_history = linked.iter().any(|u| u.path().ends_with("/history.atom"));
    if has("statuspage.io") || has("stspg") || has("dka575ofm4ao0.cloudfront.net") || links_history
    {
        return Some(PageFamily::Statuspage);
    }
    None
}

/// Resolves an href against the page; only http(s) URLs are candidates.
fn resolve(page: &Url, href: &str) -> Option<Url> {
    let href = html_escape::decode_html_entities(href.trim());
    let url = page.join(&href).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

/// The hrefs of `<link rel="alternate">` tags of a feed type, in document order. A scanner,
/// not an HTML parser: it only needs `<link>` tags' attributes, and stays linear and
/// forgiving on broken markup (an unclosed tag ends the scan; unknown attributes are skipped).
fn alternate_links(html: &str) -> Vec<String> {
    let mut hrefs = Vec::new();
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("<link") {
        let start = from + at + "<link".len();
        let Some(len) = tag_len(&html[start..]) else {
            break;
        };
        let attrs = attributes(&html[start..start + len]);
        from = start + len;
        let get = |name: &str| {
            attrs
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let alternate = get("rel").is_some_and(|rel| {
            rel.split_ascii_whitespace()
                .any(|r| r.eq_ignore_ascii_case("alternate"))
        });
        let feed_type = get("type").is_some_and(is_feed_type);
        if let (true, true, Some(href)) = (alternate, feed_type, get("href")) {
            if !href.trim().is_empty() {
                hrefs.push(href.to_string());
            }
        }
    }
    hrefs
}

/// Whether a `type` attribute names a feed format statuswatch reads.
fn is_feed_type(mime: &str) -> bool {
    let mime = mime.split(';').next().unwrap_or("").trim();
    [
        "application/atom+xml",
        "application/rss+xml",
        "application/feed+json",
    ]
    .iter()
    .any(|t| mime.eq_ignore_ascii_case(t))
}

/// The length of a tag's attribute text up to its closing `>` (quotes respected), or `None`
/// when the tag never closes.
fn tag_len(rest: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in rest.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            (None, '<') => return Some(i),
            _ => {}
        }
    }
    None
}

/// A tag's attributes as (name, value) pairs: double-, single- or unquoted values; a name
/// without a value gets an empty one.
fn attributes(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if rest.is_empty() {
            return out;
        }
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_string();
        rest = rest[name_end..].trim_start();
        let Some(after_eq) = rest.strip_prefix('=') else {
            out.push((name, String::new()));
            continue;
        };
        rest = after_eq.trim_start();
        let (value, next) = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let body = &rest[1..];
                match body.find(q) {
                    Some(end) => (&body[..end], &body[end + 1..]),
                    None => (body, ""),
                }
            }
            _ => {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                (&rest[..end], &rest[end..])
            }
        };
        out.push((name, value.to_string()));
        rest = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(url: &str) -> Url {
        Url::parse(url).unwrap()
    }

    fn urls(d: &Discovery) -> Vec<&str> {
        d.candidates.iter().map(|c| c.url.as_str()).collect()
    }

    #[test]
    fn a_linked_feed_comes_first_on_an_unknown_page_with_its_href_resolved() {
        let html = r#"<!DOCTYPE html><html><head><title>Example status</title>
            <link rel="stylesheet" href="/app.css">
            <link rel="alternate" type="application/rss+xml" href="feeds/all.xml" title="RSS">
            </head><body>All good</body></html>"#;
        let d = discover(html, &page("https://status.example.com/en/"));
        assert_eq!(d.family, None);
        assert_eq!(
            urls(&d),
            [
                "https://status.example.com/en/feeds/all.xml",
                "https://status.example.com/en/history.atom",
                "https://status.example.com/en/history.rss",
                "https://status.example.com/en/feed.rss",
                "https://status.example.com/history.atom",
                "https://status.example.com/history.rss",
                "https://status.example.com/feed.rss",
                "https://status.example.com/en/api/v2/summary.json",
                "https://status.example.com/api/v2/summary.json",
            ]
        );
        assert_eq!(d.candidates[0].origin, Origin::Linked);
        assert_eq!(d.candidates[0].kind, SourceKind::Feed);
        assert_eq!(d.candidates[8].kind, SourceKind::StatusApi);
    }

    #[test]
    fn several_links_keep_document_order_and_appear_once() {
        let html = r#"<head>
            <link rel="alternate" type="application/atom+xml" href="https://status.example.com/history.atom">
            <link rel="alternate" type="application/rss+xml" href="/history.rss">
            <link rel="alternate" type="application/atom+xml" href="/history.atom">
            <link rel="alternate" type="text/html" hreflang="de" href="/de">
            <link rel="alternate" type="application/feed+json" href="/feed.json">
            </head>"#;
        let d = discover(html, &page("https://status.example.com/"));
        let linked: Vec<&str> = d
            .candidates
            .iter()
            .filter(|c| c.origin == Origin::Linked)
            .map(|c| c.url.as_str())
            .collect();
        assert_eq!(
            linked,
            [
                "https://status.example.com/history.atom",
                "https://status.example.com/history.rss",
                "https://status.example.com/feed.json",
            ],
            "a language alternate is not a feed; a repeated feed is tried once"
        );
    }

    #[test]
    fn tags_and_attributes_are_read_in_any_case_and_quoting() {
        let html = "<HEAD><LINK REL='Alternate Feed' TYPE='Application/Atom+XML; charset=utf-8' HREF='/a.atom'>\
                    <link href=/b.rss rel=alternate type=application/rss+xml></HEAD>";
        let d = discover(html, &page("http://127.0.0.1:8080/"));
        assert_eq!(
            urls(&d)[..2],
            [
                "http://127.0.0.1:8080/a.atom",
                "http://127.0.0.1:8080/b.rss"
            ]
        );
    }

    #[test]
    fn hrefs_are_decoded_and_only_http_urls_are_kept() {
        let html = r#"<link rel="alternate" type="application/atom+xml" href="/feed?lang=en&amp;kind=atom">
            <link rel="alternate" type="application/atom+xml" href="javascript:alert(1)">
            <link rel="alternate" type="application/atom+xml" href="">"#;
        let d = discover(html, &page("https://status.example.com/"));
        assert_eq!(
            urls(&d)[0],
            "https://status.example.com/feed?lang=en&kind=atom"
        );
        assert!(d.candidates.iter().all(|c| c.url.starts_with("https://")));
    }

    #[test]
    fn a_statuspage_page_puts_its_summary_first() {
        let html = r#"<html><head><script src="https://dka575ofm4ao0.cloudfront.net/assets/status.js"></script>
            </head><body><a href="https://stspg.io/abc">incident</a></body></html>"#;
        let d = discover(html, &page("https://status.example.com"));
        assert_eq!(d.family, Some(PageFamily::Statuspage));
        assert_eq!(
            urls(&d),
            [
                "https://status.example.com/api/v2/summary.json",
                "https://status.example.com/history.atom",
                "https://status.example.com/history.rss",
                "https://status.example.com/feed.rss",
            ]
        );
        assert_eq!(d.candidates[0].kind, SourceKind::StatusApi);
    }

    #[test]
    fn an_incidentio_page_is_told_by_its_markers() {
        let html = r#"<html><head><link rel="alternate" type="application/rss+xml" href="/feed.rss">
            <script>fetch("/proxy/status.example.com")</script></head>
            <body>Powered by incident.io</body></html>"#;
        let d = discover(html, &page("https://status.example.com/"));
        assert_eq!(d.family, Some(PageFamily::Incidentio));
        assert_eq!(
            urls(&d)[..2],
            [
                "https://status.example.com/api/v2/summary.json",
                "https://status.example.com/feed.rss",
            ]
        );
    }

    #[test]
    fn a_history_atom_link_alone_marks_statuspage() {
        let html = r#"<link rel="alternate" type="application/atom+xml" href="/history.atom">"#;
        let d = discover(html, &page("https://status.example.com/"));
        assert_eq!(d.family, Some(PageFamily::Statuspage));
    }

    #[test]
    fn malformed_html_yields_what_can_be_read_and_never_panics() {
        let base = page("https://status.example.com/");
        for html in [
            "",
            "<link",
            "<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/x.atom",
            "<link rel=alternate type=application/atom+xml href=/ok.atom <p>",
            "<<<link>>> <link = = > <link rel=\"alternate\" type=\"application/atom+xml\" href=\"/y.atom\"/>",
            "\u{feff}<link rel=\"alternate\" type=\"application/rss+xml\" href=\"/é.rss\">",
            "<link rel=\"alternate\" type=\"application/atom+xml\" href=\"http://[::1\">",
        ] {
            let d = discover(html, &base);
            assert!(
                d.candidates
                    .iter()
                    .any(|c| c.url == "https://status.example.com/history.atom"),
                "conventional paths remain for {html:?}"
            );
        }
        let d = discover(
            "<link rel=alternate type=application/atom+xml href=/ok.atom <p>",
            &base,
        );
        assert_eq!(urls(&d)[0], "https://status.example.com/ok.atom");
        let d = discover(
            "<<<link>>> <link = = > <link rel=\"alternate\" type=\"application/atom+xml\" href=\"/y.atom\"/>",
            &base,
        );
        assert_eq!(urls(&d)[0], "https://status.example.com/y.atom");
        let d = discover(
            "<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/x.atom",
            &base,
        );
        assert_ne!(
            urls(&d)[0],
            "https://status.example.com/x.atom",
            "an unclosed tag is not trusted"
        );
    }

    #[test]
    fn many_links_are_capped() {
        let html: String = (0..50)
            .map(|i| format!("<link rel=alternate type=application/rss+xml href=/c{i}.rss>"))
            .collect();
        let d = discover(&html, &page("https://status.example.com/"));
        let linked = d
            .candidates
            .iter()
            .filter(|c| c.origin == Origin::Linked)
            .count();
        assert_eq!(linked, MAX_LINKED);
    }
}
