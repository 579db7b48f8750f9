//! `statuswatch init`: create the database and import the bundled catalog (idempotent).

use super::{open_store, print, GlobalArgs, EXIT_OK};
use crate::catalog;

/// Arguments of `init`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  statuswatch init
  statuswatch --db /var/lib/statuswatch/archive.db init")]
pub struct InitArgs {}

pub fn run(global: &GlobalArgs, _args: &InitArgs) -> anyhow::Result<i32> {
    let mut store = open_store(&global.db)?;
    let specs = catalog::parse_opml(catalog::BUNDLED_OPML, "bundled feeds.opml")?;
    let counts = store.import_feeds(&specs, chrono::Utc::now())?;
    print(&format!(
        "Database {} is ready (schema version {}). Bundled catalog: {} feeds added, {} updated, {} already present.\n",
        global.db.display(),
        store.schema_version()?,
        counts.added,
        counts.updated,
        counts.unchanged
    ))?;
    Ok(EXIT_OK)
}
