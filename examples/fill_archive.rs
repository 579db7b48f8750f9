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
//! Stored through the library's one entry point (`pipeline::store_document`), classified by
//! the embedded rules, in documents of a few thousand entries; history that is over raises no
//! event. Used by `bench/growth.sh`.

use statuswatch::classify::Rules;
use statuswatch::model::{Engine, Entry, FetchRecord, Update};
use statuswatch::pipeline::{classify_entries, feed_context, store_document, PreparedDocument};
use statuswatch::store::Store;
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
    let mut store = Store::open(db)?;
    let feeds = store.list_feeds()?;
    if feeds.is_empty() {
        return Err("the database has no feeds: import the OPML first".into());
    }
    let rules = Rules::embedded();
    let per_feed = total.div_ceil(feeds.len());
    let step = SPAN / per_feed as i64;
    let started = std::time::Instant::now();
    let (mut written, mut reported) = (0usize, 0usize);
    'feeds: for feed in &feeds {
        let context = feed_context(feed);
        let engine = feed.spec.engine.unwrap_or(Engine::Generic);
        let mut k = 0;
        while k < per_feed {
            // One document per chunk: every entry is resolved history, so a later chunk that
            // leaves earlier entries out withdraws nothing.
            let mut chunk = Vec::with_capacity(CHUNK);
            while chunk.len() < CHUNK && k < per_feed && written < total {
                chunk.push(history_entry(feed.id, engine, k, step));
                k += 1;
                written += 1;
            }
            if chunk.is_empty() {
                break 'feeds;
            }
            let classified = classify_entries(&rules, engine, chunk);
            let document = PreparedDocument::from_classified(engine, classified)?;
            let record = FetchRecord {
                started_at: at(BASE - 86_400),
                http_status: Some(200),
                entries: Some(document.entries.len()),
                ..FetchRecord::default()
            };
            let day = std::time::Duration::from_secs(86_400);
            store_document(&mut store, &context, &record, &document, day, at(BASE))?;
            if written / 100_000 > reported {
                reported = written / 100_000;
                eprintln!(
                    "fill_archive: {written} entries ({:.0?})",
                    started.elapsed()
                );
            }
        }
    }
    drop(store); // closing the last connection checkpoints the WAL
    eprintln!(
        "fill_archive: {written} entries in {:.1?} ({} feeds)",
        started.elapsed(),
        feeds.len()
    );
    Ok(())
}

/// Entries stored per document (one ingest transaction).
const CHUNK: usize = 2_000;

/// The `k`-th old incident of a feed: three updates over 90 minutes, resolved; AWS feeds
/// chain theirs by service-region, as the AWS extractor does.
fn history_entry(feed_id: i64, engine: Engine, k: usize, step: i64) -> Entry {
    let seed = (feed_id as u64) << 32 | k as u64;
    let start = BASE - SPAN + k as i64 * step + (seed % 3600) as i64;
    let title = TITLES[(seed % TITLES.len() as u64) as usize];
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
    Entry {
        id: format!("tag:history.example,2005:Incident/h{feed_id}x{k}"),
        id_derived: false,
        title: title.to_string(),
        link: Some(format!("https://status.example/incidents/h{feed_id}x{k}")),
        published: Some(at(start)),
        updated: Some(at(start + 5400)),
        content: updates
            .iter()
            .map(|u| format!("{} - {}", u.label, u.text))
            .collect::<Vec<_>>()
            .join("\n"),
        updates,
        components: vec!["API".to_string()],
        incident_key: (engine == Engine::Aws).then(|| format!("ec2-{feed_id}-us-east-1")),
        severity: None,
        language: None,
    }
}
