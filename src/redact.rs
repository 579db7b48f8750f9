//! Secrets kept out of everything shown or sent: URLs as people, logs, receivers and the served
//! board see them.
//!
//! A feed URL may carry credentials (`https://user:token@host/…`, `?token=…`); the stored URL
//! keeps them, since the fetch needs them, but every copy that leaves the fetch goes through
//! [`url`]: CLI output, log lines, fetch errors, event payloads, `serve`. Webhook URLs are
//! secret as a whole (their paths are tokens), so they are shown as [`endpoint`]: host only.
//! Pure text work, no I/O: any stage may call it.

use std::borrow::Cow;

/// What stands for a removed secret.
pub const MASK: &str = "***";

/// Query parameter names whose values are secrets (compared without regard to case).
const SECRET_PARAMS: [&str; 10] = [
    "token",
    "api_key",
    "apikey",
    "key",
    "access_token",
    "auth",
    "signature",
    "sig",
    "secret",
    "password",
];

/// Endings of parameter names that are secrets too (`private_token`, `client_secret`,
/// `X-Amz-Signature`).
const SECRET_SUFFIXES: [&str; 5] = ["_token", "_key", "-key", "_secret", "-signature"];

fn is_secret_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_PARAMS.contains(&name.as_str()) || SECRET_SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// The pieces of a URL's text that are secrets, as byte ranges of `text`: the userinfo
/// (`user:pass` before the host's `@`) and the values of secret query parameters. Works on
/// the text, not a parsed URL, so an unparseable URL (shown in its error) and a replayed feed's
/// `replay:https://…` are covered too, and the rest of the text stays exactly as written.
fn secret_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut query_from = 0;
    if let Some(scheme_end) = text.find("://") {
        let start = scheme_end + 3;
        let end = text[start..]
            .find(['/', '?', '#'])
            .map_or(text.len(), |i| start + i);
        if let Some(at) = text[start..end].rfind('@') {
            ranges.push((start, start + at));
        }
        query_from = end;
    }
    let Some(q) = text[query_from..].find('?').map(|i| query_from + i + 1) else {
        return ranges;
    };
    let q_end = text[q..].find('#').map_or(text.len(), |i| q + i);
    let mut at = q;
    for pair in text[q..q_end].split('&') {
        if let Some(eq) = pair.find('=') {
            let name: String = url::form_urlencoded::parse(&pair.as_bytes()[..eq])
                .next()
                .map(|(k, _)| k.into_owned())
                .unwrap_or_default();
            if is_secret_param(&name) && eq + 1 < pair.len() {
                ranges.push((at + eq + 1, at + pair.len()));
            }
        }
        at += pair.len() + 1;
    }
    ranges
}

/// A URL as it may be shown, logged or sent: its userinfo and the values of secret query
/// parameters replaced by `***` (`https://***@host/feed?token=***&page=2`); the text is
/// returned unchanged when it carries none.
pub fn url(text: &str) -> Cow<'_, str> {
    let ranges = secret_ranges(text);
    if ranges.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for (start, end) in ranges {
        out.push_str(&text[from..start]);
        out.push_str(MASK);
        from = end;
    }
    out.push_str(&text[from..]);
    Cow::Owned(out)
}

/// Whether a URL's text carries credentials that [`url`] would hide.
pub fn has_credentials(text: &str) -> bool {
    !secret_ranges(text).is_empty()
}

/// What `feeds add` and `feeds import` say of a URL that carries credentials; `how` is the
/// way to name an environment variable where the note is read (`--auth-env VAR`).
pub fn credentials_note(feed_url: &str, how: &str) -> String {
    format!(
        "the URL {} carries credentials: they are stored in the database as given (the fetch \
         needs them) and masked wherever the URL is shown or sent; better, keep the secret out \
         of the URL and the database: put the whole Authorization header value (such as \
         \"Bearer TOKEN\") in an environment variable and name it with {how}",
        url(feed_url)
    )
}

/// A message (an error, a log line) about the feed at `feed_url` with that URL's secrets
/// removed wherever they appear in it, whole or in pieces, raw or percent-decoded (an HTTP
/// client's error may quote the URL it rebuilt, or the user name alone).
pub fn message<'a>(text: &'a str, feed_url: &str) -> Cow<'a, str> {
    let ranges = secret_ranges(feed_url);
    if ranges.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut secrets: Vec<String> = Vec::new();
    for (start, end) in ranges {
        let raw = &feed_url[start..end];
        // The userinfo's two halves, and the whole, each as written and decoded.
        let mut pieces = vec![raw];
        pieces.extend(raw.split(':'));
        for piece in pieces {
            let decoded = percent_decoded(piece);
            for s in [piece.to_string(), decoded] {
                // One or two characters would mask unrelated text; such a secret is no secret.
                if s.chars().count() >= 3 && !secrets.contains(&s) {
                    secrets.push(s);
                }
            }
        }
    }
    // Longest first, so a whole `user:pass` goes before its halves.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = text.replace(feed_url, &url(feed_url));
    for secret in &secrets {
        out = out.replace(secret.as_str(), MASK);
    }
    if out == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(out)
    }
}

fn percent_decoded(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_string())
}

/// A webhook URL as it may be shown or logged: scheme, host and port only (paths and queries
/// of webhook URLs often hold tokens).
pub fn endpoint(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("");
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let rest = if url.path().is_empty() && url.query().is_none() {
        // smtp://host:port has no path at all.
        ""
    } else if url.path() == "/" && url.query().is_none() {
        "/"
    } else {
        "/…"
    };
    format!("{}://{host}{port}{rest}", url.scheme())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_cases() {
        let cases = [
            (
                "https://status.example.com/feed.atom",
                "https://status.example.com/feed.atom",
            ),
            ("https://user:s3cret@h.example/f", "https://***@h.example/f"),
            ("https://tok@h.example/f", "https://***@h.example/f"),
            (
                "http://127.0.0.1:8080/f?token=abc",
                "http://127.0.0.1:8080/f?token=***",
            ),
            (
                "https://h.example/f?page=2&API_KEY=k1&sig=zz#top",
                "https://h.example/f?page=2&API_KEY=***&sig=***#top",
            ),
            (
                "https://h.example/f?private_token=x&monkey=y",
                "https://h.example/f?private_token=***&monkey=y",
            ),
            (
                "https://h.example/f?X-Amz-Signature=abc",
                "https://h.example/f?X-Amz-Signature=***",
            ),
            (
                "https://h.example/f?api%5Fkey=abc",
                "https://h.example/f?api%5Fkey=***",
            ),
            (
                "https://h.example/f?token=&x=1",
                "https://h.example/f?token=&x=1",
            ),
            ("https://h.example/a@b/feed", "https://h.example/a@b/feed"),
            ("https://u:p@h ex/f", "https://***@h ex/f"),
            ("replay:zoom", "replay:zoom"),
            (
                "replay:https://u:p@h.example/f?key=1",
                "replay:https://***@h.example/f?key=***",
            ),
            ("not a url?password=x", "not a url?password=***"),
        ];
        for (input, want) in cases {
            assert_eq!(url(input), want, "{input:?}");
            assert_eq!(has_credentials(input), input != want, "{input:?}");
        }
    }

    #[test]
    fn message_hides_the_url_and_its_pieces() {
        let feed = "https://alice:p%40ss@h.example/f?token=abc123";
        let text = format!("error sending request for url ({feed}): user alice, p@ss, abc123");
        let got = message(&text, feed);
        assert_eq!(
            got,
            "error sending request for url (https://***@h.example/f?token=***): user ***, ***, ***"
        );
        assert_eq!(message("HTTP 500", feed), "HTTP 500");
        assert_eq!(message("x", "https://h.example/f"), "x");
    }
}
