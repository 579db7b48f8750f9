//! `/feeds`: the feeds' health for the operator (the `feed_health` view): which are broken,
//! since when, why, and when they are tried again. Broken ones first.

use super::layout::{self, badge, time, vendor_href, Nav};
use super::{read_failed, Page};
use crate::serve::AppState;
use crate::store::FeedHealthRow;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{html, Markup};
use std::time::Instant;

pub(super) async fn page(State(state): State<AppState>) -> Response {
    let started = Instant::now();
    match state.pool.read(|store| store.feed_health()).await {
        Ok(rows) => Page::new(started, render(rows, Utc::now())).into_response(),
        Err(error) => read_failed(started, error).into_response(),
    }
}

/// Where a health word sorts: what needs the operator first.
fn rank(health: &str) -> u8 {
    match health {
        "gone" => 0,
        "failing" => 1,
        "never fetched" => 2,
        "ok" => 3,
        _ => 4,
    }
}

fn render(mut rows: Vec<FeedHealthRow>, now: DateTime<Utc>) -> Markup {
    // The view orders by vendor and title; keep that within each health.
    rows.sort_by_key(|r| rank(&r.health));
    let broken = rows
        .iter()
        .filter(|r| matches!(r.health.as_str(), "failing" | "gone"))
        .count();
    let main = html! {
        h1 { "Feed health" }
        p.summary {
            @if rows.is_empty() { "No feeds yet." }
            @else if broken == 0 { "All " (rows.len()) " feeds fetch normally." }
            @else { (broken) " of " (rows.len()) " feeds failing." }
        }
        @if !rows.is_empty() {
            div.scroll {
                table.feeds {
                    thead {
                        tr {
                            th scope="col" { "Feed" }
                            th scope="col" { "Health" }
                            th scope="col" { "Last success" }
                            th scope="col" { "Failures" }
                            th scope="col" { "Last error" }
                            th scope="col" { "Next try" }
                        }
                    }
                    tbody {
                        @for row in &rows { (feed_row(row, now)) }
                    }
                }
            }
        }
    };
    layout::page("Feed health", Nav::Feeds, now, main)
}

fn feed_row(row: &FeedHealthRow, now: DateTime<Utc>) -> Markup {
    let look = layout::look(&row.health);
    html! {
        tr class=(look.class) {
            td {
                a href=(vendor_href(&row.vendor)) { (row.title) }
                br;
                span.url { (row.url) }
                @if let Some(to) = &row.moving_to {
                    br;
                    span.moving { "Moving to " (to) }
                }
            }
            td { (badge(&row.health)) }
            td {
                @match &row.last_success_at {
                    Some(at) => { (time(at, now)) }
                    None => { "never" }
                }
            }
            td {
                @if row.consecutive_failures > 0 {
                    (row.consecutive_failures)
                    @if let Some(since) = row.gone_since.as_ref().or(row.failing_since.as_ref()) {
                        br; "since " (time(since, now))
                    }
                } @else { "0" }
            }
            td.error {
                // The error names the HTTP status when there was one ("HTTP 503 Service Unavailable").
                @if row.consecutive_failures > 0 {
                    @if let Some(error) = &row.last_error { (error) }
                }
            }
            td {
                @if let Some(next) = &row.next_fetch_at { (time(next, now)) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(title: &str, health: &str, error: Option<&str>) -> FeedHealthRow {
        FeedHealthRow {
            id: 1,
            vendor: title.to_lowercase(),
            title: title.into(),
            url: format!("https://{title}.example/feed"),
            enabled: true,
            health: health.into(),
            last_fetch_at: Some("2025-10-20T07:00:00Z".into()),
            last_success_at: None,
            last_http_status: Some(500),
            consecutive_failures: i64::from(error.is_some()),
            failing_since: Some("2025-10-20T06:00:00Z".into()),
            gone_since: None,
            last_error: error.map(str::to_string),
            next_fetch_at: None,
            moving_to: None,
        }
    }

    #[test]
    fn failing_feeds_come_first_with_their_error() {
        let now = crate::store::parse_time_text("2025-10-20T12:00:00Z").unwrap();
        let rows = vec![
            row("Alpha", "ok", None),
            row("Beta", "failing", Some("server error <b>")),
        ];
        let html = render(rows, now).into_string();
        assert!(html.find("Beta").unwrap() < html.find("Alpha").unwrap());
        assert!(
            html.contains("<td class=\"error\">server error &lt;b&gt;</td>"),
            "{html}"
        );
        assert!(html.contains("1 of 2 feeds failing."));
    }
}
