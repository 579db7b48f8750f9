//! Every real status-API response of the shared corpus, served on 127.0.0.1 and polled through
//! the binary as a user's sources: each one is stored without an error, the second poll is all
//! 304s, and an HTML error page answered with 200 at a JSON URL fails that source alone.

mod common;
use common::{corpus_dir, stderr, summary, FeedServer, Resource, Sandbox};

#[test]
fn every_corpus_api_document_polls_cleanly_and_then_is_not_modified() {
    let dir = corpus_dir("json/README.md").join("json");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 13,
        "the corpus holds {} JSON documents",
        names.len()
    );

    let server = FeedServer::start();
    let sandbox = Sandbox::new();
    for (i, name) in names.iter().enumerate() {
        let mut resource = Resource::feed(std::fs::read(dir.join(name)).unwrap());
        resource.content_type = "application/json".into();
        // The vendor's own path shape, so the URL hint of detection is what it would be.
        let path = format!("/src{i}/{}", name.replace("__", "/"));
        server.set(&path, resource);
        sandbox.add_feed(&format!("Source{i}"), &server.url(&path));
    }
    // A JSON URL that answers with an HTML error page and 200.
    server.set(
        "/broken/api/v2/summary.json",
        Resource::plain(
            200,
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><body><h1>Oops, something went wrong</h1></body></html>",
        ),
    );
    let broken = sandbox.add_feed("Broken", &server.url("/broken/api/v2/summary.json"));

    let first = sandbox.poll(&[]);
    assert_eq!(
        first.status.code(),
        Some(2),
        "one source fails: {}",
        stderr(&first)
    );
    let s = summary(&first);
    assert_eq!(s["fetched"].as_u64(), Some(names.len() as u64), "{s}");
    assert_eq!(s["errors"].as_u64(), Some(1), "{s}");
    let last = sandbox.last_fetch(broken);
    assert_eq!(last.outcome, "not_a_feed");
    assert!(
        sandbox.count("SELECT count(*) FROM service_state WHERE component != ''") > 0,
        "component states from the summaries"
    );
    assert!(sandbox.count("SELECT count(*) FROM incidents") > 0);

    let second = sandbox.poll(&[]);
    let s = summary(&second);
    assert_eq!(s["not_modified"].as_u64(), Some(names.len() as u64), "{s}");
}
