//! The retry policy of every webhook (`[delivery]`): the request timeout, exponential backoff
//! with jitter between attempts, and when an event becomes a dead letter. Pure: the worker asks
//! it how long to wait.

use std::time::Duration;

/// Added to the request timeout for an attempt's lease, to cover recording its outcome.
const LEASE_MARGIN: Duration = Duration::from_secs(2);

/// Timeouts and retries, the same for every webhook (`[delivery]` in the configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// Per-request timeout.
    pub timeout: Duration,
    /// Wait after the first failure; doubles after each further one.
    pub first_retry: Duration,
    /// Longest wait between two attempts.
    pub max_retry: Duration,
    /// Attempts before an event becomes a dead letter.
    pub max_attempts: u32,
    /// How often an idle `run_until` looks for events written by other processes.
    pub idle: Duration,
    /// Where receivers may be (`[network]`, the same policy as feeds').
    pub network: crate::fetch::NetworkPolicy,
}

impl Default for DeliveryPolicy {
    /// 13 attempts over about a day: 30 s, 1, 2, 4, 8, 16, 32, 64, 128, 256 min, 8 h, 8 h
    /// (each ±20 %).
    fn default() -> DeliveryPolicy {
        DeliveryPolicy {
            timeout: Duration::from_secs(10),
            first_retry: Duration::from_secs(30),
            max_retry: Duration::from_secs(8 * 3600),
            max_attempts: 13,
            idle: Duration::from_secs(5),
            network: crate::fetch::NetworkPolicy::default(),
        }
    }
}

impl DeliveryPolicy {
    /// The wait after `failures` failed attempts (1 or more), before jitter.
    pub fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        self.first_retry
            .saturating_mul(1u32 << doublings)
            .min(self.max_retry)
    }

    /// The wait with ±20 % jitter, and at least what the receiver asked for in `Retry-After`
    /// (but never more than `max_retry`).
    pub(super) fn next_wait(&self, failures: u32, retry_after: Option<Duration>) -> Duration {
        let jitter = 0.8 + 0.4 * fastrand::f64();
        let wait = self.backoff(failures).mul_f64(jitter);
        match retry_after {
            Some(asked) => wait.max(asked.min(self.max_retry)),
            None => wait,
        }
    }

    /// How long an attempt holds its event: the request timeout plus recording its outcome.
    pub(super) fn lease(&self) -> Duration {
        self.timeout + LEASE_MARGIN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_backoff_spans_about_a_day() {
        let policy = DeliveryPolicy::default();
        assert_eq!(policy.backoff(1), Duration::from_secs(30));
        assert_eq!(policy.backoff(2), Duration::from_secs(60));
        assert_eq!(policy.backoff(11), Duration::from_secs(8 * 3600));
        assert_eq!(policy.backoff(40), Duration::from_secs(8 * 3600));
        let total: Duration = (1..policy.max_attempts).map(|n| policy.backoff(n)).sum();
        let hours = total.as_secs_f64() / 3600.0;
        assert!((20.0..30.0).contains(&hours), "{hours} h");
    }

    #[test]
    fn jitter_stays_within_a_fifth_and_retry_after_is_honoured_up_to_the_cap() {
        let policy = DeliveryPolicy::default();
        for _ in 0..100 {
            let w = policy.next_wait(3, None).as_secs_f64();
            assert!((96.0..=144.0).contains(&w), "{w}");
        }
        let asked = policy.next_wait(1, Some(Duration::from_secs(600)));
        assert_eq!(asked, Duration::from_secs(600));
        let capped = policy.next_wait(1, Some(Duration::from_secs(86_400 * 7)));
        assert_eq!(capped, policy.max_retry);
    }
}
