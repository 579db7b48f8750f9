//! `statuswatch query` runs exactly one statement that reads: whatever would write (to the
//! archive or to another file), change the connection, or hide a second statement is refused
//! before it runs, with a message naming it; blanks, comments and a trailing `;` are fine.

mod common;
use common::{stderr, stdout, Sandbox};

/// A sandbox with a database holding one feed.
fn archive() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.add_feed("Zoom", &common::refused_url("/zoom.atom"));
    sandbox
}

/// Runs `query SQL` and returns its stderr, asserting it was refused (exit 1, nothing printed).
fn refused(sandbox: &Sandbox, sql: &str) -> String {
    let out = sandbox.run(&["query", "--", sql]);
    assert_eq!(out.status.code(), Some(1), "{sql}: {}", stdout(&out));
    assert_eq!(stdout(&out), "", "{sql}");
    let err = stderr(&out);
    assert!(
        err.contains("refused: ") && err.contains("runs exactly one statement that reads"),
        "{sql}: {err}"
    );
    err
}

#[test]
fn vacuum_into_a_file_is_refused_and_leaves_no_file() {
    // Regression: it used to fail on the read-only connection only after creating the file.
    let sandbox = archive();
    let target = sandbox.dir.path().join("copy.db");
    let sql = format!("VACUUM INTO '{}'", target.display());
    let err = refused(&sandbox, &sql);
    assert!(
        err.contains("`VACUUM INTO") && err.contains("writes"),
        "{err}"
    );
    assert!(!target.exists(), "VACUUM INTO left {}", target.display());
}

#[test]
fn attach_and_other_connection_changes_are_refused() {
    let sandbox = archive();
    let other = sandbox.dir.path().join("other.db");
    let err = refused(&sandbox, &format!("ATTACH '{}' AS o", other.display()));
    assert!(
        err.contains("`ATTACH") && err.contains("returns no rows"),
        "{err}"
    );
    assert!(!other.exists());
    for sql in ["DETACH main", "BEGIN", "PRAGMA query_only = 0"] {
        let err = refused(&sandbox, sql);
        assert!(err.contains("returns no rows"), "{sql}: {err}");
    }
    for sql in [
        "PRAGMA user_version = 99",
        "DELETE FROM feeds RETURNING id",
        "INSERT INTO feeds (url) VALUES ('x') RETURNING id",
    ] {
        let err = refused(&sandbox, sql);
        assert!(err.contains("writes"), "{sql}: {err}");
    }
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 1);
    assert!(sandbox.count("PRAGMA user_version") < 99);
}

#[test]
fn a_second_statement_is_refused_not_silently_ignored() {
    let sandbox = archive();
    let err = refused(&sandbox, "SELECT 1; DELETE FROM feeds");
    assert!(
        err.contains("a second statement follows the first (`DELETE FROM feeds`)"),
        "{err}"
    );
    let err = refused(&sandbox, "SELECT 1; SELECT 2;");
    assert!(
        err.contains("`SELECT 2;`") || err.contains("`SELECT 2`"),
        "{err}"
    );
    let err = refused(&sandbox, "SELECT 1; this is not sql");
    assert!(err.contains("more SQL follows"), "{err}");
    assert_eq!(sandbox.count("SELECT count(*) FROM feeds"), 1);
}

#[test]
fn an_empty_statement_is_refused() {
    let sandbox = archive();
    for sql in ["", "   ", "-- nothing here", "/* nor here */ ;"] {
        let err = refused(&sandbox, sql);
        assert!(err.contains("there is no statement"), "{sql:?}: {err}");
    }
}

#[test]
fn reads_with_comments_and_a_trailing_semicolon_run() {
    let sandbox = archive();
    for (sql, want) in [
        ("SELECT count(*) AS n FROM feeds;", "[[1]]"),
        (
            "-- how many feeds?\nSELECT count(*) AS n /* all */ FROM feeds ;  -- done\n",
            "[[1]]",
        ),
        (
            "WITH f AS (SELECT id FROM feeds) SELECT count(*) FROM f",
            "[[1]]",
        ),
        ("VALUES (1), (2)", "[[1],[2]]"),
        ("PRAGMA quick_check", "[[\"ok\"]]"),
    ] {
        let out = sandbox.run(&["query", "--format", "json", "--", sql]);
        assert!(out.status.success(), "{sql}: {}", stderr(&out));
        let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(json["rows"].to_string(), want, "{sql}");
    }
    let out = sandbox.run(&[
        "query",
        "EXPLAIN QUERY PLAN SELECT * FROM feeds WHERE id = 1",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}
