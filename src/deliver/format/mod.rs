//! The body each webhook format sends for one event, and the words every chat message shares.
//!
//! One file per channel, each with its vendor's documented body shape and limits:
//! `slack.rs` (Block Kit), `discord.rs`, `pagerduty.rs` (Events API v2), `teams.rs` (a
//! Workflows webhook's Adaptive Card), `google_chat.rs` (`cardsV2`), `ntfy.rs` (JSON publish)
//! and `template.rs` (a user's minijinja template). `json` is the event's outbox payload as
//! stored, with the outbox `seq` put first.
//!
//! Every message says what the vendor said ([`Said`]): the newest update's label and text, cut
//! to the channel's limit, after a [`headline`] with the state, the vendor's severity word and
//! since when ("Zoom: outage (major) since 07:19 UTC"). Vendor text is untrusted: each channel
//! escapes what its markup would read (Slack's `&<>`, Discord's markdown, Google Chat's HTML).
//! Everything here is pure: a body is a function of the event and the webhook's options.

mod discord;
mod google_chat;
mod ntfy;
mod pagerduty;
mod slack;
mod teams;
pub mod template;

pub use discord::discord;
pub use google_chat::google_chat;
pub use ntfy::ntfy;
pub use pagerduty::{pagerduty, RoutingKey, PAGERDUTY_ENQUEUE_URL};
pub use slack::slack;
pub use teams::teams;
pub use template::UserTemplate;

use crate::model::{
    ClusterPhase, CorrelatedOutage, EventDetail, EventPayload, ServiceState, StoredEvent,
};
use serde_json::{json, Value};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// The shape a receiver wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Slack,
    Discord,
    PagerDuty,
    Teams,
    GoogleChat,
    Ntfy,
    Template,
}

/// Every format's name, as the configuration writes it.
const KNOWN: &str = "json, slack, discord, pagerduty, teams, google_chat, ntfy, template";

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Slack => "slack",
            Format::Discord => "discord",
            Format::PagerDuty => "pagerduty",
            Format::Teams => "teams",
            Format::GoogleChat => "google_chat",
            Format::Ntfy => "ntfy",
            Format::Template => "template",
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
            "pagerduty" => Ok(Format::PagerDuty),
            "teams" => Ok(Format::Teams),
            "google_chat" | "googlechat" => Ok(Format::GoogleChat),
            "ntfy" => Ok(Format::Ntfy),
            "template" => Ok(Format::Template),
            _ => Err(format!("unknown format {s:?} (known: {KNOWN})")),
        }
    }
}

/// What some formats need beyond the event: validated by `deliver/config.rs`.
#[derive(Clone, Default)]
pub struct FormatOptions {
    /// `pagerduty`: the integration's routing key (from `routing_key_env`); never shown.
    pub routing_key: Option<RoutingKey>,
    /// `ntfy`: the topic (from the URL's path, or the `topic` key).
    pub topic: Option<String>,
    /// `template`: the user's compiled template.
    pub template: Option<Arc<UserTemplate>>,
    /// `template`: the body's `Content-Type`.
    pub content_type: Option<String>,
}

impl fmt::Debug for FormatOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FormatOptions")
            .field(
                "routing_key",
                &self.routing_key.as_ref().map(|_| "<redacted>"),
            )
            .field("topic", &self.topic)
            .field("template", &self.template.as_ref().map(|t| t.origin()))
            .field("content_type", &self.content_type)
            .finish()
    }
}

/// A request body and its `Content-Type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub bytes: Vec<u8>,
    pub content_type: String,
}

impl Body {
    fn json(value: &Value) -> Body {
        Body {
            bytes: value.to_string().into_bytes(),
            content_type: "application/json".to_string(),
        }
    }
}

/// The request body for `format`; `Err` is why it cannot be made (a template that fails to
/// render), recorded as a failed attempt.
pub fn body(format: Format, options: &FormatOptions, event: &StoredEvent) -> Result<Body, String> {
    Ok(match format {
        Format::Json => Body {
            bytes: json_with_seq(event).into_bytes(),
            content_type: "application/json".to_string(),
        },
        Format::Slack => Body::json(&slack(&event.payload)),
        Format::Discord => Body::json(&discord(&event.payload)),
        Format::PagerDuty => {
            let key = options.routing_key.as_ref().map_or("", RoutingKey::expose);
            Body::json(&pagerduty(&event.payload, key))
        }
        Format::Teams => Body::json(&teams(&event.payload)),
        Format::GoogleChat => Body::json(&google_chat(&event.payload)),
        Format::Ntfy => Body::json(&ntfy(
            &event.payload,
            options.topic.as_deref().unwrap_or(""),
        )),
        Format::Template => {
            let template = options
                .template
                .as_ref()
                .ok_or("the webhook has no template")?;
            Body {
                bytes: template.render(event)?.into_bytes(),
                content_type: options
                    .content_type
                    .clone()
                    .unwrap_or_else(|| "application/json".to_string()),
            }
        }
    })
}

/// The stored payload with `"seq":N` put first, so a receiver can order a replayed dead letter.
/// The rest of the bytes are as stored (and the signature is over what is sent); a body that is
/// not a JSON object, or already names `seq`, goes as stored.
pub fn json_with_seq(event: &StoredEvent) -> String {
    let body = &event.body;
    let has_seq = serde_json::from_str::<serde_json::Map<String, Value>>(body)
        .map(|object| object.contains_key("seq"));
    match (has_seq, body.trim_start().strip_prefix('{')) {
        (Ok(false), Some(rest)) => {
            let rest = rest.trim_start();
            if rest.starts_with('}') {
                format!("{{\"seq\":{}{rest}", event.seq)
            } else {
                format!("{{\"seq\":{},{rest}", event.seq)
            }
        }
        _ => body.clone(),
    }
}

/// What the vendor said last: the newest update's label and text (one line each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub label: String,
    pub text: String,
}

impl Said {
    /// `Investigating: We are seeing…`, cut to `max` characters.
    pub fn line(&self, max: usize) -> String {
        match self.label.is_empty() {
            true => cut(&self.text, max),
            false => cut(&format!("{}: {}", self.label, self.text), max),
        }
    }
}

/// The vendor's words behind an event: a change's newest incident update; for a correlated
/// outage, its members and their incidents' titles.
pub fn said(event: &EventPayload) -> Option<Said> {
    if let EventDetail::CorrelatedOutage(cluster) = &event.detail {
        let members: Vec<String> = cluster
            .vendors
            .iter()
            .map(|m| format!("{} ({})", m.title, m.state))
            .collect();
        return Some(Said {
            label: "Affected".to_string(),
            text: members.join(", "),
        });
    }
    // The vendor's last update of a withdrawn incident still said it was going on: what
    // matters now is that it left the feed unresolved.
    if event.withdrawn() {
        return Some(Said {
            label: "Withdrawn by the vendor".to_string(),
            text: WITHDRAWN_TEXT.to_string(),
        });
    }
    let update = event.incident()?.latest_update.as_ref()?;
    let text = one_line(&update.text);
    let label = one_line(&update.label);
    (!text.is_empty() || !label.is_empty()).then_some(Said { label, text })
}

/// What a withdrawn incident's recovery says about it, in every channel.
const WITHDRAWN_TEXT: &str = "the incident left the feed without a resolution";

/// The vendor's own severity word for a change (`major`), when it gives one.
pub fn severity_word(event: &EventPayload) -> Option<String> {
    let word = one_line(event.incident()?.severity.as_deref()?);
    (!word.is_empty()).then_some(word)
}

/// Since when the vendor has been in the state it moved to: the incident's start, else the
/// change's own time.
pub fn since(event: &EventPayload) -> &str {
    match event.incident() {
        Some(i)
            if event
                .transition()
                .is_some_and(|(_, to)| to != ServiceState::Operational) =>
        {
            &i.started_at
        }
        _ => &event.occurred_at,
    }
}

/// Who the event is about, as people name it: the feed's title (and component), else the
/// vendor key, else "statuswatch".
fn subject(event: &EventPayload) -> String {
    let who = match (event.feed(), event.vendor()) {
        (Some(feed), _) if !feed.title.trim().is_empty() => one_line(&feed.title),
        (_, Some(vendor)) => vendor.to_string(),
        _ => "statuswatch".to_string(),
    };
    match &event.detail {
        EventDetail::ComponentChange(c) => format!("{who} / {}", one_line(&c.component)),
        _ => who,
    }
}

/// The state in one line: `Zoom: outage (major) since 07:19 UTC`, `Zoom: operational again
/// (was outage since 07:19 UTC)`; other kinds: their title.
pub fn headline(event: &EventPayload) -> String {
    let Some((from, to)) = event.transition() else {
        return match one_line(&event.title) {
            t if t.is_empty() => summary(event),
            t => t,
        };
    };
    let who = subject(event);
    if to == ServiceState::Operational {
        let began = event
            .incident()
            .map(|i| format!(" since {}", clock(&i.started_at)))
            .unwrap_or_default();
        let withdrawn = match event.withdrawn() {
            true => ", incident withdrawn by the vendor",
            false => "",
        };
        return format!("{who}: operational again{withdrawn} (was {from}{began})");
    }
    let severity = severity_word(event)
        .filter(|w| !w.eq_ignore_ascii_case(to.as_str()))
        .map(|w| format!(" ({w})"))
        .unwrap_or_default();
    format!("{who}: {to}{severity} since {}", clock(since(event)))
}

/// The headline and what the vendor said, in at most `max` characters:
/// `Zoom: outage (major) since 07:19 UTC — Investigating: We are seeing elevated errors…`.
pub fn brief(event: &EventPayload, max: usize) -> String {
    let head = headline(event);
    let room = max.saturating_sub(head.chars().count() + 3);
    match said(event) {
        Some(said) if room > 1 => format!("{head} — {}", said.line(room)),
        _ => cut(&head, max),
    }
}

/// The incident's title, when it says more than the headline.
fn incident_title(event: &EventPayload) -> Option<String> {
    let title = one_line(&event.incident()?.title);
    (!title.is_empty()).then_some(title)
}

/// `(name, value)` facts of an event, for channels that show a table: state, severity,
/// components, since, feed.
pub fn facts(event: &EventPayload) -> Vec<(String, String)> {
    let mut facts = Vec::new();
    if let Some((from, to)) = event.transition() {
        facts.push(("State".to_string(), format!("{from} → {to}")));
    }
    if let Some(word) = severity_word(event) {
        facts.push(("Severity".to_string(), word));
    }
    if let Some(title) = incident_title(event) {
        facts.push(("Incident".to_string(), title));
    }
    if event.withdrawn() {
        facts.push((
            "Closed".to_string(),
            format!("withdrawn by the vendor ({WITHDRAWN_TEXT})"),
        ));
    }
    let components = event.components();
    if !components.is_empty() {
        facts.push(("Components".to_string(), cut(&components.join(", "), 500)));
    }
    if let EventDetail::CorrelatedOutage(cluster) = &event.detail {
        if let Some(cause) = &cluster.suspected_cause {
            let at = cause
                .region
                .as_ref()
                .map(|r| format!(" {r}"))
                .unwrap_or_default();
            facts.push(("Likely cause".to_string(), format!("{}{at}", cause.vendor)));
        }
        facts.push(("Chance alone".to_string(), odds(cluster.chance)));
    }
    facts.push(("Since".to_string(), clock(since(event))));
    if let Some(feed) = event.feed() {
        facts.push(("Feed".to_string(), one_line(&feed.title)));
    }
    facts
}

/// The message helpers a template sees as `message`: the words the chat formats use.
pub fn message_context(event: &EventPayload) -> Value {
    let said = said(event);
    json!({
        "headline": headline(event),
        "brief": brief(event, 1000),
        "summary": summary(event),
        "label": said.as_ref().map(|s| s.label.clone()),
        "text": said.as_ref().map(|s| s.text.clone()),
        "said": said.as_ref().map(|s| s.line(1000)),
        "severity": severity_word(event),
        "since": since(event),
        "since_clock": clock(since(event)),
        "components": event.components(),
        "withdrawn": event.withdrawn(),
        "link": safe_link(event),
        "color": format!("#{:06x}", look(event).color),
        "marker": look(event).marker,
    })
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

pub(super) fn transition(event: &EventPayload) -> Option<String> {
    event
        .transition()
        .map(|(from, to)| format!("{from} → {to}"))
}

pub(super) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Cuts to at most `max` characters (on a char boundary), with an ellipsis when cut.
pub(super) fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A link usable inside Slack's `<url|text>` and as Discord's `url`: http(s) only.
pub(super) fn safe_link(event: &EventPayload) -> Option<String> {
    let link = event.link.as_deref()?;
    let url = url::Url::parse(link).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.as_str().replace('|', "%7C"))
}

/// Members listed one per line in a chat message; the rest are counted.
const MEMBER_LINES: usize = 15;

/// "1 in 2,300,000" for a probability, as a person reads odds.
pub(super) fn odds(p: f64) -> String {
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
pub(super) fn cluster_details(cluster: &CorrelatedOutage) -> Vec<String> {
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

/// The detail lines under the title: transition, components, vendor and when.
pub(super) fn details(event: &EventPayload) -> Vec<String> {
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

pub(super) fn footer(event: &EventPayload) -> String {
    match event.vendor() {
        Some(vendor) => format!("statuswatch · {vendor}"),
        None => "statuswatch".to_string(),
    }
}

pub(super) fn unix_seconds(text: &str) -> Option<i64> {
    crate::store::parse_time_text(text).map(|t| t.timestamp())
}

/// Events for the channels' unit tests.
#[cfg(test)]
pub(super) mod fixtures {
    use crate::model::event::{IncidentRef, UpdateRef};
    use crate::model::{EventDetail, EventPayload, Status, StoredEvent};

    /// Zoom goes down: incident 7 (severity `major`, since 07:19 UTC), whose newest update is
    /// `said`; the event's own title holds Slack's control characters.
    pub fn outage_saying(said: &str) -> StoredEvent {
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
            change.incident = Some(IncidentRef {
                id: 7,
                title: "Login <failures> & more".into(),
                link: payload.link.clone(),
                status: Status::Outage,
                phase: None,
                started_at: "2025-10-20T07:19:00Z".into(),
                components: vec!["API".into()],
                severity: Some("major".into()),
                latest_update: Some(UpdateRef {
                    label: "Investigating".into(),
                    text: said.into(),
                    posted_at: Some("2025-10-20T07:25:00Z".into()),
                }),
            });
        }
        StoredEvent {
            seq: 3,
            body: r#"{"id":"0199","type":"state_change"}"#.into(),
            payload,
        }
    }

    pub fn outage() -> StoredEvent {
        outage_saying("We are seeing elevated errors on meetings.")
    }

    /// Zoom's recovery from incident 7.
    pub fn recovery() -> EventPayload {
        let mut e = outage().payload;
        if let EventDetail::StateChange(change) = &mut e.detail {
            change.from = crate::model::ServiceState::Outage;
            change.to = crate::model::ServiceState::Operational;
            change.components.clear();
        }
        e
    }

    /// Zoom's recovery from incident 7 because Zoom took it off its feed unresolved.
    pub fn withdrawal() -> EventPayload {
        let mut e = recovery();
        if let EventDetail::StateChange(change) = &mut e.detail {
            change.reason = Some(crate::model::event::ChangeReason::Withdrawn);
        }
        e
    }

    pub fn cluster() -> EventPayload {
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

    /// Feed text written to break out of a channel's markup.
    pub const HOSTILE: &str = "[click](https://evil.example) ||spoiler|| ```code``` **bold** ~~x~~ _i_ @everyone <@123> <!channel> <b>html</b> & more";
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn json_sends_the_payload_as_stored_with_seq_first() {
        let event = outage();
        let sent = body(Format::Json, &FormatOptions::default(), &event).unwrap();
        assert_eq!(
            String::from_utf8(sent.bytes).unwrap(),
            r#"{"seq":3,"id":"0199","type":"state_change"}"#
        );
        assert_eq!(sent.content_type, "application/json");
        // A body that already has a seq, or is no object, goes as stored.
        let mut odd = event.clone();
        odd.body = r#"{"seq":9}"#.into();
        assert_eq!(json_with_seq(&odd), r#"{"seq":9}"#);
        odd.body = "[1]".into();
        assert_eq!(json_with_seq(&odd), "[1]");
        odd.body = "{ }".into();
        assert_eq!(json_with_seq(&odd), r#"{"seq":3}"#);
    }

    #[test]
    fn a_message_says_what_the_vendor_said() {
        let e = outage().payload;
        assert_eq!(headline(&e), "Zoom: outage (major) since 07:19 UTC");
        assert_eq!(
            brief(&e, 200),
            "Zoom: outage (major) since 07:19 UTC — Investigating: We are seeing elevated errors on meetings."
        );
        let short = brief(&e, 60);
        assert_eq!(short.chars().count(), 60, "{short}");
        assert!(short.ends_with('…'), "{short}");
        assert_eq!(
            headline(&recovery()),
            "Zoom: operational again (was outage since 07:19 UTC)"
        );
        // Cut on a char boundary, whatever the script.
        let wide = outage_saying(&"障害".repeat(400)).payload;
        let cut_text = brief(&wide, 100);
        assert_eq!(cut_text.chars().count(), 100);
        // Without an update, the headline alone.
        let mut bare = outage().payload;
        if let EventDetail::StateChange(c) = &mut bare.detail {
            c.incident.as_mut().unwrap().latest_update = None;
            c.incident.as_mut().unwrap().severity = None;
        }
        assert_eq!(brief(&bare, 200), "Zoom: outage since 07:19 UTC");
    }

    #[test]
    fn a_withdrawn_incident_reads_as_withdrawn_not_resolved() {
        let e = withdrawal();
        assert_eq!(
            headline(&e),
            "Zoom: operational again, incident withdrawn by the vendor (was outage since 07:19 UTC)"
        );
        // Not the vendor's last "Investigating" update: the incident never got a resolution.
        assert_eq!(
            brief(&e, 300),
            "Zoom: operational again, incident withdrawn by the vendor (was outage since 07:19 UTC) — Withdrawn by the vendor: the incident left the feed without a resolution"
        );
        assert!(facts(&e).contains(&(
            "Closed".to_string(),
            "withdrawn by the vendor (the incident left the feed without a resolution)".to_string()
        )));
        assert_eq!(message_context(&e)["withdrawn"], true);
        // An ordinary recovery says none of it.
        let plain = recovery();
        assert!(!brief(&plain, 300).contains("withdrawn"));
        assert!(facts(&plain).iter().all(|(name, _)| name != "Closed"));
        assert_eq!(message_context(&plain)["withdrawn"], false);
    }

    #[test]
    fn every_channel_says_the_incident_was_withdrawn_and_pagerduty_still_resolves() {
        let payload = withdrawal();
        let event = StoredEvent {
            seq: 4,
            body: serde_json::to_string(&payload).unwrap(),
            payload: payload.clone(),
        };
        let said = "the incident left the feed without a resolution";
        let template = UserTemplate::compile(
            "{{ message.brief }} / {{ reason }} / {{ message.withdrawn }}",
            "template",
        )
        .unwrap();
        let texts = [
            ("slack", slack(&payload).to_string()),
            ("discord", discord(&payload).to_string()),
            ("teams", teams(&payload).to_string()),
            ("google_chat", google_chat(&payload).to_string()),
            ("ntfy", ntfy(&payload, "t").to_string()),
            ("json", json_with_seq(&event)),
            ("email", crate::deliver::mail::text_body(&event)),
            ("email html", crate::deliver::mail::html_body(&event)),
            ("template", template.render(&event).unwrap()),
        ];
        for (channel, text) in texts {
            assert!(text.contains("withdrawn"), "{channel}: {text}");
            if channel != "json" {
                assert!(text.contains(said), "{channel}: {text}");
                assert!(!text.contains("We are seeing"), "{channel}: {text}");
            }
        }
        assert!(json_with_seq(&event).contains(r#""reason":"withdrawn""#));
        let rendered = template.render(&event).unwrap();
        assert!(rendered.ends_with("/ withdrawn / True"), "{rendered}");
        // PagerDuty: a withdrawn incident is over, so its alert resolves under the same key.
        let resolve = pagerduty(&payload, "k");
        assert_eq!(resolve["event_action"], "resolve");
        assert_eq!(
            resolve["dedup_key"],
            pagerduty(&outage().payload, "k")["dedup_key"]
        );
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
    fn a_correlated_outage_reads_as_one_message_naming_vendors_and_cause() {
        let event = cluster();
        let said = said(&event).unwrap();
        assert_eq!(said.line(200), "Affected: Slack (outage), Zoom (degraded)");
        let lines = cluster_details(match &event.detail {
            EventDetail::CorrelatedOutage(c) => c,
            _ => unreachable!(),
        });
        assert_eq!(
            lines.join("\n"),
            "Likely cause: aws us-east-1. 2 of 2 members run on aws:us-east-1; AWS has not posted yet.\n\
             Affected (2):\n\
             • Slack: outage since 06:52 UTC: Messages <fail> to send\n\
             • Zoom (new): degraded since 06:58 UTC\n\
             Started 06:52 UTC; chance alone: 1 in 2,380,952 (cluster 4)."
        );
        assert_eq!(odds(0.0), "less than 1 in a billion");
        assert_eq!(odds(0.5), "1 in 2");
        let facts = facts(&event);
        assert!(
            facts.contains(&("Likely cause".into(), "aws us-east-1".into())),
            "{facts:?}"
        );
    }

    #[test]
    fn formats_parse_and_unknown_ones_are_named() {
        assert_eq!("Slack".parse::<Format>().unwrap(), Format::Slack);
        assert_eq!("googlechat".parse::<Format>().unwrap(), Format::GoogleChat);
        assert_eq!("google_chat".parse::<Format>().unwrap(), Format::GoogleChat);
        assert_eq!("PagerDuty".parse::<Format>().unwrap(), Format::PagerDuty);
        let err = "matrix".parse::<Format>().unwrap_err();
        assert!(
            err.contains("\"matrix\"") && err.contains("ntfy, template"),
            "{err}"
        );
    }

    #[test]
    fn a_template_that_fails_to_render_is_an_error_naming_it() {
        let t = UserTemplate::compile("{{ nope.deeper }}", "webhook \"x\"'s template").unwrap();
        let options = FormatOptions {
            template: Some(Arc::new(t)),
            ..FormatOptions::default()
        };
        let err = body(Format::Template, &options, &outage()).unwrap_err();
        assert!(
            err.starts_with("webhook \"x\"'s template does not render: line 1: undefined value"),
            "{err}"
        );
    }
}

#[cfg(test)]
mod documented {
    use super::fixtures::outage;
    use super::*;

    /// The ```json example under `#### NAME` in docs/webhooks.md's Formats section.
    fn example(name: &str) -> Value {
        let doc = include_str!("../../../docs/webhooks.md");
        let start = doc
            .find(&format!("#### {name}\n"))
            .unwrap_or_else(|| panic!("docs/webhooks.md has no section for {name}"));
        let section = &doc[start + 5..];
        let section = &section[..section.find("\n###").unwrap_or(section.len())];
        let block = section
            .split("```json")
            .nth(1)
            .unwrap_or_else(|| panic!("the {name} section has no json example"));
        let json = &block[..block.find("```").expect("a closed code block")];
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{name}'s example: {e}"))
    }

    /// The key paths of a JSON value, arrays read through their first item.
    fn shape(value: &Value, path: &str, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    let here = format!("{path}.{key}");
                    out.push(here.clone());
                    shape(inner, &here, out);
                }
            }
            Value::Array(items) => {
                if let Some(first) = items.first() {
                    shape(first, &format!("{path}[]"), out);
                }
            }
            _ => {}
        }
    }

    fn paths(value: &Value) -> Vec<String> {
        let mut out = Vec::new();
        shape(value, "", &mut out);
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn every_documented_body_has_only_fields_the_format_writes() {
        let event = outage();
        for (name, built) in [
            ("slack", slack(&event.payload)),
            ("pagerduty", pagerduty(&event.payload, "key")),
            ("teams", teams(&event.payload)),
            ("google_chat", google_chat(&event.payload)),
            ("ntfy", ntfy(&event.payload, "my-team-status")),
        ] {
            let built = paths(&built);
            for path in paths(&example(name)) {
                assert!(built.contains(&path), "docs/webhooks.md's {name} example has {path}, which {name} does not write: {built:?}");
            }
        }
    }
}
