//! The one reader of durations people write: every duration flag (`--timeout 30s`), every
//! configuration setting (`first_retry = "30s"`) and the age form of `--since 2w` go through
//! [`parse_duration`], so they all accept the same words.
//!
//! The words are `humantime`'s (`90s`, `5m`, `2h 30m`, `1.5h`, `3d`, `2w`, `500ms`, `10 minutes`),
//! plus a bare number meaning seconds (`--timeout 10`, as statuswatch always read it). Months and
//! years are refused: they have no fixed length, and `5M` (months) is too easily meant as minutes.

use std::time::Duration;

/// Examples shown in every error message.
const EXAMPLES: &str = "90s, 5m, 2h 30m, 3d or 2w";

/// Unit words `humantime` reads as months or years, which statuswatch refuses.
const CALENDAR_UNITS: &[&str] = &["M", "month", "months", "y", "yr", "yrs", "year", "years"];

/// A duration that could not be read; the message names the value and shows examples.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a duration ({reason}): write it like {EXAMPLES}")]
pub struct DurationError {
    /// The text as given.
    pub value: String,
    /// What is wrong with it, in a few words.
    pub reason: String,
}

/// Reads a duration such as `500ms`, `90s`, `5m`, `2h 30m`, `1.5h`, `3d`, `2w` or `10` (seconds).
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let value = text.trim();
    let error = |reason: String| DurationError {
        value: value.to_string(),
        reason,
    };
    if value.is_empty() {
        return Err(error("it is empty".into()));
    }
    if value.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let seconds: f64 = value
            .parse()
            .map_err(|_| error("not a number of seconds".into()))?;
        return Duration::try_from_secs_f64(seconds).map_err(|e| error(e.to_string()));
    }
    if let Some(unit) = value
        .split(|c: char| !c.is_alphabetic())
        .find(|word| CALENDAR_UNITS.contains(word))
    {
        return Err(error(format!(
            "{unit:?} has no fixed length: count in days or weeks"
        )));
    }
    humantime::parse_duration(value).map_err(|e| {
        error(match e {
            humantime::DurationError::UnknownUnit { unit, .. } => {
                format!("unknown unit {unit:?}")
            }
            other => other.to_string(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_words_every_flag_and_setting_accepts() {
        let cases: &[(&str, u64)] = &[
            ("500ms", 500),
            ("10", 10_000),
            ("1.5s", 1_500),
            ("90s", 90_000),
            ("5m", 300_000),
            ("5min", 300_000),
            ("1h", 3_600_000),
            ("2h 30m", 9_000_000),
            ("1.5h", 5_400_000),
            ("3d", 3 * 86_400_000),
            ("2w", 14 * 86_400_000),
            ("8 weeks", 8 * 7 * 86_400_000),
            (" 10 minutes ", 600_000),
        ];
        for (text, millis) in cases {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_millis(*millis)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn refuses_with_the_value_and_an_example() {
        for text in [
            "soon",
            "5 fortnights",
            "",
            "1.2.3",
            "5y",
            "2M",
            "3 months",
            "-5s",
        ] {
            let err = parse_duration(text).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("{:?} is not a duration (", text.trim())),
                "{err}"
            );
            assert!(
                err.ends_with("write it like 90s, 5m, 2h 30m, 3d or 2w"),
                "{err}"
            );
        }
        let err = parse_duration("5 fortnights").unwrap_err();
        assert_eq!(err.reason, "unknown unit \"fortnights\"");
        let err = parse_duration("2M").unwrap_err();
        assert!(err.reason.contains("no fixed length"), "{}", err.reason);
    }
}
