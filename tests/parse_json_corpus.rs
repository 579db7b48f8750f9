//! Every real status-API response in `../shared/corpus/json/`, read as a person would read it:
//! how many components and in what state, the overall word, the incidents with their status and
//! impact; idle documents have no open incident, active ones do. A document added to the corpus
//! without a case here fails the test, so none is skipped silently.

mod common;

use std::collections::BTreeMap;

use statuswatch::classify::Rules;
use statuswatch::model::{Engine, ParsedFeed, ServiceState, Status};
use statuswatch::parse::{parse_feed, ParseOptions};

/// What a person reads from one document.
struct Expect {
    engine: Engine,
    /// (components, how many not operational), `None` when the document lists none.
    components: Option<(usize, usize)>,
    overall: Option<ServiceState>,
    /// Per entry, in document order: (newest update's label, severity, verdict).
    entries: &'static [(&'static str, Option<&'static str>, Status)],
}

fn cases() -> BTreeMap<&'static str, Expect> {
    use ServiceState::{Degraded as Deg, Operational};
    BTreeMap::from([
        (
            "aws__currentevents__2026-09-abridged.json",
            Expect {
                engine: Engine::Aws,
                components: None,
                overall: None,
                entries: &[
                    ("Resolved", Some("Informational message"), Status::Resolved),
                    (
                        "Informational message",
                        Some("Service disruption"),
                        Status::Degraded,
                    ),
                    (
                        "Informational message",
                        Some("Service disruption"),
                        Status::Degraded,
                    ),
                ],
            },
        ),
        (
            "claude__statuspage-components__2026-09-03.json",
            Expect {
                engine: Engine::Statuspage,
                components: Some((6, 0)),
                overall: None,
                entries: &[],
            },
        ),
        (
            "claude__statuspage-scheduled-maintenances__2026-09-15.json",
            Expect {
                engine: Engine::Statuspage,
                components: None,
                overall: None,
                entries: &[
                    ("Completed", Some("maintenance"), Status::Resolved),
                    ("Completed", Some("maintenance"), Status::Resolved),
                ],
            },
        ),
        (
            "cloudflare__statuspage-incidents__2026-08-07-abridged.json",
            Expect {
                engine: Engine::Statuspage,
                components: None,
                overall: None,
                entries: &[
                    ("Resolved", Some("minor"), Status::Resolved),
                    ("Resolved", Some("minor"), Status::Resolved),
                    ("Resolved", Some("minor"), Status::Resolved),
                ],
            },
        ),
        (
            "dropbox__statuspage-summary__2024-01-03-idle.json",
            Expect {
                engine: Engine::Statuspage,
                components: Some((11, 0)),
                overall: Some(Operational),
                entries: &[],
            },
        ),
        (
            "gcp__incidents__2026-07-abridged.json",
            Expect {
                engine: Engine::Gcp,
                components: None,
                overall: None,
                entries: &[
                    ("Resolved", Some("service disruption"), Status::Resolved),
                    ("Resolved", Some("service disruption"), Status::Resolved),
                    ("Resolved", Some("service disruption"), Status::Resolved),
                ],
            },
        ),
        // 12 components less the "Visit www.githubstatus.com" signpost; Packages is partial_outage
        // (an outage: a part does not work) while the page's indicator says minor.
        (
            "github__statuspage-summary__2022-11-25-packages-incident.json",
            Expect {
                engine: Engine::Statuspage,
                components: Some((10, 1)),
                overall: Some(Deg),
                entries: &[("Investigating", Some("major"), Status::Outage)],
            },
        ),
        (
            "github__statuspage-summary__2026-07-01-idle.json",
            Expect {
                engine: Engine::Statuspage,
                components: Some((11, 0)),
                overall: Some(Operational),
                entries: &[],
            },
        ),
        (
            "openai__incidentio-summary__2026-07-09-idle.json",
            Expect {
                engine: Engine::Incidentio,
                components: Some((25, 0)),
                overall: Some(Operational),
                entries: &[],
            },
        ),
        (
            "openai__incidentio-summary__2026-09-29-active-incidents.json",
            Expect {
                engine: Engine::Incidentio,
                components: Some((25, 22)),
                overall: Some(Deg),
                entries: &[
                    ("Investigating", Some("minor"), Status::Degraded),
                    ("Investigating", Some("none"), Status::Outage),
                ],
            },
        ),
        (
            "perplexity__instatus-components__2026.json",
            Expect {
                engine: Engine::Instatus,
                components: Some((3, 0)),
                overall: None,
                entries: &[],
            },
        ),
        (
            "perplexity__instatus-summary__2026.json",
            Expect {
                engine: Engine::Instatus,
                components: None,
                overall: Some(Operational),
                entries: &[],
            },
        ),
        (
            "ymc-roleplay__statuspage-status__2024-09-02.json",
            Expect {
                engine: Engine::Statuspage,
                components: None,
                overall: Some(Operational),
                entries: &[],
            },
        ),
    ])
}

fn open_count(feed: &ParsedFeed) -> usize {
    let rules = Rules::embedded();
    feed.entries
        .iter()
        .filter(|e| rules.classify(feed.engine, e).status != Status::Resolved)
        .count()
}

#[test]
fn every_corpus_document_reads_as_a_person_reads_it() {
    let dir = common::corpus_dir("json/README.md").join("json");
    let mut cases = cases();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|d| d.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no documents in {}", dir.display());
    let rules = Rules::embedded();
    for name in &names {
        let want = cases
            .remove(name.as_str())
            .unwrap_or_else(|| panic!("{name}: a corpus document without a case in this test"));
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let feed =
            parse_feed(&bytes, &ParseOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(feed.engine, want.engine, "{name}: engine");
        let got = feed.components.as_ref().map(|cs| {
            (
                cs.len(),
                cs.iter()
                    .filter(|c| c.state != ServiceState::Operational)
                    .count(),
            )
        });
        assert_eq!(
            got, want.components,
            "{name}: (components, not operational)"
        );
        assert_eq!(feed.overall, want.overall, "{name}: overall");
        let entries: Vec<(String, Option<String>, Status)> = feed
            .entries
            .iter()
            .map(|e| {
                (
                    e.updates
                        .first()
                        .map(|u| u.label.clone())
                        .unwrap_or_default(),
                    e.severity.clone(),
                    rules.classify(feed.engine, e).status,
                )
            })
            .collect();
        let want_entries: Vec<(String, Option<String>, Status)> = want
            .entries
            .iter()
            .map(|(l, s, st)| (l.to_string(), s.map(str::to_string), *st))
            .collect();
        assert_eq!(entries, want_entries, "{name}: entries");
        for e in &feed.entries {
            assert!(!e.id.is_empty() && !e.id_derived, "{name}: {e:?}");
            assert!(!e.title.is_empty(), "{name}: {}", e.id);
            assert!(e.published.is_some(), "{name}: {} has no date", e.id);
        }
        if name.contains("-idle") {
            assert_eq!(open_count(&feed), 0, "{name}: idle, yet an open incident");
        }
        if name.contains("active") || name.contains("packages-incident") {
            assert!(
                open_count(&feed) > 0,
                "{name}: active, yet no open incident"
            );
        }
    }
    assert!(
        cases.is_empty(),
        "cases for documents no longer in the corpus: {:?}",
        cases.keys().collect::<Vec<_>>()
    );
}

/// The joins a person makes: GitHub's incident touches Packages and Pages by their current
/// names; Anthropic's maintenance names "Claude Console (platform.claude.com)" though its
/// updates say "console.anthropic.com"; Cloudflare's updates say "Cloudflare Sites and
/// Services - Gateway" for the component "Gateway".
#[test]
fn affected_components_are_joined_on_code() {
    let dir = common::corpus_dir("json/README.md").join("json");
    let read = |name: &str| {
        parse_feed(
            &std::fs::read(dir.join(name)).unwrap(),
            &ParseOptions::default(),
        )
        .unwrap()
    };
    let gh = read("github__statuspage-summary__2022-11-25-packages-incident.json");
    assert_eq!(gh.entries[0].components, ["Packages", "Pages"]);
    assert_eq!(
        gh.entries[0].id,
        "https://www.githubstatus.com/incidents/ljwdk6qml8z8"
    );
    assert_eq!(gh.entries[0].updates.len(), 7);
    assert!(gh
        .components
        .unwrap()
        .iter()
        .all(|c| !c.name.starts_with("Visit ")));
    let claude = read("claude__statuspage-scheduled-maintenances__2026-09-15.json");
    let all: Vec<&String> = claude.entries.iter().flat_map(|e| &e.components).collect();
    assert!(
        all.iter()
            .any(|c| *c == "Claude Console (platform.claude.com)"),
        "{all:?}"
    );
    assert!(
        !all.iter().any(|c| c.contains("console.anthropic.com")),
        "{all:?}"
    );
    let labels: Vec<&str> = claude.entries[1]
        .updates
        .iter()
        .map(|u| u.label.as_str())
        .collect();
    assert_eq!(
        labels,
        ["Completed", "In progress", "Scheduled", "Scheduled"]
    );
    let cf = read("cloudflare__statuspage-incidents__2026-08-07-abridged.json");
    let all: Vec<&String> = cf.entries.iter().flat_map(|e| &e.components).collect();
    assert!(all.iter().any(|c| *c == "Gateway"), "{all:?}");
    assert!(!all.iter().any(|c| c.contains(" - ")), "{all:?}");
    // The +02:00 page: its time is read as such.
    let ymc = read("ymc-roleplay__statuspage-status__2024-09-02.json");
    assert_eq!(ymc.title.as_deref(), Some("Ymc RolePlay"));
}
