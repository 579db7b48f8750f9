//! Catalog stage: OPML ⇄ [`FeedSpec`]s.
//!
//! The catalog is the list of feeds statuswatch watches, kept as an OPML file so that users can move
//! it between statuswatch and any feed reader, and keep it in git. Reading is strict but friendly:
//! the whole document is checked before anything is returned, and every problem is reported at once
//! with its line, so a user fixes a hand-edited file in one pass instead of one error per run.
//! Writing produces OPML 2.0 that reads back to the same feeds.
//!
//! [`discover`] reads a status page's HTML for the sources it offers (no I/O either: the command
//! that adds a page fetches them).
//!
//! statuswatch adds its own outline attributes (`vendor`, `engine`, `category`, `schedule`,
//! `selector`, `expect`, `runs_on`); feed readers ignore unknown attributes, so an exported catalog
//! stays an ordinary OPML file. `runs_on="aws:us-east-1,cloudflare"` lists what the vendor runs
//! on: other feeds' vendor keys, each with its region when known, read by
//! [`crate::model::Dependency::parse_list_for`] (a vendor naming itself is a problem of its line).

pub mod discover;
mod read;
mod text;
mod write;

pub use read::{parse_opml, parse_opml_noting, parse_replay_opml};
pub use write::to_opml;

use std::fmt;

#[cfg(doc)]
use crate::model::FeedSpec;

/// The default catalog, built from the shared status-feed catalog, compiled into the binary.
pub const BUNDLED_OPML: &str = include_str!("../../feeds.opml");

/// The categories the bundled catalog uses; a folder with one of these names (any case) gives its
/// feeds that category, lowercased.
pub const CATEGORIES: [&str; 7] = [
    "cloud", "saas", "gaming", "bank", "telecom", "consumer", "gov",
];

/// One thing wrong with one outline, located in the source document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutlineProblem {
    /// 1-based line of the outline (or of the offending attribute, when there is one).
    pub line: usize,
    /// 1-based column (in characters) of the offending attribute; `None` when the outline as a whole
    /// is the problem.
    pub column: Option<usize>,
    /// The outline's `text` (or `title`), so the user can find it even in a reformatted file.
    pub outline_text: String,
    /// What is wrong and what to do, phrased to follow `outline "<text>"`.
    pub message: String,
}

impl fmt::Display for OutlineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(column) = self.column {
            write!(f, ", column {column}")?;
        }
        if self.outline_text.is_empty() {
            write!(f, ": an outline without text {}", self.message)
        } else {
            write!(f, ": outline {:?} {}", self.outline_text, self.message)
        }
    }
}

/// Why an OPML document was rejected. Every variant names the source and, where there is one, the line.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The text is not well-formed XML (or not XML at all). Parsing stops at the first such error,
    /// since nothing after it can be located reliably.
    #[error("{source_name}: line {line}, column {column}: {message}")]
    Xml {
        source_name: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// Well-formed XML whose root element is not `<opml>`.
    #[error("{source_name}: line {line}: not an OPML document: the root element is <{found}>, expected <opml>{hint}")]
    NotOpml {
        source_name: String,
        line: usize,
        found: String,
        /// Extra advice for common mix-ups (a feed given where a feed list was expected).
        hint: String,
    },
    /// An `<opml>` document without a `<body>`.
    #[error("{source_name}: line {line}: the <opml> element has no <body>: put the feed outlines inside <body>…</body>")]
    NoBody { source_name: String, line: usize },
    /// One or more outlines are wrong; all of them are listed.
    #[error("{}", render_problems(source_name, problems))]
    Outlines {
        source_name: String,
        problems: Vec<OutlineProblem>,
    },
    /// A valid OPML document that lists no feed.
    #[error("{source_name}: no feed outlines (outlines with xmlUrl) found: add <outline text=\"Name\" xmlUrl=\"https://...\"/> inside <body>")]
    NoFeeds { source_name: String },
}

impl CatalogError {
    /// The outline problems, when that is what the error is (empty otherwise).
    pub fn problems(&self) -> &[OutlineProblem] {
        match self {
            CatalogError::Outlines { problems, .. } => problems,
            _ => &[],
        }
    }
}

/// One problem per line, each prefixed by the source name, as compilers do, so editors can jump to it.
fn render_problems(source_name: &str, problems: &[OutlineProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("{source_name}: {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Engine;
    use std::collections::{BTreeMap, HashSet};

    /// Feed outlines in feeds.opml: every high/medium service of shared/catalog/status-feeds.md,
    /// one per service, minus Auth0 (its feed is per tenant) and with Fortnite and Rocket League folded
    /// into Epic Games (they share its feed): 48; plus PlayStation Network's three regional JSON
    /// documents, the one JSON-only source of that catalog a reader exists for. Change it
    /// together with feeds.opml.
    const BUNDLED_FEEDS: usize = 51;

    #[test]
    fn bundled_catalog_parses_cleanly() {
        let feeds = parse_opml(BUNDLED_OPML, "feeds.opml").unwrap();
        assert_eq!(feeds.len(), BUNDLED_FEEDS);
        let outlines_with_url = BUNDLED_OPML.matches("xmlUrl=").count();
        assert_eq!(
            outlines_with_url, BUNDLED_FEEDS,
            "no duplicate was silently dropped"
        );
    }

    #[test]
    fn bundled_catalog_is_consistent() {
        let feeds = parse_opml(BUNDLED_OPML, "feeds.opml").unwrap();
        let mut vendors = HashSet::new();
        let mut urls = HashSet::new();
        for feed in &feeds {
            let category = feed.category.as_deref().unwrap_or("(none)");
            assert!(
                CATEGORIES.contains(&category),
                "{}: category {category}",
                feed.vendor
            );
            assert!(
                vendors.insert(feed.vendor.clone()),
                "duplicate vendor {}",
                feed.vendor
            );
            assert!(urls.insert(feed.url.clone()), "duplicate url {}", feed.url);
            assert!(
                feed.url.starts_with("https://"),
                "{}: {}",
                feed.vendor,
                feed.url
            );
            assert!(feed.engine.is_some(), "{}: no engine", feed.vendor);
            let html = feed.html_url.as_deref().unwrap_or("");
            assert!(
                html.starts_with("https://"),
                "{}: htmlUrl {html:?}",
                feed.vendor
            );
            assert!(!feed.title.is_empty());
            assert!(
                feed.vendor
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "vendor {:?} is not a slug",
                feed.vendor
            );
            assert_eq!(
                feed.schedule, None,
                "the bundled catalog uses the global schedule"
            );
        }
    }

    #[test]
    fn bundled_catalog_category_counts() {
        let feeds = parse_opml(BUNDLED_OPML, "feeds.opml").unwrap();
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for feed in &feeds {
            *counts
                .entry(feed.category.as_deref().unwrap_or(""))
                .or_default() += 1;
        }
        let expected: BTreeMap<&str, usize> = [
            ("cloud", 13),
            ("consumer", 5),
            ("gaming", 5),
            ("gov", 1),
            ("saas", 27),
        ]
        .into_iter()
        .collect();
        assert_eq!(counts, expected);
    }

    #[test]
    fn bundled_catalog_pins_the_feeds_the_brief_names() {
        let feeds = parse_opml(BUNDLED_OPML, "feeds.opml").unwrap();
        let by_vendor = |v: &str| feeds.iter().find(|f| f.vendor == v).unwrap();
        assert_eq!(
            by_vendor("aws").url,
            "https://status.aws.amazon.com/rss/all.rss"
        );
        assert_eq!(by_vendor("aws").engine, Some(Engine::Aws));
        assert_eq!(
            by_vendor("github").url,
            "https://www.githubstatus.com/history.atom"
        );
        assert_eq!(by_vendor("heroku").engine, Some(Engine::Generic));
        assert_eq!(by_vendor("hmrc").engine, Some(Engine::Govuk));
        // PSN's regions, as the shared catalog names them.
        for region in ["SCEE", "SCEA", "SCEJA"] {
            let psn = by_vendor(&format!("playstation-{}", region.to_ascii_lowercase()));
            assert_eq!(
                psn.url,
                format!("https://status.playstation.com/data/statuses/region/{region}.json")
            );
            assert_eq!(psn.engine, Some(Engine::Playstation));
        }
        // Every Statuspage feed is the Atom history, as chosen for the catalog.
        for feed in feeds
            .iter()
            .filter(|f| f.engine == Some(Engine::Statuspage))
        {
            if feed.vendor != "ring" {
                assert!(feed.url.ends_with("/history.atom"), "{}", feed.url);
            }
        }
    }

    /// Vendors of feeds.opml with a `runs_on`, each from a public statement cited above it.
    /// Change it together with feeds.opml.
    const BUNDLED_WITH_RUNS_ON: usize = 17;

    #[test]
    fn bundled_runs_on_names_cloud_vendors_of_the_catalog() {
        let feeds = parse_opml(BUNDLED_OPML, "feeds.opml").unwrap();
        let category: BTreeMap<&str, Option<&str>> = feeds
            .iter()
            .map(|f| (f.vendor.as_str(), f.category.as_deref()))
            .collect();
        let mapped: Vec<&str> = feeds
            .iter()
            .filter(|f| !f.runs_on.is_empty())
            .map(|f| f.vendor.as_str())
            .collect();
        assert_eq!(mapped.len(), BUNDLED_WITH_RUNS_ON, "{mapped:?}");
        for feed in &feeds {
            for dep in &feed.runs_on {
                let provider = dep.provider.as_str();
                assert_ne!(provider, feed.vendor, "{} runs on itself", feed.vendor);
                match category.get(provider) {
                    None => panic!(
                        "{} runs on {provider}, which is no vendor key of feeds.opml",
                        feed.vendor
                    ),
                    Some(c) => assert_eq!(
                        *c,
                        Some("cloud"),
                        "{} runs on {provider}, not a cloud vendor",
                        feed.vendor
                    ),
                }
            }
        }
    }

    /// Every outline with `runs_on` has the comment that cites it just above (outlines that
    /// share one source, such as Atlassian's products, follow it together).
    #[test]
    fn bundled_runs_on_cites_its_source() {
        let lines: Vec<&str> = BUNDLED_OPML.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !line.contains(" runs_on=\"") {
                continue;
            }
            let above = lines[..i]
                .iter()
                .rev()
                .find(|l| !l.contains(" runs_on=\""))
                .unwrap();
            assert!(
                above.trim_end().ends_with("-->"),
                "no comment above: {line}"
            );
            let start = lines[..i].iter().rposition(|l| l.contains("<!--")).unwrap();
            let comment = lines[start..i].join(" ");
            assert!(
                comment.contains("runs_on") && comment.contains("https://"),
                "the comment above cites no source: {line}"
            );
        }
    }

    #[test]
    fn bundled_catalog_round_trips() {
        let feeds = parse_opml(BUNDLED_OPML, "feeds.opml").unwrap();
        let again = parse_opml(&to_opml(&feeds, "statuswatch"), "export").unwrap();
        assert_eq!(again, feeds);
    }

    #[test]
    fn outline_problem_display() {
        let cases = [
            (
                OutlineProblem {
                    line: 12,
                    column: None,
                    outline_text: "Zoom".into(),
                    message: "has no xmlUrl attribute".into(),
                },
                "line 12: outline \"Zoom\" has no xmlUrl attribute",
            ),
            (
                OutlineProblem {
                    line: 3,
                    column: Some(9),
                    outline_text: String::new(),
                    message: "has no xmlUrl attribute".into(),
                },
                "line 3, column 9: an outline without text has no xmlUrl attribute",
            ),
        ];
        for (problem, want) in cases {
            assert_eq!(problem.to_string(), want);
        }
    }
}
