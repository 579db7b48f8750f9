//! The command line: one file per subcommand, plus the helpers they share (opening the
//! database, output formats, tables). `anyhow` lives here and in `main.rs` only.

pub mod cycle;
pub mod feeds;
pub mod init;
pub mod poll;
pub mod query;
pub mod status;
pub mod table;

use crate::catalog;
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
    /// SQLite database file; created (schema only) when missing.
    #[arg(
        long,
        global = true,
        env = "STATUSWATCH_DB",
        default_value = "statuswatch.db",
        value_name = "PATH"
    )]
    pub db: PathBuf,
}

/// Output format of listing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Opens the database for writing, creating it when missing.
pub fn open_store(path: &Path) -> anyhow::Result<Store> {
    Store::open(path).with_context(|| format!("cannot use database {}", path.display()))
}

/// Imports the bundled `feeds.opml` into a database that has no feeds at all, so the main job
/// needs no set-up. Returns how many feeds were added.
pub fn seed_bundled_catalog(store: &mut Store) -> anyhow::Result<usize> {
    if store.feed_count()? > 0 {
        return Ok(0);
    }
    let specs = catalog::parse_opml(catalog::BUNDLED_OPML, "bundled feeds.opml")
        .context("the bundled catalog is broken (a bug in this build)")?;
    let counts = store.import_feeds(&specs)?;
    Ok(counts.added)
}

/// Writes text to stdout; a closed pipe (`| head`) is not an error.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}
