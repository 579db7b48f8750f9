//! `statuswatch history [VENDOR]`: incidents with their durations.

use super::output::{render_items, Listing};
use super::table::{state_colour, Style};
use super::{open_existing_store, parse_since, print, Format, GlobalArgs, EXIT_OK};

/// Arguments of `history`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  statuswatch history zoom --since 90d
  statuswatch history --since 2025-10-20 --format csv > incidents.csv")]
pub struct HistoryArgs {
    /// Only this vendor (see `feeds list`).
    pub vendor: Option<String>,
    /// Only incidents that started since this time, date, or age (2025-10-01, 30d).
    #[arg(long)]
    pub since: Option<String>,
    /// table; json: one incident per line (JSON Lines); csv: a header row, then the rows.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// At most this many incidents, newest first.
    #[arg(long, default_value_t = 200)]
    pub limit: usize,
}

pub fn run(global: &GlobalArgs, args: &HistoryArgs) -> anyhow::Result<i32> {
    let store = open_existing_store(&global.db)?;
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let rows = store.history(args.vendor.as_deref(), since.as_deref(), args.limit)?;
    let duration = |m: Option<f64>, open: bool| -> String {
        let Some(m) = m else { return String::new() };
        let total = m.round() as i64;
        let text = if total >= 60 {
            format!("{}h {:02}m", total / 60, total % 60)
        } else {
            format!("{total}m")
        };
        if open {
            format!("{text} (ongoing)")
        } else {
            text
        }
    };
    // The id is what `override incident` takes.
    let headers = [
        "ID", "VENDOR", "STARTED", "RESOLVED", "DURATION", "WORST", "NOW", "TITLE",
    ];
    let footer = format!("({} incidents)\n", rows.len());
    let style: Style = |column, text| {
        (column == 5 || column == 6)
            .then(|| state_colour(text))
            .flatten()
    };
    let listing = Listing::new(&headers, 60).footer(&footer).style(style);
    let text = render_items(args.format, &listing, &rows, |r| {
        vec![
            r.incident_id.to_string(),
            r.vendor.clone(),
            r.started_at.clone(),
            r.resolved_at.clone().unwrap_or_default(),
            duration(r.duration_minutes, r.resolved_at.is_none()),
            r.worst_status.clone(),
            match &r.override_status {
                Some(s) => format!("{s} (override)"),
                None => r.status.clone(),
            },
            r.title.clone(),
        ]
    })?;
    print(&text)?;
    Ok(EXIT_OK)
}
