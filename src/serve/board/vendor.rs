//! `/vendors/:vendor`: one vendor's state now (and its components'), a 90-day bar of the days
//! it had an unplanned incident open (Statuspage's uptime bar), and its recent incidents with
//! their update timelines. An unknown vendor is a 404 page.

use super::layout::{self, badge, duration, linked, time, Nav};
use super::{read_failed, Page};
use crate::serve::AppState;
use crate::store::{DayRow, IncidentFilter, IncidentRow, StatusRow, Store, StoreError, UpdateRow};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Days, NaiveDate, Utc};
use maud::{html, Markup};
use std::collections::HashMap;
use std::time::Instant;

/// Days the bar shows, today included.
pub(super) const BAR_DAYS: u64 = 90;
/// Incidents listed, newest first; the API pages through the rest.
const MAX_INCIDENTS: usize = 20;

struct VendorPage {
    key: String,
    rows: Vec<StatusRow>,
    incidents: Vec<(IncidentRow, Vec<UpdateRow>)>,
    days: Vec<DayRow>,
    first_day: NaiveDate,
}

/// The vendor's page data, or `None` when no enabled feed has this vendor.
fn load(store: &Store, key: String, today: NaiveDate) -> Result<Option<VendorPage>, StoreError> {
    let rows = store.vendor_status(&key)?;
    if rows.is_empty() {
        return Ok(None);
    }
    let first_day = today
        .checked_sub_days(Days::new(BAR_DAYS - 1))
        .unwrap_or(today);
    let days = store.incident_days(&key, &first_day.format("%Y-%m-%d").to_string())?;
    let listed = store.incidents(&IncidentFilter {
        vendor: Some(key.clone()),
        limit: MAX_INCIDENTS,
        ..IncidentFilter::default()
    })?;
    let mut incidents = Vec::with_capacity(listed.len());
    for incident in listed {
        let updates = store.incident_updates(incident.id)?;
        incidents.push((incident, updates));
    }
    Ok(Some(VendorPage {
        key,
        rows,
        incidents,
        days,
        first_day,
    }))
}

pub(super) async fn page(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    let started = Instant::now();
    let now = Utc::now();
    let wanted = key.clone();
    match state
        .pool
        .read(move |store| load(store, wanted, now.date_naive()))
        .await
    {
        Ok(Some(vendor)) => Page::new(started, render(&vendor, now)).into_response(),
        Ok(None) => Page::new(
            started,
            layout::message_page(
                "No such vendor",
                &format!(
                    "No enabled feed has the vendor {key:?}. The board lists every vendor; `statuswatch feeds list` shows the feeds."
                ),
                Nav::Vendor,
            ),
        )
        .with_status(StatusCode::NOT_FOUND)
        .into_response(),
        Err(error) => read_failed(started, error).into_response(),
    }
}

/// The vendor's name: its feed's title, or the key when its feeds are titled apart.
fn name(v: &VendorPage) -> &str {
    let first = v.rows[0].feed.as_str();
    if v.rows.iter().all(|r| r.feed == first) {
        first
    } else {
        &v.key
    }
}

fn render(v: &VendorPage, now: DateTime<Utc>) -> Markup {
    // The view orders the vendor's rows worst first: the first is its state.
    let worst = &v.rows[0];
    let parts: Vec<&StatusRow> = v
        .rows
        .iter()
        .filter(|r| !r.component.is_empty() || v.rows.len() > 1)
        .collect();
    let several_feeds = v.rows.iter().any(|r| r.feed != worst.feed);
    let main = html! {
        p.crumbs { a href="/" { "Board" } " › " (v.key) }
        div.vendor-head {
            h1 { (name(v)) }
            (badge(&worst.state))
        }
        @if worst.state != "operational" {
            p.now {
                @if let Some(since) = &worst.since { "Since " (time(since, now)) ". " }
                @if let Some(title) = &worst.incident { (linked(title, worst.link.as_deref())) }
            }
        }
        @if let Some(reason) = &worst.override_reason {
            p.override { "Set by hand: " (reason) }
        }
        @if !parts.is_empty() {
            section aria-labelledby="parts" {
                h2 #parts { "Components" }
                table.parts {
                    thead { tr { th scope="col" { "Component" } th scope="col" { "State" } th scope="col" { "Since" } } }
                    tbody {
                        @for row in &parts {
                            tr {
                                td {
                                    @if row.component.is_empty() { (row.feed) " (whole service)" }
                                    @else if several_feeds { (row.feed) ": " (row.component) }
                                    @else { (row.component) }
                                }
                                td { (badge(&row.state)) }
                                td { @if let Some(since) = &row.since { (time(since, now)) } }
                            }
                        }
                    }
                }
            }
        }
        (bar(&v.days, v.first_day))
        section aria-labelledby="incidents" {
            h2 #incidents { "Recent incidents" }
            @if v.incidents.is_empty() {
                p.quiet { "No incidents archived." }
            }
            @for (incident, updates) in &v.incidents {
                (incident_card(incident, updates, several_feeds, now))
            }
        }
    };
    layout::page(name(v), Nav::Vendor, now, main)
}

/// The 90-day bar: one cell per UTC day, oldest first, coloured by the worst unplanned incident
/// open that day; each cell says the same in words (its tooltip, and for screen readers).
fn bar(days: &[DayRow], first_day: NaiveDate) -> Markup {
    let by_day: HashMap<&str, &DayRow> = days.iter().map(|d| (d.day.as_str(), d)).collect();
    let cells: Vec<(NaiveDate, Option<&DayRow>)> = first_day
        .iter_days()
        .take(BAR_DAYS as usize)
        .map(|day| {
            let key = day.format("%Y-%m-%d").to_string();
            (day, by_day.get(key.as_str()).copied())
        })
        .collect();
    let marked = cells.iter().filter(|(_, d)| d.is_some()).count();
    html! {
        section.uptime aria-labelledby="days" {
            h2 #days { "Last " (BAR_DAYS) " days" }
            p.quiet {
                @if marked == 0 { "No unplanned incident in the last " (BAR_DAYS) " days." }
                @else if marked == 1 { "1 day with an unplanned incident." }
                @else { (marked) " days with an unplanned incident." }
            }
            ol.days aria-label={ "Unplanned incidents per day, last " (BAR_DAYS) " days" } {
                @for (day, row) in &cells {
                    @let label = day.format("%-d %b %Y").to_string();
                    @match row {
                        Some(d) => {
                            @let look = layout::look(&d.worst_status);
                            @let words = format!("{label}: {} {}, {}", d.incidents, if d.incidents == 1 { "incident" } else { "incidents" }, look.word.to_lowercase());
                            li class={ "day " (look.class) } data-day=(day.format("%Y-%m-%d")) title=(words) {
                                span.sr { (words) }
                            }
                        }
                        None => {
                            li.day.none data-day=(day.format("%Y-%m-%d")) title={ (label) ": no incidents" } {}
                        }
                    }
                }
            }
            p.scale aria-hidden="true" {
                span { (BAR_DAYS) " days ago" }
                span { "Today" }
            }
        }
    }
}

fn incident_card(
    incident: &IncidentRow,
    updates: &[UpdateRow],
    several_feeds: bool,
    now: DateTime<Utc>,
) -> Markup {
    let status = &incident.status;
    let look = layout::look(status);
    html! {
        article class={ "incident " (look.class) } id={ "incident-" (incident.id) } {
            h3 { (linked(&incident.title, incident.link.as_deref())) }
            p.meta {
                (badge(status))
                " Started " (time(&incident.started_at, now))
                @match &incident.resolved_at {
                    Some(end) => { ", resolved " (time(end, now)) }
                    None => { ", ongoing" }
                }
                @if let Some(minutes) = incident.duration_minutes {
                    " (" (duration(minutes)) ")"
                }
                "."
                @if !incident.components.is_empty() {
                    " Affected: " (incident.components.join(", ")) "."
                }
                @if several_feeds { " From " (incident.feed) "." }
            }
            @if let (Some(set), Some(reason)) = (&incident.override_status, &incident.override_reason) {
                p.override {
                    "Set by hand to " (set) ": " (reason) " (the vendor says " (incident.vendor_status) ")."
                }
            }
            @if !updates.is_empty() {
                ol.timeline {
                    // Newest first, as status pages show them.
                    @for update in updates.iter().rev() {
                        li {
                            p.when {
                                strong { (update.label) }
                                " "
                                (time(update.posted_at.as_deref().unwrap_or(&update.first_seen_at), now))
                            }
                            p { (update.text) }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_has_a_cell_per_day_and_marks_the_days_with_incidents() {
        let first = NaiveDate::from_ymd_opt(2025, 7, 23).unwrap();
        let days = vec![DayRow {
            day: "2025-10-20".into(),
            worst_status: "outage".into(),
            incidents: 2,
        }];
        let html = bar(&days, first).into_string();
        assert_eq!(html.matches("<li class=\"day ").count(), 90, "{html}");
        assert!(html.contains("class=\"day s-outage\" data-day=\"2025-10-20\""));
        assert!(html.contains("20 Oct 2025: 2 incidents, outage"));
        assert!(html.contains("1 day with an unplanned incident."));
    }
}
