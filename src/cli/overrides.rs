//! `statuswatch override`: a person corrects the archive. Mark an incident's status (a vendor
//! that never closed an outage, a false alarm) or a vendor's state by hand, with a reason; the
//! override stands over what feeds say, survives `reclassify`, shows in `status`, `history` and
//! the views, and is removed by id. Setting or removing one re-plans the state and raises the
//! event that change means (someone paged for the outage hears it is over).

use super::output::{render_items, Listing};
use super::{open_store, print, Format, GlobalArgs, EXIT_OK};
use crate::model::{ServiceState, Status};
use crate::pipeline::{feed_context, state_planner};
use crate::store::{FeedRow, OverrideTarget, Store, StoreError};
use anyhow::{bail, Context};

/// Arguments of `override`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  statuswatch override incident 42 --status resolved --reason \"vendor forgot to close it\"
  statuswatch override vendor zoom --state operational --reason \"false alarm\"
  statuswatch override list
  statuswatch override remove 3")]
pub struct OverrideArgs {
    #[command(subcommand)]
    pub command: OverrideCommand,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum OverrideCommand {
    /// Mark an incident's status by hand (its id is the ID column of `history`).
    Incident {
        id: i64,
        /// outage, degraded, maintenance, resolved, or informational (not an incident at all).
        #[arg(long)]
        status: Status,
        /// Why: shown wherever the override shows.
        #[arg(long)]
        reason: String,
    },
    /// Set a vendor's state by hand, or one component's.
    Vendor {
        /// The feed's vendor, id or URL (see `feeds list`).
        vendor: String,
        /// operational, maintenance, degraded or outage.
        #[arg(long)]
        state: ServiceState,
        /// Only this component (as `status --all` names it).
        #[arg(long, default_value = "")]
        component: String,
        #[arg(long)]
        reason: String,
    },
    /// List the overrides in force.
    List {
        /// table; json: one override per line (JSON Lines); csv: a header row, then the rows.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Remove an override by its id (see `override list`): the feeds' word stands again.
    Remove { id: i64 },
}

pub fn run(global: &GlobalArgs, args: &OverrideArgs) -> anyhow::Result<i32> {
    let mut store = open_store(&global.db)?;
    let now = chrono::Utc::now();
    match &args.command {
        OverrideCommand::Incident { id, status, reason } => {
            let target = OverrideTarget::Incident {
                id: *id,
                status: *status,
            };
            let feed = feed_by_id(&store, store.override_feed(&target)?)?;
            let (oid, events) = set(&mut store, &feed, &target, reason, now)?;
            print(&format!(
                "Override {oid}: incident {id} of {} is {status} by hand ({events} events raised).\n",
                feed.spec.vendor
            ))?;
        }
        OverrideCommand::Vendor {
            vendor,
            state,
            component,
            reason,
        } => {
            if *state == ServiceState::Informational {
                bail!("a vendor's state by hand is operational, maintenance, degraded or outage");
            }
            let feed = find_vendor(&store, vendor)?;
            let target = OverrideTarget::State {
                feed_id: feed.id,
                component: component.clone(),
                state: *state,
            };
            let (oid, events) = set(&mut store, &feed, &target, reason, now)?;
            let what = if component.is_empty() {
                feed.spec.vendor.clone()
            } else {
                format!("{} / {component}", feed.spec.vendor)
            };
            print(&format!(
                "Override {oid}: {what} is {state} by hand ({events} events raised).\n"
            ))?;
        }
        OverrideCommand::List { format } => {
            let rows = store.overrides()?;
            let headers = ["ID", "VENDOR", "TARGET", "STATUS", "SINCE", "REASON"];
            let footer = format!("({} overrides)\n", rows.len());
            let listing = Listing::new(&headers, 60).footer(&footer);
            let text = render_items(*format, &listing, &rows, |o| {
                vec![
                    o.id.to_string(),
                    o.vendor.clone(),
                    match (o.incident_id, &o.incident) {
                        (Some(id), Some(title)) => format!("incident {id}: {title}"),
                        (Some(id), None) => format!("incident {id}"),
                        (None, _) if o.component.is_empty() => "(all)".into(),
                        (None, _) => o.component.clone(),
                    },
                    o.status.clone(),
                    o.created_at.clone(),
                    o.reason.clone(),
                ]
            })?;
            print(&text)?;
        }
        OverrideCommand::Remove { id } => {
            let row = store.override_row(*id)?;
            let feed = feed_by_id(&store, row.feed_id)?;
            let events = store.remove_override(*id, state_planner(&feed_context(&feed), now))?;
            print(&format!(
                "Removed override {id} of {} ({events} events raised).\n",
                feed.spec.vendor
            ))?;
        }
    }
    Ok(EXIT_OK)
}

/// Sets one override and re-plans the feed's state; returns the override's id and the events
/// the change raised.
fn set(
    store: &mut Store,
    feed: &FeedRow,
    target: &OverrideTarget,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<(i64, usize)> {
    let context = feed_context(feed);
    Ok(store.set_override(target, checked(reason)?, now, state_planner(&context, now))?)
}

fn checked(reason: &str) -> anyhow::Result<&str> {
    let reason = reason.trim();
    if reason.is_empty() {
        bail!("--reason is empty: say why, so whoever reads the archive later knows");
    }
    Ok(reason)
}

fn feed_by_id(store: &Store, id: i64) -> anyhow::Result<FeedRow> {
    Ok(store.find_feed(&id.to_string())?)
}

/// A feed by id or URL, else by vendor name (which must name one feed).
fn find_vendor(store: &Store, which: &str) -> anyhow::Result<FeedRow> {
    match store.find_feed(which) {
        Ok(feed) => return Ok(feed),
        Err(StoreError::NoSuchFeed(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let matching: Vec<FeedRow> = store
        .list_feeds()?
        .into_iter()
        .filter(|f| f.spec.vendor.eq_ignore_ascii_case(which.trim()))
        .collect();
    match matching.len() {
        1 => Ok(matching.into_iter().next().context("one feed")?),
        0 => bail!("no feed has vendor, id or URL {which:?}: see `statuswatch feeds list`"),
        n => bail!(
            "vendor {which:?} has {n} feeds ({}): name one by id or URL",
            matching
                .iter()
                .map(|f| f.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
