//! `/`: every vendor's state at a glance, worst first, and the open correlated outages above
//! them. Two indexed reads: the `current_status` view (one row per feed and component) and
//! the open clusters.

use super::layout::{self, badge, linked, time, vendor_href, Nav};
use super::read_failed;
use crate::serve::AppState;
use crate::store::{ClusterRow, StatusRow, Store, StoreError};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{html, Markup};
use std::collections::HashMap;
use std::time::Instant;

/// Open correlated outages shown at most; more is a day the banner cannot summarise anyway.
const MAX_CLUSTERS: usize = 10;

struct Board {
    rows: Vec<StatusRow>,
    clusters: Vec<ClusterRow>,
}

fn load(store: &Store) -> Result<Board, StoreError> {
    Ok(Board {
        rows: store.current_status()?,
        clusters: store.clusters(None, true, MAX_CLUSTERS)?,
    })
}

pub(super) async fn page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let started = Instant::now();
    // Built once per database change (and every 15 s, for its clock), not per viewer.
    let built = state
        .snapshots
        .get(&state.snapshots.board, || async {
            let board = state.pool.read(load).await?;
            Ok::<_, crate::serve::PoolError>(render(&board, Utc::now()).into_string().into())
        })
        .await;
    match built {
        Ok(snapshot) => {
            let response = snapshot.respond(&headers, "text/html; charset=utf-8");
            super::with_server_timing(response, started)
        }
        Err(error) => read_failed(started, error).into_response(),
    }
}

/// One vendor: its rows (feeds and components), worst first, as the view orders them.
struct Vendor<'a> {
    key: &'a str,
    rows: Vec<&'a StatusRow>,
}

impl<'a> Vendor<'a> {
    /// The worst row: the vendor's state, and the incident that put it there.
    fn worst(&self) -> &'a StatusRow {
        self.rows[0]
    }

    /// The vendor's name: its feed's title, or the key when its feeds are titled apart.
    fn name(&self) -> &'a str {
        let first = self.rows[0].feed.as_str();
        if self.rows.iter().all(|r| r.feed == first) {
            first
        } else {
            self.key
        }
    }

    /// Components (and other feeds of the vendor) not operational, beyond the worst row.
    fn also(&self) -> impl Iterator<Item = &'a StatusRow> + '_ {
        self.rows[1..]
            .iter()
            .copied()
            .filter(|r| r.state != "operational" && r.state != "unknown")
    }
}

/// Groups the view's rows by vendor, keeping its order: worst state first, then by name.
fn vendors(rows: &[StatusRow]) -> Vec<Vendor<'_>> {
    let mut at: HashMap<&str, usize> = HashMap::new();
    let mut out: Vec<Vendor<'_>> = Vec::new();
    for row in rows {
        match at.get(row.vendor.as_str()) {
            Some(&i) => out[i].rows.push(row),
            None => {
                at.insert(&row.vendor, out.len());
                out.push(Vendor {
                    key: &row.vendor,
                    rows: vec![row],
                });
            }
        }
    }
    out
}

fn render(board: &Board, now: DateTime<Utc>) -> Markup {
    let vendors = vendors(&board.rows);
    let names: HashMap<&str, &str> = vendors.iter().map(|v| (v.key, v.name())).collect();
    let (calm, troubled): (Vec<&Vendor<'_>>, Vec<&Vendor<'_>>) = vendors
        .iter()
        .partition(|v| v.worst().state == "operational");
    let main = html! {
        h1 { "Status board" }
        @for cluster in &board.clusters {
            (banner(cluster, &names, now))
        }
        p.summary {
            @if vendors.is_empty() {
                "No feeds yet: add some with " code { "statuswatch feeds add" } " and poll."
            } @else if troubled.is_empty() {
                "All " (vendors.len()) " vendors operational."
            } @else {
                (troubled.len()) " of " (vendors.len()) " vendors not operational."
            }
        }
        @if !troubled.is_empty() {
            section aria-labelledby="troubled" {
                h2 #troubled { "Not operational" }
                ul.vendors.detailed {
                    @for v in &troubled { (card(v, now)) }
                }
            }
        }
        @if !calm.is_empty() {
            section aria-labelledby="calm" {
                h2 #calm { "Operational" }
                ul.vendors.compact {
                    @for v in &calm { (card(v, now)) }
                }
            }
        }
    };
    layout::page("Status board", Nav::Board, now, main)
}

/// One vendor's card: name, state, and for a vendor not operational since when, the incident
/// and what else of it is down.
fn card(v: &Vendor<'_>, now: DateTime<Utc>) -> Markup {
    let worst = v.worst();
    let look = layout::look(&worst.state);
    let quiet = worst.state == "operational";
    html! {
        li class={ "vendor " (look.class) } {
            div.head {
                a.name href=(vendor_href(v.key)) { (v.name()) }
                (badge(&worst.state))
            }
            @if !quiet {
                @if let Some(since) = &worst.since {
                    p.since { "Since " (time(since, now)) }
                }
                @if let Some(title) = &worst.incident {
                    p.incident { (linked(title, worst.link.as_deref())) }
                }
                @if let Some(reason) = &worst.override_reason {
                    p.override { "Set by hand: " (reason) }
                }
                @let also: Vec<&StatusRow> = v.also().collect();
                @if !also.is_empty() {
                    ul.components {
                        @for row in also {
                            li {
                                (if row.component.is_empty() { row.feed.as_str() } else { row.component.as_str() })
                                " " (badge(&row.state))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// An open correlated outage: since when, how many vendors, the likely cause and why.
fn banner(c: &ClusterRow, names: &HashMap<&str, &str>, now: DateTime<Utc>) -> Markup {
    let name = |key: &str| names.get(key).map_or(key.to_string(), |n| (*n).to_string());
    html! {
        section.banner aria-label="Correlated outage" {
            h2 {
                span.icon aria-hidden="true" { "▲" }
                " Correlated outage since " (time(&c.started_at, now))
            }
            p {
                (c.members.len()) " vendors left operational together."
                @if let Some(cause) = &c.suspected_cause {
                    " Likely cause: " strong {
                        (name(&cause.vendor))
                        @if let Some(region) = &cause.region { " (" (region) ")" }
                    } "."
                }
            }
            @if let Some(cause) = &c.suspected_cause {
                p.why { (cause.why) }
            }
            ul.members {
                @for m in &c.members {
                    li {
                        a href=(vendor_href(&m.vendor)) { (name(&m.vendor)) }
                        " " (badge(&m.state))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(vendor: &str, feed: &str, component: &str, state: &str) -> StatusRow {
        StatusRow {
            vendor: vendor.into(),
            feed: feed.into(),
            category: None,
            component: component.into(),
            state: state.into(),
            since: Some("2025-10-20T06:51:00Z".into()),
            incident: (state != "operational").then(|| "Errors <b>now</b>".into()),
            link: Some("javascript:alert(1)".into()),
            checked_at: None,
            override_reason: None,
        }
    }

    #[test]
    fn vendors_group_in_the_views_order_and_links_are_checked() {
        let rows = vec![
            row("huddle", "Huddle", "", "degraded"),
            row("aws", "AWS", "", "degraded"),
            row("huddle", "Huddle", "Calls", "degraded"),
            row("zoom", "Zoom", "", "operational"),
        ];
        let board = Board {
            rows,
            clusters: Vec::new(),
        };
        let now = crate::store::parse_time_text("2025-10-20T12:00:00Z").unwrap();
        let html = render(&board, now).into_string();
        let huddle = html.find("/vendors/huddle").unwrap();
        let aws = html.find("/vendors/aws").unwrap();
        let zoom = html.find("/vendors/zoom").unwrap();
        assert!(huddle < aws && aws < zoom);
        assert!(html.contains("2 of 3 vendors not operational"), "{html}");
        assert!(html.contains("Calls"));
        assert!(html.contains("Errors &lt;b&gt;now&lt;/b&gt;"));
        assert!(!html.contains("javascript:"), "{html}");
    }
}
