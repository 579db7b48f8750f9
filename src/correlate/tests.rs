//! The cluster logic as case tables: burst against chance, a shared provider against none, a
//! silent provider, waves, members recovering one by one, a member flapping.

use super::*;
use crate::model::cluster::Departure;

/// A vendor with no history and nothing wrong.
pub(crate) fn vendor(key: &str, runs_on: &[&str]) -> VendorFacts {
    VendorFacts {
        runs_on: runs_on.iter().map(|d| d.parse().unwrap()).collect(),
        ..VendorFacts::new(key.to_string(), key.to_uppercase())
    }
}

fn at(hhmm: &str) -> DateTime<Utc> {
    format!("2025-10-20T{hhmm}:00Z").parse().unwrap()
}

/// A hundred ordinary vendors with two months of history (an unplanned incident every ten
/// days or so), `aws` among them as a cloud provider, and ten that run on aws:us-east-1.
struct World {
    inputs: CorrelationInputs,
    settings: CorrelationSettings,
    next_incident: i64,
}

impl World {
    fn new() -> World {
        let mut vendors: Vec<VendorFacts> =
            (0..90).map(|i| vendor(&format!("v{i:02}"), &[])).collect();
        vendors.extend((0..10).map(|i| vendor(&format!("dep{i}"), &["aws:us-east-1"])));
        let mut aws = vendor("aws", &[]);
        aws.category = Some("cloud".into());
        vendors.push(aws);
        let mut gcp = vendor("gcp", &[]);
        gcp.title = "Google Cloud".into();
        gcp.category = Some("cloud".into());
        vendors.push(gcp);
        vendors.push(vendor("elsewhere", &["gcp"]));
        for v in &mut vendors {
            v.past_incidents = 6;
            v.history_hours = 60.0 * 24.0;
        }
        World {
            inputs: CorrelationInputs {
                vendors,
                open: Vec::new(),
                next_id: 1,
            },
            settings: CorrelationSettings::default(),
            next_incident: 100,
        }
    }

    fn get(&mut self, key: &str) -> &mut VendorFacts {
        self.inputs
            .vendors
            .iter_mut()
            .find(|v| v.vendor == key)
            .unwrap()
    }

    /// `key` starts an unplanned incident at `time`, saying `text`.
    fn depart(&mut self, key: &str, time: &str, state: ServiceState, text: &str) {
        self.next_incident += 1;
        let incident = MemberIncident {
            id: self.next_incident,
            title: format!("{key}: {text}"),
            link: Some(format!("http://127.0.0.1/{key}/{}", self.next_incident)),
        };
        let v = self.get(key);
        v.departures.push(Departure {
            since: at(time),
            incident: incident.clone(),
            text: text.to_lowercase(),
        });
        v.state = state;
        v.state_since = Some(at(time));
        v.state_incident = Some(incident);
    }

    fn recover(&mut self, key: &str) {
        let v = self.get(key);
        v.state = ServiceState::Operational;
        v.state_since = None;
        v.state_incident = None;
    }

    /// Plans at `time` and applies the plan as the store would; returns the messages.
    fn step(&mut self, time: &str) -> Vec<CorrelatedOutage> {
        let now = at(time);
        let plan = plan_correlation(&self.inputs, &self.settings, now);
        for write in &plan.clusters {
            self.inputs.next_id = self.inputs.next_id.max(write.id + 1);
            self.inputs.open.retain(|c| c.id != write.id);
            match write.resolved_at {
                None => self.inputs.open.push(OpenCluster {
                    id: write.id,
                    started_at: write.started_at,
                    opened_at: write.opened_at,
                    last_event_at: write.last_event_at,
                    members: write.members.clone(),
                    cause: write.cause.clone(),
                    chance: write.chance,
                }),
                Some(end) => {
                    for m in &write.members {
                        self.get(&m.vendor).accounted_until = Some(end);
                    }
                }
            }
        }
        plan.events
            .into_iter()
            .map(|e| match e.payload.detail {
                EventDetail::CorrelatedOutage(c) => c,
                other => panic!("not a cluster event: {other:?}"),
            })
            .collect()
    }
}

fn members(c: &CorrelatedOutage) -> Vec<&str> {
    c.vendors.iter().map(|m| m.vendor.as_str()).collect()
}

#[test]
fn a_burst_is_a_cluster_and_chance_is_not() {
    use ServiceState::{Degraded as D, Outage as O};
    // (case, departures (vendor, time, state), opens)
    type Departures = &'static [(&'static str, &'static str, ServiceState)];
    let cases: &[(&str, Departures, bool)] = &[
        (
            "five vendors with no shared provider within 20 minutes",
            &[
                ("v01", "07:00", D),
                ("v02", "07:04", O),
                ("v03", "07:09", D),
                ("v04", "07:15", D),
                ("v05", "07:20", D),
            ],
            true,
        ),
        (
            "three unrelated vendors in the same half hour",
            &[
                ("v01", "07:00", D),
                ("v02", "07:12", O),
                ("v03", "07:25", D),
            ],
            false,
        ),
        (
            "five vendors spread over four hours",
            &[
                ("v01", "07:00", D),
                ("v02", "08:00", D),
                ("v03", "09:00", D),
                ("v04", "10:00", D),
                ("v05", "11:00", D),
            ],
            false,
        ),
        (
            "three vendors that share a provider within 15 minutes",
            &[
                ("dep1", "06:52", D),
                ("dep2", "06:58", O),
                ("dep3", "07:06", D),
            ],
            true,
        ),
        (
            "three that share a provider, hours apart",
            &[
                ("dep1", "06:00", D),
                ("dep2", "08:00", D),
                ("dep3", "10:00", D),
            ],
            false,
        ),
        (
            "two that share a provider and one that does not",
            &[
                ("dep1", "07:00", D),
                ("dep2", "07:05", D),
                ("v01", "07:10", D),
            ],
            false,
        ),
    ];
    for (case, departures, opens) in cases {
        let mut world = World::new();
        let mut opened = Vec::new();
        for (key, time, state) in *departures {
            world.depart(key, time, *state, "Elevated errors");
            opened.extend(world.step(time));
        }
        assert_eq!(
            opened
                .iter()
                .filter(|c| c.phase == ClusterPhase::Opened)
                .count(),
            usize::from(*opens),
            "{case}: {opened:#?}"
        );
        if *opens {
            assert!(opened[0].chance <= world.settings.max_chance, "{case}");
        }
    }
}

#[test]
fn a_cluster_opens_with_the_third_member_and_names_the_silent_provider() {
    let mut world = World::new();
    world.depart(
        "dep1",
        "06:52",
        ServiceState::Degraded,
        "Elevated error rates",
    );
    assert!(world.step("06:55").is_empty());
    world.depart("dep2", "06:58", ServiceState::Outage, "Logins failing");
    assert!(world.step("07:00").is_empty(), "two are not a cluster");
    world.depart(
        "dep3",
        "07:06",
        ServiceState::Degraded,
        "Our upstream provider in us-east-1 reports errors",
    );
    let messages = world.step("07:08");
    assert_eq!(messages.len(), 1, "{messages:#?}");
    let opened = &messages[0];
    assert_eq!(opened.phase, ClusterPhase::Opened);
    assert_eq!(members(opened), ["dep1", "dep2", "dep3"]);
    assert_eq!(opened.joined, ["dep1", "dep2", "dep3"]);
    assert_eq!(opened.started_at, "2025-10-20T06:52:00Z");
    let cause = opened.suspected_cause.as_ref().unwrap();
    assert_eq!(cause.vendor, "aws");
    assert_eq!(cause.region.as_deref(), Some("us-east-1"));
    assert_eq!(
        cause.why,
        "3 of 3 members run on aws:us-east-1; AWS has not posted yet."
    );
    // Planned again with nothing new: no second message, the same cluster.
    assert!(world.step("07:09").is_empty());
    assert_eq!(world.inputs.open.len(), 1);
}

#[test]
fn the_suspected_cause_follows_the_evidence() {
    use ServiceState::Degraded as D;
    struct Case {
        name: &'static str,
        departures: &'static [(&'static str, &'static str)],
        provider_down: Option<(&'static str, &'static str)>,
        cause: Option<(&'static str, Option<&'static str>)>,
        why: &'static str,
    }
    let cases = [
        Case {
            name: "a map, the provider posted",
            departures: &[("dep1", "errors"), ("dep2", "errors"), ("dep3", "errors")],
            provider_down: Some(("aws", "Increased error rates in US-EAST-1")),
            cause: Some(("aws", Some("us-east-1"))),
            why: "3 of 3 members run on aws:us-east-1; AWS reports degraded since 07:01 UTC",
        },
        Case {
            name: "no map, a cloud provider down in the window, its region from the texts",
            departures: &[
                ("v01", "errors in europe-west1"),
                ("v02", "errors"),
                ("v03", "errors"),
                ("v04", "errors"),
                ("v05", "errors"),
            ],
            provider_down: Some(("gcp", "Multiple services in europe-west1")),
            cause: Some(("gcp", Some("europe-west1"))),
            why: "Google Cloud went degraded in the same window (07:01 UTC)",
        },
        Case {
            name: "no map, the posts name a provider that has not posted",
            departures: &[
                ("v01", "an outage at Google Cloud"),
                ("v02", "gcp is failing"),
                ("v03", "errors"),
                ("v04", "errors"),
                ("v05", "errors"),
            ],
            provider_down: None,
            cause: Some(("gcp", None)),
            // Four unmapped vendors in four minutes are already no chance.
            why: "2 of 4 members' posts name Google Cloud; Google Cloud has not posted yet.",
        },
        Case {
            name: "nothing to go on",
            departures: &[
                ("v01", "errors"),
                ("v02", "errors"),
                ("v03", "one of our third-party providers"),
                ("v04", "errors"),
                ("v05", "errors"),
            ],
            provider_down: None,
            cause: None,
            why: "",
        },
    ];
    for case in cases {
        let mut world = World::new();
        if let Some((provider, text)) = case.provider_down {
            world.depart(provider, "07:01", D, text);
        }
        let mut messages = Vec::new();
        for (i, (key, text)) in case.departures.iter().enumerate() {
            let time = format!("07:0{}", i + 2);
            world.depart(key, &time, D, text);
            messages.extend(world.step(&time));
        }
        let opened: Vec<_> = messages
            .iter()
            .filter(|c| c.phase == ClusterPhase::Opened)
            .collect();
        assert_eq!(opened.len(), 1, "{}: {messages:#?}", case.name);
        let got = opened[0].suspected_cause.as_ref();
        assert_eq!(
            got.map(|c| (c.vendor.as_str(), c.region.as_deref())),
            case.cause,
            "{}",
            case.name
        );
        if let Some(cause) = got {
            assert!(
                cause.why.starts_with(case.why),
                "{}: {}",
                case.name,
                cause.why
            );
            assert!(
                !members(opened[0]).contains(&cause.vendor.as_str()),
                "{}: the cause is no member",
                case.name
            );
        }
    }
}

#[test]
fn waves_grow_the_cluster_at_most_once_per_window() {
    let mut world = World::new();
    for (key, time) in [("dep1", "06:52"), ("dep2", "06:58"), ("dep3", "07:06")] {
        world.depart(key, time, ServiceState::Degraded, "errors");
    }
    assert_eq!(world.step("07:06")[0].phase, ClusterPhase::Opened);
    // A fourth joins 14 minutes after the first message: announced when a window has passed.
    world.depart("dep4", "07:20", ServiceState::Degraded, "errors");
    assert!(world.step("07:20").is_empty());
    // An unmapped vendor close behind joins too; one whose map says it runs elsewhere does not.
    world.depart("v01", "07:25", ServiceState::Degraded, "errors");
    world.depart("elsewhere", "07:26", ServiceState::Degraded, "errors");
    assert!(world.step("07:30").is_empty());
    let grew = world.step("07:36");
    assert_eq!(grew.len(), 1, "{grew:#?}");
    assert_eq!(grew[0].phase, ClusterPhase::Grew);
    assert_eq!(grew[0].joined, ["dep4", "v01"]);
    assert_eq!(grew[0].vendors.len(), 5);
    // The second wave, hours later: dependents of the cause join, a stranger does not.
    world.depart("dep5", "13:40", ServiceState::Outage, "errors");
    world.depart("v02", "13:41", ServiceState::Degraded, "errors");
    let second = world.step("13:42");
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].joined, ["dep5"], "{second:#?}");
    world.depart("dep6", "13:50", ServiceState::Degraded, "errors");
    world.depart("v03", "13:51", ServiceState::Degraded, "errors at AWS");
    assert!(world.step("13:55").is_empty(), "not twice in one window");
    let third = world.step("14:12");
    assert_eq!(third.len(), 1);
    assert_eq!(
        third[0].joined,
        ["dep6", "v03"],
        "a member that names the cause joins"
    );
    assert_eq!(world.inputs.open.len(), 1, "one cluster all day");
}

#[test]
fn members_recover_one_by_one_and_the_cluster_resolves_once() {
    let mut world = World::new();
    for (key, time) in [("dep1", "06:52"), ("dep2", "06:58"), ("dep3", "07:06")] {
        world.depart(key, time, ServiceState::Degraded, "errors");
    }
    world.step("07:06");
    world.recover("dep2");
    assert!(world.step("09:00").is_empty());
    // A member flapping: back up, down again, while the cluster is open: still one member,
    // no new cluster and no message.
    world.recover("dep1");
    assert!(world.step("09:30").is_empty());
    world.depart("dep1", "09:40", ServiceState::Degraded, "errors again");
    assert!(world.step("09:45").is_empty());
    world.recover("dep1");
    world.recover("dep3");
    let resolved = world.step("12:00");
    assert_eq!(resolved.len(), 1, "{resolved:#?}");
    assert_eq!(resolved[0].phase, ClusterPhase::Resolved);
    assert!(resolved[0]
        .vendors
        .iter()
        .all(|m| m.state == ServiceState::Operational));
    assert!(world.inputs.open.is_empty());
    // What the resolved cluster accounted for never opens another.
    assert!(world.step("12:05").is_empty());
    world.depart("dep1", "12:10", ServiceState::Degraded, "errors");
    assert!(world.step("12:10").is_empty(), "one flap is no cluster");
}

#[test]
fn the_knobs_change_the_verdict() {
    let mut world = World::new();
    world.settings.min_members = 6;
    for (i, key) in ["v01", "v02", "v03", "v04", "v05"].into_iter().enumerate() {
        let time = format!("07:0{i}");
        world.depart(key, &time, ServiceState::Degraded, "errors");
        assert!(world.step(&time).is_empty(), "fewer than min_members");
    }
    let mut strict = World::new();
    strict.settings.max_chance = 1e-12;
    for (key, time) in [("dep1", "06:52"), ("dep2", "06:58"), ("dep3", "07:06")] {
        strict.depart(key, time, ServiceState::Degraded, "errors");
        assert!(strict.step(time).is_empty(), "not surprising enough");
    }
}

#[test]
fn titles_read_as_one_message() {
    let mut world = World::new();
    for (key, time, state) in [
        ("dep1", "06:52", ServiceState::Degraded),
        ("dep2", "06:58", ServiceState::Outage),
        ("dep3", "07:06", ServiceState::Degraded),
    ] {
        world.depart(key, time, state, "errors");
    }
    let plan = plan_correlation(&world.inputs, &world.settings, at("07:08"));
    let payload = &plan.events[0].payload;
    assert_eq!(
        payload.title,
        "AWS us-east-1 is the likely cause: 3 vendors went degraded or down between 06:52 and 07:06 UTC"
    );
    assert_eq!(payload.occurred_at, "2025-10-20T06:52:00Z");
    assert_eq!(payload.detected_at, "2025-10-20T07:08:00Z");
    assert_eq!(payload.link.as_deref(), Some("http://127.0.0.1/dep1/101"));
    assert_eq!(payload.kind_name(), "correlated_outage");
}

#[test]
fn a_provider_is_dated_by_when_it_went_down_not_by_its_last_change() {
    let mut world = World::new();
    world.depart(
        "aws",
        "06:55",
        ServiceState::Outage,
        "Increased error rates in US-EAST-1",
    );
    for (key, time) in [("dep1", "07:00"), ("dep2", "07:02"), ("dep3", "07:04")] {
        world.depart(key, time, ServiceState::Degraded, "errors");
    }
    let opened = world.step("07:05");
    assert_eq!(opened.len(), 1, "{opened:?}");
    // Hours later the provider eases from outage to degraded: its state starts anew, but it
    // did not go down then.
    let aws = world.get("aws");
    aws.state = ServiceState::Degraded;
    aws.state_since = Some(at("09:00"));
    world.depart("dep4", "09:10", ServiceState::Degraded, "errors");
    let grew = world.step("09:15");
    assert_eq!(grew.len(), 1, "{grew:?}");
    let why = &grew[0].suspected_cause.as_ref().expect("a cause").why;
    assert!(why.contains("since 06:55 UTC"), "{why}");
}

#[test]
fn a_second_dependency_of_one_member_does_not_dilute_the_shared_one() {
    let chance_of = |extra: &[&str]| {
        let mut world = World::new();
        *world.get("dep1") = vendor("dep1", extra);
        for v in &mut world.inputs.vendors {
            v.past_incidents = 6;
            v.history_hours = 60.0 * 24.0;
        }
        for (key, time) in [("dep1", "07:00"), ("dep2", "07:02"), ("dep3", "07:04")] {
            world.depart(key, time, ServiceState::Degraded, "errors");
        }
        let opened = world.step("07:05");
        assert_eq!(opened.len(), 1, "{extra:?}: {opened:?}");
        opened[0].chance
    };
    let alone = chance_of(&["aws:us-east-1"]);
    let with_cdn = chance_of(&["aws:us-east-1", "cloudflare"]);
    assert!(
        (alone - with_cdn).abs() <= alone * 1e-9,
        "{alone} vs {with_cdn}"
    );
}
