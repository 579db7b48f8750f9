//! `statuswatch events`: read the outbox; `--follow` streams new events as JSON lines as they
//! are committed, by whichever process writes them.

use super::output::{render, Listing};
use super::{open_existing_store, parse_since, print, Format, GlobalArgs, EXIT_OK};
use crate::model::StoredEvent;
use crate::store::Store;
use std::time::Duration;

/// Arguments of `events`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  statuswatch events --since 24h
  statuswatch events --vendor zoom --format json
  statuswatch events --follow --after 812 | jq -c .payload")]
pub struct EventsArgs {
    /// Only events detected since this time, date, or age (2025-10-20, 36h, 7d).
    #[arg(long)]
    pub since: Option<String>,
    /// Only this vendor's events.
    #[arg(long)]
    pub vendor: Option<String>,
    /// Keep running and print new events as they are stored (JSON lines).
    #[arg(long)]
    pub follow: bool,
    /// Only events after this outbox sequence number (the `seq` of the last one you have), so
    /// a restarted `--follow` resumes where it stopped instead of from the first event.
    #[arg(long, value_name = "SEQ", value_parser = clap::value_parser!(i64).range(0..))]
    pub after: Option<i64>,
    /// table; json: one event per line (JSON Lines: the webhook payload plus outbox fields);
    /// csv: a header row, then the table's columns. --follow always streams JSON Lines.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// How often --follow looks for new events, in milliseconds.
    #[arg(long, default_value_t = 500, hide = true)]
    pub poll_ms: u64,
}

fn json_line(e: &StoredEvent) -> anyhow::Result<String> {
    let mut line = e.json_line()?;
    line.push('\n');
    Ok(line)
}

pub fn run(global: &GlobalArgs, args: &EventsArgs) -> anyhow::Result<i32> {
    if args.follow && args.format == Format::Csv {
        anyhow::bail!("--follow streams events as JSON Lines, not CSV: drop --format csv (or --follow, for a CSV of the events so far)");
    }
    drop(open_existing_store(&global.db)?);
    let store = Store::open_read_only(&global.db)?;
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let vendor = args.vendor.as_deref();
    let batch = 1000;
    let mut after = args.after.unwrap_or(0);
    let mut rows = Vec::new();
    loop {
        let page = store.events_after(after, since.as_deref(), vendor, batch)?;
        let full = page.len() == batch;
        if let Some(last) = page.last() {
            after = last.seq;
        }
        rows.extend(page);
        if !full {
            break;
        }
    }
    let format = if args.follow {
        Format::Json
    } else {
        args.format
    };
    let headers = ["SEQ", "DETECTED", "OCCURRED", "VENDOR", "CHANGE", "TITLE"];
    let footer = format!("({} events)\n", rows.len());
    let listing = Listing::new(&headers, 70).footer(&footer);
    let text = render(
        format,
        &listing,
        &rows,
        |e| {
            let p = &e.payload;
            vec![
                e.seq.to_string(),
                p.detected_at.clone(),
                p.occurred_at.clone(),
                p.vendor().unwrap_or_default().to_string(),
                match p.transition() {
                    Some((from, to)) => format!("{from} → {to}"),
                    None => e.kind_name(),
                },
                p.title.clone(),
            ]
        },
        |e| e.json_line(),
    )?;
    print(&text)?;
    if !args.follow {
        return Ok(EXIT_OK);
    }
    // Follow: the writer may be another process; WAL lets this reader see each commit.
    let mut stdout_ok = true;
    while stdout_ok {
        std::thread::sleep(Duration::from_millis(args.poll_ms.max(10)));
        for e in store.events_after(after, since.as_deref(), vendor, batch)? {
            after = e.seq;
            let line = json_line(&e)?;
            stdout_ok = write_line(&line);
            if !stdout_ok {
                break;
            }
        }
    }
    Ok(EXIT_OK)
}

/// Writes and flushes one line; false once the reader has gone (closed pipe).
fn write_line(line: &str) -> bool {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(line.as_bytes())
        .and_then(|_| out.flush())
        .is_ok()
}
