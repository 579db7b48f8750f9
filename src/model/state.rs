//! What the events stage plans from and what it decides: a feed's service states, its open
//! incidents, and the plan the store writes in the ingest transaction.

use super::event::UpdateRef;
use super::{ComponentStatus, NewEvent, Phase, ServiceState, Status};
use serde::{Deserialize, Serialize};

/// The state of one (feed, component); component "" is the service as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateRow {
    pub component: String,
    pub state: ServiceState,
    pub since: String,
    pub incident_id: Option<i64>,
    pub updated_at: String,
}

/// An incident that is still open, as the state planner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenIncident {
    pub id: i64,
    pub title: String,
    pub link: Option<String>,
    pub status: Status,
    pub phase: Option<Phase>,
    pub components: Vec<String>,
    pub started_at: String,
    /// The vendor's time of the newest update.
    pub updated_at: String,
    /// The vendor's own severity word, where stated.
    pub severity: Option<String>,
    /// The newest update of the incident's timeline (label and text), when it has one.
    pub latest_update: Option<UpdateRef>,
    /// Closed because the vendor took it off its feed without a resolution.
    pub withdrawn: bool,
}

/// The inputs the events stage needs to plan state changes, read inside the transaction.
/// Incidents are as people see them: a person's override of an incident's status stands over
/// the vendor's word.
#[derive(Debug, Clone, Default)]
pub struct StateInputs {
    pub previous: Vec<StateRow>,
    pub open: Vec<OpenIncident>,
    /// Incidents resolved by this ingest (for the time and title of a recovery).
    pub resolved_now: Vec<OpenIncident>,
    /// States a person set by hand, per component (`''`: the whole service): they stand
    /// whatever the incidents say.
    pub overrides: Vec<(String, ServiceState)>,
    /// What the source itself says now (a status API's components, a page's word), as its
    /// latest document stated it; `None` for feeds, which say only what incidents name.
    pub reported: Option<Reported>,
}

/// What a document says beyond its entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentFacts {
    /// The source's own report of its state (status APIs, watched pages), if it gives one.
    pub reported: Option<Reported>,
    /// The document lists every open incident: one it leaves out has ended (resolved), where
    /// a feed leaving one out means the vendor withdrew it.
    pub lists_open: bool,
    /// The document was cut short by the entry cap: incidents whose entries may have been
    /// among the left-out ones are not closed for missing from it.
    pub capped: Option<super::Capped>,
}

/// A source's own statement of its state: every component now, and the whole service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reported {
    pub components: Vec<ComponentStatus>,
    pub overall: Option<ServiceState>,
}

/// What the events stage decided: states to write and events to append to the outbox.
#[derive(Debug, Clone, Default)]
pub struct StatePlan {
    pub states: Vec<StateRow>,
    pub events: Vec<NewEvent>,
}
