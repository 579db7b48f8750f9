//! A source that states its components' states (a status API) puts them in `service_state`
//! and in the vendor's state, raises `component_change` for each one that moves, and keeps
//! what it said for every later re-plan (an override), so nothing it said is forgotten.

mod common;
use common::outbox::document_fetch;
use statuswatch::model::{ComponentStatus, Engine, Reported, ServiceState};
use statuswatch::pipeline::{feed_context, state_planner, store_document, PreparedDocument};
use statuswatch::store::{OverrideTarget, Store};

fn report(components: &[(&str, ServiceState)]) -> PreparedDocument {
    PreparedDocument {
        engine: Engine::Statuspage,
        repaired: false,
        entries: Vec::new(),
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
