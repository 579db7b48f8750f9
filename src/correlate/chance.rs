//! How surprising a burst is: the base rate of incident starts, and the Poisson tail.
//!
//! Incidents start at each vendor at its own rate, counted from the archive's history
//! (unplanned incidents over the baseline period, over the span the archive holds for that
//! vendor) and shrunk towards a prior for vendors with little history. Independent vendors'
//! starts in a window of length `w` are then Poisson with mean `w × Σ rate`; the chance of
//! `k` or more is the tail below. A burst whose tail is smaller than `max_chance` is no
//! coincidence.

use crate::model::cluster::VendorFacts;
use std::time::Duration;

/// Incidents per hour at one vendor: `(past + 1) / (history + prior)`, the prior being one
/// incident per `prior_interval` weighted as that long of history.
pub fn rate_per_hour(vendor: &VendorFacts, prior_interval: Duration) -> f64 {
    let prior_hours = (prior_interval.as_secs_f64() / 3600.0).max(1.0);
    (f64::from(vendor.past_incidents) + 1.0) / (vendor.history_hours.max(0.0) + prior_hours)
}

/// P(N ≥ k) for N ~ Poisson(mean).
pub fn poisson_tail(mean: f64, k: usize) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if mean <= 0.0 {
        return 0.0;
    }
    // Sum the tail from k upwards (terms shrink fast once i > mean); more accurate for the
    // small probabilities that matter here than 1 − CDF.
    let ln_first = -mean + (k as f64) * mean.ln() - ln_factorial(k);
    let mut term = ln_first.exp();
    let mut sum = term;
    let mut i = k;
    while i < k + 10_000 {
        i += 1;
        term *= mean / i as f64;
        sum += term;
        if term < sum * 1e-15 {
            break;
        }
    }
    sum.min(1.0)
}

fn ln_factorial(n: usize) -> f64 {
    (2..=n).map(|i| (i as f64).ln()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_matches_hand_computed_values() {
        // P(N ≥ 1) = 1 − e^−μ
        assert!((poisson_tail(0.5, 1) - (1.0 - (-0.5f64).exp())).abs() < 1e-12);
        // P(N ≥ 3 | μ = 0.25) = 1 − e^−μ (1 + μ + μ²/2)
        let mu: f64 = 0.25;
        let want = 1.0 - (-mu).exp() * (1.0 + mu + mu * mu / 2.0);
        assert!((poisson_tail(mu, 3) - want).abs() < 1e-12);
        assert_eq!(poisson_tail(0.0, 2), 0.0);
        assert_eq!(poisson_tail(3.0, 0), 1.0);
        // Tiny tails stay accurate rather than rounding to zero.
        let tiny = poisson_tail(0.01, 8);
        assert!(tiny > 2.4e-21 && tiny < 2.5e-21, "{tiny}");
        // Large means do not overflow.
        assert!((poisson_tail(500.0, 1) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_vendor_without_history_gets_the_prior_and_history_outweighs_it() {
        let mut v = crate::correlate::tests::vendor("a", &[]);
        let prior = Duration::from_secs(14 * 86_400);
        assert!((rate_per_hour(&v, prior) - 1.0 / (14.0 * 24.0)).abs() < 1e-12);
        v.past_incidents = 29;
        v.history_hours = 60.0 * 24.0;
        let rate = rate_per_hour(&v, prior);
        assert!((rate - 30.0 / (74.0 * 24.0)).abs() < 1e-12, "{rate}");
    }
}
