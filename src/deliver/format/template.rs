//! The `template` format: a user's minijinja template for any other receiver.
//!
//! The template sees the event as its context: every field of the json payload at the top
//! level (`type`, `title`, `vendor`, `incident`, ...; see docs/webhooks.md), `seq`, and
//! `message`, the words the chat formats use (`message.headline`, `message.brief`,
//! `message.said`, `message.label`, `message.text`, `message.severity`, `message.since`,
//! `message.components`, `message.link`, ...). Nothing is escaped: a JSON body writes its
//! strings with the `tojson` filter (`"text": {{ message.brief|tojson }}`). Undefined values
//! are semi-strict: testing one (`{% if incident %}`, `|default`) is fine, printing one is a
//! render error, so a typo fails loudly instead of sending an empty field.
//!
//! A syntax error is found when the configuration is read (`compile`, naming the template's
//! line); a render error is a failed attempt whose error says what and where.

use super::message_context;
use crate::model::StoredEvent;
use minijinja::{Environment, UndefinedBehavior};
use serde_json::Value;

/// A compiled template, ready to render events.
pub struct UserTemplate {
    env: Environment<'static>,
    /// How messages name it: `template` or `template_file "hooks/pd.j2"`.
    origin: String,
}

/// Why a template does not compile: the template's own line (1-based) when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateProblem {
    pub line: Option<usize>,
    pub message: String,
}

/// The template's name inside its environment (no extension: no autoescape).
const NAME: &str = "webhook";

/// A minijinja error in one line: what went wrong and, when known, on which template line.
fn describe(e: &minijinja::Error) -> String {
    let what = match e.detail() {
        Some(detail) => format!("{}: {detail}", e.kind()),
        None => e.kind().to_string(),
    };
    match e.line() {
        Some(line) => format!("line {line}: {what}"),
        None => what,
    }
}

impl UserTemplate {
    /// Compiles `source`; `origin` names it in messages.
    pub fn compile(source: &str, origin: &str) -> Result<UserTemplate, TemplateProblem> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.add_template_owned(NAME, source.to_string())
            .map_err(|e| TemplateProblem {
                line: e.line(),
                message: match e.detail() {
                    Some(detail) => format!("{}: {detail}", e.kind()),
                    None => e.kind().to_string(),
                },
            })?;
        Ok(UserTemplate {
            env,
            origin: origin.to_string(),
        })
    }

    /// How messages name the template.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The context an event renders with: the payload's fields, `seq` and `message`.
    pub fn context(event: &StoredEvent) -> Value {
        let mut context = match serde_json::from_str::<Value>(&event.body) {
            Ok(Value::Object(object)) => Value::Object(object),
            _ => serde_json::to_value(&event.payload).unwrap_or(Value::Null),
        };
        if let Some(object) = context.as_object_mut() {
            object.insert("seq".into(), Value::from(event.seq));
            object.insert("message".into(), message_context(&event.payload));
        }
        context
    }

    /// Renders `event`; `Err` says what failed, on which line of which template.
    pub fn render(&self, event: &StoredEvent) -> Result<String, String> {
        let fail =
            |e: minijinja::Error| format!("{} does not render: {}", self.origin, describe(&e));
        let template = self.env.get_template(NAME).map_err(fail)?;
        template
            .render(minijinja::value::Serde(Self::context(event)))
            .map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn a_template_renders_the_payload_seq_and_message_helpers() {
        let mut event = outage();
        event.body = serde_json::to_string(&event.payload).unwrap();
        let t = UserTemplate::compile(
            r#"{"seq": {{ seq }}, "who": {{ vendor|tojson }}, "said": {{ message.said|tojson }}, "sev": {{ incident.severity|tojson }}{% if nothing is defined %}, "x": 1{% endif %}}"#,
            "template",
        )
        .unwrap();
        let out: serde_json::Value = serde_json::from_str(&t.render(&event).unwrap()).unwrap();
        assert_eq!(
            out,
            serde_json::json!({"seq": 3, "who": "zoom", "said": "Investigating: We are seeing elevated errors on meetings.", "sev": "major"})
        );
    }

    #[test]
    fn a_syntax_error_names_the_templates_line() {
        let err = UserTemplate::compile("line one\n{{ oops(", "template")
            .err()
            .unwrap();
        assert_eq!(err.line, Some(2));
        assert!(err.message.starts_with("syntax error"), "{}", err.message);
    }
}
