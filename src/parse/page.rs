//! A plain status page with no feed or API: the text under a CSS selector says the state.
//!
//! The page is parsed as HTML5 (the `scraper` crate: a real parser, since the selector may name any
//! element of a page we do not control), every element the selector matches is turned into plain text by
//! [`super::html::to_text`] (so active content dies as everywhere else), and the texts are joined with
//! blanks collapsed. The result is one [`Entry`] whose id hashes the text: a page that says something new
//! is a new entry, and the old one, gone from the document, closes its incident as any vanished entry
//! does. Its `severity` records whether the text matched the feed's `expect` pattern (`expected` /
//! `unexpected`, absent without one), which the classify rules `page-expected` and `page-unexpected`
//! read: the verdict stays in the archive, so `reclassify` reaches the same one.
//!
//! A selector that matches nothing is an error, never "operational": the page's markup changed, and a
//! watcher that keeps saying "all good" about a page it no longer reads is worse than a failing source.

use regex::Regex;
use scraper::error::SelectorErrorKind;
use scraper::{Html, Selector};

use super::{html, identity, PageWatch, ParseError, ParseOptions};
use crate::model::{Engine, Entry, ParsedFeed, ServiceState};

/// Longest title kept for a page's entry, in bytes: the whole text stays in `content`.
const TITLE_BYTES: usize = 160;

/// `severity` of a page entry whose text matched the feed's `expect` pattern.
pub const EXPECTED: &str = "expected";
/// `severity` of a page entry whose text did not match the feed's `expect` pattern.
pub const UNEXPECTED: &str = "unexpected";

/// Why a page watch's settings cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PageWatchError {
    #[error("{selector:?} is not a CSS selector ({reason}): write one like \"main .status\" or \"#current-status p\"")]
    Selector { selector: String, reason: String },
    #[error("it is empty: name the element whose text says the state, such as \"main .status\"")]
    EmptySelector,
    #[error("{pattern:?} is not a valid regular expression: {reason}")]
    Expect { pattern: String, reason: String },
}

impl PageWatch {
    /// A page watch whose selector parses as CSS and whose `expect` compiles: what the catalog and
    /// `feeds add` check before they keep one, so a poll never meets a broken one.
    pub fn new(selector: &str, expect: Option<&str>) -> Result<PageWatch, PageWatchError> {
        compile_selector(selector)?;
        if let Some(pattern) = expect {
            compile_expect(pattern)?;
        }
        Ok(PageWatch {
            selector: selector.trim().to_string(),
            expect: expect.map(str::to_string),
        })
    }
}

fn compile_selector(selector: &str) -> Result<Selector, PageWatchError> {
    let selector = selector.trim();
    if selector.is_empty() {
        return Err(PageWatchError::EmptySelector);
    }
    Selector::parse(selector).map_err(|e| PageWatchError::Selector {
        selector: selector.to_string(),
        reason: selector_reason(&e),
    })
}

/// The parser's complaint in words: scraper shows a selector-level fault as "Unexpected error
/// occurred. Please report this to the developer" and the kind's name, which helps nobody.
fn selector_reason(e: &SelectorErrorKind) -> String {
    match e {
        SelectorErrorKind::UnexpectedSelectorParseError(kind) => {
            let name = format!("{kind:?}");
            let name = name.split('(').next().unwrap_or_default();
            let mut words = String::new();
            for c in name.chars() {
                if c.is_uppercase() && !words.is_empty() {
                    words.push(' ');
                }
                words.extend(c.to_lowercase());
            }
            words
        }
        other => collapse(&other.to_string()),
    }
}

fn compile_expect(pattern: &str) -> Result<Regex, PageWatchError> {
    Regex::new(pattern).map_err(|e| PageWatchError::Expect {
        pattern: pattern.to_string(),
        // The regex crate's message is several lines with a caret under the fault; its last
        // line says what is wrong.
        reason: e
            .to_string()
            .lines()
            .last()
            .map(|l| l.trim().trim_start_matches("error: ").to_string())
            .unwrap_or_default(),
    })
}

/// Reads the state a status page shows under `watch.selector`.
pub(super) fn parse(
    body: &str,
    watch: &PageWatch,
    opts: &ParseOptions,
) -> Result<ParsedFeed, ParseError> {
    // Settings come checked from the catalog; one stored before the check, or edited in the
    // database by hand, fails this source alone with the reason.
    let selector = compile_selector(&watch.selector)
        .map_err(|e| ParseError::Page(format!("the feed's selector is unusable: {e}")))?;
    let expect = watch
        .expect
        .as_deref()
        .map(compile_expect)
        .transpose()
        .map_err(|e| ParseError::Page(format!("the feed's expect is unusable: {e}")))?;

    let document = Html::parse_document(body);
    let text = collapse(
        &document
            .select(&selector)
            .map(|element| html::to_text(&element.inner_html()))
            .collect::<Vec<_>>()
            .join(" "),
    );
    if text.is_empty() {
        return Err(ParseError::Page(format!(
            "the selector {:?} matched nothing on this page (or only empty elements): its markup has probably changed. \
             Open the page, find the element that says the state, and update the feed's `selector` \
             (the OPML attribute, or `feeds remove` and `feeds add URL --selector CSS`)",
            watch.selector
        )));
    }

    let url = opts.feed_url.clone().unwrap_or_default();
    let matched = expect.as_ref().map(|re| re.is_match(&text));
    let entry = Entry {
        id: identity::page_entry_id(&url, &text),
        id_derived: true,
        title: html::truncate(text.clone(), TITLE_BYTES),
        link: (!url.is_empty()).then(|| url.clone()),
        // The page gives no time: the store stamps the entry with its own.
        published: None,
        updated: None,
        content: text,
        updates: Vec::new(),
        components: Vec::new(),
        incident_key: None,
        severity: matched.map(|m| (if m { EXPECTED } else { UNEXPECTED }).to_string()),
        language: None,
    };
    Ok(ParsedFeed {
        title: document
            .select(&title_selector())
            .next()
            .map(|t| collapse(&t.text().collect::<String>()))
            .filter(|t| !t.is_empty()),
        engine: Engine::Page,
        entries: vec![entry],
        repaired: false,
        components: None,
        // The page shows what holds now: when its text changes, the old text's incident ended.
        lists_open: true,
        // The page's own word only when it says the expected all-good text; otherwise the
        // classification of its text decides (the pipeline fills it in after classifying).
        overall: (matched == Some(true)).then_some(ServiceState::Operational),
        notes: Vec::new(),
        capped: None,
    })
}

/// The `<title>` selector, a literal the unit tests run.
#[allow(clippy::expect_used)]
fn title_selector() -> Selector {
    Selector::parse("title").expect("a literal selector parses")
}

/// One line: runs of whitespace (newlines between blocks included) become one blank.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(selector: &str, expect: Option<&str>) -> ParseOptions {
        ParseOptions {
            engine: None,
            feed_url: Some("https://status.example.org/".into()),
            page: Some(PageWatch {
                selector: selector.into(),
                expect: expect.map(str::to_string),
            }),
            ..ParseOptions::default()
        }
    }

    fn read(body: &str, selector: &str, expect: Option<&str>) -> Result<ParsedFeed, ParseError> {
        let o = opts(selector, expect);
        let watch = o.page.clone().unwrap();
        parse(body, &watch, &o)
    }

    const SIGNAL: &str = "<!doctype html><html><head><title>Signal Status</title>\
        <script>var s = 'outage';</script></head><body><main><div class=\"status\">\
        <h2>Signal is up\n and running.</h2><script>alert(1)</script></div>\
        <p class=\"note\">Other text</p></main></body></html>";

    #[test]
    fn reads_the_text_under_the_selector() {
        let parsed = read(SIGNAL, ".status", None).unwrap();
        assert_eq!(parsed.engine, Engine::Page);
        assert_eq!(parsed.title.as_deref(), Some("Signal Status"));
        assert_eq!(parsed.entries.len(), 1);
        let e = &parsed.entries[0];
        assert_eq!(e.content, "Signal is up and running.");
        assert_eq!(e.title, "Signal is up and running.");
        assert!(e.id.starts_with("https://status.example.org/#"), "{}", e.id);
        assert_eq!(e.severity, None);
        assert_eq!(e.published, None);
        assert_eq!(parsed.overall, None);
    }

    #[test]
    fn all_matches_join_and_controls_go() {
        let body = "<ul><li class=s>API\u{1}: up</li><li class=s> Web:\tdown </li></ul>";
        let e = &read(body, "li.s", None).unwrap().entries[0];
        assert_eq!(e.content, "API: up Web: down");
    }

    #[test]
    fn the_id_follows_the_text() {
        let a = &read(SIGNAL, ".status", None).unwrap().entries[0];
        let again = &read(SIGNAL, ".status", None).unwrap().entries[0];
        let changed = read(&SIGNAL.replace("up\n and running", "down"), ".status", None).unwrap();
        assert_eq!(a.id, again.id);
        assert_ne!(a.id, changed.entries[0].id);
    }

    #[test]
    fn expect_records_its_verdict() {
        let ok = read(SIGNAL, ".status", Some("(?i)up and running")).unwrap();
        assert_eq!(ok.entries[0].severity.as_deref(), Some(EXPECTED));
        assert_eq!(ok.overall, Some(ServiceState::Operational));
        let not = read(SIGNAL, ".status", Some("all good")).unwrap();
        assert_eq!(not.entries[0].severity.as_deref(), Some(UNEXPECTED));
        assert_eq!(not.overall, None);
    }

    #[test]
    fn a_selector_that_matches_nothing_fails() {
        for selector in [".gone", "p.empty"] {
            let body = "<html><body><p class=empty> </p></body></html>";
            let err = read(body, selector, None).unwrap_err().to_string();
            assert!(err.contains("matched nothing"), "{err}");
            assert!(err.contains(selector), "{err}");
            assert!(err.contains("update the feed's `selector`"), "{err}");
        }
    }

    #[test]
    fn long_text_is_cut_for_the_title_only() {
        let long = "word ".repeat(100);
        let e = &read(&format!("<p id=x>{long}</p>"), "#x", None)
            .unwrap()
            .entries[0];
        assert!(e.title.len() <= TITLE_BYTES + '…'.len_utf8());
        assert!(e.title.ends_with('…'));
        assert_eq!(e.content, long.trim());
    }

    #[test]
    fn settings_are_checked() {
        assert!(PageWatch::new("main .status", Some("up and running")).is_ok());
        let err = PageWatch::new("div[", None).unwrap_err().to_string();
        assert!(err.starts_with("\"div[\" is not a CSS selector"), "{err}");
        let err = PageWatch::new("p >", None).unwrap_err().to_string();
        assert!(err.contains("(dangling combinator)"), "{err}");
        assert_eq!(
            PageWatch::new("  ", None),
            Err(PageWatchError::EmptySelector)
        );
        let err = PageWatch::new("p", Some("(unclosed"))
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("not a valid regular expression: unclosed group"),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
        // A stored broken setting fails the source, not the process.
        let err = read(SIGNAL, "div[", None).unwrap_err();
        assert!(matches!(err, ParseError::Page(_)));
    }
}
