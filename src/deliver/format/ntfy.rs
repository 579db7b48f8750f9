//! ntfy, published as JSON: a POST to the server's root URL with the topic in the body.
//!
//! Shape and limits (ntfy's docs, "Publishing" › "Publish as JSON", <https://docs.ntfy.sh/publish/#publish-as-json>):
//! `topic` (required), `title`, `message`, `priority` 1 (min) to 5 (max, 3 the default),
//! `tags` (emoji short codes such as `rotating_light` show as emoji), `click` (opened when the
//! notification is tapped). ntfy's default message size limit is 4,096 bytes (a longer message
//! becomes an attachment), so the message is cut to stay under it; the title to 250 characters.
//! Text is plain (no `markdown`), so a feed's text shows as written.

use super::{brief, cut, headline, one_line, safe_link, said};
use crate::model::{ClusterPhase, EventDetail, EventPayload, ServiceState};
use serde_json::{json, Value};

const MESSAGE_BYTES: usize = 4096;
const TITLE_MAX: usize = 250;

/// ntfy's priority and tags for an event: outage 5 and `rotating_light`, degraded 4 and
/// `warning`, maintenance 3 and `wrench`, recovery 3 and `white_check_mark`, others 2 or 3.
fn priority_and_tags(event: &EventPayload) -> (u8, &'static str) {
    match &event.detail {
        EventDetail::CorrelatedOutage(c) if c.phase == ClusterPhase::Resolved => {
            (3, "white_check_mark")
        }
        EventDetail::CorrelatedOutage(_) => (5, "rotating_light"),
        EventDetail::FeedFailing(_) | EventDetail::NetworkDown(_) => (3, "warning"),
        EventDetail::FeedRecovered(_) => (2, "white_check_mark"),
        EventDetail::Test(_) | EventDetail::Unknown => (2, "bell"),
        _ => match event
            .transition()
            .map_or(ServiceState::Informational, |(_, to)| to)
        {
            ServiceState::Outage => (5, "rotating_light"),
            ServiceState::Degraded => (4, "warning"),
            ServiceState::Maintenance => (3, "wrench"),
            ServiceState::Informational => (2, "information_source"),
            ServiceState::Operational => (3, "white_check_mark"),
        },
    }
}

/// At most `max` bytes of `s`, cut on a char boundary with an ellipsis.
fn cut_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// The ntfy JSON publish body for `topic`.
pub fn ntfy(event: &EventPayload, topic: &str) -> Value {
    let (priority, tag) = priority_and_tags(event);
    let message = match &event.detail {
        EventDetail::CorrelatedOutage(cluster) => super::cluster_details(cluster).join("\n"),
        _ => {
            let mut lines = vec![brief(event, 500)];
            if let Some(said) = said(event) {
                lines = vec![headline(event), said.line(MESSAGE_BYTES)];
            }
            lines.join("\n")
        }
    };
    let mut tags = vec![tag.to_string()];
    if let Some(vendor) = event.vendor() {
        tags.push(vendor.to_string());
    }
    let mut body = json!({
        "topic": topic,
        "title": cut(&one_line(&headline(event)), TITLE_MAX),
        "message": cut_bytes(&message, MESSAGE_BYTES - 96),
        "priority": priority,
        "tags": tags,
    });
    if let Some(link) = safe_link(event) {
        body["click"] = Value::String(link);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn ntfy_publishes_json_with_title_priority_tags_and_click() {
        let v = ntfy(&outage().payload, "alerts");
        assert_eq!(v["topic"], "alerts");
        assert_eq!(v["title"], "Zoom: outage (major) since 07:19 UTC");
        assert_eq!(v["message"], "Zoom: outage (major) since 07:19 UTC\nInvestigating: We are seeing elevated errors on meetings.");
        assert_eq!(v["priority"], 5);
        assert_eq!(v["tags"], json!(["rotating_light", "zoom"]));
        assert_eq!(v["click"], "https://status.zoom.us/incidents/abc");
        let r = ntfy(&recovery(), "alerts");
        assert_eq!(
            (r["priority"].as_u64(), r["tags"][0].as_str()),
            (Some(3), Some("white_check_mark"))
        );
    }

    #[test]
    fn ntfy_keeps_the_message_under_4096_bytes_on_a_char_boundary() {
        let v = ntfy(&outage_saying(&"é".repeat(5000)).payload, "t");
        let m = v["message"].as_str().unwrap();
        assert!(m.len() <= MESSAGE_BYTES, "{}", m.len());
        assert!(m.ends_with('…'));
        assert_eq!(cut_bytes("aéé", 4), "a…");
        assert_eq!(cut_bytes("ééé", 4), "…");
    }
}
