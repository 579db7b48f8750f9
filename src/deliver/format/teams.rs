//! Microsoft Teams, through a Workflows webhook ("When a Teams webhook request is received"):
//! a `message` carrying one Adaptive Card 1.4.
//!
//! Shape and limits (Microsoft Learn, "Create incoming webhooks with Workflows" and "Format
//! cards in Teams", <https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook>):
//! `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive",
//! "content":{AdaptiveCard}}]}`; a Teams message, card included, at most 28 KB. The card has a
//! title, a FactSet (state, severity, incident, components, since, feed), the vendor's text and
//! an `Action.OpenUrl` to the incident. Adaptive Card TextBlocks read a little markdown
//! (`**bold**`, `_italic_`, `[links](url)`): feed text has those broken with a zero-width space
//! so a feed cannot write a link or restyle the card; the text is cut to 3,000 characters and
//! facts to 500, which keeps the card well under 28 KB.

use super::{cut, facts, headline, look, one_line, safe_link, said};
use crate::model::{EventDetail, EventPayload};
use serde_json::{json, Value};

const TEXT_MAX: usize = 3000;
const FACT_MAX: usize = 500;

/// Feed text that Teams' markdown subset reads literally.
pub(super) fn teams_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev = '\0';
    for c in s.chars() {
        // `](` makes a link, `**`/`__` bold, `~~` strike-through: break the pairs apart.
        if (prev == ']' && c == '(') || (prev == c && matches!(c, '*' | '_' | '~')) {
            out.push('\u{200B}');
        }
        out.push(c);
        prev = c;
    }
    out
}

/// The Teams Workflows body: one Adaptive Card.
pub fn teams(event: &EventPayload) -> Value {
    let marker = look(event).marker;
    let mut body = vec![json!({
        "type": "TextBlock",
        "text": teams_escape(&cut(&format!("{marker} {}", headline(event)), 300)),
        "size": "Large",
        "weight": "Bolder",
        "wrap": true,
        "style": "heading",
    })];
    let text = match &event.detail {
        EventDetail::CorrelatedOutage(cluster) => {
            Some(super::cluster_details(cluster).join("\n\n"))
        }
        _ => said(event).map(|s| s.line(TEXT_MAX)),
    };
    if let Some(text) = text {
        body.push(json!({
            "type": "TextBlock",
            "text": teams_escape(&cut(&text, TEXT_MAX)),
            "wrap": true,
        }));
    }
    let facts: Vec<Value> = facts(event)
        .into_iter()
        .map(|(title, value)| json!({ "title": title, "value": teams_escape(&cut(&one_line(&value), FACT_MAX)) }))
        .collect();
    body.push(json!({ "type": "FactSet", "facts": facts }));
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "msteams": { "width": "Full" },
    });
    if let Some(link) = safe_link(event) {
        card["actions"] =
            json!([{ "type": "Action.OpenUrl", "title": "Open the incident", "url": link }]);
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn teams_sends_one_adaptive_card_with_facts_text_and_a_link() {
        let v = teams(&outage().payload);
        assert_eq!(v["type"], "message");
        let a = &v["attachments"][0];
        assert_eq!(a["contentType"], "application/vnd.microsoft.card.adaptive");
        let card = &a["content"];
        assert_eq!(
            (card["type"].as_str(), card["version"].as_str()),
            (Some("AdaptiveCard"), Some("1.4"))
        );
        assert_eq!(
            card["body"][0]["text"],
            "🔴 Zoom: outage (major) since 07:19 UTC"
        );
        assert_eq!(
            card["body"][1]["text"],
            "Investigating: We are seeing elevated errors on meetings."
        );
        let facts = card["body"][2]["facts"].as_array().unwrap();
        assert!(
            facts.contains(&json!({"title": "Severity", "value": "major"})),
            "{facts:?}"
        );
        assert_eq!(card["actions"][0]["type"], "Action.OpenUrl");
        assert_eq!(
            card["actions"][0]["url"],
            "https://status.zoom.us/incidents/abc"
        );
    }

    #[test]
    fn teams_breaks_feed_markdown() {
        let v = teams(&outage_saying(HOSTILE).payload);
        let text = v["attachments"][0]["content"]["body"][1]["text"]
            .as_str()
            .unwrap();
        assert!(!text.contains("](") && !text.contains("**"), "{text}");
        assert!(text.contains("]\u{200B}("), "{text}");
    }
}
