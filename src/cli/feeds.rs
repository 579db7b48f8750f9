//! `statuswatch feeds import|export|list|add|remove|check`: the catalog in the database and
//! its health.

use super::cycle::{human_size, run_cycle, CycleArgs};
use super::discover::{self, Resolved};
use super::output::{render, Listing};
use super::{open_store, print, Format, GlobalArgs, EXIT_OK, EXIT_SOME_FAILED};
use crate::catalog;
use crate::model::{Dependency, Engine, FeedSpec};
use crate::parse::{PageWatch, PageWatchError};
use crate::pipeline::{CycleOptions, FeedReport, FeedResult};
use crate::schedule::{CronSchedule, SYNTAX};
use crate::store::{FeedRow, Store};
use anyhow::{bail, Context};
use chrono::Utc;
use std::path::{Path, PathBuf};

/// Arguments of `feeds`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  statuswatch feeds list
  statuswatch feeds add https://status.example.com --vendor example --category saas
  statuswatch feeds import my-feeds.opml
  statuswatch feeds disable 12
  statuswatch feeds check 12
  statuswatch feeds remove 12 --yes")]
pub struct FeedsArgs {
    #[command(subcommand)]
    pub command: FeedsCommand,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum FeedsCommand {
    /// Add or update feeds from an OPML file (statuswatch's own, or any feed reader's export).
    Import {
        /// The OPML file.
        file: PathBuf,
    },
    /// Write every feed as OPML 2.0 (to stdout, or to --output).
    Export {
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// List feeds with their health.
    List {
        /// table; json: one feed per line (JSON Lines, more fields than the table); csv: a
        /// header row, then the table's columns.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Add one source by URL: a feed, a status API, or a status page's home (its feed or API
    /// is found and added instead, and the command says which).
    Add {
        /// The feed, API or status page URL. It is fetched once to check it, unless --engine
        /// or --no-check is given.
        url: String,
        /// Human title; defaults to the vendor.
        #[arg(long)]
        title: Option<String>,
        /// Short vendor key; defaults to a name taken from the URL's host.
        #[arg(long)]
        vendor: Option<String>,
        /// The status-page engine. It wins over detection: the URL is added as given, without
        /// fetching it. Detected from the source when omitted.
        #[arg(long)]
        engine: Option<Engine>,
        /// Add the URL as given without fetching it now (no check, no search of a status page
        /// for its feed); the engine is detected when it is first polled.
        #[arg(long)]
        no_check: bool,
        /// cloud, saas, gaming, bank, telecom, consumer, gov, or your own.
        #[arg(long)]
        category: Option<String>,
        /// The human status page.
        #[arg(long)]
        html_url: Option<String>,
        /// A cron expression for this feed (overrides the global schedule of `run`).
        #[arg(long)]
        schedule: Option<String>,
        /// A status page with no feed or API: the CSS selector of the element whose text says
        /// the state (such as "main .status"). Makes the engine `page`.
        #[arg(long, value_name = "CSS")]
        selector: Option<String>,
        /// With --selector: a regular expression the text matches when all is well (such as
        /// "(?i)up and running"); other text is read by the rules, and is degraded when they
        /// find nothing worse.
        #[arg(long, value_name = "REGEX", requires = "selector")]
        expect: Option<String>,
        /// What the vendor runs on: other feeds' vendor keys, each with its region when known,
        /// separated by commas (such as "aws:us-east-1,cloudflare"). Correlated-outage
        /// detection names a shared provider as the likely cause.
        #[arg(long, value_name = "PROVIDER[:REGION],...")]
        runs_on: Option<String>,
        /// Send an Authorization header to this feed: VAR names the environment variable that
        /// holds the whole header value (such as "Bearer TOKEN"), read at each fetch. Only the
        /// name is stored; the value is never stored, shown or logged.
        #[arg(long, value_name = "VAR")]
        auth_env: Option<String>,
    },
    /// Stop fetching a feed, keeping its history (it leaves `status` until enabled again).
    Disable {
        /// The feed's id (see `feeds list`) or its exact URL.
        feed: String,
    },
    /// Fetch a disabled feed again.
    Enable {
        /// The feed's id (see `feeds list`) or its exact URL.
        feed: String,
    },
    /// Remove a feed and what is stored about it. Asks first on a terminal; elsewhere
    /// (scripts, pipes) refuses without --yes.
    Remove {
        /// The feed's id (see `feeds list`) or its exact URL.
        feed: String,
        /// Remove without asking (needed when stdin is not a terminal).
        #[arg(long, short)]
        yes: bool,
    },
    /// Fetch feeds now, ignoring backoff and stored validators (a real download), store the
    /// result like `poll` does, and say what happened to each.
    Check {
        /// The feed's id or URL; every enabled feed when omitted.
        feed: Option<String>,
        #[command(flatten)]
        cycle: CycleArgs,
    },
}

/// A feed's health in a word or three, as `feeds list` shows it.
pub fn health_word(f: &FeedRow) -> String {
    if !f.enabled {
        "disabled".into()
    } else if f.last_fetch_at.is_none() {
        "never fetched".into()
    } else if let Some(since) = &f.gone_since {
        format!("gone since {since}")
    } else if f.consecutive_failures == 0 {
        "ok".into()
    } else if f.is_backing_off(Utc::now()) {
        format!("failing ×{}, backing off", f.consecutive_failures)
    } else {
        format!("failing ×{}", f.consecutive_failures)
    }
}

/// One line of `feeds check`: what happened to a feed, in words.
pub fn describe_check(report: &FeedReport) -> String {
    let mut line = format!("{} ({})", report.title, report.url);
    let answered = report.http_status.map(|status| {
        let size = report
            .bytes
            .map(|b| format!(", {}", human_size(b)))
            .unwrap_or_default();
        format!("HTTP {status}{size} in {} ms", report.duration_ms)
    });
    match &report.result {
        FeedResult::Stored {
            new,
            updated,
            events,
            notes,
            ..
        } => {
            line.push_str(&format!(": {}", answered.unwrap_or_default()));
            if let Some(entries) = report.entries {
                line.push_str(&format!(", {entries} entries"));
            }
            line.push_str(&format!(", {new} new"));
            if *updated > 0 {
                line.push_str(&format!(", {updated} revised"));
            }
            if *events > 0 {
                line.push_str(&format!(", {events} events"));
            }
            for note in notes {
                line.push_str(&format!("; {note}"));
            }
        }
        FeedResult::NotModified => {
            line.push_str(&format!(": {}, not modified", answered.unwrap_or_default()));
        }
        FeedResult::Failed { error, counted, .. } => {
            match answered {
                Some(answered) => line.push_str(&format!(": {answered}; failed: {error}")),
                None => line.push_str(&format!(" failed: {error}")),
            }
            match (&report.next_fetch_at, counted) {
                (Some(next), true) => line.push_str(&format!("; next attempt at {next}")),
                (_, false) => line.push_str("; tried again next cycle"),
                (None, true) => {}
            }
        }
        FeedResult::Removed => line.push_str(": removed while it was being checked"),
    }
    if let Some(proxy) = &report.proxy {
        line.push_str(&format!("; through the proxy {proxy}"));
    }
    if let Some(moved) = &report.moved_to {
        line.push_str(&format!(
            "; moved permanently, URL now {}",
            crate::redact::url(moved)
        ));
    }
    line.push('\n');
    line
}

pub fn run(global: &GlobalArgs, args: &FeedsArgs) -> anyhow::Result<i32> {
    let mut store = match &args.command {
        FeedsCommand::List { .. } | FeedsCommand::Export { .. } => {
            super::open_existing_store(&global.db)?
        }
        _ => open_store(&global.db)?,
    };
    match &args.command {
        FeedsCommand::Check { feed, cycle } => {
            let config = super::load_config(global)?;
            check(store, feed.as_deref(), cycle, &config)
        }
        FeedsCommand::Import { file } => import(&mut store, file),
        FeedsCommand::Export { output } => export(&store, output.as_deref()),
        FeedsCommand::List { format } => list(&store, *format),
        FeedsCommand::Add {
            url,
            title,
            vendor,
            engine,
            category,
            html_url,
            schedule,
            selector,
            expect,
            runs_on,
            no_check,
            auth_env,
        } => {
            // A URL already stored, under this spelling or another (the store compares them
            // normalised): change only what the flags give (no fetch: it is known).
            let known = match store.find_feed(url) {
                Ok(feed) => Some(feed),
                Err(crate::store::StoreError::NoSuchFeed(_)) => None,
                Err(e) => return Err(e.into()),
            };
            if let Some(existing) = known {
                let keep = existing.spec;
                let given = |v: &Option<String>, old: Option<String>| v.clone().or(old);
                let mut spec = new_feed(
                    FeedSpec {
                        url: keep.url.clone(),
                        title: title.clone().unwrap_or(keep.title),
                        vendor: vendor.clone().unwrap_or(keep.vendor),
                        engine: engine.or(keep.engine),
                        category: given(category, keep.category),
                        html_url: given(html_url, keep.html_url),
                        schedule: given(schedule, keep.schedule),
                        selector: given(selector, keep.selector),
                        expect: given(expect, keep.expect),
                        runs_on: Vec::new(),
                        auth_env: given(auth_env, keep.auth_env),
                    },
                    runs_on.as_deref(),
                )?;
                if runs_on.is_none() {
                    spec.runs_on = keep.runs_on;
                }
                return add(&mut store, &spec, None);
            }
            let spec = new_feed(
                FeedSpec {
                    url: url.clone(),
                    title: title.clone().unwrap_or_default(),
                    vendor: vendor.clone().unwrap_or_default(),
                    engine: *engine,
                    category: category.clone(),
                    html_url: html_url.clone(),
                    schedule: schedule.clone(),
                    selector: selector.clone(),
                    expect: expect.clone(),
                    runs_on: Vec::new(),
                    auth_env: auth_env.clone(),
                },
                runs_on.as_deref(),
            )?;
            if crate::redact::has_credentials(&spec.url) && spec.auth_env.is_none() {
                super::note(&format!(
                    "Note: {}.",
                    crate::redact::credentials_note(&spec.url, "--auth-env VAR")
                ));
            }
            // Refused now rather than at every poll: where it points, nothing may connect.
            let network = super::load_config(global)?.network;
            if let Ok(parsed) = url::Url::parse(&spec.url) {
                let here = crate::fetch::names_this_machine(&parsed);
                if let Err(refused) = network.check_url(&parsed, here) {
                    anyhow::bail!("cannot add {}: {refused}", spec.shown_url());
                }
            }
            // A named engine (a selector names `page`) says what the URL is: no looking.
            if spec.engine.is_some() || *no_check {
                add(&mut store, &spec, None)
            } else {
                add_checked(&mut store, spec, title.is_some(), &network)
            }
        }
        FeedsCommand::Remove { feed, yes } => remove(&mut store, feed, *yes),
        FeedsCommand::Enable { feed } => set_enabled(&mut store, feed, true),
        FeedsCommand::Disable { feed } => set_enabled(&mut store, feed, false),
    }
}

/// `feeds enable|disable`.
fn set_enabled(store: &mut Store, feed: &str, enabled: bool) -> anyhow::Result<i32> {
    let (row, was) = store.set_feed_enabled(feed, enabled)?;
    let word = if enabled { "enabled" } else { "disabled" };
    let already = if was == enabled {
        " (it already was)"
    } else {
        ""
    };
    print(&format!(
        "Feed {} {} ({}) is {word}{already}.\n",
        row.id,
        row.spec.title,
        row.spec.shown_url()
    ))?;
    Ok(EXIT_OK)
}

/// `feeds check`: fetches now, ignoring backoff and validators, and says what happened.
fn check(
    store: Store,
    feed: Option<&str>,
    cycle: &CycleArgs,
    config: &crate::config::Config,
) -> anyhow::Result<i32> {
    let feeds = match feed {
        Some(which) => vec![store.find_feed(which)?],
        None => store
            .list_feeds()?
            .into_iter()
            .filter(|f| f.enabled)
            .collect(),
    };
    // A replayed feed's documents come only from its replay directory: nothing fetches it.
    let (replayed, feeds): (Vec<_>, Vec<_>) = feeds.into_iter().partition(|f| f.spec.is_replay());
    for f in &replayed {
        super::note(&format!(
            "Feed {} \"{}\" ({}) is a replayed feed: it is never fetched.",
            f.id,
            f.spec.title,
            f.spec.shown_url()
        ));
    }
    if feeds.is_empty() {
        print("No enabled feeds to check.\n")?;
        return Ok(EXIT_OK);
    }
    let options = CycleOptions {
        ignore_validators: true,
    };
    let (_store, summary, reports) = run_cycle(store, feeds, cycle, options, config)?;
    let mut out = String::new();
    for report in &reports {
        out.push_str(&describe_check(report));
    }
    if summary.network_down {
        out.push_str("Most feeds could not be reached: the network looks down, so these failures are not held against the feeds.\n");
    }
    print(&out)?;
    Ok(if summary.errors > 0 {
        EXIT_SOME_FAILED
    } else {
        EXIT_OK
    })
}

/// `feeds import FILE`: adds or updates the OPML file's feeds (all or none: the file is
/// checked whole first).
fn import(store: &mut Store, file: &Path) -> anyhow::Result<i32> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read OPML file {}", file.display()))?;
    let (specs, notes) = catalog::parse_opml_noting(&text, &file.display().to_string())?;
    for note in &notes {
        super::output::error_line(&note.to_string());
    }
    let counts = store.import_feeds(&specs, chrono::Utc::now())?;
    print(&format!(
        "Imported {}: {} feeds added, {} updated, {} unchanged.\n",
        file.display(),
        counts.added,
        counts.updated,
        counts.unchanged
    ))?;
    Ok(EXIT_OK)
}

/// `feeds export`: every feed as OPML 2.0.
fn export(store: &Store, output: Option<&Path>) -> anyhow::Result<i32> {
    let specs: Vec<FeedSpec> = store.list_feeds()?.into_iter().map(|f| f.spec).collect();
    let opml = catalog::to_opml(&specs, "statuswatch feeds");
    match output {
        Some(path) => std::fs::write(path, opml)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print(&opml)?,
    }
    Ok(EXIT_OK)
}

/// `feeds list`: every feed with its health.
fn list(store: &Store, format: Format) -> anyhow::Result<i32> {
    let feeds = store.list_feeds()?;
    let headers = [
        "ID",
        "VENDOR",
        "TITLE",
        "ENGINE",
        "HEALTH",
        "LAST SUCCESS",
        "FAILURES",
        "LAST ERROR",
        "NEXT ATTEMPT",
        "URL",
        "PAGE WATCH",
        "RUNS ON",
    ];
    let empty = format!("{}\n", super::NO_FEEDS);
    let footer = if feeds.is_empty() { empty.as_str() } else { "" };
    let text = render(
        format,
        &Listing::new(&headers, 48).footer(footer),
        &feeds,
        list_row,
        |f| Ok(list_json(f).to_string()),
    )?;
    print(&text)?;
    Ok(EXIT_OK)
}

/// One feed of `feeds list --format json`.
fn list_json(f: &FeedRow) -> serde_json::Value {
    serde_json::json!({
        "id": f.id, "url": f.spec.shown_url(), "title": f.spec.title,
        "vendor": f.spec.vendor, "category": f.spec.category,
        "engine": f.spec.engine.or(f.detected_engine).map(Engine::as_str),
        "enabled": f.enabled, "health": health_word(f),
        "last_fetch_at": f.last_fetch_at,
        "last_success_at": f.last_success_at,
        "last_http_status": f.last_http_status,
        "consecutive_failures": f.consecutive_failures,
        "failing_since": f.failing_since, "gone_since": f.gone_since,
        "last_error": last_error(f), "next_fetch_at": f.next_fetch_at,
        "moving_to": f.redirect_url.as_deref().map(crate::redact::url),
        "selector": f.spec.selector, "expect": f.spec.expect,
        "runs_on": f.spec.runs_on.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

/// One row of the `feeds list` table (and CSV).
fn list_row(f: &FeedRow) -> Vec<String> {
    vec![
        f.id.to_string(),
        f.spec.vendor.clone(),
        f.spec.title.clone(),
        f.spec
            .engine
            .or(f.detected_engine)
            .map(|e| e.to_string())
            .unwrap_or_else(|| "(detect)".into()),
        health_word(f),
        f.last_success_at.clone().unwrap_or_default(),
        f.consecutive_failures.to_string(),
        last_error(f).unwrap_or_default(),
        f.next_fetch_at.clone().unwrap_or_default(),
        f.spec.shown_url().into_owned(),
        page_watch(&f.spec),
        Dependency::list_text(&f.spec.runs_on),
    ]
}

/// A feed's last error as it may be shown: one recorded before errors were redacted may still
/// quote the feed's credentials.
fn last_error(f: &FeedRow) -> Option<String> {
    f.last_error
        .as_deref()
        .map(|e| crate::redact::message(e, &f.spec.url).into_owned())
}

/// A watched page's settings in one cell: `selector`, and `expect /REGEX/` when set.
fn page_watch(spec: &FeedSpec) -> String {
    match (&spec.selector, &spec.expect) {
        (Some(selector), Some(expect)) => format!("{selector}  expect /{expect}/"),
        (Some(selector), None) => selector.clone(),
        (None, _) => String::new(),
    }
}

/// The feed `feeds add` describes, checked: an http(s) URL and, when given, a schedule the
/// daemon can keep, a page watch's selector and pattern, and a `runs_on` list (refused now
/// rather than when `run` first reads them). An empty title or vendor gets its default; a
/// selector makes the engine `page` unless one is named.
fn new_feed(draft: FeedSpec, runs_on: Option<&str>) -> anyhow::Result<FeedSpec> {
    let mut draft = draft.cleaned();
    // One spelling per feed: `HTTPS://Status.Example.com:443` is the feed already stored.
    draft.url = crate::model::normalize_feed_url(&draft.url);
    let url = &crate::redact::url(&draft.url).into_owned();
    let parsed = url::Url::parse(&draft.url)
        .with_context(|| format!("{url:?} is not a URL: give the feed's full address, like https://status.example.com/history.atom"))?;
    if parsed.scheme() != "http" && parsed.scheme() != "https" {
        bail!("{url:?} is not an http(s) URL: statuswatch fetches feeds over HTTP");
    }
    if let Some(expr) = &draft.schedule {
        if let Err(e) = CronSchedule::check(expr) {
            bail!("feed {url}: --schedule: {e}; {SYNTAX}");
        }
    }
    if let Some(css) = &draft.selector {
        if let Err(e) = PageWatch::new(css, draft.expect.as_deref()) {
            let flag = match e {
                PageWatchError::Expect { .. } => "--expect",
                _ => "--selector",
            };
            bail!("feed {url}: {flag}: {e}");
        }
    }
    if let Some(Err(e)) = draft.auth_env.as_deref().map(FeedSpec::check_auth_env) {
        bail!("feed {url}: --auth-env: {e}");
    }
    let vendor = if draft.vendor.trim().is_empty() {
        vendor_from_host(parsed.host_str().unwrap_or("feed"))
    } else {
        draft.vendor
    };
    let runs_on = match runs_on {
        None => Vec::new(),
        Some(text) => Dependency::parse_list_for(&vendor, text)
            .map_err(|e| anyhow::anyhow!("feed {url}: --runs-on: {e}"))?,
    };
    let title = if draft.title.trim().is_empty() {
        vendor.clone()
    } else {
        draft.title
    };
    Ok(FeedSpec {
        title,
        vendor,
        engine: draft
            .engine
            .or(draft.selector.as_ref().map(|_| Engine::Page)),
        selector: draft.selector.map(|s| s.trim().to_string()),
        runs_on,
        ..draft
    })
}

/// `feeds add URL --engine NAME` or `--no-check`: adds the feed as given, or updates the one
/// with that URL; `checked` says what the fetch found, when it was fetched.
fn add(store: &mut Store, spec: &FeedSpec, checked: Option<String>) -> anyhow::Result<i32> {
    let (verb, feed) = store_feed(store, spec)?;
    let checked = checked.map(|c| format!(": {c}")).unwrap_or_default();
    print(&format!(
        "{verb} feed {}: {} ({}){checked}.\n",
        feed.id,
        feed.spec.title,
        feed.spec.shown_url()
    ))?;
    Ok(EXIT_OK)
}

/// `feeds add URL`: fetches the URL once; a source is added as given, a status page's home
/// gives the source found from it (its URL is then the feed's `html_url`, unless one is given).
/// Nothing is stored when nothing usable is found.
/// `feeds add URL` with the check: the URL's own source, or the one its page leads to. With no
/// `--title`, the source's own title names the feed (better than its host).
fn add_checked(
    store: &mut Store,
    mut spec: FeedSpec,
    titled: bool,
    network: &crate::fetch::NetworkPolicy,
) -> anyhow::Result<i32> {
    // Checked with the header a poll will send: a variable not set is refused now.
    let authorization = spec
        .auth_env
        .as_deref()
        .map(crate::fetch::Authorization::from_env)
        .transpose()
        .map_err(|e| anyhow::anyhow!("cannot check {}: {e}", spec.shown_url()))?;
    // Its errors quote the URL: without its credentials.
    let resolved = discover::resolve(&spec.url, network, authorization)
        .map_err(|e| anyhow::anyhow!("{}", crate::redact::message(&format!("{e:#}"), &spec.url)))?;
    let (Resolved::Direct { title, .. } | Resolved::Found { title, .. }) = &resolved;
    if let Some(title) = title
        .as_deref()
        .map(str::trim)
        .filter(|t| !titled && !t.is_empty())
    {
        spec.title = title.to_string();
    }
    match resolved {
        Resolved::Direct { label, entries, .. } => {
            let checked = format!("{} {label}, {entries} entries now", article(&label));
            add(store, &spec, Some(checked))
        }
        Resolved::Found { url, label, .. } => {
            let page = std::mem::replace(&mut spec.url, crate::model::normalize_feed_url(&url));
            spec.html_url.get_or_insert_with(|| page.clone());
            let (verb, feed) = store_feed(store, &spec)?;
            print(&format!(
                "Found {} ({label}) from {}; {} feed {}.\n",
                feed.spec.shown_url(),
                crate::redact::url(&page),
                verb.to_lowercase(),
                feed.id
            ))?;
            Ok(EXIT_OK)
        }
    }
}

/// "a" or "an" before a label.
fn article(label: &str) -> &'static str {
    if label.starts_with(['A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Adds the feed or updates the one with its URL: "Added" or "Updated", and the stored row.
fn store_feed(store: &mut Store, spec: &FeedSpec) -> anyhow::Result<(&'static str, FeedRow)> {
    let counts = store.import_feeds(std::slice::from_ref(spec), chrono::Utc::now())?;
    let feed = store.find_feed(&spec.url)?;
    let verb = if counts.added == 1 {
        "Added"
    } else {
        "Updated"
    };
    Ok((verb, feed))
}

/// `feeds remove FEED`: the feed and everything stored about it, once confirmed (`--yes`, or
/// a "y" on the terminal). Removing the last feed leaves the database without feeds: only a
/// new database gets the bundled catalog, so it never comes back by itself.
fn remove(store: &mut Store, feed: &str, yes: bool) -> anyhow::Result<i32> {
    let row = store.find_feed(feed)?;
    if !yes {
        let entries = store.feed_entry_count(row.id)?;
        let what = format!(
            "feed {} ({}) and its {entries} stored entries",
            row.id, row.spec.vendor
        );
        if !super::output::stdin_is_terminal() {
            bail!("not removing {what}: stdin is not a terminal, so there is no one to ask; pass --yes to remove it");
        }
        if !super::output::confirm(&format!("Remove {what}?"))? {
            print("Nothing removed.\n")?;
            return Ok(EXIT_OK);
        }
    }
    let removed = store.remove_feed(&row.id.to_string())?;
    print(&format!(
        "Removed feed {}: {} ({}) and its stored entries.\n",
        removed.id,
        removed.spec.title,
        removed.spec.shown_url()
    ))?;
    Ok(EXIT_OK)
}

/// A vendor key from a host: `status.zoom.us` → `zoom`, `www.githubstatus.com` → `githubstatus`.
pub fn vendor_from_host(host: &str) -> String {
    let labels: Vec<&str> = host
        .split('.')
        .filter(|l| !matches!(*l, "www" | "status" | "health" | "rss" | "feeds"))
        .collect();
    labels.first().copied().unwrap_or(host).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::{describe_check, vendor_from_host};
    use crate::pipeline::FeedReport;

    #[test]
    fn a_feed_removed_during_the_check_says_so() {
        let report = FeedReport::removed(
            7,
            "Example".into(),
            "https://status.example.com/history.atom".into(),
        );
        assert_eq!(
            describe_check(&report),
            "Example (https://status.example.com/history.atom): removed while it was being checked\n"
        );
    }

    #[test]
    fn vendor_comes_from_the_meaningful_host_label() {
        assert_eq!(vendor_from_host("status.zoom.us"), "zoom");
        assert_eq!(vendor_from_host("www.githubstatus.com"), "githubstatus");
        assert_eq!(vendor_from_host("127.0.0.1"), "127");
    }
}
