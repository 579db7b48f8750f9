//! Old feed dialects feed-rs does not read, rewritten into the ones it does, the way lenient
//! readers (feedparser) accept them:
//!
//! - **RSS without a `version`, or with one feed-rs does not know** (`0.93`, `0.94`, `2.0.1`,
//!   `2`): feed-rs reads only `2.0`, `0.91` and `0.92` and refuses the rest as "no feed root".
//!   Every RSS of the 0.9x–2.0 line is a subset of 2.0, so the root says `version="2.0"`.
//! - **Atom 0.3** (`xmlns="http://purl.org/atom/ns#"`): feed-rs reads the Atom 1.0 namespace
//!   only, so a 0.3 document parses with zero entries, silently. The namespace becomes 1.0's and
//!   the elements 1.0 renamed get their new names (`issued` → `published`, `modified` →
//!   `updated`, `tagline` → `subtitle`, `copyright` → `rights`); 0.3's `mode="escaped"` text
//!   constructs with a MIME `type` get 1.0's `type` words (`html`, `text`, `xhtml`).
//!
//! Pure text in, text out; borrowed when the document is neither.

use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

const ATOM_03_NS: &str = "http://purl.org/atom/ns#";
const ATOM_10_NS: &str = "http://www.w3.org/2005/Atom";

/// RSS versions feed-rs reads as they are.
const RSS_KNOWN: [&str; 3] = ["2.0", "0.91", "0.92"];

/// The root start tag: its byte range in `text`, skipping the declaration, comments, a doctype
/// and blanks.
pub(super) fn root_tag(text: &str) -> Option<(usize, usize)> {
    let mut at = 0;
    loop {
        let rest = &text[at..];
        let skipped = rest.len() - rest.trim_start().len();
        at += skipped;
        let rest = &text[at..];
        let close = if rest.starts_with("<?") {
            "?>"
        } else if rest.starts_with("<!--") {
            "-->"
        } else if rest.starts_with("<!") {
            at += declaration_len(rest)?;
            continue;
        } else if rest.starts_with('<') {
            // A root tag cut off before its `>` still names the element.
            let end = rest.find('>').map_or(text.len(), |p| at + p + 1);
            return Some((at, end));
        } else {
            return None;
        };
        at += rest.find(close)? + close.len();
    }
}

/// The length of a `<!DOCTYPE …>` (or other `<!…>`) declaration at the start of `rest`,
/// its internal subset (`[ <!ENTITY …> ]`) included: the first `>` may be inside it.
pub(super) fn declaration_len(rest: &str) -> Option<usize> {
    let first_close = rest.find('>')?;
    match rest.find('[') {
        Some(open) if open < first_close => {
            let subset_end = open + rest[open..].find(']')?;
            Some(subset_end + rest[subset_end..].find('>')? + 1)
        }
        _ => Some(first_close + 1),
    }
}

/// The element name of a start tag (`<rss version="2.0">` → `rss`).
pub(super) fn tag_name(tag: &str) -> &str {
    let inner = tag.trim_start_matches('<');
    let end = inner
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(inner.len());
    &inner[..end]
}

static VERSION_ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\sversion\s*=\s*("[^"]*"|'[^']*')"#).unwrap_or_else(|e| panic!("{e}"))
});

/// What was rewritten, for the parse's notes; `None` when nothing was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewritten {
    /// RSS whose version feed-rs does not know (or none), read as 2.0.
    RssVersion,
    /// Atom 0.3, read as 1.0.
    Atom03,
}

/// The document in a dialect feed-rs reads, and what was changed.
pub fn modernize(text: &str) -> (Cow<'_, str>, Option<Rewritten>) {
    let Some((start, end)) = root_tag(text) else {
        return (Cow::Borrowed(text), None);
    };
    let tag = &text[start..end];
    let name = tag_name(tag);
    if name.eq_ignore_ascii_case("rss") {
        let version = VERSION_ATTR
            .captures(tag)
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().trim_matches(['"', '\'']).trim());
        if version.is_some_and(|v| RSS_KNOWN.contains(&v)) && name == "rss" {
            return (Cow::Borrowed(text), None);
        }
        let attrs = VERSION_ATTR.replace(&tag[1 + name.len()..], "");
        let fixed = format!("<rss version=\"2.0\"{attrs}");
        let mut out = String::with_capacity(text.len() + 16);
        out.push_str(&text[..start]);
        out.push_str(&fixed);
        out.push_str(&text[end..]);
        // The closing tag must match a root renamed from another case (`<RSS>`).
        if name != "rss" {
            if let Some(close) = out.rfind(&format!("</{name}")) {
                out.replace_range(close + 2..close + 2 + name.len(), "rss");
            }
        }
        return (Cow::Owned(out), Some(Rewritten::RssVersion));
    }
    let local = name.rsplit(':').next().unwrap_or(name);
    let atom03 = local == "feed"
        && (tag.contains(ATOM_03_NS)
            || VERSION_ATTR
                .captures(tag)
                .and_then(|c| c.get(1))
                .is_some_and(|m| m.as_str().trim_matches(['"', '\'']) == "0.3"));
    if !atom03 {
        return (Cow::Borrowed(text), None);
    }
    (Cow::Owned(atom_03_to_10(text)), Some(Rewritten::Atom03))
}

static ATOM_03_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"xmlns:([A-Za-z_][\w.-]*)\s*=\s*["']http://purl\.org/atom/ns#["']"#)
        .unwrap_or_else(|e| panic!("{e}"))
});

static RENAMED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"<(/?)((?:[A-Za-z_][\w.-]*:)?)(issued|modified|tagline|copyright)([\s/>])")
        .unwrap_or_else(|e| panic!("{e}"))
});

static TEXT_CONSTRUCT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"<((?:[A-Za-z_][\w.-]*:)?)(title|summary|content|subtitle|tagline|rights|copyright)(\s[^>]*)>")
        .unwrap_or_else(|e| panic!("{e}"))
});

static TYPE_ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\stype\s*=\s*("[^"]*"|'[^']*')"#).unwrap_or_else(|e| panic!("{e}"))
});

static MODE_ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\smode\s*=\s*("[^"]*"|'[^']*')"#).unwrap_or_else(|e| panic!("{e}"))
});

fn atom_03_to_10(text: &str) -> String {
    // Only Atom's own elements are renamed: unprefixed ones (the default namespace is Atom's
    // in a 0.3 feed) and those under a prefix bound to it; `dcterms:modified` stays.
    let atom_prefixes: Vec<String> = ATOM_03_PREFIX
        .captures_iter(text)
        .filter_map(|c| c.get(1).map(|m| format!("{}:", m.as_str())))
        .collect();
    let text = text.replace(ATOM_03_NS, ATOM_10_NS);
    let renamed = RENAMED.replace_all(&text, |c: &regex::Captures| {
        let prefix = &c[2];
        if !prefix.is_empty() && !atom_prefixes.iter().any(|p| p == prefix) {
            return c[0].to_string();
        }
        let new = match &c[3] {
            "issued" => "published",
            "modified" => "updated",
            "tagline" => "subtitle",
            _ => "rights",
        };
        format!("<{}{prefix}{new}{}", &c[1], &c[4])
    });
    TEXT_CONSTRUCT
        .replace_all(&renamed, |c: &regex::Captures| {
            let attrs = &c[3];
            let value = |re: &Regex| {
                re.captures(attrs)
                    .and_then(|m| m.get(1))
                    .map(|m| m.as_str().trim_matches(['"', '\'']).to_ascii_lowercase())
            };
            let mode = value(&MODE_ATTR).unwrap_or_else(|| "xml".into());
            let kind = match (value(&TYPE_ATTR).as_deref(), mode.as_str()) {
                (Some("text/html"), "escaped") | (None, "escaped") => "html",
                (Some("application/xhtml+xml"), "xml") => "xhtml",
                (Some("text/html"), _) => "html",
                _ => "text",
            };
            let rest = MODE_ATTR.replace_all(attrs, "");
            let rest = TYPE_ATTR.replace_all(&rest, "");
            format!("<{}{} type=\"{kind}\"{rest}>", &c[1], &c[2])
        })
        .into_owned()
}

/// How many `<item>` and `<entry>` elements the text holds (any prefix): entries a reader
/// should have found.
pub fn item_elements(text: &str) -> usize {
    static ITEM: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s>/]").unwrap_or_else(|e| panic!("{e}"))
    });
    ITEM.find_iter(text).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_of_any_version_or_none_reads_as_2_0() {
        for root in [
            "<rss>",
            "<rss version=\"0.93\">",
            "<rss version='2.0.1' xmlns:dc=\"http://purl.org/dc/elements/1.1/\">",
            "<RSS>",
        ] {
            let doc = format!(
                "<?xml version=\"1.0\"?>\n<!-- c -->\n{root}<channel/></{}>",
                tag_name(root)
            );
            let (fixed, what) = modernize(&doc);
            assert_eq!(what, Some(Rewritten::RssVersion), "{root}");
            assert!(fixed.contains("<rss version=\"2.0\""), "{fixed}");
            assert!(fixed.ends_with("</rss>"), "{fixed}");
            assert_eq!(
                fixed.matches("version=").count(),
                2,
                "one for the declaration: {fixed}"
            );
        }
        let known = "<rss version=\"0.92\"><channel/></rss>";
        assert!(matches!(modernize(known), (Cow::Borrowed(_), None)));
        let atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\"/>";
        assert!(matches!(modernize(atom), (Cow::Borrowed(_), None)));
    }

    #[test]
    fn atom_0_3_reads_as_1_0_and_foreign_elements_keep_their_names() {
        let doc = r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#" xmlns:dcterms="http://purl.org/dc/terms/"><tagline>t</tagline><entry><title mode="escaped" type="text/html">A &amp;lt;b&amp;gt;</title><issued>2025-10-20T07:00:00Z</issued><modified>2025-10-20T07:05:00Z</modified><dcterms:modified>x</dcterms:modified><content type="application/xhtml+xml" mode="xml"><div>d</div></content></entry></feed>"#;
        let (fixed, what) = modernize(doc);
        assert_eq!(what, Some(Rewritten::Atom03));
        assert!(
            fixed.contains(r#"xmlns="http://www.w3.org/2005/Atom""#),
            "{fixed}"
        );
        assert!(
            fixed.contains("<published>2025-10-20T07:00:00Z</published>"),
            "{fixed}"
        );
        assert!(
            fixed.contains("<updated>2025-10-20T07:05:00Z</updated>"),
            "{fixed}"
        );
        assert!(
            fixed.contains("<dcterms:modified>x</dcterms:modified>"),
            "{fixed}"
        );
        assert!(fixed.contains("<subtitle>t</subtitle>"), "{fixed}");
        assert!(fixed.contains("<title type=\"html\">"), "{fixed}");
        assert!(fixed.contains("<content type=\"xhtml\">"), "{fixed}");
    }
}
