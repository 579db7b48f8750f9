//! The floor under a cold poll, for `bench/e2e.sh`: what the two unavoidable parts of it cost
//! alone, single-threaded, in the same run as the pollers.
//!
//! ```sh
//! cargo run --release --example floor -- --corpus DIR --from SW_DB --into NEW_DB
//! ```
//!
//! 1. **Parse**: feed-rs over every document of the generated corpus (`DIR`, as
//!    `examples/gen_feeds.rs` writes it), nothing else: no repair pass, no timeline, no
//!    classification, no digests.
//! 2. **Insert**: the rows a cold poll stored (`SW_DB`, read into memory first, untimed) in
//!    the tables that hold entries (`fetches`, `incidents`, `entries`, `entry_revisions`,
//!    `updates`), inserted again into a fresh database with statuswatch's schema and pragmas
//!    (`NEW_DB`, created by `Store::open`) in one transaction: no lookups, no savepoints, no
//!    events. A benchmark tool, so it holds its own SQL (the library's stays in `src/store/`).
//!
//! Prints one JSON line: each part's CPU seconds (user + system, `getrusage`) and counts.

use rusqlite::types::Value;
use rusqlite::Connection;
use statuswatch::store::Store;
use std::path::PathBuf;

/// The tables a cold poll fills with the entries, in an order their foreign keys accept.
const TABLES: [&str; 5] = [
    "fetches",
    "incidents",
    "entries",
    "entry_revisions",
    "updates",
];

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut corpus = None;
    let mut from = None;
    let mut into = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().ok_or(format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--corpus" => corpus = Some(PathBuf::from(value)),
            "--from" => from = Some(PathBuf::from(value)),
            "--into" => into = Some(PathBuf::from(value)),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let corpus = corpus.ok_or("--corpus DIR is required")?;
    let from = from.ok_or("--from SW_DB is required")?;
    let into = into.ok_or("--into NEW_DB is required")?;

    // Parse: the documents are read first, so only feed-rs is timed.
    let mut bodies = Vec::new();
    let mut dirs = vec![corpus];
    while let Some(dir) = dirs.pop() {
        for file in std::fs::read_dir(&dir)? {
            let path = file?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.file_name().is_some_and(|n| n != "feeds.opml") {
                bodies.push(std::fs::read(&path)?);
            }
        }
    }
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    let before = cpu_seconds();
    let mut entries = 0;
    for body in &bodies {
        let feed = feed_rs::parser::parse(body.as_slice())
            .map_err(|e| format!("feed-rs cannot read a corpus document: {e}"))?;
        entries += feed.entries.len();
    }
    let parse_cpu = cpu_seconds() - before;
    drop(bodies);

    // Insert: the schema and pragmas are the store's; the feeds are copied untimed (the
    // cold poll did not insert them either).
    drop(Store::open(&into)?);
    let source = Connection::open(&from)?;
    let mut target = Connection::open(&into)?;
    for (pragma, value) in [
        ("synchronous", "NORMAL"),
        ("foreign_keys", "ON"),
        ("temp_store", "MEMORY"),
        ("cache_size", "-8192"),
    ] {
        target.pragma_update(None, pragma, value)?;
    }
    let feeds = read_table(&source, "feeds")?;
    let tx = target.transaction()?;
    insert_rows(&tx, "feeds", &feeds)?;
    tx.commit()?;
    let tables: Vec<(&str, Vec<Vec<Value>>)> = TABLES
        .iter()
        .map(|t| Ok((*t, read_table(&source, t)?)))
        .collect::<rusqlite::Result<_>>()?;
    let rows: usize = tables.iter().map(|(_, r)| r.len()).sum();
    let before = cpu_seconds();
    let tx = target.transaction()?;
    for (table, table_rows) in &tables {
        insert_rows(&tx, table, table_rows)?;
    }
    tx.commit()?;
    let insert_cpu = cpu_seconds() - before;

    println!(
        "{{\"parse_cpu_s\": {parse_cpu:.3}, \"documents_bytes\": {bytes}, \"entries\": {entries}, \
         \"insert_cpu_s\": {insert_cpu:.3}, \"rows\": {rows}, \"floor_cpu_s\": {:.3}}}",
        parse_cpu + insert_cpu
    );
    Ok(())
}

fn read_table(conn: &Connection, table: &str) -> rusqlite::Result<Vec<Vec<Value>>> {
    let mut stmt = conn.prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))?;
    let columns = stmt.column_count();
    let rows = stmt.query_map([], |r| {
        (0..columns)
            .map(|i| r.get::<_, Value>(i))
            .collect::<rusqlite::Result<Vec<_>>>()
    })?;
    rows.collect()
}

fn insert_rows(conn: &Connection, table: &str, rows: &[Vec<Value>]) -> rusqlite::Result<()> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let marks = vec!["?"; first.len()].join(", ");
    let mut stmt = conn.prepare(&format!("INSERT INTO {table} VALUES ({marks})"))?;
    for row in rows {
        stmt.execute(rusqlite::params_from_iter(row.iter()))?;
    }
    Ok(())
}
