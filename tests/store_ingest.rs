//! The store's ingest transaction with the events planner, on synthetic classified entries:
//! dedupe, revisions, incidents (standalone and chained), reposts, withdrawn incidents, and
//! the property that ingesting is idempotent and state depends only on the newest document.

mod common;
use common::outbox::{document_fetch, t};

use proptest::prelude::*;
use statuswatch::events::FeedContext;
use statuswatch::model::{
    Capped, Classification, ClassifiedEntry, Engine, Entry, Phase, Status, Update,
};
use statuswatch::pipeline::{store_document, PreparedDocument};
use statuswatch::store::{IngestCounts, Store};

fn entry(id: &str, title: &str, status: Status, updates: &[(i64, &str, &str)]) -> ClassifiedEntry {
    let updates: Vec<Update> = updates
        .iter()
        .map(|(at, label, text)| Update {
            at: Some(t(*at)),
            label: label.to_string(),
            text: text.to_string(),
        })
        .collect();
    let phase = updates.first().and_then(|u| Phase::from_word(&u.label));
    ClassifiedEntry {
        entry: Entry {
            id: id.into(),
            id_derived: false,
            title: title.into(),
            link: Some(format!("https://status.example.com/incidents/{id}")),
            published: updates.last().and_then(|u| u.at),
            updated: updates.first().and_then(|u| u.at),
            content: updates
                .iter()
                .map(|u| format!("{} - {}", u.label, u.text))
                .collect::<Vec<_>>()
                .join("\n"),
            updates,
            components: vec![],
            incident_key: None,
            severity: None,
            language: None,
        },
        class: Classification {
            status,
            phase,
            rule: "test".into(),
        },
        worst: if status == Status::Resolved {
            Status::Degraded
        } else {
            status
        },
    }
}

fn chained(id: &str, chain: &str, at: i64, status: Status) -> ClassifiedEntry {
    let mut e = entry(id, "Increased API error rates", status, &[]);
    e.entry.incident_key = Some(chain.into());
    e.entry.published = Some(t(at));
    e.entry.updated = None;
    e
}

struct Db {
    _dir: tempfile::TempDir,
    store: Store,
    feed_id: i64,
    clock: i64,
}

impl Db {
    fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let store = common::example_store(&dir.path().join("t.db"));
        let feed_id = store.find_feed(common::EXAMPLE_FEED_URL).unwrap().id;
        Db {
            _dir: dir,
            store,
            feed_id,
            clock: 0,
        }
    }

    fn ingest(&mut self, entries: &[ClassifiedEntry]) -> IngestCounts {
        self.ingest_with(entries, None)
    }

    /// Ingests a document the entry cap cut short (`capped`), or a whole one (`None`).
    fn ingest_with(&mut self, entries: &[ClassifiedEntry], capped: Option<Capped>) -> IngestCounts {
        self.clock += 1;
        let record = document_fetch(self.clock, entries.len());
        let ctx = FeedContext {
            feed_id: self.feed_id,
            vendor: "example".into(),
            title: "Example".into(),
            url: "https://status.example.com/history.atom".into(),
            category: None,
        };
        let now = record.started_at;
        let mut document =
            PreparedDocument::from_classified(Engine::Generic, entries.to_vec()).unwrap();
        document.facts.capped = capped;
        let hour = std::time::Duration::from_secs(3600);
        store_document(&mut self.store, &ctx, &record, &document, hour, now).unwrap()
    }

    fn rows(&self, sql: &str) -> Vec<String> {
        let result = self.store.query(sql).unwrap();
        result
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()
    }

    fn state(&self) -> String {
        self.rows("SELECT state FROM service_state WHERE component = ''")
            .join(",")
    }
}

#[test]
fn unchanged_entries_write_nothing_and_changed_ones_get_a_revision() {
    let mut db = Db::new();
    let v1 = entry(
        "a",
        "API errors",
        Status::Degraded,
        &[(0, "Investigating", "We are looking into errors.")],
    );
    assert_eq!(db.ingest(std::slice::from_ref(&v1)).new, 1);
    let again = db.ingest(&[v1]);
    assert_eq!(
        (again.new, again.updated, again.unchanged, again.events),
        (0, 0, 1, 0)
    );
    let v2 = entry(
        "a",
        "API errors",
        Status::Resolved,
        &[
            (30, "Resolved", "Fixed."),
            (0, "Investigating", "We are looking into errors."),
        ],
    );
    let counts = db.ingest(&[v2]);
    assert_eq!((counts.updated, counts.events), (1, 1));
    assert_eq!(
        db.rows("SELECT revision, status FROM entry_revisions ORDER BY revision"),
        ["1|degraded", "2|resolved"]
    );
    // The timeline keeps each update once.
    assert_eq!(
        db.rows("SELECT label FROM updates ORDER BY posted_at"),
        ["Investigating", "Resolved"]
    );
    assert_eq!(
        db.rows("SELECT status, worst_status, started_at, resolved_at FROM incidents"),
        ["resolved|degraded|2025-10-20T06:00:00Z|2025-10-20T06:30:00Z"]
    );
}

#[test]
fn first_fetch_archives_history_silently_and_pages_once_for_what_is_active() {
    let mut db = Db::new();
    let counts = db.ingest(&[
        entry(
            "old1",
            "Old outage",
            Status::Resolved,
            &[(10, "Resolved", "ok"), (0, "Investigating", "down")],
        ),
        entry(
            "old2",
            "Older outage",
            Status::Resolved,
            &[(5, "Resolved", "ok")],
        ),
        entry(
            "now",
            "Login failures",
            Status::Outage,
            &[(60, "Identified", "Users are unable to log in.")],
        ),
    ]);
    assert_eq!(counts.events, 1);
    assert_eq!(
        db.rows("SELECT from_state, to_state, occurred_at FROM events"),
        ["operational|outage|2025-10-20T07:00:00Z"]
    );
    assert_eq!(db.state(), "outage");
}

#[test]
fn a_repost_under_a_new_id_is_the_same_incident() {
    let mut db = Db::new();
    let first = entry(
        "tag:1",
        "Dashboard slow",
        Status::Degraded,
        &[(0, "Investigating", "Slow.")],
    );
    db.ingest(&[first]);
    let repost = entry(
        "tag:1-again",
        "Dashboard slow",
        Status::Resolved,
        &[
            (20, "Resolved", "Fast again."),
            (0, "Investigating", "Slow."),
        ],
    );
    let counts = db.ingest(&[repost]);
    assert_eq!((counts.new, counts.updated), (0, 1));
    assert_eq!(db.rows("SELECT entry_key FROM entries"), ["tag:1-again"]);
    assert_eq!(db.rows("SELECT count(*) FROM incidents"), ["1"]);
    assert_eq!(db.state(), "operational");
}

#[test]
fn chained_items_form_one_incident_until_resolved_then_a_new_one() {
    let mut db = Db::new();
    db.ingest(&[chained("i1", "ec2-us-east-1", 0, Status::Degraded)]);
    db.ingest(&[
        chained("i2", "ec2-us-east-1", 20, Status::Outage),
        chained("i1", "ec2-us-east-1", 0, Status::Degraded),
    ]);
    db.ingest(&[
        chained("i3", "ec2-us-east-1", 90, Status::Resolved),
        chained("i2", "ec2-us-east-1", 20, Status::Outage),
        chained("i1", "ec2-us-east-1", 0, Status::Degraded),
    ]);
    assert_eq!(
        db.rows("SELECT worst_status, started_at, resolved_at FROM incidents"),
        ["outage|2025-10-20T06:00:00Z|2025-10-20T07:30:00Z"]
    );
    assert_eq!(
        db.rows("SELECT from_state || '>' || to_state FROM events ORDER BY seq"),
        [
            "operational>degraded",
            "degraded>outage",
            "outage>operational"
        ]
    );
    db.ingest(&[
        chained("i4", "ec2-us-east-1", 500, Status::Degraded),
        chained("i3", "ec2-us-east-1", 90, Status::Resolved),
        chained("i2", "ec2-us-east-1", 20, Status::Outage),
        chained("i1", "ec2-us-east-1", 0, Status::Degraded),
    ]);
    assert_eq!(db.rows("SELECT count(*) FROM incidents"), ["2"]);
    assert_eq!(db.state(), "degraded");
}

#[test]
fn an_older_item_arriving_late_does_not_move_the_incident_back() {
    let mut db = Db::new();
    db.ingest(&[chained("i1", "s3-eu-west-1", 0, Status::Degraded)]);
    db.ingest(&[
        chained("i3", "s3-eu-west-1", 60, Status::Resolved),
        chained("i1", "s3-eu-west-1", 0, Status::Degraded),
    ]);
    // i2 (between the two) shows up only now.
    let counts = db.ingest(&[
        chained("i3", "s3-eu-west-1", 60, Status::Resolved),
        chained("i2", "s3-eu-west-1", 30, Status::Outage),
        chained("i1", "s3-eu-west-1", 0, Status::Degraded),
    ]);
    assert_eq!(counts.events, 0);
    assert_eq!(db.state(), "operational");
}

#[test]
fn a_withdrawn_incident_closes_but_an_empty_document_closes_nothing() {
    let mut db = Db::new();
    let active = entry(
        "x",
        "Errors",
        Status::Degraded,
        &[(0, "Investigating", "errors")],
    );
    let other = entry("y", "Old", Status::Resolved, &[(0, "Resolved", "ok")]);
    db.ingest(&[active.clone(), other.clone()]);
    assert_eq!(db.state(), "degraded");
    assert_eq!(db.ingest(&[]).events, 0, "an empty document is not news");
    assert_eq!(db.state(), "degraded");
    assert_eq!(db.ingest(&[other]).events, 1);
    assert_eq!(db.state(), "operational");
}

#[test]
fn a_capped_document_does_not_withdraw_the_tail_it_left_out() {
    let mut db = Db::new();
    // Three open incidents, oldest first; the document is whole.
    let old = entry(
        "old",
        "Old errors",
        Status::Degraded,
        &[(0, "Investigating", "slow")],
    );
    let mid = entry(
        "mid",
        "Mid errors",
        Status::Degraded,
        &[(50, "Investigating", "slow")],
    );
    let new = entry(
        "new",
        "New errors",
        Status::Degraded,
        &[(100, "Investigating", "slow")],
    );
    db.ingest(&[old.clone(), mid.clone(), new.clone()]);
    let open = |db: &Db| {
        db.rows("SELECT incident_key FROM incidents WHERE resolved_at IS NULL ORDER BY 1")
    };
    assert_eq!(open(&db), ["mid", "new", "old"]);

    // Capped to the newest two (oldest kept: `mid`): `old` was left out by the cap, not by the
    // vendor, and stays open. Before the cap knew to tell the store, this closed it as withdrawn.
    let capped = Capped {
        kept: 2,
        dropped: 1,
        oldest_kept: Some(t(50)),
    };
    db.ingest_with(&[mid.clone(), new.clone()], Some(capped));
    assert_eq!(open(&db), ["mid", "new", "old"]);
    assert_eq!(
        db.rows("SELECT count(*) FROM incidents WHERE phase = 'withdrawn'"),
        ["0"]
    );

    // `new` is as new as what the cap kept: its absence is the vendor's doing, withdrawn.
    db.ingest_with(std::slice::from_ref(&mid), Some(capped));
    assert_eq!(open(&db), ["mid", "old"]);
    assert_eq!(
        db.rows("SELECT incident_key FROM incidents WHERE phase = 'withdrawn'"),
        ["new"]
    );

    // A cap that kept only entries without a time says nothing of what is gone.
    let untimed = Capped {
        kept: 1,
        dropped: 2,
        oldest_kept: None,
    };
    db.ingest_with(std::slice::from_ref(&mid), Some(untimed));
    assert_eq!(open(&db), ["mid", "old"]);

    // The same document whole: `old` really is gone.
    db.ingest(&[mid]);
    assert_eq!(open(&db), ["mid"]);
}

/// One incident's possible shapes in a generated document.
fn version_entry(slot: usize, stage: u8) -> ClassifiedEntry {
    let id = format!("inc-{slot}");
    let title = format!("Incident {slot}");
    let base = slot as i64 * 100;
    match stage {
        0 => entry(
            &id,
            &title,
            Status::Degraded,
            &[(base, "Investigating", "slow")],
        ),
        1 => entry(
            &id,
            &title,
            Status::Outage,
            &[
                (base + 10, "Identified", "down"),
                (base, "Investigating", "slow"),
            ],
        ),
        2 => entry(
            &id,
            &title,
            Status::Maintenance,
            &[(base, "In progress", "work")],
        ),
        _ => entry(
            &id,
            &title,
            Status::Resolved,
            &[
                (base + 20, "Resolved", "ok"),
                (base, "Investigating", "slow"),
            ],
        ),
    }
}

fn document(spec: &[(usize, u8)]) -> Vec<ClassifiedEntry> {
    let mut seen = std::collections::BTreeSet::new();
    spec.iter()
        .filter(|(slot, _)| seen.insert(*slot))
        .map(|(slot, stage)| version_entry(*slot, *stage))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn ingest_is_idempotent_and_state_follows_the_newest_document(
        versions in prop::collection::vec(prop::collection::vec((0usize..5, 0u8..4), 1..5), 1..6)
    ) {
        let mut db = Db::new();
        for spec in &versions {
            let doc = document(spec);
            db.ingest(&doc);
            let events_before = db.rows("SELECT count(*) FROM events");
            let state_before = db.rows("SELECT component, state, since FROM service_state ORDER BY component");
            let again = db.ingest(&doc);
            prop_assert_eq!(again.events, 0);
            prop_assert_eq!(again.new + again.updated, 0);
            prop_assert_eq!(db.rows("SELECT count(*) FROM events"), events_before);
            prop_assert_eq!(db.rows("SELECT component, state, since FROM service_state ORDER BY component"), state_before);
        }
        let mut fresh = Db::new();
        fresh.ingest(&document(versions.last().unwrap()));
        prop_assert_eq!(db.state(), fresh.state());
    }
}

#[test]
fn a_whole_chain_in_one_newest_first_document_is_one_resolved_incident() {
    let mut db = Db::new();
    let counts = db.ingest(&[
        chained("i3", "rds-us-east-1", 90, Status::Resolved),
        chained("i2", "rds-us-east-1", 20, Status::Outage),
        chained("i1", "rds-us-east-1", 0, Status::Degraded),
    ]);
    assert_eq!(counts.events, 0, "history is archived silently");
    assert_eq!(
        db.rows("SELECT worst_status, started_at, resolved_at FROM incidents"),
        ["outage|2025-10-20T06:00:00Z|2025-10-20T07:30:00Z"]
    );
    assert_eq!(db.state(), "operational");
}
