//! The data that flows between pipeline stages: feeds, parsed entries, classifications and states.
//!
//! Stages exchange only these types, so each stage can be tested on its own and replaced without
//! touching its neighbours (a JSON status API adapter, say, produces the same `ParsedFeed`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The status-page software that published a feed; decides which extractor reads its entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// Atlassian Statuspage (`/history.atom`, `/history.rss`): one entry per incident, updates inside.
    Statuspage,
    /// AWS Health Dashboard RSS: one item per update; state in the title, service-region in the guid.
    Aws,
    /// Google Cloud status Atom.
    Gcp,
    /// Azure status RSS.
    Azure,
    /// Slack's own status feed.
    Slack,
    /// incident.io status pages (Statuspage-like markup).
    Incidentio,
    /// Instatus pages.
    Instatus,
    /// status.io pages.
    Statusio,
    /// GOV.UK publishing Atom.
    Govuk,
    /// Any other RSS/Atom feed: title and summary only.
    Generic,
}

impl Engine {
    /// Every engine, in a stable order (for help texts and tests).
    pub const ALL: [Engine; 10] = [
        Engine::Statuspage,
        Engine::Aws,
        Engine::Gcp,
        Engine::Azure,
        Engine::Slack,
        Engine::Incidentio,
        Engine::Instatus,
        Engine::Statusio,
        Engine::Govuk,
        Engine::Generic,
    ];

    /// The name used in OPML, the database and rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Statuspage => "statuspage",
            Engine::Aws => "aws",
            Engine::Gcp => "gcp",
            Engine::Azure => "azure",
            Engine::Slack => "slack",
            Engine::Incidentio => "incidentio",
            Engine::Instatus => "instatus",
            Engine::Statusio => "statusio",
            Engine::Govuk => "govuk",
            Engine::Generic => "generic",
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An engine name that statuswatch does not know.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown engine {0:?} (known: statuspage, aws, gcp, azure, slack, incidentio, instatus, statusio, govuk, generic)")]
pub struct UnknownEngine(pub String);

impl FromStr for Engine {
    type Err = UnknownEngine;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_', '.', ' '], "");
        let engine = match norm.as_str() {
            "statuspage" | "atlassianstatuspage" | "atlassian" => Engine::Statuspage,
            "aws" | "awshealthdashboard" => Engine::Aws,
            "gcp" | "googlecloud" | "google" => Engine::Gcp,
            "azure" => Engine::Azure,
            "slack" => Engine::Slack,
            "incidentio" => Engine::Incidentio,
            "instatus" => Engine::Instatus,
            "statusio" => Engine::Statusio,
            "govuk" => Engine::Govuk,
            "generic" | "" => Engine::Generic,
            _ => return Err(UnknownEngine(s.to_string())),
        };
        Ok(engine)
    }
}

/// What one entry says about the service, as of that entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Outage,
    Degraded,
    Maintenance,
    Informational,
    Resolved,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Outage,
        Status::Degraded,
        Status::Maintenance,
        Status::Informational,
        Status::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Outage => "outage",
            Status::Degraded => "degraded",
            Status::Maintenance => "maintenance",
            Status::Informational => "informational",
            Status::Resolved => "resolved",
        }
    }

    /// Whether an incident in this status is still open (counts towards service state).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Status::Outage | Status::Degraded | Status::Maintenance
        )
    }

    /// The service state this status puts a service in while it is the newest word.
    pub fn service_state(self) -> ServiceState {
        match self {
            Status::Outage => ServiceState::Outage,
            Status::Degraded => ServiceState::Degraded,
            Status::Maintenance => ServiceState::Maintenance,
            Status::Informational | Status::Resolved => ServiceState::Operational,
        }
    }

    /// Severity rank for "worst status reached": resolved 0 < informational < maintenance < degraded < outage.
    pub fn rank(self) -> u8 {
        match self {
            Status::Resolved => 0,
            Status::Informational => 1,
            Status::Maintenance => 2,
            Status::Degraded => 3,
            Status::Outage => 4,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status name that is not one of the five.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown status {0:?} (known: outage, degraded, maintenance, informational, resolved)")]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

/// The current state of a service or component, derived from its open incidents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceState {
    Operational,
    Informational,
    Maintenance,
    Degraded,
    Outage,
}

impl ServiceState {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceState::Operational => "operational",
            ServiceState::Informational => "informational",
            ServiceState::Maintenance => "maintenance",
            ServiceState::Degraded => "degraded",
            ServiceState::Outage => "outage",
        }
    }
}

impl fmt::Display for ServiceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ServiceState {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            ServiceState::Operational,
            ServiceState::Informational,
            ServiceState::Maintenance,
            ServiceState::Degraded,
            ServiceState::Outage,
        ]
        .into_iter()
        .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

/// Lifecycle phase of an incident or maintenance, where the engine states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Investigating,
    Identified,
    Monitoring,
    Update,
    Resolved,
    Postmortem,
    Scheduled,
    InProgress,
    Verifying,
    Completed,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Investigating => "investigating",
            Phase::Identified => "identified",
            Phase::Monitoring => "monitoring",
            Phase::Update => "update",
            Phase::Resolved => "resolved",
            Phase::Postmortem => "postmortem",
            Phase::Scheduled => "scheduled",
            Phase::InProgress => "in_progress",
            Phase::Verifying => "verifying",
            Phase::Completed => "completed",
        }
    }

    /// Reads a status word as vendors write it ("In progress", "investigating", "Post-mortem").
    pub fn from_word(word: &str) -> Option<Phase> {
        let w = word.trim().to_ascii_lowercase().replace(['-', '_'], " ");
        let phase = match w.as_str() {
            "investigating" => Phase::Investigating,
            "identified" => Phase::Identified,
            "monitoring" => Phase::Monitoring,
            "update" | "updated" => Phase::Update,
            "resolved" => Phase::Resolved,
            "postmortem" | "post mortem" => Phase::Postmortem,
            "scheduled" => Phase::Scheduled,
            "in progress" => Phase::InProgress,
            "verifying" => Phase::Verifying,
            "completed" => Phase::Completed,
            _ => return None,
        };
        Some(phase)
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One feed as the catalog describes it (an OPML outline with `xmlUrl`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FeedSpec {
    /// The feed URL; unique in the database.
    pub url: String,
    /// Human title (OPML `text`/`title`).
    pub title: String,
    /// Short vendor key, lowercase (`aws`, `zoom`); derived from the title when absent.
    pub vendor: String,
    /// The engine, when the catalog says; `None` means detect from the document.
    pub engine: Option<Engine>,
    /// cloud, saas, gaming, bank, telecom, consumer, gov, or what the user chose.
    pub category: Option<String>,
    /// The human status page.
    pub html_url: Option<String>,
    /// Cron expression overriding the global schedule.
    pub schedule: Option<String>,
}

/// One update inside an entry's timeline (Statuspage puts every update of an incident in one entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Update {
    /// When the vendor says the update was posted, when the text says.
    pub at: Option<DateTime<Utc>>,
    /// The status word as written ("Investigating", "Resolved"), empty when there is none.
    pub label: String,
    /// The update's text, plain (no markup).
    pub text: String,
}

/// One entry of a feed, as extracted by the engine's extractor: plain text, never active markup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The entry's own id (Atom id, RSS guid) or, when it has none, a stable derived one.
    pub id: String,
    /// True when `id` was derived (from link, else title + date) because the feed gave none.
    pub id_derived: bool,
    pub title: String,
    pub link: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// Plain text of the content (or summary), markup removed. (Absent from the JSON the
    /// store keeps in `entry_revisions.entry_json`: the `content` column holds it.)
    #[serde(default)]
    pub content: String,
    /// Timeline of updates, newest first; empty for engines without one.
    pub updates: Vec<Update>,
    /// Affected components, as named by the vendor.
    pub components: Vec<String>,
    /// Groups entries into one incident across items (AWS service-region chains); `None`: the entry is the incident.
    pub incident_key: Option<String>,
    /// The vendor's own severity, where stated (Statuspage impact, GCP status_impact, AWS title prefix).
    pub severity: Option<String>,
}

/// A parsed feed document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedFeed {
    pub title: Option<String>,
    /// The engine used to extract entries (given, or detected).
    pub engine: Engine,
    pub entries: Vec<Entry>,
    /// True when the document had to be repaired (bare `&`, control characters, re-encoding) before parsing.
    pub repaired: bool,
}

/// The verdict on one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    pub status: Status,
    pub phase: Option<Phase>,
    /// Name of the rule that decided.
    pub rule: String,
}

/// An entry together with its verdict: what the store writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassifiedEntry {
    pub entry: Entry,
    pub class: Classification,
    /// The worst status any update of the entry reached (an incident resolved since was
    /// still an outage while it lasted).
    pub worst: Status,
}

/// The kinds of event in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A vendor's service state changed.
    StateChange,
    /// A feed has failed for longer than the configured time.
    FeedFailing,
    /// A failing feed works again.
    FeedRecovered,
    /// Most feeds failed in one cycle: the problem is on our side.
    NetworkDown,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::StateChange => "state_change",
            EventKind::FeedFailing => "feed_failing",
            EventKind::FeedRecovered => "feed_recovered",
            EventKind::NetworkDown => "network_down",
        }
    }
}

/// An event about to be written to the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// UUIDv7 text: the idempotency key webhooks send as `webhook-id`.
    pub id: String,
    pub kind: EventKind,
    /// The vendor's time for the change (RFC 3339 UTC).
    pub occurred_at: String,
    /// When statuswatch saw it (RFC 3339 UTC).
    pub detected_at: String,
    pub feed_id: Option<i64>,
    pub vendor: Option<String>,
    /// `None` for the service as a whole.
    pub component: Option<String>,
    pub from_state: Option<ServiceState>,
    pub to_state: Option<ServiceState>,
    pub incident_id: Option<i64>,
    pub title: Option<String>,
    pub link: Option<String>,
    /// The JSON body a webhook sends as is.
    pub payload: serde_json::Value,
}
