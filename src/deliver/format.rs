//! The body each webhook format sends for one event.
//!
//! - `json`: the event's outbox payload, byte for byte as stored (what `events --format json`
//!   nests under `payload`).
//! - `slack`: an incoming-webhook message: `text` (one line, used in notifications) and one
//!   `attachments` entry with `color`, `title`, `title_link`, `text`, `footer` and `ts`.
//! - `discord`: an execute-webhook message: `content` (one line) and one `embeds` entry with
//!   `title`, `url`, `description`, integer `color`, ISO 8601 `timestamp` and `footer`;
//!   `allowed_mentions` is empty so a vendor's text can never ping `@everyone`.
//!
//! Vendor text is untrusted: Slack's control characters (`&`, `<`, `>`) are escaped, and
//! lengths are cut to what each service accepts.

use crate::store::OutboxEvent;
use serde_json::{json, Value};
use std::fmt;
use std::str::FromStr;

/// The shape a receiver wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Slack,
    Discord,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Slack => "slack",
            Format::Discord => "discord",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "json" => Ok(Format::Json),
            "slack" => Ok(Format::Slack),
            "discord" => Ok(Format::Discord),
            _ => Err(format!(
                "unknown format {s:?} (known: json, slack, discord)"
            )),
        }
    }
}

/// How an event looks in chat: colour (0xRRGGBB), a marker and a word for its severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    pub color: u32,
    pub marker: &'static str,
}

/// The colour and marker of an event: by the state it moved to; feed health in amber/green.
pub fn look(event: &OutboxEvent) -> Look {
    let (color, marker) = match event.kind.as_str() {
        "state_change" => match event.to_state.as_deref() {
            Some("outage") => (0xD32F2F, "🔴"),
            Some("degraded") => (0xF57C00, "🟠"),
            Some("maintenance") => (0x1976D2, "🔵"),
            Some("informational") => (0x757575, "⚪"),
            _ => (0x2E7D32, "🟢"),
        },
        "feed_failing" | "network_down" => (0xFBC02D, "⚠️"),
        "feed_recovered" => (0x2E7D32, "🟢"),
        _ => (0x607D8B, "🔔"),
    };
    Look { color, marker }
}

/// The readable one-line summary: marker, title, and the transition for state changes
/// (`🔴 Zoom is outage: Login failures (operational → outage)`).
pub fn summary(event: &OutboxEvent) -> String {
    let title = event
        .title
        .clone()
        .unwrap_or_else(|| match (&event.feed_title, &event.vendor) {
            (Some(feed), _) => format!("{feed}: {}", event.kind.replace('_', " ")),
            (None, Some(vendor)) => format!("{vendor}: {}", event.kind.replace('_', " ")),
            _ => format!("statuswatch: {}", event.kind.replace('_', " ")),
        });
    let title = one_line(&title);
    match transition(event) {
        Some(t) => format!("{} {title} ({t})", look(event).marker),
        None => format!("{} {title}", look(event).marker),
    }
}

fn transition(event: &OutboxEvent) -> Option<String> {
    match (&event.from_state, &event.to_state) {
        (Some(from), Some(to)) => Some(format!("{from} → {to}")),
        _ => None,
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Cuts to at most `max` characters, with an ellipsis when cut.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Slack's three control characters in message text.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A link usable inside Slack's `<url|text>` and as Discord's `url`: http(s) only.
fn safe_link(event: &OutboxEvent) -> Option<String> {
    let link = event.link.as_deref()?;
    let url = url::Url::parse(link).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.as_str().replace('|', "%7C"))
}

/// The detail lines under the title: transition, components, vendor and when.
fn details(event: &OutboxEvent) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(t) = transition(event) {
        lines.push(format!("State: {t}"));
    }
    if !event.components.is_empty() {
        lines.push(format!("Components: {}", event.components.join(", ")));
    }
    if let Some(feed) = &event.feed_title {
        lines.push(format!("Feed: {feed}"));
    }
    lines.push(format!("Since: {}", event.occurred_at));
    lines
}

fn footer(event: &OutboxEvent) -> String {
    match &event.vendor {
        Some(vendor) => format!("statuswatch · {vendor}"),
        None => "statuswatch".to_string(),
    }
}

fn unix_seconds(text: &str) -> Option<i64> {
    crate::store::parse_time_text(text).map(|t| t.timestamp())
}

/// The Slack incoming-webhook body.
pub fn slack(event: &OutboxEvent) -> Value {
    let summary = summary(event);
    let text = match safe_link(event) {
        Some(link) => format!("<{link}|{}>", slack_escape(&summary)),
        None => slack_escape(&summary),
    };
    let title = event.title.as_deref().map(one_line).unwrap_or_default();
    let mut attachment = json!({
        "color": format!("#{:06x}", look(event).color),
        "fallback": cut(&summary, 300),
        "title": cut(&title, 250),
        "text": cut(&slack_escape(&details(event).join("\n")), 3000),
        "footer": footer(event),
    });
    if let Some(link) = safe_link(event) {
        attachment["title_link"] = Value::String(link);
    }
    if let Some(ts) = unix_seconds(&event.occurred_at) {
        attachment["ts"] = json!(ts);
    }
    json!({ "text": cut(&text, 3000), "attachments": [attachment] })
}

/// The Discord execute-webhook body.
pub fn discord(event: &OutboxEvent) -> Value {
    let summary = summary(event);
    let title = event
        .title
        .as_deref()
        .map(one_line)
        .unwrap_or_else(|| summary.clone());
    let mut embed = json!({
        "title": cut(&title, 256),
        "description": cut(&details(event).join("\n"), 4096),
        "color": look(event).color,
        "footer": { "text": footer(event) },
    });
    if let Some(link) = safe_link(event) {
        embed["url"] = Value::String(link);
    }
    if let Some(t) = crate::store::parse_time_text(&event.occurred_at) {
        embed["timestamp"] = Value::String(crate::store::time_text(t));
    }
    json!({
        "content": cut(&summary, 2000),
        "embeds": [embed],
        "allowed_mentions": { "parse": [] },
    })
}

/// The request body for `format`.
pub fn body(format: Format, event: &OutboxEvent) -> Vec<u8> {
    match format {
        Format::Json => event.payload.clone().into_bytes(),
        Format::Slack => slack(event).to_string().into_bytes(),
        Format::Discord => discord(event).to_string().into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outage() -> OutboxEvent {
        OutboxEvent {
            seq: 3,
            id: "0199".into(),
            kind: "state_change".into(),
            occurred_at: "2025-10-20T07:11:00Z".into(),
            detected_at: "2025-10-20T07:12:00Z".into(),
            vendor: Some("zoom".into()),
            feed_title: Some("Zoom".into()),
            category: Some("saas".into()),
            component: None,
            from_state: Some("operational".into()),
            to_state: Some("outage".into()),
            title: Some("Zoom is outage: Login <failures> & more".into()),
            link: Some("https://status.zoom.us/incidents/abc".into()),
            components: vec!["API".into(), "Web".into()],
            payload: r#"{"id":"0199","type":"state_change"}"#.into(),
        }
    }

    #[test]
    fn json_sends_the_payload_as_stored() {
        assert_eq!(body(Format::Json, &outage()), outage().payload.into_bytes());
    }

    #[test]
    fn summary_is_one_readable_line() {
        assert_eq!(
            summary(&outage()),
            "🔴 Zoom is outage: Login <failures> & more (operational → outage)"
        );
        let mut multi = outage();
        multi.title = Some("Line one\nline two".into());
        assert!(!summary(&multi).contains('\n'));
    }

    #[test]
    fn slack_has_text_and_a_coloured_attachment_with_escaped_vendor_text() {
        let v = slack(&outage());
        let text = v["text"].as_str().unwrap();
        assert!(
            text.starts_with("<https://status.zoom.us/incidents/abc|🔴 Zoom"),
            "{text}"
        );
        assert!(text.contains("&lt;failures&gt; &amp; more"), "{text}");
        let a = &v["attachments"][0];
        assert_eq!(a["color"], "#d32f2f");
        assert_eq!(a["title_link"], "https://status.zoom.us/incidents/abc");
        assert_eq!(a["ts"], 1760944260);
        assert!(a["text"].as_str().unwrap().contains("Components: API, Web"));
    }

    #[test]
    fn discord_has_content_and_an_embed_with_integer_colour() {
        let v = discord(&outage());
        assert!(v["content"]
            .as_str()
            .unwrap()
            .starts_with("🔴 Zoom is outage"));
        let e = &v["embeds"][0];
        assert_eq!(e["color"], 0xD32F2F);
        assert!(e["color"].is_u64());
        assert_eq!(e["url"], "https://status.zoom.us/incidents/abc");
        assert_eq!(e["timestamp"], "2025-10-20T07:11:00Z");
        assert_eq!(e["title"], "Zoom is outage: Login <failures> & more");
        assert!(e["description"]
            .as_str()
            .unwrap()
            .contains("State: operational → outage"));
        assert_eq!(v["allowed_mentions"]["parse"], json!([]));
    }

    #[test]
    fn colours_follow_the_new_state() {
        let mut e = outage();
        for (to, color) in [
            ("degraded", 0xF57C00),
            ("maintenance", 0x1976D2),
            ("operational", 0x2E7D32),
        ] {
            e.to_state = Some(to.into());
            assert_eq!(look(&e).color, color, "{to}");
        }
    }

    #[test]
    fn links_that_are_not_http_are_left_out_and_long_text_is_cut() {
        let mut e = outage();
        e.link = Some("javascript:alert(1)".into());
        e.title = Some("x".repeat(5000));
        let d = discord(&e);
        assert!(d["embeds"][0].get("url").is_none());
        assert_eq!(
            d["embeds"][0]["title"].as_str().unwrap().chars().count(),
            256
        );
        let s = slack(&e);
        assert!(s["attachments"][0].get("title_link").is_none());
        assert!(!s["text"].as_str().unwrap().starts_with('<'));
    }

    #[test]
    fn formats_parse_and_unknown_ones_are_named() {
        assert_eq!("Slack".parse::<Format>().unwrap(), Format::Slack);
        assert!("teams".parse::<Format>().unwrap_err().contains("\"teams\""));
    }
}
