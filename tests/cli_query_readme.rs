//! Every SQL statement the README shows runs, through `statuswatch query`, on a database
//! filled by a real poll: the README stays true when the schema changes.

mod common;
use common::{fixture, opml, stderr, FeedServer, Resource, Sandbox};

fn readme_sql() -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut statements = Vec::new();
    let mut in_sql = false;
    let mut block = String::new();
    for line in readme.lines() {
        if line.trim_start().starts_with("```") {
            if in_sql {
                statements.extend(
                    block
                        .split(';')
                        .map(|s| {
                            s.lines()
                                .filter(|l| !l.trim_start().starts_with("--"))
                                .collect::<Vec<_>>()
                                .join("\n")
                        })
                        .filter(|s| !s.trim().is_empty()),
                );
                block.clear();
            }
            in_sql = line.trim() == "```sql";
            continue;
        }
        if in_sql {
            block.push_str(line);
            block.push('\n');
        }
    }
    statements
}

#[test]
fn the_readme_queries_run_on_a_polled_archive() {
    let server = FeedServer::start();
    server.set(
        "/zoom.atom",
        Resource::feed(fixture("feeds/statuspage-v2.atom")),
    );
    server.set("/aws.rss", Resource::feed(fixture("feeds/aws-all.rss")));
    let sandbox = Sandbox::new();
    let file = sandbox.write(
        "feeds.opml",
        &opml(&[
            ("Zoom", "zoom", "statuspage", server.url("/zoom.atom")),
            ("AWS", "aws", "aws", server.url("/aws.rss")),
        ]),
    );
    assert!(sandbox
        .run(&["feeds", "import", file.to_str().unwrap()])
        .status
        .success());
    assert_eq!(sandbox.run(&["poll"]).status.code(), Some(0));
    let statements = readme_sql();
    assert!(
        statements.len() >= 5,
        "found {} statements",
        statements.len()
    );
    for sql in &statements {
        let out = sandbox.run(&["query", sql, "--format", "json"]);
        assert!(
            out.status.success(),
            "README query failed:\n{sql}\n{}",
            stderr(&out)
        );
    }
    // The updates query finds the API incident's timeline.
    let updates = statements
        .iter()
        .find(|s| s.contains("FROM updates"))
        .unwrap();
    let out = sandbox.run(&["query", updates, "--format", "json"]);
    assert!(String::from_utf8_lossy(&out.stdout).lines().count() >= 1);
}
