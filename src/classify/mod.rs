//! Classify stage: [`Entry`] → [`Classification`] by named regex rules (data, not code).
//!
//! Classification does no I/O. (Interface stub: filled in by the classify work.)

use crate::model::{Classification, Engine, Entry, Status};

/// Why a rules file was rejected.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

/// A compiled rule set.
#[derive(Debug, Clone, Default)]
pub struct Rules {}

impl Rules {
    /// The rules embedded in the binary.
    pub fn embedded() -> Rules {
        Rules {}
    }

    /// Adds or overrides rules by name from a TOML document; `origin` names it in errors.
    pub fn with_overrides(self, _toml: &str, _origin: &str) -> Result<Rules, RulesError> {
        Ok(self)
    }

    /// Classifies one entry of a feed of the given engine.
    pub fn classify(&self, _engine: Engine, _entry: &Entry) -> Classification {
        Classification {
            status: Status::Informational,
            phase: None,
            rule: "stub".into(),
        }
    }
}
