//! The JSON API under `/api/v1` (read-only): status, vendors, incidents, outages, feed health,
//! the events outbox (long-poll and Server-Sent Events) and its own OpenAPI document, which
//! utoipa generates from the handlers and types below, so it cannot drift from them.
//!
//! Every query parameter is read here as text and checked by hand: a bad one answers 400
//! problem+json naming the parameter and what it accepts, and an unknown one is refused the
//! same way (a typo such as `vender=` would otherwise silently list everything).

use super::problem::Problem;
use super::AppState;
use crate::model::StoredEvent;
use crate::store::{
    ClusterMemberRow, ClusterRow, DayRow, FeedHealthRow, IncidentFilter, IncidentRow, OutageFilter,
    OutageRow, RevisionRow, StatusRow, UpdateRow,
};
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::{Json, Router};
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;
use utoipa::OpenApi;

/// Rows on a page when `limit` is not given, and the most a client may ask for.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;
/// The longest `wait` a long poll may ask for: within the server's 45 s answer timeout.
const MAX_WAIT: Duration = Duration::from_secs(30);
/// How often a long poll looks at the outbox again (another process writes it).
const LONG_POLL_EVERY: Duration = Duration::from_millis(250);
/// How often an idle event stream looks at the outbox.
const STREAM_EVERY: Duration = Duration::from_millis(500);
/// How far back a vendor's page lists incidents and days, and how many incidents at most.
const VENDOR_DAYS: i64 = 90;
const VENDOR_INCIDENTS: usize = 100;
/// Open correlated outages listed on `status`.
const STATUS_CLUSTERS: usize = 20;
const STATUSES: &[&str] = &[
    "outage",
    "degraded",
    "maintenance",
    "informational",
    "resolved",
];

/// Every route under `/api/v1`, in axum's path syntax; the test below holds the OpenAPI
/// document to exactly these.
fn api_routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/status", get(status)),
        ("/vendors/:vendor", get(vendor)),
        ("/incidents", get(incidents)),
        ("/incidents/:id", get(incident)),
        ("/outages", get(outages)),
        ("/feeds", get(feeds)),
        ("/events", get(events)),
        ("/events/stream", get(events_stream)),
        ("/openapi.json", get(openapi_json)),
    ]
}

pub fn routes() -> Router<AppState> {
    api_routes()
        .into_iter()
        .fold(Router::new(), |router, (path, route)| {
            router.route(path, route)
        })
}

/// The OpenAPI 3.1 document of this API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "statuswatch API",
        description = "Read-only JSON over statuswatch's archive of vendor status feeds. Errors are RFC 9457 problem details (application/problem+json)."
    ),
    paths(
        status,
        vendor,
        incidents,
        incident,
        outages,
        feeds,
        events,
        events_stream,
        openapi_json
    ),
    components(schemas(
        Problem,
        StatusResponse,
        StatusRow,
        ClusterRow,
        ClusterMemberRow,
        crate::model::cluster::SuspectedCause,
        VendorResponse,
        DayRow,
        IncidentRow,
        IncidentPage,
        IncidentDetail,
        UpdateRow,
        RevisionRow,
        OutageRow,
        OutagePage,
        FeedsResponse,
        FeedHealthRow,
        EventsPage,
        ApiEvent
    ))
)]
pub struct ApiDoc;

/// The document as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

// ---- Reading parameters -------------------------------------------------------------------

/// `Query<T>` whose refusal (an unknown or repeated parameter) is a problem+json 400.
pub struct ApiQuery<T>(pub T);

#[axum::async_trait]
impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(query_problem(&rejection)),
        }
    }
}

fn query_problem(rejection: &QueryRejection) -> Problem {
    let text = rejection.body_text();
    // axum prefixes serde's message ("unknown field `x`, expected one of ...").
    let reason = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(&text);
    Problem::bad_request(format!("cannot read the query string: {reason}"))
}

fn limit_param(value: Option<&str>) -> Result<usize, Problem> {
    let Some(text) = value else {
        return Ok(DEFAULT_LIMIT);
    };
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(Problem::bad_request(format!(
            "limit={text:?}: give a whole number from 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})"
        ))),
    }
}

fn bool_param(name: &str, value: Option<&str>) -> Result<Option<bool>, Problem> {
    match value.map(str::trim) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(Problem::bad_request(format!(
            "{name}={other:?}: give true or false"
        ))),
    }
}

fn status_param(value: Option<&str>) -> Result<Option<String>, Problem> {
    match value.map(str::trim) {
        None => Ok(None),
        Some(s) if STATUSES.contains(&s) => Ok(Some(s.to_string())),
        Some(other) => Err(Problem::bad_request(format!(
            "status={other:?}: give one of {}",
            STATUSES.join(", ")
        ))),
    }
}

fn vendor_param(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Which end of a day a bare date stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayEnd {
    /// `since=2025-10-20`: from that day's first moment.
    Start,
    /// `until=2025-10-20`: up to the end of that day (the next day's first moment, excluded).
    End,
}

/// Reads a time parameter: an RFC 3339 time, a date (UTC), or an age such as `7d` (that long
/// before now). Returns the stored-time text.
pub fn time_param(
    name: &str,
    value: &str,
    end: DayEnd,
    now: DateTime<Utc>,
) -> Result<String, Problem> {
    let v = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(crate::store::time_text(t.with_timezone(&Utc)));
    }
    let refuse = || {
        Problem::bad_request(format!(
            "{name}={value:?}: give an RFC 3339 time (2025-10-20T07:00:00Z), a date (2025-10-20, UTC) or an age such as 90m, 7d or 2w"
        ))
    };
    if let Ok(day) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        let day = match end {
            DayEnd::Start => Some(day),
            DayEnd::End => day.succ_opt(),
        };
        return day
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| crate::store::time_text(t.and_utc()))
            .ok_or_else(refuse);
    }
    let age = crate::duration::parse_duration(v).map_err(|_| refuse())?;
    chrono::Duration::from_std(age)
        .ok()
        .and_then(|age| now.checked_sub_signed(age))
        .map(crate::store::time_text)
        .ok_or_else(refuse)
}

fn optional_time(
    name: &str,
    value: Option<&str>,
    end: DayEnd,
    now: DateTime<Utc>,
) -> Result<Option<String>, Problem> {
    value.map(|v| time_param(name, v, end, now)).transpose()
}

/// A page's position: the last row's (started_at, id), opaque to clients.
fn encode_cursor(started_at: &str, id: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{started_at}|{id}"))
}

fn decode_cursor(value: Option<&str>) -> Result<Option<(String, i64)>, Problem> {
    let Some(text) = value else {
        return Ok(None);
    };
    let refuse = || {
        Problem::bad_request(format!(
            "cursor={text:?} is not a cursor this server gave: pass a page's next_cursor as it is, or leave cursor out for the first page"
        ))
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim())
        .map_err(|_| refuse())?;
    let plain = String::from_utf8(bytes).map_err(|_| refuse())?;
    let (started_at, id) = plain.rsplit_once('|').ok_or_else(refuse)?;
    let id: i64 = id.parse().map_err(|_| refuse())?;
    if crate::store::parse_time_text(started_at).is_none() {
        return Err(refuse());
    }
    Ok(Some((started_at.to_string(), id)))
}

fn id_param(name: &str, text: &str) -> Result<i64, Problem> {
    text.trim().parse::<i64>().map_err(|_| {
        Problem::bad_request(format!(
            "{name} {text:?} is not a number: incident ids are whole numbers (the id field of /api/v1/incidents)"
        ))
    })
}

fn seq_param(name: &str, value: &str) -> Result<i64, Problem> {
    match value.trim().parse::<i64>() {
        Ok(n) if n >= 0 => Ok(n),
        _ => Err(Problem::bad_request(format!(
            "{name}={value:?}: give an outbox sequence number (a whole number, 0 or more: the seq of the last event you have)"
        ))),
    }
}

fn wait_param(value: Option<&str>) -> Result<Option<Duration>, Problem> {
    let Some(text) = value else {
        return Ok(None);
    };
    let refuse = |why: &str| {
        Problem::bad_request(format!(
            "wait={text:?}: {why}; give a duration of at most {} s, such as 10s or 30s",
            MAX_WAIT.as_secs()
        ))
    };
    match crate::duration::parse_duration(text) {
        Ok(d) if d <= MAX_WAIT => Ok(Some(d)),
        Ok(_) => Err(refuse("longer than the server waits")),
        Err(e) => Err(refuse(&e.reason)),
    }
}

// ---- Response types -----------------------------------------------------------------------

/// `GET /api/v1/status`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct StatusResponse {
    /// When this answer was made (UTC).
    pub generated_at: String,
    /// One row per vendor source and component (`component` "" is the service as a whole),
    /// worst first: the `current_status` view.
    pub status: Vec<StatusRow>,
    /// Open correlated outages: vendors that left operational together, newest first.
    pub correlated_outages: Vec<ClusterRow>,
}

/// `GET /api/v1/vendors/{vendor}`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct VendorResponse {
    pub vendor: String,
    /// The worst state among its rows.
    pub state: String,
    /// Its rows of the `current_status` view, worst first.
    pub status: Vec<StatusRow>,
    /// Its incidents still open, newest first.
    pub open_incidents: Vec<IncidentRow>,
    /// Its incidents started in the last 90 days, newest first (at most 100).
    pub recent_incidents: Vec<IncidentRow>,
    /// The UTC days of the last 90 on which an outage or degradation was open.
    pub days: Vec<DayRow>,
}

/// A page of incidents, newest first.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct IncidentPage {
    pub incidents: Vec<IncidentRow>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// `GET /api/v1/incidents/{id}`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct IncidentDetail {
    pub incident: IncidentRow,
    /// The vendor's updates in its entries, oldest first.
    pub updates: Vec<UpdateRow>,
    /// Every stored version of its entries, oldest first.
    pub revisions: Vec<RevisionRow>,
}

/// A page of outages, newest first.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct OutagePage {
    pub outages: Vec<OutageRow>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// `GET /api/v1/feeds`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FeedsResponse {
    /// The `feed_health` view, by vendor and title.
    pub feeds: Vec<FeedHealthRow>,
}

/// One outbox event, exactly as `statuswatch events --format json` prints it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ApiEvent {
    /// The outbox order; pass the last one seen as `after` (or `Last-Event-ID`).
    pub seq: i64,
    /// UUIDv7, the idempotency key webhooks send as webhook-id.
    pub id: String,
    /// state_change, feed_failing, feed_recovered, network_down, correlated_outage...
    pub kind: String,
    pub occurred_at: String,
    pub detected_at: String,
    pub vendor: Option<String>,
    pub component: Option<String>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub title: String,
    pub link: Option<String>,
    /// The self-contained payload as stored (docs/webhooks.md).
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

impl ApiEvent {
    fn from_stored(event: &StoredEvent) -> Result<ApiEvent, serde_json::Error> {
        // Through the same line `events --format json` prints, so the two cannot differ.
        serde_json::from_str(&event.json_line()?)
    }
}

/// `GET /api/v1/events`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct EventsPage {
    /// Events after `after`, oldest first.
    pub events: Vec<ApiEvent>,
    /// The `after` for the next request: the last event's seq, or the `after` given.
    pub next_after: i64,
}

fn api_events(events: &[StoredEvent]) -> Result<Vec<ApiEvent>, Problem> {
    events
        .iter()
        .map(ApiEvent::from_stored)
        .collect::<Result<_, _>>()
        .map_err(|e| Problem::internal(&e))
}

// ---- Handlers -----------------------------------------------------------------------------

/// Query parameters of `status`, `feeds` and `openapi.json`: none.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// Every vendor's state and components, worst first, and the open correlated outages.
#[utoipa::path(
    get,
    path = "/api/v1/status",
    responses(
        (status = 200, description = "Every vendor's state", body = StatusResponse),
        (status = 400, description = "A query parameter was given", body = Problem, content_type = "application/problem+json")
    )
)]
async fn status(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiQuery(NoParams {}): ApiQuery<NoParams>,
) -> Result<Response, Problem> {
    // Every client asks for this at once on a bad morning: built once per database change.
    let snapshot = state
        .snapshots
        .get(&state.snapshots.status, || async {
            let (rows, clusters) = state
                .pool
                .read(|s| {
                    Ok((
                        s.current_status()?,
                        s.clusters(None, true, STATUS_CLUSTERS)?,
                    ))
                })
                .await?;
            let response = StatusResponse {
                generated_at: crate::store::time_text(Utc::now()),
                status: rows,
                correlated_outages: clusters,
            };
            serde_json::to_vec(&response)
                .map(axum::body::Bytes::from)
                .map_err(|e| Problem::internal(&e))
        })
        .await?;
    Ok(snapshot.respond(&headers, "application/json"))
}

/// The worst of a vendor's states, by the `current_status` view's order.
fn worst_state(rows: &[StatusRow]) -> String {
    let rank = |s: &str| match s {
        "outage" => 5,
        "degraded" => 4,
        "maintenance" => 3,
        "informational" => 2,
        "unknown" => 1,
        _ => 0,
    };
    rows.iter()
        .map(|r| r.state.as_str())
        .max_by_key(|s| rank(s))
        .unwrap_or("unknown")
        .to_string()
}

/// One vendor: its state and components, open and recent incidents, and its outage days.
#[utoipa::path(
    get,
    path = "/api/v1/vendors/{vendor}",
    params(("vendor" = String, Path, description = "The vendor key, as in the vendor field of /api/v1/status")),
    responses(
        (status = 200, description = "The vendor", body = VendorResponse),
        (status = 400, description = "A query parameter was given", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No enabled feed has this vendor", body = Problem, content_type = "application/problem+json")
    )
)]
async fn vendor(
    State(state): State<AppState>,
    Path(vendor): Path<String>,
    ApiQuery(NoParams {}): ApiQuery<NoParams>,
) -> Result<Json<VendorResponse>, Problem> {
    let now = Utc::now();
    let since = crate::store::time_text(now - chrono::Duration::days(VENDOR_DAYS));
    let since_day = (now - chrono::Duration::days(VENDOR_DAYS - 1))
        .format("%Y-%m-%d")
        .to_string();
    let key = vendor.clone();
    let read = state
        .pool
        .read(move |s| {
            let rows = s.vendor_status(&key)?;
            if rows.is_empty() {
                return Ok(None);
            }
            let open = s.incidents(&IncidentFilter {
                vendor: Some(key.clone()),
                ongoing: Some(true),
                limit: VENDOR_INCIDENTS,
                ..IncidentFilter::default()
            })?;
            let recent = s.incidents(&IncidentFilter {
                vendor: Some(key.clone()),
                since: Some(since),
                limit: VENDOR_INCIDENTS,
                ..IncidentFilter::default()
            })?;
            let days = s.incident_days(&key, &since_day)?;
            Ok(Some((rows, open, recent, days)))
        })
        .await?;
    let Some((rows, open, recent, days)) = read else {
        return Err(Problem::not_found(format!(
            "no enabled feed has vendor {vendor:?}: the vendor field of /api/v1/status lists them"
        )));
    };
    Ok(Json(VendorResponse {
        vendor,
        state: worst_state(&rows),
        status: rows,
        open_incidents: open,
        recent_incidents: recent,
        days,
    }))
}

/// Query parameters of `incidents`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IncidentParams {
    /// Only this vendor's incidents.
    vendor: Option<String>,
    /// Only incidents whose status (after a person's override; the `status` field) is this:
    /// outage, degraded, maintenance, informational or resolved.
    #[param(value_type = Option<String>, pattern = "^(outage|degraded|maintenance|informational|resolved)$")]
    status: Option<String>,
    /// Started at or after this: an RFC 3339 time, a date (UTC), or an age such as 7d.
    since: Option<String>,
    /// Started before this (a date: before the end of that day).
    until: Option<String>,
    /// true: only open ones; false: only resolved ones (after a person's override).
    #[param(value_type = Option<bool>)]
    ongoing: Option<String>,
    /// At most this many (1 to 500, default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// The previous page's `next_cursor`.
    cursor: Option<String>,
}

/// Incidents newest first by (started_at, id), one page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/incidents",
    params(IncidentParams),
    responses(
        (status = 200, description = "A page of incidents", body = IncidentPage),
        (status = 400, description = "A parameter cannot be read", body = Problem, content_type = "application/problem+json")
    )
)]
async fn incidents(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<IncidentParams>,
) -> Result<Json<IncidentPage>, Problem> {
    let now = Utc::now();
    let limit = limit_param(p.limit.as_deref())?;
    let filter = IncidentFilter {
        vendor: vendor_param(p.vendor.as_deref()),
        status: status_param(p.status.as_deref())?,
        since: optional_time("since", p.since.as_deref(), DayEnd::Start, now)?,
        until: optional_time("until", p.until.as_deref(), DayEnd::End, now)?,
        ongoing: bool_param("ongoing", p.ongoing.as_deref())?,
        before: decode_cursor(p.cursor.as_deref())?,
        // One more than the page tells whether another page follows.
        limit: limit + 1,
    };
    let mut rows = state.pool.read(move |s| s.incidents(&filter)).await?;
    let next_cursor = next_cursor(&mut rows, limit, |r| (r.started_at.as_str(), r.id));
    Ok(Json(IncidentPage {
        incidents: rows,
        next_cursor,
    }))
}

/// Cuts the extra row off and names the page's end, when there is a next page.
fn next_cursor<T>(
    rows: &mut Vec<T>,
    limit: usize,
    key: impl Fn(&T) -> (&str, i64),
) -> Option<String> {
    if rows.len() <= limit {
        return None;
    }
    rows.truncate(limit);
    rows.last().map(|r| {
        let (started_at, id) = key(r);
        encode_cursor(started_at, id)
    })
}

/// One incident with its update timeline and its entries' revisions.
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}",
    params(("id" = i64, Path, description = "The incident's id")),
    responses(
        (status = 200, description = "The incident", body = IncidentDetail),
        (status = 400, description = "The id is not a number, or a query parameter was given", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No incident has this id", body = Problem, content_type = "application/problem+json")
    )
)]
async fn incident(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(NoParams {}): ApiQuery<NoParams>,
) -> Result<Json<IncidentDetail>, Problem> {
    let id = id_param("incident id", &id)?;
    let read = state
        .pool
        .read(move |s| {
            let Some(incident) = s.incident(id)? else {
                return Ok(None);
            };
            Ok(Some((
                incident,
                s.incident_updates(id)?,
                s.incident_revisions(id)?,
            )))
        })
        .await?;
    let Some((incident, updates, revisions)) = read else {
        return Err(Problem::not_found(format!(
            "no incident has id {id}: see the id field of /api/v1/incidents"
        )));
    };
    Ok(Json(IncidentDetail {
        incident,
        updates,
        revisions,
    }))
}

/// Query parameters of `outages`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutageParams {
    /// Only this vendor's outages.
    vendor: Option<String>,
    /// Started at or after this: an RFC 3339 time, a date (UTC), or an age such as 7d.
    since: Option<String>,
    /// Started before this (a date: before the end of that day).
    until: Option<String>,
    /// true: only ongoing ones; false: only ended ones.
    #[param(value_type = Option<bool>)]
    ongoing: Option<String>,
    /// At most this many (1 to 500, default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// The previous page's `next_cursor`.
    cursor: Option<String>,
}

/// Unplanned incidents (the `outages` view) newest first, one page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/outages",
    params(OutageParams),
    responses(
        (status = 200, description = "A page of outages", body = OutagePage),
        (status = 400, description = "A parameter cannot be read", body = Problem, content_type = "application/problem+json")
    )
)]
async fn outages(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<OutageParams>,
) -> Result<Json<OutagePage>, Problem> {
    let now = Utc::now();
    let limit = limit_param(p.limit.as_deref())?;
    let filter = OutageFilter {
        vendor: vendor_param(p.vendor.as_deref()),
        since: optional_time("since", p.since.as_deref(), DayEnd::Start, now)?,
        until: optional_time("until", p.until.as_deref(), DayEnd::End, now)?,
        ongoing: bool_param("ongoing", p.ongoing.as_deref())?,
        before: decode_cursor(p.cursor.as_deref())?,
        limit: limit + 1,
    };
    let mut rows = state.pool.read(move |s| s.outages(&filter)).await?;
    let next_cursor = next_cursor(&mut rows, limit, |r| (r.started_at.as_str(), r.incident_id));
    Ok(Json(OutagePage {
        outages: rows,
        next_cursor,
    }))
}

/// Every feed's health: the `feed_health` view.
#[utoipa::path(
    get,
    path = "/api/v1/feeds",
    responses(
        (status = 200, description = "Feed health", body = FeedsResponse),
        (status = 400, description = "A query parameter was given", body = Problem, content_type = "application/problem+json")
    )
)]
async fn feeds(
    State(state): State<AppState>,
    ApiQuery(NoParams {}): ApiQuery<NoParams>,
) -> Result<Json<FeedsResponse>, Problem> {
    let feeds = state.pool.read(|s| s.feed_health()).await?;
    Ok(Json(FeedsResponse { feeds }))
}

/// Query parameters of `events`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsParams {
    /// Only events after this outbox sequence number (default 0: from the first).
    #[param(value_type = Option<i64>, minimum = 0)]
    after: Option<String>,
    /// Only this vendor's events.
    vendor: Option<String>,
    /// At most this many (1 to 500, default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// Long poll: when no event is after `after`, wait up to this long (at most 30s) for one.
    #[param(value_type = Option<String>, example = "30s")]
    wait: Option<String>,
}

/// The events outbox after a sequence number, oldest first; with `wait`, a long poll.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    params(EventsParams),
    responses(
        (status = 200, description = "Events after `after` (empty when `wait` ran out)", body = EventsPage),
        (status = 400, description = "A parameter cannot be read", body = Problem, content_type = "application/problem+json")
    )
)]
async fn events(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<EventsParams>,
) -> Result<Json<EventsPage>, Problem> {
    let after = p
        .after
        .as_deref()
        .map(|v| seq_param("after", v))
        .transpose()?
        .unwrap_or(0);
    let limit = limit_param(p.limit.as_deref())?;
    let wait = wait_param(p.wait.as_deref())?;
    let vendor = vendor_param(p.vendor.as_deref());
    let deadline = tokio::time::Instant::now() + wait.unwrap_or_default();
    loop {
        let vendor = vendor.clone();
        let found = state
            .pool
            .read(move |s| s.events_after(after, None, vendor.as_deref(), limit))
            .await?;
        // The connection is back in the pool before waiting: a waiting client holds none.
        if !found.is_empty() || tokio::time::Instant::now() >= deadline {
            let next_after = found.last().map_or(after, |e| e.seq);
            return Ok(Json(EventsPage {
                events: api_events(&found)?,
                next_after,
            }));
        }
        let left = deadline - tokio::time::Instant::now();
        tokio::time::sleep(left.min(LONG_POLL_EVERY)).await;
    }
}

/// Query parameters of `events/stream`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamParams {
    /// Start after this sequence number (the `Last-Event-ID` header wins when both are
    /// given); without either, only events from now on.
    #[param(value_type = Option<i64>, minimum = 0)]
    after: Option<String>,
    /// Only this vendor's events.
    vendor: Option<String>,
}

/// The events outbox as Server-Sent Events: `id` is the seq, `event` the kind, `data` the
/// event's JSON (as `events` lists it). A reconnecting client's `Last-Event-ID` resumes after
/// the last one it got.
#[utoipa::path(
    get,
    path = "/api/v1/events/stream",
    params(
        StreamParams,
        ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this seq (browsers send it when they reconnect)")
    ),
    responses(
        (status = 200, description = "An endless text/event-stream; each event's data is an ApiEvent", content_type = "text/event-stream", body = String),
        (status = 400, description = "A parameter cannot be read", body = Problem, content_type = "application/problem+json")
    )
)]
async fn events_stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<StreamParams>,
) -> Result<Response, Problem> {
    let resume = match headers.get("last-event-id") {
        Some(value) => {
            let text = value.to_str().map_err(|_| {
                Problem::bad_request(
                    "the Last-Event-ID header is not text: give the seq of the last event received",
                )
            })?;
            Some(seq_param("Last-Event-ID", text)?)
        }
        None => p
            .after
            .as_deref()
            .map(|v| seq_param("after", v))
            .transpose()?,
    };
    let after = match resume {
        Some(seq) => seq,
        None => state.pool.read(|s| s.last_event_seq()).await?,
    };
    let vendor = vendor_param(p.vendor.as_deref());
    let stream = futures::stream::unfold(
        (state, after, VecDeque::<Event>::new(), vendor),
        |(state, mut after, mut ready, vendor)| async move {
            loop {
                if let Some(event) = ready.pop_front() {
                    return Some((
                        Ok::<Event, Infallible>(event),
                        (state, after, ready, vendor),
                    ));
                }
                let key = vendor.clone();
                match state
                    .pool
                    .read(move |s| s.events_after(after, None, key.as_deref(), 100))
                    .await
                {
                    Ok(found) if !found.is_empty() => {
                        for stored in &found {
                            after = stored.seq;
                            match sse_event(stored) {
                                Ok(event) => ready.push_back(event),
                                Err(error) => {
                                    tracing::warn!(%error, seq = stored.seq, "Cannot send an event.")
                                }
                            }
                        }
                        continue;
                    }
                    Ok(_) => {}
                    // A locked or briefly unreadable database: try again at the next tick.
                    Err(error) => {
                        tracing::warn!(%error, "The event stream cannot read the outbox.")
                    }
                }
                tokio::time::sleep(STREAM_EVERY).await;
            }
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

fn sse_event(stored: &StoredEvent) -> Result<Event, serde_json::Error> {
    let line = stored.json_line()?;
    Ok(Event::default()
        .id(stored.seq.to_string())
        .event(stored.kind_name())
        .data(line))
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of this API", body = Object),
        (status = 400, description = "A query parameter was given", body = Problem, content_type = "application/problem+json")
    )
)]
async fn openapi_json(ApiQuery(NoParams {}): ApiQuery<NoParams>) -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 10, 20, 8, 0, 0).unwrap()
    }

    #[test]
    fn time_parameters_take_times_dates_and_ages() {
        let t = |v: &str, end| time_param("since", v, end, now());
        assert_eq!(
            t("2025-10-20T09:00:00+02:00", DayEnd::Start).unwrap(),
            "2025-10-20T07:00:00Z"
        );
        assert_eq!(
            t("2025-10-20", DayEnd::Start).unwrap(),
            "2025-10-20T00:00:00Z"
        );
        assert_eq!(
            t("2025-10-20", DayEnd::End).unwrap(),
            "2025-10-21T00:00:00Z"
        );
        assert_eq!(t("2h", DayEnd::Start).unwrap(), "2025-10-20T06:00:00Z");
        let bad = t("yesterday", DayEnd::Start).unwrap_err();
        assert_eq!(bad.status, 400);
        assert!(
            bad.detail.starts_with("since=\"yesterday\""),
            "{}",
            bad.detail
        );
    }

    #[test]
    fn cursors_read_back_and_anything_else_is_refused() {
        let c = encode_cursor("2025-10-20T07:00:00Z", 42);
        assert_eq!(
            decode_cursor(Some(&c)).unwrap(),
            Some(("2025-10-20T07:00:00Z".to_string(), 42))
        );
        for bad in ["", "!!", "bm90IGEgY3Vyc29y", &encode_cursor("soon", 1)] {
            let e = decode_cursor(Some(bad)).unwrap_err();
            assert!(e.detail.starts_with("cursor="), "{}", e.detail);
        }
    }

    #[test]
    fn limits_waits_and_sequence_numbers_are_bounded() {
        assert_eq!(limit_param(None).unwrap(), 50);
        assert_eq!(limit_param(Some("500")).unwrap(), 500);
        for bad in ["0", "501", "-1", "ten"] {
            assert!(limit_param(Some(bad))
                .unwrap_err()
                .detail
                .starts_with("limit="));
        }
        assert_eq!(
            wait_param(Some("30s")).unwrap(),
            Some(Duration::from_secs(30))
        );
        assert!(wait_param(Some("31s"))
            .unwrap_err()
            .detail
            .contains("at most 30 s"));
        assert!(seq_param("after", "x")
            .unwrap_err()
            .detail
            .starts_with("after="));
        assert!(status_param(Some("down"))
            .unwrap_err()
            .detail
            .contains("outage, degraded"));
    }

    #[test]
    fn the_document_lists_every_route_and_nothing_else() {
        let doc = serde_json::to_value(openapi()).unwrap();
        let mut documented: Vec<String> =
            doc["paths"].as_object().unwrap().keys().cloned().collect();
        let mut served: Vec<String> = api_routes()
            .iter()
            .map(|(path, _)| {
                let segments: Vec<String> = path
                    .split('/')
                    .map(|s| match s.strip_prefix(':') {
                        Some(name) => format!("{{{name}}}"),
                        None => s.to_string(),
                    })
                    .collect();
                format!("/api/v1{}", segments.join("/"))
            })
            .collect();
        documented.sort();
        served.sort();
        assert_eq!(documented, served);
        for (path, item) in doc["paths"].as_object().unwrap() {
            let responses = &item["get"]["responses"];
            assert!(responses["200"].is_object(), "{path}: no 200");
            assert_eq!(
                responses["400"]["content"]["application/problem+json"]["schema"]["$ref"],
                "#/components/schemas/Problem",
                "{path}: no problem answer"
            );
        }
    }
}
