//! Schedule stage: cron expressions → the next times feeds are due.
//!
//! Users write classic 5-field crontab lines (minute hour day-of-month month day-of-week,
//! Sunday = 0 or 7, and the two day fields ORed when both are restricted). The `cron` crate
//! wants 6 or 7 fields with seconds first, numbers days of the week from Sunday = 1 and ANDs
//! the day fields. We accept both forms: the 6/7-field form is passed to the crate as is; the
//! classic form is translated faithfully (weekdays become names, so no numbering can slip, and
//! an OR of the day fields becomes the union of two schedules). Every field is validated here
//! first, so an error names the field.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::str::FromStr;

/// Why an expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("schedule {expr:?}: expected 5 fields (minute hour day-of-month month day-of-week) or 6-7 fields with seconds first (second minute hour day-of-month month day-of-week [year]), found {found}")]
    FieldCount { expr: String, found: usize },
    #[error("schedule {expr:?}: field {index} ({name}) {problem}")]
    Field {
        expr: String,
        index: usize,
        name: &'static str,
        problem: String,
    },
    #[error("schedule {expr:?}: {problem}")]
    Other { expr: String, problem: String },
    #[error("unknown timezone {0:?}: use an IANA name such as \"Europe/London\" or \"UTC\"")]
    Timezone(String),
}

/// What a schedule may be, for messages that refuse one.
pub const SYNTAX: &str = "write 5 cron fields (minute hour day-of-month month day-of-week) such as \"*/5 * * * *\" for every 5 minutes, 6-7 fields with seconds first, or @hourly, @daily, @weekly, @monthly, @yearly";

/// How a field may be written.
struct FieldSpec {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// The first name's number (1 for months, 0 for classic weekdays, 1 for crate weekdays).
    names_from: u32,
}

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const fn spec(name: &'static str, min: u32, max: u32) -> FieldSpec {
    FieldSpec {
        name,
        min,
        max,
        names: &[],
        names_from: 0,
    }
}

const SECOND: FieldSpec = spec("second", 0, 59);
const MINUTE: FieldSpec = spec("minute", 0, 59);
const HOUR: FieldSpec = spec("hour", 0, 23);
const DAY_OF_MONTH: FieldSpec = spec("day-of-month", 1, 31);
const MONTH: FieldSpec = FieldSpec {
    name: "month",
    min: 1,
    max: 12,
    names: MONTHS,
    names_from: 1,
};
/// Classic crontab: 0-7, Sunday = 0 and 7.
const CLASSIC_DAY_OF_WEEK: FieldSpec = FieldSpec {
    name: "day-of-week",
    min: 0,
    max: 7,
    names: DAYS,
    names_from: 0,
};
/// The `cron` crate: 1-7, Sunday = 1.
const CRATE_DAY_OF_WEEK: FieldSpec = FieldSpec {
    name: "day-of-week",
    min: 1,
    max: 7,
    names: DAYS,
    names_from: 1,
};
const YEAR: FieldSpec = spec("year", 1970, 2199);

/// Reads one value of a field: a number or a name.
fn value(text: &str, spec: &FieldSpec) -> Result<u32, String> {
    if let Ok(n) = text.parse::<u32>() {
        if n < spec.min || n > spec.max {
            return Err(format!(
                "has {n}, which is out of range {}-{}",
                spec.min, spec.max
            ));
        }
        return Ok(n);
    }
    let upper = text.to_ascii_uppercase();
    match spec.names.iter().position(|n| *n == upper) {
        Some(i) => Ok(i as u32 + spec.names_from),
        None if spec.names.is_empty() => Err(format!("has {text:?}, which is not a number")),
        None => Err(format!(
            "has {text:?}, which is neither a number ({}-{}) nor a name ({})",
            spec.min,
            spec.max,
            spec.names.join(", ")
        )),
    }
}

/// Validates a field and returns the set of values it selects.
fn field_values(text: &str, spec: &FieldSpec) -> Result<Vec<u32>, String> {
    if text.is_empty() {
        return Err("is empty".into());
    }
    let mut selected = Vec::new();
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                    format!("has step {s:?} in {item:?}: a step is a whole number from 1")
                })?;
                (r, step)
            }
            None => (item, 1),
        };
        let (low, high) = if range == "*" {
            (spec.min, spec.max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (value(a, spec)?, value(b, spec)?);
            if a > b {
                return Err(format!(
                    "has range {range:?} that runs backwards: write the smaller value first"
                ));
            }
            (a, b)
        } else if range.is_empty() {
            return Err(format!("has an empty item in {text:?}"));
        } else if ["?", "L", "W", "#"].iter().any(|c| range.contains(c)) {
            return Err(format!(
                "has {range:?}: classic cron has no ?, L, W or # (use the 6-field form for those)"
            ));
        } else {
            let v = value(range, spec)?;
            // `a/n` means from a to the end of the range, every n.
            (v, if item.contains('/') { spec.max } else { v })
        };
        selected.extend((low..=high).step_by(step as usize));
    }
    selected.sort_unstable();
    selected.dedup();
    Ok(selected)
}

/// A validated schedule: one or more crate schedules whose union is the user's expression.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    source: String,
    /// The crate expressions actually used (shown in logs: "what was understood").
    translated: Vec<String>,
    parts: Vec<cron::Schedule>,
    tz: Tz,
}

impl PartialEq for CronSchedule {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && self.translated == other.translated && self.tz == other.tz
    }
}

/// Parses a timezone name (`UTC`, `Europe/London`).
pub fn parse_timezone(name: &str) -> Result<Tz, ScheduleError> {
    Tz::from_str(name.trim()).map_err(|_| ScheduleError::Timezone(name.to_string()))
}

impl CronSchedule {
    /// Checks a feed's own schedule when it is added (`feeds add --schedule`, an OPML
    /// `schedule` attribute), so a typo is refused then, not when the daemon first reads it.
    /// Evaluated in UTC: the timezone only moves when it fires, not whether it is valid.
    pub fn check(expr: &str) -> Result<(), ScheduleError> {
        CronSchedule::parse(expr, chrono_tz::UTC).map(|_| ())
    }

    /// Parses a classic 5-field expression, a 6/7-field one, or a macro (`@hourly`, `@daily`,
    /// `@weekly`, `@monthly`, `@yearly`), evaluated in `tz`.
    pub fn parse(expr: &str, tz: Tz) -> Result<CronSchedule, ScheduleError> {
        let source = expr.trim().to_string();
        let expanded = match source.to_ascii_lowercase().as_str() {
            "@yearly" | "@annually" => "0 0 1 1 *".to_string(),
            "@monthly" => "0 0 1 * *".to_string(),
            "@weekly" => "0 0 * * 0".to_string(),
            "@daily" | "@midnight" => "0 0 * * *".to_string(),
            "@hourly" => "0 * * * *".to_string(),
            m if m.starts_with('@') => {
                return Err(ScheduleError::Other {
                    expr: source.clone(),
                    problem: format!("{m} is not a schedule statuswatch can keep (known: @hourly, @daily, @weekly, @monthly, @yearly)"),
                })
            }
            _ => source.clone(),
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        let field_error = |index: usize, spec: &FieldSpec, problem: String| ScheduleError::Field {
            expr: source.clone(),
            index,
            name: spec.name,
            problem,
        };
        let check = |index: usize, text: &str, spec: &FieldSpec| {
            field_values(text, spec).map_err(|p| field_error(index, spec, p))
        };
        let translated = match fields.len() {
            5 => {
                let specs = [&MINUTE, &HOUR, &DAY_OF_MONTH, &MONTH, &CLASSIC_DAY_OF_WEEK];
                let mut sets = Vec::new();
                for (i, (text, spec)) in fields.iter().zip(specs).enumerate() {
                    sets.push(check(i + 1, text, spec)?);
                }
                let days: Vec<u32> = {
                    let mut d: Vec<u32> = sets[4].iter().map(|v| v % 7).collect();
                    d.sort_unstable();
                    d.dedup();
                    d
                };
                let dow = if fields[4] == "*" {
                    "*".to_string()
                } else {
                    days.iter()
                        .map(|d| DAYS[*d as usize])
                        .collect::<Vec<_>>()
                        .join(",")
                };
                let (minute, hour, dom, month) = (fields[0], fields[1], fields[2], fields[3]);
                // Vixie cron: when both day fields are restricted (neither starts with `*`),
                // a day matches if either does.
                if !fields[2].starts_with('*') && !fields[4].starts_with('*') {
                    vec![
                        format!("0 {minute} {hour} {dom} {month} *"),
                        format!("0 {minute} {hour} * {month} {dow}"),
                    ]
                } else {
                    vec![format!("0 {minute} {hour} {dom} {month} {dow}")]
                }
            }
            6 | 7 => {
                let specs = [
                    &SECOND,
                    &MINUTE,
                    &HOUR,
                    &DAY_OF_MONTH,
                    &MONTH,
                    &CRATE_DAY_OF_WEEK,
                    &YEAR,
                ];
                for (i, (text, spec)) in fields.iter().zip(specs).enumerate() {
                    // The crate form also allows `?` in the day fields.
                    if *text == "?" && (i == 3 || i == 5) {
                        continue;
                    }
                    check(i + 1, text, spec)?;
                }
                vec![fields.join(" ")]
            }
            found => {
                return Err(ScheduleError::FieldCount {
                    expr: source,
                    found,
                })
            }
        };
        let mut parts = Vec::new();
        for text in &translated {
            let schedule = cron::Schedule::from_str(text).map_err(|e| ScheduleError::Other {
                expr: source.clone(),
                problem: e.to_string().replace('\n', " "),
            })?;
            parts.push(schedule);
        }
        let probe = Utc::now().with_timezone(&tz);
        if parts.iter().all(|p| p.after(&probe).next().is_none()) {
            return Err(ScheduleError::Other {
                expr: source,
                problem: "never fires (no such date in the future)".into(),
            });
        }
        Ok(CronSchedule {
            source,
            translated,
            parts,
            tz,
        })
    }

    /// The first time strictly after `t` at which the schedule fires.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = t.with_timezone(&self.tz);
        self.parts
            .iter()
            .filter_map(|p| p.after(&local).next())
            .map(|d| d.with_timezone(&Utc))
            .min()
    }

    /// The longest gap between the next few firings after `t`: how often the schedule fires at
    /// worst (`*/2 * * * *`: 2 minutes; `0 9-17 * * *`: the night). `None` if it never fires.
    pub fn longest_gap_after(&self, t: DateTime<Utc>) -> Option<chrono::Duration> {
        let mut previous = self.next_after(t)?;
        let mut longest = chrono::Duration::zero();
        // A day's worth of an hourly schedule; enough to see a gap that repeats daily.
        for _ in 0..24 {
            let Some(next) = self.next_after(previous) else {
                break;
            };
            longest = longest.max(next - previous);
            previous = next;
        }
        Some(longest)
    }

    /// The expression as the user wrote it.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// What was understood, for the log: the crate expressions and the timezone.
    pub fn understood(&self) -> String {
        format!(
            "{} (as {} in {})",
            self.source,
            self.translated.join(" or "),
            self.tz.name()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, TimeZone, Weekday};

    /// Saturday 2026-08-01 00:00 UTC.
    fn saturday() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 8, 1, 0, 0, 0).unwrap()
    }

    fn next_n(expr: &str, n: usize) -> Vec<DateTime<Utc>> {
        let s = CronSchedule::parse(expr, Tz::UTC).unwrap();
        let mut t = saturday();
        let mut out = Vec::new();
        for _ in 0..n {
            t = s.next_after(t).unwrap();
            out.push(t);
        }
        out
    }

    #[test]
    fn the_longest_gap_is_how_often_it_fires_at_worst() {
        let every2 = CronSchedule::parse("*/2 * * * *", Tz::UTC).unwrap();
        assert_eq!(
            every2.longest_gap_after(saturday()),
            Some(chrono::Duration::minutes(2))
        );
        // Hourly during the day: the night is the longest gap.
        let office = CronSchedule::parse("0 9-17 * * *", Tz::UTC).unwrap();
        assert_eq!(
            office.longest_gap_after(saturday()),
            Some(chrono::Duration::hours(16))
        );
    }

    #[test]
    fn five_fields_every_two_minutes() {
        let times = next_n("*/2 * * * *", 3);
        assert_eq!(times[0], Utc.with_ymd_and_hms(2026, 8, 1, 0, 2, 0).unwrap());
        assert_eq!(times[2], Utc.with_ymd_and_hms(2026, 8, 1, 0, 6, 0).unwrap());
    }

    #[test]
    fn classic_weekdays_count_from_sunday_zero() {
        let days: Vec<Weekday> = next_n("0 9 * * 1-5", 5)
            .iter()
            .map(|t| t.weekday())
            .collect();
        assert_eq!(
            days,
            [
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri
            ]
        );
        assert_eq!(next_n("0 9 * * 0", 1)[0].weekday(), Weekday::Sun);
        assert_eq!(next_n("0 9 * * 7", 1)[0].weekday(), Weekday::Sun);
        assert_eq!(next_n("0 9 * * sat", 1)[0].weekday(), Weekday::Sat);
        assert_eq!(next_n("@weekly", 1)[0].weekday(), Weekday::Sun);
    }

    #[test]
    fn classic_day_fields_are_ored_when_both_restricted() {
        // The 13th of the month, or any Friday.
        let times = next_n("0 12 13 * 5", 3);
        let days: Vec<(u32, Weekday)> = times.iter().map(|t| (t.day(), t.weekday())).collect();
        assert_eq!(
            days,
            [(7, Weekday::Fri), (13, Weekday::Thu), (14, Weekday::Fri)]
        );
        // A starred day-of-month keeps the AND (Vixie cron's rule).
        let anded = next_n("0 12 */2 * 5", 2);
        assert!(anded
            .iter()
            .all(|t| t.weekday() == Weekday::Fri && t.day() % 2 == 1));
    }

    #[test]
    fn six_and_seven_fields_are_the_crate_form() {
        let times = next_n("*/10 * * * * *", 2);
        assert_eq!(
            times[1],
            Utc.with_ymd_and_hms(2026, 8, 1, 0, 0, 20).unwrap()
        );
        // Crate weekdays count from Sunday = 1.
        assert_eq!(next_n("0 0 9 * * 1", 1)[0].weekday(), Weekday::Sun);
        let yearly = next_n("0 30 6 1 1 * 2030", 1);
        assert_eq!(
            yearly[0],
            Utc.with_ymd_and_hms(2030, 1, 1, 6, 30, 0).unwrap()
        );
    }

    #[test]
    fn a_timezone_moves_the_hours() {
        let london = parse_timezone("Europe/London").unwrap();
        let s = CronSchedule::parse("0 9 * * *", london).unwrap();
        // August: BST, UTC+1.
        assert_eq!(
            s.next_after(saturday()).unwrap(),
            Utc.with_ymd_and_hms(2026, 8, 1, 8, 0, 0).unwrap()
        );
        assert!(s.understood().contains("Europe/London"));
        assert!(parse_timezone("Mars/Olympus").is_err());
    }

    #[test]
    fn bad_expressions_name_the_field() {
        let cases = [
            ("* * *", "expected 5 fields"),
            (
                "61 * * * *",
                "field 1 (minute) has 61, which is out of range 0-59",
            ),
            (
                "0 25 * * *",
                "field 2 (hour) has 25, which is out of range 0-23",
            ),
            (
                "0 0 0 * *",
                "field 3 (day-of-month) has 0, which is out of range 1-31",
            ),
            ("0 0 * 13 *", "field 4 (month) has 13"),
            (
                "0 0 * * 8",
                "field 5 (day-of-week) has 8, which is out of range 0-7",
            ),
            (
                "0 0 * * FUN",
                "field 5 (day-of-week) has \"FUN\", which is neither a number",
            ),
            ("*/0 * * * *", "field 1 (minute) has step \"0\""),
            (
                "0 5-1 * * *",
                "field 2 (hour) has range \"5-1\" that runs backwards",
            ),
            ("0 0 L * *", "field 3 (day-of-month)"),
            (
                "0 0 0 * * 0",
                "field 6 (day-of-week) has 0, which is out of range 1-7",
            ),
            ("0 0 0 * * * 1800", "field 7 (year) has 1800"),
            ("@reboot", "@reboot is not a schedule"),
            ("0 0 30 2 *", "never fires"),
        ];
        for (expr, want) in cases {
            let err = CronSchedule::parse(expr, Tz::UTC).unwrap_err().to_string();
            assert!(err.contains(want), "{expr}: {err}");
            assert!(err.contains(expr), "the error quotes the expression: {err}");
        }
    }
}
