//! Append-only numbered migrations, applied on open and tracked by `PRAGMA user_version`.
//!
//! Never edit a migration once it has shipped: add the next number. `schema.sql` is the whole
//! current schema for people; `tests/store_schema.rs` checks the migrations produce exactly it.

use super::StoreError;
use rusqlite::{Connection, TransactionBehavior};
use std::path::Path;

/// Every migration, in order; migration `i` (0-based) brings the schema to version `i + 1`.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_initial",
        include_str!("../../migrations/0001_initial.sql"),
    ),
    (
        "0002_fetching",
        include_str!("../../migrations/0002_fetching.sql"),
    ),
    (
        "0003_webhooks",
        include_str!("../../migrations/0003_webhooks.sql"),
    ),
    ("0004_perf", include_str!("../../migrations/0004_perf.sql")),
    (
        "0005_overrides",
        include_str!("../../migrations/0005_overrides.sql"),
    ),
    (
        "0006_self_contained_events",
        include_str!("../../migrations/0006_self_contained_events.sql"),
    ),
    (
        "0007_page_sources",
        include_str!("../../migrations/0007_page_sources.sql"),
    ),
    (
        "0008_reported_state",
        include_str!("../../migrations/0008_reported_state.sql"),
    ),
    (
        "0009_same_incident",
        include_str!("../../migrations/0009_same_incident.sql"),
    ),
    (
        "0010_correlation",
        include_str!("../../migrations/0010_correlation.sql"),
    ),
    (
        "0011_incident_reads",
        include_str!("../../migrations/0011_incident_reads.sql"),
    ),
    (
        "0012_webhook_gone",
        include_str!("../../migrations/0012_webhook_gone.sql"),
    ),
    (
        "0013_feed_auth_env",
        include_str!("../../migrations/0013_feed_auth_env.sql"),
    ),
    (
        "0014_fetch_notes",
        include_str!("../../migrations/0014_fetch_notes.sql"),
    ),
];

/// The whole current schema, as people read it.
pub const SCHEMA_SQL: &str = include_str!("../../schema.sql");

/// Applies every migration the database has not seen, each in its own transaction.
pub(super) fn apply(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > known {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            known,
        });
    }
    let mut upgraded = false;
    for (index, (name, sql)) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = index as i64 + 1;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another process opening the database at the same moment may have applied it while
        // this one waited for the lock: the version read above is stale by then.
        let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if now >= version {
            continue;
        }
        tx.execute_batch(sql)
            .map_err(|source| StoreError::Migration { name, source })?;
        // user_version cannot be bound as a parameter; `version` is our own integer.
        tx.execute_batch(&format!("PRAGMA user_version = {version}"))
            .map_err(|source| StoreError::Migration { name, source })?;
        tx.commit()
            .map_err(|source| StoreError::Migration { name, source })?;
        upgraded = found > 0;
    }
    if upgraded && has_statistics(conn)? {
        // An archive that was analysed before has statistics for its old indexes only, and
        // the planner may then pass over a new index for a scan of a million rows (one never
        // analysed has none for any index, so the planner treats them alike). Sampled
        // (analysis_limit) so an upgrade of a large archive takes moments; statistics only
        // steer the planner, so failing to gather them is not a reason to refuse the file.
        if let Err(error) = conn.execute_batch("PRAGMA analysis_limit = 1000; ANALYZE;") {
            tracing::warn!(%error, path = %path.display(), "Could not refresh the query planner's statistics after the upgrade.");
        }
    }
    Ok(())
}

/// Whether `ANALYZE` (or `PRAGMA optimize`) has ever stored planner statistics here. Asked
/// rather than inferred from the version found on open: two processes creating a database
/// at once would otherwise see one of them "upgrade" it and analyse a fresh file.
fn has_statistics(conn: &Connection) -> Result<bool, StoreError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1')",
        [],
        |r| r.get(0),
    )?)
}
