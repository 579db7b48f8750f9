//! The configuration file (TOML): what a user keeps in git besides the feed catalog.
//!
//! Two phases, as everywhere in statuswatch: serde reads the file into `Raw*` structs that
//! deny unknown keys, then [`RawConfig::build`] validates everything at once into the runtime
//! [`Config`] (URLs parsed, secrets decoded, filters compiled) and reports *every* problem
//! with the file and line it is on. A bad file stops the program at start, never mid-run.
//!
//! Where the file is: `--config PATH` / `STATUSWATCH_CONFIG` (must exist), else
//! `./statuswatch.toml`, else `$XDG_CONFIG_HOME/statuswatch/config.toml` (or
//! `~/.config/statuswatch/config.toml`); none of those means an empty configuration.
//! `config.example.toml` at the repository root documents every key.

use crate::deliver::filter::{parse_kind, Filter, Transition, ALL_KINDS};
use crate::deliver::format::Format;
use crate::deliver::sign::Secret;
use crate::deliver::{DeliveryPolicy, Webhook};
use crate::duration::parse_duration;
use crate::model::ServiceState;
use serde::Deserialize;
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {} does not exist", path.display())]
    Missing { path: PathBuf },
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// One or more problems, each naming the file and line.
    #[error("{}", problems.join("\n"))]
    Invalid { problems: Vec<String> },
}

/// The validated configuration the program runs with.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it came from; `None` when there is none.
    pub source: Option<PathBuf>,
    /// Global poll schedule (cron); validated by the scheduler.
    pub schedule: Option<String>,
    /// Time zone the schedule is read in; validated by the scheduler.
    pub timezone: Option<String>,
    /// Webhooks, in file order; names are unique.
    pub webhooks: Vec<Webhook>,
    /// Timeouts and retry policy for every webhook.
    pub delivery: DeliveryPolicy,
}

/// The file as written: every key optional except a webhook's `name` and `url`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Cron expression for `run` (default: the daemon's own).
    pub schedule: Option<String>,
    /// IANA time zone for `schedule` (default: UTC).
    pub timezone: Option<String>,
    /// `[[webhooks]]` tables (default: none).
    #[serde(default)]
    pub webhooks: Vec<RawWebhook>,
    /// `[delivery]`: timeouts and retries (defaults in [`DeliveryPolicy::default`]).
    #[serde(default)]
    pub delivery: RawDelivery,
}

/// One `[[webhooks]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhook {
    /// Unique; letters, digits, `-`, `_`, `.`.
    pub name: Spanned<String>,
    /// http or https; this or `url_env` is required.
    pub url: Option<Spanned<String>>,
    /// The name of an environment variable holding the URL, so a URL carrying a token
    /// (Slack, Discord) stays out of a file kept in git.
    pub url_env: Option<Spanned<String>>,
    /// json (default), slack or discord.
    pub format: Option<Spanned<String>>,
    /// `whsec_<base64>`: sign per Standard Webhooks (default: unsigned).
    pub secret: Option<Spanned<String>>,
    /// The name of an environment variable holding the secret.
    pub secret_env: Option<Spanned<String>>,
    /// Event kinds (default: all four).
    pub kinds: Option<Spanned<Vec<String>>>,
    /// Vendor keys (default: any).
    pub vendors: Option<Spanned<Vec<String>>>,
    /// Feed categories (default: any).
    pub categories: Option<Spanned<Vec<String>>>,
    /// Component names (default: any).
    pub components: Option<Spanned<Vec<String>>>,
    /// outage, degraded, maintenance or informational (default: none).
    pub min_status: Option<Spanned<String>>,
    /// `FROM->TO` patterns (default: any).
    pub transitions: Option<Spanned<Vec<String>>>,
}

/// The `[delivery]` table; durations are strings such as `"500ms"`, `"30s"`, `"10m"`, `"8h"`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDelivery {
    /// Per-request timeout (default 10s).
    pub timeout: Option<Spanned<String>>,
    /// Wait before the first retry; doubles after each failure (default 30s).
    pub first_retry: Option<Spanned<String>>,
    /// Longest wait between two attempts (default 8h).
    pub max_retry: Option<Spanned<String>>,
    /// Attempts before an event becomes a dead letter (default 13: about a day).
    pub max_attempts: Option<Spanned<u32>>,
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.chars().rev().take_while(|c| *c != '\n').count() + 1;
    (line, col)
}

/// The process's environment, where `url_env` and `secret_env` look.
fn process_env(var: &str) -> Option<String> {
    std::env::var(var).ok()
}

struct Problems<'a> {
    origin: &'a str,
    text: &'a str,
    list: Vec<String>,
}

impl Problems<'_> {
    fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        let (line, _) = line_col(self.text, span.start);
        self.list
            .push(format!("{}: line {line}: {}", self.origin, message.into()));
    }
}

impl RawConfig {
    /// Reads the TOML text; `origin` names the file in messages.
    pub fn parse(text: &str, origin: &str) -> Result<RawConfig, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let message = e.message().trim().replace('\n', " ");
            let problem = match e.span() {
                Some(span) => {
                    let (line, col) = line_col(text, span.start);
                    format!("{origin}: line {line}, column {col}: {message}")
                }
                None => format!("{origin}: {message}"),
            };
            ConfigError::Invalid {
                problems: vec![problem],
            }
        })
    }

    /// Validates everything into a [`Config`]; `text` is the file the spans point into, `env`
    /// looks up the variables `url_env` and `secret_env` name.
    pub fn build(
        self,
        text: &str,
        origin: &str,
        source: Option<PathBuf>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut problems = Problems {
            origin,
            text,
            list: Vec::new(),
        };
        let delivery = build_delivery(self.delivery, &mut problems);
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut webhooks = Vec::new();
        for raw in self.webhooks {
            let name_span = raw.name.span();
            let name = raw.name.get_ref().trim().to_string();
            let (line, _) = line_col(text, name_span.start);
            if let Some(first) = seen.get(&name) {
                problems.at(
                    name_span.clone(),
                    format!("webhook name {name:?} is already used on line {first}: names must be unique"),
                );
            } else {
                seen.insert(name.clone(), line);
            }
            if let Some(webhook) = build_webhook(raw, &name, env, &mut problems) {
                webhooks.push(webhook);
            }
        }
        if !problems.list.is_empty() {
            return Err(ConfigError::Invalid {
                problems: problems.list,
            });
        }
        Ok(Config {
            source,
            schedule: self.schedule,
            timezone: self.timezone,
            webhooks,
            delivery,
        })
    }
}

fn build_delivery(raw: RawDelivery, problems: &mut Problems<'_>) -> DeliveryPolicy {
    let mut policy = DeliveryPolicy::default();
    let mut duration = |value: Option<Spanned<String>>, key: &str, slot: &mut Duration| {
        if let Some(value) = value {
            match parse_duration(value.get_ref()) {
                Ok(d) if d.is_zero() => {
                    problems.at(value.span(), format!("delivery.{key} must be more than 0"))
                }
                Ok(d) => *slot = d,
                Err(e) => problems.at(value.span(), format!("delivery.{key}: {e}")),
            }
        }
    };
    duration(raw.timeout, "timeout", &mut policy.timeout);
    duration(raw.first_retry, "first_retry", &mut policy.first_retry);
    let max_retry_span = raw.max_retry.as_ref().map(|v| v.span());
    duration(raw.max_retry, "max_retry", &mut policy.max_retry);
    if let Some(span) = max_retry_span {
        if policy.max_retry < policy.first_retry {
            problems.at(
                span,
                "delivery.max_retry must not be shorter than first_retry",
            );
        }
    }
    if let Some(n) = raw.max_attempts {
        match *n.get_ref() {
            1..=100 => policy.max_attempts = *n.get_ref(),
            _ => problems.at(n.span(), "delivery.max_attempts must be between 1 and 100"),
        }
    }
    policy
}

/// Lowercased, trimmed, non-empty entries of a list; an empty list is a mistake worth naming.
fn word_list(
    value: Option<Spanned<Vec<String>>>,
    key: &str,
    name: &str,
    problems: &mut Problems<'_>,
) -> Option<(Range<usize>, Vec<String>)> {
    let value = value?;
    let span = value.span();
    let words: Vec<String> = value
        .into_inner()
        .into_iter()
        .map(|w| w.trim().to_lowercase())
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        problems.at(
            span,
            format!("webhook {name:?}: {key} is empty; leave it out to accept any"),
        );
        return None;
    }
    Some((span, words))
}

/// A value written in the file (`key`) or read from the environment variable `{key}_env`
/// names: where to point at in messages, the value, and how to name it there.
struct Setting {
    span: Range<usize>,
    value: String,
    /// The environment variable it came from, if it did.
    var: Option<String>,
}

impl Setting {
    /// How messages name it: `url`, or `url (from $OPS_URL)`.
    fn called(&self, key: &str) -> String {
        match &self.var {
            Some(var) => format!("{key} (from ${var})"),
            None => key.to_string(),
        }
    }
}

/// Reads `key` or `{key}_env` (at most one may be given); `None` when neither is, or on a
/// problem (reported). Values are never echoed: they are secrets or carry tokens.
fn setting(
    written: Option<Spanned<String>>,
    from_env: Option<Spanned<String>>,
    key: &str,
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
    problems: &mut Problems<'_>,
) -> Option<Setting> {
    match (written, from_env) {
        (None, None) => None,
        (Some(_), Some(var)) => {
            problems.at(
                var.span(),
                format!("webhook {name:?}: give {key} or {key}_env, not both"),
            );
            None
        }
        (Some(value), None) => Some(Setting {
            span: value.span(),
            value: value.into_inner(),
            var: None,
        }),
        (None, Some(var)) => {
            let span = var.span();
            let var = var.into_inner();
            let var = var.trim();
            let valid = var.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                problems.at(
                    span,
                    format!("webhook {name:?}: {key}_env must name an environment variable (letters, digits, '_'), not {var:?}"),
                );
                return None;
            }
            match env(var).filter(|v| !v.trim().is_empty()) {
                Some(value) => Some(Setting {
                    span,
                    value,
                    var: Some(var.to_string()),
                }),
                None => {
                    problems.at(
                        span,
                        format!("webhook {name:?}: {key}_env names {var}, which is not set (or empty) in statuswatch's environment: set it, or write {key} = \"...\" instead"),
                    );
                    None
                }
            }
        }
    }
}

/// Parses a webhook's URL: http or https, with a host. Never echoes it: it often carries a
/// token (Slack, Discord).
fn webhook_url(url: Setting, name: &str, problems: &mut Problems<'_>) -> Option<url::Url> {
    let called = url.called("url");
    let problem = match url::Url::parse(url.value.trim()) {
        Ok(parsed) if !matches!(parsed.scheme(), "http" | "https") => format!(
            "webhook {name:?}: {called} must be http or https, not {:?}",
            parsed.scheme()
        ),
        Ok(parsed) if parsed.host().is_none() => format!("webhook {name:?}: {called} has no host"),
        Ok(parsed) => return Some(parsed),
        Err(e) => {
            format!("webhook {name:?}: {called} is not a valid URL ({e}); it must be http or https")
        }
    };
    problems.at(url.span, problem);
    None
}

fn build_webhook(
    raw: RawWebhook,
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
    problems: &mut Problems<'_>,
) -> Option<Webhook> {
    let before = problems.list.len();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        problems.at(
            raw.name.span(),
            format!("webhook name {name:?} must be letters, digits, '-', '_' or '.'"),
        );
    }
    let url_given = raw.url.is_some() || raw.url_env.is_some();
    let url = setting(raw.url, raw.url_env, "url", name, env, problems);
    if !url_given {
        problems.at(
            raw.name.span(),
            format!(
                "webhook {name:?} has no url: add url = \"https://...\" or url_env = \"VARIABLE\""
            ),
        );
    }
    let url = url.and_then(|url| webhook_url(url, name, problems));
    let format = match &raw.format {
        None => Format::Json,
        Some(f) => f.get_ref().parse().unwrap_or_else(|e| {
            problems.at(f.span(), format!("webhook {name:?}: {e}"));
            Format::Json
        }),
    };
    let secret =
        setting(raw.secret, raw.secret_env, "secret", name, env, problems).and_then(|secret| {
            // Written in the file, the key is plain from the line; from the environment, say which.
            let from = match &secret.var {
                Some(_) => format!("{}: ", secret.called("secret")),
                None => String::new(),
            };
            Secret::parse(&secret.value)
                .map_err(|e| problems.at(secret.span, format!("webhook {name:?}: {from}{e}")))
                .ok()
        });
    let mut filter = Filter::default();
    if let Some((span, words)) = word_list(raw.kinds, "kinds", name, problems) {
        filter.kinds.clear();
        for word in words {
            match parse_kind(&word) {
                Some(kind) => filter.kinds.push(kind),
                None => problems.at(
                    span.clone(),
                    format!(
                        "webhook {name:?}: unknown event kind {word:?} (known: {})",
                        ALL_KINDS.map(|k| k.as_str()).join(", ")
                    ),
                ),
            }
        }
    }
    if let Some((_, words)) = word_list(raw.vendors, "vendors", name, problems) {
        filter.vendors = words;
    }
    if let Some((_, words)) = word_list(raw.categories, "categories", name, problems) {
        filter.categories = words;
    }
    if let Some((_, words)) = word_list(raw.components, "components", name, problems) {
        filter.components = words;
    }
    if let Some(min) = &raw.min_status {
        match min.get_ref().parse::<ServiceState>() {
            Ok(ServiceState::Operational) | Err(_) => problems.at(
                min.span(),
                format!(
                    "webhook {name:?}: unknown min_status {:?} (known: outage, degraded, maintenance, informational)",
                    min.get_ref()
                ),
            ),
            Ok(state) => filter.min_status = Some(state),
        }
    }
    if let Some((span, words)) = word_list(raw.transitions, "transitions", name, problems) {
        for word in words {
            match word.parse::<Transition>() {
                Ok(t) => filter.transitions.push(t),
                Err(e) => problems.at(span.clone(), format!("webhook {name:?}: {e}")),
            }
        }
    }
    if problems.list.len() > before {
        return None;
    }
    Some(Webhook {
        name: name.to_string(),
        url: url?,
        format,
        secret,
        filter,
    })
}

impl Config {
    /// Reads and validates configuration text; `origin` names it in messages.
    pub fn from_toml(text: &str, origin: &str) -> Result<Config, ConfigError> {
        RawConfig::parse(text, origin)?.build(text, origin, None, &process_env)
    }

    /// Reads and validates a file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ConfigError::Missing {
                    path: path.to_path_buf(),
                })
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let origin = path.display().to_string();
        RawConfig::parse(&text, &origin)?.build(
            &text,
            &origin,
            Some(path.to_path_buf()),
            &process_env,
        )
    }

    /// The file to read when none is given: `./statuswatch.toml`, else the user's config
    /// directory; `None` when neither exists.
    pub fn default_path() -> Option<PathBuf> {
        let local = PathBuf::from("statuswatch.toml");
        if local.is_file() {
            return Some(local);
        }
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
        let user = base.join("statuswatch").join("config.toml");
        user.is_file().then_some(user)
    }

    /// Loads `explicit` (which must exist), else the default file if any, else nothing.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        match explicit {
            Some(path) => Config::from_file(path),
            None => match Config::default_path() {
                Some(path) => Config::from_file(&path),
                None => Ok(Config::default()),
            },
        }
    }

    /// The webhook with this name.
    pub fn webhook(&self, name: &str) -> Option<&Webhook> {
        self.webhooks.iter().find(|w| w.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> String {
        match Config::from_toml(text, "test.toml") {
            Err(e) => e.to_string(),
            Ok(c) => panic!("accepted: {c:?}"),
        }
    }

    #[test]
    fn the_example_file_builds() {
        let text = include_str!("../config.example.toml");
        let config = Config::from_toml(text, "config.example.toml").unwrap();
        assert!(config.webhooks.len() >= 3);
        assert!(config.webhooks.iter().any(|w| w.format == Format::Slack));
        assert!(config.webhooks.iter().any(|w| w.format == Format::Discord));
        assert!(config.webhooks.iter().any(|w| w.secret.is_some()));
    }

    #[test]
    fn an_empty_file_is_an_empty_configuration() {
        let config = Config::from_toml("", "x").unwrap();
        assert!(config.webhooks.is_empty());
        assert_eq!(config.delivery, DeliveryPolicy::default());
    }

    #[test]
    fn a_full_webhook_builds_its_filter() {
        let config = Config::from_toml(
            r#"
schedule = "*/2 * * * *"
[[webhooks]]
name = "ops"
url = "https://hooks.example.com/statuswatch"
format = "discord"
secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
vendors = ["AWS", "slack"]
min_status = "degraded"
transitions = ["*->outage", "outage->*"]
kinds = ["state_change"]
[delivery]
timeout = "5s"
first_retry = "250ms"
max_retry = "1m"
max_attempts = 4
"#,
            "x",
        )
        .unwrap();
        let hook = &config.webhooks[0];
        assert_eq!(hook.format, Format::Discord);
        assert_eq!(hook.filter.vendors, ["aws", "slack"]);
        assert_eq!(hook.filter.min_status, Some(ServiceState::Degraded));
        assert_eq!(hook.filter.transitions.len(), 2);
        assert_eq!(config.schedule.as_deref(), Some("*/2 * * * *"));
        assert_eq!(config.delivery.first_retry, Duration::from_millis(250));
        assert_eq!(config.delivery.max_attempts, 4);
    }

    #[test]
    fn unknown_keys_are_refused_naming_the_line() {
        let err =
            problems("[[webhooks]]\nname = \"a\"\nurl = \"https://x.example\"\ncolour = \"red\"\n");
        assert!(err.starts_with("test.toml: line 4"), "{err}");
        assert!(err.contains("colour"), "{err}");
        let err = problems("schedule = \"* * * * *\"\nretries = 3\n");
        assert!(err.starts_with("test.toml: line 2"), "{err}");
    }

    #[test]
    fn a_url_that_is_not_http_is_refused_naming_the_line_but_not_the_url() {
        let err =
            problems("[[webhooks]]\nname = \"a\"\nurl = \"ftp://files.example/secret-token\"\n");
        assert_eq!(
            err,
            "test.toml: line 3: webhook \"a\": url must be http or https, not \"ftp\""
        );
        let err = problems("[[webhooks]]\nname = \"a\"\nurl = \"not a url\"\n");
        assert!(err.starts_with("test.toml: line 3:"), "{err}");
    }

    #[test]
    fn every_problem_is_listed_with_its_line() {
        let err = problems(
            r#"[[webhooks]]
name = "a"
url = "https://a.example"
format = "teams"

[[webhooks]]
name = "a"
url = "https://b.example"
min_status = "resolved"
secret = "whsec_!!!"
transitions = ["down->*"]
kinds = ["state_change", "bogus"]
vendors = []
"#,
        );
        let lines: Vec<&str> = err.lines().collect();
        assert!(
            lines[0].contains("line 4") && lines[0].contains("unknown format \"teams\""),
            "{err}"
        );
        assert!(
            err.contains("line 7: webhook name \"a\" is already used on line 2"),
            "{err}"
        );
        assert!(
            err.contains("line 9: webhook \"a\": unknown min_status \"resolved\""),
            "{err}"
        );
        assert!(
            err.contains("line 10: webhook \"a\": the secret is not base64"),
            "{err}"
        );
        assert!(!err.contains("!!!"), "the secret is echoed: {err}");
        assert!(
            err.contains("line 11:") && err.contains("\"down\""),
            "{err}"
        );
        assert!(
            err.contains("line 12:") && err.contains("\"bogus\""),
            "{err}"
        );
        assert!(
            err.contains("line 13:") && err.contains("vendors is empty"),
            "{err}"
        );
    }

    #[test]
    fn delivery_durations_are_checked() {
        let err = problems("[delivery]\ntimeout = \"soon\"\n");
        assert!(
            err.starts_with("test.toml: line 2: delivery.timeout"),
            "{err}"
        );
        let err = problems("[delivery]\nfirst_retry = \"1h\"\nmax_retry = \"1m\"\n");
        assert!(err.contains("line 3"), "{err}");
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("8h").unwrap(), Duration::from_secs(8 * 3600));
        assert_eq!(
            parse_duration("2w").unwrap(),
            Duration::from_secs(14 * 86_400)
        );
        assert!(parse_duration("8 fortnights").is_err());
    }

    /// Builds `text` with an environment of exactly `vars`.
    fn with_env(text: &str, vars: &[(&str, &str)]) -> Result<Config, String> {
        let env = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        RawConfig::parse(text, "test.toml")
            .and_then(|raw| raw.build(text, "test.toml", None, &env))
            .map_err(|e| e.to_string())
    }

    const FROM_ENV: &str =
        "[[webhooks]]\nname = \"ops\"\nurl_env = \"OPS_URL\"\nsecret_env = \"OPS_SECRET\"\n";

    #[test]
    fn url_and_secret_can_come_from_the_environment() {
        let config = with_env(
            FROM_ENV,
            &[
                ("OPS_URL", "https://hooks.slack.com/services/T0/B0/tok"),
                ("OPS_SECRET", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"),
            ],
        )
        .unwrap();
        let hook = &config.webhooks[0];
        assert_eq!(
            hook.url.as_str(),
            "https://hooks.slack.com/services/T0/B0/tok"
        );
        assert_eq!(
            hook.secret,
            Some(Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap())
        );
    }

    #[test]
    fn a_variable_that_is_not_set_or_empty_is_named_with_its_line() {
        let err = with_env(FROM_ENV, &[("OPS_SECRET", "  ")]).unwrap_err();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{err}");
        assert_eq!(
            lines[0],
            "test.toml: line 3: webhook \"ops\": url_env names OPS_URL, which is not set (or empty) in statuswatch's environment: set it, or write url = \"...\" instead"
        );
        assert!(
            lines[1]
                .starts_with("test.toml: line 4: webhook \"ops\": secret_env names OPS_SECRET,"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_value_from_the_environment_names_the_variable_not_the_value() {
        let err = with_env(
            FROM_ENV,
            &[
                ("OPS_URL", "ftp://files.example/drop-token"),
                ("OPS_SECRET", "whsec_!!secret!!"),
            ],
        )
        .unwrap_err();
        assert!(
            err.contains(
                "line 3: webhook \"ops\": url (from $OPS_URL) must be http or https, not \"ftp\""
            ),
            "{err}"
        );
        assert!(
            err.contains(
                "line 4: webhook \"ops\": secret (from $OPS_SECRET): the secret is not base64"
            ),
            "{err}"
        );
        assert!(
            !err.contains("drop-token") && !err.contains("!!secret!!"),
            "{err}"
        );
    }

    #[test]
    fn url_and_url_env_together_or_neither_are_refused() {
        let err = with_env(
            "[[webhooks]]\nname = \"a\"\nurl = \"https://a.example\"\nurl_env = \"A_URL\"\n[[webhooks]]\nname = \"b\"\nsecret_env = \"not a name\"\n",
            &[("A_URL", "https://a.example")],
        )
        .unwrap_err();
        assert!(
            err.contains("line 4: webhook \"a\": give url or url_env, not both"),
            "{err}"
        );
        assert!(
            err.contains("line 6: webhook \"b\" has no url: add url = \"https://...\" or url_env = \"VARIABLE\""),
            "{err}"
        );
        assert!(
            err.contains("line 7: webhook \"b\": secret_env must name an environment variable"),
            "{err}"
        );
    }

    #[test]
    fn debug_output_hides_secrets_and_url_tokens() {
        let config = Config::from_toml(
            "[[webhooks]]\nname = \"s\"\nurl = \"https://hooks.slack.com/services/T0/B0/tokentoken\"\nformat = \"slack\"\nsecret = \"whsec_c2VjcmV0LWtleS1ieXRlcw==\"\n",
            "x",
        )
        .unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("tokentoken"), "{shown}");
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
        assert!(shown.contains("hooks.slack.com"), "{shown}");
    }
}
