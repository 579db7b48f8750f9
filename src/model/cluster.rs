//! Correlated outages: what a vendor runs on, and the clusters of vendors that left operational
//! together, as the correlate stage plans them and the `correlated_outage` event carries them.

use super::{NewEvent, ServiceState};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One thing a vendor runs on: another feed's vendor key, and the region when it is known
/// (`aws:us-east-1`, `cloudflare`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Dependency {
    pub provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// A `runs_on` item that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("runs_on item {item:?}: {why} (write provider or provider:region, separated by commas: \"aws:us-east-1,cloudflare\")")]
pub struct BadDependency {
    pub item: String,
    pub why: &'static str,
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

impl FromStr for Dependency {
    type Err = BadDependency;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let item = s.trim();
        let bad = |why| BadDependency {
            item: item.to_string(),
            why,
        };
        let (provider, region) = match item.split_once(':') {
            Some((p, r)) => (p.trim(), Some(r.trim())),
            None => (item, None),
        };
        if provider.is_empty() {
            return Err(bad("the provider is empty"));
        }
        if !provider.chars().all(is_key_char) {
            return Err(bad(
                "a provider is a vendor key: letters, digits, '-', '_', '.'",
            ));
        }
        let region = match region {
            Some("") => return Err(bad("the region after ':' is empty")),
            Some(r) if !r.chars().all(is_key_char) => {
                return Err(bad("a region is one word: letters, digits, '-', '_', '.'"))
            }
            Some(r) => Some(r.to_ascii_lowercase()),
            None => None,
        };
        Ok(Dependency {
            provider: provider.to_ascii_lowercase(),
            region,
        })
    }
}

impl fmt::Display for Dependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.region {
            Some(region) => write!(f, "{}:{region}", self.provider),
            None => f.write_str(&self.provider),
        }
    }
}

impl Dependency {
    /// Reads a `runs_on` list (`aws:us-east-1,cloudflare`); blanks around items are ignored,
    /// an empty text is an empty list, duplicates are kept once.
    pub fn parse_list(text: &str) -> Result<Vec<Dependency>, BadDependency> {
        let mut list: Vec<Dependency> = Vec::new();
        for item in text.split(',').filter(|i| !i.trim().is_empty()) {
            let dep: Dependency = item.parse()?;
            if !list.contains(&dep) {
                list.push(dep);
            }
        }
        Ok(list)
    }

    /// [`Dependency::parse_list`] for the vendor `vendor`: a vendor does not run on itself.
    pub fn parse_list_for(vendor: &str, text: &str) -> Result<Vec<Dependency>, BadDependency> {
        let list = Dependency::parse_list(text)?;
        match list
            .iter()
            .find(|d| d.provider.eq_ignore_ascii_case(vendor.trim()))
        {
            Some(own) => Err(BadDependency {
                item: own.to_string(),
                why: "names the vendor itself; list the other vendors it runs on",
            }),
            None => Ok(list),
        }
    }

    /// The list as written in OPML and the database.
    pub fn list_text(list: &[Dependency]) -> String {
        list.iter()
            .map(Dependency::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Where a cluster is in its life.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::Display,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ClusterPhase {
    /// The burst was judged no chance: the first message.
    Opened,
    /// New members joined since the last message (at most one per window).
    Grew,
    /// Every member is operational again.
    Resolved,
}

/// The incident that made a member leave operational.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberIncident {
    pub id: i64,
    pub title: String,
    #[serde(default)]
    pub link: Option<String>,
}

/// One vendor of a cluster, as the event lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterMember {
    pub vendor: String,
    /// The vendor's feed title, for people.
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Its state now (a member that recovered stays a member, operational).
    pub state: ServiceState,
    /// When it left operational: its incident's start, as the vendor dates it.
    pub since: String,
    pub incident: Option<MemberIncident>,
}

/// The likely cause of a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SuspectedCause {
    /// The provider's vendor key.
    pub vendor: String,
    pub region: Option<String>,
    /// One sentence: why this provider.
    pub why: String,
}

/// The `correlated_outage` event's own part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrelatedOutage {
    /// Stable for the cluster's life (the `clusters` table's id).
    pub cluster_id: i64,
    pub phase: ClusterPhase,
    /// The first member's `since`.
    pub started_at: String,
    /// Every member, earliest first.
    pub vendors: Vec<ClusterMember>,
    /// The vendors new in this message (all of them for `opened`).
    #[serde(default)]
    pub joined: Vec<String>,
    pub suspected_cause: Option<SuspectedCause>,
    /// How likely chance alone would make a burst like this one (the model's p-value).
    pub chance: f64,
}

impl CorrelatedOutage {
    /// The worst state a member is in now.
    pub fn worst_state(&self) -> ServiceState {
        self.vendors
            .iter()
            .map(|m| m.state)
            .max()
            .unwrap_or(ServiceState::Operational)
    }
}

/// A vendor as the correlate stage sees it: what it runs on, how often incidents start there,
/// its state now, and its recent departures from operational.
#[derive(Debug, Clone, PartialEq)]
pub struct VendorFacts {
    pub vendor: String,
    pub title: String,
    pub category: Option<String>,
    pub runs_on: Vec<Dependency>,
    /// Its worst feed's state now, with that state's incident.
    pub state: ServiceState,
    pub state_since: Option<DateTime<Utc>>,
    pub state_incident: Option<MemberIncident>,
    /// Unplanned incidents (degraded or outage at worst) started within the horizon, oldest
    /// first.
    pub departures: Vec<Departure>,
    /// Unplanned incidents started in the base-rate period before the horizon...
    pub past_incidents: u32,
    /// ...over this many hours of history the archive holds for the vendor.
    pub history_hours: f64,
    /// The end of the last cluster it was a member of: a departure before it was accounted for.
    pub accounted_until: Option<DateTime<Utc>>,
}

impl VendorFacts {
    /// A vendor with nothing known yet: operational, no map, no history.
    pub fn new(vendor: String, title: String) -> VendorFacts {
        VendorFacts {
            vendor,
            title,
            category: None,
            runs_on: Vec::new(),
            state: ServiceState::Operational,
            state_since: None,
            state_incident: None,
            departures: Vec::new(),
            past_incidents: 0,
            history_hours: 0.0,
            accounted_until: None,
        }
    }
}

/// One unplanned incident of a vendor.
#[derive(Debug, Clone, PartialEq)]
pub struct Departure {
    pub since: DateTime<Utc>,
    pub incident: MemberIncident,
    /// Its title and newest words, lowercase, for naming a provider or region.
    pub text: String,
}

/// A stored member of an open cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMember {
    pub vendor: String,
    pub since: DateTime<Utc>,
    pub incident: Option<MemberIncident>,
    /// Already listed in a sent message.
    pub announced: bool,
}

/// A cluster not yet resolved, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenCluster {
    pub id: i64,
    pub started_at: DateTime<Utc>,
    pub opened_at: DateTime<Utc>,
    /// When its last message went out.
    pub last_event_at: DateTime<Utc>,
    pub members: Vec<StoredMember>,
    pub cause: Option<SuspectedCause>,
    pub chance: f64,
}

/// What the correlate stage plans from, read in one transaction.
#[derive(Debug, Clone, Default)]
pub struct CorrelationInputs {
    pub vendors: Vec<VendorFacts>,
    pub open: Vec<OpenCluster>,
    /// The id the next new cluster gets.
    pub next_id: i64,
}

/// A cluster to write: its row and its members (all of them, replacing the stored list).
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterWrite {
    pub id: i64,
    pub started_at: DateTime<Utc>,
    pub opened_at: DateTime<Utc>,
    pub last_event_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub phase: ClusterPhase,
    pub cause: Option<SuspectedCause>,
    pub chance: f64,
    pub members: Vec<StoredMember>,
    /// The members' current states, by vendor (for the table people read).
    pub states: Vec<(String, ServiceState)>,
}

/// What the correlate stage decided.
#[derive(Debug, Clone, Default)]
pub struct CorrelationPlan {
    pub clusters: Vec<ClusterWrite>,
    pub events: Vec<NewEvent>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_on_lists_read_and_write_back() {
        let list = Dependency::parse_list(" AWS:us-east-1 , cloudflare,,aws:us-east-1").unwrap();
        assert_eq!(
            list,
            [
                Dependency {
                    provider: "aws".into(),
                    region: Some("us-east-1".into())
                },
                Dependency {
                    provider: "cloudflare".into(),
                    region: None
                },
            ]
        );
        assert_eq!(Dependency::list_text(&list), "aws:us-east-1,cloudflare");
        assert!(Dependency::parse_list("").unwrap().is_empty());
    }

    #[test]
    fn bad_runs_on_items_say_what_to_write() {
        for (text, why) in [
            (":us-east-1", "provider is empty"),
            ("aws:", "region after ':' is empty"),
            ("a w s", "vendor key"),
            ("aws:us east", "one word"),
        ] {
            let err = Dependency::parse_list(text).unwrap_err().to_string();
            assert!(err.contains(why), "{text}: {err}");
            assert!(err.contains("provider:region"), "{err}");
        }
    }

    #[test]
    fn a_vendor_does_not_run_on_itself() {
        let err = Dependency::parse_list_for("heroku", "aws:us-east-1, Heroku:eu").unwrap_err();
        assert_eq!(err.item, "heroku:eu");
        assert!(err.to_string().contains("names the vendor itself"), "{err}");
        let ok = Dependency::parse_list_for("heroku", "aws:us-east-1").unwrap();
        assert_eq!(Dependency::list_text(&ok), "aws:us-east-1");
    }
}
