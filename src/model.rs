//! The data that flows between pipeline stages: feeds, parsed entries, classifications and states.
//!
//! Stages exchange only these types, so each stage can be tested on its own and replaced without
//! touching its neighbours (a JSON status API adapter, say, produces the same `ParsedFeed`).

pub mod cluster;
pub mod event;
pub mod fetch;
pub mod state;

pub use cluster::{ClusterPhase, CorrelatedOutage, Dependency};
pub use event::{EventDetail, EventPayload, StoredEvent};
pub use fetch::{FeedHealth, FetchOutcome, FetchRecord, MovedTo};
pub use state::{DocumentFacts, OpenIncident, Reported, StateInputs, StatePlan, StateRow};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use strum::{IntoEnumIterator, VariantNames};

/// The status-page software that published a feed; decides which extractor reads its entries.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    PartialOrd,
    Ord,
    strum::Display,
    strum::IntoStaticStr,
    strum::EnumIter,
    strum::VariantNames,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
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
    /// cState (Hugo static status pages): one item per issue, a `[Resolved]` title prefix in the
    /// page's language, the resolve time (or a planned end) in `<category>`.
    Cstate,
    /// Statusfy: one entry per incident, later updates as `update-block`s.
    Statusfy,
    /// PlayStation Network's status JSON (`status.playstation.com/data/statuses/region/*.json`).
    Playstation,
    /// A plain status page with no feed or API, read by a CSS selector (`selector` in the OPML).
    Page,
    /// Any other RSS/Atom feed: title and summary only.
    Generic,
}

impl Engine {
    /// The name used in OPML, the database and rule files.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// An engine name that statuswatch does not know.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown engine {0:?} (known: {known})", known = Engine::VARIANTS.join(", "))]
pub struct UnknownEngine(pub String);

/// By hand rather than derived: names are read loosely (case, `-`, `_`, `.` and blanks ignored),
/// with the aliases catalogs write ("Atlassian Statuspage", "Google Cloud"), and no name is generic.
impl FromStr for Engine {
    type Err = UnknownEngine;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The written form first, without allocating: every feed row read holds it.
        if let Some(engine) = by_name(s) {
            return Ok(engine);
        }
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
            "cstate" => Engine::Cstate,
            "statusfy" => Engine::Statusfy,
            "playstation" | "psn" | "playstationnetwork" => Engine::Playstation,
            "page" | "html" | "statuspagewatcher" => Engine::Page,
            "generic" | "" => Engine::Generic,
            _ => return Err(UnknownEngine(s.to_string())),
        };
        Ok(engine)
    }
}

/// What one entry says about the service, as of that entry.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::Display,
    strum::IntoStaticStr,
    strum::EnumIter,
    strum::VariantNames,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Status {
    Outage,
    Degraded,
    Maintenance,
    Informational,
    Resolved,
}

impl Status {
    /// The name used in the database, rule files and output.
    pub fn as_str(self) -> &'static str {
        self.into()
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

/// A status name that is not one of the five.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown status {0:?} (known: {known})", known = Status::VARIANTS.join(", "))]
pub struct UnknownStatus(pub String);

/// Reads one of an enum's names, ignoring case and surrounding blanks (as people type them). The
/// derived `EnumString` would not trim, and its error would not list the names.
fn by_name<E: IntoEnumIterator + Into<&'static str> + Copy>(name: &str) -> Option<E> {
    let name = name.trim();
    E::iter().find(|e| {
        let known: &'static str = (*e).into();
        known.eq_ignore_ascii_case(name)
    })
}

impl FromStr for Status {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        by_name(s).ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

/// The current state of a service or component, derived from its open incidents.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::Display,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum ServiceState {
    Operational,
    Informational,
    Maintenance,
    Degraded,
    Outage,
}

impl ServiceState {
    /// The name used in the database, filters and output.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl FromStr for ServiceState {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        by_name(s).ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

/// Lifecycle phase of an incident or maintenance, where the engine states it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::Display,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
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
    /// The name used in the database and output (`in_progress`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The phase as an English word, the way rules read a label ("in progress", "resolved").
    pub fn word(self) -> &'static str {
        match self {
            Phase::InProgress => "in progress",
            other => other.as_str(),
        }
    }

    /// Reads a status word as vendors write it, in any language of [`PHASE_WORDS`] ("In progress",
    /// "investigating", "Post-mortem", "Gelöst", "Résolu", "解決済み").
    pub fn from_word(word: &str) -> Option<Phase> {
        let w = word
            .trim()
            .trim_matches(|c: char| matches!(c, '*' | '_' | '[' | ']' | ':' | '.'))
            .trim()
            .to_lowercase()
            .replace(['-', '_'], " ");
        if w.is_empty() || w.len() > 40 {
            return None;
        }
        PHASE_WORDS
            .iter()
            .find(|(_, words, _)| words.contains(&w.as_str()))
            .map(|(_, _, phase)| *phase)
    }
}

/// A lifecycle word in brackets opening a title, as per-update feeds and cState write it
/// ("[Investigating] Databases unavailable", "[Gelöst] Moodle"): the phase, the word as written,
/// and the rest of the title. `None` when the title opens with no bracket or with a bracketed
/// word that is no lifecycle word ("[EU] Latency").
pub fn title_state_tag(title: &str) -> Option<(Phase, &str, &str)> {
    let rest = title.trim_start().strip_prefix('[')?;
    let (tag, after) = rest.split_once(']')?;
    if tag.chars().count() > 30 {
        return None;
    }
    let phase = Phase::from_word(tag)?;
    Some((phase, tag.trim(), after.trim()))
}

/// The lifecycle words status pages write as update labels, per language (ISO 639-1), lower case.
/// Data, not code: a language is added by adding its row. Classification rules read a label through
/// [`Phase::word`], so a rule written for "resolved" also reads "Gelöst" and "Résolu".
pub const PHASE_WORDS: &[(&str, &[&str], Phase)] = &[
    (
        "en",
        &["investigating", "detected", "acknowledged"],
        Phase::Investigating,
    ),
    ("en", &["identified"], Phase::Identified),
    ("en", &["monitoring", "recovering"], Phase::Monitoring),
    ("en", &["update", "updated"], Phase::Update),
    ("en", &["resolved", "fixed", "closed"], Phase::Resolved),
    (
        "en",
        &["postmortem", "post mortem", "retrospective"],
        Phase::Postmortem,
    ),
    (
        "en",
        &["scheduled", "planned", "upcoming"],
        Phase::Scheduled,
    ),
    ("en", &["in progress", "ongoing"], Phase::InProgress),
    ("en", &["verifying"], Phase::Verifying),
    (
        "en",
        &["completed", "complete", "finished"],
        Phase::Completed,
    ),
    (
        "de",
        &[
            "untersuchung",
            "wird untersucht",
            "in untersuchung",
            "erkannt",
        ],
        Phase::Investigating,
    ),
    (
        "de",
        &["identifiziert", "ursache gefunden", "ursache identifiziert"],
        Phase::Identified,
    ),
    (
        "de",
        &["beobachtung", "überwachung", "wird beobachtet"],
        Phase::Monitoring,
    ),
    ("de", &["aktualisierung", "nachtrag"], Phase::Update),
    ("de", &["gelöst", "behoben", "erledigt"], Phase::Resolved),
    ("de", &["geplant", "angekündigt"], Phase::Scheduled),
    (
        "de",
        &["in bearbeitung", "läuft", "in arbeit"],
        Phase::InProgress,
    ),
    ("de", &["überprüfung"], Phase::Verifying),
    (
        "de",
        &["abgeschlossen", "beendet", "fertig"],
        Phase::Completed,
    ),
    (
        "fr",
        &[
            "enquête en cours",
            "investigation",
            "en cours d'investigation",
            "analyse en cours",
        ],
        Phase::Investigating,
    ),
    ("fr", &["identifié", "cause identifiée"], Phase::Identified),
    (
        "fr",
        &["surveillance", "sous surveillance"],
        Phase::Monitoring,
    ),
    ("fr", &["mise à jour"], Phase::Update),
    (
        "fr",
        &["résolu", "résolue", "corrigé", "rétabli"],
        Phase::Resolved,
    ),
    (
        "fr",
        &[
            "planifié",
            "planifiée",
            "programmé",
            "programmée",
            "prévu",
            "prévue",
        ],
        Phase::Scheduled,
    ),
    ("fr", &["en cours"], Phase::InProgress),
    ("fr", &["vérification"], Phase::Verifying),
    (
        "fr",
        &["terminé", "terminée", "achevé", "achevée"],
        Phase::Completed,
    ),
    (
        "es",
        &["investigando", "en investigación"],
        Phase::Investigating,
    ),
    ("es", &["identificado", "identificada"], Phase::Identified),
    (
        "es",
        &[
            "monitoreando",
            "monitorizando",
            "supervisando",
            "en observación",
        ],
        Phase::Monitoring,
    ),
    ("es", &["actualización"], Phase::Update),
    (
        "es",
        &["resuelto", "resuelta", "solucionado", "solucionada"],
        Phase::Resolved,
    ),
    (
        "es",
        &["programado", "programada", "planificado", "planificada"],
        Phase::Scheduled,
    ),
    ("es", &["en curso", "en progreso"], Phase::InProgress),
    ("es", &["verificando"], Phase::Verifying),
    (
        "es",
        &["completado", "completada", "finalizado", "finalizada"],
        Phase::Completed,
    ),
    (
        "it",
        &["in analisi", "indagine in corso", "stiamo indagando"],
        Phase::Investigating,
    ),
    ("it", &["identificato", "identificata"], Phase::Identified),
    (
        "it",
        &["monitoraggio", "in monitoraggio"],
        Phase::Monitoring,
    ),
    ("it", &["aggiornamento"], Phase::Update),
    ("it", &["risolto", "risolta"], Phase::Resolved),
    (
        "it",
        &["pianificato", "pianificata", "programmato", "programmata"],
        Phase::Scheduled,
    ),
    ("it", &["in corso"], Phase::InProgress),
    (
        "it",
        &["completato", "completata", "terminato", "terminata"],
        Phase::Completed,
    ),
    (
        "pt",
        &["investigando", "em investigação"],
        Phase::Investigating,
    ),
    ("pt", &["identificado"], Phase::Identified),
    (
        "pt",
        &["monitorando", "em monitoramento"],
        Phase::Monitoring,
    ),
    ("pt", &["atualização"], Phase::Update),
    ("pt", &["resolvido", "resolvida"], Phase::Resolved),
    (
        "pt",
        &["agendado", "agendada", "programado"],
        Phase::Scheduled,
    ),
    ("pt", &["em andamento", "em progresso"], Phase::InProgress),
    ("pt", &["concluído", "concluída"], Phase::Completed),
    (
        "nl",
        &["onderzoeken", "in onderzoek", "wordt onderzocht"],
        Phase::Investigating,
    ),
    (
        "nl",
        &["geïdentificeerd", "oorzaak gevonden"],
        Phase::Identified,
    ),
    ("nl", &["monitoren", "wordt gemonitord"], Phase::Monitoring),
    ("nl", &["opgelost", "verholpen"], Phase::Resolved),
    ("nl", &["gepland", "ingepland"], Phase::Scheduled),
    ("nl", &["bezig", "in uitvoering"], Phase::InProgress),
    ("nl", &["voltooid", "afgerond"], Phase::Completed),
    (
        "pl",
        &["badamy", "badanie", "w trakcie analizy", "analizujemy"],
        Phase::Investigating,
    ),
    (
        "pl",
        &["zidentyfikowano", "zidentyfikowany"],
        Phase::Identified,
    ),
    ("pl", &["monitorowanie", "monitorujemy"], Phase::Monitoring),
    ("pl", &["aktualizacja"], Phase::Update),
    (
        "pl",
        &[
            "rozwiązane",
            "rozwiązany",
            "rozwiązana",
            "naprawione",
            "usunięto",
        ],
        Phase::Resolved,
    ),
    (
        "pl",
        &["zaplanowane", "zaplanowana", "zaplanowany"],
        Phase::Scheduled,
    ),
    ("pl", &["w trakcie", "w toku"], Phase::InProgress),
    (
        "pl",
        &["zakończone", "zakończona", "zakończony"],
        Phase::Completed,
    ),
    ("ja", &["調査中"], Phase::Investigating),
    ("ja", &["特定済み", "原因特定"], Phase::Identified),
    ("ja", &["監視中", "経過観察中"], Phase::Monitoring),
    ("ja", &["更新"], Phase::Update),
    (
        "ja",
        &["解決済み", "解決済", "解決", "復旧"],
        Phase::Resolved,
    ),
    ("ja", &["予定", "メンテナンス予定"], Phase::Scheduled),
    (
        "ja",
        &["作業中", "メンテナンス中", "進行中"],
        Phase::InProgress,
    ),
    ("ja", &["完了"], Phase::Completed),
];

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
    /// For a status page with no feed or API: the CSS selector whose text says the state.
    pub selector: Option<String>,
    /// With `selector`: a regular expression the text matches when all is well ("up and
    /// running"); text that does not match it is read by the rules as any other text.
    pub expect: Option<String>,
    /// What the vendor runs on (OPML `runs_on`, `feeds add --runs-on`): other feeds' vendor
    /// keys, with a region where known. Empty: not known. Read by the correlate stage.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs_on: Vec<Dependency>,
    /// The environment variable whose value (a whole header value, `Bearer TOKEN`) is sent as
    /// this feed's `Authorization` header (OPML `auth_env`, `feeds add --auth-env`). Only the
    /// name is stored: the secret stays in the environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_env: Option<String>,
}

/// A feed URL in the one spelling statuswatch stores and compares: scheme and host in lower
/// case, the default port dropped, a trailing dot of the host dropped, an empty path made `/`
/// (as `url` serialises them, plus the dot). Path, query and fragment are kept exactly as
/// written, case and escapes included: servers may tell them apart, and a rewrite of them
/// would be a change nobody asked for. Anything that is not an http(s) URL (a `replay:` name,
/// a typo a later check reports) is returned trimmed, as given. Used by `feeds add`, the OPML
/// reader and the store's lookups, so one feed cannot be added twice under two spellings.
pub fn normalize_feed_url(text: &str) -> String {
    let text = text.trim();
    let Ok(mut url) = url::Url::parse(text) else {
        return text.to_string();
    };
    if url.scheme() != "http" && url.scheme() != "https" {
        return text.to_string();
    }
    if let Some(url::Host::Domain(name)) = url.host() {
        let bare = name.trim_end_matches('.').to_string();
        if bare.len() != name.len() && !bare.is_empty() && url.set_host(Some(&bare)).is_err() {
            return text.to_string();
        }
    }
    // The rest as written: what follows the authority in the text (`scheme://authority`).
    let rest = text.find("://").map(|at| {
        let from = at + 3;
        let end = text[from..]
            .find(['/', '?', '#', '\\'])
            .map_or(text.len(), |i| from + i);
        &text[end..]
    });
    match rest {
        Some(rest) if !rest.starts_with('\\') => {
            let head = &url[..url::Position::BeforePath];
            let slash = if rest.starts_with('/') { "" } else { "/" };
            format!("{head}{slash}{rest}")
        }
        // An unusual spelling (`https:host`, a backslash): the parser's serialisation.
        _ => url.into(),
    }
}

/// The scheme of a replayed feed's URL (`replay:zoom`): its documents come from a replay
/// directory's capture folder, never from the network.
pub const REPLAY_SCHEME: &str = "replay:";

impl FeedSpec {
    /// The URL as it may be shown, logged or sent: credentials in it masked (see
    /// [`crate::redact::url`]). `url` itself keeps them, for the fetch.
    pub fn shown_url(&self) -> std::borrow::Cow<'_, str> {
        crate::redact::url(&self.url)
    }

    /// The spec with every text that came from outside made safe to show (see
    /// [`crate::text::one_line`]): title, vendor, category, status page. Applied where feeds
    /// enter (OPML import, `feeds add`); URLs, selectors and patterns are left as given, since
    /// they are checked as what they are.
    pub fn cleaned(mut self) -> FeedSpec {
        let clean = |s: &mut String| {
            if let std::borrow::Cow::Owned(c) = crate::text::one_line(s) {
                *s = c;
            }
        };
        clean(&mut self.title);
        clean(&mut self.vendor);
        if let Some(c) = self.category.as_mut() {
            clean(c);
        }
        if let Some(h) = self.html_url.as_mut() {
            clean(h);
        }
        self
    }

    /// Checks the name an `auth_env` gives: an environment variable's name (letters, digits
    /// and `_`, not starting with a digit). The reason it is not one otherwise.
    pub fn check_auth_env(name: &str) -> Result<(), String> {
        let mut chars = name.chars();
        let starts_well = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if starts_well && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            Ok(())
        } else {
            Err(format!(
                "{:?} is not an environment variable's name: give the name (letters, digits and '_', such as STATUS_TOKEN), not the secret; the variable holds the whole Authorization header value, such as \"Bearer TOKEN\"",
                crate::text::one_line(name)
            ))
        }
    }

    /// Whether `url` names a replayed feed (`replay:...`), which nothing ever fetches.
    pub fn is_replay_url(url: &str) -> bool {
        url.get(..REPLAY_SCHEME.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(REPLAY_SCHEME))
    }

    /// Whether this feed is a replayed one (see [`FeedSpec::is_replay_url`]).
    pub fn is_replay(&self) -> bool {
        FeedSpec::is_replay_url(&self.url)
    }

    /// The stored URL of a replayed feed whose `xmlUrl` is the bare name of its capture
    /// folder (`zoom` → `replay:zoom`); `None` when `name` is not such a name (a URL, a path,
    /// blanks inside).
    pub fn replay_url(name: &str) -> Option<String> {
        let bare = !name.is_empty()
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        bare.then(|| format!("{REPLAY_SCHEME}{name}"))
    }

    /// The capture folder a `replay:` URL names (`replay:zoom` → `zoom`), when it names one.
    pub fn replay_folder(url: &str) -> Option<&str> {
        let name = FeedSpec::replayed(url)?;
        FeedSpec::replay_url(name).map(|_| name)
    }

    /// What a `replay:` URL holds after its scheme: a folder name or the feed's address
    /// (`replay:https://status.example.com/history.atom`).
    pub fn replayed(url: &str) -> Option<&str> {
        FeedSpec::is_replay_url(url).then(|| &url[REPLAY_SCHEME.len()..])
    }
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
    /// The language the feed declares for it (`xml:lang`, `<language>`) when not English, as an
    /// ISO 639-1 code ("de"); classification also reads the language from the text. (Left out of
    /// the JSON when absent, so the content hashes of entries stored before it stay the same.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
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
    /// What the source says about each of its components right now, when it says it (status
    /// APIs, page watchers): a whole snapshot. `None` for feeds, which only name the
    /// components their incidents touch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<ComponentStatus>>,
    /// The source's own word for the whole service now (a summary's indicator, a page's
    /// text), when it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overall: Option<ServiceState>,
    /// The document lists every incident that is still open (a status API's summary or
    /// current events): one it leaves out has ended, and is resolved rather than withdrawn.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lists_open: bool,
    /// What the reader should be told about how the document was read (invalid UTF-8 read as
    /// Windows-1252, duplicate ids, the entry cap): one sentence each, without the feed's name,
    /// which the caller adds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The document held more entries than the cap: only the newest were taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capped: Option<Capped>,
}

/// A document cut short by the per-document entry cap (`ParseOptions::max_entries`): the
/// newest `kept` entries were taken, `dropped` older ones left out. The store must not read
/// the left-out ones as gone from the document (withdrawn).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capped {
    pub kept: usize,
    pub dropped: usize,
    /// The oldest time among the entries kept: every left-out entry is this old or older, or
    /// has no time. `None` when no kept entry has a time.
    pub oldest_kept: Option<DateTime<Utc>>,
}

/// One component's state as a status API or page states it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentStatus {
    /// The source's own id for it (Statuspage's component id), when it has one.
    pub id: Option<String>,
    /// The name people see ("API", "Git Operations").
    pub name: String,
    /// The group it is listed under, when the source groups components.
    pub group: Option<String>,
    pub state: ServiceState,
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
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum EventKind {
    /// A vendor's service state changed.
    StateChange,
    /// A feed has failed for longer than the configured time.
    FeedFailing,
    /// A failing feed works again.
    FeedRecovered,
    /// Most feeds failed in one cycle: the problem is on our side.
    NetworkDown,
    /// One component of a vendor changed state (webhooks ask for it by `kinds`).
    ComponentChange,
    /// Vendors left operational together, more than chance explains: a cluster opened, grew
    /// or resolved.
    CorrelatedOutage,
}

impl EventKind {
    /// The name in the outbox's `kind` column and in payloads.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// An event about to be written to the outbox: its payload, and the rows it is about (kept
/// as columns so the archive can join them; nothing is read back from them to deliver).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub payload: EventPayload,
    pub feed_id: Option<i64>,
    pub incident_id: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_urls_have_one_spelling() {
        for (given, normal) in [
            (
                "HTTPS://Status.Example.COM/History.atom",
                "https://status.example.com/History.atom",
            ),
            (
                "https://status.example.com:443/feed",
                "https://status.example.com/feed",
            ),
            (
                "http://status.example.com:80/feed?Page=2",
                "http://status.example.com/feed?Page=2",
            ),
            (
                "http://status.example.com:8080/feed",
                "http://status.example.com:8080/feed",
            ),
            (
                "https://status.example.com./feed",
                "https://status.example.com/feed",
            ),
            ("https://status.example.com", "https://status.example.com/"),
            (
                "  https://status.example.com/a  ",
                "https://status.example.com/a",
            ),
            (
                "https://user:Token@Status.example.com/f",
                "https://user:Token@status.example.com/f",
            ),
            ("http://[::1]:80/x", "http://[::1]/x"),
            ("replay:Zoom", "replay:Zoom"),
            (
                "https://Status.example.com/a/../History.atom?y=%222%22&q=\"x\"#Top",
                "https://status.example.com/a/../History.atom?y=%222%22&q=\"x\"#Top",
            ),
            (
                "https://status.example.com?x=1",
                "https://status.example.com/?x=1",
            ),
            (
                "https://status.example.com#f",
                "https://status.example.com/#f",
            ),
            ("not a url", "not a url"),
        ] {
            assert_eq!(normalize_feed_url(given), normal, "{given}");
            assert_eq!(
                normalize_feed_url(normal),
                normal,
                "{normal} stays as it is"
            );
        }
    }

    #[test]
    fn replay_urls_name_a_folder_or_hold_an_address() {
        assert_eq!(FeedSpec::replay_url("zoom").as_deref(), Some("replay:zoom"));
        assert_eq!(
            FeedSpec::replay_url("aws-us_east.1").as_deref(),
            Some("replay:aws-us_east.1")
        );
        for not_a_name in [
            "",
            ".hidden",
            "../zoom",
            "my zoom",
            "https://x.example/f",
            "a/b",
        ] {
            assert_eq!(FeedSpec::replay_url(not_a_name), None, "{not_a_name:?}");
        }
        assert_eq!(FeedSpec::replay_folder("replay:zoom"), Some("zoom"));
        assert_eq!(FeedSpec::replay_folder("replay:https://x.example/f"), None);
        assert_eq!(FeedSpec::replay_folder("https://x.example/f"), None);
        assert_eq!(
            FeedSpec::replayed("REPLAY:https://x.example/f"),
            Some("https://x.example/f")
        );
        assert!(FeedSpec::is_replay_url("replay:zoom"));
        assert!(!FeedSpec::is_replay_url("https://replay.example/"));
    }

    /// The derived names are the stored ones: serde, `as_str`, `Display` and `FromStr` agree.
    fn names_agree<E>(all: impl Iterator<Item = E>) -> Vec<&'static str>
    where
        E: Copy + Serialize + std::fmt::Display + Into<&'static str>,
    {
        all.map(|e| {
            let name: &'static str = e.into();
            assert_eq!(serde_json::to_value(e).unwrap(), name);
            assert_eq!(e.to_string(), name);
            name
        })
        .collect()
    }

    #[test]
    fn enum_names_are_the_stored_words() {
        assert_eq!(
            names_agree(Engine::iter()).join(","),
            "statuspage,aws,gcp,azure,slack,incidentio,instatus,statusio,govuk,cstate,statusfy,playstation,page,generic"
        );
        assert_eq!(
            names_agree(Status::iter()).join(","),
            "outage,degraded,maintenance,informational,resolved"
        );
        assert_eq!(
            names_agree(ServiceState::iter()).join(","),
            "operational,informational,maintenance,degraded,outage"
        );
        assert_eq!(
            names_agree(Phase::iter()).join(","),
            "investigating,identified,monitoring,update,resolved,postmortem,scheduled,in_progress,verifying,completed"
        );
        let kinds: Vec<&str> = EventKind::iter().map(EventKind::as_str).collect();
        assert_eq!(
            kinds,
            [
                "state_change",
                "feed_failing",
                "feed_recovered",
                "network_down",
                "component_change",
                "correlated_outage",
            ]
        );
        for kind in EventKind::iter() {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        for e in Engine::iter() {
            assert_eq!(e.as_str().parse::<Engine>().unwrap(), e);
        }
    }

    #[test]
    fn names_read_loosely_and_refusals_list_the_known_ones() {
        assert_eq!(" Outage ".parse::<Status>().unwrap(), Status::Outage);
        assert_eq!(
            "OPERATIONAL".parse::<ServiceState>().unwrap(),
            ServiceState::Operational
        );
        assert_eq!(
            "Atlassian Statuspage".parse::<Engine>().unwrap(),
            Engine::Statuspage
        );
        assert_eq!("".parse::<Engine>().unwrap(), Engine::Generic);
        assert_eq!(
            "down".parse::<Status>().unwrap_err().to_string(),
            "unknown status \"down\" (known: outage, degraded, maintenance, informational, resolved)"
        );
        assert_eq!(
            "statuspag".parse::<Engine>().unwrap_err().to_string(),
            "unknown engine \"statuspag\" (known: statuspage, aws, gcp, azure, slack, incidentio, instatus, statusio, govuk, cstate, statusfy, playstation, page, generic)"
        );
    }
}
