//! Fills a statuswatch database with a large archive of history, fast, for the growth benchmark.
//!
//! ```sh
//! cargo run --release --example fill_archive -- --db DB --entries 1000000
//! ```
//!
//! The database must already hold its feeds (`statuswatch feeds import`). Each feed gets an
//! equal share of old, resolved entries spread over the five years before 2026: one `entries`
//! row, its `entry_revisions` row (the entry as JSON, as the store writes it), three `updates`
//! and its incident (AWS feeds chain theirs by service-region, as the AWS extractor does).
//! Bulk SQL in one transaction, consistent with `schema.sql`; no event, no service state, since
//! history that is over raises none. Used by `bench/growth.sh`.

use rusqlite::{params, Connection};
use sha2::{Digest, Sha256};
use statuswatch::model::{Entry, Update};
use statuswatch::store::{time_text, Store};
use std::path::PathBuf;

// The same words, titles and base time as the generated feeds (`bench/e2e.sh`).
#[path = "../benches/corpus/mod.rs"]
mod corpus;
use corpus::{at, BASE, TITLES, WORDS};

const SPAN: i64 = 5 * 365 * 86_400;

fn text(seed: u64, len: usize) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut s = String::with_capacity(len + 12);
    while s.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(WORDS[(x % WORDS.len() as u64) as usize]);
    }
    s.push('.');
    s
}

fn hash_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn main() {
    let mut db = PathBuf::from("statuswatch.db");
    let mut total: usize = 1_000_000;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match (flag.as_str(), args.next()) {
            ("--db", Some(v)) => db = PathBuf::from(v),
            ("--entries", Some(v)) => total = v.parse().unwrap_or(total),
            _ => {
                eprintln!("usage: fill_archive --db DB --entries N");
                std::process::exit(2);
            }
        }
    }
    if let Err(e) = fill(&db, total) {
        eprintln!("fill_archive: {e}");
        std::process::exit(1);
    }
}

fn fill(db: &std::path::Path, total: usize) -> Result<(), Box<dyn std::error::Error>> {
    drop(Store::open(db)?); // the schema, by the project's own migrations
    let mut conn = Connection::open(db)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA foreign_keys = ON;",
    )?;
    let feeds: Vec<(i64, Option<String>)> = conn
        .prepare("SELECT id, engine FROM feeds ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    if feeds.is_empty() {
        return Err("the database has no feeds: import the OPML first".into());
    }
    let per_feed = total.div_ceil(feeds.len());
    let step = SPAN / per_feed as i64;
    let seen = time_text(at(BASE - 86_400));
    let started = std::time::Instant::now();
    let tx = conn.transaction()?;
    {
        let mut inc = tx.prepare(
            "INSERT INTO incidents (feed_id, incident_key, chain_key, title, link, status, worst_status,
                 phase, severity, components, started_at, resolved_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'resolved', ?6, 'resolved', NULL, ?7, ?8, ?9, ?9)",
        )?;
        let mut ent = tx.prepare(
            "INSERT INTO entries (feed_id, entry_key, key_derived, title, link, published_at, updated_at,
                 started_at, first_seen_at, last_seen_at, content_hash, status, phase, rule, severity,
                 components, incident_id, last_fetch_id)
             VALUES (?1, ?2, 0, ?3, ?4, ?5, ?6, ?5, ?7, ?7, ?8, 'resolved', 'resolved', 'label-resolved',
                 NULL, ?9, ?10, NULL)",
        )?;
        let mut rev = tx.prepare(
            "INSERT INTO entry_revisions (entry_id, revision, seen_at, content_hash, title, content,
                 entry_json, status) VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, 'resolved')",
        )?;
        let mut upd = tx.prepare(
            "INSERT INTO updates (entry_id, posted_at, label, phase, text, update_hash, first_seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let mut written = 0usize;
        'feeds: for (feed_id, engine) in &feeds {
            let aws = engine.as_deref() == Some("aws");
            for k in 0..per_feed {
                if written == total {
                    break 'feeds;
                }
                let seed = (*feed_id as u64) << 32 | k as u64;
                let start = BASE - SPAN + k as i64 * step + (seed % 3600) as i64;
                let title = TITLES[(seed % TITLES.len() as u64) as usize];
                let worst = ["outage", "degraded", "degraded", "maintenance"][k % 4];
                let key = format!("tag:history.example,2005:Incident/h{feed_id}x{k}");
                let link = format!("https://status.example/incidents/h{feed_id}x{k}");
                let updates: Vec<Update> = [
                    ("Resolved", 5400),
                    ("Monitoring", 2400),
                    ("Investigating", 0),
                ]
                .iter()
                .map(|(label, dt)| Update {
                    at: Some(at(start + dt)),
                    label: (*label).to_string(),
                    text: text(seed ^ *dt as u64, 90),
                })
                .collect();
                let entry = Entry {
                    id: key.clone(),
                    id_derived: false,
                    title: title.to_string(),
                    link: Some(link.clone()),
                    published: Some(at(start)),
                    updated: Some(at(start + 5400)),
                    content: updates
                        .iter()
                        .map(|u| format!("{} - {}", u.label, u.text))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    updates,
                    components: vec!["API".to_string()],
                    incident_key: aws.then(|| format!("ec2-{feed_id}-us-east-1")),
                    severity: None,
                    language: None,
                };
                let json = serde_json::to_string(&entry)?;
                let hash = hash_hex(json.as_bytes());
                let components = serde_json::to_string(&entry.components)?;
                let (start_text, end_text) = (time_text(at(start)), time_text(at(start + 5400)));
                let incident_key = match &entry.incident_key {
                    Some(chain) => format!("{chain}#{start_text}"),
                    None => key.clone(),
                };
                inc.execute(params![
                    feed_id,
                    incident_key,
                    entry.incident_key,
                    title,
                    link,
                    worst,
                    components,
                    start_text,
                    end_text
                ])?;
                let incident_id = tx.last_insert_rowid();
                ent.execute(params![
                    feed_id,
                    key,
                    title,
                    link,
                    start_text,
                    end_text,
                    seen,
                    hash,
                    components,
                    incident_id
                ])?;
                let entry_id = tx.last_insert_rowid();
                rev.execute(params![entry_id, seen, hash, title, entry.content, json])?;
                for u in &entry.updates {
                    let posted = u.at.map(time_text);
                    let uh = hash_hex(
                        format!(
                            "{}\u{1f}{}\u{1f}{}",
                            posted.as_deref().unwrap_or(""),
                            u.label,
                            u.text
                        )
                        .as_bytes(),
                    );
                    let phase = statuswatch::model::Phase::from_word(&u.label).map(|p| p.as_str());
                    upd.execute(params![entry_id, posted, u.label, phase, u.text, uh, seen])?;
                }
                written += 1;
                if written.is_multiple_of(100_000) {
                    eprintln!(
                        "fill_archive: {written} entries ({:.0?})",
                        started.elapsed()
                    );
                }
            }
        }
    }
    tx.commit()?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    eprintln!(
        "fill_archive: {total} entries in {:.1?} ({} feeds)",
        started.elapsed(),
        feeds.len()
    );
    Ok(())
}
