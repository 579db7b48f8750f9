//! The page shell every board page shares, and the small pieces they all show: a state as word,
//! colour and shape; a time in UTC; a link to a vendor's page or out to the vendor.
//!
//! Everything here goes through maud, which escapes text and attribute values; no text that
//! came from a feed is ever marked pre-escaped.

use super::assets;
use chrono::{DateTime, Datelike, Utc};
use maud::{html, Markup, DOCTYPE};
use strum::IntoEnumIterator;

/// Which page is shown, for the navigation's "you are here".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Nav {
    Board,
    Vendor,
    Feeds,
    None,
}

/// Without JavaScript the page reloads itself this often (only inside `<noscript>`: with it,
/// the event stream says when to).
const NOSCRIPT_REFRESH_SECONDS: u32 = 60;

/// The whole document around a page's `<main>`. `now` is when it was rendered: the footer
/// says so, since a page without JavaScript shows what was true then.
pub(super) fn page(title: &str, nav: Nav, now: DateTime<Utc>, main: Markup) -> Markup {
    let kinds: Vec<&'static str> = crate::model::EventKind::iter()
        .map(crate::model::EventKind::as_str)
        .collect();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " · statuswatch" }
                link rel="stylesheet" href=(assets::url("board.css"));
                link rel="icon" type="image/svg+xml" href=(assets::url("favicon.svg"));
                script src=(assets::url("board.js")) defer {}
                noscript {
                    meta http-equiv="refresh" content=(NOSCRIPT_REFRESH_SECONDS);
                }
            }
            // board.js reads where the stream is and which event names it sends, and sets
            // data-live to "on" once it is connected.
            body data-live="off" data-stream="/api/v1/events/stream" data-kinds=(kinds.join(" ")) {
                header.top {
                    a.brand href="/" {
                        img src=(assets::url("favicon.svg")) alt="" width="24" height="24";
                        span { "statuswatch" }
                    }
                    nav aria-label="Pages" {
                        a href="/" aria-current=[(nav == Nav::Board).then_some("page")] { "Board" }
                        a href="/feeds" aria-current=[(nav == Nav::Feeds).then_some("page")] { "Feeds" }
                    }
                }
                main #main {
                    (main)
                    p.updated {
                        "Updated at " (clock(now)) " UTC"
                        span.live { " · live" }
                    }
                }
            }
        }
    }
}

/// A page that only says one thing (not found, cannot read).
pub(super) fn message_page(title: &str, detail: &str, nav: Nav) -> Markup {
    let now = Utc::now();
    page(
        title,
        nav,
        now,
        html! {
            h1 { (title) }
            p.message { (detail) }
            p { a href="/" { "Back to the board" } }
        },
    )
}

/// How a state, status or health word looks: its word, a shape (so colour is never alone),
/// and the CSS class that colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Look {
    pub word: &'static str,
    pub icon: &'static str,
    pub class: &'static str,
}

/// A service state (`operational` … `outage`, or `unknown` before the first fetch), an
/// incident status (`resolved` too) or a feed health word.
pub(super) fn look(word: &str) -> Look {
    let (word, icon, class) = match word {
        "operational" => ("Operational", "✓", "s-ok"),
        "resolved" => ("Resolved", "✓", "s-ok"),
        "ok" => ("OK", "✓", "s-ok"),
        "informational" => ("Informational", "i", "s-info"),
        "maintenance" => ("Maintenance", "◆", "s-maint"),
        "degraded" => ("Degraded", "▲", "s-degraded"),
        "failing" => ("Failing", "▲", "s-degraded"),
        "outage" => ("Outage", "✕", "s-outage"),
        "gone" => ("Gone", "✕", "s-outage"),
        "disabled" => ("Disabled", "–", "s-unknown"),
        "never fetched" => ("Never fetched", "?", "s-unknown"),
        _ => ("Unknown", "?", "s-unknown"),
    };
    Look { word, icon, class }
}

/// The state as a badge: shape and word, coloured.
pub(super) fn badge(word: &str) -> Markup {
    let look = look(word);
    html! {
        span class={ "badge " (look.class) } {
            span.icon aria-hidden="true" { (look.icon) }
            " " (look.word)
        }
    }
}

/// `07:11` from a time.
fn clock(t: DateTime<Utc>) -> String {
    t.format("%H:%M").to_string()
}

/// A stored time as `<time>`: the clock alone when it is today, with the day when not, with
/// the year when not this year; always UTC. Text that is not a time is shown as it is.
pub(super) fn time(text: &str, now: DateTime<Utc>) -> Markup {
    match crate::store::parse_time_text(text) {
        Some(t) => {
            let shown = if t.date_naive() == now.date_naive() {
                t.format("%H:%M UTC")
            } else if t.year() == now.year() {
                t.format("%-d %b %H:%M UTC")
            } else {
                t.format("%-d %b %Y %H:%M UTC")
            };
            html! { time datetime=(text) title=(t.format("%Y-%m-%d %H:%M:%S UTC")) { (shown) } }
        }
        None => html! { (text) },
    }
}

/// "2 h 15 min" for a duration in minutes.
pub(super) fn duration(minutes: f64) -> String {
    let total = minutes.max(0.0).round() as i64;
    let (days, hours, mins) = (total / 1440, total % 1440 / 60, total % 60);
    match (days, hours) {
        (0, 0) => format!("{mins} min"),
        (0, _) => format!("{hours} h {mins} min"),
        _ => format!("{days} d {hours} h"),
    }
}

/// A link out to a vendor, when it is one a browser should follow: http or https only, so a
/// feed's `javascript:` or `data:` link is shown as text, never made clickable.
pub(super) fn external_href(link: Option<&str>) -> Option<String> {
    let parsed = url::Url::parse(link?.trim()).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.to_string())
}

/// A title that links out to the vendor when its link is safe to follow.
pub(super) fn linked(text: &str, link: Option<&str>) -> Markup {
    match external_href(link) {
        Some(href) => html! { a href=(href) rel="noopener noreferrer" { (text) } },
        None => html! { span { (text) } },
    }
}

/// The board's page of one vendor: the key percent-encoded as one path segment.
pub(super) fn vendor_href(vendor: &str) -> String {
    let mut out = String::from("/vendors/");
    for byte in vendor.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_links_are_followed() {
        assert_eq!(
            external_href(Some("https://status.example.com/incidents/1")).as_deref(),
            Some("https://status.example.com/incidents/1")
        );
        assert_eq!(external_href(Some("javascript:alert(1)")), None);
        assert_eq!(external_href(Some("data:text/html,<b>x</b>")), None);
        assert_eq!(external_href(Some("/relative")), None);
        assert_eq!(external_href(None), None);
        // A quote cannot leave the attribute: the URL parser encodes it.
        let odd = external_href(Some("https://x.example/a\" onmouseover=\"alert(1)")).unwrap();
        assert!(!odd.contains('"'), "{odd}");
    }

    #[test]
    fn vendor_keys_become_one_path_segment() {
        assert_eq!(vendor_href("aws"), "/vendors/aws");
        assert_eq!(vendor_href("a/b c"), "/vendors/a%2Fb%20c");
    }

    #[test]
    fn every_word_has_a_shape_and_a_word() {
        for w in [
            "operational",
            "informational",
            "maintenance",
            "degraded",
            "outage",
            "unknown",
            "resolved",
            "failing",
        ] {
            let l = look(w);
            assert!(!l.icon.is_empty() && !l.word.is_empty(), "{w}");
        }
        let markup = badge("degraded").into_string();
        assert!(markup.contains("Degraded") && markup.contains("s-degraded"));
    }

    #[test]
    fn times_are_utc_with_as_much_date_as_needed() {
        let now = crate::store::parse_time_text("2025-10-20T12:00:00Z").unwrap();
        let today = time("2025-10-20T07:11:00Z", now).into_string();
        assert!(
            today.contains("datetime=\"2025-10-20T07:11:00Z\""),
            "{today}"
        );
        assert!(today.contains(">07:11 UTC<"), "{today}");
        assert!(time("2025-09-02T07:11:00Z", now)
            .into_string()
            .contains(">2 Sep 07:11 UTC<"));
        assert!(time("2024-09-02T07:11:00Z", now)
            .into_string()
            .contains(">2 Sep 2024 07:11 UTC<"));
        assert_eq!(time("soon", now).into_string(), "soon");
        assert_eq!(duration(135.0), "2 h 15 min");
        assert_eq!(duration(4.4), "4 min");
    }

    #[test]
    fn feed_text_is_escaped_in_text_and_attributes() {
        let hostile = "<script>alert(1)</script>\" onmouseover=\"x";
        let out = linked(hostile, Some("https://x.example/")).into_string();
        assert!(!out.contains("<script>"), "{out}");
        assert!(!out.contains("\" onmouseover"), "{out}");
    }
}
