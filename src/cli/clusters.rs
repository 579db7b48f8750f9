//! `statuswatch clusters`: correlated outages, newest first, with members, times and cause.

use super::output::{render_items, Listing};
use super::{open_existing_store, parse_since, print, Format, GlobalArgs, EXIT_OK};
use crate::store::ClusterRow;

/// Arguments of `clusters`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  statuswatch clusters --open
  statuswatch clusters --since 30d --format json")]
pub struct ClustersArgs {
    /// Only clusters that started since this time, date, or age (2025-10-01, 30d).
    #[arg(long)]
    pub since: Option<String>,
    /// Only clusters still open.
    #[arg(long)]
    pub open: bool,
    /// table; json: one object per cluster (JSON Lines), its members included; csv: a header
    /// row, then one row per cluster (members in one cell).
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// At most this many clusters, newest first.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
}

/// "AWS us-east-1" or "unknown": how a cluster's cause reads in a cell.
fn cause(c: &ClusterRow) -> String {
    match &c.suspected_cause {
        Some(cause) => match &cause.region {
            Some(region) => format!("{}:{region}", cause.vendor),
            None => cause.vendor.clone(),
        },
        None => "unknown".to_string(),
    }
}

/// The lines `status` puts above its table for each open cluster.
pub fn banner(clusters: &[ClusterRow]) -> String {
    let mut out = String::new();
    for c in clusters {
        let members: Vec<String> = c
            .members
            .iter()
            .map(|m| format!("{} ({} since {})", m.vendor, m.state, short_time(&m.since)))
            .collect();
        out.push_str(&format!(
            "CORRELATED OUTAGE #{} since {}: likely cause {}; {} vendors: {}\n",
            c.id,
            short_time(&c.started_at),
            cause(c),
            c.members.len(),
            members.join(", ")
        ));
        if let Some(why) = c.suspected_cause.as_ref().map(|c| &c.why) {
            out.push_str(&format!("  {why}\n"));
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// `2025-10-20 06:52` from a stored time.
fn short_time(text: &str) -> String {
    crate::store::parse_time_text(text).map_or_else(
        || text.to_string(),
        |t| t.format("%Y-%m-%d %H:%M").to_string(),
    )
}

pub fn run(global: &GlobalArgs, args: &ClustersArgs) -> anyhow::Result<i32> {
    let store = open_existing_store(&global.db)?;
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let clusters = store.clusters(since.as_deref(), args.open, args.limit)?;
    let headers = [
        "ID", "STARTED", "RESOLVED", "PHASE", "CAUSE", "VENDORS", "MEMBERS",
    ];
    let footer = if clusters.is_empty() {
        "No correlated outages.\n".to_string()
    } else {
        String::new()
    };
    let listing = Listing::new(&headers, 80).footer(&footer);
    let text = render_items(args.format, &listing, &clusters, |c| {
        vec![
            c.id.to_string(),
            short_time(&c.started_at),
            c.resolved_at
                .as_deref()
                .map_or_else(|| "(open)".to_string(), short_time),
            c.phase.clone(),
            cause(c),
            c.members.len().to_string(),
            c.members
                .iter()
                .map(|m| format!("{} ({})", m.vendor, m.state))
                .collect::<Vec<_>>()
                .join(", "),
        ]
    })?;
    print(&text)?;
    Ok(EXIT_OK)
}
