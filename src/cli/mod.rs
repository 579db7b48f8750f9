//! The command line: one file per subcommand, plus the helpers they share (opening the
//! database, output formats, tables). `anyhow` lives here and in `main.rs` only.

pub mod classify;
pub mod clusters;
pub mod cycle;
pub mod discover;
pub mod events;
pub mod feeds;
pub mod history;
pub mod init;
pub mod manual;
pub mod output;
pub mod overrides;
pub mod panics;
pub mod poll;
pub mod query;
pub mod reclassify;
pub mod replay;
pub mod run;
pub mod serve;
pub mod status;
pub mod table;
pub mod webhooks;

pub use crate::duration::parse_duration;
pub use output::{note, ColorChoice, Format};

use crate::catalog;
use crate::config::Config;
use crate::store::Store;
use anyhow::Context;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Exit code: everything worked.
pub const EXIT_OK: i32 = 0;
/// Exit code: a fatal error (configuration, database, bad arguments).
pub const EXIT_FATAL: i32 = 1;
/// Exit code: the command ran, but some feeds failed.
pub const EXIT_SOME_FAILED: i32 = 2;

/// Options every subcommand takes.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// SQLite database file. Commands that write create it when missing; those that only read
    /// (status, history, events, query, clusters, feeds list, serve) need it to exist.
    /// Default: ./statuswatch.db when it exists, else
    /// $XDG_DATA_HOME/statuswatch/statuswatch.db (~/.local/share/statuswatch/statuswatch.db).
    #[arg(
        long,
        global = true,
        env = "STATUSWATCH_DB",
        default_value = DB_FILE,
        hide_default_value = true,
        value_name = "PATH"
    )]
    pub db: PathBuf,
    /// Log format on stderr: text for people, json for log collectors. RUST_LOG sets the level.
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Configuration file (webhooks, schedule); must exist when given. Default:
    /// ./statuswatch.toml, else $XDG_CONFIG_HOME/statuswatch/config.toml, else none.
    #[arg(long, global = true, env = "STATUSWATCH_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Errors only: no notes or summaries (listings and requested data still print).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// More logging on stderr: -v debug, -vv trace (RUST_LOG, when set, wins).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Colour on stdout and stderr: auto (a terminal, unless NO_COLOR is set), always, never.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub color: ColorChoice,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Loads and validates the configuration file (see [`Config::load`]).
pub fn load_config(global: &GlobalArgs) -> anyhow::Result<Config> {
    Ok(Config::load(global.config.as_deref())?)
}

/// The database's file name, in the working directory or the data directory.
pub const DB_FILE: &str = "statuswatch.db";

/// The database when neither `--db` nor `STATUSWATCH_DB` names one: `./statuswatch.db` when it
/// exists (where earlier versions kept it), else `statuswatch.db` in the [`data_dir`], else (no
/// `XDG_DATA_HOME` or `HOME` to find it by) `./statuswatch.db`.
pub fn default_db() -> PathBuf {
    let local = PathBuf::from(DB_FILE);
    if local.exists() {
        return local;
    }
    data_dir().map_or(local, |dir| dir.join(DB_FILE))
}

/// `$XDG_DATA_HOME/statuswatch` (an absolute path, per the XDG spec), else
/// `$HOME/.local/share/statuswatch`.
pub fn data_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".local").join("share"))
        })?;
    Some(base.join("statuswatch"))
}

/// Creates the [`data_dir`] when `path` (a database or its lock file) is in it and it is
/// missing: the default database's directory is ours to make. Any other path's directory is
/// the user's, so a mistyped `--db` is an error, never a new directory.
pub fn create_data_dir(path: &Path) -> anyhow::Result<()> {
    let Some(dir) = data_dir() else {
        return Ok(());
    };
    if path.parent() == Some(dir.as_path()) && !dir.exists() {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    }
    Ok(())
}

/// Opens the database for writing, creating it when missing (and the data directory, for the
/// default database).
pub fn open_store(path: &Path) -> anyhow::Result<Store> {
    create_data_dir(path)?;
    Store::open(path).with_context(|| format!("cannot use database {}", path.display()))
}

/// Opens a database that must already exist, for the commands that only read (`status`,
/// `history`, `events`, `query`, `clusters`, `feeds list|export`): a mistyped `--db` is an
/// error naming the path, never a new empty archive that answers "nothing happened".
pub fn open_existing_store(path: &Path) -> anyhow::Result<Store> {
    if !path.exists() {
        anyhow::bail!(
            "no database at {}: nothing has been polled into it; run `statuswatch poll` first, or give the right --db (or STATUSWATCH_DB)",
            path.display()
        );
    }
    open_store(path)
}

/// [`open_existing_store`] for the commands that only read (`status`, `query`): a read-only
/// connection, so they work on a read-only file system too. A database older than this build
/// is opened for writing once, to be migrated.
pub fn open_existing_read_only(path: &Path) -> anyhow::Result<Store> {
    if !path.exists() {
        return open_existing_store(path);
    }
    let store = Store::open_read_only_once(path)
        .with_context(|| format!("cannot read database {}", path.display()))?;
    if store.schema_is_current()? {
        return Ok(store);
    }
    drop(store);
    drop(open_existing_store(path)?);
    Ok(Store::open_read_only_once(path)?)
}

/// Opens the database for the commands that poll (`poll`, `run`). One this call creates gets
/// the bundled catalog, so the main job needs no set-up; an existing one without feeds stays
/// empty (its owner removed them: the catalog must not come back). Returns how many feeds
/// were imported.
pub fn open_store_seeded(path: &Path) -> anyhow::Result<(Store, usize)> {
    let new = !path.exists();
    let mut store = open_store(path)?;
    let seeded = if new {
        seed_bundled_catalog(&mut store)?
    } else {
        0
    };
    Ok((store, seeded))
}

/// Imports the bundled `feeds.opml` into a database that has no feeds at all. Returns how
/// many feeds were added.
pub fn seed_bundled_catalog(store: &mut Store) -> anyhow::Result<usize> {
    if store.feed_count()? > 0 {
        return Ok(0);
    }
    let specs = catalog::parse_opml(catalog::BUNDLED_OPML, "bundled feeds.opml")
        .context("the bundled catalog is broken (a bug in this build)")?;
    let counts = store.import_feeds(&specs, chrono::Utc::now())?;
    Ok(counts.added)
}

/// What `poll` and `run` say about a database without feeds.
pub const NO_FEEDS: &str = "The database has no feeds: add some (`statuswatch feeds add URL`, `feeds import FILE`), or import the bundled catalog with `statuswatch init`.";

/// Writes text to stdout; a closed pipe (`| head`) is not an error.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Reads a `--since` value: an RFC 3339 time, a date (`2025-10-01`, midnight UTC), or an age in
/// the words every duration flag reads (`90m`, `36h`, `7d`, `2w`, `1d 12h`: that long before now).
/// Returns the stored text form.
pub fn parse_since(value: &str) -> anyhow::Result<String> {
    use chrono::{DateTime, NaiveDate, Utc};
    let v = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(crate::store::time_text(t.with_timezone(&Utc)));
    }
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        if let Some(t) = d.and_hms_opt(0, 0, 0) {
            return Ok(crate::store::time_text(t.and_utc()));
        }
    }
    let age = parse_duration(v).map_err(|e| since_error(value, &e.reason))?;
    // An age from before the calendar begins (`999999999d`) is a typo, not a crash.
    let since = chrono::Duration::from_std(age)
        .ok()
        .and_then(|age| Utc::now().checked_sub_signed(age))
        .ok_or_else(|| since_error(value, "too long ago"))?;
    Ok(crate::store::time_text(since))
}

/// [`load_rules`] for a command that may classify nothing (`poll`, `run`): without a rules
/// file, the embedded rules compile only if an entry needs them.
pub fn load_shared_rules(
    path: Option<&std::path::Path>,
) -> anyhow::Result<crate::classify::SharedRules> {
    match path {
        None => Ok(crate::classify::SharedRules::default()),
        Some(_) => Ok(load_rules(path)?.into()),
    }
}

/// The embedded rules plus the user's rules file, if one is given: what every command that
/// classifies runs with, read once when it starts. The file is read here, at the edge, so the
/// classify stage stays free of I/O.
pub fn load_rules(path: Option<&std::path::Path>) -> anyhow::Result<crate::classify::Rules> {
    let rules = crate::classify::Rules::embedded();
    let Some(path) = path else {
        return Ok(rules);
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read rules file {}", path.display()))?;
    Ok(rules.with_overrides(&text, &path.display().to_string())?)
}

fn since_error(value: &str, reason: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "cannot read --since {value:?} ({reason}): give a time (2025-10-20T07:00:00Z), a date (2025-10-20) or an age (90m, 36h, 7d, 2w)"
    )
}

#[cfg(test)]
mod tests {
    use super::{load_rules, parse_since};
    use crate::classify::Rules;

    #[test]
    fn load_rules_reads_the_users_file_or_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.toml");
        std::fs::write(
            &path,
            "[[rule]]\nname='mine'\nfield='title'\nregex='kaputt'\nstatus='outage'\n",
        )
        .unwrap();
        let embedded = Rules::embedded().rules().len();
        assert_eq!(load_rules(Some(&path)).unwrap().rules().len(), embedded + 1);
        assert_eq!(load_rules(None).unwrap().rules().len(), embedded);
        let missing = dir.path().join("missing.toml");
        let err = format!("{:#}", load_rules(Some(&missing)).unwrap_err());
        assert!(
            err.starts_with(&format!("cannot read rules file {}: ", missing.display())),
            "{err}"
        );
    }

    #[test]
    fn since_reads_times_dates_and_ages() {
        assert_eq!(
            parse_since("2025-10-20T09:00:00+02:00").unwrap(),
            "2025-10-20T07:00:00Z"
        );
        assert_eq!(parse_since("2025-10-20").unwrap(), "2025-10-20T00:00:00Z");
        assert!(parse_since("7d").unwrap() < parse_since("1d").unwrap());
        let err = parse_since("last tuesday").unwrap_err().to_string();
        assert!(err.contains("--since"), "{err}");
        assert!(parse_since("5y").is_err());
    }

    #[test]
    fn since_reads_the_same_ages_as_duration_flags() {
        // `2h 30m` and `90s` were refused before ages shared the duration flags' reader.
        for age in ["2w", "2h 30m", "90s", "36h", "1d 12h"] {
            assert!(parse_since(age).is_ok(), "{age}");
        }
        assert!(parse_since("1d 12h").unwrap() < parse_since("1d").unwrap());
        let err = parse_since("3 fortnights").unwrap_err().to_string();
        assert!(err.contains("unknown unit \"fortnights\""), "{err}");
    }

    #[test]
    fn an_age_older_than_the_calendar_is_an_error_not_a_crash() {
        // Found by fuzzing: subtracting it from now overflowed and panicked.
        let err = parse_since("2413130090d").unwrap_err().to_string();
        assert!(
            err.starts_with("cannot read --since \"2413130090d\""),
            "{err}"
        );
    }
}
