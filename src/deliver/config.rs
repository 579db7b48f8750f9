//! The deliver stage's own settings: the `[[webhooks]]` tables and the `[delivery]` table of
//! the configuration file, as written (serde `Raw*` structs denying unknown keys) and validated
//! into [`Webhook`]s and a [`DeliveryPolicy`].
//!
//! Deliver owns these settings so configuration flows one way: `config.rs` reads the file and
//! hands these tables here; nothing in `deliver/` knows the whole `Config`. Every problem is
//! reported into the file's [`Problems`] with the line it is on, and a value that may be a secret
//! (a URL with a token, a signing key) is never echoed.

use super::filter::{parse_kind, Filter, Transition, ALL_KINDS};
use super::format::{Format, FormatOptions, RoutingKey, UserTemplate};
use super::mail::{CaFile, Email, Password, Security};
use super::sign::Secret;
use super::{DeliveryPolicy, Webhook};
use crate::duration::parse_duration;
use crate::model::ServiceState;
use crate::problems::Problems;
use serde::Deserialize;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;
use toml::Spanned;

/// One `[[webhooks]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhook {
    /// Unique; letters, digits, `-`, `_`, `.`.
    pub name: Spanned<String>,
    /// http or https (smtp or smtps for `format = "email"`); this or `url_env` is required
    /// (but for pagerduty).
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
    /// Event kinds (default: all but `component_change`).
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
    /// `pagerduty`: refused when written here (a routing key pages people: keep it out of
    /// files); the message says to use `routing_key_env`.
    pub routing_key: Option<Spanned<String>>,
    /// `pagerduty`: the environment variable holding the integration's routing key.
    pub routing_key_env: Option<Spanned<String>>,
    /// `ntfy`: the topic (default: the URL's last path segment).
    pub topic: Option<Spanned<String>>,
    /// `template`: the template's text (minijinja).
    pub template: Option<Spanned<String>>,
    /// `template`: a file holding the template, relative to the configuration file.
    pub template_file: Option<Spanned<String>>,
    /// `template`: the body's `Content-Type` (default `application/json`).
    pub content_type: Option<Spanned<String>>,
    /// Email only: the sender, `alerts@example.com` or `statuswatch <alerts@example.com>`.
    pub from: Option<Spanned<String>>,
    /// Email only: the recipients.
    pub to: Option<Spanned<Vec<String>>>,
    /// Email only, `smtp://`: require STARTTLS (default true); false for a trusted relay.
    pub starttls: Option<Spanned<bool>>,
    /// Email only: the SMTP AUTH user; needs `password` or `password_env`.
    pub username: Option<Spanned<String>>,
    /// Email only: the SMTP AUTH password (prefer `password_env`).
    pub password: Option<Spanned<String>>,
    /// Email only: the name of an environment variable holding the password.
    pub password_env: Option<Spanned<String>>,
    /// Email only: a PEM file of CA certificates to trust besides the usual roots (a relay
    /// with a private CA).
    pub tls_ca_file: Option<Spanned<String>>,
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

/// Validates the `[[webhooks]]` and `[delivery]` tables; `env` looks up the variables
/// `url_env` and `secret_env` name. Problems go to `problems`; a webhook with any is left out
/// of the list (the caller refuses the whole file when there are problems).
pub fn build(
    webhooks: Vec<RawWebhook>,
    delivery: RawDelivery,
    env: &dyn Fn(&str) -> Option<String>,
    problems: &mut Problems<'_>,
) -> (Vec<Webhook>, DeliveryPolicy) {
    build_in(webhooks, delivery, env, None, problems)
}

/// [`build`], with `template_file` paths read relative to `base` (the configuration file's
/// folder; `None`: the working directory).
pub fn build_in(
    webhooks: Vec<RawWebhook>,
    delivery: RawDelivery,
    env: &dyn Fn(&str) -> Option<String>,
    base: Option<&std::path::Path>,
    problems: &mut Problems<'_>,
) -> (Vec<Webhook>, DeliveryPolicy) {
    let delivery = build_delivery(delivery, problems);
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut built = Vec::new();
    for raw in webhooks {
        let name_span = raw.name.span();
        let name = raw.name.get_ref().trim().to_string();
        let line = problems.line(name_span.start);
        if let Some(first) = seen.get(&name) {
            problems.at(
                name_span.clone(),
                format!(
                    "webhook name {name:?} is already used on line {first}: names must be unique"
                ),
            );
        } else {
            seen.insert(name.clone(), line);
        }
        if let Some(webhook) = build_webhook(raw, &name, env, base, problems) {
            built.push(webhook);
        }
    }
    (built, delivery)
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

/// A PagerDuty webhook gets what can be an alert: by default `state_change` and
/// `correlated_outage` (`component_change` when asked for); feed health and `network_down` are
/// about our sources, not a vendor, and are refused in `kinds`. Every recovery passes, so an
/// alert is always resolved.
fn pagerduty_filter(
    filter: &mut Filter,
    kinds_span: Option<Range<usize>>,
    name: &str,
    problems: &mut Problems<'_>,
) {
    use crate::model::EventKind;
    let alerts = [
        EventKind::StateChange,
        EventKind::ComponentChange,
        EventKind::CorrelatedOutage,
    ];
    match kinds_span {
        None => filter.kinds = vec![EventKind::StateChange, EventKind::CorrelatedOutage],
        Some(span) => {
            let refused: Vec<&str> = filter
                .kinds
                .iter()
                .filter(|k| !alerts.contains(k))
                .map(|k| k.as_str())
                .collect();
            if !refused.is_empty() {
                problems.at(
                    span,
                    format!(
                        "webhook {name:?}: format pagerduty sends alerts about vendors; {} cannot be one (use state_change, component_change, correlated_outage; send feed health to another webhook)",
                        refused.join(", ")
                    ),
                );
            }
        }
    }
    filter.every_recovery = true;
}

/// Says that `key` was given to a format that does not read it.
fn only_for(
    value: Option<Range<usize>>,
    key: &str,
    wanted: Format,
    format: Format,
    name: &str,
    problems: &mut Problems<'_>,
) {
    if let Some(span) = value {
        if format != wanted {
            problems.at(
                span,
                format!("webhook {name:?}: {key} is only read by format {wanted}, not {format}"),
            );
        }
    }
}

/// The options the webhook's format needs (and the URL an `ntfy` topic leaves): PagerDuty's
/// routing key, ntfy's topic, the user's template; each key refused on other formats.
fn channel_options(
    raw: &mut RawWebhook,
    name: &str,
    format: Format,
    mut url: Option<url::Url>,
    env: &dyn Fn(&str) -> Option<String>,
    base: Option<&std::path::Path>,
    problems: &mut Problems<'_>,
) -> (FormatOptions, Option<url::Url>) {
    let mut options = FormatOptions::default();
    let span = |v: &Option<Spanned<String>>| v.as_ref().map(|v| v.span());
    for (value, key, wanted) in [
        (
            span(&raw.routing_key_env),
            "routing_key_env",
            Format::PagerDuty,
        ),
        (span(&raw.topic), "topic", Format::Ntfy),
        (span(&raw.template), "template", Format::Template),
        (span(&raw.template_file), "template_file", Format::Template),
        (span(&raw.content_type), "content_type", Format::Template),
    ] {
        only_for(value, key, wanted, format, name, problems);
    }
    if let Some(written) = &raw.routing_key {
        problems.at(
            written.span(),
            format!("webhook {name:?}: a routing key pages people: keep it out of the file and name the environment variable holding it, routing_key_env = \"VARIABLE\""),
        );
    }
    match format {
        Format::PagerDuty => {
            if raw.routing_key_env.is_none() && raw.routing_key.is_none() {
                problems.at(
                    raw.name.span(),
                    format!("webhook {name:?}: format pagerduty needs the integration's routing key: add routing_key_env = \"VARIABLE\" naming the environment variable holding it"),
                );
            }
            let key = setting(
                None,
                raw.routing_key_env.take(),
                "routing_key",
                name,
                env,
                problems,
            );
            options.routing_key = key.map(|k| RoutingKey::new(&k.value));
        }
        Format::Ntfy => match raw.topic.take() {
            Some(topic) => {
                let text = topic.get_ref().trim().to_string();
                if text.is_empty() || text.contains('/') {
                    problems.at(
                        topic.span(),
                        format!("webhook {name:?}: topic must be one word (ntfy's topic name), not {text:?}"),
                    );
                }
                options.topic = Some(text);
            }
            None => {
                // `https://ntfy.sh/alerts`: the topic is the last segment, and JSON is posted to
                // the server's root (the path before it).
                if let Some(u) = url.as_mut() {
                    let path = u.path().trim_end_matches('/').to_string();
                    match path.rsplit_once('/') {
                        Some((parent, topic)) if !topic.is_empty() => {
                            options.topic = Some(topic.to_string());
                            u.set_path(&format!("{parent}/"));
                        }
                        _ => problems.at(
                            raw.name.span(),
                            format!("webhook {name:?}: format ntfy needs a topic: write it as the URL's path (https://ntfy.sh/TOPIC) or add topic = \"TOPIC\""),
                        ),
                    }
                }
            }
        },
        Format::Template => {
            options.template = user_template(raw, name, base, problems).map(std::sync::Arc::new);
            if let Some(ct) = raw.content_type.take() {
                let text = ct.get_ref().trim().to_string();
                let valid =
                    text.contains('/') && reqwest::header::HeaderValue::from_str(&text).is_ok();
                if valid {
                    options.content_type = Some(text);
                } else {
                    problems.at(
                        ct.span(),
                        format!("webhook {name:?}: content_type {text:?} is not a media type (for example \"application/json\" or \"text/plain; charset=utf-8\")"),
                    );
                }
            }
        }
        _ => {}
    }
    (options, url)
}

/// Compiles the webhook's `template` or `template_file` (exactly one is needed); a syntax
/// error names the file's line (an inline template's line counted from its key's line).
fn user_template(
    raw: &mut RawWebhook,
    name: &str,
    base: Option<&std::path::Path>,
    problems: &mut Problems<'_>,
) -> Option<UserTemplate> {
    match (raw.template.take(), raw.template_file.take()) {
        (None, None) => {
            problems.at(
                raw.name.span(),
                format!("webhook {name:?}: format template needs template = \"...\" or template_file = \"PATH\""),
            );
            None
        }
        (Some(_), Some(file)) => {
            problems.at(
                file.span(),
                format!("webhook {name:?}: give template or template_file, not both"),
            );
            None
        }
        (Some(text), None) => {
            let span = text.span();
            let e = match UserTemplate::compile(
                text.get_ref(),
                &format!("webhook {name:?}'s template"),
            ) {
                Ok(t) => return Some(t),
                Err(e) => e,
            };
            // The template's line N is on the file's line of the key + N - 1, + 1 when a
            // multi-line string starts with a line break (which TOML drops).
            let key_line = problems.line(span.start);
            let opening = problems.text_at(span);
            let skipped =
                usize::from(opening.starts_with("\"\"\"\n") || opening.starts_with("'''\n"));
            let line = e.line.map_or(key_line, |n| key_line + n - 1 + skipped);
            let within = e.line.map(|n| format!(" line {n}")).unwrap_or_default();
            problems.at_line(
                line,
                format!("webhook {name:?}: template{within}: {}", e.message),
            );
            None
        }
        (None, Some(file)) => {
            let given = file.get_ref().trim().to_string();
            let path = match base {
                Some(dir) if std::path::Path::new(&given).is_relative() => dir.join(&given),
                _ => std::path::PathBuf::from(&given),
            };
            let origin = format!("template_file {:?}", path.display().to_string());
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    match UserTemplate::compile(&text, &format!("webhook {name:?}'s {origin}")) {
                        Ok(t) => Some(t),
                        Err(e) => {
                            let at = e.line.map(|n| format!(" line {n}")).unwrap_or_default();
                            problems.at(
                                file.span(),
                                format!("webhook {name:?}: {origin}{at}: {}", e.message),
                            );
                            None
                        }
                    }
                }
                Err(e) => {
                    problems.at(
                        file.span(),
                        format!("webhook {name:?}: cannot read {origin}: {e}"),
                    );
                    None
                }
            }
        }
    }
}

fn build_webhook(
    mut raw: RawWebhook,
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
    base: Option<&std::path::Path>,
    problems: &mut Problems<'_>,
) -> Option<Webhook> {
    let before = problems.count();
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
    // An email channel is not an HTTP format: its url is smtp(s)://, its keys its own.
    let is_email = raw
        .format
        .as_ref()
        .is_some_and(|f| f.get_ref().trim().eq_ignore_ascii_case("email"));
    let format = match &raw.format {
        _ if is_email => Format::Json,
        None => Format::Json,
        Some(f) => f.get_ref().parse().unwrap_or_else(|e| {
            problems.at(f.span(), format!("webhook {name:?}: {e}"));
            Format::Json
        }),
    };
    let url_given = raw.url.is_some() || raw.url_env.is_some();
    let url = setting(
        raw.url.take(),
        raw.url_env.take(),
        "url",
        name,
        env,
        problems,
    );
    if !url_given && format != Format::PagerDuty {
        let example = if is_email {
            "smtp://HOST"
        } else {
            "https://..."
        };
        problems.at(
            raw.name.span(),
            format!(
                "webhook {name:?} has no url: add url = \"{example}\" or url_env = \"VARIABLE\""
            ),
        );
    }
    let email_keys = EmailKeys {
        from: raw.from.take(),
        to: raw.to.take(),
        starttls: raw.starttls.take(),
        username: raw.username.take(),
        password: raw.password.take(),
        password_env: raw.password_env.take(),
        tls_ca_file: raw.tls_ca_file.take(),
    };
    let (url, options, email) = if is_email {
        refuse_http_keys_on_email(&raw, name, problems);
        let built = url.and_then(|url| {
            build_email(url, email_keys, raw.name.span(), name, env, base, problems)
        });
        match built {
            Some((url, email)) => (Some(url), FormatOptions::default(), Some(Arc::new(email))),
            None => (None, FormatOptions::default(), None),
        }
    } else {
        email_keys.refuse_outside_email(name, problems);
        let url = match url {
            Some(url) => webhook_url(url, name, problems),
            // PagerDuty's own endpoint, only when no URL is given.
            None if !url_given && format == Format::PagerDuty => {
                url::Url::parse(super::format::PAGERDUTY_ENQUEUE_URL).ok()
            }
            None => None,
        };
        let (options, url) = channel_options(&mut raw, name, format, url, env, base, problems);
        (url, options, None)
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
    let kinds_span = raw.kinds.as_ref().map(|k| k.span());
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
    if format == Format::PagerDuty {
        pagerduty_filter(&mut filter, kinds_span, name, problems);
    }
    if problems.count() > before {
        return None;
    }
    Some(Webhook {
        name: name.to_string(),
        url: url?,
        format,
        options,
        secret,
        filter,
        email,
    })
}

/// The keys only an email channel reads, as written.
struct EmailKeys {
    from: Option<Spanned<String>>,
    to: Option<Spanned<Vec<String>>>,
    starttls: Option<Spanned<bool>>,
    username: Option<Spanned<String>>,
    password: Option<Spanned<String>>,
    password_env: Option<Spanned<String>>,
    tls_ca_file: Option<Spanned<String>>,
}

impl EmailKeys {
    /// Names each email key given to a webhook that is not `format = "email"`.
    fn refuse_outside_email(&self, name: &str, problems: &mut Problems<'_>) {
        let spans = [
            ("from", self.from.as_ref().map(Spanned::span)),
            ("to", self.to.as_ref().map(Spanned::span)),
            ("starttls", self.starttls.as_ref().map(Spanned::span)),
            ("username", self.username.as_ref().map(Spanned::span)),
            ("password", self.password.as_ref().map(Spanned::span)),
            (
                "password_env",
                self.password_env.as_ref().map(Spanned::span),
            ),
        ];
        for (key, span) in spans {
            if let Some(span) = span {
                problems.at(
                    span,
                    format!("webhook {name:?}: {key} is for format = \"email\" only"),
                );
            }
        }
    }
}

/// Names each key of an HTTP channel given to an email one (a mail is not signed, and the
/// other formats' keys mean nothing to it).
fn refuse_http_keys_on_email(raw: &RawWebhook, name: &str, problems: &mut Problems<'_>) {
    let span = |v: &Option<Spanned<String>>| v.as_ref().map(|v| v.span());
    for (span, key) in [
        (span(&raw.secret), "secret"),
        (span(&raw.secret_env), "secret_env"),
        (span(&raw.routing_key), "routing_key"),
        (span(&raw.routing_key_env), "routing_key_env"),
        (span(&raw.topic), "topic"),
        (span(&raw.template), "template"),
        (span(&raw.template_file), "template_file"),
        (span(&raw.content_type), "content_type"),
    ] {
        if let Some(span) = span {
            let why = if key.starts_with("secret") {
                "an email is not signed"
            } else {
                "it is not read by format email"
            };
            problems.at(span, format!("webhook {name:?}: leave {key} out: {why}"));
        }
    }
}

/// Whether a password may travel unencrypted to `host`: only on this machine. (In an
/// `smtp://` URL, which is not a special scheme, an IPv4 address reads as a domain.)
fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => {
            d.eq_ignore_ascii_case("localhost")
                || d.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Reads one address (`ops@example.com` or `Ops <ops@example.com>`).
fn mailbox(
    text: &str,
    key: &str,
    span: Range<usize>,
    name: &str,
    problems: &mut Problems<'_>,
) -> Option<lettre::message::Mailbox> {
    text.trim()
        .parse()
        .map_err(|e| {
            problems.at(
                span,
                format!(
                    "webhook {name:?}: {key} {:?} is not an email address ({e})",
                    text.trim()
                ),
            )
        })
        .ok()
}

/// Validates an email channel: `url` (smtp:// or smtps://, host and port only), `from`, `to`,
/// `starttls`, and `username` with its password. The URL is never echoed (it is a setting
/// like any webhook's); the password never is.
fn build_email(
    url: Setting,
    keys: EmailKeys,
    name_span: Range<usize>,
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
    base: Option<&std::path::Path>,
    problems: &mut Problems<'_>,
) -> Option<(url::Url, Email)> {
    let before = problems.count();
    let called = url.called("url");
    let parsed = match url::Url::parse(url.value.trim()) {
        Ok(parsed) => parsed,
        Err(e) => {
            problems.at(url.span, format!("webhook {name:?}: {called} is not a valid URL ({e}); an email channel needs smtp://HOST[:PORT] or smtps://HOST[:PORT]"));
            return None;
        }
    };
    let implicit_tls = match parsed.scheme() {
        "smtps" => true,
        "smtp" => false,
        other => {
            problems.at(url.span, format!("webhook {name:?}: {called} must be smtp://HOST[:PORT] or smtps://HOST[:PORT] for format = \"email\", not {other:?}"));
            return None;
        }
    };
    let Some(host) = parsed.host() else {
        problems.at(url.span, format!("webhook {name:?}: {called} has no host"));
        return None;
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        problems.at(url.span.clone(), format!("webhook {name:?}: {called} carries a user or password: write username = \"...\" and password_env = \"VARIABLE\" instead"));
    }
    if !matches!(parsed.path(), "" | "/") || parsed.query().is_some() || parsed.fragment().is_some()
    {
        problems.at(url.span.clone(), format!("webhook {name:?}: {called} has a path or query: an SMTP server is smtp://HOST[:PORT]"));
    }
    let security = match (implicit_tls, &keys.starttls) {
        (true, Some(starttls)) => {
            problems.at(starttls.span(), format!("webhook {name:?}: smtps:// is TLS from the start: leave starttls out (or use smtp:// with starttls)"));
            Security::Tls
        }
        (true, None) => Security::Tls,
        (false, Some(starttls)) if !*starttls.get_ref() => Security::Plain,
        (false, _) => Security::StartTls,
    };
    let port = parsed
        .port()
        .unwrap_or(if implicit_tls { 465 } else { 587 });

    let from = match &keys.from {
        Some(from) => mailbox(from.get_ref(), "from", from.span(), name, problems),
        None => {
            problems.at(name_span.clone(), format!("webhook {name:?} (format = \"email\") has no from: add from = \"statuswatch <alerts@example.com>\""));
            None
        }
    };
    let mut to = Vec::new();
    match keys.to {
        Some(list) if !list.get_ref().is_empty() => {
            let span = list.span();
            for address in list.into_inner() {
                if let Some(m) = mailbox(&address, "to", span.clone(), name, problems) {
                    to.push(m);
                }
            }
        }
        Some(list) => problems.at(
            list.span(),
            format!(
                "webhook {name:?}: to is empty: list who gets the mail, to = [\"ops@example.com\"]"
            ),
        ),
        None => problems.at(
            name_span.clone(),
            format!(
                "webhook {name:?} (format = \"email\") has no to: add to = [\"ops@example.com\"]"
            ),
        ),
    }

    let password_span = keys
        .password
        .as_ref()
        .or(keys.password_env.as_ref())
        .map(Spanned::span);
    let password = setting(
        keys.password,
        keys.password_env,
        "password",
        name,
        env,
        problems,
    );
    let login = match (keys.username, password) {
        (None, None) => None,
        (Some(user), Some(password)) => Some((
            user.into_inner().trim().to_string(),
            Password::new(password.value),
        )),
        (Some(user), None) => {
            if password_span.is_none() {
                problems.at(user.span(), format!("webhook {name:?}: username needs a password: add password_env = \"VARIABLE\""));
            }
            None
        }
        (None, Some(password)) => {
            problems.at(
                password.span,
                format!("webhook {name:?}: a password needs username = \"...\""),
            );
            None
        }
    };
    if login.is_some() && security == Security::Plain && !is_loopback(&host) {
        if let Some(span) = password_span {
            problems.at(span, format!("webhook {name:?}: the password would cross the network unencrypted: use smtps://, or leave starttls on (starttls = false with a password is only for localhost)"));
        }
    }
    let ca = keys
        .tls_ca_file
        .and_then(|file| ca_file(file, security, name, base, problems));
    if problems.count() > before {
        return None;
    }
    let email = Email {
        host: host.to_string(),
        port,
        security,
        from: from?,
        to,
        login,
        ca,
    };
    Some((parsed, email))
}

/// Reads `tls_ca_file` (relative to the configuration file, like `template_file`) and checks
/// that it holds PEM certificates, so a wrong path fails at start, not at the first outage.
fn ca_file(
    file: Spanned<String>,
    security: Security,
    name: &str,
    base: Option<&std::path::Path>,
    problems: &mut Problems<'_>,
) -> Option<CaFile> {
    let span = file.span();
    let given = std::path::PathBuf::from(file.into_inner().trim());
    let path = match base {
        Some(dir) if given.is_relative() => dir.join(&given),
        _ => given,
    };
    if security == Security::Plain {
        problems.at(span, format!("webhook {name:?}: tls_ca_file is for TLS, but starttls = false: leave one of them out"));
        return None;
    }
    let problem = match std::fs::read(&path) {
        Ok(pem) => match CaFile::new(path.clone(), pem) {
            Ok(ca) => return Some(ca),
            Err(e) => format!(
                "webhook {name:?}: tls_ca_file {} holds no PEM certificate ({e})",
                path.display()
            ),
        },
        Err(e) => format!(
            "webhook {name:?}: cannot read tls_ca_file {}: {e}",
            path.display()
        ),
    };
    problems.at(span, problem);
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tables this module reads, as `config.rs` hands them over.
    #[derive(Deserialize)]
    struct Tables {
        #[serde(default)]
        webhooks: Vec<RawWebhook>,
        #[serde(default)]
        delivery: RawDelivery,
    }

    /// Builds `text` with an environment of exactly `vars`.
    fn with_env(text: &str, vars: &[(&str, &str)]) -> Result<Vec<Webhook>, String> {
        let env = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        let tables: Tables = toml::from_str(text).unwrap();
        let mut problems = Problems::new("test.toml", text);
        let (webhooks, _) = build(tables.webhooks, tables.delivery, &env, &mut problems);
        match problems.count() {
            0 => Ok(webhooks),
            _ => Err(problems.into_list().join("\n")),
        }
    }

    fn problems(text: &str) -> String {
        with_env(text, &[]).unwrap_err()
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
format = "matrix"

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
            lines[0].contains("line 4") && lines[0].contains("unknown format \"matrix\""),
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
    }

    const FROM_ENV: &str =
        "[[webhooks]]\nname = \"ops\"\nurl_env = \"OPS_URL\"\nsecret_env = \"OPS_SECRET\"\n";

    #[test]
    fn url_and_secret_can_come_from_the_environment() {
        let webhooks = with_env(
            FROM_ENV,
            &[
                ("OPS_URL", "https://hooks.slack.com/services/T0/B0/tok"),
                ("OPS_SECRET", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"),
            ],
        )
        .unwrap();
        let hook = &webhooks[0];
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
    fn pagerduty_reads_its_routing_key_from_the_environment_and_defaults_its_url() {
        let text = "[[webhooks]]\nname = \"pd\"\nformat = \"pagerduty\"\nrouting_key_env = \"PD_KEY\"\nmin_status = \"outage\"\n";
        let hooks = with_env(text, &[("PD_KEY", "R0UT1NGKEY")]).unwrap();
        let hook = &hooks[0];
        assert_eq!(
            hook.url.as_str(),
            super::super::format::PAGERDUTY_ENQUEUE_URL
        );
        assert_eq!(
            hook.options.routing_key,
            Some(RoutingKey::new("R0UT1NGKEY"))
        );
        assert!(!format!("{hook:?}").contains("R0UT1NGKEY"), "{hook:?}");
        use crate::model::EventKind;
        assert_eq!(
            hook.filter.kinds,
            [EventKind::StateChange, EventKind::CorrelatedOutage]
        );
        assert!(hook.filter.every_recovery);
        // A given URL is kept (tests and proxies).
        let text2 = format!("{text}url = \"http://127.0.0.1:9/enqueue\"\n");
        let hooks = with_env(&text2, &[("PD_KEY", "k")]).unwrap();
        assert_eq!(hooks[0].url.as_str(), "http://127.0.0.1:9/enqueue");
    }

    #[test]
    fn pagerduty_refuses_a_written_key_a_missing_key_and_feed_health_kinds() {
        let err = problems("[[webhooks]]\nname = \"pd\"\nformat = \"pagerduty\"\nrouting_key = \"R0UT1NGKEY\"\nkinds = [\"state_change\", \"feed_failing\"]\n");
        assert!(
            err.contains(
                "line 4: webhook \"pd\": a routing key pages people: keep it out of the file"
            ),
            "{err}"
        );
        assert!(!err.contains("R0UT1NGKEY"), "{err}");
        assert!(err.contains("line 5: webhook \"pd\": format pagerduty sends alerts about vendors; feed_failing cannot be one"), "{err}");
        let err = problems("[[webhooks]]\nname = \"pd\"\nformat = \"pagerduty\"\n");
        assert!(err.contains("line 2: webhook \"pd\": format pagerduty needs the integration's routing key: add routing_key_env"), "{err}");
        let err = problems(
            "[[webhooks]]\nname = \"pd\"\nformat = \"pagerduty\"\nrouting_key_env = \"PD_UNSET\"\n",
        );
        assert!(
            err.contains(
                "line 4: webhook \"pd\": routing_key_env names PD_UNSET, which is not set"
            ),
            "{err}"
        );
    }

    #[test]
    fn ntfy_takes_its_topic_from_the_url_or_a_key() {
        let hooks = with_env("[[webhooks]]\nname = \"n\"\nformat = \"ntfy\"\nurl = \"https://ntfy.example/alerts\"\n", &[]).unwrap();
        assert_eq!(hooks[0].options.topic.as_deref(), Some("alerts"));
        assert_eq!(hooks[0].url.as_str(), "https://ntfy.example/");
        let hooks = with_env("[[webhooks]]\nname = \"n\"\nformat = \"ntfy\"\nurl = \"https://ntfy.example/\"\ntopic = \"ops\"\n", &[]).unwrap();
        assert_eq!(hooks[0].options.topic.as_deref(), Some("ops"));
        let err = problems(
            "[[webhooks]]\nname = \"n\"\nformat = \"ntfy\"\nurl = \"https://ntfy.example/\"\n",
        );
        assert!(
            err.contains("line 2: webhook \"n\": format ntfy needs a topic"),
            "{err}"
        );
        let err = problems("[[webhooks]]\nname = \"s\"\nformat = \"slack\"\nurl = \"https://a.example/\"\ntopic = \"ops\"\n");
        assert!(
            err.contains("line 5: webhook \"s\": topic is only read by format ntfy, not slack"),
            "{err}"
        );
    }

    #[test]
    fn a_template_syntax_error_names_the_webhook_and_the_files_line() {
        let err = problems("[[webhooks]]\nname = \"t\"\nformat = \"template\"\nurl = \"https://a.example/\"\ntemplate = \"\"\"\n{\"a\": 1,\n \"b\": {{ oops( }}\n}\"\"\"\n");
        assert!(
            err.starts_with("test.toml: line 7: webhook \"t\": template line 2: syntax error"),
            "{err}"
        );
        let err = problems(
            "[[webhooks]]\nname = \"t\"\nformat = \"template\"\nurl = \"https://a.example/\"\n",
        );
        assert!(
            err.contains("line 2: webhook \"t\": format template needs template = "),
            "{err}"
        );
        let err = problems("[[webhooks]]\nname = \"t\"\nformat = \"template\"\nurl = \"https://a.example/\"\ntemplate_file = \"/nonexistent/t.j2\"\ncontent_type = \"json\"\n");
        assert!(
            err.contains("line 5: webhook \"t\": cannot read template_file \"/nonexistent/t.j2\""),
            "{err}"
        );
        assert!(
            err.contains("line 6: webhook \"t\": content_type \"json\" is not a media type"),
            "{err}"
        );
    }

    #[test]
    fn a_template_file_is_read_relative_to_the_configuration() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t.j2"), "{{ title }}\n{% if %}").unwrap();
        let text = "[[webhooks]]\nname = \"t\"\nformat = \"template\"\nurl = \"https://a.example/\"\ntemplate_file = \"t.j2\"\n";
        let tables: Tables = toml::from_str(text).unwrap();
        let mut problems = Problems::new("test.toml", text);
        let _ = build_in(
            tables.webhooks,
            tables.delivery,
            &|_| None,
            Some(dir.path()),
            &mut problems,
        );
        let err = problems.into_list().join("\n");
        assert!(
            err.contains("line 5: webhook \"t\": template_file ")
                && err.contains("t.j2\" line 2: syntax error"),
            "{err}"
        );
    }

    const MAIL: &str = "[[webhooks]]\nname = \"mail\"\nformat = \"email\"\n";

    #[test]
    fn an_email_channel_reads_its_server_addresses_and_login() {
        let text = format!("{MAIL}url = \"smtp://mail.example.com\"\nfrom = \"statuswatch <alerts@example.com>\"\nto = [\"ops@example.com\", \"On Call <oncall@example.com>\"]\nusername = \"alerts\"\npassword_env = \"MAIL_PW\"\n");
        let hooks = with_env(&text, &[("MAIL_PW", "pw-secret")]).unwrap();
        let email = hooks[0].email.as_deref().unwrap();
        assert_eq!((email.host.as_str(), email.port), ("mail.example.com", 587));
        assert_eq!(
            email.security,
            Security::StartTls,
            "STARTTLS unless told otherwise"
        );
        assert_eq!(email.recipients(), "ops@example.com, oncall@example.com");
        assert_eq!(hooks[0].format_name(), "email");
        assert!(!format!("{:?}", hooks[0]).contains("pw-secret"));
        let tls = with_env(&format!("{MAIL}url = \"smtps://mail.example.com\"\nfrom = \"a@example.com\"\nto = [\"b@example.com\"]\n"), &[]).unwrap();
        let email = tls[0].email.as_deref().unwrap();
        assert_eq!((email.port, email.security), (465, Security::Tls));
    }

    #[test]
    fn email_mistakes_are_named_with_their_line_and_never_echo_the_password() {
        let err = problems(&format!("{MAIL}url = \"https://mail.example.com\"\n"));
        assert!(err.contains("line 4: webhook \"mail\": url must be smtp://HOST[:PORT] or smtps://HOST[:PORT] for format = \"email\", not \"https\""), "{err}");
        let err = problems(&format!("{MAIL}url = \"smtp://mail.example.com\"\n"));
        assert!(
            err.contains("line 2: webhook \"mail\" (format = \"email\") has no from"),
            "{err}"
        );
        assert!(
            err.contains("line 2: webhook \"mail\" (format = \"email\") has no to"),
            "{err}"
        );
        let err = problems(&format!("{MAIL}url = \"smtp://u:hunter2@mail.example.com/x\"\nfrom = \"not an address\"\nto = []\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n"));
        assert!(
            err.contains("line 4: webhook \"mail\": url carries a user or password"),
            "{err}"
        );
        assert!(
            err.contains("line 4: webhook \"mail\": url has a path or query"),
            "{err}"
        );
        assert!(
            err.contains(
                "line 5: webhook \"mail\": from \"not an address\" is not an email address"
            ),
            "{err}"
        );
        assert!(
            err.contains("line 6: webhook \"mail\": to is empty"),
            "{err}"
        );
        assert!(
            err.contains("line 7: webhook \"mail\": leave secret out: an email is not signed"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
        let base = format!("{MAIL}from = \"a@example.com\"\nto = [\"b@example.com\"]\n");
        let err = problems(&format!(
            "{base}url = \"smtps://mail.example.com\"\nstarttls = true\n"
        ));
        assert!(
            err.contains("line 7: webhook \"mail\": smtps:// is TLS from the start"),
            "{err}"
        );
        let err = problems(&format!(
            "{base}url = \"smtp://mail.example.com\"\nusername = \"u\"\n"
        ));
        assert!(
            err.contains("line 7: webhook \"mail\": username needs a password"),
            "{err}"
        );
        let err = problems(&format!(
            "{base}url = \"smtp://mail.example.com\"\npassword = \"pw-secret\"\n"
        ));
        assert!(
            err.contains("line 7: webhook \"mail\": a password needs username"),
            "{err}"
        );
        let err = with_env(&format!("{base}url = \"smtp://mail.example.com\"\nstarttls = false\nusername = \"u\"\npassword_env = \"PW\"\n"), &[("PW", "pw-secret")]).unwrap_err();
        assert!(
            err.contains(
                "line 9: webhook \"mail\": the password would cross the network unencrypted"
            ),
            "{err}"
        );
        assert!(!err.contains("pw-secret"), "{err}");
        // Plain with a password is fine on this machine.
        for host in ["127.0.0.1:2525", "localhost"] {
            let ok = with_env(&format!("{base}url = \"smtp://{host}\"\nstarttls = false\nusername = \"u\"\npassword_env = \"PW\"\n"), &[("PW", "pw")]);
            assert!(ok.is_ok(), "{host}: {ok:?}");
        }
    }

    #[test]
    fn email_keys_on_an_http_webhook_are_refused() {
        let err = problems("[[webhooks]]\nname = \"a\"\nurl = \"https://a.example\"\nto = [\"ops@example.com\"]\nstarttls = false\n");
        assert!(
            err.contains("line 4: webhook \"a\": to is for format = \"email\" only"),
            "{err}"
        );
        assert!(
            err.contains("line 5: webhook \"a\": starttls is for format = \"email\" only"),
            "{err}"
        );
        let err = problems("[[webhooks]]\nname = \"a\"\nurl = \"smtp://mail.example.com\"\n");
        assert!(
            err.contains("line 3: webhook \"a\": url must be http or https, not \"smtp\""),
            "{err}"
        );
    }

    #[test]
    fn a_tls_ca_file_must_be_readable_pem_and_needs_tls() {
        let dir = tempfile::tempdir().unwrap();
        let not_pem = dir.path().join("ca.txt");
        std::fs::write(&not_pem, "hello").unwrap();
        let missing = dir.path().join("missing.pem");
        let base = format!("{MAIL}from = \"a@example.com\"\nto = [\"b@example.com\"]\n");
        let err = problems(&format!(
            "{base}url = \"smtp://mail.example.com\"\ntls_ca_file = {:?}\n",
            missing.display().to_string()
        ));
        assert!(
            err.contains(&format!(
                "line 7: webhook \"mail\": cannot read tls_ca_file {}",
                missing.display()
            )),
            "{err}"
        );
        let err = problems(&format!(
            "{base}url = \"smtp://mail.example.com\"\ntls_ca_file = {:?}\n",
            not_pem.display().to_string()
        ));
        assert!(
            err.contains(&format!(
                "line 7: webhook \"mail\": tls_ca_file {} holds no PEM certificate",
                not_pem.display()
            )),
            "{err}"
        );
        let err = problems(&format!(
            "{base}url = \"smtp://localhost\"\nstarttls = false\ntls_ca_file = {:?}\n",
            not_pem.display().to_string()
        ));
        assert!(
            err.contains("line 8: webhook \"mail\": tls_ca_file is for TLS, but starttls = false"),
            "{err}"
        );
    }
}
