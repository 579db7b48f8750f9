//! Correlate stage: vendors that left operational together, more than chance explains.
//!
//! Pure: the store reads [`CorrelationInputs`] (every vendor's state, recent departures and
//! base rate, the open clusters) in one transaction; [`plan_correlation`] returns the clusters
//! to write and the `correlated_outage` events they raise, written in that same transaction.

pub mod settings;

pub use settings::CorrelationSettings;

use crate::model::cluster::{CorrelationInputs, CorrelationPlan};
use chrono::{DateTime, Utc};

/// Plans the clusters at `now`.
pub fn plan_correlation(
    _inputs: &CorrelationInputs,
    _settings: &CorrelationSettings,
    _now: DateTime<Utc>,
) -> CorrelationPlan {
    CorrelationPlan::default()
}
