//! How many fetches run at once: a global limit, and a limit per host, so a cycle over
//! hundreds of feeds never opens hundreds of connections to one host (many vendors' pages
//! live on one status-page provider's servers).
//!
//! The pipeline holds the permits around the HTTP fetch only, not around parsing or the
//! database write, so a slow parse never keeps a host's slot. The host is the feed URL's
//! host and port; a redirect to another host is still counted against the first, which is
//! the one we chose to ask.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Global and per-host fetch slots, shared by every fetch of a cycle.
#[derive(Debug)]
pub struct Politeness {
    global: Arc<Semaphore>,
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// Both slots a fetch holds; released when dropped.
#[derive(Debug)]
pub struct Permits {
    _host: OwnedSemaphorePermit,
    _global: OwnedSemaphorePermit,
}

/// The key fetches to one server share: lowercase host and port (the URL text when it has
/// no host, so a bad URL still gets a slot and fails on its own).
pub fn host_key(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match u.host_str() {
            Some(host) => format!(
                "{}:{}",
                host.to_ascii_lowercase(),
                u.port_or_known_default().unwrap_or(0)
            ),
            None => url.to_string(),
        },
        Err(_) => url.to_string(),
    }
}

impl Politeness {
    /// At most `global` fetches at once, `per_host` of them to one host (each at least 1).
    pub fn new(global: usize, per_host: usize) -> Politeness {
        Politeness {
            global: Arc::new(Semaphore::new(global.max(1))),
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a slot on the URL's host, then a global one. Taking the host slot first
    /// means a feed queued behind its busy host does not sit on a global slot that feeds of
    /// other hosts could use. `None` once [`Politeness::close`] was called: the fetch must not
    /// start.
    pub async fn acquire(&self, url: &str) -> Option<Permits> {
        if self.global.is_closed() {
            return None;
        }
        let host = {
            // A poisoned lock only means another fetch panicked mid-insert; the map is
            // still usable.
            let mut hosts = self
                .hosts
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            Arc::clone(
                hosts
                    .entry(host_key(url))
                    .or_insert_with(|| Arc::new(Semaphore::new(self.per_host))),
            )
        };
        let host = host.acquire_owned().await.ok()?;
        let global = Arc::clone(&self.global).acquire_owned().await.ok()?;
        Some(Permits {
            _host: host,
            _global: global,
        })
    }

    /// Stops new fetches: every fetch waiting for a slot, and every later one, gets `None`
    /// (a stopping `poll`). Fetches holding their slots carry on.
    pub fn close(&self) {
        self.global.close();
        let hosts = self
            .hosts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for host in hosts.values() {
            host.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn hosts_are_keyed_by_name_and_port() {
        assert_eq!(
            host_key("https://Status.Zoom.us/history.atom"),
            "status.zoom.us:443"
        );
        assert_eq!(host_key("http://127.0.0.1:8080/a"), "127.0.0.1:8080");
        assert_eq!(host_key("not a url"), "not a url");
    }

    /// Runs `n` fetches of `url_of(i)`, each holding its permits for a moment, and returns
    /// the most that were in flight at once per key and overall.
    async fn peak(
        n: usize,
        global: usize,
        per_host: usize,
        url_of: fn(usize) -> String,
    ) -> (usize, usize) {
        let polite = Arc::new(Politeness::new(global, per_host));
        let in_host = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
        let in_all = Arc::new(AtomicUsize::new(0));
        let peak_host = Arc::new(AtomicUsize::new(0));
        let peak_all = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for i in 0..n {
            let (polite, in_host, in_all, peak_host, peak_all) = (
                Arc::clone(&polite),
                Arc::clone(&in_host),
                Arc::clone(&in_all),
                Arc::clone(&peak_host),
                Arc::clone(&peak_all),
            );
            tasks.push(tokio::spawn(async move {
                let url = url_of(i);
                let key = host_key(&url);
                let _permits = polite.acquire(&url).await.unwrap();
                {
                    let mut map = in_host.lock().unwrap();
                    let count = map.entry(key.clone()).or_default();
                    *count += 1;
                    peak_host.fetch_max(*count, Ordering::SeqCst);
                }
                let all = in_all.fetch_add(1, Ordering::SeqCst) + 1;
                peak_all.fetch_max(all, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                in_all.fetch_sub(1, Ordering::SeqCst);
                *in_host.lock().unwrap().get_mut(&key).unwrap() -= 1;
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        (
            peak_host.load(Ordering::SeqCst),
            peak_all.load(Ordering::SeqCst),
        )
    }

    #[tokio::test]
    async fn one_host_never_gets_more_than_its_share() {
        let (host, all) = peak(40, 16, 2, |i| {
            format!("https://shared.example.com/{i}.atom")
        })
        .await;
        assert_eq!(host, 2);
        assert!(all <= 2);
    }

    #[tokio::test]
    async fn many_hosts_are_bounded_by_the_global_limit() {
        let (host, all) = peak(40, 4, 2, |i| {
            format!("https://h{}.example.com/feed", i % 10)
        })
        .await;
        assert!(host <= 2);
        assert_eq!(all, 4);
    }

    #[tokio::test]
    async fn closing_stops_waiting_and_later_fetches_but_not_held_ones() {
        let polite = Arc::new(Politeness::new(1, 1));
        let held = polite.acquire("http://a.test/1").await.unwrap();
        let waiting = {
            let polite = Arc::clone(&polite);
            tokio::spawn(async move { polite.acquire("http://a.test/2").await.is_some() })
        };
        tokio::task::yield_now().await;
        polite.close();
        assert!(!waiting.await.unwrap(), "a waiting fetch does not start");
        assert!(polite.acquire("http://b.test/").await.is_none());
        drop(held);
    }
}
