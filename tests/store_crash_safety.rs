//! Crash safety: the real binary is killed with SIGKILL at random moments during polls of a
//! large fixture set, many times over. Afterwards the database is sound, no event is
//! duplicated and no state change lacks its event (one transaction per feed fetch).

mod common;
use common::{
    assert_events_match_state, opml, statuspage_atom, stderr, FeedServer, GenIncident, Resource,
    Sandbox,
};
use std::time::Duration;

const FEEDS: usize = 40;

/// A small deterministic generator, so a failure can be replayed from its seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Version `round` of feed `feed`: 12 incidents, some active, some moving between states.
fn document(feed: usize, round: u64, rng: &mut Rng) -> String {
    let mut incidents = Vec::new();
    for n in 0..12u64 {
        let day = 1 + n;
        let start = format!("2026-03-{day:02}T08:00:00Z");
        let stage = if n < 3 {
            (round + n + feed as u64 + rng.below(2)) % 4
        } else {
            3
        };
        let mut updates = vec![(
            start.clone(),
            "Investigating".to_string(),
            "Some users see elevated error rates.".to_string(),
        )];
        if stage >= 1 {
            updates.insert(
                0,
                (
                    format!("2026-03-{day:02}T08:20:00Z"),
                    "Identified".into(),
                    "Users are unable to log in.".into(),
                ),
            );
        }
        if stage >= 2 {
            updates.insert(
                0,
                (
                    format!("2026-03-{day:02}T08:40:00Z"),
                    "Monitoring".into(),
                    "A fix has been deployed.".into(),
                ),
            );
        }
        if stage >= 3 {
            updates.insert(
                0,
                (
                    format!("2026-03-{day:02}T09:00:00Z"),
                    "Resolved".into(),
                    "This incident has been resolved.".into(),
                ),
            );
        }
        incidents.push(GenIncident {
            id: format!("{feed}{n:03}"),
            title: format!("Incident {n} at vendor {feed}"),
            updates,
        });
    }
    statuspage_atom(&format!("status.vendor{feed}.example"), &incidents)
}

#[test]
fn sigkill_during_polls_never_breaks_the_archive() {
    let seed = 0x5eed_cafe_u64;
    let mut rng = Rng(seed);
    let server = FeedServer::start();
    // 40 feeds, 4 at a time, 15 ms each: a cycle lasts at least 150 ms, so kills land mid-cycle.
    server.set_delay(Duration::from_millis(15));
    let sandbox = Sandbox::new();
    let mut feeds = Vec::new();
    for i in 0..FEEDS {
        let path = format!("/v{i}/history.atom");
        server.set(&path, Resource::feed(document(i, 0, &mut rng)));
        feeds.push((
            format!("Vendor {i}"),
            format!("vendor{i}"),
            server.url(&path),
        ));
    }
    let list: Vec<(&str, &str, &str, String)> = feeds
        .iter()
        .map(|(t, v, u)| (t.as_str(), v.as_str(), "statuspage", u.clone()))
        .collect();
    let file = sandbox.write("feeds.opml", &opml(&list));
    assert!(sandbox
        .run(&["feeds", "import", file.to_str().unwrap()])
        .status
        .success());

    let mut killed = 0;
    for round in 1..=16u64 {
        for i in 0..FEEDS {
            if rng.below(3) > 0 {
                server.set(
                    &format!("/v{i}/history.atom"),
                    Resource::feed(document(i, round, &mut rng)),
                );
            }
        }
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_statuswatch"))
            .args(["poll", "--concurrency", "4"])
            .env("STATUSWATCH_DB", sandbox.db())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(5 + rng.below(250)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL on Unix
            killed += 1;
        }
        child.wait().unwrap();
        assert_events_match_state(&sandbox.sql());
    }
    assert!(
        killed >= 8,
        "seed {seed:#x}: only {killed} polls were killed mid-run; the test proves little"
    );

    // A clean poll afterwards completes and keeps every invariant.
    let out = sandbox.run(&["poll"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_events_match_state(&sandbox.sql());
    assert!(sandbox.count("SELECT count(*) FROM events") > 0);
    let duplicates = sandbox.count("SELECT count(*) FROM (SELECT entry_id, revision FROM entry_revisions GROUP BY 1, 2 HAVING count(*) > 1)");
    assert_eq!(duplicates, 0);
}
