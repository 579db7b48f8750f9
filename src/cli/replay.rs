//! `statuswatch replay DIR`: captured documents replayed as if they had been fetched live,
//! each at its own time, through the same parse, classify, store, events and correlation
//! (and, with `--deliver`, webhooks) as a live poll. How to try new rules or webhook filters
//! on a past outage ("what would we have been paged with on the AWS day?").
//!
//! This file reads the directory (which feed each folder is, which capture each file is,
//! their order) and prints; `crate::replay` runs the captures through the pipeline.

use super::{load_config, open_store, parse_duration, print, GlobalArgs, EXIT_OK};
use crate::catalog;
use crate::deliver::{Deliverer, DeliveryReport};
use crate::model::{EventDetail, FeedSpec, StoredEvent};
use crate::replay::{self, Capture, CaptureResult, ReplaySettings, ReplaySummary};
use crate::store::writer::Writer;
use crate::store::{time_text, Store};
use anyhow::{bail, Context};
use chrono::{DateTime, NaiveDateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The name of a replay directory's feed list.
pub const FEEDS_FILE: &str = "feeds.opml";

/// The extensions a capture may have: a feed (`.xml`), a status API (`.json`), a watched page
/// (`.html`). The parser reads each by its content; the extension only marks it a capture.
pub const CAPTURE_EXTENSIONS: [&str; 3] = ["xml", "json", "html"];

/// How a capture file is named: its UTC time in the basic ISO form.
pub const CAPTURE_TIME_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// Output of `replay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReplayFormat {
    /// A readable timeline, then a one-line summary.
    Table,
    /// Every event raised, one JSON object per line (as `events --format json`).
    Json,
}

/// Arguments of `replay`. The database is the global `--db`, given on the command line (the
/// `STATUSWATCH_DB` variable names a live archive, which a replay never writes into).
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  statuswatch replay fixtures/replay/aws-day
  statuswatch replay captures/ --db day.db --keep --format json
  statuswatch replay captures/ --deliver --config statuswatch.toml")]
pub struct ReplayArgs {
    /// The replay directory: feeds.opml and one folder of captures per feed, named by its
    /// vendor key, each capture named by its UTC time (20251020T064600Z.xml, .json, .html).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Keep the temporary database (its path is printed) instead of removing it at exit.
    #[arg(long)]
    pub keep: bool,
    /// A TOML rules file adding to or overriding the built-in classification rules.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// json: every event raised, one JSON object per line, as `events --format json` prints.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReplayFormat,
    /// Deliver the events to the configuration file's webhooks after the replay.
    #[arg(long)]
    pub deliver: bool,
    /// With --deliver: wait at most this long for the webhook queues to drain.
    #[arg(long, default_value = "60s", value_parser = parse_duration, value_name = "DURATION")]
    pub deliver_timeout: Duration,
    /// A feed failing this long (in replayed time) raises a `feed_failing` event.
    #[arg(long, default_value = "1h", value_parser = parse_duration, value_name = "DURATION")]
    pub failing_after: Duration,
}

/// One capture file found in a feed's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureFile {
    /// Index of its feed in [`Layout::feeds`].
    pub feed: usize,
    pub at: DateTime<Utc>,
    pub path: PathBuf,
}

/// What a replay directory holds, read and checked: the feeds that have captures, every
/// capture in replay order, and a warning for everything left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    /// Each feed with the folder its captures are in.
    pub feeds: Vec<(FeedSpec, String)>,
    /// In replay order: time, then vendor, then file name.
    pub captures: Vec<CaptureFile>,
    /// One line per thing left out, naming its file or folder.
    pub warnings: Vec<String>,
}

/// A capture's time from its file name (`20251020T064600Z.xml`); the error says what is wrong.
pub fn capture_time(file_name: &str) -> Result<DateTime<Utc>, String> {
    let (stem, ext) = file_name.rsplit_once('.').unwrap_or((file_name, ""));
    if !CAPTURE_EXTENSIONS
        .iter()
        .any(|known| ext.eq_ignore_ascii_case(known))
    {
        let ext = if ext.is_empty() {
            "no extension".to_string()
        } else {
            format!("extension .{ext}")
        };
        return Err(format!(
            "not a capture ({ext}): name captures by their UTC time with .xml, .json or .html, such as 20251020T064600Z.xml"
        ));
    }
    NaiveDateTime::parse_from_str(stem, CAPTURE_TIME_FORMAT)
        .map(|t| t.and_utc())
        .map_err(|e| {
            format!(
                "{stem:?} is not a UTC time ({e}): name captures YYYYMMDDTHHMMSSZ.{ext}, such as 20251020T064600Z.{ext}"
            )
        })
}

/// The folders a feed's captures may be in, in order: the bare name its `xmlUrl` gave
/// (`replay:zoom`), then its vendor key.
pub fn folder_candidates(spec: &FeedSpec) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(name) = FeedSpec::replay_folder(&spec.url) {
        names.push(name.to_string());
    }
    if !names.contains(&spec.vendor) {
        names.push(spec.vendor.clone());
    }
    names
}

/// Lays out a replay directory from its feeds and a listing of its folders (folder name →
/// its file names; `dir` only names things in warnings). Pure: the command lists the folders.
pub fn plan(dir: &Path, specs: Vec<FeedSpec>, folders: &BTreeMap<String, Vec<String>>) -> Layout {
    let mut layout = Layout::default();
    let mut claimed: HashMap<&str, String> = HashMap::new();
    for spec in specs {
        let candidates = folder_candidates(&spec);
        let Some((folder_name, files)) = candidates
            .iter()
            .find_map(|c| folders.get_key_value(c.as_str()))
            .map(|(k, v)| (k.as_str(), v))
        else {
            layout.warnings.push(format!(
                "{}: no folder for feed {:?} (vendor {}): its captures go in {}; it is left out",
                dir.join(FEEDS_FILE).display(),
                spec.title,
                spec.vendor,
                dir.join(&candidates[0]).display()
            ));
            continue;
        };
        if let Some(first) = claimed.get(folder_name) {
            layout.warnings.push(format!(
                "{}: feed {:?} would read folder {}, which is feed {first:?}'s: give each feed its own folder (a bare xmlUrl names it); it is left out",
                dir.join(FEEDS_FILE).display(),
                spec.title,
                dir.join(folder_name).display(),
            ));
            continue;
        }
        claimed.insert(folder_name, spec.title.clone());
        let index = layout.feeds.len();
        let mut times: HashMap<DateTime<Utc>, &str> = HashMap::new();
        let mut found = 0;
        for file in files {
            let path = dir.join(folder_name).join(file);
            match capture_time(file) {
                Ok(at) => {
                    if let Some(other) = times.get(&at) {
                        layout.warnings.push(format!(
                            "{}: a second capture at {} (beside {other}): keep one capture per time; it is left out",
                            path.display(),
                            time_text(at)
                        ));
                        continue;
                    }
                    times.insert(at, file);
                    found += 1;
                    layout.captures.push(CaptureFile {
                        feed: index,
                        at,
                        path,
                    });
                }
                Err(why) => layout
                    .warnings
                    .push(format!("{}: {why}; it is left out", path.display())),
            }
        }
        if found == 0 {
            layout.warnings.push(format!(
                "{}: no captures for feed {:?}: it is left out",
                dir.join(folder_name).display(),
                spec.title
            ));
            continue;
        }
        layout.feeds.push((spec, folder_name.to_string()));
    }
    for name in folders.keys() {
        if !claimed.contains_key(name.as_str()) {
            layout.warnings.push(format!(
                "{}: a folder with no outline in {FEEDS_FILE}: add <outline text=\"...\" vendor=\"{name}\" xmlUrl=\"{name}\"/> for it, or remove it; its captures are left out",
                dir.join(name).display()
            ));
        }
    }
    let vendor = |c: &CaptureFile| layout.feeds[c.feed].0.vendor.clone();
    let mut keyed: Vec<(DateTime<Utc>, String, PathBuf, CaptureFile)> = layout
        .captures
        .drain(..)
        .map(|c| (c.at, vendor(&c), c.path.clone(), c))
        .collect();
    keyed.sort_by(|a, b| (a.0, &a.1, &a.2).cmp(&(b.0, &b.1, &b.2)));
    layout.captures = keyed.into_iter().map(|(.., c)| c).collect();
    layout
}

/// Reads a replay directory: `feeds.opml` and a listing of its folders. A missing or empty
/// directory, a missing or broken `feeds.opml`, and a directory with no captures at all are
/// errors; everything else left out is a warning in the layout.
pub fn read_layout(dir: &Path) -> anyhow::Result<Layout> {
    let entries: Vec<std::fs::DirEntry> = std::fs::read_dir(dir)
        .with_context(|| {
            format!(
                "cannot read replay directory {}: give a directory holding {FEEDS_FILE} and one folder of captures per feed",
                dir.display()
            )
        })?
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot list replay directory {}", dir.display()))?;
    if entries.is_empty() {
        bail!(
            "replay directory {} is empty: put {FEEDS_FILE} (the feeds) in it, and one folder per feed, named by its vendor key, holding captures named by their UTC time (20251020T064600Z.xml)",
            dir.display()
        );
    }
    let opml_path = dir.join(FEEDS_FILE);
    if !opml_path.is_file() {
        bail!(
            "{}: not found: a replay directory lists its feeds in {FEEDS_FILE} (ordinary statuswatch OPML; an outline's xmlUrl may be the name of its capture folder, xmlUrl=\"zoom\")",
            opml_path.display()
        );
    }
    let text = std::fs::read_to_string(&opml_path)
        .with_context(|| format!("cannot read {}", opml_path.display()))?;
    let specs = catalog::parse_replay_opml(&text, &opml_path.display().to_string())?;
    let mut folders = BTreeMap::new();
    let mut loose = Vec::new();
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == FEEDS_FILE {
            continue;
        }
        if !entry.path().is_dir() {
            // Other files (a README, a rules or configuration file) may live here; a capture
            // may not.
            if capture_time(&name).is_ok() || name.ends_with(".xml") || name.ends_with(".json") {
                loose.push(format!(
                    "{}: a capture beside {FEEDS_FILE} is not replayed: captures go in their feed's folder, such as {}",
                    entry.path().display(),
                    dir.join("zoom").join("20251020T064600Z.xml").display()
                ));
            }
            continue;
        }
        let mut files = Vec::new();
        for file in std::fs::read_dir(entry.path())
            .with_context(|| format!("cannot list {}", entry.path().display()))?
        {
            let file = file.with_context(|| format!("cannot list {}", entry.path().display()))?;
            let file_name = file.file_name().to_string_lossy().into_owned();
            if !file_name.starts_with('.') {
                files.push(file_name);
            }
        }
        files.sort();
        folders.insert(name, files);
    }
    let mut layout = plan(dir, specs, &folders);
    layout.warnings.extend(loose);
    if layout.captures.is_empty() {
        for warning in &layout.warnings {
            super::output::error_line(&format!("warning: {warning}"));
        }
        bail!(
            "no captures to replay in {}: each feed's folder holds captures named by their UTC time, such as {}/20251020T064600Z.xml",
            dir.display(),
            dir.join("zoom").display()
        );
    }
    Ok(layout)
}

/// The database a replay writes: the one given with `--db` (new or without feeds), else a
/// new temporary one, removed when this is dropped unless kept.
struct ReplayDb {
    path: PathBuf,
    temp: Option<tempfile::TempDir>,
}

impl ReplayDb {
    fn open(given: Option<&Path>) -> anyhow::Result<(ReplayDb, Store)> {
        let db = match given {
            Some(path) => ReplayDb {
                path: path.to_path_buf(),
                temp: None,
            },
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("statuswatch-replay-")
                    .tempdir()
                    .context("cannot create a temporary directory for the replay database")?;
                ReplayDb {
                    path: temp.path().join("replay.db"),
                    temp: Some(temp),
                }
            }
        };
        let store = open_store(&db.path)?;
        let feeds = store.feed_count()?;
        if feeds > 0 {
            bail!(
                "database {} already holds {feeds} feeds: a replay writes only into a new or empty database, so it never mixes with a live archive; give --db a new file, or leave --db out for a temporary one",
                db.path.display()
            );
        }
        Ok((db, store))
    }

    /// Keeps the temporary database; returns its path.
    fn keep(&mut self) -> PathBuf {
        if let Some(temp) = self.temp.take() {
            let _ = temp.keep();
        }
        self.path.clone()
    }
}

pub fn run(global: &GlobalArgs, args: &ReplayArgs, db: Option<&Path>) -> anyhow::Result<i32> {
    // Everything that can be wrong with the input is found before a database is made.
    let config = load_config(global)?;
    if args.deliver && config.webhooks.is_empty() {
        bail!(
            "--deliver needs webhooks: add a [[webhooks]] table to the configuration file (--config FILE; see config.example.toml)"
        );
    }
    let rules = super::load_rules(args.rules.as_deref())?;
    let layout = read_layout(&args.dir)?;
    for warning in &layout.warnings {
        super::output::error_line(&format!("warning: {warning}"));
    }
    let (mut db, mut store) = ReplayDb::open(db)?;
    let first = layout.captures[0].at;
    let specs: Vec<FeedSpec> = layout.feeds.iter().map(|(s, _)| s.clone()).collect();
    // The archive begins at the first capture: that is when these feeds were "added".
    store.import_feeds(&specs, first)?;
    let ids: HashMap<String, i64> = store
        .list_feeds()?
        .into_iter()
        .map(|f| (f.spec.url, f.id))
        .collect();
    let hooks: Vec<String> = config.webhooks.iter().map(|w| w.name.clone()).collect();
    if args.deliver {
        // Before the replay, so the webhooks get every event it raises.
        store.register_webhooks(&hooks, Utc::now())?;
    }
    let captures: Vec<Capture> = layout
        .captures
        .iter()
        .map(|c| {
            let spec = &layout.feeds[c.feed].0;
            Ok(Capture {
                feed_id: *ids
                    .get(&spec.url)
                    .with_context(|| format!("feed {} was not imported", spec.url))?,
                at: c.at,
                file: c.path.clone(),
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let settings = ReplaySettings {
        rules: &rules,
        failing_after: args.failing_after,
        correlation: &config.correlation,
        backoff: Default::default(),
        skip_known: true,
    };
    let summary = replay::replay(
        &mut store,
        &settings,
        &captures,
        |c| std::fs::read(&c.file).map_err(|e| format!("cannot read it: {e}")),
        |c, result| {
            if let CaptureResult::Failed { error, recorded } = result {
                let counted = if *recorded {
                    format!("counted as a failed fetch at {}", time_text(c.at))
                } else {
                    "left out".to_string()
                };
                super::output::error_line(&format!(
                    "warning: {}: {error} ({counted})",
                    c.file.display()
                ));
            }
        },
    )?;
    let events = all_events(&store)?;
    match args.format {
        ReplayFormat::Json => {
            let mut out = String::new();
            for e in &events {
                out.push_str(&e.json_line()?);
                out.push('\n');
            }
            print(&out)?;
            super::output::error_line(&summary_line(&summary, layout.feeds.len(), &events));
        }
        ReplayFormat::Table => {
            let mut out = timeline(&events);
            out.push_str(&summary_line(&summary, layout.feeds.len(), &events));
            out.push('\n');
            print(&out)?;
        }
    }
    if args.deliver {
        let (report, back) = deliver(store, &config, args.deliver_timeout)?;
        store = back;
        let line = format!(
            "Webhooks: {} delivered, {} failed attempts, {} pending, {} dead letters.",
            report.delivered, report.failed, report.pending, report.dead
        );
        match args.format {
            ReplayFormat::Json => super::output::error_line(&line),
            ReplayFormat::Table => print(&format!("{line}\n"))?,
        }
        if report.pending > 0 {
            super::output::error_line(&format!(
                "{} events were not delivered within --deliver-timeout {}: give it longer, or check the receivers.",
                report.pending,
                humantime::format_duration(args.deliver_timeout)
            ));
        }
    }
    drop(store);
    if args.keep || db.temp.is_none() {
        let path = db.keep();
        super::output::error_line(&format!(
            "The replay database is {}: `statuswatch --db {} events` (or status, clusters, query) reads it.",
            path.display(),
            path.display()
        ));
    }
    Ok(if summary.failed > 0 {
        super::EXIT_SOME_FAILED
    } else {
        EXIT_OK
    })
}

/// Delivers the outbox to the configured webhooks with the deliver worker, waiting at most
/// `timeout` for the queues to drain; gives the store back.
fn deliver(
    store: Store,
    config: &crate::config::Config,
    timeout: Duration,
) -> anyhow::Result<(DeliveryReport, Store)> {
    let runtime = super::cycle::runtime()?;
    let (writer, thread) = Writer::spawn(store)?;
    let deliverer = Deliverer::new(
        config.webhooks.clone(),
        config.delivery.clone(),
        writer.clone(),
    )?;
    let deadline = tokio::time::Instant::now() + timeout;
    let report = runtime.block_on(deliverer.deliver_pending(deadline));
    drop(deliverer);
    drop(writer);
    let store = super::cycle::join_writer(thread)?;
    Ok((report?, store))
}

/// Every event in the outbox, oldest first.
fn all_events(store: &Store) -> anyhow::Result<Vec<StoredEvent>> {
    let batch = 1000;
    let mut after = 0;
    let mut rows = Vec::new();
    loop {
        let page = store.events_after(after, None, None, batch)?;
        let full = page.len() == batch;
        if let Some(last) = page.last() {
            after = last.seq;
        }
        rows.extend(page);
        if !full {
            return Ok(rows);
        }
    }
}

/// The correlated outages among `events`: their distinct cluster ids.
fn cluster_count(events: &[StoredEvent]) -> usize {
    events
        .iter()
        .filter_map(|e| match &e.payload.detail {
            EventDetail::CorrelatedOutage(c) => Some(c.cluster_id),
            _ => None,
        })
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

fn summary_line(summary: &ReplaySummary, feeds: usize, events: &[StoredEvent]) -> String {
    let clusters = cluster_count(events);
    format!(
        "Replayed {} captures of {feeds} feeds ({} failed): {} events, {clusters} {}.",
        summary.captures,
        summary.failed,
        events.len(),
        if clusters == 1 { "cluster" } else { "clusters" }
    )
}

/// The readable timeline: one line per event (time, vendor, from → to, title); a correlated
/// outage stands out with its members and suspected cause.
pub fn timeline(events: &[StoredEvent]) -> String {
    let width = events
        .iter()
        .filter_map(|e| e.payload.vendor())
        .map(unicode_width::UnicodeWidthStr::width)
        .max()
        .unwrap_or(0)
        .max(6);
    let mut out = String::new();
    for e in events {
        let p = &e.payload;
        if let EventDetail::CorrelatedOutage(c) = &p.detail {
            let members: Vec<&str> = c.vendors.iter().map(|m| m.vendor.as_str()).collect();
            let cause = match &c.suspected_cause {
                Some(cause) => {
                    let region = cause
                        .region
                        .as_deref()
                        .map(|r| format!(" {r}"))
                        .unwrap_or_default();
                    format!("; likely cause {}{region}: {}", cause.vendor, cause.why)
                }
                None => "; no likely cause".to_string(),
            };
            out.push_str(&format!(
                "{}  >>> CORRELATED OUTAGE {} (cluster {}): {} vendors since {} ({}){cause}\n",
                p.detected_at,
                c.phase.to_string().to_uppercase(),
                c.cluster_id,
                members.len(),
                c.started_at,
                members.join(", "),
            ));
            continue;
        }
        let vendor = p.vendor().unwrap_or_default();
        let pad = width.saturating_sub(unicode_width::UnicodeWidthStr::width(vendor));
        let change = match p.transition() {
            Some((from, to)) => format!("{from} → {to}"),
            None => e.kind_name(),
        };
        out.push_str(&format!(
            "{}  {vendor}{}  {change:<26}  {}\n",
            p.detected_at,
            " ".repeat(pad),
            p.title
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(vendor: &str, url: &str) -> FeedSpec {
        FeedSpec {
            url: url.into(),
            title: vendor.to_uppercase(),
            vendor: vendor.into(),
            ..FeedSpec::default()
        }
    }

    fn listing(folders: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        folders
            .iter()
            .map(|(name, files)| {
                (
                    name.to_string(),
                    files.iter().map(|f| f.to_string()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn capture_names_are_utc_times_with_a_known_extension() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let cases: &[(&str, Result<DateTime<Utc>, &str>)] = &[
            ("20251020T064600Z.xml", Ok(t("2025-10-20T06:46:00Z"))),
            ("20251020T064600Z.json", Ok(t("2025-10-20T06:46:00Z"))),
            ("20251020T235959Z.HTML", Ok(t("2025-10-20T23:59:59Z"))),
            (
                "20251020T0646Z.xml",
                Err("\"20251020T0646Z\" is not a UTC time"),
            ),
            ("2025-10-20T06:46:00Z.xml", Err("is not a UTC time")),
            ("20251020T064600.xml", Err("is not a UTC time")),
            ("20251320T064600Z.xml", Err("is not a UTC time")),
            ("notes.txt", Err("not a capture (extension .txt)")),
            ("20251020T064600Z", Err("not a capture (no extension)")),
        ];
        for (name, want) in cases {
            match (capture_time(name), want) {
                (Ok(got), Ok(want)) => assert_eq!(&got, want, "{name}"),
                (Err(got), Err(want)) => assert!(got.contains(want), "{name}: {got}"),
                (got, want) => panic!("{name}: {got:?}, wanted {want:?}"),
            }
        }
    }

    #[test]
    fn captures_are_ordered_by_time_then_vendor() {
        let layout = plan(
            Path::new("d"),
            vec![spec("zoom", "replay:zoom"), spec("aws", "replay:aws")],
            &listing(&[
                (
                    "zoom",
                    &["20251020T070000Z.xml", "20251020T064600Z.xml"][..],
                ),
                (
                    "aws",
                    &["20251020T070000Z.json", "20251020T080000Z.xml"][..],
                ),
            ]),
        );
        assert!(layout.warnings.is_empty(), "{:?}", layout.warnings);
        let order: Vec<String> = layout
            .captures
            .iter()
            .map(|c| c.path.display().to_string())
            .collect();
        assert_eq!(
            order,
            [
                "d/zoom/20251020T064600Z.xml",
                "d/aws/20251020T070000Z.json",
                "d/zoom/20251020T070000Z.xml",
                "d/aws/20251020T080000Z.xml"
            ]
        );
        for c in &layout.captures {
            let folder = &layout.feeds[c.feed].1;
            assert!(c.path.starts_with(Path::new("d").join(folder)), "{c:?}");
        }
    }

    #[test]
    fn what_is_left_out_is_named() {
        let layout = plan(
            Path::new("d"),
            vec![
                spec("zoom", "replay:zoom"),
                spec("slack", "https://slack-status.example/feed.atom"),
                spec("ghost", "replay:ghost"),
                spec("empty", "replay:empty"),
            ],
            &listing(&[
                (
                    "zoom",
                    &["20251020T064600Z.xml", "readme.txt", "2025.xml"][..],
                ),
                (
                    "slack",
                    &["20251020T064600Z.xml", "20251020T064600Z.json"][..],
                ),
                ("empty", &[][..]),
                ("stray", &["20251020T064600Z.xml"][..]),
            ]),
        );
        let vendors: Vec<&str> = layout
            .feeds
            .iter()
            .map(|(s, _)| s.vendor.as_str())
            .collect();
        assert_eq!(vendors, ["zoom", "slack"]);
        assert_eq!(layout.captures.len(), 2);
        let warnings = layout.warnings.join("\n");
        for want in [
            "d/zoom/readme.txt: not a capture (extension .txt)",
            "d/zoom/2025.xml: \"2025\" is not a UTC time",
            "d/slack/20251020T064600Z.json: a second capture at 2025-10-20T06:46:00Z (beside 20251020T064600Z.xml)",
            "d/feeds.opml: no folder for feed \"GHOST\" (vendor ghost): its captures go in d/ghost",
            "d/empty: no captures for feed \"EMPTY\"",
            "d/stray: a folder with no outline in feeds.opml",
        ] {
            assert!(warnings.contains(want), "missing {want:?} in\n{warnings}");
        }
        assert_eq!(layout.warnings.len(), 6, "{warnings}");
    }

    #[test]
    fn a_bare_xml_url_names_the_folder_before_the_vendor() {
        let mut s = spec("zoomco", "replay:zoom");
        assert_eq!(folder_candidates(&s), ["zoom", "zoomco"]);
        s.url = "https://status.zoom.example/history.atom".into();
        assert_eq!(folder_candidates(&s), ["zoomco"]);
        let layout = plan(
            Path::new("d"),
            vec![spec("a", "replay:shared"), spec("b", "replay:shared")],
            &listing(&[("shared", &["20251020T064600Z.xml"][..])]),
        );
        assert_eq!(layout.feeds.len(), 1);
        assert!(
            layout.warnings[0].contains("which is feed \"A\"'s"),
            "{:?}",
            layout.warnings
        );
    }
}
