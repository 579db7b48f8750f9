//! How every command talks to people and programs: the `--format table|json|csv` of the
//! listing commands, tables aligned on a terminal and tab-separated (uncut) when piped, colour
//! only when it is wanted (`--color`, `NO_COLOR`), `-q` quieting the notes on stderr, a progress
//! bar on long work at a terminal, and the question a destructive command asks first.
//!
//! The choices made at start-up (`-q`, colour) are process-wide, set once by `main` through
//! [`configure`], as ripgrep keeps its message switches: every command would otherwise thread
//! them through each helper that prints a note.

use super::table;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::ffi::OsStr;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Output format of the listing commands. `json` is JSON Lines (one object per line) except
/// for `query`, whose one document keeps the column order and duplicate names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns on a terminal; tab-separated, nothing cut, when piped.
    Table,
    /// JSON Lines: one object per item.
    Json,
    /// RFC 4180 CSV with a header row.
    Csv,
}

/// When to colour output (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when the stream is a terminal and `NO_COLOR` is unset or empty.
    Auto,
    /// Colour even into a pipe or file (for `less -R`).
    Always,
    /// No colour anywhere.
    Never,
}

impl ColorChoice {
    /// Whether a stream gets colour: `always` and `never` say so; `auto` colours a terminal
    /// unless `NO_COLOR` is set to anything non-empty (<https://no-color.org>).
    pub fn enabled(self, is_terminal: bool, no_color: Option<&OsStr>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && no_color.is_none_or(OsStr::is_empty),
        }
    }

    /// [`ColorChoice::enabled`] for a stream, with this process's `NO_COLOR`.
    pub fn for_stream(self, is_terminal: bool) -> bool {
        self.enabled(is_terminal, std::env::var_os("NO_COLOR").as_deref())
    }
}

static QUIET: AtomicBool = AtomicBool::new(false);
static STDOUT_COLOR: AtomicBool = AtomicBool::new(false);

/// Records `-q` and the colour choice for stdout; `main` calls it once before any command.
pub fn configure(quiet: bool, color: ColorChoice) {
    QUIET.store(quiet, Ordering::Relaxed);
    STDOUT_COLOR.store(
        color.for_stream(std::io::stdout().is_terminal()),
        Ordering::Relaxed,
    );
}

/// Whether `-q` was given.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// A note for people on stderr (what was imported, what is skipped, what to do next); `-q`
/// silences it. Errors and failures do not go through here: they always print.
pub fn note(text: &str) {
    if !quiet() {
        error_line(text);
    }
}

/// A line on stderr that always prints (an error, a feed's failure, a warning). Unlike
/// `eprintln!` it never panics: when stderr is closed (`2>&1 | head` has exited) the line is
/// dropped, as there is nowhere left to tell anyone.
pub fn error_line(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err
        .write_all(text.as_bytes())
        .and_then(|()| err.write_all(b"\n"));
}

/// What a listing looks like as a table: its headers, the widest a cell may be on a terminal,
/// the line after it (a count, a hint), and how a cell is coloured.
pub struct Listing<'a> {
    pub headers: &'a [&'a str],
    pub max_width: usize,
    /// Printed after the table (table format only).
    pub footer: &'a str,
    /// The colour of a cell (column index, text), when stdout gets colour.
    pub style: Option<table::Style>,
}

impl<'a> Listing<'a> {
    /// A listing with no footer and no colour.
    pub fn new(headers: &'a [&'a str], max_width: usize) -> Listing<'a> {
        Listing {
            headers,
            max_width,
            footer: "",
            style: None,
        }
    }

    /// The same listing with `footer` after the table.
    pub fn footer(self, footer: &'a str) -> Listing<'a> {
        Listing { footer, ..self }
    }

    /// The same listing with coloured cells.
    pub fn style(self, style: table::Style) -> Listing<'a> {
        Listing {
            style: Some(style),
            ..self
        }
    }
}

/// Renders `items` in `format`: each item's JSON line (`json`), or its cells as CSV under
/// snake_case headers, or a table followed by the listing's footer.
pub fn render<T>(
    format: Format,
    listing: &Listing,
    items: &[T],
    cells: impl Fn(&T) -> Vec<String>,
    json: impl Fn(&T) -> serde_json::Result<String>,
) -> anyhow::Result<String> {
    match format {
        Format::Json => {
            let mut out = String::new();
            for item in items {
                out.push_str(&json(item)?);
                out.push('\n');
            }
            Ok(out)
        }
        Format::Csv => {
            let rows: Vec<Vec<String>> = items.iter().map(&cells).collect();
            csv(&csv_headers(listing.headers), &rows)
        }
        Format::Table => {
            let mut out = String::new();
            if !items.is_empty() {
                let rows: Vec<Vec<String>> = items.iter().map(&cells).collect();
                out.push_str(&table_text(listing, &rows));
            }
            out.push_str(listing.footer);
            Ok(out)
        }
    }
}

/// [`render`] with each item serialized as it is.
pub fn render_items<T: serde::Serialize>(
    format: Format,
    listing: &Listing,
    items: &[T],
    cells: impl Fn(&T) -> Vec<String>,
) -> anyhow::Result<String> {
    render(format, listing, items, cells, |item| {
        serde_json::to_string(item)
    })
}

/// A table for stdout: aligned with long cells cut on a terminal, tab-separated and uncut when
/// piped (as gh prints), so `cut -f` and `grep` see whole values.
pub fn table_text(listing: &Listing, rows: &[Vec<String>]) -> String {
    let style = listing
        .style
        .filter(|_| STDOUT_COLOR.load(Ordering::Relaxed));
    let layout = if std::io::stdout().is_terminal() {
        table::Layout::Aligned(listing.max_width)
    } else {
        table::Layout::Tabs
    };
    table::render_styled(listing.headers, rows, layout, style)
}

/// `LAST SUCCESS` → `last_success`: table headers as CSV names.
pub fn csv_headers(headers: &[&str]) -> Vec<String> {
    headers
        .iter()
        .map(|h| h.to_lowercase().replace(' ', "_"))
        .collect()
}

/// CSV (RFC 4180 quoting by the csv crate) with a header row. Cells keep their line breaks
/// (quoted) but lose what a terminal would obey (see [`crate::text::is_unsafe`]), as table
/// cells do.
pub fn csv(headers: &[String], rows: &[Vec<String>]) -> anyhow::Result<String> {
    let mut writer = ::csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    writer.write_record(headers)?;
    for row in rows {
        writer.write_record(row.iter().map(|cell| {
            if cell.chars().any(crate::text::is_unsafe) {
                cell.chars()
                    .filter(|c| !crate::text::is_unsafe(*c))
                    .collect()
            } else {
                cell.clone()
            }
        }))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write CSV: {}", e.error()))?;
    Ok(String::from_utf8(bytes)?)
}

/// A progress bar on stderr for `len` steps of `what` (such as "feeds"): drawn only when
/// stderr is a terminal and `-q` is not given, so piped output and logs never carry its
/// escape codes. Hidden otherwise; calls on it then do nothing.
pub fn progress(len: usize, what: &str) -> ProgressBar {
    if quiet() || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    // No colour in the template: NO_COLOR needs nothing more.
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "{{bar:30}} {{pos}}/{{len}} {what} {{elapsed}} {{wide_msg}}"
    )) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Asks `question` on stderr and reads the answer from stdin: yes only for `y` or `yes`.
/// The caller checks that stdin is a terminal first.
pub fn confirm(question: &str) -> anyhow::Result<bool> {
    {
        let mut err = std::io::stderr().lock();
        // A closed stderr is no answer: the read below decides (no).
        let _ = write!(err, "{question} [y/N] ").and_then(|()| err.flush());
    }
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// Whether stdin is a terminal someone can answer a question on.
pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_disables_auto_colour_when_set_to_anything() {
        let auto = ColorChoice::Auto;
        assert!(auto.enabled(true, None));
        assert!(
            auto.enabled(true, Some(OsStr::new(""))),
            "empty means unset"
        );
        assert!(!auto.enabled(true, Some(OsStr::new("1"))));
        assert!(!auto.enabled(true, Some(OsStr::new("false"))));
        assert!(!auto.enabled(false, None), "never colour a pipe on auto");
        assert!(ColorChoice::Always.enabled(false, Some(OsStr::new("1"))));
        assert!(!ColorChoice::Never.enabled(true, None));
    }

    #[test]
    fn csv_quotes_what_needs_it_and_heads_with_snake_case() {
        let text = csv(
            &csv_headers(&["ID", "LAST SUCCESS"]),
            &[vec!["1".into(), "say \"hi\", then\nleave".into()]],
        )
        .unwrap();
        assert_eq!(text, "id,last_success\n1,\"say \"\"hi\"\", then\nleave\"\n");
    }
}
