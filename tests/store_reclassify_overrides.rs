//! `reclassify` rebuilds incidents; a person's override of one follows its entries into the
//! incident they form now (a chain they merged into) instead of vanishing with the old row.

mod common;
use common::outbox::{document_fetch, t};
use statuswatch::model::{Classification, ClassifiedEntry, Engine, Entry, Phase, Status, Update};
use statuswatch::pipeline::{feed_context, state_planner, store_document, PreparedDocument};
use statuswatch::store::OverrideTarget;

fn outage(id: &str, minutes: i64) -> ClassifiedEntry {
    ClassifiedEntry {
        entry: Entry {
            id: id.into(),
            id_derived: false,
            title: "Elevated errors in us-east-1".into(),
            link: None,
            published: Some(t(minutes)),
            updated: Some(t(minutes)),
            content: "Investigating - Requests are failing.".into(),
            updates: vec![Update {
                at: Some(t(minutes)),
                label: "Investigating".into(),
                text: "Requests are failing.".into(),
            }],
            components: vec![],
            incident_key: None,
            severity: None,
            language: None,
        },
        class: Classification {
            status: Status::Outage,
            phase: Some(Phase::Investigating),
            rule: "text-outage".into(),
        },
        worst: Status::Outage,
    }
}

#[test]
fn an_override_follows_its_entries_into_the_chain_they_now_form() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::example_store(&dir.path().join("t.db"));
    let feed = store.find_feed(common::EXAMPLE_FEED_URL).unwrap();
    let context = feed_context(&feed);
    let now = t(100);
    let doc =
        PreparedDocument::from_classified(Engine::Generic, vec![outage("a", 0), outage("b", 5)])
            .unwrap();
    let hour = std::time::Duration::from_secs(3600);
    store_document(&mut store, &context, &document_fetch(1, 2), &doc, hour, now).unwrap();
    let first = store.history(None, None, 10).unwrap();
    assert_eq!(first.len(), 2, "two incidents of their own");
    let a = first.iter().map(|h| h.incident_id).min().unwrap();
    let target = OverrideTarget::Incident {
        id: a,
        status: Status::Resolved,
    };
    store
        .set_override(
            &target,
            "fixed, the vendor forgot",
            now,
            state_planner(&context, now),
        )
        .unwrap();

    // New rules chain both items into one incident (one item per update of one problem).
    let verdicts: Vec<(i64, ClassifiedEntry)> = store
        .feed_entries(feed.id)
        .unwrap()
        .into_iter()
        .map(|stored| {
            let mut ce = outage(&stored.entry.id, 0);
            ce.entry = stored.entry;
            ce.entry.incident_key = Some("ec2-us-east-1".into());
            (stored.entry_id, ce)
        })
        .collect();
    let rebuilt = store
        .reclassify_feed(feed.id, &verdicts, state_planner(&context, now))
        .unwrap();
    assert_eq!(rebuilt.overrides_dropped, 0);
    let after = store.history(None, None, 10).unwrap();
    assert_eq!(after.len(), 1, "one chain: {after:?}");
    let overrides = store.overrides().unwrap();
    assert_eq!(overrides.len(), 1, "the correction survived");
    assert_eq!(overrides[0].incident_id, Some(after[0].incident_id));
    assert_eq!(after[0].override_status.as_deref(), Some("resolved"));
}
