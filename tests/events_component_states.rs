//! A source that states its components' states (a status API) puts them in `service_state`
//! and in the vendor's state, raises `component_change` for each one that moves, and keeps
//! what it said for every later re-plan (an override), so nothing it said is forgotten.

mod common;
use common::outbox::document_fetch;
use statuswatch::model::{
    Classification, ClassifiedEntry, ComponentStatus, DocumentFacts, Engine, Entry, Phase,
    Reported, ServiceState, Status, Update,
};
use statuswatch::pipeline::{feed_context, state_planner, store_document, PreparedDocument};
use statuswatch::store::{OverrideTarget, Store};

fn report(components: &[(&str, ServiceState)]) -> PreparedDocument {
    PreparedDocument {
        engine: Engine::Statuspage,
        repaired: false,
        notes: Vec::new(),
        entries: Vec::new(),
        facts: DocumentFacts {
            lists_open: true,
            capped: None,
            reported: Some(Reported {
                components: components
                    .iter()
                    .map(|(name, state)| ComponentStatus {
                        id: Some(format!("id-{name}")),
                        name: name.to_string(),
                        group: None,
                        state: *state,
                    })
                    .collect(),
                overall: None,
            }),
        },
    }
}

fn states(store: &Store) -> Vec<(String, String)> {
    store
        .current_status()
        .unwrap()
        .into_iter()
        .map(|row| (row.component, row.state))
        .collect()
}

fn kinds_since(store: &Store, after: i64) -> Vec<(String, Option<String>)> {
    store
        .events_after(after, None, None, 100)
        .unwrap()
        .into_iter()
        .map(|e| (e.kind_name(), e.payload.component().map(str::to_string)))
        .collect()
}

#[test]
fn component_states_from_a_status_api_drive_the_vendor_and_survive_a_replan() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::example_store(&dir.path().join("t.db"));
    let feed = store.find_feed(common::EXAMPLE_FEED_URL).unwrap();
    let context = feed_context(&feed);
    let hour = std::time::Duration::from_secs(3600);
    let now = common::outbox::t(100);

    let degraded = report(&[
        ("API", ServiceState::Degraded),
        ("Web", ServiceState::Operational),
    ]);
    store_document(
        &mut store,
        &context,
        &document_fetch(1, 0),
        &degraded,
        hour,
        now,
    )
    .unwrap();
    let got = states(&store);
    assert!(got.contains(&(String::new(), "degraded".into())), "{got:?}");
    assert!(got.contains(&("API".into(), "degraded".into())), "{got:?}");
    assert!(
        got.contains(&("Web".into(), "operational".into())),
        "{got:?}"
    );
    assert_eq!(
        kinds_since(&store, 0),
        [
            ("state_change".to_string(), None),
            ("component_change".to_string(), Some("API".to_string()))
        ]
    );
    let seen = store.last_event_seq().unwrap();

    // A person marks Web down by hand, then takes it back: each re-plan still knows API is
    // degraded (the report is kept), so API raises nothing and the vendor stays degraded.
    let target = OverrideTarget::State {
        feed_id: feed.id,
        component: "Web".into(),
        state: ServiceState::Outage,
    };
    let (id, _) = store
        .set_override(
            &target,
            "checked by hand",
            now,
            state_planner(&context, now),
        )
        .unwrap();
    store
        .remove_override(id, state_planner(&context, now))
        .unwrap();
    let got = states(&store);
    assert!(got.contains(&("API".into(), "degraded".into())), "{got:?}");
    assert!(got.contains(&(String::new(), "degraded".into())), "{got:?}");
    assert!(
        !kinds_since(&store, seen)
            .iter()
            .any(|(_, c)| c.as_deref() == Some("API")),
        "API did not move"
    );
    let seen = store.last_event_seq().unwrap();

    let fine = report(&[
        ("API", ServiceState::Operational),
        ("Web", ServiceState::Operational),
    ]);
    store_document(
        &mut store,
        &context,
        &document_fetch(2, 0),
        &fine,
        hour,
        now,
    )
    .unwrap();
    assert!(states(&store).iter().all(|(_, s)| s == "operational"));
    assert_eq!(
        kinds_since(&store, seen),
        [
            ("state_change".to_string(), None),
            ("component_change".to_string(), Some("API".to_string()))
        ]
    );
}

/// A summary's open incident, as the JSON readers make it.
fn open_incident(id: &str) -> ClassifiedEntry {
    let at = common::outbox::t(50);
    ClassifiedEntry {
        entry: Entry {
            id: format!("https://status.example.com/incidents/{id}"),
            title: "Elevated API errors".into(),
            link: Some(format!("https://status.example.com/incidents/{id}")),
            published: Some(at),
            updated: Some(at),
            content: "Investigating - We are looking into elevated API errors.".into(),
            updates: vec![Update {
                at: Some(at),
                label: "Investigating".into(),
                text: "We are looking into elevated API errors.".into(),
            }],
            components: vec!["API".into()],
            severity: Some("minor".into()),
            id_derived: false,
            incident_key: None,
            language: None,
        },
        class: Classification {
            status: Status::Degraded,
            phase: Some(Phase::Investigating),
            rule: "label-active".into(),
        },
        worst: Status::Degraded,
    }
}

#[test]
fn an_incident_a_summary_stops_listing_has_ended_even_when_nothing_else_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::example_store(&dir.path().join("t.db"));
    let context = feed_context(&store.find_feed(common::EXAMPLE_FEED_URL).unwrap());
    let hour = std::time::Duration::from_secs(3600);
    let now = common::outbox::t(100);
    let summary = |entries: Vec<ClassifiedEntry>| {
        let mut doc = PreparedDocument::from_classified(Engine::Statuspage, entries).unwrap();
        doc.facts.lists_open = true;
        doc
    };
    store_document(
        &mut store,
        &context,
        &document_fetch(1, 1),
        &summary(vec![open_incident("abc")]),
        hour,
        now,
    )
    .unwrap();
    assert!(states(&store).contains(&(String::new(), "degraded".into())));

    // The next summary lists nothing open: the incident is over (resolved, not withdrawn).
    store_document(
        &mut store,
        &context,
        &document_fetch(2, 0),
        &summary(vec![]),
        hour,
        now,
    )
    .unwrap();
    let rows = store.history(None, None, 10).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "resolved");
    assert_eq!(rows[0].phase.as_deref(), Some("resolved"));
    assert!(rows[0].resolved_at.is_some());
    assert!(states(&store).iter().all(|(_, s)| s == "operational"));
    let last = store.events_after(0, None, None, 10).unwrap();
    assert_eq!(
        last.last().unwrap().payload.transition(),
        Some((ServiceState::Degraded, ServiceState::Operational))
    );
}

#[test]
fn a_feed_that_drops_its_only_entry_closes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::example_store(&dir.path().join("t.db"));
    let context = feed_context(&store.find_feed(common::EXAMPLE_FEED_URL).unwrap());
    let hour = std::time::Duration::from_secs(3600);
    let now = common::outbox::t(100);
    let feed = |entries| PreparedDocument::from_classified(Engine::Statuspage, entries).unwrap();
    store_document(
        &mut store,
        &context,
        &document_fetch(1, 1),
        &feed(vec![open_incident("abc")]),
        hour,
        now,
    )
    .unwrap();
    store_document(
        &mut store,
        &context,
        &document_fetch(2, 0),
        &feed(vec![]),
        hour,
        now,
    )
    .unwrap();
    let rows = store.history(None, None, 10).unwrap();
    assert_eq!(
        rows[0].status, "degraded",
        "an empty feed is more likely a glitch"
    );
}
