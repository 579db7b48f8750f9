//! `statuswatch classify FILE...`: parse and classify feed files offline, without a database.
//!
//! For trying rules before a deploy, for bug reports ("this entry is classified wrong"), and for the
//! corpus test, which runs this command over real feeds and compares with labels. Output is a table for
//! people, with `--format json` (or `--json`) one JSON object per entry per line (keys stable: `file`, `id`, `id_derived`,
//! `title`, `status`, `phase`, `rule`, `engine`, `components`, and more), or with `--format csv` a
//! header row and one row per entry of the same fields (components joined by `; `). A file that cannot be read or
//! parsed is reported on stderr, naming the file and the cause; the other files are still processed and
//! the exit code is 2. A rules file that does not load is fatal (exit 1): classifying with rules other
//! than the ones asked for would mislead.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;

use crate::classify::{Explanation, Rules};
use crate::model::{Engine, Entry, ParsedFeed};
use crate::parse::{parse_feed, ParseOptions};
use crate::store::time_text;

/// Arguments of `statuswatch classify`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  statuswatch classify saved/history.atom
  statuswatch classify --explain --rules my-rules.toml saved/*.rss
  statuswatch classify --format json saved/aws.rss | jq .status
  statuswatch classify --format csv saved/*.rss > verdicts.csv")]
pub struct ClassifyArgs {
    /// Feed files (RSS or Atom) to classify.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// table: per file, one line per entry; json: one object per entry (JSON Lines); csv: a
    /// header row, then one row per entry.
    #[arg(long, value_enum, default_value = "table")]
    pub format: super::Format,
    /// The same as --format json (kept for scripts written before --format).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Show every rule that matched each entry and the text it matched.
    #[arg(long)]
    pub explain: bool,
    /// The engine of the files (statuspage, aws, gcp, ...); detected from each file when absent.
    #[arg(long, value_name = "E")]
    pub engine: Option<Engine>,
    /// A rules file (TOML) whose rules add to or replace the built-in ones by name.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// The URL the files were fetched from (resolves relative links, helps detection).
    #[arg(long, value_name = "URL")]
    pub feed_url: Option<String>,
}

/// One JSON line of `--json`.
#[derive(Serialize)]
struct JsonLine<'a> {
    file: &'a str,
    id: &'a str,
    id_derived: bool,
    title: &'a str,
    status: &'a str,
    phase: Option<&'a str>,
    rule: &'a str,
    engine: &'a str,
    components: &'a [String],
    link: Option<&'a str>,
    published: Option<String>,
    updated: Option<String>,
    severity: Option<&'a str>,
    incident_key: Option<&'a str>,
    label: Option<&'a str>,
    updates: usize,
    repaired: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    matches: Option<Vec<JsonMatch<'a>>>,
    /// With `--explain`: the update timeline found, newest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    timeline: Option<Vec<JsonUpdate<'a>>>,
    /// With `--explain`: the languages whose rules read the entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    languages: Option<Vec<String>>,
}

/// One update of the timeline, for `--explain --json`.
#[derive(serde::Serialize)]
struct JsonUpdate<'a> {
    label: &'a str,
    at: Option<String>,
    text: &'a str,
}

#[derive(Serialize)]
struct JsonMatch<'a> {
    rule: &'a str,
    field: &'a str,
    status: &'a str,
    priority: i32,
    matched: &'a str,
    decided: bool,
}

/// Runs the command; returns the exit code (0 all files classified, 2 some failed).
pub fn run(args: &ClassifyArgs) -> anyhow::Result<i32> {
    let format = if args.json {
        super::Format::Json
    } else {
        args.format
    };
    if format == super::Format::Csv && args.explain {
        anyhow::bail!("--explain lists every matching rule, which a CSV row cannot hold: use --explain with the table or --format json");
    }
    let mut csv_rows = Vec::new();
    let rules = super::load_rules(args.rules.as_deref())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = 0usize;
    for path in &args.files {
        let name = path.display().to_string();
        let feed = match read_and_parse(path, args) {
            Ok(f) => f,
            Err(e) => {
                failed += 1;
                super::output::error_line(&format!("statuswatch: {name}: {e:#}"));
                continue;
            }
        };
        let result = match format {
            super::Format::Json => write_json(&mut out, &name, &feed, &rules, args.explain),
            super::Format::Table => write_table(&mut out, &name, &feed, &rules, args.explain),
            super::Format::Csv => {
                csv_rows.extend(feed.entries.iter().map(|entry| {
                    let x = rules.explain(feed.engine, entry);
                    csv_row(&json_line(&name, &feed, entry, &x, &rules, false))
                }));
                Ok(())
            }
        };
        if let Err(e) = result {
            // A closed pipe (`| head`) is the reader's choice, not a failure.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(0);
            }
            return Err(e).context("cannot write output");
        }
    }
    if format == super::Format::Csv {
        let text = super::output::csv(&CSV_HEADERS.map(String::from), &csv_rows)?;
        match out.write_all(text.as_bytes()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(0),
            result => result.context("cannot write output")?,
        }
    }
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(e).context("cannot write output")
        }
        _ => {}
    }
    Ok(if failed > 0 { 2 } else { 0 })
}

fn read_and_parse(path: &std::path::Path, args: &ClassifyArgs) -> anyhow::Result<ParsedFeed> {
    let bytes = std::fs::read(path).context("cannot read the file")?;
    let opts = ParseOptions {
        engine: args.engine,
        feed_url: args.feed_url.clone(),
        page: None,
        ..ParseOptions::default()
    };
    Ok(parse_feed(&bytes, &opts)?)
}

fn write_json(
    out: &mut impl Write,
    file: &str,
    feed: &ParsedFeed,
    rules: &Rules,
    explain: bool,
) -> std::io::Result<()> {
    for entry in &feed.entries {
        let x = rules.explain(feed.engine, entry);
        let line = json_line(file, feed, entry, &x, rules, explain);
        serde_json::to_writer(&mut *out, &line).map_err(std::io::Error::other)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// One entry's verdict with what `--json` and `--format csv` show of it.
fn json_line<'a>(
    file: &'a str,
    feed: &'a ParsedFeed,
    entry: &'a Entry,
    x: &'a Explanation,
    rules: &Rules,
    explain: bool,
) -> JsonLine<'a> {
    let matches = explain.then(|| {
        x.matches
            .iter()
            .map(|m| JsonMatch {
                rule: &m.rule,
                field: m.field.as_str(),
                status: m.status.as_str(),
                priority: m.priority,
                matched: &m.matched,
                decided: m.decided,
            })
            .collect()
    });
    JsonLine {
        file,
        id: &entry.id,
        id_derived: entry.id_derived,
        title: &entry.title,
        status: x.class.status.as_str(),
        phase: x.class.phase.map(|p| p.as_str()),
        rule: &x.class.rule,
        engine: feed.engine.as_str(),
        components: &entry.components,
        link: entry.link.as_deref(),
        published: entry.published.map(|d| d.to_rfc3339()),
        updated: entry.updated.map(|d| d.to_rfc3339()),
        severity: entry.severity.as_deref(),
        incident_key: entry.incident_key.as_deref(),
        label: entry
            .updates
            .first()
            .map(|u| u.label.as_str())
            .filter(|l| !l.is_empty()),
        updates: entry.updates.len(),
        repaired: feed.repaired,
        matches,
        timeline: explain.then(|| {
            entry
                .updates
                .iter()
                .map(|u| JsonUpdate {
                    label: &u.label,
                    at: u.at.map(time_text),
                    text: &u.text,
                })
                .collect()
        }),
        languages: explain.then(|| rules.languages(entry)),
    }
}

/// The CSV columns of `--format csv`: the JSON line's fields without `--explain`'s.
const CSV_HEADERS: [&str; 17] = [
    "file",
    "id",
    "id_derived",
    "title",
    "status",
    "phase",
    "rule",
    "engine",
    "components",
    "link",
    "published",
    "updated",
    "severity",
    "incident_key",
    "label",
    "updates",
    "repaired",
];

/// One entry as a CSV row (components joined by `; `).
fn csv_row(l: &JsonLine) -> Vec<String> {
    let text = |v: Option<&str>| v.unwrap_or_default().to_string();
    vec![
        l.file.to_string(),
        l.id.to_string(),
        l.id_derived.to_string(),
        l.title.to_string(),
        l.status.to_string(),
        text(l.phase),
        l.rule.to_string(),
        l.engine.to_string(),
        l.components.join("; "),
        text(l.link),
        l.published.clone().unwrap_or_default(),
        l.updated.clone().unwrap_or_default(),
        text(l.severity),
        text(l.incident_key),
        text(l.label),
        l.updates.to_string(),
        l.repaired.to_string(),
    ]
}

fn write_table(
    out: &mut impl Write,
    file: &str,
    feed: &ParsedFeed,
    rules: &Rules,
    explain: bool,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{file}: {} entries, engine {}{}",
        feed.entries.len(),
        feed.engine,
        if feed.repaired { " (repaired)" } else { "" }
    )?;
    if feed.entries.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "  {:<13} {:<13} {:<30} TITLE",
        "STATUS", "PHASE", "RULE"
    )?;
    for entry in &feed.entries {
        let x: Explanation = rules.explain(feed.engine, entry);
        writeln!(
            out,
            "  {:<13} {:<13} {:<30} {}",
            x.class.status.as_str(),
            x.class.phase.map_or("-", |p| p.as_str()),
            x.class.rule,
            one_line(&entry.title, 100)
        )?;
        if explain {
            write_explain(out, entry, &x, rules)?;
        }
    }
    Ok(())
}

fn write_explain(
    out: &mut impl Write,
    entry: &Entry,
    x: &Explanation,
    rules: &Rules,
) -> std::io::Result<()> {
    writeln!(
        out,
        "      id: {}{}",
        entry.id,
        if entry.id_derived { " (derived)" } else { "" }
    )?;
    writeln!(
        out,
        "      languages: {}",
        rules.languages(entry).join(", ")
    )?;
    match &entry.incident_key {
        Some(chain) => writeln!(
            out,
            "      chain: {chain} (joins the open incident of this chain)"
        )?,
        None => writeln!(out, "      chain: none (the entry is its own incident)")?,
    }
    if entry.updates.is_empty() {
        writeln!(out, "      timeline: none")?;
    }
    for (n, u) in entry.updates.iter().enumerate() {
        writeln!(
            out,
            "      {} [{}] {} {}",
            if n == 0 {
                "newest update:"
            } else {
                "          then:"
            },
            if u.label.is_empty() { "-" } else { &u.label },
            u.at.map_or_else(|| "(no time)".to_string(), time_text),
            one_line(&u.text, 80)
        )?;
    }
    for m in &x.matches {
        writeln!(
            out,
            "      {} {:<30} {:<13} p{:<5} {}: {:?}",
            if m.decided { "*" } else { " " },
            m.rule,
            m.status.as_str(),
            m.priority,
            m.field.as_str(),
            one_line(&m.matched, 80)
        )?;
    }
    Ok(())
}

/// The text on one line, cut to `max` characters.
fn one_line(s: &str, max: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() > max {
        let mut cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        flat
    }
}
