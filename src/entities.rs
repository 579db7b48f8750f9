//! HTML's named character references (`&eacute;`, `&frac12;`), shared by the readers of feeds
//! (`parse`) and of OPML files (`catalog`), which both meet them where XML does not define them.

/// What a named character reference stands for, by the whole WHATWG table (html-escape's, checked
/// against the spec's `entities.json`); `None` for a name HTML does not define. Not quick-xml's
/// `resolve_html5_entity`: its 0.37 to 0.41 table gives 444 of 2,125 names the wrong character
/// (`&amacr;` U+0010, `&Sigma;` a colon). The wide spaces read as a plain space, as they always have
/// here: text is collapsed on blanks, and a rule's `\s` should not depend on which space a vendor typed.
pub fn named_entity(name: &str) -> Option<&'static str> {
    if matches!(name, "ensp" | "emsp" | "thinsp") {
        return Some(" ");
    }
    let table = &html_escape::NAMED_ENTITIES;
    table
        .binary_search_by(|(known, _)| (*known).cmp(name.as_bytes()))
        .ok()
        .map(|i| table[i].1)
}
