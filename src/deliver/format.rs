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

use crate::model::{
    ClusterPhase, CorrelatedOutage, EventDetail, EventPayload, ServiceState, StoredEvent,
};
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
pub fn look(event: &EventPayload) -> Look {
    let (color, marker) = match &event.detail {
        EventDetail::StateChange(_) | EventDetail::ComponentChange(_) => {
            match event
                .transition()
                .map_or(ServiceState::Operational, |(_, to)| to)
            {
                ServiceState::Outage => (0xD32F2F, "🔴"),
                ServiceState::Degraded => (0xF57C00, "🟠"),
                ServiceState::Maintenance => (0x1976D2, "🔵"),
                ServiceState::Informational => (0x757575, "⚪"),
                ServiceState::Operational => (0x2E7D32, "🟢"),
            }
        }
        EventDetail::CorrelatedOutage(c) => match c.phase {
            ClusterPhase::Resolved => (0x2E7D32, "🟢"),
            _ => (0x8E24AA, "🟣"),
        },
        EventDetail::FeedFailing(_) | EventDetail::NetworkDown(_) => (0xFBC02D, "⚠️"),
        EventDetail::FeedRecovered(_) => (0x2E7D32, "🟢"),
        EventDetail::Test(_) | EventDetail::Unknown => (0x607D8B, "🔔"),
    };
    Look { color, marker }
}

/// The readable one-line summary: marker, title, and the transition for state changes
/// (`🔴 Zoom is outage: Login failures (operational → outage)`).
pub fn summary(event: &EventPayload) -> String {
    let title = if event.title.trim().is_empty() {
        let kind = event.kind_name().replace('_', " ");
        match (event.feed(), event.vendor()) {
            (Some(feed), _) => format!("{}: {kind}", feed.title),
            (None, Some(vendor)) => format!("{vendor}: {kind}"),
            _ => format!("statuswatch: {kind}"),
        }
    } else {
        event.title.clone()
    };
    let title = one_line(&title);
    match transition(event) {
        Some(t) => format!("{} {title} ({t})", look(event).marker),
        None => format!("{} {title}", look(event).marker),
    }
}

fn transition(event: &EventPayload) -> Option<String> {
    event
        .transition()
        .map(|(from, to)| format!("{from} → {to}"))
}

pub(super) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Cuts to at most `max` characters, with an ellipsis when cut.
pub(super) fn cut(s: &str, max: usize) -> String {
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
fn safe_link(event: &EventPayload) -> Option<String> {
    let link = event.link.as_deref()?;
    let url = url::Url::parse(link).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.as_str().replace('|', "%7C"))
}

/// Members listed one per line in a chat message; the rest are counted.
const MEMBER_LINES: usize = 15;

/// "1 in 2,300,000" for a probability, as a person reads odds.
fn odds(p: f64) -> String {
    if p <= 0.0 || !p.is_finite() {
        return "less than 1 in a billion".to_string();
    }
    let one_in = (1.0 / p).round();
    if one_in >= 1e9 {
        return "less than 1 in a billion".to_string();
    }
    let digits = format!("{one_in:.0}");
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("1 in {grouped}")
}

/// HH:MM UTC of a stored time, or the text as it is.
pub(super) fn clock(text: &str) -> String {
    crate::store::parse_time_text(text)
        .map_or_else(|| text.to_string(), |t| t.format("%H:%M UTC").to_string())
}

/// A correlated outage in lines: the cause and why, who is affected since when and with
/// what words, who is new, and how unlikely chance is.
fn cluster_details(cluster: &CorrelatedOutage) -> Vec<String> {
    let mut lines = Vec::new();
    match &cluster.suspected_cause {
        Some(cause) => {
            let at = cause
                .region
                .as_ref()
                .map(|r| format!(" {r}"))
                .unwrap_or_default();
            lines.push(format!("Likely cause: {}{at}. {}", cause.vendor, cause.why));
        }
        None => lines.push("Likely cause: unknown (no shared provider found).".to_string()),
    }
    lines.push(format!("Affected ({}):", cluster.vendors.len()));
    for member in cluster.vendors.iter().take(MEMBER_LINES) {
        let new = if cluster.phase == ClusterPhase::Grew && cluster.joined.contains(&member.vendor)
        {
            " (new)"
        } else {
            ""
        };
        let said = member
            .incident
            .as_ref()
            .map(|i| format!(": {}", one_line(&i.title)))
            .unwrap_or_default();
        lines.push(format!(
            "• {}{new}: {} since {}{}",
            member.title,
            member.state,
            clock(&member.since),
            cut(&said, 160)
        ));
    }
    if cluster.vendors.len() > MEMBER_LINES {
        lines.push(format!(
            "• and {} more",
            cluster.vendors.len() - MEMBER_LINES
        ));
    }
    lines.push(format!(
        "Started {}; chance alone: {} (cluster {}).",
        clock(&cluster.started_at),
        odds(cluster.chance),
        cluster.cluster_id
    ));
    lines
}

/// The detail lines under the title: transition, components, vendor and when (also the
/// body of an email, `mail.rs`).
pub(crate) fn details(event: &EventPayload) -> Vec<String> {
    if let EventDetail::CorrelatedOutage(cluster) = &event.detail {
        return cluster_details(cluster);
    }
    let mut lines = Vec::new();
    if let Some(t) = transition(event) {
        lines.push(format!("State: {t}"));
    }
    let components = event.components();
    if !components.is_empty() {
        lines.push(format!("Components: {}", components.join(", ")));
    }
    if let Some(feed) = event.feed() {
        lines.push(format!("Feed: {}", feed.title));
    }
    lines.push(format!("Since: {}", event.occurred_at));
    lines
}

fn footer(event: &EventPayload) -> String {
    match event.vendor() {
        Some(vendor) => format!("statuswatch · {vendor}"),
        None => "statuswatch".to_string(),
    }
}

fn unix_seconds(text: &str) -> Option<i64> {
    crate::store::parse_time_text(text).map(|t| t.timestamp())
}

/// The Slack incoming-webhook body.
pub fn slack(event: &EventPayload) -> Value {
    let summary = summary(event);
    let text = match safe_link(event) {
        Some(link) => format!("<{link}|{}>", slack_escape(&summary)),
        None => slack_escape(&summary),
    };
    let title = one_line(&event.title);
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
pub fn discord(event: &EventPayload) -> Value {
    let summary = summary(event);
    let title = match one_line(&event.title) {
        t if t.is_empty() => summary.clone(),
        t => t,
    };
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
pub fn body(format: Format, event: &StoredEvent) -> Vec<u8> {
    match format {
        Format::Json => event.body.clone().into_bytes(),
        Format::Slack => slack(&event.payload).to_string().into_bytes(),
        Format::Discord => discord(&event.payload).to_string().into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outage() -> StoredEvent {
        let mut payload = crate::model::event::samples::payload(
            "state_change",
            "zoom",
            "operational",
            "outage",
            &["API", "Web"],
        );
        payload.title = "Zoom is outage: Login <failures> & more".into();
        payload.link = Some("https://status.zoom.us/incidents/abc".into());
        if let EventDetail::StateChange(change) = &mut payload.detail {
            change.feed.title = "Zoom".into();
        }
        StoredEvent {
            seq: 3,
            body: r#"{"id":"0199","type":"state_change"}"#.into(),
            payload,
        }
    }

    #[test]
    fn json_sends_the_payload_as_stored() {
        assert_eq!(body(Format::Json, &outage()), outage().body.into_bytes());
    }

    #[test]
    fn summary_is_one_readable_line() {
        assert_eq!(
            summary(&outage().payload),
            "🔴 Zoom is outage: Login <failures> & more (operational → outage)"
        );
        let mut multi = outage().payload;
        multi.title = "Line one\nline two".into();
        assert!(!summary(&multi).contains('\n'));
    }

    #[test]
    fn slack_has_text_and_a_coloured_attachment_with_escaped_vendor_text() {
        let v = slack(&outage().payload);
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
        let v = discord(&outage().payload);
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
        let mut e = outage().payload;
        for (to, color) in [
            (ServiceState::Degraded, 0xF57C00),
            (ServiceState::Maintenance, 0x1976D2),
            (ServiceState::Operational, 0x2E7D32),
        ] {
            if let EventDetail::StateChange(change) = &mut e.detail {
                change.to = to;
            }
            assert_eq!(look(&e).color, color, "{to}");
        }
    }

    #[test]
    fn links_that_are_not_http_are_left_out_and_long_text_is_cut() {
        let mut e = outage().payload;
        e.link = Some("javascript:alert(1)".into());
        e.title = "x".repeat(5000);
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

    fn cluster() -> EventPayload {
        let text = r#"{"id":"01","type":"correlated_outage","occurred_at":"2025-10-20T06:52:00Z",
            "detected_at":"2025-10-20T07:08:00Z",
            "title":"AWS us-east-1 is the likely cause: 3 vendors went degraded or down between 06:52 and 07:06 UTC",
            "link":"https://status.slack.com/x","cluster_id":4,"phase":"grew",
            "started_at":"2025-10-20T06:52:00Z",
            "vendors":[
              {"vendor":"slack","title":"Slack","state":"outage","since":"2025-10-20T06:52:00Z",
               "incident":{"id":1,"title":"Messages <fail> to send","link":null}},
              {"vendor":"zoom","title":"Zoom","state":"degraded","since":"2025-10-20T06:58:00Z","incident":null}],
            "joined":["zoom"],
            "suspected_cause":{"vendor":"aws","region":"us-east-1","why":"2 of 2 members run on aws:us-east-1; AWS has not posted yet."},
            "chance":4.2e-7}"#;
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn a_correlated_outage_reads_as_one_message() {
        let event = cluster();
        let s = slack(&event);
        let text = s["text"].as_str().unwrap();
        assert!(
            text.contains("🟣 AWS us-east-1 is the likely cause: 3 vendors"),
            "{text}"
        );
        let lines = s["attachments"][0]["text"].as_str().unwrap();
        assert_eq!(
            lines,
            "Likely cause: aws us-east-1. 2 of 2 members run on aws:us-east-1; AWS has not posted yet.\n\
             Affected (2):\n\
             • Slack: outage since 06:52 UTC: Messages &lt;fail&gt; to send\n\
             • Zoom (new): degraded since 06:58 UTC\n\
             Started 06:52 UTC; chance alone: 1 in 2,380,952 (cluster 4)."
        );
        let d = discord(&event);
        assert!(d["embeds"][0]["description"]
            .as_str()
            .unwrap()
            .contains("• Slack: outage since 06:52 UTC: Messages <fail> to send"));
        assert_eq!(d["embeds"][0]["color"], 0x8E24AA);
        assert_eq!(d["allowed_mentions"]["parse"], json!([]));
        assert_eq!(odds(0.0), "less than 1 in a billion");
        assert_eq!(odds(0.5), "1 in 2");
    }

    #[test]
    fn formats_parse_and_unknown_ones_are_named() {
        assert_eq!("Slack".parse::<Format>().unwrap(), Format::Slack);
        assert!("teams".parse::<Format>().unwrap_err().contains("\"teams\""));
    }
}
