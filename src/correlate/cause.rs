//! The suspected cause of a cluster, in the order of the evidence:
//!
//! 1. the provider most members run on (their `runs_on`), when at least two do;
//! 2. with no such map, a provider vendor (a `provider_categories` category, or one some feed
//!    runs on) that is itself degraded in the cluster's window, preferring the one the
//!    members' posts name;
//! 3. a provider vendor that at least two members' posts name, though it has not posted.
//!
//! The region is the one most members list for that provider, else the one the members' and
//! the provider's texts name (`us-east-1`, `europe-west1`). The `why` says which evidence it
//! was, and whether the provider has posted yet: a cluster may open before it does.

use super::Member;
use crate::model::cluster::{SuspectedCause, VendorFacts};
use crate::model::ServiceState;
use chrono::{DateTime, Utc};
use regex::Regex;
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

/// Cloud region identifiers as providers write them (AWS `us-east-1`, GCP `europe-west1`,
/// Azure `eastus2` is not matched: a plain word is too easily something else).
static REGION: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::unwrap_used)] // a literal, checked by the unit tests
    Regex::new(
        r"(?i)\b((?:us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov)-(?:east|west|north|south|central|northeast|southeast|northwest|southwest)-\d|(?:us|europe|asia|australia|southamerica|northamerica|me|africa)-(?:east|west|north|south|central|northeast|southeast|northwest|southwest)\d+)\b",
    )
    .unwrap()
});

/// The regions a text names, lowercase, in order of appearance.
pub fn regions_named(text: &str) -> Vec<String> {
    REGION
        .find_iter(text)
        .map(|m| m.as_str().to_ascii_lowercase())
        .collect()
}

/// The words a vendor is called by in other vendors' posts: its key, its title, and the
/// title's first word when that is distinctive ("Amazon Web Services" → "amazon").
fn names(vendor: &VendorFacts) -> Vec<String> {
    let mut names = vec![vendor.vendor.to_lowercase()];
    let title = vendor.title.to_lowercase();
    let trimmed = title
        .trim_end_matches(" status")
        .trim_end_matches(" health dashboard")
        .trim()
        .to_string();
    for name in [title.clone(), trimmed] {
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    if let Some(first) = title.split_whitespace().next() {
        if first.chars().count() >= 4 && !names.iter().any(|n| n == first) {
            names.push(first.to_string());
        }
    }
    names
}

/// Whether `text` (lowercase) names `name` as a word.
pub(crate) fn mentions(text: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Whether a member's posts name this vendor.
pub fn names_vendor(text: &str, vendor: &VendorFacts) -> bool {
    names(vendor).iter().any(|n| mentions(text, n))
}

/// Whether a vendor is one others run on: by its category, or because some feed's
/// `runs_on` names it.
fn is_provider(
    vendor: &VendorFacts,
    categories: &[String],
    run_on: &std::collections::HashSet<&str>,
) -> bool {
    run_on.contains(vendor.vendor.as_str())
        || vendor
            .category
            .as_deref()
            // A category path (`Work/cloud`, from nested folders) counts by any of its folders.
            .is_some_and(|c| {
                c.split('/')
                    .any(|c| categories.iter().any(|p| p.eq_ignore_ascii_case(c)))
            })
}

fn clock(t: DateTime<Utc>) -> String {
    t.format("%H:%M UTC").to_string()
}

/// When a provider went down in the cluster's time: its first unplanned incident since
/// `window_start`, or, with none, the start of its present state (when that is since then).
/// Not simply its state's start: that moves when it goes from outage to degraded, and the
/// cause would read as going down hours after its dependents.
fn down_since(vendor: &VendorFacts, window_start: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if vendor.state < ServiceState::Degraded {
        return None;
    }
    vendor
        .departures
        .iter()
        .map(|d| d.since)
        .filter(|s| *s >= window_start)
        .min()
        .or_else(|| vendor.state_since.filter(|s| *s >= window_start))
}

/// What the provider has said, for the end of `why`.
fn provider_word(provider: Option<&VendorFacts>, key: &str, window_start: DateTime<Utc>) -> String {
    match provider {
        None => format!("{key} is not among the feeds watched"),
        Some(p) if p.state >= ServiceState::Degraded => {
            let since = down_since(p, window_start)
                .or(p.state_since)
                .map(|t| format!(" since {}", clock(t)))
                .unwrap_or_default();
            match &p.state_incident {
                Some(i) => format!("{} reports {}{since}: {}", p.title, p.state, i.title),
                None => format!("{} reports {}{since}", p.title, p.state),
            }
        }
        Some(p) => format!("{} has not posted yet", p.title),
    }
}

/// The most common item, ties broken by the order given (first wins).
fn most_common(items: impl IntoIterator<Item = String>) -> Option<String> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for item in items {
        match counts.iter_mut().find(|(i, _)| *i == item) {
            Some((_, n)) => *n += 1,
            None => counts.push((item, 1)),
        }
    }
    let best = counts.iter().map(|(_, n)| *n).max()?;
    counts.into_iter().find(|(_, n)| *n == best).map(|(i, _)| i)
}

/// The region texts name: the members' posts and the provider's own incident.
fn region_in_texts(members: &[Member<'_>], provider: Option<&VendorFacts>) -> Option<String> {
    let provider_texts = provider
        .into_iter()
        .flat_map(|p| p.departures.iter().map(|d| d.text.as_str()));
    most_common(
        members
            .iter()
            .map(|m| m.text.as_str())
            .chain(provider_texts)
            .flat_map(regions_named),
    )
}

/// The suspected cause of a cluster with these members, or `None` when no candidate is good.
pub fn suspect(
    members: &[Member<'_>],
    vendors: &HashMap<&str, &VendorFacts>,
    provider_categories: &[String],
    window_start: DateTime<Utc>,
) -> Option<SuspectedCause> {
    if members.is_empty() {
        return None;
    }
    // 1. The provider most members run on.
    let mut by_provider: BTreeMap<&str, Vec<&Member<'_>>> = BTreeMap::new();
    for member in members {
        let mut seen = std::collections::HashSet::new();
        for dep in &member.facts.runs_on {
            if seen.insert(dep.provider.as_str()) {
                by_provider
                    .entry(dep.provider.as_str())
                    .or_default()
                    .push(member);
            }
        }
    }
    let best = by_provider
        .iter()
        .filter(|(_, on)| on.len() >= 2)
        .max_by_key(|(p, on)| {
            let degraded = vendors
                .get(*p)
                .is_some_and(|v| v.state >= ServiceState::Degraded);
            (on.len(), degraded)
        });
    if let Some((provider, on)) = best {
        let facts = vendors.get(provider).copied();
        // The provider is no member of its own cluster.
        let total = members
            .iter()
            .filter(|m| m.facts.vendor != *provider)
            .count();
        let listed = most_common(on.iter().flat_map(|m| {
            m.facts
                .runs_on
                .iter()
                .filter(|d| d.provider == *provider)
                .filter_map(|d| d.region.clone())
        }));
        let region = listed.or_else(|| region_in_texts(members, facts));
        let target = match &region {
            Some(r) => format!("{provider}:{r}"),
            None => provider.to_string(),
        };
        return Some(SuspectedCause {
            vendor: provider.to_string(),
            region,
            why: format!(
                "{} of {total} members run on {target}; {}.",
                on.len(),
                provider_word(facts, provider, window_start)
            ),
        });
    }

    // 2 and 3: providers by category or by someone's map, judged by their own state and by
    // what the members' posts name.
    let run_on: std::collections::HashSet<&str> = vendors
        .values()
        .flat_map(|v| v.runs_on.iter().map(|d| d.provider.as_str()))
        .collect();
    // A provider may be in the burst itself (it went down too): it is then the cause, and
    // the caller takes it out of the members.
    let mut candidates: Vec<(&VendorFacts, usize, Option<DateTime<Utc>>)> = vendors
        .values()
        .filter(|v| is_provider(v, provider_categories, &run_on))
        .map(|v| {
            let named = members
                .iter()
                .filter(|m| m.facts.vendor != v.vendor && names_vendor(&m.text, v))
                .count();
            (*v, named, down_since(v, window_start))
        })
        .filter(|(_, named, down)| down.is_some() || *named >= 2)
        .collect();
    // Degraded in the window first, then the most named, then the earliest to go.
    candidates.sort_by(|a, b| {
        b.2.is_some()
            .cmp(&a.2.is_some())
            .then(b.1.cmp(&a.1))
            .then(a.2.cmp(&b.2))
            .then(a.0.state_since.cmp(&b.0.state_since))
            .then(a.0.vendor.cmp(&b.0.vendor))
    });
    let (provider, named, down) = candidates.into_iter().next()?;
    let total = members
        .iter()
        .filter(|m| m.facts.vendor != provider.vendor)
        .count();
    let region = region_in_texts(members, Some(provider));
    let named_part = match named {
        0 => String::new(),
        n => format!("{n} of {total} members' posts name it; "),
    };
    let why = if let Some(down) = down {
        format!(
            "{} went {} in the same window ({}); {named_part}no member's runs_on says what it runs on.",
            provider.title,
            provider.state,
            clock(down),
        )
    } else {
        format!(
            "{named} of {total} members' posts name {}; {}.",
            provider.title,
            provider_word(Some(provider), &provider.vendor, window_start)
        )
    };
    Some(SuspectedCause {
        vendor: provider.vendor.clone(),
        region,
        why,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_read_in_any_case_and_plain_words_are_not() {
        assert_eq!(
            regions_named("elevated errors in US-EAST-1 and eu-west-2; europe-west1 fine"),
            ["us-east-1", "eu-west-2", "europe-west1"]
        );
        assert!(regions_named("us east coast customers; ap-south").is_empty());
    }

    #[test]
    fn a_vendor_is_named_by_key_title_or_distinctive_first_word_as_a_word() {
        let mut aws = crate::correlate::tests::vendor("aws", &[]);
        aws.title = "Amazon Web Services".into();
        assert!(names_vendor("an issue at aws in us-east-1", &aws));
        assert!(names_vendor("our provider amazon reports errors", &aws));
        assert!(!names_vendor("we saw jaws of errors", &aws));
        assert!(!names_vendor("one of our third-party providers", &aws));
    }
}
