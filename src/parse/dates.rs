//! Lenient timestamp parsing for feed dates.
//!
//! feed-rs's own parser gives up on much of what status pages publish, and a date that does not parse
//! silently becomes "no date", which breaks ordering and derived ids. This one accepts, in order:
//! RFC 3339 (with a space instead of `T`, or no colon in the offset), RFC 2822 with the usual deviations
//! (any weekday spelling, long or localised month names, `UTC`/`GMT`/`Z`/US and common zone names,
//! single-digit hours), and ISO dates or date-times with no zone at all. A date without a zone is read as
//! UTC: for status feeds that is the usual intent and the error is bounded by a day. Impossible dates
//! (31 February, 25:00) are `None`, never a guess.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Parses one feed timestamp; `None` when it is missing, unreadable or impossible.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if t.is_empty() || t.len() > 100 {
        return None;
    }
    parse_rfc3339ish(t)
        .or_else(|| parse_worded(t))
        .filter(|d| plausible(*d))
}

/// Years outside this range are typos or hostile input, not status updates.
fn plausible(d: DateTime<Utc>) -> bool {
    use chrono::Datelike;
    (1990..=2200).contains(&d.year())
}

fn parse_rfc3339ish(t: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    let b = t.as_bytes();
    // Only shapes that start like 2024-01-31 go further.
    if b.len() < 10 || !(b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[7] == b'-') {
        return None;
    }
    let mut s = t.replacen(' ', "T", 1);
    if s.ends_with(" UTC") || s.ends_with(" GMT") {
        s.truncate(s.len() - 4);
        s.push('Z');
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(&s) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z"] {
        if let Ok(d) = DateTime::parse_from_str(&s, fmt) {
            return Some(d.with_timezone(&Utc));
        }
    }
    // No zone: UTC.
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(&s, fmt) {
            return Some(Utc.from_utc_datetime(&n));
        }
    }
    if s.len() == 10 {
        let d = NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()?;
        return Some(Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)));
    }
    None
}

/// RFC 2822 and its relatives: "Tue, 5 Mar 2024 9:04:05 PDT", "5. März 2024 09:04 MEZ", "March 5 2024".
fn parse_worded(t: &str) -> Option<DateTime<Utc>> {
    let mut day: Option<u32> = None;
    let mut month: Option<u32> = None;
    let mut year: Option<i32> = None;
    let mut time: Option<NaiveTime> = None;
    let mut offset: Option<i32> = None;
    for raw in t.split(|c: char| c.is_whitespace() || c == ',') {
        let tok = raw.trim_matches(|c: char| c == '.' || c == '(' || c == ')');
        if tok.is_empty() {
            continue;
        }
        if let Some(m) = month_number(tok) {
            month.get_or_insert(m);
        } else if tok.contains(':') && time.is_none() && tok.as_bytes()[0].is_ascii_digit() {
            time = Some(parse_clock(tok)?);
        } else if (tok.starts_with('+') || tok.starts_with('-')) && tok.len() >= 5 {
            offset = Some(parse_numeric_offset(tok)?);
        } else if tok.bytes().all(|b| b.is_ascii_digit()) {
            let n: u32 = tok.parse().ok()?;
            match tok.len() {
                4 => year = Some(i32::try_from(n).ok()?),
                1 | 2 if day.is_none() => day = Some(n),
                2 if year.is_none() => year = Some(2000 + i32::try_from(n).ok()?),
                _ => return None,
            }
        } else if let Some(z) = zone_offset_secs(tok) {
            offset.get_or_insert(z);
        }
        // Weekday names in any language, "at", "um" and other words carry nothing: skip them.
    }
    let date = NaiveDate::from_ymd_opt(year?, month?, day?)?;
    let naive = date.and_time(time.unwrap_or(NaiveTime::MIN));
    let off = FixedOffset::east_opt(offset.unwrap_or(0))?;
    off.from_local_datetime(&naive)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

fn parse_clock(tok: &str) -> Option<NaiveTime> {
    // "09:04", "9:04:05", "09:04:05.123", "09:04:05Z"
    let tok = tok.trim_end_matches(['Z', 'z']);
    let mut parts = tok.split(':');
    let h: u32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let s: u32 = match parts.next() {
        Some(sec) => sec.split('.').next()?.parse().ok()?,
        None => 0,
    };
    // Some feeds write midnight as 24:00.
    let h = if h == 24 && m == 0 && s == 0 { 0 } else { h };
    NaiveTime::from_hms_opt(h, m, s)
}

fn parse_numeric_offset(tok: &str) -> Option<i32> {
    let sign = if tok.starts_with('-') { -1 } else { 1 };
    let digits: String = tok[1..].chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 4 {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..].parse().ok()?;
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

/// Month names and abbreviations in English, German, French, Spanish, Dutch and Italian.
pub fn month_number(tok: &str) -> Option<u32> {
    let lower = tok.to_lowercase();
    let w = lower.trim_end_matches('.');
    if w.len() < 3 {
        return None;
    }
    const MONTHS: [&[&str]; 12] = [
        &[
            "jan", "january", "januar", "janvier", "janv", "enero", "ene", "januari", "gennaio",
            "gen", "jänner",
        ],
        &[
            "feb", "february", "februar", "février", "févr", "fevrier", "febrero", "februari",
            "febbraio",
        ],
        &[
            "mar", "march", "märz", "mär", "mrz", "maerz", "mars", "marzo", "maart", "mrt",
        ],
        &["apr", "april", "avril", "avr", "abril", "abr", "aprile"],
        &["may", "mai", "mayo", "mei", "maggio", "mag"],
        &["jun", "june", "juni", "juin", "junio", "giugno", "giu"],
        &[
            "jul", "july", "juli", "juillet", "juil", "julio", "luglio", "lug",
        ],
        &["aug", "august", "août", "aout", "agosto", "ago", "augustus"],
        &[
            "sep",
            "sept",
            "september",
            "septembre",
            "septiembre",
            "settembre",
            "set",
        ],
        &[
            "oct", "october", "oktober", "okt", "octobre", "octubre", "ottobre", "ott",
        ],
        &["nov", "november", "novembre", "noviembre"],
        &[
            "dec",
            "december",
            "dezember",
            "dez",
            "décembre",
            "decembre",
            "déc",
            "diciembre",
            "dic",
            "dicembre",
        ],
    ];
    MONTHS
        .iter()
        .position(|names| names.contains(&w))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// Offsets of the zone names status pages print. Ambiguous names (IST, CST in China) take the reading
/// status pages use most (India, US Central).
/// A zone as update times write it, in seconds east of UTC: a numeric offset ("+02:00",
/// "-0700") or a name [`zone_offset_secs`] knows. `None` for an unknown name: better no time
/// than a wrong one.
pub fn offset_secs(zone: &str) -> Option<i32> {
    if zone.starts_with(['+', '-']) {
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let digits: String = zone.chars().filter(char::is_ascii_digit).collect();
        let h: i32 = digits.get(..2)?.parse().ok()?;
        let m: i32 = digits.get(2..4)?.parse().ok()?;
        return Some(sign * (h * 3600 + m * 60));
    }
    zone_offset_secs(zone)
}

pub fn zone_offset_secs(name: &str) -> Option<i32> {
    let h = |x: i32| x * 3600;
    let off = match name.to_ascii_uppercase().as_str() {
        "UTC" | "GMT" | "UT" | "Z" | "WET" => 0,
        "BST" | "CET" | "MEZ" | "WEST" => h(1),
        "CEST" | "MESZ" | "EET" | "SAST" => h(2),
        "EEST" | "MSK" => h(3),
        "IST" => h(5) + 1800,
        "SGT" | "HKT" | "AWST" => h(8),
        "JST" | "KST" => h(9),
        "AEST" => h(10),
        "AEDT" => h(11),
        "NZST" => h(12),
        "NZDT" => h(13),
        "EST" => h(-5),
        "EDT" => h(-4),
        "CST" => h(-6),
        "CDT" => h(-5),
        "MST" => h(-7),
        "MDT" => h(-6),
        "PST" => h(-8),
        "PDT" => h(-7),
        "AKST" => h(-9),
        "AKDT" => h(-8),
        "HST" => h(-10),
        _ => return None,
    };
    Some(off)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(s: &str) -> Option<String> {
        parse_timestamp(s).map(|d| d.to_rfc3339())
    }

    #[test]
    fn case_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("2024-01-31T10:00:00Z", Some("2024-01-31T10:00:00+00:00")),
            (
                "2020-11-14T14:07:38-08:00",
                Some("2020-11-14T22:07:38+00:00"),
            ),
            ("2024-01-31 10:00:00", Some("2024-01-31T10:00:00+00:00")),
            ("2024-01-31T10:00:00", Some("2024-01-31T10:00:00+00:00")),
            ("2024-01-31", Some("2024-01-31T00:00:00+00:00")),
            (
                "2024-01-31T10:00:00+0100",
                Some("2024-01-31T09:00:00+00:00"),
            ),
            (
                "Fri, 23 Aug 2019 04:18:35 PDT",
                Some("2019-08-23T11:18:35+00:00"),
            ),
            (
                "Thu, 08 Feb 2024 09:00:14 +0000",
                Some("2024-02-08T09:00:14+00:00"),
            ),
            (
                "Sat, 14 Oct 2017 05:59:08 GMT",
                Some("2017-10-14T05:59:08+00:00"),
            ),
            (
                "Thurs, 13 Jul 2011 7:38:00 UTC",
                Some("2011-07-13T07:38:00+00:00"),
            ),
            ("13 July 2011 07:38", Some("2011-07-13T07:38:00+00:00")),
            (
                "Di, 05 März 2024 09:04:05 +0100",
                Some("2024-03-05T08:04:05+00:00"),
            ),
            ("mardi 5 mars 2024 09:04", Some("2024-03-05T09:04:00+00:00")),
            (
                "5 de diciembre de 2023 10:00 UTC",
                Some("2023-12-05T10:00:00+00:00"),
            ),
            ("Mon, 31 Feb 2024 10:00:00 GMT", None),
            ("Mon, 01 Feb 2024 25:00:00 GMT", None),
            ("2024-13-01T00:00:00Z", None),
            ("yesterday", None),
            ("", None),
            ("Mon, 01 Feb 0001 10:00:00 GMT", None),
        ];
        for (input, want) in cases {
            assert_eq!(iso(input).as_deref(), *want, "input {input:?}");
        }
    }
}
