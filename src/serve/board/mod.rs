//! The status board: server-rendered HTML for people. `/` is every vendor's state at a glance
//! with the open correlated outages on top (`home`), `/vendors/:vendor` one vendor's incidents,
//! their update timelines and a 90-day bar (`vendor`), `/feeds` the feeds' health for the
//! operator (`feeds`). `layout` is the page shell and the pieces every page shares.
//!
//! Every page works without JavaScript. Where it runs, `assets/board.js` listens to the event
//! stream and swaps in the page's fresh `<main>` when something happens. The CSS, the script
//! and the icon are compiled in (`assets`): nothing is fetched from the internet, and the
//! Content-Security-Policy allows no inline script or style, so text from a feed, which maud
//! escapes, can never become either.

mod assets;
mod feeds;
mod home;
mod layout;
mod vendor;

use super::{AppState, PoolError};
use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::Markup;
use std::time::Instant;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::page))
        .route("/vendors/:vendor", get(vendor::page))
        .route("/feeds", get(feeds::page))
        .route("/assets/:file", get(assets::file))
        .route("/favicon.ico", get(assets::favicon))
}

/// A rendered HTML page, with how long its queries and rendering took (`Server-Timing`), so
/// a benchmark can tell the server's share of a page's time from the network's.
pub(crate) struct Page {
    status: StatusCode,
    body: Bytes,
    started: Instant,
}

impl Page {
    fn new(started: Instant, markup: Markup) -> Page {
        Page {
            status: StatusCode::OK,
            body: Bytes::from(markup.into_string()),
            started,
        }
    }

    fn with_status(mut self, status: StatusCode) -> Page {
        self.status = status;
        self
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let body = self.body;
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        // The page is the archive now: a browser may keep it but must ask again before reuse.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        with_server_timing(response, self.started)
    }
}

/// `response` with the time since `started` as `Server-Timing` (the browser's dev tools show it).
fn with_server_timing(mut response: Response, started: Instant) -> Response {
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(value) = HeaderValue::from_str(&format!("render;dur={millis:.1}")) {
        response.headers_mut().insert("server-timing", value);
    }
    response
}

/// The page for a read that failed: the board's own error page, not the API's JSON.
fn read_failed(started: Instant, error: PoolError) -> Page {
    let (status, detail) = match error {
        PoolError::Store(crate::store::StoreError::Busy(_)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The database stayed locked by a writer. Reload the page in a moment.",
        ),
        other => {
            tracing::error!(error = %other, "A board page could not be read.");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The archive could not be read; the server's log says why.",
            )
        }
    };
    let title = status.canonical_reason().unwrap_or("Error");
    Page::new(
        started,
        layout::message_page(title, detail, layout::Nav::None),
    )
    .with_status(status)
}
