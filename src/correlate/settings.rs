//! The `[correlation]` table: the model's knobs, with defaults documented in the README.

use crate::duration::parse_duration;
use crate::problems::Problems;
use serde::Deserialize;
use std::time::Duration;
use toml::Spanned;

/// How the correlate stage judges a burst (see the README's "Correlated outages").
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationSettings {
    /// Off: no clusters are planned (the tables stay as they are).
    pub enabled: bool,
    /// Departures this close together form a burst; a cluster's `grew` messages are at
    /// least this far apart.
    pub window: Duration,
    /// A cluster has at least this many members (vendors besides its suspected cause).
    pub min_members: usize,
    /// A burst is a cluster when chance alone would make one like it at most this often
    /// (a Poisson tail probability, per window).
    pub max_chance: f64,
    /// Departures this recent may still open a cluster (a vendor that posts late dates its
    /// incident back).
    pub horizon: Duration,
    /// The history the base rate is counted over.
    pub baseline: Duration,
    /// A vendor with no history is assumed to start one unplanned incident per this long,
    /// and that assumption weighs as much as this long of history.
    pub prior_interval: Duration,
    /// Feed categories whose vendors others run on (a degraded one is a suspected cause
    /// even where no `runs_on` names it).
    pub provider_categories: Vec<String>,
}

impl Default for CorrelationSettings {
    fn default() -> CorrelationSettings {
        CorrelationSettings {
            enabled: true,
            window: Duration::from_secs(30 * 60),
            min_members: 3,
            max_chance: 1e-4,
            horizon: Duration::from_secs(6 * 3600),
            baseline: Duration::from_secs(90 * 86_400),
            prior_interval: Duration::from_secs(14 * 86_400),
            provider_categories: ["cloud", "cdn", "dns", "hosting", "infrastructure"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// `[correlation]` as written; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCorrelation {
    pub enabled: Option<bool>,
    pub window: Option<Spanned<String>>,
    pub min_members: Option<Spanned<i64>>,
    pub max_chance: Option<Spanned<f64>>,
    pub horizon: Option<Spanned<String>>,
    pub baseline: Option<Spanned<String>>,
    pub prior_interval: Option<Spanned<String>>,
    pub provider_categories: Option<Vec<String>>,
}

/// Validates `[correlation]`; problems go to `problems` naming the line.
pub fn build(raw: RawCorrelation, problems: &mut Problems<'_>) -> CorrelationSettings {
    let mut settings = CorrelationSettings::default();
    if let Some(enabled) = raw.enabled {
        settings.enabled = enabled;
    }
    for (key, value, slot) in [
        ("window", raw.window, &mut settings.window),
        ("horizon", raw.horizon, &mut settings.horizon),
        ("baseline", raw.baseline, &mut settings.baseline),
        (
            "prior_interval",
            raw.prior_interval,
            &mut settings.prior_interval,
        ),
    ] {
        let Some(value) = value else { continue };
        match parse_duration(value.get_ref()) {
            Ok(d) if d.is_zero() => problems.at(
                value.span(),
                format!("correlation.{key} must be more than 0"),
            ),
            Ok(d) => *slot = d,
            Err(e) => problems.at(value.span(), format!("correlation.{key}: {e}")),
        }
    }
    if settings.horizon < settings.window {
        settings.horizon = settings.window;
    }
    if let Some(n) = raw.min_members {
        match usize::try_from(*n.get_ref()) {
            Ok(n @ 2..=1000) => settings.min_members = n,
            _ => problems.at(
                n.span(),
                "correlation.min_members must be between 2 and 1000 (two vendors are the least a cluster can be)",
            ),
        }
    }
    if let Some(p) = raw.max_chance {
        let value = *p.get_ref();
        if value > 0.0 && value < 1.0 {
            settings.max_chance = value;
        } else {
            problems.at(
                p.span(),
                "correlation.max_chance must be a probability between 0 and 1, such as 0.0001",
            );
        }
    }
    if let Some(categories) = raw.provider_categories {
        settings.provider_categories = categories
            .iter()
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty())
            .collect();
    }
    settings
}
