//! Correlated outages through real polls: feeds served from 127.0.0.1, a real SQLite file,
//! the real binary. Vendors that run on one provider going degraded together open one
//! cluster (its event in the outbox, its row in `clusters`, a banner in `status`); three
//! unrelated vendors in the same half hour do not; the cluster resolves when all recover.

mod common;
use common::{statuspage_atom, FeedServer, GenIncident, Resource, Sandbox};

/// Two months of ordinary history: an incident a week, each resolved in an hour (what a
/// SaaS status page shows).
fn history(vendor: &str, now: chrono::DateTime<chrono::Utc>) -> Vec<GenIncident> {
    (1..=9)
        .map(|i| {
            let start = now - chrono::Duration::days(i * 7) + chrono::Duration::hours(i);
            let end = start + chrono::Duration::hours(1);
            GenIncident {
                id: format!("{vendor}-past-{i}"),
                title: "Elevated error rates".into(),
                updates: vec![
                    (
                        end.to_rfc3339(),
                        "Resolved".into(),
                        "This incident has been resolved.".into(),
                    ),
                    (
                        start.to_rfc3339(),
                        "Investigating".into(),
                        "We are investigating elevated error rates.".into(),
                    ),
                ],
            }
        })
        .collect()
}

/// An incident under investigation since `minutes` ago, saying `text`.
fn ongoing(
    vendor: &str,
    now: chrono::DateTime<chrono::Utc>,
    minutes: i64,
    text: &str,
) -> GenIncident {
    let start = now - chrono::Duration::minutes(minutes);
    GenIncident {
        id: format!("{vendor}-now"),
        title: "Degraded performance".into(),
        updates: vec![(start.to_rfc3339(), "Investigating".into(), text.into())],
    }
}

fn resolved(vendor: &str, now: chrono::DateTime<chrono::Utc>, minutes: i64) -> GenIncident {
    let start = now - chrono::Duration::minutes(minutes);
    GenIncident {
        id: format!("{vendor}-now"),
        title: "Degraded performance".into(),
        updates: vec![
            (
                now.to_rfc3339(),
                "Resolved".into(),
                "This incident has been resolved.".into(),
            ),
            (
                start.to_rfc3339(),
                "Investigating".into(),
                "We are investigating.".into(),
            ),
        ],
    }
}

struct World {
    sandbox: Sandbox,
    server: FeedServer,
    now: chrono::DateTime<chrono::Utc>,
    vendors: Vec<String>,
}

impl World {
    /// A hundred vendors (`dep0`..`dep5` run on aws:us-east-1, `aws` is a cloud provider),
    /// polled once so the archive holds their history.
    fn new() -> World {
        let sandbox = Sandbox::new();
        let server = FeedServer::start();
        let now = chrono::Utc::now();
        let mut vendors: Vec<String> = (0..6).map(|i| format!("dep{i}")).collect();
        vendors.extend((0..93).map(|i| format!("v{i:02}")));
        vendors.push("aws".into());
        // The map comes in with the catalog, as a user writes it: `runs_on` on the
        // dependents, `aws` filed as a cloud provider.
        let mut outlines = String::new();
        for v in &vendors {
            let path = format!("/{v}/history.atom");
            server.set(
                &path,
                Resource::feed(statuspage_atom(
                    &format!("status.{v}.test"),
                    &history(v, now),
                )),
            );
            let (category, runs_on) = match v.as_str() {
                "aws" => ("cloud", ""),
                dep if dep.starts_with("dep") => ("saas", " runs_on=\"aws:us-east-1\""),
                _ => ("saas", ""),
            };
            outlines.push_str(&format!(
                "    <outline text=\"{title}\" xmlUrl=\"{url}\" vendor=\"{v}\" engine=\"statuspage\" category=\"{category}\"{runs_on}/>\n",
                title = v.to_uppercase(),
                url = server.url(&path),
            ));
        }
        let opml = sandbox.write(
            "feeds.opml",
            &format!("<?xml version=\"1.0\"?>\n<opml version=\"2.0\">\n  <body>\n{outlines}  </body>\n</opml>\n"),
        );
        let out = sandbox.run(&["feeds", "import", opml.to_str().unwrap()]);
        assert!(out.status.success(), "{}", common::stderr(&out));
        assert_eq!(
            sandbox.count("SELECT COUNT(*) FROM feeds WHERE runs_on = 'aws:us-east-1'"),
            6
        );
        let world = World {
            sandbox,
            server,
            now,
            vendors,
        };
        world.poll();
        assert_eq!(world.clusters(), 0, "history raises no cluster");
        world
    }

    fn serve(&self, vendor: &str, extra: Vec<GenIncident>) {
        let mut incidents = extra;
        incidents.extend(history(vendor, self.now));
        self.server.set(
            &format!("/{vendor}/history.atom"),
            Resource::feed(statuspage_atom(
                &format!("status.{vendor}.test"),
                &incidents,
            )),
        );
    }

    fn poll(&self) {
        self.sandbox.make_due();
        let out = self.sandbox.poll(&[]);
        assert!(out.status.success(), "{}", common::stderr(&out));
    }

    fn clusters(&self) -> i64 {
        self.sandbox
            .count("SELECT COUNT(*) FROM events WHERE kind = 'correlated_outage'")
    }

    fn cluster_events(&self) -> Vec<serde_json::Value> {
        self.sandbox
            .strings("SELECT payload FROM events WHERE kind = 'correlated_outage' ORDER BY seq")
            .iter()
            .map(|p| serde_json::from_str(p).unwrap())
            .collect()
    }
}

#[test]
fn vendors_on_one_provider_going_down_together_open_one_cluster_that_resolves() {
    let world = World::new();
    assert_eq!(world.vendors.len(), 100);
    world.serve(
        "dep0",
        vec![ongoing(
            "dep0",
            world.now,
            20,
            "Errors from our cloud provider in us-east-1.",
        )],
    );
    world.serve(
        "dep1",
        vec![ongoing(
            "dep1",
            world.now,
            14,
            "We are investigating failed logins.",
        )],
    );
    world.poll();
    assert_eq!(world.clusters(), 0, "two are not a cluster");
    world.serve(
        "dep2",
        vec![ongoing("dep2", world.now, 5, "Some requests fail.")],
    );
    world.poll();
    let events = world.cluster_events();
    assert_eq!(events.len(), 1, "{events:#?}");
    let opened = &events[0];
    assert_eq!(opened["phase"], "opened");
    let members: Vec<&str> = opened["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["vendor"].as_str().unwrap())
        .collect();
    assert_eq!(members, ["dep0", "dep1", "dep2"]);
    assert_eq!(opened["suspected_cause"]["vendor"], "aws");
    assert_eq!(opened["suspected_cause"]["region"], "us-east-1");
    assert_eq!(
        opened["suspected_cause"]["why"],
        "3 of 3 members run on aws:us-east-1; AWS has not posted yet."
    );
    assert!(opened["chance"].as_f64().unwrap() < 1e-4);
    assert!(opened["vendors"][0]["incident"]["link"]
        .as_str()
        .unwrap()
        .contains("status.dep0.test"));

    // People see it: `status` first, `clusters` as a table and as JSON, the SQL table.
    let status = common::stdout(&world.sandbox.run(&["status"]));
    assert!(
        status.starts_with("CORRELATED OUTAGE #1 since "),
        "{status}"
    );
    assert!(
        status.contains("likely cause aws:us-east-1; 3 vendors: dep0 (degraded"),
        "{status}"
    );
    let listed = common::stdout(&world.sandbox.run(&["clusters", "--format", "json"]));
    let row: serde_json::Value = serde_json::from_str(listed.lines().next().unwrap()).unwrap();
    assert_eq!(row["id"], 1);
    assert_eq!(row["resolved_at"], serde_json::Value::Null);
    assert_eq!(row["members"].as_array().unwrap().len(), 3);
    let table = common::stdout(&world.sandbox.run(&["clusters"]));
    assert!(table.contains("aws:us-east-1"), "{table}");
    assert!(table.contains("(open)"), "{table}");
    assert_eq!(
        world
            .sandbox
            .count("SELECT COUNT(*) FROM cluster_members WHERE cluster_id = 1"),
        3
    );
    // `events` lists it like every event.
    let listed = common::stdout(&world.sandbox.run(&["events", "--format", "json"]));
    assert!(
        listed.contains("\"kind\":\"correlated_outage\""),
        "{listed}"
    );

    // Nothing new: no second message.
    world.poll();
    assert_eq!(world.clusters(), 1);

    // One by one they recover; the cluster resolves once, when the last does.
    world.serve("dep0", vec![resolved("dep0", world.now, 20)]);
    world.poll();
    assert_eq!(world.clusters(), 1);
    world.serve("dep1", vec![resolved("dep1", world.now, 14)]);
    world.serve("dep2", vec![resolved("dep2", world.now, 5)]);
    world.poll();
    let events = world.cluster_events();
    assert_eq!(events.len(), 2, "{events:#?}");
    assert_eq!(events[1]["phase"], "resolved");
    assert_eq!(events[1]["cluster_id"], 1);
    world.poll();
    assert_eq!(world.clusters(), 2, "resolved once");
    let bad = world.sandbox.run(&["clusters", "--since", "last tuesday"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        common::stderr(&bad).contains("last tuesday"),
        "{}",
        common::stderr(&bad)
    );
    let open = common::stdout(&world.sandbox.run(&["clusters", "--open"]));
    assert!(open.contains("No correlated outages."), "{open}");
    assert!(!common::stdout(&world.sandbox.run(&["status"])).contains("CORRELATED"));
}

#[test]
fn three_unrelated_vendors_in_the_same_half_hour_are_chance() {
    let world = World::new();
    world.serve("v01", vec![ongoing("v01", world.now, 25, "Errors.")]);
    world.serve("v07", vec![ongoing("v07", world.now, 15, "Slow pages.")]);
    world.serve("v13", vec![ongoing("v13", world.now, 3, "Login failures.")]);
    world.poll();
    assert_eq!(
        world
            .sandbox
            .count("SELECT COUNT(*) FROM events WHERE kind = 'state_change'"),
        3
    );
    assert_eq!(world.clusters(), 0);
    assert_eq!(world.sandbox.count("SELECT COUNT(*) FROM clusters"), 0);
}

#[test]
fn correlation_can_be_turned_off_and_a_bad_knob_names_its_line() {
    let world = World::new();
    let config = world
        .sandbox
        .write("statuswatch.toml", "[correlation]\nenabled = false\n");
    for v in ["dep0", "dep1", "dep2"] {
        world.serve(v, vec![ongoing(v, world.now, 10, "Errors.")]);
    }
    world.sandbox.make_due();
    let out = world.sandbox.run(&[
        "--config",
        config.to_str().unwrap(),
        "poll",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(world.clusters(), 0);

    let bad = world.sandbox.write(
        "bad.toml",
        "[correlation]\nwindow = \"30 minutes\"\nmax_chance = 2.0\nmin_members = 1\n",
    );
    let out = world
        .sandbox
        .run(&["--config", bad.to_str().unwrap(), "poll"]);
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    assert!(
        err.contains("line 3: correlation.max_chance must be a probability"),
        "{err}"
    );
    assert!(
        err.contains("line 4: correlation.min_members must be between 2"),
        "{err}"
    );
}
