//! Markup → plain text, and link sanitising.
//!
//! Everything an extractor stores goes through here, so this is where active content dies: `<script>`,
//! `<style>` and friends are dropped with their contents, every tag is removed (attributes, and so event
//! handlers, with it), and links keep only the `http`/`https`/`mailto` schemes. A hand-written scanner
//! rather than an HTML5 parser: status-page markup is small and regular, and the scanner is linear in the
//! input with no allocation per tag, which matters for 5 MB bodies and 2,000 feeds a cycle.

/// Longest plain text kept for one field. Status bodies are a few KB; a multi-megabyte body is either an
/// accident or hostile, and classification only needs the beginning (the newest update comes first).
pub const MAX_TEXT_BYTES: usize = 1 << 20;

/// Elements whose contents are never text for people, dropped whole.
const DROPPED: &[&str] = &[
    "script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math", "head",
    "title",
];

/// Elements that end a line of text.
const BLOCK: &[&str] = &[
    "p",
    "br",
    "div",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "hr",
    "section",
    "article",
    "header",
    "footer",
    "dt",
    "dd",
    "dl",
];

/// Converts an HTML fragment (or plain text) to plain text: tags removed, entities decoded, one line per
/// block, runs of blanks collapsed. Never returns anything that a browser would run.
pub fn to_text(html: &str) -> String {
    let mut out = strip_once(html);
    // Content that was escaped twice (`&amp;lt;script&amp;gt;`) decodes to markup on the first pass;
    // run again until no tag-like text is left, then defuse whatever a pathological input still holds.
    let mut passes = 1;
    while has_tag_like(&out) {
        if passes >= 3 {
            out = out.replace('<', "\u{2039}");
            break;
        }
        out = strip_once(&out);
        passes += 1;
    }
    truncate(out, MAX_TEXT_BYTES)
}

/// Cuts `s` to at most `max` bytes on a character boundary, marking the cut.
pub fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

/// True when `s` holds something an HTML parser would read as a tag.
fn has_tag_like(s: &str) -> bool {
    let b = s.as_bytes();
    memchr::memchr_iter(b'<', b).any(|i| {
        b.get(i + 1)
            .is_some_and(|&n| n.is_ascii_alphabetic() || n == b'/' || n == b'!' || n == b'?')
    })
}

/// One pass of tag removal and entity decoding.
fn strip_once(html: &str) -> String {
    let bytes = html.as_bytes();
    let mut w = TextWriter::with_capacity(html.len().min(MAX_TEXT_BYTES + 16));
    // Text without any markup (an RSS description in plain text) keeps its line breaks: there are no
    // block tags to make lines, and "Affected: X" lines mean something.
    w.keep_newlines = !has_tag_like(html);
    let mut i = 0;
    // Plain runs are copied as whole slices, not byte by byte.
    let mut run_start = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => {
                w.push_str(&html[run_start..i]);
                i = handle_lt(html, i, &mut w);
                run_start = i;
            }
            b'&' => {
                w.push_str(&html[run_start..i]);
                let (decoded, next) = decode_entity(html, i);
                match decoded {
                    Some(Reference::Char(c)) => w.push_char(c),
                    Some(Reference::Named(text)) => w.push_str(text),
                    None => w.push_char('&'),
                }
                i = next;
                run_start = i;
            }
            // Jump to the next tag or reference (a vectorised search: most bytes are text).
            _ => i = memchr::memchr2(b'<', b'&', &bytes[i..]).map_or(bytes.len(), |p| i + p),
        }
        if w.len() > MAX_TEXT_BYTES {
            run_start = bytes.len();
            break;
        }
    }
    if run_start < bytes.len() {
        w.push_str(&html[run_start..]);
    }
    w.finish()
}

/// Handles the `<` at `i`; returns where scanning resumes.
fn handle_lt(html: &str, i: usize, w: &mut TextWriter) -> usize {
    let bytes = html.as_bytes();
    let rest = &html[i..];
    if rest.starts_with("<!--") {
        return find_from(html, i + 4, "-->").map_or(bytes.len(), |p| p + 3);
    }
    if rest.starts_with("<![CDATA[") {
        let start = i + 9;
        let end = find_from(html, start, "]]>").unwrap_or(bytes.len());
        w.push_str(&html[start..end]);
        return (end + 3).min(bytes.len());
    }
    let next = bytes.get(i + 1).copied().unwrap_or(b' ');
    if next == b'!' || next == b'?' {
        return tag_end(bytes, i + 1);
    }
    let closing = next == b'/';
    let name_start = if closing { i + 2 } else { i + 1 };
    let mut name_end = name_start;
    while name_end < bytes.len()
        && (bytes[name_end].is_ascii_alphanumeric() || bytes[name_end] == b'-')
    {
        name_end += 1;
    }
    if name_end == name_start || !bytes[name_start].is_ascii_alphabetic() {
        // "a < b", "<3": a literal less-than sign, not a tag.
        w.push_char('<');
        return i + 1;
    }
    let name = &html[name_start..name_end];
    let end = tag_end(bytes, name_end);
    if !closing && DROPPED.iter().any(|d| d.eq_ignore_ascii_case(name)) {
        return skip_element(html, end, name);
    }
    if BLOCK.iter().any(|b| b.eq_ignore_ascii_case(name)) {
        w.newline();
    } else if name.eq_ignore_ascii_case("td") || name.eq_ignore_ascii_case("th") {
        w.push_char(' ');
    }
    end
}

/// Index just past the `>` closing the tag that continues at `from`, honouring quoted attributes.
fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote: Option<u8> = None;
    let mut j = from;
    while j < bytes.len() {
        let c = bytes[j];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b'>' => return j + 1,
            None => {}
        }
        j += 1;
    }
    bytes.len()
}

/// Skips to just past `</name ...>` (case-insensitive), or to the end when it never closes.
fn skip_element(html: &str, from: usize, name: &str) -> usize {
    let bytes = html.as_bytes();
    let mut j = from;
    while let Some(p) = find_from(html, j, "</") {
        let s = p + 2;
        let e = s + name.len();
        if e <= bytes.len() && html.get(s..e).is_some_and(|n| n.eq_ignore_ascii_case(name)) {
            return tag_end(bytes, e);
        }
        j = p + 2;
    }
    bytes.len()
}

fn find_from(hay: &str, from: usize, needle: &str) -> Option<usize> {
    hay.get(from..)
        .and_then(|h| h.find(needle))
        .map(|p| p + from)
}

/// What a reference decodes to: one character (numeric) or an HTML5 name's text (one or two
/// characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    Char(char),
    Named(&'static str),
}

/// Decodes the entity starting at `i` (which holds `&`). Returns what it stands for, if anything, and
/// where to resume. Unknown or malformed references stay as literal text.
pub fn decode_entity(s: &str, i: usize) -> (Option<Reference>, usize) {
    let bytes = s.as_bytes();
    // Entity names are short (the longest HTML5 name has 31 bytes); look no further for the `;`.
    let limit = (i + 34).min(bytes.len());
    let Some(semi) = bytes[i + 1..limit]
        .iter()
        .position(|&b| b == b';')
        .map(|p| p + i + 1)
    else {
        return (None, i + 1);
    };
    let body = &s[i + 1..semi];
    let decoded = if let Some(num) = body.strip_prefix('#') {
        let n = if let Some(hex) = num.strip_prefix(['x', 'X']) {
            u32::from_str_radix(hex, 16).ok()
        } else {
            num.parse::<u32>().ok()
        };
        n.and_then(char::from_u32)
            .filter(|c| !is_forbidden_control(*c))
            .map(Reference::Char)
    } else {
        named_entity(body).map(Reference::Named)
    };
    match decoded {
        Some(r) => (Some(r), semi + 1),
        None => (None, i + 1),
    }
}

pub use crate::text::is_forbidden_control;

pub use crate::entities::named_entity;

/// Accumulates text with whitespace collapsed: one space between words, one newline between blocks,
/// no blanks at line ends.
struct TextWriter {
    out: String,
    keep_newlines: bool,
    pending_space: bool,
    pending_newline: bool,
}

impl TextWriter {
    fn with_capacity(n: usize) -> Self {
        TextWriter {
            out: String::with_capacity(n),
            keep_newlines: false,
            pending_space: false,
            pending_newline: false,
        }
    }

    fn len(&self) -> usize {
        self.out.len()
    }

    fn newline(&mut self) {
        if !self.out.is_empty() {
            self.pending_newline = true;
        }
        self.pending_space = false;
    }

    fn push_str(&mut self, s: &str) {
        // Runs of printable ASCII (no blank, no control character) are copied whole: the same
        // result as pushing their characters one by one, at a fraction of the cost.
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let start = i;
            while i < bytes.len() && bytes[i] > b' ' && bytes[i] < 0x7f {
                i += 1;
            }
            if i > start {
                self.push_run(&s[start..i]);
            }
            if let Some(c) = s[i..].chars().next() {
                self.push_char(c);
                i += c.len_utf8();
            }
        }
    }

    /// Pushes printable ASCII that holds no blank, as `push_char` would each character.
    fn push_run(&mut self, run: &str) {
        self.flush_pending();
        self.out.push_str(run);
    }

    fn flush_pending(&mut self) {
        if self.pending_newline {
            self.out.push('\n');
            self.pending_newline = false;
            self.pending_space = false;
        } else if self.pending_space {
            self.out.push(' ');
            self.pending_space = false;
        }
    }

    fn push_char(&mut self, c: char) {
        if c == '\n' && self.keep_newlines {
            self.newline();
            return;
        }
        if c == '\n' || c == '\r' || c == ' ' || c == '\t' || c == '\u{a0}' || c == '\u{2028}' {
            // Source newlines are layout, not structure: only block tags make lines.
            if !self.out.is_empty() && !self.pending_newline {
                self.pending_space = true;
            }
            return;
        }
        // Text a terminal would obey (C1 controls, bidi overrides) is dropped with the rest.
        if crate::text::is_unsafe(c) {
            return;
        }
        self.flush_pending();
        self.out.push(c);
    }

    fn finish(self) -> String {
        self.out
    }
}

/// Keeps a link only when it is `http`, `https` or `mailto`, resolved against `base` when relative.
/// `javascript:`, `data:`, `vbscript:` and anything unparseable are dropped.
pub fn sanitize_link(href: &str, base: Option<&url::Url>) -> Option<String> {
    // Browsers ignore blanks and control characters inside a scheme ("java\tscript:"): so must we.
    let cleaned: String = href
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    let parsed = match url::Url::parse(&cleaned) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => base?.join(&cleaned).ok()?,
        Err(_) => return None,
    };
    match parsed.scheme() {
        "http" | "https" | "mailto" => Some(parsed.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_table() {
        let cases: &[(&str, &str, &str)] = &[
            ("plain", "Hello world", "Hello world"),
            ("tags", "<p>A <b>bold</b> move</p>", "A bold move"),
            ("blocks", "<p>one</p><p>two</p>", "one\ntwo"),
            ("br", "a<br>b<br/>c", "a\nb\nc"),
            (
                "entities",
                "AT&amp;T &lt;3 &#8217; &#x2019; &nbsp;x",
                "AT&T <3 ’ ’ x",
            ),
            ("unknown_entity", "&bogus; & co", "&bogus; & co"),
            // Beyond the ~60 names once listed by hand: the whole HTML5 table.
            (
                "html5_entities",
                "S&atilde;o Paulo, &Oslash;resund, &oslash;, &frac12; h",
                "São Paulo, Øresund, ø, ½ h",
            ),
            // Names quick-xml's table gets wrong.
            (
                "rare_entities",
                "&Sigma; &amacr; &hArr; &hearts;",
                "Σ ā ⇔ ♥",
            ),
            (
                "two_char_entity",
                "a &NotEqualTilde; b",
                "a \u{2242}\u{338} b",
            ),
            ("wide_spaces_are_blanks", "a&ensp;&emsp;b&thinsp;c", "a b c"),
            (
                "entity_names_are_case_sensitive",
                "&ATILDE; &Atilde;",
                "&ATILDE; Ã",
            ),
            ("script", "a<script>alert(1)</script>b", "ab"),
            (
                "script_upper",
                "a<SCRIPT type=x>alert('</p>')</SCRIPT >b",
                "ab",
            ),
            ("style", "<style>p{}</style>text", "text"),
            ("handler", "<img src=x onerror=\"alert(1)\">ok", "ok"),
            ("quoted_gt", "<a title=\"a>b\" href=x>link</a>", "link"),
            ("comment", "a<!-- <script> -->b", "ab"),
            ("cdata", "<![CDATA[x < y]]>", "x < y"),
            ("lt_literal", "1 < 2 and 3<4", "1 < 2 and 3<4"),
            (
                "double_escaped",
                "&lt;script&gt;alert(1)&lt;/script&gt;hi",
                "hi",
            ),
            ("plain_keeps_lines", "  a \n\n\t b  ", "a\nb"),
            ("markup_newlines_are_blanks", "<b>a</b> \n\t b", "a b"),
            ("control", "a\u{1}b", "ab"),
            ("unclosed_script", "x<script>never closed", "x"),
        ];
        for (name, input, want) in cases {
            assert_eq!(to_text(input), *want, "case {name}");
        }
    }

    #[test]
    fn links() {
        let base = url::Url::parse("https://status.example.com/history.rss").ok();
        let cases: &[(&str, Option<&str>)] = &[
            ("https://x.test/a", Some("https://x.test/a")),
            (
                "/incidents/1",
                Some("https://status.example.com/incidents/1"),
            ),
            ("javascript:alert(1)", None),
            ("JaVa\tScRiPt:alert(1)", None),
            (" javascript:alert(1)", None),
            ("data:text/html,<script>", None),
            ("vbscript:x", None),
            ("mailto:ops@x.test", Some("mailto:ops@x.test")),
            ("", None),
        ];
        for (href, want) in cases {
            assert_eq!(
                sanitize_link(href, base.as_ref()).as_deref(),
                *want,
                "href {href:?}"
            );
        }
    }

    #[test]
    fn huge_text_is_capped() {
        let big = "x".repeat(MAX_TEXT_BYTES * 2);
        let t = to_text(&big);
        assert!(t.len() <= MAX_TEXT_BYTES + 4);
    }
}
