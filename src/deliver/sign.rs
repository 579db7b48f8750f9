//! Standard Webhooks signing: `webhook-id`, `webhook-timestamp` and
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
//!
//! The secret is written `whsec_<base64 of the key bytes>` (the prefix is optional, as in the
//! spec's reference libraries). [`Secret`] never shows its bytes: its `Debug` is redacted, so
//! a configuration printed with `{:?}` or a tracing field cannot leak it.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

/// A webhook signing key (the decoded bytes of `whsec_...`).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Why a secret cannot be used; never contains the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the secret is not base64 after its whsec_ prefix (make one with: echo \"whsec_$(head -c 32 /dev/urandom | base64)\")")]
    NotBase64,
    #[error("the secret is empty")]
    Empty,
}

impl Secret {
    /// Reads `whsec_<base64>` (or bare base64).
    pub fn parse(text: &str) -> Result<Secret, SecretError> {
        let encoded = text.trim();
        let encoded = encoded.strip_prefix("whsec_").unwrap_or(encoded);
        let key = BASE64.decode(encoded).map_err(|_| SecretError::NotBase64)?;
        if key.is_empty() {
            return Err(SecretError::Empty);
        }
        Ok(Secret(key))
    }

    /// The `webhook-signature` value for one attempt.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        // HMAC accepts keys of any length, so new_from_slice cannot fail here.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
    }
}

/// The Standard Webhooks headers of one attempt, in sending order.
pub fn headers(
    id: &str,
    timestamp: i64,
    body: &[u8],
    secret: Option<&Secret>,
) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("webhook-id", id.to_string()),
        ("webhook-timestamp", timestamp.to_string()),
    ];
    if let Some(secret) = secret {
        out.push(("webhook-signature", secret.sign(id, timestamp, body)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference libraries' own test vector.
    #[test]
    fn signs_the_reference_vector() {
        let secret = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        let sig = secret.sign(
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1649367553,
            br#"{"email":"test@example.com","username":"test_user"}"#,
        );
        assert_eq!(sig, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
        // The prefix is optional.
        let bare = Secret::parse("C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        assert_eq!(bare, secret);
    }

    #[test]
    fn bad_secrets_are_refused_without_echoing_them() {
        let err = Secret::parse("whsec_not base64!!").unwrap_err();
        assert_eq!(err, SecretError::NotBase64);
        assert!(!err.to_string().contains("not base64!!"));
        assert_eq!(Secret::parse("whsec_").unwrap_err(), SecretError::Empty);
    }

    #[test]
    fn debug_never_shows_the_key() {
        let secret = Secret::parse("whsec_c2VjcmV0LWtleS1ieXRlcw==").unwrap();
        let shown = format!("{secret:?}");
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
        assert!(!shown.contains("secret-key"), "{shown}");
    }

    #[test]
    fn unsigned_webhooks_get_id_and_timestamp_only() {
        let h = headers("e1", 7, b"{}", None);
        assert_eq!(
            h,
            vec![
                ("webhook-id", "e1".to_string()),
                ("webhook-timestamp", "7".to_string())
            ]
        );
    }
}
