//! Classify stage: [`Entry`] → [`Classification`] by named regex rules (data, not code).
//!
//! Rules live in `default_rules.toml` (embedded) and in user files that replace rules by name. Each rule
//! looks at one field of the entry (title, content, the newest update's label or text...) and says which
//! status it means, with a priority. Classifying runs one [`RegexSet`] per field over the entry (a single
//! pass per field whatever the number of rules), drops candidates whose engine filter or `unless` veto
//! rules them out, and takes the highest priority, the earlier rule on a tie. Every result names the rule
//! that decided; [`Rules::explain`] lists every rule that matched and the text it matched.
//!
//! Loading and checking rules files is `rules.rs` ([`Rules::with_overrides`]; the CLI reads the user's file); this file
//! is the evaluation, and `pattern.rs` a rule's regex, compiled on first use. Classification does no
//! I/O. Build [`Rules`] once and reuse it: compiling is the expensive part.

pub mod language;
mod pattern;
mod rules;

pub use pattern::RulePattern;

pub use rules::RulesError;

use std::cell::OnceCell;

use regex::RegexSet;

use crate::model::{Classification, Engine, Entry, Phase, Status, Update};

/// The part of an entry a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Field {
    /// The entry's title.
    Title,
    /// The entry's whole plain-text content.
    Content,
    /// The newest update's status word ("Resolved", an AWS title prefix, a "[Detected]" tag).
    LatestLabel,
    /// The newest update's text.
    LatestText,
    /// "label: text" of the newest update.
    Latest,
    /// Title, newline, content.
    Any,
    /// The entry's severity: the vendor's own word where it states one, and for a watched
    /// page (`parse/page.rs`) whether its text matched the feed's `expect` pattern
    /// (`expected` / `unexpected`), so that verdict is a rule like any other.
    Severity,
}

impl Field {
    const ALL: [Field; 7] = [
        Field::Title,
        Field::Content,
        Field::LatestLabel,
        Field::LatestText,
        Field::Latest,
        Field::Any,
        Field::Severity,
    ];

    /// The rules-file name of the field.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    /// `None`: every engine.
    pub engines: Option<Vec<Engine>>,
    pub field: Field,
    /// Compiled on first use for the embedded rules ([`RulePattern`]).
    pub regex: RulePattern,
    pub unless: Option<RulePattern>,
    pub status: Status,
    pub phase: Option<Phase>,
    pub priority: i32,
    /// The language the rule's words are in (ISO 639-1); `None` or `en`: read in every entry,
    /// another: only in entries written in it ([`language::languages`]).
    pub language: Option<String>,
}

impl Rule {
    fn reads(&self, langs: &[String]) -> bool {
        match self.language.as_deref() {
            None | Some("en") => true,
            Some(l) => langs.iter().any(|x| x == l),
        }
    }
}

/// One rule that matched an entry, for `--explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMatch {
    pub rule: String,
    pub field: Field,
    pub status: Status,
    pub priority: i32,
    /// The text the rule's regex matched.
    pub matched: String,
    /// True for the rule that decided.
    pub decided: bool,
}

/// The verdict and every rule that matched, best first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub class: Classification,
    pub matches: Vec<RuleMatch>,
}

/// A compiled rule set.
#[derive(Debug, Clone)]
pub struct Rules {
    rules: Vec<Rule>,
    /// Per field: the set of that field's rule regexes, and which rule each set member is.
    /// Only `explain` reads them (classifying tries the rules one by one), so the embedded
    /// rules build them on first use: they are a third of compiling the rules.
    sets: std::sync::OnceLock<Vec<(RegexSet, Vec<usize>)>>,
    /// Every rule, best first (higher priority, then the rule written first): classifying
    /// stops at the first that applies.
    order: Vec<usize>,
    /// Whether any rule is tagged with a language other than English (else no entry's language
    /// needs to be told).
    multilingual: bool,
}

/// The rules a command classifies with, shared by its workers: each embedded rule compiles the
/// first time an entry reaches it ([`RulePattern`]), so a cycle that classifies nothing (every
/// feed answered 304, or brought only entries it already holds) compiles none, and one that
/// classifies a few English entries compiles the few rules they reach. Compiling them all was
/// most of a short cycle's CPU (an all-304 cycle of 200 feeds: 93 % of its instructions; a
/// 10 %-changed one, 45 %). A user's rules file is compiled when it is loaded, so a bad rule
/// fails the command before anything runs.
#[derive(Debug, Clone, Default)]
pub struct SharedRules {
    /// `None`: the embedded rules.
    loaded: Option<std::sync::Arc<Rules>>,
}

impl SharedRules {
    /// The rules to classify with (the embedded ones compile on the first call).
    pub fn get(&self) -> &Rules {
        self.loaded
            .as_deref()
            .unwrap_or_else(|| Rules::embedded_static())
    }
}

impl From<Rules> for SharedRules {
    fn from(rules: Rules) -> SharedRules {
        SharedRules {
            loaded: Some(std::sync::Arc::new(rules)),
        }
    }
}

impl Rules {
    /// The rules, in resolution order of writing.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Classifies one entry of a feed of the given engine.
    pub fn classify(&self, engine: Engine, entry: &Entry) -> Classification {
        let texts = FieldTexts::new(entry);
        let langs = self.languages(entry);
        let best = self.best(engine, &texts, &langs);
        self.verdict(best, entry)
    }

    /// The languages whose rules read this entry.
    pub fn languages(&self, entry: &Entry) -> Vec<String> {
        if !self.multilingual {
            return vec!["en".to_string()];
        }
        language::languages(entry.language.as_deref(), &entry.title, &entry.content)
    }

    /// The rule that decides: highest priority, the rule written first on a tie; the same
    /// choice as the head of [`Rules::candidates`]. Rules are tried best first and the first
    /// that applies wins, so most entries are decided by a few short `is_match` calls (each
    /// with its literal prefilter, stopping at the first match) instead of an overlapping
    /// search of every field by every rule.
    fn best(&self, engine: Engine, texts: &FieldTexts<'_>, langs: &[String]) -> Option<usize> {
        self.order.iter().copied().find(|&i| {
            let r = &self.rules[i];
            let text = texts.get(r.field);
            r.engines.as_ref().is_none_or(|es| es.contains(&engine))
                && r.reads(langs)
                && r.regex.is_match(text)
                && !r.unless.as_ref().is_some_and(|u| u.is_match(text))
        })
    }

    /// Whether a rule whose regex matched `text` applies: its engine filter and `unless` veto.
    fn applies(&self, r: &Rule, engine: Engine, text: &str, langs: &[String]) -> bool {
        r.engines.as_ref().is_none_or(|es| es.contains(&engine))
            && r.reads(langs)
            && !r.unless.as_ref().is_some_and(|u| u.is_match(text))
    }

    /// Classifies an entry and also says the worst status its timeline reached: each update
    /// classified on its own. An incident that is resolved now was still an outage while it
    /// lasted; one whose updates never said how bad it was counts as degraded (planned work as
    /// maintenance), so the archive's `worst_status` is never "resolved".
    pub fn classify_with_worst(&self, engine: Engine, entry: &Entry) -> (Classification, Status) {
        let langs = self.languages(entry);
        let class = self.verdict(self.best(engine, &FieldTexts::new(entry), &langs), entry);
        let mut worst = class.status;
        if entry.updates.len() > 1 {
            for update in &entry.updates {
                // The update read as if it were the whole entry (its text the content, itself
                // the only update), without building that entry: only the status is needed.
                let texts = FieldTexts::for_update(entry, update);
                let status = self
                    .best(engine, &texts, &langs)
                    .map_or(Status::Informational, |i| self.rules[i].status);
                if status.rank() > worst.rank() {
                    worst = status;
                }
            }
        }
        if worst == Status::Resolved {
            let planned = entry.updates.iter().any(|u| {
                matches!(
                    Phase::from_word(&u.label),
                    Some(
                        Phase::Scheduled | Phase::InProgress | Phase::Verifying | Phase::Completed
                    )
                )
            }) || class.phase == Some(Phase::Completed);
            worst = if planned {
                Status::Maintenance
            } else {
                Status::Degraded
            };
        }
        (class, worst)
    }

    /// Classifies and lists every rule that matched (best first) with the text it matched.
    pub fn explain(&self, engine: Engine, entry: &Entry) -> Explanation {
        let texts = FieldTexts::new(entry);
        let langs = self.languages(entry);
        let order: Vec<usize> = self.candidates(engine, &texts, &langs).collect();
        let class = self.verdict(order.first().copied(), entry);
        let matches = order
            .iter()
            .enumerate()
            .map(|(n, &i)| {
                let r = &self.rules[i];
                let matched = r
                    .regex
                    .regex()
                    .find(texts.get(r.field))
                    .map(|m| m.as_str().to_string())
                    .unwrap_or_default();
                RuleMatch {
                    rule: r.name.clone(),
                    field: r.field,
                    status: r.status,
                    priority: r.priority,
                    matched,
                    decided: n == 0,
                }
            })
            .collect();
        Explanation { class, matches }
    }

    fn sets(&self) -> &[(RegexSet, Vec<usize>)] {
        // Rules from a file were built with their sets (a failure rejected the file); the
        // embedded ones are known to compile together (`embedded_rules_compile`).
        self.sets
            .get_or_init(|| rules::field_sets(&self.rules, "rules").unwrap_or_default())
    }

    /// The rules that apply to this entry, best first.
    fn candidates<'a>(
        &'a self,
        engine: Engine,
        texts: &'a FieldTexts<'_>,
        langs: &[String],
    ) -> impl Iterator<Item = usize> + 'a {
        let mut hits: Vec<usize> = Vec::new();
        for field in Field::ALL {
            let (set, members) = &self.sets()[field.index()];
            let text = texts.get(field);
            for m in set.matches(text).iter() {
                let i = members[m];
                if self.applies(&self.rules[i], engine, text, langs) {
                    hits.push(i);
                }
            }
        }
        // Higher priority first; on a tie, the rule written first.
        hits.sort_by_key(|&i| (std::cmp::Reverse(self.rules[i].priority), i));
        hits.into_iter()
    }

    fn verdict(&self, best: Option<usize>, entry: &Entry) -> Classification {
        let Some(i) = best else {
            // Only reachable with a user rule set that has no catch-all.
            return Classification {
                status: Status::Informational,
                phase: None,
                rule: "none".into(),
            };
        };
        let r = &self.rules[i];
        let label_phase = entry
            .updates
            .first()
            .and_then(|u| Phase::from_word(&u.label));
        let phase = r.phase.or(match (r.status, label_phase) {
            // A resolved verdict never carries an active phase ("[Investigating]" with "now fixed").
            (
                Status::Resolved,
                Some(p @ (Phase::Resolved | Phase::Postmortem | Phase::Completed)),
            ) => Some(p),
            (Status::Resolved, _) => Some(Phase::Resolved),
            (_, p) => p,
        });
        Classification {
            status: r.status,
            phase,
            rule: r.name.clone(),
        }
    }
}

/// The texts of one entry, per field. The two composed ones (`latest`, `any`) are built on
/// first use: most verdicts are reached before a rule asks for them.
struct FieldTexts<'a> {
    title: &'a str,
    content: &'a str,
    label: &'a str,
    text: &'a str,
    latest: OnceCell<String>,
    any: OnceCell<String>,
    severity: &'a str,
}

impl<'a> FieldTexts<'a> {
    fn new(entry: &'a Entry) -> Self {
        let (label, text) = entry
            .updates
            .first()
            .map_or(("", entry.content.as_str()), |u| {
                (canonical_label(&u.label), u.text.as_str())
            });
        FieldTexts {
            title: &entry.title,
            content: &entry.content,
            label,
            text,
            latest: OnceCell::new(),
            any: OnceCell::new(),
            severity: entry.severity.as_deref().unwrap_or_default(),
        }
    }

    /// The texts of `entry` with `update` as its content and only update (for worst status).
    fn for_update(entry: &'a Entry, update: &'a Update) -> Self {
        FieldTexts {
            title: &entry.title,
            content: &update.text,
            label: canonical_label(&update.label),
            text: &update.text,
            latest: OnceCell::new(),
            any: OnceCell::new(),
            severity: entry.severity.as_deref().unwrap_or_default(),
        }
    }

    fn get(&self, field: Field) -> &str {
        match field {
            Field::Title => self.title,
            Field::Content => self.content,
            Field::LatestLabel => self.label,
            Field::LatestText => self.text,
            Field::Severity => self.severity,
            Field::Latest => self.latest.get_or_init(|| {
                let mut latest = String::with_capacity(self.label.len() + self.text.len() + 2);
                latest.push_str(self.label);
                latest.push_str(": ");
                latest.push_str(self.text);
                latest
            }),
            Field::Any => self.any.get_or_init(|| {
                let mut any = String::with_capacity(self.title.len() + self.content.len() + 1);
                any.push_str(self.title);
                any.push('\n');
                any.push_str(self.content);
                any
            }),
        }
    }
}

/// A label as rules read it: a known lifecycle word in any language becomes its English word
/// ("Gelöst", "Résolu", "[Resolved]" → "resolved"), anything else stays as written.
fn canonical_label(label: &str) -> &str {
    // `Phase::word` is 'static; `label` outlives the call.
    match Phase::from_word(label) {
        Some(p) => p.word(),
        None => label,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(title: &str, label: &str, text: &str) -> Entry {
        Entry {
            id: "x".into(),
            id_derived: false,
            title: title.into(),
            link: None,
            published: None,
            updated: None,
            content: text.into(),
            updates: if label.is_empty() && text.is_empty() {
                Vec::new()
            } else {
                vec![Update {
                    at: None,
                    label: label.into(),
                    text: text.into(),
                }]
            },
            components: Vec::new(),
            incident_key: None,
            severity: None,
            language: None,
        }
    }

    #[test]
    fn case_table() {
        use Engine::*;
        use Status::*;
        let cases: &[(&str, Engine, &str, &str, &str, Status)] = &[
            (
                "resolved_beats_words",
                Statuspage,
                "Major outage",
                "Resolved",
                "This incident has been resolved.",
                Resolved,
            ),
            (
                "completed",
                Statuspage,
                "Maintenance",
                "Completed",
                "The maintenance has completed.",
                Resolved,
            ),
            (
                "postmortem",
                Statuspage,
                "API down",
                "Postmortem",
                "Root cause...",
                Resolved,
            ),
            (
                "scheduled",
                Statuspage,
                "DB upgrade",
                "Scheduled",
                "We will upgrade; the API will be unavailable.",
                Maintenance,
            ),
            (
                "in_progress",
                Statuspage,
                "DB upgrade",
                "In progress",
                "Under way.",
                Maintenance,
            ),
            (
                "verifying",
                Statuspage,
                "DB upgrade",
                "Verifying",
                "Checking.",
                Maintenance,
            ),
            (
                "investigating_unclear",
                Statuspage,
                "Issue with logins",
                "Investigating",
                "We are looking into reports.",
                Degraded,
            ),
            (
                "identified_outage_title",
                Statuspage,
                "API unavailable",
                "Identified",
                "Fix under way.",
                Outage,
            ),
            (
                "major_outage_text",
                Statuspage,
                "Problems",
                "Investigating",
                "We are seeing a major outage of the API.",
                Outage,
            ),
            (
                "degraded_text",
                Statuspage,
                "Problems",
                "Investigating",
                "Elevated error rates for some users.",
                Degraded,
            ),
            (
                "monitoring",
                Statuspage,
                "Dashboard unavailable",
                "Monitoring",
                "A fix has been implemented.",
                Degraded,
            ),
            (
                "update_resolved_text",
                Statuspage,
                "Networking",
                "Update",
                "The issues have been resolved.",
                Resolved,
            ),
            (
                "until_resolved_is_not",
                Statuspage,
                "Delays",
                "Identified",
                "We'll monitor until the issue is resolved.",
                Degraded,
            ),
            (
                "aws_resolved",
                Aws,
                "Informational message: [RESOLVED] Increased API Error Rates",
                "Informational message",
                "",
                Resolved,
            ),
            (
                "aws_normal",
                Aws,
                "Service is operating normally: [RESOLVED] Network connectivity",
                "Service is operating normally",
                "We are investigating.",
                Resolved,
            ),
            (
                "aws_disruption",
                Aws,
                "Service disruption: Instance launches",
                "Service disruption",
                "Instances fail.",
                Outage,
            ),
            (
                "aws_degradation",
                Aws,
                "Service degradation: EBS",
                "Service degradation",
                "Recovery.",
                Degraded,
            ),
            (
                "aws_impact",
                Aws,
                "Service impact: Lambda",
                "Service impact",
                "Increased latencies.",
                Degraded,
            ),
            (
                "aws_impact_broken",
                Aws,
                "Service impact: Lambda",
                "Service impact",
                "Customers are unable to invoke functions.",
                Outage,
            ),
            (
                "aws_info_live",
                Aws,
                "Informational message: EC2",
                "Informational message",
                "We are investigating connectivity issues.",
                Degraded,
            ),
            (
                "aws_info_over",
                Aws,
                "Informational message: EC2",
                "Informational message",
                "The issue has been resolved and the service is operating normally.",
                Resolved,
            ),
            (
                "aws_info_plain",
                Aws,
                "Informational message: New region",
                "Informational message",
                "We launched a region.",
                Informational,
            ),
            (
                "aws_error_rates",
                Aws,
                "Increased Error Rates",
                "",
                "",
                Degraded,
            ),
            (
                "state_operational",
                Generic,
                "Public website is now operational",
                "",
                "changed from partial outage to operational",
                Resolved,
            ),
            (
                "state_degraded",
                Generic,
                "Control plane is now degraded",
                "",
                "changed",
                Degraded,
            ),
            (
                "retraction",
                Generic,
                "Website: a fault in our own checking, not in the service",
                "",
                "partial outage",
                Informational,
            ),
            (
                "bracket_resolved",
                Generic,
                "[Resolved] DB unavailable",
                "Resolved",
                "ok",
                Resolved,
            ),
            (
                "bracket_outage",
                Generic,
                "[Investigating] Some databases are failing to load",
                "Investigating",
                "degradation",
                Outage,
            ),
            (
                "bracket_degraded_title_wins",
                Generic,
                "[Detected] Degraded experience",
                "Detected",
                "may not load",
                Degraded,
            ),
            (
                "news",
                Generic,
                "We launched a feature",
                "",
                "Read about it.",
                Informational,
            ),
            (
                "german_resolved",
                Generic,
                "Störung",
                "",
                "Das Problem ist behoben.",
                Resolved,
            ),
            // Words of state are per language: Dutch "storing" is an outage, English is not.
            (
                "dutch_outage",
                Generic,
                "Storing bij het inloggen",
                "",
                "Er is een storing en inloggen is niet mogelijk voor de meeste gebruikers.",
                Outage,
            ),
            (
                "english_storing_is_no_outage",
                Generic,
                "Storing backups in a new region",
                "",
                "We are storing the backups of all customers in the new region from today.",
                Informational,
            ),
            // Labels in any language read as their English word.
            (
                "label_geloest",
                Statuspage,
                "Ausfall",
                "Gelöst",
                "Alles gut.",
                Resolved,
            ),
            (
                "label_resuelto",
                Statuspage,
                "Caída",
                "Resuelto",
                "Listo.",
                Resolved,
            ),
            (
                "label_en_cours",
                Statuspage,
                "Travaux",
                "En cours",
                "Nous travaillons.",
                Maintenance,
            ),
            (
                "label_ja",
                Statuspage,
                "障害",
                "解決済み",
                "復旧しました。",
                Resolved,
            ),
            // Planned work called off; write-ups of finished incidents; product news.
            (
                "cancelled",
                Statuspage,
                "Database maintenance",
                "Scheduled",
                "This maintenance has been cancelled.",
                Informational,
            ),
            (
                "postmortem_title",
                Generic,
                "Postmortem: API outage on March 3",
                "",
                "The API was down for 40 minutes.",
                Resolved,
            ),
            (
                "announcement",
                Generic,
                "Introducing faster builds",
                "",
                "No more delays: builds are twice as fast.",
                Informational,
            ),
            (
                "incidentio",
                Incidentio,
                "High error rate",
                "Resolved",
                "Recovered.",
                Resolved,
            ),
            (
                "slack_outage",
                Slack,
                "Outage: Slack is down",
                "",
                "We're on it.",
                Outage,
            ),
            (
                "slack_maintenance",
                Slack,
                "Maintenance: DB",
                "",
                "Planned.",
                Maintenance,
            ),
            (
                "slack_notice",
                Slack,
                "Notice: change",
                "",
                "FYI.",
                Informational,
            ),
            (
                "planned_title",
                Govuk,
                "Planned maintenance: service unavailable on Sunday",
                "",
                "",
                Maintenance,
            ),
        ];
        let rules = Rules::embedded();
        for (name, engine, title, label, text, want) in cases {
            let e = entry(title, label, text);
            let got = rules.classify(*engine, &e);
            assert_eq!(got.status, *want, "case {name}: decided by {}", got.rule);
        }
    }

    #[test]
    fn overrides_replace_by_name_and_reject_whole() {
        let rules = Rules::embedded();
        let n = rules.rules().len();
        let ok = r#"
            [[rule]]
            name = "title-outage"
            priority = 10
            [[rule]]
            name = "my-rule"
            field = "title"
            regex = "(?i)kaputt"
            status = "outage"
            priority = 990
        "#;
        let r2 = rules.clone().with_overrides(ok, "mine.toml").unwrap();
        assert_eq!(r2.rules().len(), n + 1);
        assert_eq!(
            r2.rules()
                .iter()
                .find(|r| r.name == "title-outage")
                .unwrap()
                .priority,
            10
        );
        assert_eq!(
            r2.classify(Engine::Generic, &entry("Alles kaputt", "", ""))
                .rule,
            "my-rule"
        );

        let bad = r#"
            [[rule]]
            name = "fine"
            field = "title"
            regex = "x"
            status = "outage"
            [[rule]]
            name = "broken"
            field = "title"
            regex = "(unclosed"
            status = "outage"
        "#;
        let err = rules
            .clone()
            .with_overrides(bad, "bad.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("bad.toml") && err.contains("broken") && err.contains("regex"),
            "{err}"
        );

        for (doc, needle) in [
            ("[[rule]]\nname='a'\nfield='nope'\nregex='x'\nstatus='outage'", "unknown field"),
            ("[[rule]]\nname='a'\nfield='title'\nregex='x'\nstatus='bad'", "unknown status"),
            ("[[rule]]\nname='a'\nfield='title'\nregex='x'\nstatus='outage'\nengines=['zz']", "unknown engine"),
            ("[[rule]]\nname='a'\nfield='title'\nregex='x'\nstatus='outage'\n[[rule]]\nname='a'\nfield='title'\nregex='y'\nstatus='outage'", "defined twice"),
            ("[[rule]]\nname='a'\nfield='title'\nregex='x'\nstatus='outage'\ncolour='red'", "unknown field `colour`"),
            ("not toml [", "not a valid rules file"),
            ("[[rule]]\nname='a'\nfield='title'\nregex='x'\nstatus='outage'\nlanguage='Swedish'", "`language` \"Swedish\" is not an ISO 639-1 code"),
        ] {
            let e = rules.clone().with_overrides(doc, "f.toml").unwrap_err().to_string();
            assert!(e.contains(needle), "{needle}: {e}");
        }

        // A language added by a user reads only entries in it: the feed declares it.
        let swedish = "[[rule]]\nname='sv-outage'\nlanguage='sv'\nfield='title'\nregex='(?i)avbrott'\nstatus='outage'\npriority=800";
        let r4 = rules.clone().with_overrides(swedish, "sv.toml").unwrap();
        let mut e = entry("Avbrott i inloggningen", "", "Inloggningen fungerar inte.");
        assert_eq!(
            r4.classify(Engine::Generic, &e).status,
            Status::Informational
        );
        e.language = Some("sv".into());
        assert_eq!(r4.classify(Engine::Generic, &e).rule, "sv-outage");

        let off = "[[rule]]\nname = 'retraction'\nenabled = false";
        let r3 = rules.with_overrides(off, "off.toml").unwrap();
        assert!(r3.rules().iter().all(|r| r.name != "retraction"));
    }

    #[test]
    fn explain_lists_matches_with_text() {
        let rules = Rules::embedded();
        let e = entry(
            "API unavailable",
            "Resolved",
            "This incident has been resolved.",
        );
        let x = rules.explain(Engine::Statuspage, &e);
        assert_eq!(x.class.rule, "label-resolved");
        assert_eq!(x.class.phase, Some(Phase::Resolved));
        assert!(x.matches[0].decided);
        let outage = x.matches.iter().find(|m| m.rule == "title-outage").unwrap();
        assert_eq!(outage.matched, "unavailable");
        assert!(!outage.decided);
    }

    /// Worst status as first written: each update classified as a whole cloned entry. The
    /// allocation-free version must agree with it on every entry of every fixture.
    fn worst_by_cloning(rules: &Rules, engine: Engine, entry: &Entry) -> Status {
        let mut worst = rules.classify(engine, entry).status;
        if entry.updates.len() > 1 {
            for update in &entry.updates {
                let single = Entry {
                    content: update.text.clone(),
                    updates: vec![update.clone()],
                    ..entry.clone()
                };
                let status = rules.classify(engine, &single).status;
                if status.rank() > worst.rank() {
                    worst = status;
                }
            }
        }
        worst
    }

    #[test]
    fn worst_status_matches_the_cloning_reference_on_fixtures() {
        let rules = Rules::embedded();
        let mut checked = 0;
        for dir in ["fixtures/parse", "fixtures/feeds"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for file in std::fs::read_dir(dir).unwrap() {
                let bytes = std::fs::read(file.unwrap().path()).unwrap();
                let Ok(feed) = crate::parse::parse_feed(&bytes, &Default::default()) else {
                    continue;
                };
                for e in &feed.entries {
                    let (class, worst) = rules.classify_with_worst(feed.engine, e);
                    let reference = rules.explain(feed.engine, e).class;
                    assert_eq!(class, reference, "{}", e.title);
                    let mut expected = worst_by_cloning(&rules, feed.engine, e);
                    if expected == Status::Resolved {
                        // classify_with_worst then says how bad it was; only compare the rank order.
                        expected = worst;
                    }
                    assert_eq!(worst, expected, "{}", e.title);
                    checked += 1;
                }
            }
        }
        assert!(checked > 40, "only {checked} entries checked");
    }

    /// A watched page's one entry, as `parse/page.rs` builds it: the text is title and content,
    /// `severity` its `expect` verdict.
    fn page_entry(text: &str, severity: Option<&str>) -> Entry {
        Entry {
            title: text.into(),
            severity: severity.map(str::to_string),
            ..entry(text, "", text)
        }
    }

    #[test]
    fn page_texts() {
        let rules = Rules::embedded();
        let cases: &[(&str, Option<&str>, Status, &str)] = &[
            (
                "Signal is up and running.",
                None,
                Status::Informational,
                "page-all-good",
            ),
            (
                "All systems operational",
                None,
                Status::Informational,
                "page-all-good",
            ),
            (
                "No known issues",
                None,
                Status::Informational,
                "page-all-good",
            ),
            (
                "We are experiencing an outage of message delivery.",
                None,
                Status::Outage,
                "title-outage",
            ),
            (
                "Some users see delays sending messages.",
                None,
                Status::Degraded,
                "",
            ),
            // The feed's own all-good pattern beats every word of severity in the text.
            (
                "No outage here: all fine",
                Some("expected"),
                Status::Informational,
                "page-expected",
            ),
            // Not the expected text: the rules read it, and nothing found is still "look".
            (
                "Wir arbeiten daran.",
                Some("unexpected"),
                Status::Degraded,
                "page-unexpected",
            ),
            (
                "We are experiencing an outage of message delivery.",
                Some("unexpected"),
                Status::Outage,
                "title-outage",
            ),
        ];
        for (text, severity, status, rule) in cases {
            let class = rules.classify(Engine::Page, &page_entry(text, *severity));
            assert_eq!(class.status, *status, "{text}: {class:?}");
            if !rule.is_empty() {
                assert_eq!(class.rule, *rule, "{text}");
            }
        }
        // The page rules are for watched pages only: a feed's "expected" severity is a word.
        let feed = rules.classify(
            Engine::Generic,
            &page_entry("Wir arbeiten daran.", Some("unexpected")),
        );
        assert_eq!(feed.status, Status::Informational);
    }
}
