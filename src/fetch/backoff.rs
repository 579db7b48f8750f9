//! When a failed feed is tried again: exponential backoff with jitter up to a cap, the
//! server's `Retry-After` honoured, and feeds gone for days (404/410) tried only daily.
//!
//! One pure function, [`next_attempt`], so the policy is tested without clocks or servers;
//! the pipeline stores its answer in `feeds.next_fetch_at`, which every fetching command
//! except `feeds check` obeys.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// The backoff policy; every field has a safe default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Wait after the first failure; doubles with each further one. Default 2 min.
    pub base: Duration,
    /// The longest wait for an ordinary failure. Default 4 h: a status feed that is broken
    /// for a day is still looked at six times that day.
    pub cap: Duration,
    /// A feed answering 404/410 for this long counts as gone. Default 3 days.
    pub gone_after: Duration,
    /// How often a gone feed is still tried (it may come back). Default 1 day; also the
    /// longest `Retry-After` honoured, so a server cannot switch a feed off for good.
    pub gone_retry: Duration,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        BackoffPolicy {
            base: Duration::from_secs(2 * 60),
            cap: Duration::from_secs(4 * 3600),
            gone_after: Duration::from_secs(3 * 24 * 3600),
            gone_retry: Duration::from_secs(24 * 3600),
        }
    }
}

/// What the policy needs to know about a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    /// Consecutive failures, this one included (1 for the first).
    pub consecutive: u32,
    /// The server's `Retry-After` (429, 503), already relative to now.
    pub retry_after: Option<Duration>,
    /// Since when the feed has answered 404/410, this answer included; `None` otherwise.
    pub gone_since: Option<DateTime<Utc>>,
}

/// Since when a feed has been gone, after a fetch that got `http_status` at `at`: a 404/410
/// starts or continues the streak, a fetch that got no answer at all (network trouble)
/// neither starts nor ends it, any other answer ends it. The one place this is decided: the
/// pipeline stores the answer in the fetch record, and backoff reads it from there.
pub fn gone_since(
    before: Option<DateTime<Utc>>,
    http_status: Option<u16>,
    at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match http_status {
        Some(404 | 410) => Some(before.unwrap_or(at)),
        None => before,
        Some(_) => None,
    }
}

/// When to try a failed feed again. `rng` gives a uniform number in [0, 1): the jitter that
/// keeps feeds which failed together (one host down) from all retrying at the same instant.
pub fn next_attempt(
    policy: &BackoffPolicy,
    failure: &Failure,
    now: DateTime<Utc>,
    rng: &mut dyn FnMut() -> f64,
) -> DateTime<Utc> {
    let gone_for_long = failure
        .gone_since
        .and_then(|since| (now - since).to_std().ok())
        .is_some_and(|gone| gone >= policy.gone_after);
    if gone_for_long {
        return now + to_chrono(policy.gone_retry);
    }
    let doublings = failure.consecutive.saturating_sub(1).min(32);
    let exponential = policy
        .base
        .checked_mul(1u32 << doublings.min(31))
        .unwrap_or(policy.cap)
        .min(policy.cap);
    // ±20 %, never past the cap.
    let jitter = 0.8 + 0.4 * rng().clamp(0.0, 1.0);
    let delay = exponential.mul_f64(jitter).min(policy.cap);
    // The server knows best when it can take us again: never earlier than it asked (it
    // chose the time, so no jitter), but never later than a gone feed's daily retry.
    let delay = match failure.retry_after {
        Some(asked) => delay.max(asked.min(policy.gone_retry)),
        None => delay,
    };
    now + to_chrono(delay)
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// A jitter source for production: fast, not cryptographic (nothing secret depends on it).
pub fn jitter() -> f64 {
    fastrand::f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-10-20T07:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn wait(failure: Failure, r: f64) -> Duration {
        let at = next_attempt(&BackoffPolicy::default(), &failure, now(), &mut || r);
        (at - now()).to_std().unwrap()
    }

    fn failure(consecutive: u32) -> Failure {
        Failure {
            consecutive,
            retry_after: None,
            gone_since: None,
        }
    }

    const MIN: u64 = 60;

    #[test]
    fn a_gone_streak_spans_404s_and_410s_and_survives_network_trouble_only() {
        let t0 = chrono::DateTime::from_timestamp(1_000, 0).unwrap();
        let t1 = chrono::DateTime::from_timestamp(2_000, 0).unwrap();
        assert_eq!(
            gone_since(None, Some(404), t1),
            Some(t1),
            "a first 404 starts it"
        );
        assert_eq!(
            gone_since(Some(t0), Some(410), t1),
            Some(t0),
            "a 410 continues it"
        );
        assert_eq!(
            gone_since(Some(t0), None, t1),
            Some(t0),
            "no answer keeps it"
        );
        assert_eq!(
            gone_since(None, None, t1),
            None,
            "no answer does not start it"
        );
        assert_eq!(
            gone_since(Some(t0), Some(500), t1),
            None,
            "another answer ends it"
        );
        assert_eq!(
            gone_since(Some(t0), Some(200), t1),
            None,
            "a success ends it"
        );
    }

    #[test]
    fn waits_double_with_each_failure_until_the_cap() {
        // Middle of the jitter range: exactly the exponential.
        let cases = [
            (1, 2 * MIN),
            (2, 4 * MIN),
            (3, 8 * MIN),
            (5, 32 * MIN),
            (7, 128 * MIN),
            (8, 240 * MIN),
            (50, 240 * MIN),
            (u32::MAX, 240 * MIN),
        ];
        for (n, want) in cases {
            let got = wait(failure(n), 0.5);
            let cap = Duration::from_secs(240 * MIN);
            // At the cap the jitter can only pull earlier.
            let want = Duration::from_secs(want);
            assert!(
                got == want || (want == cap && got <= cap && got >= cap.mul_f64(0.8)),
                "failure {n}: waited {got:?}, want {want:?}"
            );
        }
    }

    #[test]
    fn jitter_spreads_waits_by_a_fifth_either_way() {
        assert_eq!(wait(failure(1), 0.0), Duration::from_secs(96));
        let top = wait(failure(1), 0.999_999);
        assert!(top > Duration::from_millis(143_900) && top < Duration::from_secs(144));
        // Out-of-range randomness is clamped, not trusted.
        assert_eq!(wait(failure(1), 7.0), Duration::from_secs(144));
        assert!(wait(failure(30), 1.0) <= Duration::from_secs(240 * MIN));
    }

    #[test]
    fn retry_after_is_never_undercut() {
        let asked = |secs, n| Failure {
            consecutive: n,
            retry_after: Some(Duration::from_secs(secs)),
            gone_since: None,
        };
        assert_eq!(wait(asked(7200, 1), 0.5), Duration::from_secs(7200));
        // Our own backoff is longer than what the server asked: ours wins.
        assert_eq!(wait(asked(10, 3), 0.5), Duration::from_secs(8 * MIN));
        // A year is not honoured: a day at most, so the feed is not switched off for good.
        assert_eq!(
            wait(asked(365 * 86_400, 1), 0.5),
            Duration::from_secs(86_400)
        );
    }

    #[test]
    fn a_feed_gone_for_days_is_tried_daily() {
        let gone = |days| Failure {
            consecutive: 3,
            retry_after: None,
            gone_since: Some(now() - chrono::Duration::days(days)),
        };
        assert_eq!(
            wait(gone(1), 0.5),
            Duration::from_secs(8 * MIN),
            "gone briefly: ordinary backoff"
        );
        assert_eq!(wait(gone(3), 0.5), Duration::from_secs(86_400));
        assert_eq!(wait(gone(40), 0.0), Duration::from_secs(86_400));
    }
}
