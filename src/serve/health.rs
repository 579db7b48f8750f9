//! The probes: `/healthz` (the process answers) and `/readyz` (the database opens and the
//! newest fetch is recent enough for the schedule). Neither needs the token: they say nothing
//! about the archive beyond "working" and are what systemd, Docker and Kubernetes poll.

use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// What `/readyz` answers, as JSON.
#[derive(Debug, serde::Serialize)]
struct Readiness {
    ready: bool,
    /// The newest fetch of any enabled feed (RFC 3339), if there was one.
    last_fetch_at: Option<String>,
    /// How old the newest fetch may be: twice the schedule's interval.
    max_age_seconds: i64,
    reason: Option<String>,
}

async fn readyz(State(state): State<AppState>) -> Response {
    let max_age = state.ready_within;
    let newest = state.pool.read(|s| s.last_fetch_at()).await;
    let now = Utc::now();
    let (ready, last, reason) = match newest {
        Err(error) => (
            false,
            None,
            Some(format!("the database cannot be read: {error}")),
        ),
        Ok(None) => (
            false,
            None,
            Some("no feed has been fetched yet".to_string()),
        ),
        Ok(Some(text)) => match crate::store::parse_time_text(&text) {
            Some(t) => judge(t, now, max_age, text),
            None => (
                false,
                Some(text),
                Some("the newest fetch time is unreadable".into()),
            ),
        },
    };
    let body = Readiness {
        ready,
        last_fetch_at: last,
        max_age_seconds: max_age.num_seconds(),
        reason,
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

fn judge(
    newest: DateTime<Utc>,
    now: DateTime<Utc>,
    max_age: chrono::Duration,
    text: String,
) -> (bool, Option<String>, Option<String>) {
    let age = now - newest;
    if age <= max_age {
        (true, Some(text), None)
    } else {
        let reason = format!(
            "the newest fetch is {} old, more than twice the schedule's interval: is the poller (`run`, or `poll` from cron) running?",
            humantime::format_duration(std::time::Duration::from_secs(age.num_seconds().max(0) as u64))
        );
        (false, Some(text), Some(reason))
    }
}

#[cfg(test)]
mod tests {
    use super::judge;
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn ready_while_the_newest_fetch_is_within_twice_the_interval() {
        let now = Utc.with_ymd_and_hms(2025, 10, 20, 8, 0, 0).unwrap();
        let (ok, _, reason) = judge(
            now - Duration::minutes(4),
            now,
            Duration::minutes(4),
            "t".into(),
        );
        assert!(ok && reason.is_none());
        let (ok, _, reason) = judge(
            now - Duration::minutes(5),
            now,
            Duration::minutes(4),
            "t".into(),
        );
        assert!(!ok);
        assert!(reason.unwrap().contains("5m old"));
    }
}
