//! `statuswatch status`: current state per vendor and component, worst first.

use super::table::{csv_line, render};
use super::{open_store, print, Format, GlobalArgs, EXIT_OK};

/// Arguments of `status`.
#[derive(Debug, Clone, clap::Args)]
pub struct StatusArgs {
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Show every feed, operational ones included (by default only those not operational,
    /// followed by a count of the rest).
    #[arg(long)]
    pub all: bool,
}

pub fn run(global: &GlobalArgs, args: &StatusArgs) -> anyhow::Result<i32> {
    let store = open_store(&global.db)?;
    let rows = store.current_status()?;
    let shown: Vec<_> = rows
        .iter()
        .filter(|r| args.all || args.format != Format::Table || r.state != "operational")
        .collect();
    match args.format {
        Format::Json => {
            let mut out = String::new();
            for row in &shown {
                out.push_str(&serde_json::to_string(row)?);
                out.push('\n');
            }
            print(&out)?;
        }
        Format::Table | Format::Csv => {
            let headers = ["VENDOR", "COMPONENT", "STATE", "SINCE", "INCIDENT", "LINK"];
            let cells: Vec<Vec<String>> = shown
                .iter()
                .map(|r| {
                    vec![
                        r.vendor.clone(),
                        if r.component.is_empty() {
                            "(all)".into()
                        } else {
                            r.component.clone()
                        },
                        r.state.clone(),
                        r.since.clone().unwrap_or_default(),
                        r.incident.clone().unwrap_or_default(),
                        r.link.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            if args.format == Format::Csv {
                let mut out =
                    csv_line(&headers.iter().map(|h| h.to_lowercase()).collect::<Vec<_>>());
                for row in &cells {
                    out.push_str(&csv_line(row));
                }
                print(&out)?;
            } else {
                let mut out = String::new();
                if !cells.is_empty() {
                    out.push_str(&render(&headers, &cells, 60));
                }
                let operational = rows.iter().filter(|r| r.state == "operational").count();
                if !args.all {
                    let feeds = rows.iter().filter(|r| r.component.is_empty()).count();
                    out.push_str(&format!(
                        "{} of {} feeds not operational; {} operational rows hidden (--all shows them).\n",
                        rows.iter().filter(|r| r.component.is_empty() && r.state != "operational").count(),
                        feeds,
                        operational
                    ));
                }
                print(&out)?;
            }
        }
    }
    Ok(EXIT_OK)
}
