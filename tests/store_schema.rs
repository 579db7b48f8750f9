//! The migrations must build exactly the schema that `schema.sql` shows people, and the
//! store must refuse databases from the future instead of damaging them.

use rusqlite::Connection;
use statuswatch::store::{Store, StoreError, MIGRATIONS, SCHEMA_SQL};
use std::collections::BTreeMap;

/// Removes `--` comments and folds white space, so text laid out differently compares equal.
fn normalize_sql(sql: &str) -> String {
    let without_comments: Vec<&str> = sql
        .lines()
        .map(|line| match line.find("--") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect();
    without_comments
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("( ", "(")
        .replace(" )", ")")
}

/// A structural description of every object: columns, keys and indexes of tables (as SQLite
/// reports them, which is the same whether a column came from CREATE or ALTER), and the
/// normalized text of views and triggers.
fn describe(conn: &Connection) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stmt = conn
        .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    let objects: Vec<(String, String, String, Option<String>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (kind, name, table, sql) in objects {
        let text = match kind.as_str() {
            "table" => {
                let mut parts = Vec::new();
                let pragmas = [
                    format!("PRAGMA table_xinfo('{name}')"),
                    format!("PRAGMA foreign_key_list('{name}')"),
                ];
                for pragma in pragmas {
                    let mut s = conn.prepare(&pragma).unwrap();
                    let width = s.column_count();
                    let rows: Vec<String> = s
                        .query_map([], |r| {
                            let cells: Vec<String> = (0..width)
                                .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                                .collect();
                            Ok(cells.join("|"))
                        })
                        .unwrap()
                        .collect::<Result<_, _>>()
                        .unwrap();
                    parts.push(rows.join("\n"));
                }
                let without_rowid = sql.as_deref().unwrap_or("").contains("WITHOUT ROWID");
                parts.push(format!("without_rowid={without_rowid}"));
                parts.join("\n--\n")
            }
            "index" => format!(
                "on {table}: {}",
                normalize_sql(sql.as_deref().unwrap_or("(automatic)"))
            ),
            _ => normalize_sql(sql.as_deref().unwrap_or("")),
        };
        out.insert(format!("{kind} {name}"), text);
    }
    out
}

#[test]
fn migrations_build_exactly_schema_sql() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("migrated.db");
    drop(Store::open(&path).unwrap());
    let migrated = Connection::open(&path).unwrap();

    let reference = Connection::open_in_memory().unwrap();
    reference.execute_batch(SCHEMA_SQL).unwrap();

    let got = describe(&migrated);
    let want = describe(&reference);
    assert!(!want.is_empty(), "schema.sql defines nothing");
    for (name, text) in &want {
        assert_eq!(
            got.get(name),
            Some(text),
            "{name} differs between migrations and schema.sql"
        );
    }
    let extra: Vec<&String> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    assert!(
        extra.is_empty(),
        "migrations create objects schema.sql lacks: {extra:?}"
    );

    let version: i64 = migrated
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, MIGRATIONS.len() as i64);
}

#[test]
fn schema_sql_holds_the_documented_tables_and_views() {
    let reference = Connection::open_in_memory().unwrap();
    reference.execute_batch(SCHEMA_SQL).unwrap();
    let names = describe(&reference);
    for table in [
        "feeds",
        "fetches",
        "entries",
        "entry_revisions",
        "updates",
        "incidents",
        "service_state",
        "events",
        "deliveries",
    ] {
        assert!(
            names.contains_key(&format!("table {table}")),
            "missing table {table}"
        );
    }
    for view in ["current_status", "outages", "feed_health"] {
        assert!(
            names.contains_key(&format!("view {view}")),
            "missing view {view}"
        );
    }
}

#[test]
fn reopening_is_idempotent_and_pragmas_are_set() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("again.db");
    drop(Store::open(&path).unwrap());
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let conn = Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_database_from_a_newer_version_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE precious (x); INSERT INTO precious VALUES (42); PRAGMA user_version = 999;")
            .unwrap();
    }
    match Store::open(&path) {
        Err(StoreError::TooNew { found, .. }) => assert_eq!(found, 999),
        other => panic!("expected TooNew, got {other:?}"),
    }
    let conn = Connection::open(&path).unwrap();
    let kept: i64 = conn
        .query_row("SELECT x FROM precious", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kept, 42);
}

#[test]
fn the_query_door_is_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ro.db");
    drop(Store::open(&path).unwrap());
    let store = Store::open_read_only(&path).unwrap();
    assert!(store.query("DELETE FROM feeds").is_err());
    assert!(store.query("CREATE TABLE x (y)").is_err());
    let result = store.query("SELECT count(*) AS n FROM feeds").unwrap();
    assert_eq!(result.columns, vec!["n".to_string()]);
}

#[test]
fn an_upgrade_gathers_statistics_for_the_indexes_it_adds() {
    // An archive from before the migration that adds an index of incidents, already
    // analysed once, with incidents in it.
    let added = "incidents_feed_started";
    let old = MIGRATIONS
        .iter()
        .position(|(_, sql)| sql.contains(&format!("CREATE INDEX {added} ")))
        .expect("a migration adds the index");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let conn = Connection::open(&path).unwrap();
        for (_, sql) in &MIGRATIONS[..old] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(&format!("PRAGMA user_version = {old}"))
            .unwrap();
        conn.execute(
            "INSERT INTO feeds (id, url, title, vendor, added_at)
             VALUES (1, 'http://127.0.0.1:9/a.atom', 'a', 'a', '2026-01-01T00:00:00Z')",
            [],
        )
        .unwrap();
        for i in 0..50 {
            conn.execute(
                "INSERT INTO incidents (feed_id, incident_key, title, status, worst_status, started_at, updated_at)
                 VALUES (1, ?1, 't', 'resolved', 'outage', ?2, ?2)",
                rusqlite::params![format!("k{i}"), format!("2026-01-{:02}T00:00:00Z", i % 28 + 1)],
            )
            .unwrap();
        }
        conn.execute_batch("ANALYZE").unwrap();
    }
    let stats_for = |index: &str| -> i64 {
        Connection::open(&path)
            .unwrap()
            .query_row(
                "SELECT count(*) FROM sqlite_stat1 WHERE idx = ?1",
                [index],
                |r| r.get(0),
            )
            .unwrap_or(0)
    };
    assert_eq!(
        stats_for("incidents_started"),
        1,
        "analysed before the upgrade"
    );
    assert_eq!(stats_for(added), 0);

    drop(Store::open(&path).unwrap());
    assert_eq!(stats_for(added), 1, "the upgrade analysed the new index");
}
