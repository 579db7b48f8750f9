//! The pre-pass: bytes → UTF-8 XML that an XML parser will accept, the way lenient feed readers do it.
//!
//! feed-rs (through quick-xml) rejects a whole document for one bare `&` or one stray control character,
//! and status pages publish both. Rather than lose every entry of the feed, this pass:
//!
//! 1. **Decodes** to UTF-8: a byte-order mark wins, then a UTF-16 shape without one, then the XML
//!    declaration's `encoding`; anything not UTF-8 (UTF-16, Windows-1252, ISO-8859-x, Shift_JIS...) is
//!    transcoded with `encoding_rs` and the declaration rewritten to say UTF-8, so the parser does not
//!    decode a second time. A document that declares UTF-8 (or nothing) but is not valid UTF-8 is
//!    read the way lenient readers read legacy content: its invalid bytes as Windows-1252, with a
//!    note saying where (see [`decode_utf8`] for why per byte run, not the whole document).
//! 2. **Repairs** markup, outside CDATA sections, comments and processing instructions:
//!    a `&` that does not start a well-formed reference becomes `&amp;`; HTML5 named entities XML does not
//!    know (`&nbsp;`, `&mdash;`, `&atilde;`..., the whole WHATWG table) become numeric references, and XML's
//!    own five are left alone; references to characters XML forbids
//!    (`&#0;`) become `&amp;...`; a `<` that cannot start markup ("a < b", "<3") becomes `&lt;`.
//!    Control characters XML forbids are removed everywhere, CDATA included.
//!
//! Untouched documents are borrowed, not copied: the common case costs one scan. What this pass cannot
//! fix (unbalanced tags, a truncated document) is left for the parser to report.

use std::borrow::Cow;

use super::html::{is_forbidden_control, named_entity};

/// The outcome of decoding: UTF-8 text, and whether it differs from the input bytes.
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    /// True when the bytes were transcoded or had invalid sequences replaced.
    pub changed: bool,
    /// The encoding the document was read as (for messages).
    pub encoding: &'static encoding_rs::Encoding,
    /// What a reader should be told about the decoding (invalid UTF-8 read as Windows-1252).
    pub note: Option<String>,
}

/// Decodes feed bytes to UTF-8 text (step 1 above).
pub fn decode(bytes: &[u8]) -> Decoded<'_> {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let body = &bytes[bom_len..];
        if enc == encoding_rs::UTF_8 {
            return decode_utf8(body, true);
        }
        let (text, _) = enc.decode_without_bom_handling(body);
        return Decoded {
            text: Cow::Owned(rewrite_declaration(&text)),
            changed: true,
            encoding: enc,
            note: None,
        };
    }
    // UTF-16 without a mark still starts with "<" (or a JSON document's "{" or "[") and a
    // zero byte.
    if bytes.len() >= 4 {
        let enc = match bytes[..4] {
            [b'<' | b'{' | b'[', 0, _, 0] => Some(encoding_rs::UTF_16LE),
            [0, b'<' | b'{' | b'[', 0, _] => Some(encoding_rs::UTF_16BE),
            _ => None,
        };
        if let Some(enc) = enc {
            let (text, _) = enc.decode_without_bom_handling(bytes);
            return Decoded {
                text: Cow::Owned(rewrite_declaration(&text)),
                changed: true,
                encoding: enc,
                note: None,
            };
        }
    }
    match declared_encoding(bytes) {
        Some(enc) if enc != encoding_rs::UTF_8 && enc.is_ascii_compatible() => {
            let (text, _) = enc.decode_without_bom_handling(bytes);
            Decoded {
                text: Cow::Owned(rewrite_declaration(&text)),
                changed: true,
                encoding: enc,
                note: None,
            }
        }
        _ => decode_utf8(bytes, false),
    }
}

/// Decodes a document that is UTF-8 by declaration (or by default). Bytes that are not valid
/// UTF-8 are read as Windows-1252, as feedparser and browsers read legacy content, instead of
/// becoming U+FFFD: that is what such bytes nearly always are (a server that never converted,
/// a `’` pasted from a word processor).
///
/// Per run of invalid bytes, not the whole document: in a document that is UTF-8 but for one
/// stray byte, re-reading everything as Windows-1252 would turn every correct `é` into `Ã©` to
/// fix one character. A document that is Windows-1252 throughout decodes the same either way,
/// since its high bytes are not valid UTF-8 (but for a Windows-1252 letter in `Â`–`ô` directly
/// followed by a symbol in 0x80–0xBF, such as `Ã©`, which reads as the one UTF-8 character it
/// spells: rare in text, and what a person would have meant as often as not).
fn decode_utf8(bytes: &[u8], had_bom: bool) -> Decoded<'_> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Decoded {
            text: Cow::Borrowed(text),
            changed: had_bom,
            encoding: encoding_rs::UTF_8,
            note: None,
        };
    }
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 8);
    let mut first_invalid = None;
    let mut invalid = 0usize;
    let mut multibyte = false;
    let mut offset = 0usize;
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        multibyte |= !valid.is_ascii();
        text.push_str(valid);
        offset += valid.len();
        let bad = chunk.invalid();
        if !bad.is_empty() {
            first_invalid.get_or_insert(offset);
            invalid += bad.len();
            // A single-byte encoding: every byte is one character, none fails.
            let (decoded, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bad);
            text.push_str(&decoded);
            offset += bad.len();
        }
    }
    let at = first_invalid.unwrap_or(0);
    let note = if multibyte {
        let bytes = if invalid == 1 { "byte" } else { "bytes" };
        format!(
            "not valid UTF-8 at byte {at}; read as Windows-1252 ({invalid} stray {bytes} in a \
             document otherwise UTF-8, whose valid characters were kept as they are)"
        )
    } else {
        format!("not valid UTF-8 at byte {at}; read as Windows-1252")
    };
    Decoded {
        text: Cow::Owned(text),
        changed: true,
        encoding: if multibyte {
            encoding_rs::UTF_8
        } else {
            encoding_rs::WINDOWS_1252
        },
        note: Some(note),
    }
}

/// The `encoding` of an XML declaration at the start of the document, if any.
fn declared_encoding(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = &bytes[..bytes.len().min(256)];
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &head[start..];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + 8..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next()?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    let value = rest[1..].split(quote).next()?;
    encoding_rs::Encoding::for_label(value.trim().as_bytes())
}

/// Replaces the XML declaration (if any) with one that says UTF-8.
fn rewrite_declaration(text: &str) -> String {
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if let Some(rest) = trimmed.strip_prefix("<?xml") {
        if let Some(end) = rest.find("?>") {
            let mut out = String::with_capacity(text.len());
            out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
            out.push_str(&rest[end + 2..]);
            return out;
        }
    }
    trimmed.to_string()
}

/// Repairs markup so an XML parser accepts it (step 2 above). Borrowed when nothing needed fixing.
pub fn repair(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    // Everything before `copied` is already in `out` (when `out` exists).
    let mut copied = 0;
    let mut i = 0;
    // Without control characters (nearly always), plain text can be skipped by a vectorised
    // search for the three bytes that may need work.
    let has_controls = bytes
        .iter()
        .any(|&b| b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r');
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'<' => {
                let rest = &text[i..];
                let skip_to = if rest.starts_with("<![CDATA[") {
                    Some(("]]>", 9))
                } else if rest.starts_with("<!--") {
                    Some(("-->", 4))
                } else if rest.starts_with("<?") {
                    Some(("?>", 2))
                } else {
                    None
                };
                if let Some((end_marker, open_len)) = skip_to {
                    let end = text[i + open_len..]
                        .find(end_marker)
                        .map_or(bytes.len(), |p| i + open_len + p + end_marker.len());
                    // Verbatim sections keep their `&` and `<`, but not forbidden control characters.
                    let section = &text[i..end];
                    if section.chars().any(is_forbidden_control) {
                        let buf = out.get_or_insert_with(|| String::with_capacity(text.len() + 64));
                        buf.push_str(&text[copied..i]);
                        buf.extend(section.chars().filter(|c| !is_forbidden_control(*c)));
                        copied = end;
                    }
                    i = end;
                    continue;
                }
                let next = bytes.get(i + 1).copied().unwrap_or(b' ');
                let starts_markup = next.is_ascii_alphabetic()
                    || next == b'/'
                    || next == b'!'
                    || next == b'_'
                    || next == b':'
                    || next >= 0x80;
                if !starts_markup {
                    replace(&mut out, text, &mut copied, i, 1, "&lt;");
                }
                i += 1;
            }
            b'&' => {
                let (fix, len) = check_reference(text, i);
                if let Some(fix) = fix {
                    replace(&mut out, text, &mut copied, i, len, &fix);
                }
                i += len.max(1);
            }
            _ if b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r' => {
                replace(&mut out, text, &mut copied, i, 1, "");
                i += 1;
            }
            0xEF => {
                // U+FFFE and U+FFFF (EF BF BE / EF BF BF) are not XML characters either.
                if bytes.get(i + 1) == Some(&0xBF) && matches!(bytes.get(i + 2), Some(0xBE | 0xBF))
                {
                    replace(&mut out, text, &mut copied, i, 3, "");
                    i += 3;
                } else {
                    i += 1;
                }
            }
            _ if has_controls => i += 1,
            _ => i = memchr::memchr3(b'<', b'&', 0xEF, &bytes[i..]).map_or(bytes.len(), |p| i + p),
        }
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut buf) => {
            buf.push_str(&text[copied..]);
            Cow::Owned(buf)
        }
    }
}

/// Writes `with` in place of `text[at..at + len]`.
fn replace(
    out: &mut Option<String>,
    text: &str,
    copied: &mut usize,
    at: usize,
    len: usize,
    with: &str,
) {
    let buf = out.get_or_insert_with(|| String::with_capacity(text.len() + 64));
    buf.push_str(&text[*copied..at]);
    buf.push_str(with);
    *copied = at + len;
}

/// Looks at the `&` at `i`: `(None, len)` when it starts a reference XML accepts (of `len` bytes),
/// `(Some(replacement), len)` when the `len` bytes starting there must be replaced.
fn check_reference(text: &str, i: usize) -> (Option<String>, usize) {
    let bytes = text.as_bytes();
    let limit = (i + 34).min(bytes.len());
    let semi = bytes[i + 1..limit]
        .iter()
        .position(|&b| b == b';')
        .map(|p| p + i + 1);
    let Some(semi) = semi else {
        return (Some("&amp;".into()), 1);
    };
    let body = &text[i + 1..semi];
    let len = semi + 1 - i;
    if let Some(num) = body.strip_prefix('#') {
        let n = match num.strip_prefix(['x', 'X']) {
            Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                u32::from_str_radix(hex, 16).ok()
            }
            None if !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()) => num.parse().ok(),
            _ => None,
        };
        return match n.and_then(char::from_u32) {
            Some(c) if !is_forbidden_control(c) => (None, len),
            // `&#0;` and friends: keep them visible as text rather than fail the document.
            _ => (Some("&amp;".into()), 1),
        };
    }
    if matches!(body, "amp" | "lt" | "gt" | "quot" | "apos") {
        return (None, len);
    }
    let is_name = !body.is_empty()
        && body.bytes().all(|b| b.is_ascii_alphanumeric())
        && body.as_bytes()[0].is_ascii_alphabetic();
    match named_entity(body).filter(|_| is_name) {
        Some(text) => (
            Some(
                text.chars()
                    .map(|c| format!("&#{};", u32::from(c)))
                    .collect(),
            ),
            len,
        ),
        None => (Some("&amp;".into()), 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repair_case_table() {
        let cases: &[(&str, &str, &str)] = &[
            ("clean", "<a>x &amp; y</a>", "<a>x &amp; y</a>"),
            ("bare_amp", "<a>AT&T</a>", "<a>AT&amp;T</a>"),
            ("amp_space", "<a>A & B</a>", "<a>A &amp; B</a>"),
            (
                "query_amp",
                "<link>https://x.test/?a=1&b=2</link>",
                "<link>https://x.test/?a=1&amp;b=2</link>",
            ),
            (
                "html_entity",
                "<a>x&nbsp;y&mdash;</a>",
                "<a>x&#160;y&#8212;</a>",
            ),
            ("unknown_entity", "<a>&foo;</a>", "<a>&amp;foo;</a>"),
            // The whole HTML5 table, not only the names once listed by hand.
            (
                "html5_entities",
                "<a>S&atilde;o &oslash; &frac12;</a>",
                "<a>S&#227;o &#248; &#189;</a>",
            ),
            (
                "rare_entity",
                "<a>&Sigma;&amacr;</a>",
                "<a>&#931;&#257;</a>",
            ),
            (
                "two_char_entity",
                "<a>&NotEqualTilde;</a>",
                "<a>&#8770;&#824;</a>",
            ),
            ("wide_space", "<a>a&thinsp;b</a>", "<a>a&#32;b</a>"),
            // XML's own five are left for the XML parser; HTML's upper-case spellings are not XML's.
            (
                "xml_entities_kept",
                "<a>&amp;&lt;&gt;&quot;&apos;</a>",
                "<a>&amp;&lt;&gt;&quot;&apos;</a>",
            ),
            ("html_upper_amp", "<a>&AMP;</a>", "<a>&#38;</a>"),
            (
                "numeric_ok",
                "<a>&#8217;&#x2019;</a>",
                "<a>&#8217;&#x2019;</a>",
            ),
            ("numeric_forbidden", "<a>&#0;</a>", "<a>&amp;#0;</a>"),
            ("control", "<a>x\u{1}y\u{b}</a>", "<a>xy</a>"),
            (
                "cdata_kept",
                "<a><![CDATA[a & b < c]]></a>",
                "<a><![CDATA[a & b < c]]></a>",
            ),
            (
                "cdata_control",
                "<a><![CDATA[a\u{2}b]]></a>",
                "<a><![CDATA[ab]]></a>",
            ),
            ("comment_kept", "<!-- a & b --><a/>", "<!-- a & b --><a/>"),
            ("lt_literal", "<a>1 < 2</a>", "<a>1 &lt; 2</a>"),
            ("tab_newline_kept", "<a>\tx\r\n</a>", "<a>\tx\r\n</a>"),
        ];
        for (name, input, want) in cases {
            assert_eq!(repair(input), *want, "case {name}");
        }
        assert!(matches!(repair("<a>fine</a>"), Cow::Borrowed(_)));
    }

    #[test]
    fn decodes_utf16_and_windows_1252() {
        let src = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss>é</rss>";
        let mut le = vec![0xFF, 0xFE];
        le.extend(src.encode_utf16().flat_map(u16::to_le_bytes));
        let d = decode(&le);
        assert!(d.changed);
        assert_eq!(
            d.text,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss>é</rss>"
        );

        let be: Vec<u8> = src.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(
            decode(&be).text,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss>é</rss>"
        );

        let cp = b"<?xml version='1.0' encoding='windows-1252'?><rss>caf\xe9 \x93q\x94</rss>";
        let d = decode(cp);
        assert_eq!(d.encoding, encoding_rs::WINDOWS_1252);
        assert_eq!(
            d.text,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss>café “q”</rss>"
        );

        let plain = decode(b"<rss/>");
        assert!(!plain.changed);
        assert!(plain.note.is_none());
    }

    #[test]
    fn invalid_utf8_is_read_as_windows_1252() {
        // Declared UTF-8, written by a server that never converted: every high byte is 1252.
        let doc = b"<?xml version='1.0' encoding='utf-8'?><rss>caf\xe9 \x93q\x94 \x80</rss>";
        let d = decode(doc);
        assert_eq!(
            d.text,
            "<?xml version='1.0' encoding='utf-8'?><rss>caf\u{e9} \u{201c}q\u{201d} \u{20ac}</rss>"
        );
        assert!(d.changed);
        assert_eq!(d.encoding, encoding_rs::WINDOWS_1252);
        assert_eq!(
            d.note.as_deref(),
            Some("not valid UTF-8 at byte 46; read as Windows-1252")
        );
        // Nothing declared: the same.
        let d = decode(b"<rss>na\xefve</rss>");
        assert_eq!(d.text, "<rss>na\u{ef}ve</rss>");
        assert_eq!(
            d.note.as_deref(),
            Some("not valid UTF-8 at byte 7; read as Windows-1252")
        );
    }

    #[test]
    fn a_stray_byte_in_utf8_keeps_the_valid_characters() {
        // Mostly UTF-8 (é, ’ as UTF-8) with one pasted 1252 quote: the UTF-8 stays, the byte
        // alone is re-read, where reading the whole as 1252 would give "cafÃ©".
        let mut doc = "<rss>café ’ ".as_bytes().to_vec();
        doc.push(0x92);
        doc.extend_from_slice(b"s</rss>");
        let d = decode(&doc);
        assert_eq!(d.text, "<rss>café ’ ’s</rss>");
        assert_eq!(d.encoding, encoding_rs::UTF_8);
        assert_eq!(
            d.note.as_deref(),
            Some(
                "not valid UTF-8 at byte 15; read as Windows-1252 (1 stray byte in a document \
                 otherwise UTF-8, whose valid characters were kept as they are)"
            )
        );
        // A truncated sequence (the lead byte of é without its tail) is a stray byte too.
        let d = decode(b"<rss>caf\xc3 x</rss>");
        assert_eq!(d.text, "<rss>caf\u{c3} x</rss>");
        // Behind a UTF-8 byte-order mark, the same rule.
        let d = decode(b"\xef\xbb\xbf<rss>\xe9</rss>");
        assert_eq!(d.text, "<rss>\u{e9}</rss>");
        assert!(d.note.is_some());
    }
}
