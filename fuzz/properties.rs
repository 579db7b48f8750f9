// The properties the fuzz targets check, one function per target. Included (`include!`) by
// each target in fuzz_targets/ and by the project's tests/fuzz_regressions.rs, which replays
// every kept crash input through the same function: one definition of what must hold.

/// Bytes → entries: any document, read as each engine the catalog may name (the first byte
/// picks one, or detection), parses or fails with a `ParseError`: no panic, hang or runaway
/// memory.
#[allow(dead_code)]
pub fn check_parse_feed(data: &[u8]) {
    use statuswatch::model::Engine;
    use statuswatch::parse::{parse_feed, ParseError, ParseOptions};
    use std::str::FromStr;
    use strum::VariantNames;

    let Some((&first, body)) = data.split_first() else {
        return;
    };
    // Values past the list leave the engine to detection, as an OPML line without one does.
    let engine = Engine::VARIANTS
        .get(usize::from(first))
        .and_then(|name| Engine::from_str(name).ok());
    let opts = ParseOptions {
        engine,
        feed_url: Some("https://status.example.test/history.atom".to_string()),
        ..ParseOptions::default()
    };
    match parse_feed(body, &opts) {
        Ok(feed) => {
            for entry in &feed.entries {
                assert!(!entry.id.is_empty(), "every entry has an id");
            }
        }
        // parse_feed catches a panic and reports it; the fuzzer must still hear of one.
        Err(ParseError::Panicked(what)) => panic!("the parser panicked: {what}"),
        Err(_) => {}
    }
}

/// Text → status: any title, content, severity and language (NUL-separated) classify under
/// the embedded rules, and the explanation agrees with the verdict.
#[allow(dead_code)]
pub fn check_classify(data: &[u8]) {
    use statuswatch::classify::Rules;
    use statuswatch::model::{Engine, Entry};
    use std::sync::LazyLock;

    static RULES: LazyLock<Rules> = LazyLock::new(Rules::embedded);
    let text = String::from_utf8_lossy(data);
    let mut fields = text.split('\0');
    let mut next = || fields.next().unwrap_or_default().to_string();
    let (title, content, severity, language) = (next(), next(), next(), next());
    let entry = Entry {
        id: "fuzz".to_string(),
        id_derived: false,
        title,
        link: None,
        published: None,
        updated: None,
        content,
        updates: Vec::new(),
        components: Vec::new(),
        incident_key: None,
        severity: (!severity.is_empty()).then_some(severity),
        language: (!language.is_empty()).then_some(language),
    };
    for engine in [Engine::Statuspage, Engine::Aws, Engine::Cstate, Engine::Generic] {
        let verdict = RULES.classify(engine, &entry);
        assert_eq!(verdict, RULES.explain(engine, &entry).class, "explain agrees with classify");
        let _ = RULES.classify_with_worst(engine, &entry);
    }
}

/// OPML text → feed specs: any file is read or refused with a `CatalogError`, never a panic;
/// what it reads, written out by `to_opml`, reads back, and the written form is a fixed point.
#[allow(dead_code)]
pub fn check_opml(data: &[u8]) {
    use statuswatch::catalog::{parse_opml, parse_opml_noting, to_opml};

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((feeds, _notes)) = parse_opml_noting(text, "fuzz.opml") else {
        return;
    };
    if feeds.is_empty() {
        return;
    }
    let written = to_opml(&feeds, "fuzz");
    let once = match parse_opml(&written, "export") {
        Ok(once) => once,
        Err(error) => panic!("our own export does not read back: {error}\n{written}"),
    };
    let twice = parse_opml(&to_opml(&once, "fuzz"), "export").ok();
    assert_eq!(Some(once), twice, "export → read is a fixed point");
}

/// Configuration text → `Config`: any TOML is built or refused with a `ConfigError`, never a
/// panic.
#[allow(dead_code)]
pub fn check_config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = statuswatch::config::Config::from_toml(text, "fuzz.toml");
}
