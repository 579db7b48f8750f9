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

use crate::correlate::settings::RawCorrelation;
use crate::correlate::CorrelationSettings;
use crate::deliver::config::{RawDelivery, RawWebhook};
use crate::deliver::{DeliveryPolicy, Webhook};
use crate::fetch::network::RawNetwork;
use crate::fetch::NetworkPolicy;
use crate::problems::{line_col, Problems};
use crate::schedule::{self, CronSchedule};
use chrono_tz::Tz;
use serde::Deserialize;
use std::path::{Path, PathBuf};
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
    /// Global poll schedule of `run`, read in `timezone` (UTC when that is not given).
    pub schedule: Option<CronSchedule>,
    /// Time zone the schedules are read in.
    pub timezone: Option<Tz>,
    /// Webhooks, in file order; names are unique.
    pub webhooks: Vec<Webhook>,
    /// Timeouts and retry policy for every webhook.
    pub delivery: DeliveryPolicy,
    /// How correlated outages are judged (`[correlation]`).
    pub correlation: CorrelationSettings,
    /// Where feeds and webhooks may connect beyond the defaults (`[network]`).
    pub network: NetworkPolicy,
}

/// The file as written: every key optional except a webhook's `name` and `url`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Cron expression for `run` (default: the daemon's own).
    pub schedule: Option<Spanned<String>>,
    /// IANA time zone for `schedule` (default: UTC).
    pub timezone: Option<Spanned<String>>,
    /// `[[webhooks]]` tables (default: none).
    #[serde(default)]
    pub webhooks: Vec<RawWebhook>,
    /// `[delivery]`: timeouts and retries (defaults in [`DeliveryPolicy::default`]).
    #[serde(default)]
    pub delivery: RawDelivery,
    /// `[correlation]`: the correlated-outage model's knobs (defaults in
    /// [`CorrelationSettings::default`]).
    #[serde(default)]
    pub correlation: RawCorrelation,
    /// `[network]`: address ranges statuswatch may connect to beyond the defaults.
    #[serde(default)]
    pub network: RawNetwork,
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
        let mut problems = Problems::new(origin, text);
        let timezone = self.timezone.and_then(|tz| {
            schedule::parse_timezone(tz.get_ref())
                .map_err(|e| problems.at(tz.span(), format!("timezone: {e}")))
                .ok()
        });
        let schedule = self.schedule.and_then(|expr| {
            CronSchedule::parse(expr.get_ref(), timezone.unwrap_or(chrono_tz::UTC))
                .map_err(|e| problems.at(expr.span(), format!("{e}; {}", schedule::SYNTAX)))
                .ok()
        });
        let webhook_lines: Vec<(String, usize)> = self
            .webhooks
            .iter()
            .map(|w| {
                let line = problems.line(w.name.span().start);
                (w.name.get_ref().trim().to_string(), line)
            })
            .collect();
        // Deliver validates its own tables; this file only hands them over.
        let (webhooks, delivery) = crate::deliver::config::build_in(
            self.webhooks,
            self.delivery,
            env,
            source.as_deref().and_then(std::path::Path::parent),
            &mut problems,
        );
        let correlation = crate::correlate::settings::build(self.correlation, &mut problems);
        let network = crate::fetch::network::build(self.network, &mut problems);
        // A webhook's receiver is held to the same network policy as a feed: refused here when
        // its URL is a literal address it may not reach (names are checked when resolved).
        for hook in &webhooks {
            let here = crate::fetch::names_this_machine(&hook.url);
            // An smtp:// URL's IPv4 host is opaque to the URL parser: the channel checks its own.
            let checked = match &hook.email {
                Some(email) => email.check_literal(&network),
                None => network.check_url(&hook.url, here),
            };
            if let Err(refused) = checked {
                let line = webhook_lines
                    .iter()
                    .find(|(name, _)| *name == hook.name)
                    .map_or(1, |(_, line)| *line);
                problems.at_line(line, format!("webhook {:?}: url: {refused}", hook.name));
            }
        }
        let delivery = DeliveryPolicy {
            network: network.clone(),
            ..delivery
        };
        if problems.count() > 0 {
            return Err(ConfigError::Invalid {
                problems: problems.into_list(),
            });
        }
        Ok(Config {
            source,
            schedule,
            timezone,
            webhooks,
            delivery,
            correlation,
            network,
        })
    }
}

/// The process's environment, where `url_env` and `secret_env` look.
fn process_env(var: &str) -> Option<String> {
    std::env::var(var).ok()
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
    use crate::deliver::format::Format;
    use crate::model::ServiceState;
    use std::time::Duration;

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
        for format in [
            Format::Teams,
            Format::GoogleChat,
            Format::Ntfy,
            Format::Template,
        ] {
            assert!(
                config.webhooks.iter().any(|w| w.format == format),
                "{format}"
            );
        }
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
        assert_eq!(
            config.schedule.as_ref().map(CronSchedule::source),
            Some("*/2 * * * *")
        );
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

    #[test]
    fn a_bad_schedule_is_refused_at_load_naming_the_line_and_the_syntax() {
        let err = problems("# daemon\nschedule = \"every 5 min\"\n");
        assert!(
            err.starts_with("test.toml: line 2: schedule \"every 5 min\": expected 5 fields"),
            "{err}"
        );
        assert!(err.contains(schedule::SYNTAX), "{err}");
        let err = problems("schedule = \"61 * * * *\"\n");
        assert!(
            err.starts_with("test.toml: line 1: schedule \"61 * * * *\": field 1 (minute)"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_timezone_is_refused_at_load_naming_the_line() {
        let err = problems("schedule = \"*/5 * * * *\"\ntimezone = \"Mars/Olympus\"\n");
        assert_eq!(
            err,
            "test.toml: line 2: timezone: unknown timezone \"Mars/Olympus\": use an IANA name such as \"Europe/London\" or \"UTC\""
        );
        let config = Config::from_toml(
            "schedule = \"0 9 * * *\"\ntimezone = \"Europe/Paris\"\n",
            "x",
        )
        .unwrap();
        assert_eq!(config.timezone, Some(chrono_tz::Europe::Paris));
        assert!(config
            .schedule
            .unwrap()
            .understood()
            .contains("Europe/Paris"));
    }
}
