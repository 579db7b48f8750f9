//! Text from outside cannot drive the terminal: ESC, BEL, C1 controls and bidi overrides in an
//! OPML file's titles, vendors and categories, in `feeds add` flags, or already stored in the
//! database, never reach the output of `feeds list` or `status`.

mod common;
use common::{statuspage_atom, stderr, stdout, FeedServer, Resource, Sandbox};

/// The characters a terminal obeys or that reorder what it displays.
const UNSAFE: [char; 5] = ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}', '\u{7f}'];

fn assert_clean(what: &str, text: &str) {
    for c in UNSAFE {
        assert!(!text.contains(c), "{what} holds {c:?}:\n{text:?}");
    }
}

fn run_ok(sandbox: &Sandbox, args: &[&str]) -> String {
    let out = sandbox.run(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    format!("{}{}", stdout(&out), stderr(&out))
}

#[test]
fn escape_sequences_from_opml_flags_and_old_rows_never_reach_the_terminal() {
    let sandbox = Sandbox::new();
    let server = FeedServer::start();
    for path in ["/a.atom", "/b.atom", "/c.atom", "/d.atom"] {
        server.set(
            path,
            Resource::feed(statuspage_atom("status.example.com", &[])),
        );
    }
    // Raw control characters, character references to them, and references escaped twice
    // (which the catalog decodes), in every text attribute.
    let opml = format!(
        "<?xml version=\"1.0\"?>\n<opml version=\"2.0\">\n<head><title>t</title></head>\n<body>\n\
         <outline text=\"Cat\u{1b}[31m\" category=\"x\u{7}y\">\n\
         <outline text=\"Raw\u{1b}[2J\u{1b}[HEvil\u{7}\" vendor=\"raw\u{1b}]0;pwned\u{7}\" xmlUrl=\"{a}\"/>\n\
         <outline text=\"Ref&#x1b;[2Jx&#x9b;31m&#x202e;gnp.exe\" vendor=\"ref\" xmlUrl=\"{b}\" htmlUrl=\"https://h.example/&#x1b;[2J\"/>\n\
         <outline text=\"Twice&amp;#27;[2J&amp;#x7;\" category=\"c&#x1b;[1m\" xmlUrl=\"{c}\"/>\n\
         </outline>\n</body>\n</opml>\n",
        a = server.url("/a.atom"),
        b = server.url("/b.atom"),
        c = server.url("/c.atom"),
    );
    let file = sandbox.write("hostile.opml", &opml);
    let import = run_ok(&sandbox, &["feeds", "import", file.to_str().unwrap()]);
    assert_clean("feeds import", &import);

    // From the command line.
    let add = run_ok(
        &sandbox,
        &[
            "feeds",
            "add",
            &server.url("/d.atom"),
            "--no-check",
            "--title",
            "Flag\u{1b}[2J\ttitle\u{202e}",
            "--vendor",
            "flag\u{9b}",
            "--category",
            "saas\u{7}",
        ],
    );
    assert_clean("feeds add", &add);

    // What entered is stored clean: tabs and line breaks as spaces, the rest gone.
    let mut stored = sandbox.strings(
        "SELECT title || '|' || vendor || '|' || coalesce(category, '') || '|' || coalesce(html_url, '') FROM feeds ORDER BY id",
    );
    for row in &stored {
        assert_clean("a stored feed", row);
    }
    stored.sort();
    assert!(
        stored.contains(&"Flag[2J title|flag|saas|".to_string()),
        "{stored:#?}"
    );
    assert!(
        stored
            .iter()
            .any(|r| r.starts_with("Raw[2J[HEvil|raw]0;pwned|")),
        "{stored:#?}"
    );

    // A row stored before the rule existed (written straight into the database).
    sandbox
        .sql()
        .execute(
            "UPDATE feeds SET title = 'Old' || char(27) || '[2J' || char(7), \
             last_error = 'x' || char(27) || '[31m' WHERE vendor = 'ref'",
            [],
        )
        .unwrap();

    let poll = run_ok(&sandbox, &["poll"]);
    assert_clean("poll", &poll);
    for args in [
        &["feeds", "list"][..],
        &["feeds", "list", "--format", "csv"],
        &["status", "--all"],
        &["status", "--all", "--format", "csv"],
    ] {
        let out = run_ok(&sandbox, args);
        assert_clean(&format!("{args:?}"), &out);
        assert!(
            out.contains("Evil") || args[0] == "status",
            "{args:?}: {out}"
        );
    }
    let listed = run_ok(&sandbox, &["feeds", "list"]);
    assert!(
        listed.contains("Old[2J"),
        "the old row is listed, cleaned: {listed}"
    );
}
