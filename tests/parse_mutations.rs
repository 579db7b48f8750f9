//! Damaged documents never crash the parse stage: the fixtures, mutated (bytes flipped, markup
//! tokens and multibyte characters spliced in, pieces cut, duplicated or truncated), always
//! come out as a parse result or a typed error, never as `ParseError::Panicked`, and what parses
//! classifies and digests for storing. A mutation fuzzer found the root-tag crash pinned in
//! `parse_bad_input.rs`; this keeps a lean version of it in the suite (300 cases; more with
//! `PROPTEST_CASES=20000`, which finds that crash on the old code), and the
//! `.proptest-regressions` file beside it replays the case that found it on every run.

use proptest::prelude::*;
use statuswatch::classify::Rules;
use statuswatch::model::Engine;
use statuswatch::parse::{parse_feed, ParseError, ParseOptions};
use statuswatch::pipeline::classify_all;
use statuswatch::store::StorableEntry;
use std::path::Path;
use std::sync::OnceLock;

/// What gets spliced in: markup the extractors look for, entities, broken encodings.
const TOKENS: &[&[u8]] = &[
    b"<strong>",
    b"</strong>",
    b"<small>",
    b"</small>",
    b"&lt;strong&gt;",
    b"&lt;/small&gt;",
    b"&lt;var data-var='date'&gt;",
    b"&",
    b"&#x",
    b"<![CDATA[",
    b"]]>",
    b"<",
    b">",
    b"<!--",
    b"<br>",
    b"\xff",
    b"\xe2\x80",
    b"\xe2\x80\x99",
    b"\0",
    b"\r\n",
    b" - ",
    b"Resolved",
    b"UTC",
    b"<entry>",
    b"</item>",
    b"encoding=\"utf-16\"",
];

fn seeds() -> &'static Vec<Vec<u8>> {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/feeds");
        let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x != "md"))
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        seeds.sort();
        seeds
    })
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(Rules::embedded)
}

/// One edit at a relative position (per mille of the document's length).
#[derive(Debug, Clone)]
enum Edit {
    Flip(u16, u8),
    Insert(u16, usize),
    Cut(u16, usize),
    Truncate(u16),
    Repeat(u16, u16, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0u16..1000, 0u8..8).prop_map(|(at, bit)| Edit::Flip(at, bit)),
        (0u16..1000, 0..TOKENS.len()).prop_map(|(at, t)| Edit::Insert(at, t)),
        (0u16..1000, 1usize..64).prop_map(|(at, n)| Edit::Cut(at, n)),
        (0u16..1000).prop_map(Edit::Truncate),
        (0u16..1000, 0u16..1000, 1usize..200).prop_map(|(at, from, n)| Edit::Repeat(at, from, n)),
    ]
}

fn apply(doc: &mut Vec<u8>, edit: &Edit) {
    let pos = |per_mille: u16, len: usize| len * per_mille as usize / 1000;
    match *edit {
        Edit::Flip(at, bit) => {
            let at = pos(at, doc.len());
            if let Some(b) = doc.get_mut(at) {
                *b ^= 1 << bit;
            }
        }
        Edit::Insert(at, token) => {
            let at = pos(at, doc.len());
            doc.splice(at..at, TOKENS[token].iter().copied());
        }
        Edit::Cut(at, n) => {
            let at = pos(at, doc.len());
            doc.drain(at..(at + n).min(doc.len()));
        }
        Edit::Truncate(at) => doc.truncate(pos(at, doc.len())),
        Edit::Repeat(at, from, n) => {
            let from = pos(from, doc.len());
            let piece = doc[from..(from + n).min(doc.len())].to_vec();
            let at = pos(at, doc.len());
            doc.splice(at..at, piece);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn a_damaged_document_is_a_result_or_a_typed_error_never_a_crash(
        seed in 0usize..64,
        edits in prop::collection::vec(edit(), 1..8),
        engine in prop_oneof![
            Just(None),
            Just(Some(Engine::Statuspage)),
            Just(Some(Engine::Aws)),
            Just(Some(Engine::Gcp)),
        ],
    ) {
        let seeds = seeds();
        let mut doc = seeds[seed % seeds.len()].clone();
        for e in &edits {
            apply(&mut doc, e);
        }
        let options = ParseOptions {
            engine,
            feed_url: Some("https://status.example.com/history.atom".into()),
            page: None,
            ..ParseOptions::default()
        };
        match parse_feed(&doc, &options) {
            Err(ParseError::Panicked(message)) => {
                prop_assert!(false, "the parser crashed: {message}\n{}", String::from_utf8_lossy(&doc));
            }
            Err(_) => {}
            Ok(parsed) => {
                let (_, classified) = classify_all(rules(), parsed);
                for entry in classified {
                    prop_assert!(StorableEntry::new(entry).is_ok());
                }
            }
        }
    }
}
