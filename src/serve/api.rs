//! The JSON API under `/api/v1` (read-only).

use super::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
}
