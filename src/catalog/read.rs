//! Reading OPML (1.0 and 2.0, as feed readers export it) into [`FeedSpec`]s.
//!
//! Two passes: the first walks the XML with quick-xml and records every outline with its position
//! and attributes; the second validates all outlines and builds the feeds. Splitting them lets the
//! second pass see the whole tree (a folder's children, a feed's nearest folder) and report every
//! problem at once instead of stopping at the first.

use std::collections::HashMap;
use std::str::FromStr;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::text::{decode_html_entities, line_col, vendor_slug};
use super::{CatalogError, OutlineProblem, CATEGORIES};
use crate::model::{Dependency, Engine, FeedSpec};
use crate::schedule::CronSchedule;

/// An attribute as written: lowercased local name, unescaped value (or why it could not be), offset.
struct RawAttr {
    /// Lowercased local name: OPML files in the wild write `xmlUrl`, `xmlurl` and `XMLURL`.
    name: String,
    /// The name as written, for messages.
    written: String,
    value: Result<String, BadValue>,
    /// Byte offset of the attribute name in the document.
    offset: usize,
}

/// Why an attribute value could not be unescaped, and the byte offset of the culprit.
struct BadValue {
    message: String,
    offset: usize,
}

/// One `<outline>` inside `<body>`, before validation.
struct RawOutline {
    /// Byte offset of its `<`.
    offset: usize,
    attrs: Vec<RawAttr>,
    parent: Option<usize>,
    has_children: bool,
}

impl RawOutline {
    /// The first attribute with this (lowercase) name, if any; later case variants are ignored.
    fn attr(&self, name: &str) -> Option<&RawAttr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    /// The trimmed value of an attribute, `None` when absent, empty, or not decodable (the latter is
    /// reported on its own).
    fn value(&self, name: &str) -> Option<&str> {
        match self.attr(name).map(|a| a.value.as_deref()) {
            Some(Ok(v)) if !v.trim().is_empty() => Some(v.trim()),
            _ => None,
        }
    }

    /// What the user calls this outline: `text`, else `title`, entity-decoded, and safe to
    /// show (no terminal control sequence: see [`crate::text::one_line`]).
    fn display_text(&self) -> String {
        let raw = self
            .value("text")
            .or_else(|| self.value("title"))
            .unwrap_or("");
        crate::text::one_line(&decode_html_entities(raw))
            .trim()
            .to_string()
    }

    fn is_feed(&self) -> bool {
        self.attr("xmlurl").is_some()
    }
}

/// What an open element is, for the walk.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Opml,
    Head,
    Body,
    Outline(usize),
    Other,
}

/// Reads every feed outline of an OPML document; `source_name` names it in errors.
///
/// Feed outlines are those with an `xmlUrl`, at any depth. See the module docs of
/// [`crate::catalog`] for the statuswatch attributes; a feed without `vendor` gets a slug of its
/// title, one without `category` the name of its nearest folder. Duplicate URLs keep the first.
pub fn parse_opml(text: &str, source_name: &str) -> Result<Vec<FeedSpec>, CatalogError> {
    parse_opml_as(text, source_name, Sources::Live).map(|(feeds, _)| feeds)
}

/// [`parse_opml`], with a note for each outline that was left out as a repeat of an earlier
/// one's URL (`feeds.opml: line 9: outline "Zoom" repeats the xmlUrl of line 4 ...`), for the
/// commands that tell the user.
pub fn parse_opml_noting(
    text: &str,
    source_name: &str,
) -> Result<(Vec<FeedSpec>, Vec<String>), CatalogError> {
    parse_opml_as(text, source_name, Sources::Live)
}

/// Reads a replay directory's `feeds.opml` (`statuswatch replay`): as [`parse_opml`], except
/// that an `xmlUrl` may also be the bare name of the feed's capture folder (`zoom`, stored as
/// `replay:zoom`, see [`FeedSpec::replay_url`]), and that every feed's stored URL is a
/// `replay:` one (an address given is kept behind it: `replay:https://...`), which nothing
/// fetches.
pub fn parse_replay_opml(text: &str, source_name: &str) -> Result<Vec<FeedSpec>, CatalogError> {
    parse_opml_as(text, source_name, Sources::Replay).map(|(feeds, _)| feeds)
}

/// Which `xmlUrl`s a catalog accepts: live feeds are http(s) only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sources {
    Live,
    Replay,
}

fn parse_opml_as(
    text: &str,
    source_name: &str,
    sources: Sources,
) -> Result<(Vec<FeedSpec>, Vec<String>), CatalogError> {
    // A byte-order mark is not markup; quick-xml would see it as text before the root element.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let outlines = read_outlines(text, source_name)?;
    build_feeds(text, source_name, &outlines, sources)
}

/// First pass: the XML walk. Fails on the first XML or document-structure error.
fn read_outlines(text: &str, source_name: &str) -> Result<Vec<RawOutline>, CatalogError> {
    let xml_error = |offset: usize, message: String| {
        let (line, column) = line_col(text, offset);
        CatalogError::Xml {
            source_name: source_name.to_string(),
            line,
            column,
            message,
        }
    };

    let mut reader = Reader::from_str(text);
    let mut outlines: Vec<RawOutline> = Vec::new();
    // (kind, element name, offset of '<') for every open element.
    let mut stack: Vec<(Open, String, usize)> = Vec::new();
    let mut root_seen = false;
    let mut opml_offset = 0;
    let mut body_seen = false;

    loop {
        // With text events kept (quick-xml's default), the position before a read is where the
        // next event starts, i.e. the '<' of a tag.
        let start = position(&reader);
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(err) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                return Err(xml_error(at, format!("malformed XML: {err}")));
            }
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                let name = local_name(e);
                let parent = stack.last().map(|(kind, _, _)| *kind);
                let kind = match parent {
                    None if root_seen => {
                        return Err(xml_error(
                            start,
                            format!("malformed XML: a second root element <{name}> after </opml>"),
                        ))
                    }
                    None => {
                        root_seen = true;
                        if !name.eq_ignore_ascii_case("opml") {
                            return Err(not_opml(text, source_name, start, &name));
                        }
                        opml_offset = start;
                        Open::Opml
                    }
                    Some(Open::Opml) if name.eq_ignore_ascii_case("head") => Open::Head,
                    Some(Open::Opml) if name.eq_ignore_ascii_case("body") => {
                        body_seen = true;
                        Open::Body
                    }
                    Some(Open::Body | Open::Outline(_)) if name.eq_ignore_ascii_case("outline") => {
                        let parent = match parent {
                            Some(Open::Outline(p)) => Some(p),
                            _ => None,
                        };
                        if let Some(p) = parent.and_then(|p| outlines.get_mut(p)) {
                            p.has_children = true;
                        }
                        let attrs = read_attrs(e, &reader, start)
                            .map_err(|(at, msg)| xml_error(at, format!("malformed XML: {msg}")))?;
                        outlines.push(RawOutline {
                            offset: start,
                            attrs,
                            parent,
                            has_children: false,
                        });
                        Open::Outline(outlines.len() - 1)
                    }
                    Some(_) => Open::Other,
                };
                if !is_empty {
                    stack.push((kind, name, start));
                }
            }
            Event::End(_) => {
                // quick-xml has already checked that the name matches the open element.
                stack.pop();
            }
            Event::Text(ref t) if stack.is_empty() => {
                let raw = String::from_utf8_lossy(t.as_ref()).into_owned();
                let trimmed = raw.trim();
                if !trimmed.is_empty() {
                    let at = start + (raw.len() - raw.trim_start().len());
                    // Quoted with ' so that JSON or HTML shows without escapes.
                    let mut snippet: String = trimmed.chars().take(30).collect();
                    if snippet.len() < trimmed.len() {
                        snippet.push('…');
                    }
                    let message = if root_seen {
                        format!("malformed XML: text after the root element ('{snippet}')")
                    } else {
                        format!(
                            "not XML: the document starts with text ('{snippet}') instead of an \
                             element: an OPML file starts with <?xml ...?> or <opml>"
                        )
                    };
                    return Err(xml_error(at, message));
                }
            }
            Event::CData(_) if stack.is_empty() => {
                return Err(xml_error(
                    start,
                    "malformed XML: CDATA outside the root element".to_string(),
                ));
            }
            Event::Eof => {
                if let Some((_, name, opened)) = stack.last() {
                    let (line, _) = line_col(text, *opened);
                    return Err(xml_error(
                        text.len(),
                        format!(
                            "malformed XML: the document ends before <{name}> (opened at line \
                             {line}) is closed: the file may be truncated"
                        ),
                    ));
                }
                break;
            }
            _ => {}
        }
    }

    if !root_seen {
        return Err(xml_error(
            0,
            "not XML: the document is empty (no root element)".to_string(),
        ));
    }
    if !body_seen {
        return Err(CatalogError::NoBody {
            source_name: source_name.to_string(),
            line: line_col(text, opml_offset).0,
        });
    }
    Ok(outlines)
}

fn position(reader: &Reader<&[u8]>) -> usize {
    usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX)
}

fn local_name(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

fn not_opml(text: &str, source_name: &str, offset: usize, found: &str) -> CatalogError {
    let hint = match found.to_ascii_lowercase().as_str() {
        "rss" | "feed" | "rdf" => {
            ": this is a feed itself, not a list of feeds; add its URL to an OPML file as an \
             outline's xmlUrl"
        }
        "html" => ": this is a web page; export the feed list from your feed reader as OPML",
        _ => "",
    };
    CatalogError::NotOpml {
        source_name: source_name.to_string(),
        line: line_col(text, offset).0,
        found: found.to_string(),
        hint: hint.to_string(),
    }
}

/// Reads an element's attributes; a structural attribute error (a missing quote, a duplicate)
/// is returned with its offset, an undecodable value is kept on the attribute for pass two.
fn read_attrs(
    e: &BytesStart<'_>,
    reader: &Reader<&[u8]>,
    element_offset: usize,
) -> Result<Vec<RawAttr>, (usize, String)> {
    let raw: &[u8] = e;
    let mut attrs = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|err| (element_offset, err.to_string()))?;
        let qname = attr.key.as_ref();
        let in_tag = find_attr(raw, qname).unwrap_or(0);
        let offset = element_offset + 1 + in_tag;
        // The value starts after the first quote that follows the name.
        let value_offset = raw[in_tag..]
            .iter()
            .position(|&b| b == b'"' || b == b'\'')
            .map_or(offset, |q| offset + q + 1);
        let written = String::from_utf8_lossy(qname).into_owned();
        let name = String::from_utf8_lossy(attr.key.local_name().as_ref()).to_ascii_lowercase();
        // HTML entities (&nbsp;, &eacute;) are not XML, but feed readers write them in titles.
        let value = attr
            .decode_and_unescape_value_with(reader.decoder(), |entity| {
                crate::entities::named_entity(entity)
            })
            .map(|v| without_forbidden_chars(v.into_owned()))
            .map_err(|err| bad_value(&err, &attr.value, value_offset));
        attrs.push(RawAttr {
            name,
            written,
            value,
            offset,
        });
    }
    Ok(attrs)
}

/// Drops the characters XML 1.0 does not allow anywhere (C0 controls but tab and line breaks,
/// U+FFFE, U+FFFF) that a lenient read let through: every attribute is then validated as it
/// will be written back (found by the opml fuzz target: a selector valid only with its NULs,
/// which our export could not read back).
fn without_forbidden_chars(value: String) -> String {
    let forbidden = |c: char| {
        (c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{7f}'))
            || c == '\u{fffe}'
            || c == '\u{ffff}'
    };
    match value.contains(forbidden) {
        true => value.replace(forbidden, ""),
        false => value,
    }
}

/// Says in plain words why a value did not unescape, pointing at its `&`.
fn bad_value(err: &quick_xml::Error, raw: &[u8], value_offset: usize) -> BadValue {
    use quick_xml::escape::EscapeError;
    // The ranges quick-xml reports may start at the '&' or just after it: find the '&' itself.
    let amp_at = |at: usize| {
        let upto = (at + 1).min(raw.len());
        value_offset + raw[..upto].iter().rposition(|&b| b == b'&').unwrap_or(0)
    };
    match err {
        quick_xml::Error::Escape(EscapeError::UnterminatedEntity(range)) => BadValue {
            message: "a bare & (write it as &amp;)".to_string(),
            offset: amp_at(range.start),
        },
        quick_xml::Error::Escape(EscapeError::UnrecognizedEntity(range, name)) => BadValue {
            message: format!("unknown entity &{name}; (write a literal & as &amp;)"),
            offset: amp_at(range.start),
        },
        other => BadValue {
            message: other.to_string(),
            offset: value_offset,
        },
    }
}

/// Offset of attribute `name` inside a tag's bytes (after `<`): the name preceded by whitespace
/// and followed by optional whitespace and `=`. quick-xml does not expose attribute positions.
fn find_attr(tag: &[u8], name: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = find_bytes(&tag[from..], name).map(|i| i + from) {
        let before_ok = i > 0 && tag[i - 1].is_ascii_whitespace();
        let after = tag[i + name.len()..]
            .iter()
            .find(|b| !b.is_ascii_whitespace());
        if before_ok && after == Some(&b'=') {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

fn find_bytes(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Second pass: validate every outline, then build the feeds (only when nothing was wrong).
fn build_feeds(
    text: &str,
    source_name: &str,
    outlines: &[RawOutline],
    sources: Sources,
) -> Result<(Vec<FeedSpec>, Vec<String>), CatalogError> {
    let mut problems = Vec::new();
    let mut feeds = Vec::new();
    let mut notes = Vec::new();
    // Each URL with the line of the outline that gave it first.
    let mut seen_urls: HashMap<String, (usize, String)> = HashMap::new();

    for outline in outlines {
        let outline_text = outline.display_text();
        let mut problem = |offset: usize, with_column: bool, message: String| {
            let (line, column) = line_col(text, offset);
            problems.push(OutlineProblem {
                line,
                column: with_column.then_some(column),
                outline_text: outline_text.clone(),
                message,
            });
        };

        // An undecodable value is malformed XML, but it is local to one attribute, so it is
        // reported with the others rather than stopping the read.
        for attr in &outline.attrs {
            if let Err(bad) = &attr.value {
                problem(
                    bad.offset,
                    true,
                    format!("has a malformed {} value: {}", attr.written, bad.message),
                );
            }
        }

        if !outline.is_feed() {
            let kind = outline
                .value("type")
                .map(str::to_ascii_lowercase)
                .unwrap_or_default();
            let looks_like_feed =
                kind == "rss" || kind == "atom" || (kind.is_empty() && !outline.has_children);
            if looks_like_feed {
                problem(
                    outline.offset,
                    false,
                    "has no xmlUrl attribute: add the feed URL as xmlUrl=\"https://...\", or \
                     remove the outline"
                        .to_string(),
                );
            }
            continue;
        }

        let Some(url_attr) = outline.attr("xmlurl") else {
            continue;
        };
        let mut url = match &url_attr.value {
            Ok(v) => v.trim().to_string(),
            Err(_) => continue, // already reported above
        };
        if sources == Sources::Replay {
            if let Some(replay) = FeedSpec::replay_url(&url) {
                url = replay;
            }
        }
        if url.is_empty() {
            problem(
                url_attr.offset,
                true,
                "has an empty xmlUrl attribute: put the feed URL in it (xmlUrl=\"https://...\"), \
                 or remove the outline"
                    .to_string(),
            );
        } else if sources == Sources::Replay && FeedSpec::is_replay_url(&url) {
            // A capture folder: never fetched, so no address to check.
        } else if let Err(why) = check_feed_url(&url) {
            let what = match sources {
                Sources::Live => "write the full feed address",
                Sources::Replay => {
                    "write the name of its capture folder (letters, digits, '.', '-', '_'), or the \
                     full feed address"
                }
            };
            problem(
                url_attr.offset,
                true,
                format!(
                    "has xmlUrl {:?}, which is not an absolute http(s) URL ({why}): {what}, \
                     such as \"https://status.example.com/history.atom\"",
                    crate::redact::url(&url)
                ),
            );
        }

        let engine = match outline.value("engine") {
            None => None,
            Some(name) => match Engine::from_str(name) {
                Ok(engine) => Some(engine),
                Err(_) => {
                    let offset = outline.attr("engine").map_or(outline.offset, |a| a.offset);
                    let known = <Engine as strum::VariantNames>::VARIANTS;
                    problem(
                        offset,
                        true,
                        format!(
                            "has an unknown engine {name:?}: use one of {}, or remove the engine \
                             attribute to detect it from the feed",
                            known.join(", ")
                        ),
                    );
                    None
                }
            },
        };

        // Checked here, where the line is known, rather than when the daemon first reads it.
        if let Some(expr) = outline.value("schedule") {
            if let Err(e) = CronSchedule::check(expr) {
                let offset = outline
                    .attr("schedule")
                    .map_or(outline.offset, |a| a.offset);
                problem(
                    offset,
                    true,
                    format!("has an invalid {e}; {}", crate::schedule::SYNTAX),
                );
            }
        }

        // A watched page's settings, checked as `feeds add` checks them.
        let selector = outline.value("selector").map(str::to_string);
        let expect = outline.value("expect").map(str::to_string);
        match &selector {
            Some(css) => {
                if let Err(e) = crate::parse::PageWatch::new(css, expect.as_deref()) {
                    let name = match e {
                        crate::parse::PageWatchError::Expect { .. } => "expect",
                        _ => "selector",
                    };
                    let offset = outline.attr(name).map_or(outline.offset, |a| a.offset);
                    problem(offset, true, format!("has an invalid {name}: {e}"));
                }
            }
            None if expect.is_some() => {
                let offset = outline.attr("expect").map_or(outline.offset, |a| a.offset);
                problem(
                    offset,
                    true,
                    "has expect but no selector: expect is the all-good text of a watched page; \
                     add selector=\"CSS\" naming the element that shows it, or remove expect"
                        .to_string(),
                );
            }
            None => {}
        }

        let title = if outline_text.is_empty() {
            host_of(&url).unwrap_or_else(|| url.clone())
        } else {
            outline_text.clone()
        };
        let vendor = match outline.value("vendor") {
            Some(v) => v.to_lowercase(),
            None => {
                let slug = vendor_slug(&title);
                if slug.is_empty() {
                    vendor_slug(&host_of(&url).unwrap_or_default())
                } else {
                    slug
                }
            }
        };

        // What the vendor runs on, read as `feeds add --runs-on` reads it (the vendor known,
        // so that it cannot name itself).
        let runs_on = match outline.value("runs_on") {
            None => Vec::new(),
            Some(text) => match Dependency::parse_list_for(&vendor, text) {
                Ok(list) => list,
                Err(e) => {
                    let offset = outline.attr("runs_on").map_or(outline.offset, |a| a.offset);
                    problem(offset, true, format!("has an invalid runs_on: {e}"));
                    Vec::new()
                }
            },
        };

        // The name of the variable holding the feed's Authorization header, never the secret.
        let auth_env = outline.value("auth_env").map(str::to_string);
        if let Some(Err(e)) = auth_env.as_deref().map(FeedSpec::check_auth_env) {
            let offset = outline
                .attr("auth_env")
                .map_or(outline.offset, |a| a.offset);
            problem(offset, true, format!("has an invalid auth_env: {e}"));
        }

        let (line, _) = line_col(text, outline.offset);
        // One spelling per feed, as `feeds add` stores it; a repeat is found under any spelling.
        let given = url;
        let url = crate::model::normalize_feed_url(&given);
        if let Some((first, first_given)) = seen_urls.get(&url) {
            // Readers export a feed filed in two folders twice; it is one feed, the first wins.
            let spelling = match *first_given == given {
                true => String::new(),
                false => format!(" spelled another way ({})", crate::redact::url(&given)),
            };
            notes.push(format!(
                "{source_name}: line {line}: outline \"{outline_text}\" repeats the xmlUrl of line {first} ({}){spelling}: kept the first",
                crate::redact::url(first_given)
            ));
            continue;
        }
        seen_urls.insert(url.clone(), (line, given));
        if crate::redact::has_credentials(&url) && outline.value("auth_env").is_none() {
            notes.push(format!(
                "{source_name}: line {line}: outline \"{outline_text}\": {}",
                crate::redact::credentials_note(&url, "auth_env=\"VAR\"")
            ));
        }
        // A replayed feed given by its address keeps it behind `replay:`, so nothing ever
        // fetches it (the parser still reads it as a hint).
        let url = match sources {
            Sources::Replay if !FeedSpec::is_replay_url(&url) => {
                format!("{}{url}", crate::model::REPLAY_SCHEME)
            }
            _ => url,
        };
        feeds.push(
            FeedSpec {
                url,
                title,
                vendor,
                category: category_of(outline, outlines),
                html_url: outline.value("htmlurl").map(str::to_string),
                schedule: outline.value("schedule").map(str::to_string),
                // A selector makes the source a watched page unless the outline names an engine.
                engine: engine.or(selector.as_ref().map(|_| Engine::Page)),
                selector,
                expect,
                runs_on,
                auth_env,
            }
            .cleaned(),
        );
    }

    if !problems.is_empty() {
        return Err(CatalogError::Outlines {
            source_name: source_name.to_string(),
            problems,
        });
    }
    if feeds.is_empty() {
        return Err(CatalogError::NoFeeds {
            source_name: source_name.to_string(),
        });
    }
    Ok((feeds, notes))
}

/// Why `url` is not a feed address statuswatch can fetch, if it is not.
fn check_feed_url(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|err| err.to_string())?;
    match parsed.scheme() {
        "http" | "https" => {}
        other => return Err(format!("scheme {other}")),
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("no host".to_string());
    }
    Ok(())
}

fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url).ok()?.host_str().map(str::to_string)
}

/// The feed's own `category`, else the path of the folders it sits in (`Cloud/Compute` for a
/// feed in folder "Compute" inside folder "Cloud"); standard category names are lowercased. An
/// OPML 2.0 `category` is a comma-separated list of slash-delimited paths (`/Cloud/Compute,/Ops`):
/// the first path is the category. An explicitly empty `category` means "none" and stops the
/// inheritance, which is how [`super::to_opml`] keeps uncategorised feeds uncategorised in its
/// "other" folder.
fn category_of(outline: &RawOutline, outlines: &[RawOutline]) -> Option<String> {
    if let Some(attr) = outline.attr("category") {
        let first = match &attr.value {
            Ok(v) => v.split(',').next().unwrap_or(""),
            Err(_) => "",
        };
        return category_path(first.split('/'));
    }
    let mut folders = Vec::new();
    let mut parent = outline.parent;
    while let Some(p) = parent.and_then(|i| outlines.get(i)) {
        if !p.is_feed() {
            folders.push(p.display_text());
        }
        parent = p.parent;
    }
    folders.reverse();
    category_path(folders.iter().map(String::as_str))
}

/// Joins the non-empty segments with `/`, each standard category name lowercased. Control
/// characters go first (as `FeedSpec::cleaned` would drop them later): a name they split
/// ("Saa\0S") is the standard name, the same category its export reads back as.
fn category_path<'a>(segments: impl Iterator<Item = &'a str>) -> Option<String> {
    let path: Vec<String> = segments
        .map(crate::text::one_line)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .map(|s| normalize_category(&s))
        .collect();
    (!path.is_empty()).then(|| path.join("/"))
}

fn normalize_category(name: &str) -> String {
    let lower = name.to_lowercase();
    if CATEGORIES.contains(&lower.as_str()) {
        lower
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opml(body: &str) -> String {
        format!("<?xml version=\"1.0\"?>\n<opml version=\"2.0\">\n<head><title>t</title></head>\n<body>\n{body}\n</body>\n</opml>\n")
    }

    fn feed(url: &str, title: &str, vendor: &str, category: Option<&str>) -> FeedSpec {
        FeedSpec {
            url: url.into(),
            title: title.into(),
            vendor: vendor.into(),
            category: category.map(Into::into),
            ..FeedSpec::default()
        }
    }

    #[test]
    fn characters_xml_forbids_are_dropped_from_attributes_before_they_are_checked() {
        let text = opml(
            "<outline text=\"Duo\" xmlUrl=\"https://status.duolingo.com/\" selector=\"main\u{0}\u{0} ,\u{0}\"/>",
        );
        let err = parse_opml(&text, "t.opml").unwrap_err().to_string();
        assert!(err.contains("invalid selector"), "{err}");
    }

    #[test]
    fn a_category_split_by_control_characters_is_the_standard_name() {
        // Found by the opml fuzz target: "S\0aaS" was kept (not a standard name), then
        // cleaned to "SaaS", and its export read back as "saas", another category.
        let text = opml(
            "<outline text=\"Twilio\" xmlUrl=\"https://status.twilio.com/history.atom\" category=\"S&#1;aa\u{7}S\"/>",
        );
        let feeds = parse_opml(&text, "t.opml").unwrap();
        assert_eq!(feeds[0].category.as_deref(), Some("saas"));
    }

    #[test]
    fn accepted_outlines() {
        let u = "https://status.example.com/history.atom";
        let cases: Vec<(&str, String, FeedSpec)> = vec![
            (
                "text only",
                format!(r#"<outline text="Zoom" xmlUrl="{u}"/>"#),
                feed(u, "Zoom", "zoom", None),
            ),
            (
                "title only",
                format!(r#"<outline title="Amazon Web Services" xmlUrl="{u}"/>"#),
                feed(u, "Amazon Web Services", "amazon-web-services", None),
            ),
            (
                "text wins over title",
                format!(r#"<outline text="Mine" title="Theirs" xmlUrl="{u}"/>"#),
                feed(u, "Mine", "mine", None),
            ),
            (
                "attribute names in any case",
                format!(
                    r#"<outline TEXT="GitHub Status" XMLURL="{u}" HtmlUrl="https://g.example"/>"#
                ),
                FeedSpec {
                    html_url: Some("https://g.example".into()),
                    ..feed(u, "GitHub Status", "github", None)
                },
            ),
            (
                "xml and html entities in titles",
                format!(r#"<outline text="AT&amp;amp;T &eacute; &#8217;s" xmlUrl="{u}"/>"#),
                feed(u, "AT&T é ’s", "at-t-é-s", None),
            ),
            (
                // Names quick-xml's own table gets wrong (U+0010, a colon).
                "entities beyond the common ones in titles",
                format!(r#"<outline text="&Sigma;ta&amacr; &frac12;" xmlUrl="{u}"/>"#),
                feed(u, "Σtaā ½", "σtaā-½", None),
            ),
            (
                "statuswatch attributes",
                format!(
                    r#"<outline text="X" xmlUrl="{u}" vendor="Xco" engine="Atlassian Statuspage" category="Cloud" schedule="*/5 * * * *"/>"#
                ),
                FeedSpec {
                    engine: Some(Engine::Statuspage),
                    schedule: Some("*/5 * * * *".into()),
                    ..feed(u, "X", "xco", Some("cloud"))
                },
            ),
            (
                "runs_on, read and normalised",
                format!(
                    r#"<outline text="Heroku" xmlUrl="{u}" runs_on=" AWS:us-east-1, aws:EU-west-1 ,cloudflare"/>"#
                ),
                FeedSpec {
                    runs_on: Dependency::parse_list("aws:us-east-1,aws:eu-west-1,cloudflare")
                        .unwrap(),
                    ..feed(u, "Heroku", "heroku", None)
                },
            ),
            (
                "empty runs_on means not known",
                format!(r#"<outline text="Zoom" runs_on="" xmlUrl="{u}"/>"#),
                feed(u, "Zoom", "zoom", None),
            ),
            (
                "standard folder lowercased",
                format!(
                    r#"<outline text="SaaS"><outline text="Zoom" type="rss" xmlUrl="{u}"/></outline>"#
                ),
                feed(u, "Zoom", "zoom", Some("saas")),
            ),
            (
                "custom folder kept as written",
                format!(
                    r#"<outline text="Work Tools"><outline text="Zoom" xmlUrl="{u}"/></outline>"#
                ),
                feed(u, "Zoom", "zoom", Some("Work Tools")),
            ),
            (
                "nested folders make a path",
                format!(
                    r#"<outline text="Cloud"><outline title="Deep"><outline text="Zoom" xmlUrl="{u}"/></outline></outline>"#
                ),
                feed(u, "Zoom", "zoom", Some("cloud/Deep")),
            ),
            (
                "own category beats folder",
                format!(
                    r#"<outline text="Cloud"><outline text="Zoom" category="gaming" xmlUrl="{u}"/></outline>"#
                ),
                feed(u, "Zoom", "zoom", Some("gaming")),
            ),
            (
                "empty category means none",
                format!(
                    r#"<outline text="other"><outline text="Zoom" category="" xmlUrl="{u}"/></outline>"#
                ),
                feed(u, "Zoom", "zoom", None),
            ),
            (
                "empty engine means detect",
                format!(r#"<outline text="Zoom" engine="" xmlUrl="{u}"/>"#),
                feed(u, "Zoom", "zoom", None),
            ),
            (
                "no title: host",
                format!(r#"<outline xmlUrl="{u}"/>"#),
                feed(u, "status.example.com", "status-example-com", None),
            ),
            (
                "whitespace trimmed",
                format!(r#"<outline text="  Zoom  " xmlUrl="  {u}  "/>"#),
                feed(u, "Zoom", "zoom", None),
            ),
            (
                "unknown type with xmlUrl is still a feed",
                format!(r#"<outline text="Zoom" type="link" xmlUrl="{u}"/>"#),
                feed(u, "Zoom", "zoom", None),
            ),
        ];
        for (name, body, want) in cases {
            let got = parse_opml(&opml(&body), "t.opml");
            match got {
                Ok(feeds) => assert_eq!(feeds, vec![want], "case {name}"),
                Err(err) => panic!("case {name}: {err}"),
            }
        }
    }

    #[test]
    fn ignored_outlines() {
        let body = r#"<outline text="A link" type="link" url="https://example.com/"/>
<outline text="Folder"><outline text="Zoom" xmlUrl="https://a.example/feed"/></outline>"#;
        let feeds = parse_opml(&opml(body), "t").unwrap();
        assert_eq!(feeds.len(), 1);
    }

    #[test]
    fn duplicate_urls_keep_the_first_and_say_so() {
        let body = r#"<outline text="First" xmlUrl="https://a.example/feed"/>
<outline text="Second" xmlUrl="https://a.example/feed"/>
<outline text="Third" xmlUrl="https://b.example/feed"/>"#;
        let (feeds, notes) = parse_opml_noting(&opml(body), "t.opml").unwrap();
        let titles: Vec<&str> = feeds.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(titles, ["First", "Third"]);
        assert_eq!(
            notes,
            ["t.opml: line 6: outline \"Second\" repeats the xmlUrl of line 5 (https://a.example/feed): kept the first"]
        );
    }

    #[test]
    fn urls_are_stored_in_one_spelling_and_repeats_under_another_are_reported() {
        let body = r#"<outline text="First" xmlUrl="https://A.example:443/Feed"/>
<outline text="Second" xmlUrl="HTTPS://a.example./Feed"/>
<outline text="Third" xmlUrl="https://a.example/feed"/>"#;
        let (feeds, notes) = parse_opml_noting(&opml(body), "t.opml").unwrap();
        let urls: Vec<&str> = feeds.iter().map(|f| f.url.as_str()).collect();
        assert_eq!(urls, ["https://a.example/Feed", "https://a.example/feed"]);
        assert_eq!(
            notes,
            ["t.opml: line 6: outline \"Second\" repeats the xmlUrl of line 5 (https://A.example:443/Feed) spelled another way (HTTPS://a.example./Feed): kept the first"]
        );
    }

    #[test]
    fn nested_folders_and_opml2_categories_become_a_category_path() {
        let body = r#"<outline text="Cloud"><outline text="Compute">
  <outline text="A" xmlUrl="https://a.example/feed"/></outline></outline>
<outline text="B" category="/Tech/Status Pages,/Other" xmlUrl="https://b.example/feed"/>
<outline text="C" category="/SaaS/" xmlUrl="https://c.example/feed"/>
<outline text="Outer"><outline text="D" category="//" xmlUrl="https://d.example/feed"/></outline>"#;
        let feeds = parse_opml(&opml(body), "t").unwrap();
        let categories: Vec<Option<&str>> = feeds.iter().map(|f| f.category.as_deref()).collect();
        assert_eq!(
            categories,
            [
                Some("cloud/Compute"),
                Some("Tech/Status Pages"),
                Some("saas"),
                None
            ]
        );
    }

    #[test]
    fn a_replay_catalog_takes_folder_names_and_keeps_addresses_behind_replay() {
        let body = r#"<outline text="Zoom" vendor="zoom" xmlUrl="zoom"/>
<outline text="AWS" vendor="aws" xmlUrl="https://status.aws.example/rss/all.rss"/>
<outline text="Again" xmlUrl="replay:again"/>"#;
        let urls: Vec<String> = super::parse_replay_opml(&opml(body), "t")
            .unwrap()
            .into_iter()
            .map(|f| f.url)
            .collect();
        assert_eq!(
            urls,
            [
                "replay:zoom",
                "replay:https://status.aws.example/rss/all.rss",
                "replay:again"
            ]
        );
        // A live catalog takes neither a folder name nor a replay URL.
        let err = parse_opml(&opml(body), "t").unwrap_err().to_string();
        assert!(
            err.contains("has xmlUrl \"zoom\", which is not an absolute http(s) URL"),
            "{err}"
        );
        assert!(err.contains("has xmlUrl \"replay:again\""), "{err}");
        assert!(err.contains("write the full feed address"), "{err}");
        // A name that is not a folder's is still refused, saying what a replay takes.
        let err = super::parse_replay_opml(&opml(r#"<outline text="Z" xmlUrl="../zoom"/>"#), "t")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("write the name of its capture folder (letters, digits, '.', '-', '_'), or the full feed address"),
            "{err}"
        );
    }

    /// Each case: body lines (the body starts on line 5 of the document), then the exact error.
    #[test]
    fn rejected_outlines() {
        let cases = [
            (
                "no xmlUrl",
                r#"<outline text="Zoom" type="rss"/>"#,
                "t: line 5: outline \"Zoom\" has no xmlUrl attribute: add the feed URL as xmlUrl=\"https://...\", or remove the outline",
            ),
            (
                "childless outline without type",
                r#"<outline text="Zoom"/>"#,
                "t: line 5: outline \"Zoom\" has no xmlUrl attribute: add the feed URL as xmlUrl=\"https://...\", or remove the outline",
            ),
            (
                "empty xmlUrl",
                r#"<outline text="Zoom" xmlUrl=""/>"#,
                "t: line 5, column 22: outline \"Zoom\" has an empty xmlUrl attribute: put the feed URL in it (xmlUrl=\"https://...\"), or remove the outline",
            ),
            (
                "relative url",
                r#"<outline text="Zoom" xmlUrl="/history.atom"/>"#,
                "t: line 5, column 22: outline \"Zoom\" has xmlUrl \"/history.atom\", which is not an absolute http(s) URL (relative URL without a base): write the full feed address, such as \"https://status.example.com/history.atom\"",
            ),
            (
                "ftp url",
                r#"<outline text="Zoom" xmlUrl="ftp://example.com/feed"/>"#,
                "t: line 5, column 22: outline \"Zoom\" has xmlUrl \"ftp://example.com/feed\", which is not an absolute http(s) URL (scheme ftp): write the full feed address, such as \"https://status.example.com/history.atom\"",
            ),
            (
                "unknown engine",
                r#"<outline text="Zoom" xmlUrl="https://a.example/f" engine="statuspag"/>"#,
                "t: line 5, column 51: outline \"Zoom\" has an unknown engine \"statuspag\": use one of statuspage, aws, gcp, azure, slack, incidentio, instatus, statusio, govuk, cstate, statusfy, playstation, page, generic, or remove the engine attribute to detect it from the feed",
            ),
            (
                "schedule in words",
                r#"<outline text="Zoom" xmlUrl="https://a.example/f" schedule="every 5 min"/>"#,
                "t: line 5, column 51: outline \"Zoom\" has an invalid schedule \"every 5 min\": expected 5 fields (minute hour day-of-month month day-of-week) or 6-7 fields with seconds first (second minute hour day-of-month month day-of-week [year]), found 3; write 5 cron fields (minute hour day-of-month month day-of-week) such as \"*/5 * * * *\" for every 5 minutes, 6-7 fields with seconds first, or @hourly, @daily, @weekly, @monthly, @yearly",
            ),
            (
                "runs_on item with a blank",
                r#"<outline text="Zoom" xmlUrl="https://a.example/f" runs_on="aws:us east-1"/>"#,
                "t: line 5, column 51: outline \"Zoom\" has an invalid runs_on: runs_on item \"aws:us east-1\": a region is one word: letters, digits, '-', '_', '.' (write provider or provider:region, separated by commas: \"aws:us-east-1,cloudflare\")",
            ),
            (
                "runs_on naming the vendor itself",
                r#"<outline text="Heroku" xmlUrl="https://a.example/f" runs_on="aws,heroku"/>"#,
                "t: line 5, column 53: outline \"Heroku\" has an invalid runs_on: runs_on item \"heroku\": names the vendor itself; list the other vendors it runs on (write provider or provider:region, separated by commas: \"aws:us-east-1,cloudflare\")",
            ),
            (
                "runs_on naming the vendor attribute itself",
                r#"<outline text="Amazon" vendor="aws" xmlUrl="https://a.example/f" runs_on="AWS:us-east-1"/>"#,
                "t: line 5, column 66: outline \"Amazon\" has an invalid runs_on: runs_on item \"aws:us-east-1\": names the vendor itself; list the other vendors it runs on (write provider or provider:region, separated by commas: \"aws:us-east-1,cloudflare\")",
            ),
            (
                "bare ampersand",
                r#"<outline text="Zoom" xmlUrl="https://a.example/f?a=1&b=2"/>"#,
                "t: line 5, column 53: outline \"Zoom\" has a malformed xmlUrl value: a bare & (write it as &amp;)",
            ),
            (
                "unknown entity",
                r#"<outline text="Zoom" xmlUrl="https://a.example/" title="a &bogus; b"/>"#,
                "t: line 5, column 59: outline \"Zoom\" has a malformed title value: unknown entity &bogus; (write a literal & as &amp;)",
            ),
        ];
        for (name, body, want) in cases {
            let err = parse_opml(&opml(body), "t").unwrap_err();
            assert_eq!(err.to_string(), want, "case {name}");
            assert_eq!(err.problems().len(), 1, "case {name}");
        }
    }

    #[test]
    fn every_problem_is_listed() {
        let body = "<outline text=\"A\"/>\n<outline text=\"Good\" xmlUrl=\"https://a.example/f\"/>\n<outline text=\"B\" xmlUrl=\"nope\"\n  engine=\"zz\"/>";
        let err = parse_opml(&opml(body), "t").unwrap_err();
        let lines: Vec<(usize, Option<usize>)> =
            err.problems().iter().map(|p| (p.line, p.column)).collect();
        assert_eq!(lines, [(5, None), (7, Some(19)), (8, Some(3))]);
        assert_eq!(err.to_string().lines().count(), 3);
        assert!(err.to_string().lines().all(|l| l.starts_with("t: line ")));
    }

    #[test]
    fn rejected_documents() {
        let cases = [
            ("empty", "", "t: line 1, column 1: not XML: the document is empty (no root element)"),
            (
                "plain text",
                "hello world",
                "t: line 1, column 1: not XML: the document starts with text ('hello world') instead of an element: an OPML file starts with <?xml ...?> or <opml>",
            ),
            (
                "a feed",
                "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel/></rss>",
                "t: line 2: not an OPML document: the root element is <rss>, expected <opml>: this is a feed itself, not a list of feeds; add its URL to an OPML file as an outline's xmlUrl",
            ),
            (
                "no body",
                "<opml version=\"2.0\">\n<head/>\n</opml>",
                "t: line 1: the <opml> element has no <body>: put the feed outlines inside <body>…</body>",
            ),
            (
                "no feeds",
                "<opml version=\"2.0\"><body><outline text=\"Folder\"><outline text=\"x\" type=\"link\"/></outline></body></opml>",
                "t: no feed outlines (outlines with xmlUrl) found: add <outline text=\"Name\" xmlUrl=\"https://...\"/> inside <body>",
            ),
            (
                "mismatched end tag",
                "<opml>\n<body>\n<outline text=\"a\" xmlUrl=\"https://a.example/\">\n</body>\n</opml>",
                "t: line 4, column 1: malformed XML: ill-formed document: expected `</outline>`, but `</body>` was found",
            ),
            (
                "truncated",
                "<opml>\n<body>\n<outline text=\"a\" xmlUrl=\"https://a.example/\"/>\n",
                "t: line 4, column 1: malformed XML: the document ends before <body> (opened at line 2) is closed: the file may be truncated",
            ),
            (
                "second root",
                "<opml><body><outline xmlUrl=\"https://a.example/\"/></body></opml>\n<opml/>",
                "t: line 2, column 1: malformed XML: a second root element <opml> after </opml>",
            ),
        ];
        for (name, doc, want) in cases {
            let err = parse_opml(doc, "t").unwrap_err();
            assert_eq!(err.to_string(), want, "case {name}");
        }
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        let doc = format!(
            "\u{feff}{}",
            opml(r#"<outline text="Z" xmlUrl="https://a.example/"/>"#)
        );
        assert_eq!(parse_opml(&doc, "t").unwrap().len(), 1);
    }

    #[test]
    fn find_attr_cases() {
        let tag = b"outline text=\"xmlUrl\" xmlUrl = \"u\"";
        assert_eq!(find_attr(tag, b"xmlUrl"), Some(22));
        assert_eq!(find_attr(tag, b"text"), Some(8));
        assert_eq!(find_attr(tag, b"vendor"), None);
    }
}
