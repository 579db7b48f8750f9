//! Loading classification rules: the embedded `default_rules.toml`, and a user's rules file
//! that adds rules or replaces them by name.
//!
//! A rules file is checked whole before anything of it is used: a bad regex, an unknown status
//! or field, or a duplicate name rejects the file with the rule's name, never a half-loaded set.
//! This is the classify stage's one piece of I/O, reading the user's file once when a command
//! starts; evaluating rules (`mod.rs`) does none.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::RegexSet;
use serde::Deserialize;

use super::{language, Field, Rule, RulePattern, Rules};
use crate::model::{Engine, Phase, Status};

/// The rules compiled into the binary.
const DEFAULT_RULES: &str = include_str!("default_rules.toml");

/// Why a rules file was rejected.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("{origin}: not a valid rules file: {message}")]
    Syntax { origin: String, message: String },
    #[error("{origin}: rule {rule:?}: {message}")]
    Rule {
        origin: String,
        rule: String,
        message: String,
    },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

impl Field {
    fn parse(s: &str) -> Option<Field> {
        let f = match s
            .trim()
            .to_ascii_lowercase()
            .replace(['-', ' '], "_")
            .as_str()
        {
            "title" => Field::Title,
            "content" | "summary" | "text" => Field::Content,
            "latest_label" | "label" | "latest_update_label" => Field::LatestLabel,
            "latest_text" | "latest_update_text" => Field::LatestText,
            "latest" | "latest_update" => Field::Latest,
            "any" => Field::Any,
            "severity" => Field::Severity,
            _ => return None,
        };
        Some(f)
    }
}

/// One rule as written in a rules file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    name: String,
    #[serde(default)]
    engines: Option<Vec<String>>,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    unless: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    phase: Option<String>,
    #[serde(default)]
    priority: Option<i32>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    language: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    rule: Vec<RuleSpec>,
}

static EMBEDDED: LazyLock<Rules> = LazyLock::new(|| {
    #[allow(clippy::expect_used)] // our own file, checked by a unit test
    Rules::from_specs(Vec::new(), DEFAULT_RULES, "embedded rules", false)
        .expect("the embedded rules are valid")
});

impl Rules {
    /// The rules embedded in the binary.
    pub fn embedded() -> Rules {
        EMBEDDED.clone()
    }

    /// The embedded rules, compiled the first time they are asked for.
    pub(super) fn embedded_static() -> &'static Rules {
        &EMBEDDED
    }

    /// Adds or overrides rules by name from a TOML document; `origin` names it in errors. The document
    /// is checked whole: on any error nothing of it is applied.
    pub fn with_overrides(self, toml: &str, origin: &str) -> Result<Rules, RulesError> {
        Rules::from_specs(self.rules, toml, origin, true)
    }

    /// `check_sets`: compile the file's regexes and build the per-field sets now, so that a bad
    /// regex, or rules which do not compile together, reject the file; otherwise (the embedded
    /// rules) both are compiled on first use.
    fn from_specs(
        mut rules: Vec<Rule>,
        toml_text: &str,
        origin: &str,
        check_sets: bool,
    ) -> Result<Rules, RulesError> {
        let file: RulesFile = toml::from_str(toml_text).map_err(|e| RulesError::Syntax {
            origin: origin.to_string(),
            message: e.to_string(),
        })?;
        let mut names = HashSet::new();
        for spec in file.rule {
            if !names.insert(spec.name.clone()) {
                return Err(RulesError::Rule {
                    origin: origin.into(),
                    rule: spec.name,
                    message: "defined twice in this file: rule names must be unique".into(),
                });
            }
            let existing = rules.iter().position(|r| r.name == spec.name);
            if spec.enabled == Some(false) {
                if let Some(i) = existing {
                    rules.remove(i);
                }
                continue;
            }
            let rule = compile(&spec, existing.map(|i| &rules[i]), origin, check_sets)?;
            match existing {
                Some(i) => rules[i] = rule,
                None => rules.push(rule),
            }
        }
        if rules.is_empty() {
            return Err(RulesError::Invalid {
                origin: origin.into(),
                message: "no rules left: at least one is needed".into(),
            });
        }
        let sets = std::sync::OnceLock::new();
        if check_sets {
            let _ = sets.set(field_sets(&rules, origin)?);
        }
        let mut order: Vec<usize> = (0..rules.len()).collect();
        order.sort_by_key(|&i| (std::cmp::Reverse(rules[i].priority), i));
        let multilingual = rules
            .iter()
            .any(|r| r.language.as_deref().is_some_and(|l| l != "en"));
        Ok(Rules {
            rules,
            sets,
            order,
            multilingual,
        })
    }
}

/// Per field: the set of that field's rule regexes, and which rule each set member is.
pub(super) fn field_sets(
    rules: &[Rule],
    origin: &str,
) -> Result<Vec<(RegexSet, Vec<usize>)>, RulesError> {
    let mut sets = Vec::with_capacity(Field::ALL.len());
    for field in Field::ALL {
        let members: Vec<usize> = (0..rules.len())
            .filter(|&i| rules[i].field == field)
            .collect();
        let set = RegexSet::new(members.iter().map(|&i| rules[i].regex.as_str())).map_err(|e| {
            RulesError::Invalid {
                origin: origin.into(),
                message: format!("the {} rules do not compile together: {e}", field.as_str()),
            }
        })?;
        sets.push((set, members));
    }
    Ok(sets)
}

/// Checks and compiles one rule; `base` is the rule it replaces, whose values fill what the override
/// leaves out (so a user can change just a regex or a priority). `now`: compile its regexes now
/// (a user's file), else on first use (the embedded rules).
fn compile(
    spec: &RuleSpec,
    base: Option<&Rule>,
    origin: &str,
    now: bool,
) -> Result<Rule, RulesError> {
    let err = |message: String| RulesError::Rule {
        origin: origin.into(),
        rule: spec.name.clone(),
        message,
    };
    if spec.name.trim().is_empty() {
        return Err(err("a rule needs a non-empty name".into()));
    }
    let field = match (&spec.field, base) {
        (Some(f), _) => Field::parse(f).ok_or_else(|| {
            err(format!("unknown field {f:?} (known: title, content, latest_label, latest_text, latest, any)"))
        })?,
        (None, Some(b)) => b.field,
        (None, None) => return Err(err("missing `field`".into())),
    };
    let pattern = |re: &str, what: &str| {
        if now {
            RulePattern::compiled(re).map_err(|e| err(format!("bad {what}: {e}")))
        } else {
            Ok(RulePattern::deferred(re))
        }
    };
    let regex = match (&spec.regex, base) {
        (Some(re), _) => pattern(re, "regex")?,
        (None, Some(b)) => b.regex.clone(),
        (None, None) => return Err(err("missing `regex`".into())),
    };
    let unless = match (&spec.unless, base) {
        (Some(re), _) if re.is_empty() => None,
        (Some(re), _) => Some(pattern(re, "`unless` regex")?),
        (None, Some(b)) => b.unless.clone(),
        (None, None) => None,
    };
    let status = match (&spec.status, base) {
        (Some(s), _) => s.parse::<Status>().map_err(|e| err(e.to_string()))?,
        (None, Some(b)) => b.status,
        (None, None) => return Err(err("missing `status`".into())),
    };
    let phase = match (&spec.phase, base) {
        (Some(p), _) => Some(Phase::from_word(p).ok_or_else(|| {
            err(format!("unknown phase {p:?} (known: investigating, identified, monitoring, update, resolved, postmortem, scheduled, in_progress, verifying, completed)"))
        })?),
        (None, Some(b)) => b.phase,
        (None, None) => None,
    };
    let engines = match (&spec.engines, base) {
        (Some(list), _) => {
            let mut v = Vec::with_capacity(list.len());
            for e in list {
                v.push(e.parse::<Engine>().map_err(|x| err(x.to_string()))?);
            }
            Some(v)
        }
        (None, Some(b)) => b.engines.clone(),
        (None, None) => None,
    };
    let priority = spec.priority.or(base.map(|b| b.priority)).unwrap_or(0);
    let language = match (&spec.language, base) {
        (Some(l), _) if language::is_code(l.trim()) => Some(l.trim().to_ascii_lowercase()),
        (Some(l), _) => {
            return Err(err(format!(
                "`language` {l:?} is not an ISO 639-1 code (two letters, such as \"de\" or \"sv\")"
            )))
        }
        (None, Some(b)) => b.language.clone(),
        (None, None) => None,
    };
    Ok(Rule {
        name: spec.name.clone(),
        engines,
        field,
        regex,
        unless,
        status,
        phase,
        priority,
        language,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_rules_compile() {
        let r = Rules::embedded();
        assert!(r.rules().len() > 10);
        let names: HashSet<_> = r.rules().iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names.len(), r.rules().len());
        // Built on first use (`explain`), where a failure could only be ignored.
        assert!(field_sets(r.rules(), "embedded rules").is_ok());
        // Each rule's own regexes are compiled on first use too, where a failure would panic.
        for rule in r.rules() {
            assert!(
                RulePattern::compiled(rule.regex.as_str()).is_ok(),
                "{}",
                rule.name
            );
            if let Some(u) = &rule.unless {
                assert!(
                    RulePattern::compiled(u.as_str()).is_ok(),
                    "{} unless",
                    rule.name
                );
            }
        }
    }

    #[test]
    fn embedded_rules_compile_only_the_rules_an_entry_reaches() {
        use crate::model::{Entry, Update};
        // A fresh copy: the shared one may have been used by other tests in this process.
        let rules = Rules::from_specs(Vec::new(), DEFAULT_RULES, "embedded rules", false)
            .expect("the embedded rules are valid");
        assert!(rules.rules().iter().all(|r| !r.regex.is_compiled()));
        let entry = Entry {
            id: "x".into(),
            id_derived: false,
            title: "Elevated error rates on the API".into(),
            link: None,
            published: None,
            updated: None,
            content: "We are investigating elevated error rates.".into(),
            updates: vec![Update {
                at: None,
                label: "Investigating".into(),
                text: "We are investigating elevated error rates.".into(),
            }],
            components: Vec::new(),
            incident_key: None,
            severity: None,
            language: None,
        };
        let class = rules.classify(Engine::Statuspage, &entry);
        let decided = rules.rules().iter().find(|r| r.name == class.rule);
        assert!(decided.is_some_and(|r| r.regex.is_compiled()), "{class:?}");
        // Rules for other languages and other engines were never tried, so never compiled.
        let skipped: Vec<&str> = rules
            .rules()
            .iter()
            .filter(|r| {
                r.language.as_deref().is_some_and(|l| l != "en")
                    || r.engines
                        .as_ref()
                        .is_some_and(|es| !es.contains(&Engine::Statuspage))
            })
            .map(|r| r.name.as_str())
            .collect();
        assert!(skipped.len() > 20, "{skipped:?}");
        for r in rules.rules() {
            if skipped.contains(&r.name.as_str()) {
                assert!(!r.regex.is_compiled(), "{} was compiled", r.name);
            }
        }
        // And a user's file is compiled as it is read: a bad regex is an error then.
        let err = Rules::embedded()
            .with_overrides(
                "[[rule]]\nname = \"x\"\nfield = \"title\"\nregex = \"(\"\nstatus = \"outage\"\n",
                "mine.toml",
            )
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("mine.toml") && err.contains("bad regex"),
            "{err}"
        );
    }
}
