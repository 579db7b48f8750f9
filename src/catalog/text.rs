//! Small text helpers for the catalog: source positions, vendor slugs, entity decoding, escaping.
//!
//! Kept apart from the reader and writer so each rule has one home and one table of tests.

/// 1-based line and column (in characters, not bytes) of a byte offset in `text`.
///
/// quick-xml reports byte offsets; people and editors count lines and characters.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    // A byte offset inside a multi-byte character would make the slice below panic.
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Suffixes that feed titles carry but vendor names do not ("GitHub Status - Incident History").
const TITLE_SUFFIXES: [&str; 5] = [
    " - incident history",
    " incident history",
    " status page",
    " status",
    " -",
];

/// A short lowercase vendor key from a human title: "Amazon Web Services" → "amazon-web-services",
/// "Zoom Status" → "zoom". Letters outside ASCII are kept (lowercased) rather than guessed at.
pub(crate) fn vendor_slug(title: &str) -> String {
    let mut name = title.trim().to_lowercase();
    // Strip repeatedly: "Foo Status - Incident History" loses both suffixes.
    loop {
        let before = name.len();
        for suffix in TITLE_SUFFIXES {
            if let Some(stripped) = name.strip_suffix(suffix) {
                name = stripped.trim_end().to_string();
            }
        }
        if name.len() == before {
            break;
        }
    }
    let mut slug = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

/// Decodes HTML character references left in a title after XML unescaping.
///
/// Some feed readers escape titles twice (`text="AT&amp;amp;T"`, `&amp;#8217;`), so after the XML
/// layer the title still reads `AT&amp;T`. References that do not resolve are left as written, so
/// a title such as "R&D; Ops" survives.
pub(crate) fn decode_html_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        // Longest HTML5 entity names are 31 characters; look no further for the ';'.
        let decoded = after
            .char_indices()
            .take(33)
            .find(|&(_, c)| c == ';')
            .and_then(|(semi, _)| resolve_reference(&after[..semi]).map(|d| (d, semi)));
        match decoded {
            Some((text, semi)) => {
                out.push_str(&text);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Resolves the inside of one `&...;` reference: `#38`, `#x26`, or a named HTML5 entity.
fn resolve_reference(name: &str) -> Option<String> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        return char::from_u32(code).map(String::from);
    }
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    crate::entities::named_entity(name).map(String::from)
}

/// Escapes text for a double-quoted XML attribute value (or element text).
///
/// Tabs and line breaks are written as character references because XML parsers turn literal ones
/// in attributes into spaces; other control characters cannot appear in XML 1.0 at all and are
/// dropped, since a catalog title or URL has no use for them.
pub(crate) fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_cases() {
        let text = "ab\ncdé\n\nxyz";
        let cases = [
            (0, (1, 1)),
            (2, (1, 3)),
            (3, (2, 1)),
            (5, (2, 3)),
            (7, (2, 4)), // after the two-byte 'é'
            (6, (2, 3)), // inside 'é': rounded down to its start
            (8, (3, 1)),
            (9, (4, 1)),
            (100, (4, 4)),
        ];
        for (offset, want) in cases {
            assert_eq!(line_col(text, offset), want, "offset {offset}");
        }
    }

    #[test]
    fn vendor_slug_cases() {
        let cases = [
            ("Zoom", "zoom"),
            ("Amazon Web Services", "amazon-web-services"),
            ("GitHub Status", "github"),
            ("StreamYard Status - Incident History", "streamyard"),
            ("Linode / Akamai Cloud", "linode-akamai-cloud"),
            ("  Slack   Status Page ", "slack"),
            ("Status", "status"),
            ("Pokémon GO", "pokémon-go"),
            ("AT&T", "at-t"),
            ("Microsoft 365", "microsoft-365"),
            ("(beta) Foo!", "beta-foo"),
            ("", ""),
            ("!!!", ""),
        ];
        for (title, want) in cases {
            assert_eq!(vendor_slug(title), want, "title {title:?}");
        }
    }

    #[test]
    fn decode_html_entities_cases() {
        let cases = [
            ("plain", "plain"),
            ("AT&amp;T", "AT&T"),
            ("Bob&#8217;s", "Bob’s"),
            ("Bob&#x2019;s", "Bob’s"),
            ("caf&eacute;&nbsp;bar", "café\u{a0}bar"),
            ("R&D; Ops", "R&D; Ops"),
            ("AT&T", "AT&T"),
            ("a & b", "a & b"),
            ("&unknownentity;", "&unknownentity;"),
            ("&#xZZ;", "&#xZZ;"),
            ("trailing &", "trailing &"),
            ("&&amp;", "&&"),
        ];
        for (input, want) in cases {
            assert_eq!(decode_html_entities(input), want, "input {input:?}");
        }
    }

    #[test]
    fn escape_xml_cases() {
        let cases = [
            ("plain", "plain"),
            ("a&b<c>d", "a&amp;b&lt;c&gt;d"),
            ("say \"hi\" it's", "say &quot;hi&quot; it&apos;s"),
            ("line\nbreak\ttab", "line&#10;break&#9;tab"),
            ("bell\u{7}", "bell"),
            ("Zürich ☁", "Zürich ☁"),
        ];
        for (input, want) in cases {
            assert_eq!(escape_xml(input), want, "input {input:?}");
        }
    }
}
