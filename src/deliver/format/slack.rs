//! Slack incoming-webhook messages in Block Kit, with the plain `text` fallback that
//! notifications and old clients show.
//!
//! Limits (Slack's Block Kit reference, <https://api.slack.com/reference/block-kit/blocks>):
//! a `header` block's `plain_text` at most 150 characters; a `section`'s text at most 3,000; a
//! `context` block at most 10 elements; a button's text at most 75 characters and its `url` at
//! most 3,000; at most 50 blocks per message. The top-level `text` is cut to 3,000 too (Slack
//! truncates messages past 40,000). Vendor text is escaped for mrkdwn (`&`, `<`, `>`: Slack's
//! three control characters), so a feed cannot write a link or a mention.

use super::{
    brief, clock, cut, facts, headline, look, one_line, safe_link, said, since, unix_seconds,
};
use super::{cluster_details, details, footer, summary};
use crate::model::{EventDetail, EventPayload};
use serde_json::{json, Value};

/// A `header` block's text.
const HEADER_MAX: usize = 150;
/// A `section` block's text.
const SECTION_MAX: usize = 3000;
/// The top-level `text`.
const TEXT_MAX: usize = 3000;
/// A `context` element's text (elements of a context block are short lines).
const CONTEXT_MAX: usize = 300;

/// Slack's three control characters in message text.
pub(super) fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The Slack incoming-webhook body: `text` (the one-line brief, linked to the incident) and
/// `blocks`: a header, a section with the vendor's words, a context with times and
/// components, and a button to the incident; an attachment keeps the state's colour bar.
pub fn slack(event: &EventPayload) -> Value {
    let marker = look(event).marker;
    let line = format!("{marker} {}", brief(event, TEXT_MAX - 100));
    let text = match safe_link(event) {
        Some(link) => format!("<{link}|{}>", slack_escape(&line)),
        None => slack_escape(&line),
    };
    let mut blocks = vec![json!({
        "type": "header",
        "text": { "type": "plain_text", "text": cut(&format!("{marker} {}", headline(event)), HEADER_MAX), "emoji": true },
    })];
    let body = match &event.detail {
        EventDetail::CorrelatedOutage(cluster) => cluster_details(cluster).join("\n"),
        _ => {
            let mut lines = Vec::new();
            if let Some(said) = said(event) {
                let label = match said.label.is_empty() {
                    true => String::new(),
                    false => format!("*{}:* ", slack_escape(&said.label)),
                };
                lines.push(format!("{label}{}", slack_escape(&said.text)));
            } else if event.transition().is_none() {
                lines.extend(details(event).iter().map(|l| slack_escape(l)));
            }
            if let Some(i) = event.incident() {
                let title = one_line(&i.title);
                if !title.is_empty() {
                    lines.push(format!("_{}_", slack_escape(&title)));
                }
            }
            lines.join("\n")
        }
    };
    if !body.trim().is_empty() {
        let body = match &event.detail {
            EventDetail::CorrelatedOutage(_) => slack_escape(&body),
            _ => body,
        };
        blocks.push(json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": cut(&body, SECTION_MAX) },
        }));
    }
    let mut context: Vec<Value> = facts(event)
        .into_iter()
        .filter(|(name, _)| !matches!(name.as_str(), "Incident" | "Likely cause" | "Chance alone"))
        .map(|(name, value)| {
            json!({ "type": "mrkdwn", "text": cut(&format!("*{name}:* {}", slack_escape(&value)), CONTEXT_MAX) })
        })
        .collect();
    context.push(json!({ "type": "mrkdwn", "text": slack_escape(&footer(event)) }));
    context.truncate(10);
    blocks.push(json!({ "type": "context", "elements": context }));
    if let Some(link) = safe_link(event) {
        blocks.push(json!({
            "type": "actions",
            "elements": [{
                "type": "button",
                "text": { "type": "plain_text", "text": "Open the incident" },
                "url": cut(&link, 3000),
            }],
        }));
    }
    let mut attachment = json!({
        "color": format!("#{:06x}", look(event).color),
        "fallback": cut(&summary(event), 300),
        "footer": slack_escape(&format!("{} · since {}", footer(event), clock(since(event)))),
    });
    if let Some(ts) = unix_seconds(&event.occurred_at) {
        attachment["ts"] = json!(ts);
    }
    json!({ "text": cut(&text, TEXT_MAX), "blocks": blocks, "attachments": [attachment] })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn slack_is_block_kit_with_a_text_fallback_and_the_vendors_words() {
        let v = slack(&outage().payload);
        assert_eq!(
            v["text"],
            "<https://status.zoom.us/incidents/abc|🔴 Zoom: outage (major) since 07:19 UTC — Investigating: We are seeing elevated errors on meetings.>"
        );
        let blocks = v["blocks"].as_array().unwrap();
        let types: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["header", "section", "context", "actions"]);
        assert_eq!(blocks[0]["text"]["type"], "plain_text");
        assert_eq!(
            blocks[0]["text"]["text"],
            "🔴 Zoom: outage (major) since 07:19 UTC"
        );
        assert_eq!(
            blocks[1]["text"]["text"],
            "*Investigating:* We are seeing elevated errors on meetings.\n_Login &lt;failures&gt; &amp; more_"
        );
        let context: Vec<&str> = blocks[2]["elements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["text"].as_str().unwrap())
            .collect();
        assert!(context.contains(&"*Components:* API, Web"), "{context:?}");
        assert!(context.contains(&"*Since:* 07:19 UTC"), "{context:?}");
        assert_eq!(
            blocks[3]["elements"][0]["url"],
            "https://status.zoom.us/incidents/abc"
        );
        assert_eq!(v["attachments"][0]["color"], "#d32f2f");
    }

    #[test]
    fn slack_cuts_to_block_limits_and_escapes_feed_text() {
        let long = format!("{HOSTILE} {}", "x".repeat(5000));
        let mut e = outage_saying(&long).payload;
        if let EventDetail::StateChange(c) = &mut e.detail {
            c.feed.title = "Z".repeat(400);
        }
        e.link = Some("javascript:alert(1)".into());
        let v = slack(&e);
        let blocks = v["blocks"].as_array().unwrap();
        assert_eq!(
            blocks[0]["text"]["text"].as_str().unwrap().chars().count(),
            HEADER_MAX
        );
        let section = blocks[1]["text"]["text"].as_str().unwrap();
        assert_eq!(section.chars().count(), SECTION_MAX);
        assert!(
            section.contains("&lt;!channel&gt;") && !section.contains("<!channel>"),
            "{section}"
        );
        assert!(
            !blocks.iter().any(|b| b["type"] == "actions"),
            "no button for a non-http link"
        );
        assert!(!v["text"].as_str().unwrap().starts_with('<'));
        assert!(v["text"].as_str().unwrap().chars().count() <= TEXT_MAX);
    }
}
