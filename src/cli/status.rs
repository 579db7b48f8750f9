//! `statuswatch status`: current state per vendor and component, worst first.

use super::output::{render_items, Listing};
use super::table::{state_colour, Style};
use super::{open_existing_read_only, print, Format, GlobalArgs, EXIT_OK};

/// Arguments of `status`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  statuswatch status
  statuswatch status --all --format json")]
pub struct StatusArgs {
    /// table; json: one object per row (JSON Lines); csv: a header row, then the rows.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Show every feed, operational ones included (by default only those not operational,
    /// followed by a count of the rest).
    #[arg(long)]
    pub all: bool,
}

pub fn run(global: &GlobalArgs, args: &StatusArgs) -> anyhow::Result<i32> {
    let store = open_existing_read_only(&global.db)?;
    let rows = store.current_status()?;
    if args.format == Format::Table && store.last_fetch_at()?.is_none() {
        let feeds = rows.iter().filter(|r| r.component.is_empty()).count();
        print(&format!(
            "Not polled yet: none of the {feeds} feeds has been fetched. Run `statuswatch poll` (or start `statuswatch run`).\n"
        ))?;
        return Ok(EXIT_OK);
    }
    // Open correlated outages first: on a bad morning they are the news.
    let banner = match args.format {
        Format::Table => super::clusters::banner(&store.clusters(None, true, 20)?),
        _ => String::new(),
    };
    let shown: Vec<_> = rows
        .iter()
        .filter(|r| args.all || args.format != Format::Table || r.state != "operational")
        .collect();
    let footer = if args.all {
        String::new()
    } else {
        let feeds = rows.iter().filter(|r| r.component.is_empty()).count();
        let whole = || rows.iter().filter(|r| r.component.is_empty());
        let unknown = whole().filter(|r| r.state == "unknown").count();
        let down = whole()
            .filter(|r| r.state != "operational" && r.state != "unknown")
            .count();
        let operational = rows.iter().filter(|r| r.state == "operational").count();
        let unchecked = if unknown > 0 {
            format!(" ({unknown} with no state yet)")
        } else {
            String::new()
        };
        format!("{down} of {feeds} feeds not operational{unchecked}; {operational} operational rows hidden (--all shows them).\n")
    };
    let headers = ["VENDOR", "COMPONENT", "STATE", "SINCE", "INCIDENT", "LINK"];
    let style: Style = |column, text| (column == 2).then(|| state_colour(text)).flatten();
    let listing = Listing::new(&headers, 60).footer(&footer).style(style);
    let text = render_items(args.format, &listing, &shown, |r| {
        vec![
            r.vendor.clone(),
            if r.component.is_empty() {
                "(all)".into()
            } else {
                r.component.clone()
            },
            match &r.override_reason {
                Some(_) => format!("{} (override)", r.state),
                None => r.state.clone(),
            },
            r.since.clone().unwrap_or_default(),
            r.incident.clone().unwrap_or_default(),
            r.link.clone().unwrap_or_default(),
        ]
    })?;
    print(&format!("{banner}{text}"))?;
    Ok(EXIT_OK)
}
