//! AWS Health Dashboard per-service RSS (`status.aws.amazon.com/rss/<service>-<region>.rss`).
//!
//! One item per update. The state is the title's prefix ("Service is operating normally:",
//! "Informational message:", "Performance issues:", "Service degradation:", "Service impact:",
//! "Service disruption:"), often followed by `[RESOLVED]`; the title and body may be bilingual
//! ("日本語 | English"). The guid, `http://status.aws.amazon.com/#ec2-ap-northeast-1_1566559115`, names
//! service and region: that pair is the incident key, so the store can chain the items of one
//! service-region into one incident until `[RESOLVED]`.

use std::sync::LazyLock;

use regex::Regex;

use super::literal_regex;

use super::Raw;
use crate::model::{Entry, Update};

static PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    literal_regex(
        r"(?i)^\s*(Service is operating normally|Informational message|Performance issues|Service degradation|Service impact|Service disruption|Increased error rates|Operational issue)\s*:\s*",
    )
});
static GUID: LazyLock<Regex> = LazyLock::new(|| {
    literal_regex(r"#([a-z0-9-]+?)(?:-((?:[a-z]{2}(?:-gov|-iso[a-z]?)?)-[a-z]+-\d+))?_\d+\s*$")
});

/// Reads an AWS item; `own_id` is the guid as written.
pub(super) fn extract(raw: &Raw<'_>, entry: &mut Entry, own_id: &str) {
    let prefix = PREFIX
        .captures(&entry.title)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string());
    if let Some(c) = GUID.captures(own_id.trim()) {
        let service = c.get(1).map_or("", |m| m.as_str());
        match c.get(2) {
            Some(region) => {
                entry.incident_key = Some(format!("{service}-{}", region.as_str()));
                entry.components = vec![format!("{service} ({})", region.as_str())];
            }
            None => {
                entry.incident_key = Some(service.to_string());
                entry.components = vec![service.to_string()];
            }
        }
    }
    entry.severity = prefix.clone();
    entry.updates = vec![Update {
        at: raw.date,
        label: prefix.unwrap_or_default(),
        text: entry.content.clone(),
    }];
}
