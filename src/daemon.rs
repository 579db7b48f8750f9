//! The daemon's clock: which feeds are due when, and the loop that runs them.
//!
//! Every tick re-reads the feeds from the database (so `feeds add/remove/import` need no
//! restart), computes from the clock — never from accumulated sleeps, so it cannot drift —
//! which feeds' schedules fired since the last tick, and starts those that are not backing off
//! and not still running from an earlier slot (an overrunning fetch skips its next slot rather
//! than piling up). A small random delay spreads feeds that share a schedule so that one host
//! does not see a burst. The feed work itself is [`Pipeline::poll_feed`].

use crate::pipeline::{CycleOptions, Done, FeedReport, Pipeline, PollSummary};
use crate::schedule::CronSchedule;
use crate::store::{FeedRow, StoreError};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use futures::stream::{FuturesUnordered, StreamExt};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// What the daemon needs besides the pipeline.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// The schedule of feeds without their own.
    pub schedule: CronSchedule,
    /// Timezone for per-feed schedules.
    pub timezone: Tz,
    /// Upper bound of the random delay spreading feeds that share a slot.
    pub max_jitter: Duration,
    /// When housekeeping runs (prune, optimize, checkpoint).
    pub housekeeping: CronSchedule,
    /// Keep `fetches` rows this long.
    pub keep_fetches: chrono::Duration,
}

/// Commands to the running loop from outside (signals).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Run,
    /// Stop taking new work; in-flight fetches finish (or are abandoned after the grace).
    Stop,
}

/// What the caller hears as the daemon's work finishes (its totals, wake-ups, metrics).
pub trait Observer: Send + Sync {
    /// One feed is done: stored, failed or removed.
    fn feed_done(&self, report: &FeedReport);
    /// One tick's due feeds are all done and the cycle settled (unreached feeds written,
    /// correlation judged).
    fn tick_done(&self, tick: &TickReport);
}

/// One tick's work. The daemon has no global cycle (every feed keeps its own schedule), so a
/// "cycle" is the feeds one tick found due: `duration` runs from the tick until the last of
/// them is stored and the cycle settled, the jitter spreading them included.
#[derive(Debug, Clone)]
pub struct TickReport {
    pub duration: Duration,
    pub summary: PollSummary,
}

/// Per-feed schedules, parsed once per distinct expression; a bad one is logged once and the
/// feed falls back to the global schedule. Their next times are remembered per instant until
/// [`Schedules::forget_times`]: 2,000 feeds share a handful of schedules, and one cron search
/// costs as much as reading the feed's row.
struct Schedules {
    global: CronSchedule,
    tz: Tz,
    cache: HashMap<String, Option<CronSchedule>>,
    /// Per schedule (`""`: the global one): the instants asked about and their next times.
    next: HashMap<String, Vec<NextTime>>,
}

/// An instant, and a schedule's next time after it.
type NextTime = (DateTime<Utc>, Option<DateTime<Utc>>);

impl Schedules {
    fn new(global: CronSchedule, tz: Tz) -> Schedules {
        Schedules {
            global,
            tz,
            cache: HashMap::new(),
            next: HashMap::new(),
        }
    }

    /// The schedule of a feed whose own is `schedule` (`title` names it in the log).
    fn for_feed(&mut self, title: &str, schedule: Option<&str>) -> &CronSchedule {
        let Some(expr) = own_schedule(schedule) else {
            return &self.global;
        };
        let tz = self.tz;
        let parsed = self.cache.entry(expr.to_string()).or_insert_with(|| {
            match CronSchedule::parse(expr, tz) {
                Ok(s) => {
                    tracing::info!(feed = %title, schedule = %s.understood(), "Feed has its own schedule.");
                    Some(s)
                }
                Err(error) => {
                    tracing::error!(feed = %title, %error, "Feed schedule is invalid; using the global schedule: fix it with `feeds add URL --schedule`.");
                    None
                }
            }
        });
        match parsed {
            Some(s) => s,
            None => &self.global,
        }
    }

    /// The feed's next slot after `t`.
    fn next_after(
        &mut self,
        title: &str,
        schedule: Option<&str>,
        t: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let key = own_schedule(schedule).unwrap_or("");
        if let Some(&(_, next)) = self
            .next
            .get(key)
            .and_then(|v| v.iter().find(|(at, _)| *at == t))
        {
            return next;
        }
        let next = self.for_feed(title, schedule).next_after(t);
        self.next
            .entry(key.to_string())
            .or_default()
            .push((t, next));
        next
    }

    /// Drops the remembered next times (the instants asked about move on every tick).
    fn forget_times(&mut self) {
        self.next.clear();
    }
}

/// A feed's own schedule expression, if it has one (blank means the global schedule).
fn own_schedule(schedule: Option<&str>) -> Option<&str> {
    schedule.filter(|s| !s.trim().is_empty())
}

/// Start times a slot's jitter chooses from: feeds sharing one start together, so the
/// runtime wakes 100 times a slot rather than once per feed (2,000 wake-ups a slot, each a
/// fetch alone and a write alone, made a 2,000-feed slot cost twice a `poll`; bench/steady.sh).
const JITTER_STEPS: u32 = 100;

/// Deterministic-enough jitter without a dependency: the feed id and the slot time hashed,
/// one of [`JITTER_STEPS`] evenly spaced delays below `max`.
fn jitter(feed_id: i64, slot: DateTime<Utc>, max: Duration) -> Duration {
    use std::hash::{Hash, Hasher};
    if max.is_zero() {
        return Duration::ZERO;
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (feed_id, slot.timestamp(), std::process::id()).hash(&mut h);
    let step = (h.finish() % u64::from(JITTER_STEPS)) as u32;
    max / JITTER_STEPS * step
}

/// Runs until `control` says stop; returns when no new work will start. In-flight feed tasks
/// are handed back so the caller can give them a grace period.
///
/// `schedules` carries a new global schedule and timezone (a reloaded configuration); it takes
/// effect at the next tick.
pub async fn run(
    pipeline: Pipeline,
    options: DaemonOptions,
    mut control: watch::Receiver<Control>,
    mut schedule_updates: watch::Receiver<(CronSchedule, Tz)>,
    observer: Arc<dyn Observer>,
) -> Result<JoinSet<()>, StoreError> {
    let mut schedules = Schedules::new(options.schedule.clone(), options.timezone);
    tracing::info!(schedule = %options.schedule.understood(), "Daemon started.");
    let in_flight: Arc<Mutex<HashSet<i64>>> = Arc::new(Mutex::new(HashSet::new()));
    let mut tasks = JoinSet::new();
    let mut last_tick = Utc::now();
    let mut next_housekeeping = options.housekeeping.next_after(last_tick);
    loop {
        // Reap finished tasks so the set does not grow for months.
        while tasks.try_join_next().is_some() {}
        schedules.forget_times();
        // Only the schedules, not every feed's row: this runs on every wake-up.
        let enabled = pipeline.writer.run(|s| s.enabled_schedules()).await?;
        let mut wake = enabled
            .iter()
            .filter_map(|(schedule, title)| {
                schedules.next_after(title, schedule.as_deref(), last_tick)
            })
            .min()
            .unwrap_or_else(|| last_tick + chrono::Duration::seconds(60));
        if let Some(h) = next_housekeeping {
            wake = wake.min(h);
        }
        let sleep = (wake - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        // Wake at most a minute later to pick up feeds added with an earlier schedule.
        let sleep = sleep.min(Duration::from_secs(60));
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            changed = control.changed() => {
                if changed.is_err() || *control.borrow() == Control::Stop {
                    tracing::info!(in_flight = tasks.len(), "Stopping: no new fetches will start.");
                    return Ok(tasks);
                }
                continue;
            }
            Ok(()) = schedule_updates.changed() => {
                let (schedule, tz) = schedule_updates.borrow_and_update().clone();
                tracing::info!(schedule = %schedule.understood(), "Schedule reloaded.");
                schedules = Schedules::new(schedule, tz);
                continue;
            }
        }
        let now = Utc::now();
        if now < wake {
            continue; // woke early to re-read the feeds
        }
        if next_housekeeping.is_some_and(|h| h <= now) {
            next_housekeeping = options.housekeeping.next_after(now);
            let keep = options.keep_fetches;
            match pipeline
                .writer
                .run(move |s| s.housekeeping(now - keep))
                .await
            {
                Ok((fetches, deliveries)) => tracing::info!(
                    pruned_fetches = fetches,
                    pruned_deliveries = deliveries,
                    "Housekeeping done."
                ),
                Err(error) => tracing::error!(%error, "Housekeeping failed."),
            }
        }
        // Read again now: the list read before sleeping predates the writes of the fetches
        // that were still running then (validators, backoff), and using it would fetch a feed
        // without its new ETag or during its backoff.
        let feeds = pipeline.writer.run(|s| s.list_feeds()).await?;
        let mut due = Vec::new();
        let mut skipped = 0;
        for feed in feeds {
            let (title, own) = (feed.spec.title.as_str(), feed.spec.schedule.as_deref());
            let fired = schedules
                .next_after(title, own, last_tick)
                .is_some_and(|t| t <= now);
            if !fired {
                continue;
            }
            if !feed.is_due(now) {
                tracing::debug!(feed = %feed.spec.title, enabled = feed.enabled, until = ?feed.next_fetch_at, "Feed is not due (disabled or backing off).");
                continue;
            }
            let newly = in_flight
                .lock()
                .map(|mut set| set.insert(feed.id))
                .unwrap_or(false);
            if !newly {
                skipped += 1;
                tracing::warn!(feed = %feed.spec.title, "Feed is still being fetched from an earlier slot; skipping this one.");
                continue;
            }
            // Never jitter past a quarter of the way to the feed's next slot, so seconds-level
            // schedules stay on time.
            let until_next = schedules
                .next_after(title, own, now)
                .and_then(|n| (n - now).to_std().ok())
                .unwrap_or(Duration::ZERO);
            let delay = jitter(feed.id, now, options.max_jitter.min(until_next / 4));
            due.push((feed, delay));
        }
        if !due.is_empty() || skipped > 0 {
            tracing::debug!(due = due.len(), skipped, "Tick.");
        }
        if !due.is_empty() {
            tasks.spawn(run_tick(
                pipeline.clone(),
                due,
                Arc::clone(&in_flight),
                Arc::clone(&observer),
            ));
        }
        last_tick = now;
    }
}

/// One tick's feeds: each is cleared from `in_flight` as soon as it is stored, so a slow feed
/// holds back only itself; unreachable ones wait for the tick's network-down judgement.
async fn run_tick(
    pipeline: Pipeline,
    due: Vec<(FeedRow, Duration)>,
    in_flight: Arc<Mutex<HashSet<i64>>>,
    observer: Arc<dyn Observer>,
) {
    let started = std::time::Instant::now();
    let total = due.len();
    let clear = |id: i64| {
        if let Ok(mut set) = in_flight.lock() {
            set.remove(&id);
        }
    };
    let mut running: FuturesUnordered<_> = due
        .into_iter()
        .map(|(feed, delay)| {
            let pipeline = &pipeline;
            let feed = Box::new(feed);
            async move {
                tokio::time::sleep(delay).await;
                let id = feed.id;
                (id, pipeline.poll_feed(feed, CycleOptions::default()).await)
            }
        })
        .collect();
    let mut finished = Vec::new();
    let mut unreached = Vec::new();
    while let Some((id, result)) = running.next().await {
        match result {
            Ok(Done::Report(report)) => {
                tracing::debug!(feed = %report.title, result = ?report.result, "Feed fetched.");
                observer.feed_done(&report);
                clear(id);
                finished.push(Done::Report(report));
            }
            Ok(unreachable) => unreached.push((id, unreachable)),
            Err(error) => {
                tracing::error!(%error, "Database error while storing a feed.");
                clear(id);
            }
        }
    }
    let ids: Vec<i64> = unreached.iter().map(|(id, _)| *id).collect();
    finished.extend(unreached.into_iter().map(|(_, d)| d));
    let summary: PollSummary = match pipeline.settle(total, finished).await {
        Ok((summary, reports)) => {
            for report in reports.iter().filter(|r| ids.contains(&r.feed_id)) {
                observer.feed_done(report);
            }
            summary
        }
        Err(error) => {
            tracing::error!(%error, "Database error while recording unreachable feeds.");
            PollSummary::default()
        }
    };
    for id in ids {
        clear(id);
    }
    tracing::info!(
        feeds = summary.feeds,
        fetched = summary.fetched,
        not_modified = summary.not_modified,
        failed = summary.errors,
        new = summary.new,
        updated = summary.updated,
        events = summary.events,
        network_down = summary.network_down,
        "Cycle done."
    );
    observer.tick_done(&TickReport {
        duration: started.elapsed(),
        summary,
    });
}

#[cfg(test)]
mod tests {
    use super::{jitter, Schedules};
    use crate::schedule::CronSchedule;
    use chrono::{TimeZone, Utc};
    use std::time::Duration;

    #[test]
    fn remembered_next_times_are_each_schedules_own() {
        let tz = chrono_tz::UTC;
        let global = CronSchedule::parse("*/2 * * * *", tz).expect("valid");
        let hourly = CronSchedule::parse("0 * * * *", tz).expect("valid");
        let mut schedules = Schedules::new(global.clone(), tz);
        let t = Utc
            .with_ymd_and_hms(2026, 12, 4, 10, 31, 0)
            .single()
            .expect("a time");
        let later = t + chrono::Duration::minutes(1);
        assert_ne!(global.next_after(t), global.next_after(later));
        for _ in 0..2 {
            // Asked twice: the second answer comes from memory and must be the same, and
            // each instant keeps its own.
            assert_eq!(schedules.next_after("a", None, t), global.next_after(t));
            assert_eq!(
                schedules.next_after("a", None, later),
                global.next_after(later)
            );
            assert_eq!(
                schedules.next_after("b", Some("  "), t),
                global.next_after(t)
            );
            assert_eq!(
                schedules.next_after("c", Some("0 * * * *"), t),
                hourly.next_after(t)
            );
            assert_eq!(
                schedules.next_after("c", Some("0 * * * *"), later),
                hourly.next_after(later)
            );
            // A bad schedule falls back to the global one.
            assert_eq!(
                schedules.next_after("d", Some("not cron"), t),
                global.next_after(t)
            );
        }
        assert_ne!(global.next_after(t), hourly.next_after(t));
        schedules.forget_times();
        assert!(schedules.next.is_empty());
        assert_eq!(
            schedules.next_after("a", None, later),
            global.next_after(later)
        );
    }

    #[test]
    fn jitter_stays_below_its_bound_and_spreads_feeds() {
        let slot = Utc::now();
        let max = Duration::from_secs(5);
        let delays: Vec<Duration> = (0..50).map(|id| jitter(id, slot, max)).collect();
        assert!(delays.iter().all(|d| *d < max));
        let distinct: std::collections::HashSet<_> = delays.iter().collect();
        assert!(distinct.len() > 10, "feeds sharing a slot are spread");
        assert!(
            delays.iter().all(|d| d.as_millis() % 50 == 0),
            "one of 100 start times: {delays:?}"
        );
        assert_eq!(jitter(1, slot, Duration::ZERO), Duration::ZERO);
        // A bound shorter than the steps still spreads below it.
        let short = Duration::from_millis(7);
        assert!((0..50).all(|id| jitter(id, slot, short) < short));
    }
}
