//! What every request passes through: the token check, a bound on the query string, and the
//! headers that keep a browser from running or framing anything it should not.

use super::problem::Problem;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Longest query string read; longer ones are refused before any handler runs.
pub const MAX_QUERY_BYTES: usize = 4096;

/// The bearer token a non-loopback listener requires. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Token(Arc<[u8]>);

impl Token {
    pub fn new(secret: &str) -> Token {
        Token(secret.as_bytes().into())
    }

    /// Whether `candidate` is the token, in time that does not depend on where they differ.
    fn matches(&self, candidate: &[u8]) -> bool {
        bool::from(self.0.as_ref().ct_eq(candidate))
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(redacted)")
    }
}

/// The credential a request carries: `Authorization: Bearer TOKEN`, or HTTP Basic with the
/// token as the password (any user name), which is what a browser sends after its prompt.
fn presented(request: &Request) -> Option<Vec<u8>> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.trim().as_bytes().to_vec());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()?;
        let colon = decoded.iter().position(|&b| b == b':')?;
        return Some(decoded[colon + 1..].to_vec());
    }
    None
}

/// Refuses requests without the token (when one is set). The probes stay open.
pub async fn require_token(
    State(token): State<Option<Token>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(token) = token else {
        return next.run(request).await;
    };
    let path = request.uri().path();
    if path == "/healthz" || path == "/readyz" {
        return next.run(request).await;
    }
    match presented(&request) {
        Some(candidate) if token.matches(&candidate) => next.run(request).await,
        other => {
            let detail = if other.is_some() {
                "the token does not match: send the one in the server's --token-env variable"
            } else {
                "this server requires a token: send `Authorization: Bearer TOKEN` (a browser asks for it: any user name, the token as password)"
            };
            let mut response = Problem::new(StatusCode::UNAUTHORIZED, detail).into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"statuswatch\", charset=\"UTF-8\""),
            );
            response
        }
    }
}

/// Refuses an over-long query string (414) before it is parsed.
pub async fn bound_query(request: Request, next: Next) -> Response {
    let length = request.uri().query().map_or(0, str::len);
    if length > MAX_QUERY_BYTES {
        return Problem::new(
            StatusCode::URI_TOO_LONG,
            format!("the query string is {length} bytes; at most {MAX_QUERY_BYTES} are read"),
        )
        .into_response();
    }
    next.run(request).await
}

/// The policy every response carries: scripts, styles and images only from this server (the
/// board's own files, never inline, so text from a feed cannot become script), no framing, no
/// sniffing, no referrer sent to the vendors the board links to.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::Token;

    #[test]
    fn the_token_matches_only_itself_and_never_prints() {
        let token = Token::new("s3cret");
        assert!(token.matches(b"s3cret"));
        assert!(!token.matches(b"s3cre"));
        assert!(!token.matches(b"s3cretX"));
        assert!(!format!("{token:?}").contains("s3cret"));
    }
}
