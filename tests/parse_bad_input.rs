//! Bad input, each case handled and pinned: empty feeds, missing ids, duplicate ids, broken dates,
//! entities and CDATA, huge bodies, bare `&` and control characters, other encodings, active content,
//! things that are not feeds at all, and a document that makes feed-rs panic.

use std::time::Instant;

use chrono::{TimeZone, Utc};
use statuswatch::model::ParsedFeed;
use statuswatch::parse::{parse_feed, ParseError, ParseOptions};

fn parse(doc: &[u8]) -> Result<ParsedFeed, ParseError> {
    parse_feed(doc, &ParseOptions::default())
}

fn rss(items: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>T</title><link>https://status.example.test/</link>{items}</channel></rss>")
}

#[test]
fn a_feed_with_no_entries_is_an_empty_feed_not_an_error() {
    let feed = parse(rss("").as_bytes()).unwrap();
    assert!(feed.entries.is_empty());
    assert_eq!(feed.title.as_deref(), Some("T"));
    let atom =
        parse(br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title></feed>"#).unwrap();
    assert!(atom.entries.is_empty());
}

#[test]
fn entries_without_ids_get_stable_derived_ids() {
    let doc = rss(concat!(
        "<item><title>Has link</title><link>https://status.example.test/incidents/1</link></item>",
        "<item><title>Has date</title><pubDate>Tue, 05 Mar 2024 10:00:00 GMT</pubDate></item>",
        "<item><title>Nothing else</title><description>Body</description></item>",
        "<item><title>Own guid</title><guid>g-1</guid></item>",
    ));
    let a = parse(doc.as_bytes()).unwrap();
    let b = parse(doc.as_bytes()).unwrap();
    let ids: Vec<_> = a
        .entries
        .iter()
        .map(|e| (e.id.clone(), e.id_derived))
        .collect();
    // Same document, same ids: feed-rs's random UUIDs would differ on every parse.
    assert_eq!(
        ids,
        b.entries
            .iter()
            .map(|e| (e.id.clone(), e.id_derived))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        ids[0],
        ("https://status.example.test/incidents/1".to_string(), true)
    );
    assert!(ids[1].0.starts_with("urn:statuswatch:entry:") && ids[1].1);
    assert!(ids[2].0.starts_with("urn:statuswatch:entry:") && ids[2].1);
    assert_eq!(ids[3], ("g-1".to_string(), false));

    // A retitled entry with the same date is a different id only through the title+date rule, and the
    // title alone never decides: the same title on another date is another entry.
    let other_day =
        rss("<item><title>Has date</title><pubDate>Wed, 06 Mar 2024 10:00:00 GMT</pubDate></item>");
    assert_ne!(parse(other_day.as_bytes()).unwrap().entries[0].id, ids[1].0);

    let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>No id</title><link href="https://x.test/e/1"/></entry></feed>"#;
    let e = &parse(atom).unwrap().entries[0];
    assert_eq!((e.id.as_str(), e.id_derived), ("https://x.test/e/1", true));
}

#[test]
fn duplicate_guids_keep_one_deterministically() {
    let doc = rss(concat!(
        "<item><guid>dup</guid><title>First, older</title><pubDate>Tue, 05 Mar 2024 10:00:00 GMT</pubDate></item>",
        "<item><guid>other</guid><title>Other</title></item>",
        "<item><guid>dup</guid><title>Second, newer</title><pubDate>Tue, 05 Mar 2024 11:00:00 GMT</pubDate></item>",
        "<item><guid>tie</guid><title>Tie one</title></item>",
        "<item><guid>tie</guid><title>Tie two</title></item>",
    ));
    for _ in 0..3 {
        let feed = parse(doc.as_bytes()).unwrap();
        let got: Vec<_> = feed
            .entries
            .iter()
            .map(|e| (e.id.as_str(), e.title.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("dup", "Second, newer"),
                ("other", "Other"),
                ("tie", "Tie one")
            ]
        );
    }
}

#[test]
fn dates_missing_zoneless_localised_or_impossible() {
    let doc = rss(concat!(
        "<item><guid>none</guid><title>a</title></item>",
        "<item><guid>nozone</guid><title>b</title><pubDate>2024-03-05 10:00:00</pubDate></item>",
        "<item><guid>german</guid><title>c</title><pubDate>Di, 05 Mär 2024 10:00:00 +0100</pubDate></item>",
        "<item><guid>impossible</guid><title>d</title><pubDate>Fri, 31 Feb 2024 10:00:00 GMT</pubDate></item>",
        "<item><guid>garbage</guid><title>e</title><pubDate>soon</pubDate></item>",
    ));
    let feed = parse(doc.as_bytes()).unwrap();
    let d: Vec<_> = feed.entries.iter().map(|e| e.published).collect();
    assert_eq!(d[0], None);
    assert_eq!(d[1], Utc.with_ymd_and_hms(2024, 3, 5, 10, 0, 0).single());
    assert_eq!(d[2], Utc.with_ymd_and_hms(2024, 3, 5, 9, 0, 0).single());
    assert_eq!(d[3], None);
    assert_eq!(d[4], None);
}

#[test]
fn entities_and_cdata() {
    let doc = rss(concat!(
        "<item><guid>e1</guid><title>AT&amp;T &#8217;s API &lt; 2s</title>",
        "<description><![CDATA[<p>Fish &amp; chips &nbsp;&mdash; <b>bold</b></p>]]></description></item>",
        "<item><guid>e2</guid><title><![CDATA[Plain & simple]]></title>",
        "<description>&lt;p&gt;Escaped &amp;amp; markup&lt;/p&gt;</description></item>",
    ));
    let feed = parse(doc.as_bytes()).unwrap();
    assert!(!feed.repaired);
    assert_eq!(feed.entries[0].title, "AT&T ’s API < 2s");
    assert_eq!(feed.entries[0].content, "Fish & chips — bold");
    assert_eq!(feed.entries[1].title, "Plain & simple");
    assert_eq!(feed.entries[1].content, "Escaped & markup");
}

#[test]
fn a_five_megabyte_body_parses_and_is_capped() {
    let body = "<p>Investigating - elevated errors. </p>".repeat(5 * 1024 * 1024 / 40);
    let escaped = body.replace('<', "&lt;").replace('>', "&gt;");
    let doc = rss(&format!(
        "<item><guid>big</guid><title>Big</title><description>{escaped}</description></item>"
    ));
    assert!(doc.len() > 5 * 1024 * 1024);
    let start = Instant::now();
    let feed = parse(doc.as_bytes()).unwrap();
    assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
    let e = &feed.entries[0];
    assert!(e.content.len() <= statuswatch::parse::html::MAX_TEXT_BYTES + 4);
    assert!(e.content.starts_with("Investigating - elevated errors."));
}

#[test]
fn bare_ampersands_and_control_characters_are_repaired() {
    let doc = rss(concat!(
        "<item><guid>https://x.test/?a=1&b=2</guid><title>Q&A \u{1}session</title>",
        "<description>R&D &nbsp; &bogus; 1 < 2 \u{b}</description></item>",
    ));
    let feed = parse(doc.as_bytes()).unwrap();
    assert!(feed.repaired);
    let e = &feed.entries[0];
    assert_eq!(e.id, "https://x.test/?a=1&b=2");
    assert_eq!(e.title, "Q&A session");
    assert_eq!(e.content, "R&D &bogus; 1 < 2");
}

#[test]
fn html5_entities_beyond_the_common_ones_decode_in_xml_and_in_markup() {
    // `&atilde;`, `&oslash;`, `&frac12;` stayed as text while a hand-made table of ~60 names decided.
    let doc = rss(concat!(
        "<item><guid>e1</guid><title>S&atilde;o Paulo &oslash; &frac12; &AMP; &nosuch;</title>",
        "<description><![CDATA[<p>Jo&atilde;o: &frac12; h, K&oslash;benhavn</p>]]></description></item>",
    ));
    let feed = parse(doc.as_bytes()).unwrap();
    assert!(feed.repaired);
    let e = &feed.entries[0];
    assert_eq!(e.title, "São Paulo ø ½ & &nosuch;");
    assert_eq!(e.content, "João: ½ h, København");
}

#[test]
fn what_cannot_be_repaired_is_a_clear_error() {
    let truncated = br#"<?xml version="1.0"?><rss version="2.0"><channel><item><title>Cut off</ti"#;
    let err = parse(truncated).unwrap_err();
    assert!(matches!(err, ParseError::Invalid(_)), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("not a valid feed document") && msg.contains("validator"),
        "{msg}"
    );
}

#[test]
fn utf16_and_windows_1252_documents() {
    let src = rss("<item><guid>u</guid><title>Café ☕ – résolu</title></item>")
        .replace("encoding=\"UTF-8\"", "encoding=\"UTF-16\"");
    let mut le = vec![0xFF, 0xFE];
    le.extend(src.encode_utf16().flat_map(u16::to_le_bytes));
    let feed = parse(&le).unwrap();
    assert_eq!(feed.entries[0].title, "Café ☕ – résolu");
    assert!(feed.repaired);
    let mut be = vec![0xFE, 0xFF];
    be.extend(src.encode_utf16().flat_map(u16::to_be_bytes));
    assert_eq!(parse(&be).unwrap().entries[0].title, "Café ☕ – résolu");

    let mut cp: Vec<u8> = b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><rss version=\"2.0\"><channel><item><guid>w</guid><title>Caf".to_vec();
    cp.extend([0xE9, b' ', 0x93, b'q', 0x94, b' ', 0x96, b' ', 0x80]);
    cp.extend(b"</title></item></channel></rss>");
    assert_eq!(parse(&cp).unwrap().entries[0].title, "Café “q” – €");

    // UTF-8 with a byte-order mark.
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend(rss("<item><guid>b</guid><title>Ünïcode</title></item>").as_bytes());
    assert_eq!(parse(&bom).unwrap().entries[0].title, "Ünïcode");
}

#[test]
fn active_content_never_reaches_text_or_links() {
    let doc = rss(concat!(
        "<item><guid>x1</guid><title>&lt;script&gt;alert(1)&lt;/script&gt;Title</title>",
        "<link>javascript:alert(1)</link>",
        "<description><![CDATA[<p onclick=\"alert(2)\">Hello<script>alert(3)</script>",
        "<img src=x onerror=alert(4)><a href=\"javascript:alert(5)\">link</a>",
        "<style>body{}</style><iframe src=\"https://evil.test\">frame</iframe></p>",
        "&lt;script&gt;alert(6)&lt;/script&gt;]]></description></item>",
        "<item><guid>x2</guid><title>ok</title><link> JaVaScRiPt:alert(7)</link></item>",
        "<item><guid>x3</guid><title>ok</title><link>/incidents/3</link></item>",
    ));
    let feed = parse_feed(
        doc.as_bytes(),
        &ParseOptions {
            engine: None,
            feed_url: Some("https://status.example.test/history.rss".into()),
            page: None,
            ..ParseOptions::default()
        },
    )
    .unwrap();
    for e in &feed.entries {
        for text in [&e.title, &e.content] {
            let lower = text.to_lowercase();
            for bad in [
                "<script",
                "alert(",
                "onclick",
                "onerror",
                "javascript:",
                "<iframe",
                "<",
            ] {
                assert!(!lower.contains(bad), "{bad:?} in {text:?}");
            }
        }
        for u in &e.updates {
            assert!(!u.text.to_lowercase().contains("alert("), "{:?}", u.text);
        }
    }
    assert_eq!(feed.entries[0].title, "Title");
    // Inline elements join without a blank, as a browser renders them.
    assert_eq!(feed.entries[0].content, "Hellolink");
    assert_eq!(feed.entries[0].link, None);
    assert_eq!(feed.entries[1].link, None);
    assert_eq!(
        feed.entries[2].link.as_deref(),
        Some("https://status.example.test/incidents/3")
    );
}

#[test]
fn not_feeds_say_what_they_are() {
    assert!(matches!(parse(b""), Err(ParseError::Empty)));
    assert!(matches!(parse(b"  \n\t "), Err(ParseError::Empty)));
    let html =
        parse(b"<!DOCTYPE html><html><head><title>Status</title></head><body>Hi</body></html>")
            .unwrap_err();
    assert!(
        matches!(&html, ParseError::NotAFeed(w) if w == "an HTML page"),
        "{html:?}"
    );
    assert!(html.to_string().contains("an HTML page") && html.to_string().contains("feed URL"));
    let html2 = parse(b"\n<html lang=\"en\"><body>x</body></html>").unwrap_err();
    assert!(matches!(&html2, ParseError::NotAFeed(w) if w == "an HTML page"));
    // A status API's JSON is read (tests/parse_json_*.rs); JSON of no known shape says so.
    let api = parse(br#"{"page":{"id":"x"},"status":{"indicator":"none"}}"#).unwrap();
    assert_eq!(
        api.overall,
        Some(statuswatch::model::ServiceState::Operational)
    );
    let json = parse(br#"{"data":{"id":"x"}}"#).unwrap_err();
    assert!(
        matches!(&json, ParseError::NotAFeed(w) if w.contains("JSON")),
        "{json:?}"
    );
    let text = parse(b"Service Unavailable").unwrap_err();
    assert!(matches!(&text, ParseError::NotAFeed(w) if w == "plain text"));
    let xml = parse(b"<?xml version=\"1.0\"?><sitemap><url/></sitemap>").unwrap_err();
    assert!(
        matches!(&xml, ParseError::NotAFeed(w) if w.contains("<sitemap>")),
        "{xml:?}"
    );
}

#[test]
fn a_multibyte_character_early_in_the_root_tag_is_read_not_a_crash() {
    // Byte 9 falls inside the 3-byte '’': looking for a 9-byte "<!DOCTYPE" there used to
    // slice through it and panic (found by mutation fuzzing).
    for doc in [
        "<rss ver\u{2019}sion=\"2.0\"><channel><title>T</title></channel></rss>",
        "<\u{2019}</s\u{2019}</smm",
    ] {
        let result = parse(doc.as_bytes());
        assert!(
            !matches!(result, Err(ParseError::Panicked(_))),
            "{doc}: {result:?}"
        );
    }
    let odd = parse("<\u{2019}</s\u{2019}</smm".as_bytes()).unwrap_err();
    assert!(
        matches!(&odd, ParseError::NotAFeed(w) if w.contains("root element")),
        "{odd:?}"
    );
}

#[test]
fn a_document_that_panics_feed_rs_fails_alone() {
    // feed-rs unwraps the hours of an itunes:duration: an oversized number panics inside it.
    let hostile = r#"<?xml version="1.0"?><rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>T</title><item><guid>p</guid><title>x</title><itunes:duration>99999999999999999999999:00:00</itunes:duration></item></channel></rss>"#;
    let err = parse(hostile.as_bytes()).unwrap_err();
    assert!(matches!(err, ParseError::Panicked(_)), "{err:?}");
    assert!(
        err.to_string().contains("crashed") && err.to_string().contains("others are unaffected")
    );
    // The next document parses as usual.
    assert_eq!(
        parse(rss("<item><guid>ok</guid><title>fine</title></item>").as_bytes())
            .unwrap()
            .entries
            .len(),
        1
    );
}

#[test]
fn a_huge_statuspage_timeline_stays_fast() {
    // Regression guard for quadratic timeline matching: 20,000 updates in one entry.
    let block = "&lt;p&gt;&lt;small&gt;Jan &lt;var data-var='date'&gt;2&lt;/var&gt;, &lt;var data-var='time'&gt;09:30&lt;/var&gt; UTC&lt;/small&gt;&lt;br&gt;&lt;strong&gt;Update&lt;/strong&gt; - Still working on it.&lt;/p&gt;";
    let content = block.repeat(20_000);
    let doc = format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>tag:s,2005:Incident/1</id><updated>2024-01-02T10:00:00Z</updated><title>Long</title><content type=\"html\">{content}</content></entry></feed>"
    );
    let start = Instant::now();
    let feed = parse(doc.as_bytes()).unwrap();
    assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
    assert_eq!(feed.engine, statuswatch::model::Engine::Statuspage);
    assert_eq!(feed.entries[0].updates.len(), 20_000);
    assert_eq!(feed.entries[0].updates[0].text, "Still working on it.");
}

#[test]
fn old_dialects_are_read_like_their_modern_forms() {
    let item = "<item><title>Major outage: API unavailable</title><guid>i-1</guid><link>https://status.example.test/i/1</link><pubDate>Mon, 20 Oct 2025 07:00:00 GMT</pubDate><description>Investigating.</description></item>";
    for root in ["<rss>", "<rss version=\"0.93\">", "<rss version=\"2.0.1\">"] {
        let doc = format!("<?xml version=\"1.0\"?><!-- old --> {root}<channel><title>T</title>{item}</channel></rss>");
        let feed = parse(doc.as_bytes()).unwrap_or_else(|e| panic!("{root}: {e}"));
        assert_eq!(feed.entries.len(), 1, "{root}");
        assert_eq!(feed.entries[0].title, "Major outage: API unavailable");
        assert!(feed.repaired, "{root}: flagged as rewritten");
    }

    // Atom 0.3: its namespace and its element names (issued, modified, mode="escaped").
    let atom03 = r#"<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#">
  <title>Old status</title>
  <link rel="alternate" type="text/html" href="https://status.example.test/"/>
  <modified>2025-10-20T07:30:00Z</modified>
  <entry>
    <title>Degraded performance</title>
    <link rel="alternate" type="text/html" href="https://status.example.test/e/1"/>
    <id>tag:status.example.test,2025:1</id>
    <issued>2025-10-20T07:00:00Z</issued>
    <modified>2025-10-20T07:30:00Z</modified>
    <content type="text/html" mode="escaped">&lt;p&gt;Requests are slow.&lt;/p&gt;</content>
  </entry>
</feed>"#;
    let feed = parse(atom03.as_bytes()).unwrap();
    assert_eq!(
        feed.entries.len(),
        1,
        "Atom 0.3 entries are read, not dropped"
    );
    let entry = &feed.entries[0];
    assert_eq!(entry.title, "Degraded performance");
    assert_eq!(
        entry.published,
        Some(Utc.with_ymd_and_hms(2025, 10, 20, 7, 0, 0).unwrap())
    );
    assert_eq!(
        entry.updated,
        Some(Utc.with_ymd_and_hms(2025, 10, 20, 7, 30, 0).unwrap())
    );
    assert!(entry.content.contains("Requests are slow."), "{entry:?}");
    assert!(
        !entry.content.contains("&lt;p"),
        "escaped markup is read as markup: {entry:?}"
    );
}

#[test]
fn entries_the_parser_cannot_see_are_an_error_not_an_empty_feed() {
    // Entries in a namespace no reader knows: feed-rs finds none; saying nothing would
    // store an empty feed and lose them.
    let doc = br#"<feed xmlns="http://example.test/not-atom"><title>X</title><entry><title>Outage</title><id>1</id></entry><entry><title>Fixed</title><id>2</id></entry></feed>"#;
    match parse(doc) {
        Err(ParseError::Invalid(why)) => assert!(
            why.contains("2 <item> or <entry> elements, but none could be read"),
            "{why}"
        ),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn a_doctype_with_an_internal_subset_is_read_and_its_entities_never_expanded() {
    // The first `>` is inside the subset; the entities (a "billion laughs" among them) are
    // left as the text they are: expanding declared entities is how XML bombs work.
    let doc = concat!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n  <!ENTITY lol \"lol\">\n",
        "  <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n",
        "  <!ENTITY company \"Example Corp\">\n]>\n",
        "<rss version=\"2.0\"><channel><title>T</title><item><title>Major outage at &company; &lol2;</title>",
        "<guid>1</guid></item></channel></rss>"
    );
    let feed = parse(doc.as_bytes()).unwrap();
    assert_eq!(feed.entries.len(), 1);
    assert_eq!(feed.entries[0].title, "Major outage at &company; &lol2;");
}
