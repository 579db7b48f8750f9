//! Discord execute-webhook messages: `content` (the one-line brief) and one embed.
//!
//! Limits (Discord's developer docs, "Execute Webhook" and "Embed Limits",
//! <https://discord.com/developers/docs/resources/webhook#execute-webhook>): `content` at most
//! 2,000 characters; an embed's `title` 256, `description` 4,096, `footer.text` 2,048, a field's
//! name 256 and value 1,024, at most 25 fields, and all of an embed's text together 6,000.
//! `allowed_mentions` is empty so a vendor's text can never ping `@everyone`, and feed text is
//! escaped for Discord's markdown (links `[x](y)`, spoilers `||`, code fences, `*_~`, headings,
//! quotes) so it reads as written.

use super::{
    brief, cluster_details, cut, facts, footer, headline, look, one_line, safe_link, said,
};
use crate::model::{EventDetail, EventPayload};
use serde_json::{json, Value};

const CONTENT_MAX: usize = 2000;
const TITLE_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 4096;
const FIELD_VALUE_MAX: usize = 1024;
/// Fields shown (Discord allows 25); with the rest this stays under the 6,000 total.
const FIELDS: usize = 8;

/// Feed text as Discord shows it literally: every markdown character backslash-escaped, and
/// `@` followed by a zero-width space so no mention is formed even where mentions are allowed.
pub fn discord_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '[' | ']' | '(' | ')' | '#' | '-' | '<' => {
                out.push('\\');
                out.push(c);
            }
            '@' => out.push_str("@\u{200B}"),
            _ => out.push(c),
        }
    }
    out
}

/// The Discord execute-webhook body.
pub fn discord(event: &EventPayload) -> Value {
    let marker = look(event).marker;
    let content = format!(
        "{marker} {}",
        discord_escape(&brief(event, CONTENT_MAX / 2))
    );
    let title = match one_line(&headline(event)) {
        t if t.is_empty() => marker.to_string(),
        t => discord_escape(&t),
    };
    let description = match &event.detail {
        EventDetail::CorrelatedOutage(cluster) => {
            discord_escape(&cluster_details(cluster).join("\n"))
        }
        _ => match said(event) {
            Some(said) => {
                let label = match said.label.is_empty() {
                    true => String::new(),
                    false => format!("**{}:** ", discord_escape(&said.label)),
                };
                format!("{label}{}", discord_escape(&said.text))
            }
            None => discord_escape(&super::details(event).join("\n")),
        },
    };
    let fields: Vec<Value> = facts(event)
        .into_iter()
        .take(FIELDS)
        .map(|(name, value)| {
            json!({ "name": name, "value": cut(&discord_escape(&value), FIELD_VALUE_MAX), "inline": true })
        })
        .collect();
    let mut embed = json!({
        "title": cut(&title, TITLE_MAX),
        "description": cut(&description, DESCRIPTION_MAX),
        "color": look(event).color,
        "fields": fields,
        "footer": { "text": footer(event) },
    });
    if let Some(link) = safe_link(event) {
        embed["url"] = Value::String(link);
    }
    if let Some(t) = crate::store::parse_time_text(&event.occurred_at) {
        embed["timestamp"] = Value::String(crate::store::time_text(t));
    }
    json!({
        "content": cut(&content, CONTENT_MAX),
        "embeds": [embed],
        "allowed_mentions": { "parse": [] },
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn discord_has_content_and_an_embed_with_the_vendors_words() {
        let v = discord(&outage().payload);
        assert_eq!(
            v["content"],
            "🔴 Zoom: outage \\(major\\) since 07:19 UTC — Investigating: We are seeing elevated errors on meetings."
        );
        let e = &v["embeds"][0];
        assert_eq!(e["color"], 0xD32F2F);
        assert_eq!(e["url"], "https://status.zoom.us/incidents/abc");
        assert_eq!(e["timestamp"], "2025-10-20T07:11:00Z");
        assert_eq!(
            e["description"],
            "**Investigating:** We are seeing elevated errors on meetings."
        );
        assert_eq!(e["fields"][0]["name"], "State");
        assert_eq!(v["allowed_mentions"]["parse"], json!([]));
    }

    #[test]
    fn discord_escapes_markdown_and_mentions_from_feed_text() {
        let v = discord(&outage_saying(HOSTILE).payload);
        let d = v["embeds"][0]["description"].as_str().unwrap();
        for raw in [
            "[click](",
            "||spoiler||",
            "```",
            "**bold**",
            "~~x~~",
            "@everyone",
            " _i_",
        ] {
            assert!(!d.contains(raw), "{raw:?} passed through: {d}");
        }
        assert!(d.contains("\\[click\\]\\(https://evil.example\\)"), "{d}");
        assert!(d.contains("\\|\\|spoiler\\|\\|"), "{d}");
        assert!(d.contains("@\u{200B}everyone"), "{d}");
        assert_eq!(discord_escape("a*b"), "a\\*b");
    }

    #[test]
    fn discord_cuts_to_its_limits() {
        let v = discord(&outage_saying(&"y".repeat(9000)).payload);
        let e = &v["embeds"][0];
        assert_eq!(
            e["description"].as_str().unwrap().chars().count(),
            DESCRIPTION_MAX
        );
        assert!(v["content"].as_str().unwrap().chars().count() <= CONTENT_MAX);
        assert!(e["title"].as_str().unwrap().chars().count() <= TITLE_MAX);
    }
}
