//! Per-stage benchmarks, so a regression in one stage shows on its own:
//!
//! - `parse/<engine>`: bytes → `ParsedFeed` (MB/s), one generated 25-entry document per engine;
//! - `classify/<engine>`: the pipeline's `classify_all` over those entries (entries/s);
//! - `store/new`, `store/revised`, `store/unchanged`: one feed's ingest transaction into a file
//!   database (entries/s): first sight, every entry revised, and a re-ingest of the same document.
//!
//! `cargo bench --bench stages [-- FILTER]`. CI compiles these (clippy --all-targets) but does not
//! run them; the end-to-end numbers come from `bench/e2e.sh`.

mod corpus;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use statuswatch::classify::Rules;
use statuswatch::events::FeedContext;
use statuswatch::model::FetchRecord;
use statuswatch::model::{ClassifiedEntry, Engine, FeedSpec};
use statuswatch::parse::{parse_feed, ParseOptions};
use statuswatch::pipeline::{classify_all, store_document, PreparedDocument};
use statuswatch::store::Store;
use std::time::Duration;

const ENTRIES: usize = 25;
const TEXT_LEN: usize = 300;

/// One generated document per engine of the corpus: (engine, url, bytes).
fn documents() -> Vec<(Engine, String, Vec<u8>)> {
    // Feeds 0, 2, 3, 4 are Statuspage, AWS, GCP and Slack (see `corpus::Kind::of`).
    [0usize, 2, 3, 4]
        .into_iter()
        .map(|feed| {
            let (kind, doc) = corpus::document(feed, ENTRIES, 0, TEXT_LEN);
            let engine: Engine = kind.engine().parse().unwrap();
            let url = format!("http://127.0.0.1:8089{}", kind.path(feed));
            (engine, url, doc.into_bytes())
        })
        .collect()
}

fn options(engine: Engine, url: &str) -> ParseOptions {
    ParseOptions {
        engine: Some(engine),
        feed_url: Some(url.to_string()),
        page: None,
        ..ParseOptions::default()
    }
}

fn bench_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    for (engine, url, bytes) in documents() {
        let opts = options(engine, &url);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(engine.as_str(), |b| {
            b.iter(|| parse_feed(&bytes, &opts).unwrap())
        });
    }
    group.finish();
}

fn bench_classify(c: &mut Criterion) {
    let rules = Rules::embedded();
    let mut group = c.benchmark_group("classify");
    for (engine, url, bytes) in documents() {
        let parsed = parse_feed(&bytes, &options(engine, &url)).unwrap();
        group.throughput(Throughput::Elements(parsed.entries.len() as u64));
        group.bench_function(engine.as_str(), |b| {
            b.iter_batched(
                || parsed.clone(),
                |p| classify_all(&rules, p),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

/// A fresh database in `dir` with one feed; returns the store and the feed's id.
fn fresh_store(dir: &std::path::Path, name: &str) -> (Store, i64) {
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(path.with_extension("db-wal"));
    let _ = std::fs::remove_file(path.with_extension("db-shm"));
    let mut store = Store::open(&path).unwrap();
    store
        .import_feeds(
            &[FeedSpec {
                url: "http://127.0.0.1:8089/f00000/history.atom".into(),
                title: "Vendor 0".into(),
                vendor: "vendor00000".into(),
                engine: Some(Engine::Statuspage),
                ..FeedSpec::default()
            }],
            chrono::Utc::now(),
        )
        .unwrap();
    let id = store.list_feeds().unwrap()[0].id;
    (store, id)
}

fn ingest(store: &mut Store, feed_id: i64, document: &PreparedDocument) {
    let record = FetchRecord {
        started_at: chrono::Utc::now(),
        duration_ms: 1,
        http_status: Some(200),
        bytes: Some(1),
        entries: Some(document.entries.len()),
        ..FetchRecord::default()
    };
    let context = FeedContext {
        feed_id,
        vendor: "vendor00000".into(),
        title: "Vendor 0".into(),
        url: "http://127.0.0.1:8089/f00000/history.atom".into(),
        category: None,
    };
    let hour = std::time::Duration::from_secs(3600);
    store_document(store, &context, &record, document, hour, chrono::Utc::now()).unwrap();
}

fn bench_store(c: &mut Criterion) {
    let rules = Rules::embedded();
    let dir = tempfile::tempdir().unwrap();
    let (engine, url, bytes) = documents().remove(0);
    let (_, classified) = classify_all(&rules, parse_feed(&bytes, &options(engine, &url)).unwrap());
    // The same entries, every one with a changed text: a revision each.
    let mut revised = classified.clone();
    for ce in &mut revised {
        ce.entry.content.push_str(" Postmortem to follow.");
    }
    // Digested ahead, as the pipeline's parse workers do: this measures the writer's work.
    let storable =
        |entries: Vec<ClassifiedEntry>| PreparedDocument::from_classified(engine, entries).unwrap();
    let (first, second) = (storable(classified), storable(revised));
    let mut group = c.benchmark_group("store");
    group.throughput(Throughput::Elements(first.entries.len() as u64));

    group.bench_function("new", |b| {
        b.iter_batched(
            || fresh_store(dir.path(), "new.db"),
            // Returned, so closing the database (a WAL checkpoint) is not timed.
            |(mut store, id)| {
                ingest(&mut store, id, &first);
                store
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("revised", |b| {
        b.iter_batched(
            || {
                let (mut store, id) = fresh_store(dir.path(), "revised.db");
                ingest(&mut store, id, &first);
                (store, id)
            },
            |(mut store, id)| {
                ingest(&mut store, id, &second);
                store
            },
            BatchSize::PerIteration,
        )
    });
    let (mut store, id) = fresh_store(dir.path(), "unchanged.db");
    ingest(&mut store, id, &first);
    group.bench_function("unchanged", |b| b.iter(|| ingest(&mut store, id, &first)));
    group.finish();
}

criterion_group! {
    name = stages;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = bench_parse, bench_classify, bench_store
}
criterion_main!(stages);
