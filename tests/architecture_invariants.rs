//! ARCHITECTURE.md's invariants that a reading of the source tree can check:
//!
//! - only `src/store/` holds SQL: no other file under `src/` names `rusqlite` or has a string
//!   literal that is an SQL statement;
//! - `src/parse/` and `src/classify/` do no I/O: outside their `#[cfg(test)]` items they name no
//!   I/O crate or module (`reqwest`, `rusqlite`, `tokio`, `std::fs`, `std::net`, `std::process`).
//!
//! Each file is read by a small lexer that drops comments (doc comments and rule text included)
//! and keeps string literals apart from code, so prose never counts as SQL and a crate named in
//! a string or a comment never counts as a use. A failure names every offending file and line.
//!
//! "Only `pipeline.rs` knows the stage order" is not checked: calling two stages in a row is
//! legitimate elsewhere (`classify` parses then classifies a file), and telling that from a copy
//! of the pipeline needs more than a text scan.

use regex::Regex;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One source file as the compiler sees it: code with comments and literal contents blanked
/// (newlines kept, so offsets still map to lines), and the string literals on their own.
struct Source {
    /// Relative to the crate root, with `/`: `src/parse/html.rs`.
    name: String,
    text: String,
    code: String,
    /// Each string literal's content, with the offset where it starts in the file.
    strings: Vec<(usize, String)>,
    /// Byte ranges of `#[cfg(test)]` items (the whole file when it is a test-only module).
    tests: Vec<Range<usize>>,
}

impl Source {
    fn new(name: &str, text: &str) -> Source {
        let (code, strings) = lex(text);
        let tests = cfg_test_items(&code);
        Source {
            name: name.to_string(),
            text: text.to_string(),
            code,
            strings,
            tests,
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.text[..offset].matches('\n').count() + 1
    }

    fn in_tests(&self, offset: usize) -> bool {
        self.tests.iter().any(|r| r.contains(&offset))
    }

    /// "file:line: what: the line" for a finding at `offset`.
    fn finding(&self, offset: usize, what: &str) -> String {
        let line = self.line_of(offset);
        let text = self.text.lines().nth(line - 1).unwrap_or("").trim();
        format!("{}:{line}: {what}: {text}", self.name)
    }
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Splits Rust source into code (comments and literal contents replaced by spaces, newlines
/// kept) and its string literals (normal, byte, C and raw ones). Char literals are blanked too,
/// so a `'{'` never unbalances braces; lifetimes and labels stay.
fn lex(text: &str) -> (String, Vec<(usize, String)>) {
    let src = text.as_bytes();
    let mut code = src.to_vec();
    let mut strings = Vec::new();
    let blank = |code: &mut Vec<u8>, range: Range<usize>| {
        for b in &mut code[range] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    };
    let mut i = 0;
    while i < src.len() {
        let rest = &src[i..];
        let after_ident = i > 0 && is_ident(src[i - 1]);
        if rest.starts_with(b"//") {
            let end = rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or(src.len(), |n| i + n);
            blank(&mut code, i..end);
            i = end;
        } else if rest.starts_with(b"/*") {
            let (mut depth, mut j) = (0usize, i);
            while j < src.len() {
                if src[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if src[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut code, i..j);
            i = j;
        } else if !after_ident && raw_string_start(rest).is_some() {
            let (prefix, hashes) = raw_string_start(rest).unwrap();
            let start = i + prefix + hashes + 1;
            let mut close = vec![b'"'];
            close.extend(std::iter::repeat_n(b'#', hashes));
            let end = src[start..]
                .windows(close.len())
                .position(|w| w == close.as_slice())
                .map_or(src.len(), |n| start + n);
            strings.push((start, text[start..end].to_string()));
            blank(&mut code, i..(end + close.len()).min(src.len()));
            i = end + close.len();
        } else if src[i] == b'"'
            || (!after_ident && (rest.starts_with(b"b\"") || rest.starts_with(b"c\"")))
        {
            let start = i + if src[i] == b'"' { 1 } else { 2 };
            let mut j = start;
            while j < src.len() && src[j] != b'"' {
                j += if src[j] == b'\\' { 2 } else { 1 };
            }
            let end = j.min(src.len());
            strings.push((start, text[start..end].to_string()));
            blank(&mut code, i..(end + 1).min(src.len()));
            i = end + 1;
        } else if src[i] == b'\'' {
            // A char literal ('x', '\n', '\u{1F600}', 'é'), else a lifetime or label.
            let len = if rest.get(1) == Some(&b'\\') {
                rest.get(3..)
                    .and_then(|r| r.iter().position(|&b| b == b'\''))
                    .map(|n| n + 4)
            } else {
                let ch = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                (rest.get(1 + ch) == Some(&b'\'')).then_some(ch + 2)
            };
            match len {
                Some(len) => {
                    blank(&mut code, i..i + len);
                    i += len;
                }
                None => i += 1,
            }
        } else {
            i += 1;
        }
    }
    (String::from_utf8(code).unwrap(), strings)
}

/// `r"`, `r#"`, `br##"`, `cr"`: the prefix's length and the number of `#`s.
fn raw_string_start(rest: &[u8]) -> Option<(usize, usize)> {
    let prefix = if rest.starts_with(b"br") || rest.starts_with(b"cr") {
        2
    } else if rest.starts_with(b"r") {
        1
    } else {
        return None;
    };
    let hashes = rest[prefix..].iter().take_while(|&&b| b == b'#').count();
    (rest.get(prefix + hashes) == Some(&b'"')).then_some((prefix, hashes))
}

/// The byte ranges of the items under `#[cfg(test)]` in blanked code: from the attribute to the
/// `}` that closes the item's first `{`, or to its `;` when it has no body.
fn cfg_test_items(code: &str) -> Vec<Range<usize>> {
    let attribute = Regex::new(r"#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]").unwrap();
    let bytes = code.as_bytes();
    let mut ranges = Vec::new();
    for found in attribute.find_iter(code) {
        let mut depth = 0usize;
        let mut end = bytes.len();
        for (j, &b) in bytes.iter().enumerate().skip(found.end()) {
            match b {
                b'{' => depth += 1,
                b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = j + 1;
                        break;
                    }
                }
                b';' if depth == 0 => {
                    end = j + 1;
                    break;
                }
                _ => {}
            }
        }
        ranges.push(found.start()..end);
    }
    ranges
}

/// Test-only module files: `#[cfg(test)] mod name;` in `file` makes `name.rs` (or
/// `name/mod.rs`) beside it, or in the folder of a non-`mod.rs` file, test code throughout.
fn test_only_files(file: &Path, source: &Source) -> Vec<PathBuf> {
    let declaration =
        Regex::new(r"^\s*(?:#\s*\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;").unwrap();
    let dir = match file.file_name().and_then(|n| n.to_str()) {
        Some("mod.rs" | "lib.rs" | "main.rs") => file.parent().unwrap().to_path_buf(),
        _ => file.with_extension(""),
    };
    source
        .tests
        .iter()
        .filter_map(|r| declaration.captures(&source.code[r.clone()]))
        .flat_map(|c| {
            let name = &c[1];
            [
                dir.join(format!("{name}.rs")),
                dir.join(name).join("mod.rs"),
            ]
        })
        .collect()
}

/// Every `.rs` file under `src/`, read.
fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![root.join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut sources: Vec<(PathBuf, Source)> = files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let source = Source::new(&name, &text);
            (path, source)
        })
        .collect();
    let test_only: Vec<PathBuf> = sources
        .iter()
        .flat_map(|(path, source)| test_only_files(path, source))
        .collect();
    for (path, source) in &mut sources {
        if test_only.contains(path) {
            source.tests = std::iter::once(0..source.text.len()).collect();
        }
    }
    sources.into_iter().map(|(_, s)| s).collect()
}

/// SQL statements in a string literal. Upper-case keywords in statement shape, or lower-case
/// ones only where prose never goes (a table name followed by a clause, a column list, `=`).
fn sql_patterns() -> Vec<Regex> {
    [
        r"\bSELECT\b[^;]*?\bFROM\b",
        r"\bINSERT\s+(?:OR\s+[A-Z]+\s+)?INTO\b",
        r"\bUPDATE\s+\w+\s+SET\b",
        r"\bDELETE\s+FROM\b",
        r"\b(?:CREATE|DROP|ALTER)\s+(?:TEMP\s+|UNIQUE\s+)?(?:TABLE|INDEX|VIEW|TRIGGER)\b",
        r"\bPRAGMA\s+\w+",
        r"\bBEGIN\s+(?:IMMEDIATE|EXCLUSIVE|DEFERRED)\b",
        r"(?is)\bselect\b.{0,200}?\bfrom\s+\w+\s+(?:where|order\s+by|group\s+by|join|limit)\b",
        r"(?i)\binsert\s+into\s+\w+\s*\(",
        r"(?i)\bupdate\s+\w+\s+set\s+\w+\s*=",
        r"(?i)\bdelete\s+from\s+\w+\s+where\b",
    ]
    .iter()
    .map(|p| Regex::new(p).unwrap())
    .collect()
}

/// Findings of "only `src/store/` holds SQL" in one file (test code included: a unit test
/// outside the store has no business with SQL either).
fn sql_findings(source: &Source, patterns: &[Regex]) -> Vec<String> {
    let mut found = Vec::new();
    let crate_name = Regex::new(r"\brusqlite\b").unwrap();
    for m in crate_name.find_iter(&source.code) {
        found.push(source.finding(m.start(), "names rusqlite"));
    }
    for (start, literal) in &source.strings {
        if let Some(m) = patterns.iter().find_map(|p| p.find(literal)) {
            found.push(source.finding(start + m.start(), "an SQL statement"));
        }
    }
    found
}

/// Findings of "parse and classify do no I/O" in one file, outside its `#[cfg(test)]` items.
fn io_findings(source: &Source) -> Vec<String> {
    let direct =
        Regex::new(r"\b(reqwest|rusqlite|tokio)\b|\bstd\s*::\s*(fs|net|process)\b").unwrap();
    let group = Regex::new(r"\bstd\s*::\s*\{").unwrap();
    let member = Regex::new(r"\b(fs|net|process)\b").unwrap();
    let mut found = Vec::new();
    for m in direct.find_iter(&source.code) {
        if !source.in_tests(m.start()) {
            found.push(source.finding(m.start(), &format!("I/O (`{}`)", m.as_str())));
        }
    }
    // `use std::{fs, io::Read}` and nested groups: the members inside the braces.
    for g in group.find_iter(&source.code) {
        let inside = &source.code[g.end()..];
        let mut depth = 1;
        let close = inside
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map_or(inside.len(), |(n, _)| n);
        for m in member.find_iter(&inside[..close]) {
            let at = g.end() + m.start();
            if !source.in_tests(at) {
                found.push(source.finding(at, &format!("I/O (`std::{}`)", m.as_str())));
            }
        }
    }
    found
}

fn report(findings: &[String], rule: &str) {
    assert!(
        findings.is_empty(),
        "{rule} (ARCHITECTURE.md, Invariants); found:\n{}",
        findings.join("\n")
    );
}

#[test]
fn only_the_store_holds_sql() {
    let sources = sources();
    let patterns = sql_patterns();
    let (store, others): (Vec<&Source>, Vec<&Source>) = sources
        .iter()
        .partition(|s| s.name.starts_with("src/store/"));
    // The detector sees the SQL that is there, or this test would pass for nothing.
    assert!(
        store.iter().any(|s| !sql_findings(s, &patterns).is_empty()),
        "the SQL check finds nothing even in src/store/"
    );
    assert!(others.len() > 20, "src/ read: {} files", sources.len());
    let findings: Vec<String> = others
        .iter()
        .flat_map(|s| sql_findings(s, &patterns))
        .collect();
    report(&findings, "only src/store/ holds SQL");
}

#[test]
fn parse_classify_and_correlate_do_no_io() {
    let sources = sources();
    let stages: Vec<&Source> = sources
        .iter()
        .filter(|s| {
            ["src/parse/", "src/classify/", "src/correlate/"]
                .iter()
                .any(|stage| s.name.starts_with(stage))
        })
        .collect();
    assert!(
        stages.iter().any(|s| s.name == "src/correlate/mod.rs"),
        "correlate not found"
    );
    // The correlate stage takes the clock as a value: a replay sets it.
    for s in stages
        .iter()
        .filter(|s| s.name.starts_with("src/correlate/"))
    {
        assert!(
            !s.text.contains("Utc::now"),
            "{} reads the clock; take `now` as an argument",
            s.name
        );
    }
    assert!(
        stages.iter().any(|s| s.name == "src/parse/mod.rs")
            && stages.iter().any(|s| s.name == "src/classify/mod.rs"),
        "parse and classify not found: {:?}",
        stages.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    let findings: Vec<String> = stages.iter().flat_map(|s| io_findings(s)).collect();
    report(
        &findings,
        "src/parse/, src/classify/ and src/correlate/ do no I/O",
    );
}

#[test]
fn the_replay_loop_reads_no_clock_file_or_network() {
    let sources = sources();
    let replay = sources
        .iter()
        .find(|s| s.name == "src/replay.rs")
        .expect("src/replay.rs not found");
    // Every stage it runs gets the capture's time: the wall clock would leak into events.
    assert!(
        !replay.text.contains("Utc::now"),
        "src/replay.rs reads the clock; pass the capture's time"
    );
    // Its store is handed in; `cli/replay.rs` reads the directory and hands the bytes in.
    report(&io_findings(replay), "src/replay.rs does no I/O of its own");
}

// The checker itself, on made-up sources: what it must find and what it must let pass.

#[test]
fn comments_and_prose_are_not_sql_but_statements_are() {
    let patterns = sql_patterns();
    let clean = Source::new(
        "src/cli/x.rs",
        "//! Reads SELECT * FROM current_status; see `rusqlite`.\n\
         /// UPDATE feeds SET url = ?1 happens in the store.\n\
         /* nested /* DELETE FROM x */ INSERT INTO y */\n\
         fn f() { let help = \"Select a feed from the list where it shows, then update it.\"; }\n\
         const RE: &str = r\"(?i)^(RESOLVED|UPDATE|INVESTIGATING)\\s*:\";\n",
    );
    assert_eq!(sql_findings(&clean, &patterns), Vec::<String>::new());
    let dirty = Source::new(
        "src/cli/x.rs",
        "fn f() {\n    let q = \"SELECT id\n               FROM feeds\";\n    let r = r#\"insert into feeds (url) values (?1)\"#;\n    use rusqlite::Connection;\n}\n",
    );
    let found = sql_findings(&dirty, &patterns);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(
        found[0].starts_with("src/cli/x.rs:5: names rusqlite"),
        "{found:?}"
    );
    assert!(
        found[1].starts_with("src/cli/x.rs:2: an SQL statement"),
        "{found:?}"
    );
    assert!(
        found[2].starts_with("src/cli/x.rs:4: an SQL statement"),
        "{found:?}"
    );
}

#[test]
fn io_in_test_modules_is_allowed_and_anywhere_else_is_found() {
    let source = Source::new(
        "src/parse/x.rs",
        "//! Never std::fs here; tokio is the pipeline's.\n\
         use std::{collections::HashMap, fs};\n\
         fn brace() -> char { '{' }\n\
         fn label<'a>(s: &'a str) -> &'a str { s }\n\
         fn net() { let _ = \"std::net\"; let _ = std::net::Ipv4Addr::LOCALHOST; }\n\
         #[cfg(test)]\n\
         mod tests {\n    fn read() { std::fs::read(\"x\").unwrap(); let _ = '}'; }\n    use tokio::runtime;\n}\n\
         fn after() { tokio::spawn(async {}); }\n",
    );
    let found = io_findings(&source);
    let lines: Vec<&str> = found
        .iter()
        .map(|f| f.split(": ").next().unwrap())
        .collect();
    assert_eq!(
        lines,
        ["src/parse/x.rs:5", "src/parse/x.rs:11", "src/parse/x.rs:2"],
        "{found:?}"
    );
}
