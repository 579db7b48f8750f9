//! One HTTP attempt: the webhook's body in its format, signed, POSTed with a timeout, and its
//! answer read into an [`AttemptResult`]. Errors are text without the URL (it may hold a token);
//! redirects are not followed (a redirect is not an acceptance).

use super::{format, sign, DeliverError, DeliveryPolicy, Webhook};
use crate::model::StoredEvent;
use chrono::Utc;
use serde::Serialize;
use std::time::Duration;
use tokio::time::Instant;

/// The result of one HTTP attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AttemptResult {
    /// The answer's status, when there was an answer.
    pub status: Option<u16>,
    /// Why it failed, when it did (never contains the URL).
    pub error: Option<String>,
    pub duration_ms: u64,
    /// The receiver's `Retry-After`, if it gave one.
    #[serde(skip)]
    pub retry_after: Option<Duration>,
    /// The receiver refused for good (an SMTP 5yz reply): no retry, a dead letter at once.
    #[serde(skip)]
    pub permanent: bool,
}

impl AttemptResult {
    /// 2xx: the receiver has the event.
    pub fn is_success(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// The HTTP client every webhook's requests share: through the proxies the environment names,
/// by the same rules as feeds (`fetch/proxy.rs`).
pub(super) fn client(policy: &DeliveryPolicy) -> Result<reqwest::Client, DeliverError> {
    let proxies = crate::fetch::Proxies::from_env()?;
    proxies.check(&policy.network)?;
    let builder = reqwest::Client::builder()
        .user_agent(concat!(
            "statuswatch/",
            env!("CARGO_PKG_VERSION"),
            " (webhooks)"
        ))
        .connect_timeout(policy.timeout)
        // A redirect is not an acceptance: the receiver's URL should be the final one.
        .redirect(reqwest::redirect::Policy::none());
    // A receiver's name is checked on the addresses it resolves to, as a feed's is.
    crate::fetch::CheckedResolver::install(&policy.network, &proxies, builder)
        .build()
        .map_err(DeliverError::Client)
}

/// One signed POST of `event` in the webhook's format.
pub(super) async fn send(
    client: &reqwest::Client,
    hook: &Webhook,
    event: &StoredEvent,
    timeout: Duration,
) -> AttemptResult {
    let mut result = AttemptResult {
        status: None,
        error: None,
        duration_ms: 0,
        retry_after: None,
        permanent: false,
    };
    let body = match format::body(hook.format, &hook.options, event) {
        Ok(body) => body,
        Err(why) => {
            // Nothing was sent: the attempt fails with the reason, and is retried (a fixed
            // template and a SIGHUP or restart deliver it).
            result.error = Some(why);
            return result;
        }
    };
    let timestamp = Utc::now().timestamp();
    let mut request = client
        .post(hook.url.clone())
        .timeout(timeout)
        .header(reqwest::header::CONTENT_TYPE, body.content_type.as_str());
    for (name, value) in sign::headers(
        &event.payload.id,
        timestamp,
        &body.bytes,
        hook.secret.as_ref(),
    ) {
        request = request.header(name, value);
    }
    let started = Instant::now();
    match request.body(body.bytes).send().await {
        Ok(mut response) => {
            let status = response.status();
            result.status = Some(status.as_u16());
            result.retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| crate::fetch::parse_retry_after(v, chrono::Utc::now()));
            if !status.is_success() {
                // The first bytes of the answer usually say why; never more than that.
                let snippet = match response.chunk().await {
                    Ok(Some(bytes)) => {
                        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]);
                        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                        (!text.is_empty()).then(|| format!(": {text}"))
                    }
                    _ => None,
                };
                let hint = if status.is_redirection() {
                    " (redirects are not followed: configure the final URL)"
                } else {
                    ""
                };
                result.error = Some(format!(
                    "HTTP {}{hint}{}",
                    status.as_u16(),
                    snippet.unwrap_or_default()
                ));
            }
        }
        Err(e) => result.error = Some(describe(e, timeout)),
    }
    result.duration_ms = started.elapsed().as_millis() as u64;
    result
}

/// A transport error as a line of text, without the URL (it may hold a token).
fn describe(err: reqwest::Error, timeout: Duration) -> String {
    if err.is_timeout() {
        return format!("no answer within {} ms", timeout.as_millis());
    }
    let err = err.without_url();
    let text = if err.is_connect() {
        "cannot connect".to_string()
    } else {
        err.to_string()
    };
    with_causes(text, std::error::Error::source(&err))
}

/// `text` followed by each cause's words (`: cause: its cause`), a cause `text` already ends
/// with left out.
pub(super) fn with_causes(
    mut text: String,
    mut source: Option<&(dyn std::error::Error + 'static)>,
) -> String {
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.ends_with(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
    }
    text
}
