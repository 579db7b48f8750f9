//! Status APIs that answer JSON: Statuspage (and incident.io's compatible summary), Instatus,
//! Slack, the AWS Health Dashboard, Google Cloud and PlayStation Network. Each document becomes
//! a `ParsedFeed`: its incidents as entries (the API's own ids, impact and updates), and, where
//! the API states them, every component's state now and the service's overall word.
//!
//! One file per family, each a set of serde structs (`#[serde(default)]` wherever real documents
//! leave keys out) and a pure function from them to a `ParsedFeed`. This file reads the JSON
//! once into a `serde_json::Value` (serde_json's recursion limit of 128 stops deep nesting before
//! it can blow the stack), picks the family (the catalog's engine wins; else the document's
//! shape, the URL as a hint), and turns a document of the wrong shape into an error that names
//! the key path: `expected an array at $.components, found a string`.

mod aws;
mod gcp;
mod instatus;
mod playstation;
mod slack;
mod statuspage;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::{ParseError, ParseOptions};
use crate::model::{Engine, Entry, ParsedFeed, Update};

/// The reader a document goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// Statuspage's `/api/v2/*.json`, and the summaries incident.io and Instatus serve in its shape.
    Statuspage,
    /// Instatus's own `summary.json` and `components.json` (upper-case states).
    Instatus,
    Slack,
    Aws,
    Gcp,
    Playstation,
}

/// Reads one JSON status document.
pub(super) fn parse(body: &str, opts: &ParseOptions) -> Result<ParsedFeed, ParseError> {
    let value: Value = serde_json::from_str(body).map_err(|e| {
        ParseError::Invalid(format!(
            "the body is JSON that does not parse ({e}); a status API answers a complete JSON document"
        ))
    })?;
    let url = opts.feed_url.as_deref().unwrap_or("").to_ascii_lowercase();
    let (family, engine) = choose(&value, opts.engine, &url)?;
    let doc = Doc {
        value: &value,
        feed_url: opts.feed_url.as_deref(),
        engine,
    };
    match family {
        Family::Statuspage => statuspage::read(&doc),
        Family::Instatus => instatus::read(&doc),
        Family::Slack => slack::read(&doc),
        Family::Aws => aws::read(&doc),
        Family::Gcp => gcp::read(&doc),
        Family::Playstation => playstation::read(&doc),
    }
}

/// One document on its way to a reader.
struct Doc<'a> {
    value: &'a Value,
    feed_url: Option<&'a str>,
    /// The engine the result carries (the family's, or the hosted flavour of Statuspage's shape).
    engine: Engine,
}

impl Doc<'_> {
    /// Deserialises the whole document as `T`; `what` names the API in the error.
    fn typed<T: DeserializeOwned>(&self, what: &str) -> Result<T, ParseError> {
        typed(self.value, what)
    }

    /// Where the API's relative links point: the page URL it states, else the feed URL's origin.
    fn base(&self, page_url: Option<&str>) -> Option<url::Url> {
        page_url
            .and_then(|u| url::Url::parse(u).ok())
            .or_else(|| self.origin())
    }

    /// The result every reader returns: the entries (one per id), the snapshot and the word;
    /// `lists_open` when the document lists every open incident (a summary, current events).
    fn feed(
        &self,
        title: Option<String>,
        entries: Vec<Entry>,
        components: Option<Vec<crate::model::ComponentStatus>>,
        overall: Option<crate::model::ServiceState>,
        lists_open: bool,
    ) -> ParsedFeed {
        ParsedFeed {
            title: title.filter(|t| !t.is_empty()),
            engine: self.engine,
            entries: dedupe(entries),
            // parse_inner sets it from the decoding step; nothing here repairs.
            repaired: false,
            components,
            overall,
            lists_open,
            // parse_inner adds the decoding's and the cap's.
            notes: Vec::new(),
            capped: None,
        }
    }

    /// The scheme, host and port of the feed URL: where relative links of the API point.
    fn origin(&self) -> Option<url::Url> {
        let mut url = url::Url::parse(self.feed_url?).ok()?;
        url.set_path("");
        url.set_query(None);
        url.set_fragment(None);
        Some(url)
    }
}

/// Which reader, and which engine the result carries. The catalog's engine wins when it names a
/// JSON family; an engine of a feed-only family (or none) leaves it to the document's shape.
fn choose(
    value: &Value,
    engine: Option<Engine>,
    url: &str,
) -> Result<(Family, Engine), ParseError> {
    match engine {
        Some(e @ (Engine::Statuspage | Engine::Incidentio)) => return Ok((Family::Statuspage, e)),
        Some(Engine::Instatus) => {
            let family = if instatus::is_native(value) {
                Family::Instatus
            } else {
                Family::Statuspage
            };
            return Ok((family, Engine::Instatus));
        }
        Some(Engine::Slack) => return Ok((Family::Slack, Engine::Slack)),
        Some(Engine::Aws) => return Ok((Family::Aws, Engine::Aws)),
        Some(Engine::Gcp) => return Ok((Family::Gcp, Engine::Gcp)),
        Some(Engine::Playstation) => return Ok((Family::Playstation, Engine::Playstation)),
        _ => {}
    }
    detect(value, url)
}

/// The family from the document's shape, the URL deciding only what the shape cannot tell (an
/// empty event list).
fn detect(value: &Value, url: &str) -> Result<(Family, Engine), ParseError> {
    let url_has = |s: &str| url.contains(s);
    match value {
        Value::Array(items) => {
            let first = items.iter().find_map(Value::as_object);
            let has = |k: &str| first.is_some_and(|o| o.contains_key(k));
            if has("arn") || has("event_log") || has("impacted_services") {
                return Ok((Family::Aws, Engine::Aws));
            }
            if has("affected_products") || has("status_impact") || has("most_recent_update") {
                return Ok((Family::Gcp, Engine::Gcp));
            }
            if has("notes") || (has("title") && has("services")) {
                return Ok((Family::Slack, Engine::Slack));
            }
            if first.is_none() {
                if url_has("health.aws.amazon.com") || url_has("status.aws.amazon.com") {
                    return Ok((Family::Aws, Engine::Aws));
                }
                if url_has("status.cloud.google.com") {
                    return Ok((Family::Gcp, Engine::Gcp));
                }
                if url_has("slack-status.com") || url_has("status.slack.com") {
                    return Ok((Family::Slack, Engine::Slack));
                }
                return Err(ParseError::NotAFeed(format!(
                    "an empty JSON array ({} items, none an object): an idle AWS, Google Cloud or Slack \
                     event list looks like this, but nothing says which; name the engine (--engine aws, gcp or slack)",
                    items.len()
                )));
            }
            Err(ParseError::NotAFeed(format!(
                "a JSON array of objects with keys {}, which is no status API statuswatch reads \
                 (AWS events have `arn`, Google Cloud incidents `affected_products`, Slack incidents `notes`)",
                key_list(first)
            )))
        }
        Value::Object(o) => {
            if o.contains_key("active_incidents") {
                return Ok((Family::Slack, Engine::Slack));
            }
            if o.contains_key("countries") || o.contains_key("regionName") {
                return Ok((Family::Playstation, Engine::Playstation));
            }
            if instatus::is_native(value) {
                return Ok((Family::Instatus, Engine::Instatus));
            }
            if statuspage::is_shaped(value) {
                let engine = if url_has("instatus") {
                    Engine::Instatus
                } else if url_has("incident.io") || statuspage::page_id_is_ulid(value) {
                    // incident.io's compatible summary: page ids are 26-character ULIDs where
                    // Statuspage's are 12 lowercase characters.
                    Engine::Incidentio
                } else {
                    Engine::Statuspage
                };
                return Ok((Family::Statuspage, engine));
            }
            if o.contains_key("status")
                && (url_has("slack-status.com") || url_has("status.slack.com"))
            {
                return Ok((Family::Slack, Engine::Slack));
            }
            Err(ParseError::NotAFeed(format!(
                "a JSON object with keys {}, which is no status API statuswatch reads (Statuspage, incident.io, \
                 Instatus, Slack, AWS, Google Cloud, PlayStation Network); if it is one of them, name its engine",
                key_list(Some(o))
            )))
        }
        other => Err(ParseError::NotAFeed(format!(
            "a bare JSON {} (a status API answers an object or an array)",
            kind_of(other)
        ))),
    }
}

/// The first keys of an object, for messages.
fn key_list(o: Option<&serde_json::Map<String, Value>>) -> String {
    let Some(o) = o else {
        return "(none)".into();
    };
    let mut keys: Vec<String> = o.keys().take(8).map(|k| format!("`{k}`")).collect();
    if o.len() > 8 {
        keys.push("...".into());
    }
    if keys.is_empty() {
        "(none)".into()
    } else {
        keys.join(", ")
    }
}

/// Deserialises `value` as `T`, naming the key path of the first mismatch.
fn typed<T: DeserializeOwned>(value: &Value, what: &str) -> Result<T, ParseError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = json_path(e.path());
        let found = lookup(value, e.path()).map_or_else(|| "nothing".to_string(), describe);
        let inner = e.inner().to_string();
        let expected = inner
            .split_once(", expected ")
            .map(|(_, exp)| exp.to_string())
            .unwrap_or(inner);
        let expected = expected
            .replace("a sequence", "an array")
            .replace("struct ", "an object ")
            .replace("a map", "an object");
        ParseError::Invalid(format!(
            "{what}: expected {expected} at {path}, found {found}; check that the URL is this API's \
             (or name the right engine with --engine)"
        ))
    })
}

/// `$.components[3].status` for a serde path.
fn json_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::from("$");
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                out.push('.');
                out.push_str(key);
            }
            Segment::Enum { variant } => {
                out.push('.');
                out.push_str(variant);
            }
            Segment::Unknown => out.push_str(".?"),
        }
    }
    out
}

/// The value a serde path points at, when it exists.
fn lookup<'a>(value: &'a Value, path: &serde_path_to_error::Path) -> Option<&'a Value> {
    use serde_path_to_error::Segment;
    path.iter().try_fold(value, |v, seg| match seg {
        Segment::Seq { index } => v.get(*index),
        Segment::Map { key } => v.get(key.as_str()),
        _ => None,
    })
}

/// "a string (\"up\")", "an object", ... for messages.
fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => {
            let short: String = s.chars().take(40).collect();
            format!("a string ({short:?})")
        }
        Value::Number(n) => format!("a number ({n})"),
        other => kind_of(other).to_string(),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A string field that some APIs write as a number (Slack's ids, AWS's status codes) or null.
fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        S(String),
        I(i64),
        U(u64),
        F(f64),
        B(bool),
    }
    Ok(Option::<Text>::deserialize(d)?.map(|t| match t {
        Text::S(s) => s,
        Text::I(n) => n.to_string(),
        Text::U(n) => n.to_string(),
        Text::F(n) => n.to_string(),
        Text::B(b) => b.to_string(),
    }))
}

/// A timestamp as written (ISO 8601 with any offset); `None` when absent or unreadable.
fn time(text: Option<&str>) -> Option<DateTime<Utc>> {
    text.and_then(super::dates::parse_timestamp)
}

/// Epoch seconds written as a string or a number (AWS).
fn epoch(text: Option<&str>) -> Option<DateTime<Utc>> {
    let secs: f64 = text?.trim().parse().ok()?;
    if !secs.is_finite() {
        return None;
    }
    DateTime::from_timestamp(secs as i64, 0)
}

/// An API's status word as people read it on the page: `in_progress` → "In progress",
/// `INVESTIGATING` → "Investigating", `postmortem` → "Postmortem".
fn label(word: &str) -> String {
    let lower = word.trim().replace(['_', '-'], " ").to_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An API's text field made plain: line endings unified, control characters dropped, blanks
/// trimmed. API bodies are plain text or Markdown, not HTML, so nothing else is removed.
fn plain(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .filter(|c| !crate::text::is_unsafe(*c))
        .collect::<String>()
        .trim()
        .to_string()
}

/// A vendor's word as the entry keeps it (an impact, "major"): trimmed, lower case, absent when blank.
fn lower_word(word: Option<String>) -> Option<String> {
    word.map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
}

/// A link an API gives, made safe (http(s) only) and absolute against `base`.
fn link(href: Option<&str>, base: Option<&url::Url>) -> Option<String> {
    href.filter(|h| !h.trim().is_empty())
        .and_then(|h| super::html::sanitize_link(h, base))
}

/// What every family builds: an entry whose content is its updates, newest first, as the
/// feeds' readers give them ("Resolved - text"), so classification reads API entries the way it
/// reads feed entries.
struct EntryParts {
    id: String,
    title: String,
    link: Option<String>,
    published: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
    updates: Vec<Update>,
    components: Vec<String>,
    incident_key: Option<String>,
    severity: Option<String>,
}

impl EntryParts {
    fn build(mut self) -> Entry {
        newest_first(&mut self.updates);
        let content = self
            .updates
            .iter()
            .map(|u| match (u.label.is_empty(), u.text.is_empty()) {
                (true, _) => u.text.clone(),
                (false, true) => u.label.clone(),
                (false, false) => format!("{} - {}", u.label, u.text),
            })
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        let mut components: Vec<String> = Vec::with_capacity(self.components.len());
        for c in self.components {
            if !c.is_empty() && !components.contains(&c) {
                components.push(c);
            }
        }
        Entry {
            id: self.id,
            id_derived: false,
            title: self.title,
            link: self.link,
            published: self.published,
            updated: self.updated,
            content,
            updates: self.updates,
            components,
            incident_key: self.incident_key,
            severity: self.severity,
            language: None,
        }
    }
}

/// Sorts updates newest first (undated last); the stable sort keeps the API's order among
/// updates of one time.
fn newest_first(updates: &mut [Update]) {
    updates.sort_by_key(|u| std::cmp::Reverse(u.at));
}

/// Keeps the first entry of each id (an API listing one incident twice must not store it twice).
fn dedupe(entries: Vec<Entry>) -> Vec<Entry> {
    let mut seen = std::collections::HashSet::with_capacity(entries.len());
    entries
        .into_iter()
        .filter(|e| seen.insert(e.id.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ParseOptions {
        ParseOptions::default()
    }

    #[test]
    fn labels_read_like_the_page() {
        assert_eq!(label("in_progress"), "In progress");
        assert_eq!(label("INVESTIGATING"), "Investigating");
        assert_eq!(label("postmortem"), "Postmortem");
        assert_eq!(label(""), "");
    }

    #[test]
    fn a_wrong_shape_names_the_key_path() {
        let err = parse(r#"{"page":{"id":"abc"},"components":"all fine"}"#, &opts()).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, ParseError::Invalid(_)), "{msg}");
        assert!(msg.contains("at $.components"), "{msg}");
        assert!(msg.contains("expected an array"), "{msg}");
        assert!(msg.contains("found a string"), "{msg}");
        let err = parse(
            r#"{"components":[{"id":"a","name":"API","status":"operational"},{"id":"b","name":7}]}"#,
            &opts(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("$.components[1].name"), "{err}");
    }

    #[test]
    fn unknown_json_is_not_a_feed() {
        for body in [r#"{"hello":"world"}"#, "[1,2,3]", "[]", r#""text""#] {
            let err = parse(body, &opts()).unwrap_err();
            assert!(matches!(err, ParseError::NotAFeed(_)), "{body}: {err}");
        }
        // An empty list is an idle event list when the URL says whose.
        let o = ParseOptions {
            feed_url: Some("https://health.aws.amazon.com/public/currentevents".into()),
            ..ParseOptions::default()
        };
        let feed = parse("[]", &o).unwrap();
        assert_eq!(feed.engine, Engine::Aws);
        assert!(feed.entries.is_empty());
    }

    #[test]
    fn deep_nesting_fails_cleanly() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let err = parse(&deep, &opts()).unwrap_err();
        assert!(err.to_string().contains("recursion limit"), "{err}");
        let deep = format!("{}1{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
        assert!(matches!(parse(&deep, &opts()), Err(ParseError::Invalid(_))));
    }

    #[test]
    fn a_huge_array_parses_in_bounded_time() {
        let one = r#"{"date":"1772369485","arn":"arn:aws:health:us-east-1::event/EC2/X/Y","service":"ec2-us-east-1","service_name":"EC2","summary":"Increased Error Rates","status":"3","event_log":[]}"#;
        let mut body = String::from("[");
        for i in 0..200_000 {
            if i > 0 {
                body.push(',');
            }
            body.push_str(&one.replace("/Y", &format!("/Y{i}")));
        }
        body.push(']');
        let started = std::time::Instant::now();
        let feed = parse(&body, &opts()).unwrap();
        assert_eq!(feed.entries.len(), 200_000);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn epoch_and_iso_times() {
        assert_eq!(
            epoch(Some("1772369485")).map(|d| d.to_rfc3339()),
            Some("2026-03-01T12:51:25+00:00".into())
        );
        assert_eq!(epoch(Some("soon")), None);
        assert_eq!(
            time(Some("2024-09-02T20:49:43.712+02:00")).map(|d| d.to_rfc3339()),
            Some("2024-09-02T18:49:43.712+00:00".into())
        );
    }
}
