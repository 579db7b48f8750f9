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
    plain_host_key(url).unwrap_or_else(|| parsed_host_key(url))
}

/// [`host_key`] by the URL parser, for any text.
fn parsed_host_key(url: &str) -> String {
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

/// [`host_key`] of the usual feed URL, read off its text: `http` or `https`, then a host of
/// ASCII letters, digits, dots and hyphens (a name whose last label starts with a letter, or
/// a dotted quad as the parser writes it), then an optional decimal port. The same key the
/// parser gives, without its IDNA pass: a cycle asks once per feed, and a parse was a
/// tenth of an all-304 cycle's instructions. `None` for anything else.
fn plain_host_key(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let default_port = match scheme {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => {
            if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (host, port.parse::<u16>().ok()?)
        }
        None => (authority, default_port),
    };
    let labels: Vec<&str> = host.split('.').collect();
    let plain = |label: &&str| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case("xn--"))
    };
    if !labels.iter().all(plain) {
        return None;
    }
    let last = labels.last()?;
    let name = last.starts_with(|c: char| c.is_ascii_alphabetic());
    let quad = labels.len() == 4
        && labels.iter().all(|l| {
            l.len() <= 3
                && l.bytes().all(|b| b.is_ascii_digit())
                && (l.len() == 1 || !l.starts_with('0'))
                && l.parse::<u8>().is_ok()
        });
    if !name && !quad {
        return None;
    }
    Some(format!("{}:{port}", host.to_ascii_lowercase()))
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

    #[test]
    fn the_plain_reading_is_taken_only_where_it_agrees_with_the_parser() {
        for (url, plain) in [
            ("https://Status.Zoom.us/history.atom", true),
            ("http://127.0.0.1:8080/a", true),
            ("https://status.example.com:443/feed?x=1", true),
            ("https://status.example.com#top", true),
            ("http://0.0.0.0/", true),
            ("http://127.1/", false),
            ("http://127.0.0.01/", false),
            ("http://256.0.0.1/", false),
            ("http://example.123/", false),
            ("http://example.0x1f/", false),
            ("http://xn--bcher-kva.example/", false),
            ("http://user@example.com/", false),
            ("http://example.com./", false),
            ("http://a..b/", false),
            ("http://example.com:/", false),
            ("http://example.com:+80/", false),
            ("http://example.com:99999/", false),
            ("HTTP://example.com/", false),
            ("http://exa\tmple.com/", false),
            ("http://[::1]:8080/", false),
            ("http://ex_ample.com/", false),
            ("ftp://example.com/", false),
        ] {
            assert_eq!(plain_host_key(url).is_some(), plain, "{url}");
            assert_eq!(host_key(url), parsed_host_key(url), "{url}");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_plain_reading_gives_the_parsers_key(
            scheme in "(http|https|HTTP|ftp)",
            host in "[a-zA-Z0-9.\\-_@%\\[\\]: \t]{0,20}",
            port in proptest::option::of("[0-9+]{0,6}"),
            rest in "(/[a-z]*|\\?q|#f|)",
        ) {
            let url = match port {
                Some(port) => format!("{scheme}://{host}:{port}{rest}"),
                None => format!("{scheme}://{host}{rest}"),
            };
            if let Some(key) = plain_host_key(&url) {
                proptest::prop_assert_eq!(key, parsed_host_key(&url), "{}", url);
            }
        }
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
