//! Errors as RFC 9457 problem details (`application/problem+json`): a status, a short title,
//! and a detail that says what was wrong and what to do.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// One problem-details document.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status's reason phrase.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What was wrong with this request, and what to do.
    pub detail: String,
}

impl Problem {
    /// A problem whose type is the status itself.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail: detail.into(),
        }
    }

    /// 400: a parameter the handler cannot read.
    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, detail)
    }

    /// 404: nothing at this path.
    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, detail)
    }

    /// 500: the database could not answer; the log has the cause, the client a summary.
    pub fn internal(error: &dyn std::fmt::Display) -> Problem {
        tracing::error!(%error, "A request failed.");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the archive could not be read; the server's log says why",
        )
    }
}

impl From<super::PoolError> for Problem {
    fn from(e: super::PoolError) -> Problem {
        match e {
            super::PoolError::Store(crate::store::StoreError::Busy(_)) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database stayed locked by a writer; try again",
            ),
            other => Problem::internal(&other),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(&self)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}
