//! Writing [`FeedSpec`]s as an OPML 2.0 document, one folder per category.
//!
//! The output is meant to be read back by [`super::parse_opml`] (and by any feed reader), so every
//! field a `FeedSpec` holds is written as an attribute, and the feed's own `category` is written
//! so that reading it back does not depend on the folder it sits in, except for a category with a
//! comma: OPML 2.0's `category` is a comma-separated list, so there the folder (named by the
//! category) carries it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::text::escape_xml;
use crate::model::{Dependency, FeedSpec};

/// The folder for feeds that have no category.
const UNCATEGORISED: &str = "other";

/// Writes feeds as an OPML 2.0 document, grouped by category.
///
/// Folders are sorted by name; feeds keep their given order inside a folder. A feed without a
/// category goes in the "other" folder with `category=""`, which reads back as no category.
pub fn to_opml(feeds: &[FeedSpec], title: &str) -> String {
    to_opml_at(feeds, title, Utc::now())
}

/// [`to_opml`] with the creation time given, so tests get a fixed document.
fn to_opml_at(feeds: &[FeedSpec], title: &str, now: DateTime<Utc>) -> String {
    let mut folders: BTreeMap<&str, Vec<&FeedSpec>> = BTreeMap::new();
    for feed in feeds {
        let folder = feed.category.as_deref().unwrap_or(UNCATEGORISED);
        folders.entry(folder).or_default().push(feed);
    }

    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<opml version=\"2.0\">\n");
    out.push_str("  <head>\n");
    out.push_str(&format!("    <title>{}</title>\n", escape_xml(title)));
    // OPML 2.0 asks for RFC 822 dates here.
    out.push_str(&format!(
        "    <dateCreated>{}</dateCreated>\n",
        now.to_rfc2822()
    ));
    out.push_str("  </head>\n");
    out.push_str("  <body>\n");
    for (folder, feeds) in folders {
        let folder = escape_xml(folder);
        out.push_str(&format!(
            "    <outline text=\"{folder}\" title=\"{folder}\">\n"
        ));
        for feed in feeds {
            out.push_str("      <outline");
            let title = escape_xml(&feed.title);
            push_attr(&mut out, "text", &title);
            push_attr(&mut out, "title", &title);
            push_attr(&mut out, "type", "rss");
            push_attr(&mut out, "xmlUrl", &escape_xml(&feed.url));
            if let Some(html_url) = &feed.html_url {
                push_attr(&mut out, "htmlUrl", &escape_xml(html_url));
            }
            if !feed.vendor.is_empty() {
                push_attr(&mut out, "vendor", &escape_xml(&feed.vendor));
            }
            if let Some(engine) = feed.engine {
                push_attr(&mut out, "engine", engine.as_str());
            }
            let category = feed.category.as_deref().unwrap_or("");
            // Read back, "a,b" would be the list [a, b] and the category "a" (a folder named
            // ",x" even became no category): the folder named by the category says it whole.
            if !category.contains(',') {
                push_attr(&mut out, "category", &escape_xml(category));
            }
            if let Some(schedule) = &feed.schedule {
                push_attr(&mut out, "schedule", &escape_xml(schedule));
            }
            if let Some(selector) = &feed.selector {
                push_attr(&mut out, "selector", &escape_xml(selector));
            }
            if let Some(expect) = &feed.expect {
                push_attr(&mut out, "expect", &escape_xml(expect));
            }
            if !feed.runs_on.is_empty() {
                let runs_on = Dependency::list_text(&feed.runs_on);
                push_attr(&mut out, "runs_on", &escape_xml(&runs_on));
            }
            if let Some(name) = &feed.auth_env {
                push_attr(&mut out, "auth_env", &escape_xml(name));
            }
            out.push_str("/>\n");
        }
        out.push_str("    </outline>\n");
    }
    out.push_str("  </body>\n");
    out.push_str("</opml>\n");
    out
}

/// Appends ` name="value"`; `escaped` must already be escaped.
fn push_attr(out: &mut String, name: &str, escaped: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    out.push_str(escaped);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::parse_opml;
    use crate::model::Engine;
    use chrono::TimeZone;

    fn spec(url: &str, title: &str, vendor: &str, category: Option<&str>) -> FeedSpec {
        FeedSpec {
            url: url.into(),
            title: title.into(),
            vendor: vendor.into(),
            category: category.map(Into::into),
            ..FeedSpec::default()
        }
    }

    fn tricky_feeds() -> Vec<FeedSpec> {
        vec![
            FeedSpec {
                engine: Some(Engine::Statuspage),
                html_url: Some("https://status.example.com/?a=1&b=<2>".into()),
                schedule: Some("0 */5 * * * *".into()),
                ..spec(
                    "https://status.example.com/history.atom?x=1&y=\"2\"",
                    "Tom & Jerry <\"Status\"> it's Zürich ☁ 東京",
                    "tom-jerry",
                    Some("saas"),
                )
            },
            spec("https://b.example/feed", "No category", "b", None),
            FeedSpec {
                engine: Some(Engine::Page),
                selector: Some(r#"main div[data-kind="a&b"] > p.status"#.into()),
                expect: Some(r#"(?i)^(?:up & running|<ok>|"fine")$"#.into()),
                ..spec("https://p.example/", "Page", "p", Some("consumer"))
            },
            FeedSpec {
                engine: Some(Engine::Aws),
                ..spec("https://a.example/feed", "A", "a", Some("cloud"))
            },
            FeedSpec {
                runs_on: crate::model::Dependency::parse_list("a:us-east-1,a:eu-west-1,cdn")
                    .unwrap(),
                ..spec("https://h.example/feed", "H", "h", Some("cloud"))
            },
            spec("https://c.example/feed", "Custom", "c", Some("Work & Play")),
            spec("https://d.example/feed", "D", "d", Some("cloud")),
            spec(
                "https://e.example/feed",
                "Line\nbreak\tand tab",
                "e",
                Some("other"),
            ),
        ]
    }

    /// The folder order `to_opml` writes: categories sorted, "other" for none, stable inside.
    fn catalog_order(feeds: &[FeedSpec]) -> Vec<FeedSpec> {
        let mut sorted = feeds.to_vec();
        sorted.sort_by(|a, b| {
            let key = |f: &FeedSpec| f.category.clone().unwrap_or_else(|| "other".into());
            key(a).cmp(&key(b))
        });
        sorted
    }

    /// What reading gives back: titles made one safe line (a line break and a tab written as
    /// references come back as spaces).
    fn as_read(feeds: &[FeedSpec]) -> Vec<FeedSpec> {
        feeds.iter().cloned().map(FeedSpec::cleaned).collect()
    }

    #[test]
    fn round_trip() {
        let feeds = tricky_feeds();
        let text = to_opml(&feeds, "Mine & <yours>");
        let back = parse_opml(&text, "export").unwrap();
        assert_eq!(back, catalog_order(&as_read(&feeds)));
    }

    #[test]
    fn round_trip_in_catalog_order_is_identity() {
        let feeds = as_read(&catalog_order(&tricky_feeds()));
        let back = parse_opml(&to_opml(&feeds, "x"), "export").unwrap();
        assert_eq!(back, feeds);
    }

    #[test]
    fn exact_document() {
        let now = Utc.with_ymd_and_hms(2026, 9, 30, 12, 0, 0).unwrap();
        let feeds = [
            FeedSpec {
                engine: Some(Engine::Statuspage),
                html_url: Some("https://z.example".into()),
                ..spec(
                    "https://z.example/history.atom",
                    "Zoom & Co",
                    "zoom",
                    Some("saas"),
                )
            },
            FeedSpec {
                runs_on: crate::model::Dependency::parse_list("aws:us-east-1,cloudflare").unwrap(),
                ..spec("https://a.example/feed", "A", "a", None)
            },
        ];
        let want = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head>
    <title>statuswatch feeds</title>
    <dateCreated>Wed, 30 Sep 2026 12:00:00 +0000</dateCreated>
  </head>
  <body>
    <outline text="other" title="other">
      <outline text="A" title="A" type="rss" xmlUrl="https://a.example/feed" vendor="a" category="" runs_on="aws:us-east-1,cloudflare"/>
    </outline>
    <outline text="saas" title="saas">
      <outline text="Zoom &amp; Co" title="Zoom &amp; Co" type="rss" xmlUrl="https://z.example/history.atom" htmlUrl="https://z.example" vendor="zoom" engine="statuspage" category="saas"/>
    </outline>
  </body>
</opml>
"#;
        assert_eq!(to_opml_at(&feeds, "statuswatch feeds", now), want);
    }

    #[test]
    fn a_category_with_a_comma_reads_back_whole_from_its_folder() {
        // Fuzz (fuzz/regressions/opml/folder-name-with-commas.opml): a feed in the folder
        // ",Status,pages" read back as uncategorised, and moved to the "other" folder.
        let feeds = vec![
            spec("https://a.example/feed", "A", "a", Some(",Status,pages")),
            spec("https://b.example/feed", "B", "b", Some("Dev, Ops/cloud")),
        ];
        let text = to_opml(&feeds, "x");
        assert!(!text.contains("category=\",Status"), "{text}");
        let back = parse_opml(&text, "export").unwrap();
        assert_eq!(back, feeds);
        assert_eq!(parse_opml(&to_opml(&back, "x"), "export").unwrap(), back);
    }

    #[test]
    fn empty_catalog_is_well_formed() {
        let text = to_opml(&[], "none");
        assert!(text.contains("<body>\n  </body>"));
        // Readable, but rejected for listing no feed.
        assert!(matches!(
            parse_opml(&text, "x"),
            Err(crate::catalog::CatalogError::NoFeeds { .. })
        ));
    }
}
