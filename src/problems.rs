//! Problems found in a TOML file, each named by the file and the line it is on.
//!
//! The configuration is checked whole and every problem reported at once, like a compiler does,
//! so a user fixes a hand-edited file in one pass. Both `config.rs` (the file's own keys) and
//! `deliver/config.rs` (webhooks, delivery) report into one list; it lives here, outside both,
//! so configuration flows one way: `config` calls into `deliver`, never the reverse.

use std::ops::Range;

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.chars().rev().take_while(|c| *c != '\n').count() + 1;
    (line, col)
}

/// The problems found so far in one file: `origin` names the file, `text` is what spans point into.
pub struct Problems<'a> {
    origin: &'a str,
    text: &'a str,
    list: Vec<String>,
}

impl<'a> Problems<'a> {
    /// An empty list for the file `origin` whose text is `text`.
    pub fn new(origin: &'a str, text: &'a str) -> Problems<'a> {
        Problems {
            origin,
            text,
            list: Vec::new(),
        }
    }

    /// Records a problem at the line `span` starts on: `{origin}: line {n}: {message}`.
    pub fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        let line = self.line(span.start);
        self.list
            .push(format!("{}: line {line}: {}", self.origin, message.into()));
    }

    /// Records a problem on a line found otherwise (inside a value: a template's own line).
    pub fn at_line(&mut self, line: usize, message: impl Into<String>) {
        self.list
            .push(format!("{}: line {line}: {}", self.origin, message.into()));
    }

    /// The file's text under `span` (empty when it is out of range).
    pub fn text_at(&self, span: Range<usize>) -> &'a str {
        self.text.get(span).unwrap_or("")
    }

    /// The 1-based line of a byte offset in the file.
    pub fn line(&self, offset: usize) -> usize {
        line_col(self.text, offset).0
    }

    /// How many problems were recorded: compare before and after a step to tell whether it found any.
    pub fn count(&self) -> usize {
        self.list.len()
    }

    /// The problems, in the order they were found.
    pub fn into_list(self) -> Vec<String> {
        self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_name_the_file_and_line() {
        let text = "a = 1\nb = 2\n";
        let mut problems = Problems::new("x.toml", text);
        problems.at(6..7, "b is wrong");
        assert_eq!(problems.count(), 1);
        assert_eq!(problems.into_list(), ["x.toml: line 2: b is wrong"]);
        assert_eq!(line_col(text, 8), (2, 3));
    }
}
