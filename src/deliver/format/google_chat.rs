//! Google Chat incoming webhooks: `text` (what notifications show) and one `cardsV2` card
//! with a header, a section of the vendor's words and facts, and a button to the incident.
//!
//! Shape and limits (Google Chat API, "Send a message" and the `Message` and `Card` reference,
//! <https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces.messages>):
//! `text` at most 4,096 characters; a whole message, cards included, at most 32,000 bytes;
//! `cardsV2[].cardId` names the card. `text` reads Chat's own markup (`*bold*`, `<url|text>`,
//! `<users/…>` mentions) and a card's `textParagraph` reads a subset of HTML: feed text is
//! escaped for both (`&`, `<`, `>`), so it can neither link, mention nor restyle. The card's
//! text is cut to 3,000 characters and facts to 500, which keeps a message under 32,000 bytes.

use super::{brief, cut, facts, headline, look, one_line, safe_link, said};
use crate::model::{EventDetail, EventPayload};
use serde_json::{json, Value};

const TEXT_MAX: usize = 4096;
const PARAGRAPH_MAX: usize = 3000;
const FACT_MAX: usize = 500;

/// Feed text as Chat shows it literally, in `text` and in a card's HTML.
fn chat_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The Google Chat incoming-webhook body.
pub fn google_chat(event: &EventPayload) -> Value {
    let marker = look(event).marker;
    let text = chat_escape(&format!("{marker} {}", brief(event, TEXT_MAX / 2)));
    let mut widgets = Vec::new();
    let words = match &event.detail {
        EventDetail::CorrelatedOutage(cluster) => Some(super::cluster_details(cluster).join("\n")),
        _ => said(event).map(|s| s.line(PARAGRAPH_MAX)),
    };
    if let Some(words) = words {
        widgets.push(json!({ "textParagraph": { "text": chat_escape(&cut(&words, PARAGRAPH_MAX)).replace('\n', "<br>") } }));
    }
    for (name, value) in facts(event) {
        widgets.push(json!({ "decoratedText": {
            "topLabel": name,
            "text": chat_escape(&cut(&one_line(&value), FACT_MAX)),
            "wrapText": true,
        } }));
    }
    if let Some(link) = safe_link(event) {
        widgets.push(json!({ "buttonList": { "buttons": [{
            "text": "Open the incident",
            "onClick": { "openLink": { "url": link } },
        }] } }));
    }
    let subtitle = event
        .feed()
        .map(|f| one_line(&f.title))
        .unwrap_or_else(|| "statuswatch".to_string());
    json!({
        "text": cut(&text, TEXT_MAX),
        "cardsV2": [{
            "cardId": format!("statuswatch-{}", event.id),
            "card": {
                "header": {
                    "title": chat_escape(&cut(&format!("{marker} {}", headline(event)), 200)),
                    "subtitle": chat_escape(&cut(&subtitle, 200)),
                },
                "sections": [{ "widgets": widgets }],
            },
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn google_chat_sends_text_and_a_card_with_a_button() {
        let v = google_chat(&outage().payload);
        assert_eq!(
            v["text"],
            "🔴 Zoom: outage (major) since 07:19 UTC — Investigating: We are seeing elevated errors on meetings."
        );
        let card = &v["cardsV2"][0]["card"];
        assert_eq!(
            card["header"]["title"],
            "🔴 Zoom: outage (major) since 07:19 UTC"
        );
        let widgets = card["sections"][0]["widgets"].as_array().unwrap();
        assert_eq!(
            widgets[0]["textParagraph"]["text"],
            "Investigating: We are seeing elevated errors on meetings."
        );
        let button = &widgets.last().unwrap()["buttonList"]["buttons"][0];
        assert_eq!(
            button["onClick"]["openLink"]["url"],
            "https://status.zoom.us/incidents/abc"
        );
    }

    #[test]
    fn google_chat_escapes_feed_html_and_stays_under_its_limits() {
        let v = google_chat(&outage_saying(&format!("{HOSTILE}{}", "w".repeat(40_000))).payload);
        let p = v["cardsV2"][0]["card"]["sections"][0]["widgets"][0]["textParagraph"]["text"]
            .as_str()
            .unwrap();
        assert!(
            p.contains("&lt;b&gt;html&lt;/b&gt;") && !p.contains("<b>"),
            "{p}"
        );
        assert!(!v["text"].as_str().unwrap().contains("<!channel>"));
        assert!(v["text"].as_str().unwrap().chars().count() <= TEXT_MAX);
        assert!(v.to_string().len() < 32_000, "{}", v.to_string().len());
    }
}
