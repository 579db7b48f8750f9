//! A rule's regex, compiled on its first match attempt.
//!
//! The embedded rules hold about a hundred regexes, and compiling one costs about as much as
//! classifying twenty entries (callgrind: 1.5 M instructions). Most of them a given process never tries: classifying
//! stops at the first rule that applies, and the engine and language filters come before the
//! regex, so an English Statuspage feed never reaches the Japanese or AWS-only rules. Compiled
//! lazily, a changed cycle compiles the few it needs. A user's rules file is compiled when it is
//! loaded instead ([`RulePattern::compiled`]), so a bad regex fails the command before it runs.

use std::sync::OnceLock;

use regex::Regex;

#[derive(Debug, Clone)]
pub struct RulePattern {
    source: String,
    regex: OnceLock<Regex>,
}

impl RulePattern {
    /// Compiled now: a pattern that does not compile is the error.
    pub(super) fn compiled(source: &str) -> Result<RulePattern, regex::Error> {
        let regex = OnceLock::new();
        let _ = regex.set(Regex::new(source)?);
        Ok(RulePattern {
            source: source.to_string(),
            regex,
        })
    }

    /// Compiled on first use. Only for the embedded rules, which a unit test compiles every one of
    /// (`embedded_rules_compile`).
    pub(super) fn deferred(source: &str) -> RulePattern {
        RulePattern {
            source: source.to_string(),
            regex: OnceLock::new(),
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The compiled regex (compiling it the first time).
    pub fn regex(&self) -> &Regex {
        self.regex.get_or_init(|| {
            #[allow(clippy::expect_used)] // `deferred` is only given our own, tested patterns
            Regex::new(&self.source).expect("an embedded rule's regex compiles")
        })
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex().is_match(text)
    }

    /// Whether it has been compiled (for the test that holds the laziness).
    #[cfg(test)]
    pub(super) fn is_compiled(&self) -> bool {
        self.regex.get().is_some()
    }
}
