//! What the parser says about a document reaches the user through `poll` and `feeds check`
//! (one stderr line naming the feed, the check's line) and the fetch log (`fetches.notes`):
//! invalid UTF-8 read as Windows-1252, duplicate ids, the per-document entry cap.

mod common;
use common::{fixture, stderr, summary, FeedServer, Resource, Sandbox};

/// Serves `body` at `path` as the one feed "Lantern" of a new sandbox; returns its id.
fn lantern(path: &str, body: Vec<u8>) -> (FeedServer, Sandbox, i64) {
    let server = FeedServer::start();
    server.set(path, Resource::feed(body));
    let sandbox = Sandbox::new();
    let id = sandbox.add_feed("Lantern", &server.url(path));
    (server, sandbox, id)
}

fn notes(sandbox: &Sandbox, id: i64) -> Vec<String> {
    sandbox.strings(&format!(
        "SELECT coalesce(notes, '') FROM fetches WHERE feed_id = {id} ORDER BY id"
    ))
}

#[test]
fn invalid_utf8_is_read_as_windows_1252_and_the_user_is_told_where() {
    let (server, sandbox, id) = lantern("/history.rss", fixture("feeds/cp1252-declared-utf8.rss"));
    let out = sandbox.poll(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    let url = server.url("/history.rss");
    assert!(
        err.contains(&format!(
            "Feed {id} \"Lantern\" ({url}): not valid UTF-8 at byte 221; read as Windows-1252."
        )),
        "{err}"
    );
    assert_eq!(
        sandbox.strings("SELECT title FROM entries"),
        ["Café orders delayed – we’re investigating"]
    );
    assert_eq!(
        notes(&sandbox, id),
        ["not valid UTF-8 at byte 221; read as Windows-1252"]
    );
    assert_eq!(
        sandbox.count("SELECT repaired FROM fetches ORDER BY id DESC LIMIT 1"),
        1
    );

    // `feeds check` says it on the feed's line.
    let out = sandbox.run(&["feeds", "check", &id.to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = common::stdout(&out);
    assert!(
        text.contains("; not valid UTF-8 at byte 221; read as Windows-1252"),
        "{text}"
    );
}

#[test]
fn a_stray_byte_in_utf8_is_flagged_and_the_rest_kept() {
    let (_server, sandbox, id) = lantern("/history.rss", fixture("feeds/utf8-one-stray-byte.rss"));
    let out = sandbox.poll(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not valid UTF-8 at byte 762; read as Windows-1252 (1 stray byte"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        sandbox.strings("SELECT title FROM entries ORDER BY entry_key"),
        ["Café éclair menu offline", "Payments slow"]
    );
    assert_eq!(notes(&sandbox, id).len(), 1);
}

#[test]
fn duplicate_ids_keep_the_newest_say_so_and_never_flip_flop() {
    let (server, sandbox, id) = lantern("/history.rss", fixture("feeds/duplicate-guids.rss"));
    let out = sandbox.poll(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "Feed {id} \"Lantern\" ({}): 2 ids are each shared by several entries (\"lantern-51\" ×2, \"lantern-52\" ×3): kept the newest of each",
            server.url("/history.rss")
        )),
        "{err}"
    );
    assert_eq!(summary(&out)["new"], 2);
    let versions = || {
        sandbox.strings(
            "SELECT e.entry_key || ': ' || count(r.id) FROM entries e
             JOIN entry_revisions r ON r.entry_id = e.id GROUP BY e.id ORDER BY e.entry_key",
        )
    };
    assert_eq!(versions(), ["lantern-51: 1", "lantern-52: 1"]);
    // The newest copy of lantern-51 (Resolved) is what is stored.
    assert_eq!(
        sandbox.strings("SELECT status FROM entries WHERE entry_key = 'lantern-51'"),
        ["resolved"]
    );

    // The same document again (validators off, so it is really fetched and parsed): the same
    // copies are kept, so nothing is revised back and forth.
    server.set(
        "/history.rss",
        Resource::feed(fixture("feeds/duplicate-guids.rss")).no_validators(),
    );
    sandbox.make_due();
    let out = sandbox.poll(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s = summary(&out);
    assert_eq!(
        (s["new"].as_i64(), s["updated"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(versions(), ["lantern-51: 1", "lantern-52: 1"]);
    assert!(notes(&sandbox, id)
        .iter()
        .all(|n| n.contains("\"lantern-51\" ×2")));
}

/// An RSS feed of items `0..n` (item `i` published `i` minutes after midnight), each an open
/// incident ("Investigating"), listed newest first.
fn items(range: std::ops::Range<usize>) -> Vec<u8> {
    let mut doc = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Lantern</title>\
         <link>https://status.lantern.example/</link>",
    );
    for i in range.rev() {
        doc.push_str(&format!(
            "<item><title>Errors on service {i}</title><guid>inc-{i}</guid>\
             <link>https://status.lantern.example/incidents/{i}</link>\
             <pubDate>Wed, 02 Dec 2026 {:02}:{:02}:00 GMT</pubDate>\
             <description>Investigating - We are investigating errors on service {i}.</description></item>",
            i / 60,
            i % 60
        ));
    }
    doc.push_str("</channel></rss>");
    doc.into_bytes()
}

#[test]
fn the_entry_cap_keeps_the_newest_warns_and_withdraws_nothing_it_left_out() {
    let (server, sandbox, id) = lantern("/history.rss", items(0..8));
    let out = sandbox.poll(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let open = || sandbox.count("SELECT count(*) FROM incidents WHERE resolved_at IS NULL");
    assert_eq!(open(), 8, "every item is an open incident");

    // The vendor's feed grows to 12 items; the cap takes the newest 5 (inc-7 .. inc-11).
    server.set("/history.rss", Resource::feed(items(0..12)).no_validators());
    sandbox.make_due();
    let out = sandbox.poll(&["--max-entries", "5"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "Feed {id} \"Lantern\" ({}): the document holds 12 entries, more than the cap of 5: kept the newest 5 and left out 7 older ones (raise --max-entries to take more).",
            server.url("/history.rss")
        )),
        "{err}"
    );
    assert_eq!(summary(&out)["new"], 4, "inc-8 .. inc-11");
    assert_eq!(
        sandbox.count("SELECT count(*) FROM incidents WHERE phase = 'withdrawn'"),
        0,
        "inc-0 .. inc-6 were left out by the cap, not withdrawn by the vendor"
    );
    assert_eq!(open(), 12);
    assert!(notes(&sandbox, id)
        .last()
        .is_some_and(|n| n.contains("left out 7 older ones")));

    // A bad cap is refused before anything is fetched.
    let out = sandbox.poll(&["--max-entries", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("'--max-entries <N>': expected a whole number of at least 1"),
        "{}",
        stderr(&out)
    );
}
