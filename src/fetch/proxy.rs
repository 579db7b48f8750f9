//! Which HTTP proxy a request goes through, decided here from the environment and handed to
//! reqwest explicitly (its own reading of the environment is switched off), so the rules are
//! ours, tested and documented (README "Proxies", docs/network.md).
//!
//! - `http://` URLs use `http_proxy`/`HTTP_PROXY`, `https://` URLs `https_proxy`/`HTTPS_PROXY`;
//!   either falls back to `all_proxy`/`ALL_PROXY`. The lower-case name wins when both are
//!   set (curl's order). An empty value is unset; a value without a scheme is `http://`.
//! - `no_proxy`/`NO_PROXY` lists hosts reached directly ([`NoProxy`]).
//! - A URL naming this machine (`localhost`, 127.0.0.0/8, `::1`) never goes through a proxy:
//!   a proxy elsewhere cannot reach this machine's services, and should not see the request.
//! - Only HTTP(S) proxies: a `socks5://` value is an error naming the variable, not ignored.
//!
//! Under a proxy the feed's host is resolved by the proxy, not here: the network policy then
//! holds for the URL as written (literal addresses, every redirect hop) and for the proxy's
//! own address, which the user chose, so it may be on this machine or a private network but
//! never a link-local or metadata address.

use super::network::{self, NetworkPolicy};
use ipnet::IpNet;
use std::net::IpAddr;
use url::{Host, Url};

/// The proxies the environment configures, per URL scheme, and what bypasses them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proxies {
    http: Option<Chosen>,
    https: Option<Chosen>,
    no_proxy: NoProxy,
}

/// One configured proxy and the variable it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Chosen {
    url: Url,
    var: &'static str,
}

/// A proxy variable statuswatch cannot use; says which and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the environment variable {var} ({shown}) {why}; fix it or unset it where statuswatch runs"
)]
pub struct ProxyError {
    pub var: &'static str,
    /// The value, credentials redacted.
    pub shown: String,
    pub why: String,
}

const HTTP_VARS: [&str; 4] = ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"];
const HTTPS_VARS: [&str; 4] = ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"];

impl Proxies {
    /// No proxy at all.
    pub fn none() -> Proxies {
        Proxies::default()
    }

    /// The proxies this process's environment configures.
    pub fn from_env() -> Result<Proxies, ProxyError> {
        Proxies::from_vars(|name| std::env::var(name).ok())
    }

    /// The proxies `get` (a variable's value by name) configures; pure, for tests.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Proxies, ProxyError> {
        let first = |names: &[&'static str]| {
            names.iter().find_map(|&name| {
                get(name)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (name, v))
            })
        };
        let chosen =
            |names: &[&'static str]| first(names).map(|(var, v)| parse(var, &v)).transpose();
        let no_proxy = first(&["no_proxy", "NO_PROXY"])
            .map(|(_, v)| NoProxy::parse(&v))
            .unwrap_or_default();
        Ok(Proxies {
            http: chosen(&HTTP_VARS)?,
            https: chosen(&HTTPS_VARS)?,
            no_proxy,
        })
    }

    /// Whether any proxy is configured.
    pub fn is_empty(&self) -> bool {
        self.http.is_none() && self.https.is_none()
    }

    /// The proxy a request to `url` goes through, if any.
    pub fn for_url(&self, url: &Url) -> Option<&Url> {
        let chosen = match url.scheme() {
            "http" => self.http.as_ref(),
            "https" => self.https.as_ref(),
            _ => None,
        }?;
        if network::names_this_machine(url) || self.no_proxy.matches(url) {
            return None;
        }
        Some(&chosen.url)
    }

    /// [`Proxies::for_url`] as it may be shown: credentials redacted (`http://***@proxy:3128/`).
    pub fn shown_for(&self, url: &str) -> Option<String> {
        // Asked once per feed per cycle: without proxies there is nothing to parse for.
        if self.is_empty() {
            return None;
        }
        let url = Url::parse(url).ok()?;
        self.for_url(&url)
            .map(|proxy| crate::redact::url(proxy.as_str()).into_owned())
    }

    /// The proxies' host names (not literal addresses): the resolver lets the user's chosen
    /// proxy be on this machine or a private network ([`network::CheckedResolver::trusting`]).
    pub fn host_names(&self) -> Vec<String> {
        [&self.http, &self.https]
            .into_iter()
            .flatten()
            .filter_map(|c| match c.url.host() {
                Some(Host::Domain(name)) => Some(name.to_ascii_lowercase()),
                _ => None,
            })
            .collect()
    }

    /// Refuses a proxy at a literal address the policy never dials (link-local, metadata);
    /// names are judged when they resolve.
    pub fn check(&self, policy: &NetworkPolicy) -> Result<(), ProxyError> {
        for chosen in [&self.http, &self.https].into_iter().flatten() {
            let ip = match chosen.url.host() {
                Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
                Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
                _ => continue,
            };
            policy.check_chosen(ip).map_err(|refused| ProxyError {
                var: chosen.var,
                shown: crate::redact::url(chosen.url.as_str()).into_owned(),
                why: format!("is a proxy statuswatch may not use: {refused}"),
            })?;
        }
        Ok(())
    }

    /// `builder` using exactly these proxies: reqwest's own reading of the environment is
    /// off, so a variable this module ignores (or a loopback URL) never reaches a proxy.
    pub fn apply(&self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        let builder = builder.no_proxy();
        if self.is_empty() {
            return builder;
        }
        let proxies = self.clone();
        // reqwest hands the function the scheme, host and port of the request (the decision
        // needs no more); it asks again for every connection, redirect hops included.
        builder.proxy(reqwest::Proxy::custom(move |url| {
            proxies.for_url(url).cloned()
        }))
    }
}

/// A proxy variable's value as a URL: `http://` assumed, only http(s) proxies.
fn parse(var: &'static str, value: &str) -> Result<Chosen, ProxyError> {
    let value = value.trim();
    let fail = |why: String| ProxyError {
        var,
        shown: crate::redact::url(value).into_owned(),
        why,
    };
    let text = match value.contains("://") {
        true => value.to_string(),
        false => format!("http://{value}"),
    };
    let url = Url::parse(&text).map_err(|e| {
        fail(format!(
            "is not a proxy URL ({e}); write one such as http://proxy.example:3128"
        ))
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(fail(format!(
            "names a {} proxy; statuswatch goes through HTTP proxies only (http:// or https://)",
            url.scheme()
        )));
    }
    if url.host().is_none() {
        return Err(fail(
            "names no proxy host; write one such as http://proxy.example:3128".into(),
        ));
    }
    Ok(Chosen { url, var })
}

/// `no_proxy`: hosts reached without the proxy. Comma (or space) separated entries, as curl,
/// Go and Python read them:
/// - `*` alone: every host;
/// - a name (`example.com`, `.example.com`, `*.example.com`): that host and every host under
///   it, compared without case or a trailing dot;
/// - an address (`10.1.2.3`, `::1`, `[::1]`) or a range (`10.0.0.0/8`): URLs whose host is a
///   literal address in it (a name is not resolved to find out);
/// - any of these with `:PORT`: only requests to that port.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoProxy {
    entries: Vec<(Pattern, Option<u16>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    All,
    Domain(String),
    Net(IpNet),
}

impl NoProxy {
    /// Reads the list; entries that are none of the above are skipped (as other readers do:
    /// a typo bypasses nothing rather than stopping every fetch).
    pub fn parse(text: &str) -> NoProxy {
        let entries = text
            .split([',', ' ', '\t'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .filter_map(entry)
            .collect();
        NoProxy { entries }
    }

    /// Whether a request to `url` bypasses the proxy.
    pub fn matches(&self, url: &Url) -> bool {
        let port = url.port_or_known_default();
        let ip = match url.host() {
            Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        let name = match url.host() {
            Some(Host::Domain(d)) => d.trim_end_matches('.').to_ascii_lowercase(),
            _ => String::new(),
        };
        self.entries.iter().any(|(pattern, want_port)| {
            if want_port.is_some() && *want_port != port {
                return false;
            }
            match pattern {
                Pattern::All => true,
                Pattern::Net(net) => ip.is_some_and(|ip| net.contains(&ip)),
                Pattern::Domain(d) => {
                    !name.is_empty()
                        && (name == *d
                            || name
                                .strip_suffix(d.as_str())
                                .is_some_and(|head| head.ends_with('.')))
                }
            }
        })
    }
}

/// One `no_proxy` entry and its port, if it names one.
fn entry(text: &str) -> Option<(Pattern, Option<u16>)> {
    if text == "*" {
        return Some((Pattern::All, None));
    }
    // A bare address or range first: `::1` and `fd00::/8` contain colons that are no port.
    if let Some(net) = net(text) {
        return Some((Pattern::Net(net), None));
    }
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) => (host, Some(port.parse::<u16>().ok()?)),
        None => (text, None),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Some(net) = net(host) {
        return Some((Pattern::Net(net), port));
    }
    let domain = host
        .trim_start_matches('*')
        .trim_start_matches('.')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if domain.is_empty() || domain.contains(['/', '*', '@']) {
        return None;
    }
    Some((Pattern::Domain(domain), port))
}

fn net(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .map(|n| n.trunc())
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn env(pairs: &[(&str, &str)]) -> Proxies {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Proxies::from_vars(|name| map.get(name).cloned()).unwrap()
    }

    #[test]
    fn no_proxy_reads_names_suffixes_star_addresses_ranges_and_ports() {
        let list = NoProxy::parse(
            "example.com, .corp.example ,*.wild.example internal.example:8080 10.0.0.0/8,192.168.1.7,::1,[fd00::5]:443, bogus:port",
        );
        let yes = |u: &str| assert!(list.matches(&url(u)), "{u} should bypass");
        let no = |u: &str| assert!(!list.matches(&url(u)), "{u} should use the proxy");
        yes("http://example.com/feed");
        yes("http://status.EXAMPLE.com./feed");
        no("http://notexample.com/");
        no("http://example.com.evil.net/");
        yes("https://corp.example/");
        yes("https://a.b.corp.example/");
        yes("https://x.wild.example/");
        yes("http://internal.example:8080/");
        no("http://internal.example/");
        yes("http://10.200.3.4/");
        no("http://11.0.0.1/");
        yes("http://192.168.1.7:9000/");
        no("http://192.168.1.8/");
        yes("http://[::1]:8080/");
        yes("https://[fd00::5]/");
        no("http://[fd00::5]/");
        // A name is never resolved to compare with a range.
        no("http://ten.example/");
        assert!(NoProxy::parse("*").matches(&url("https://anything.example/")));
        assert!(!NoProxy::parse("").matches(&url("https://anything.example/")));
        assert!(!NoProxy::parse("*.").matches(&url("https://anything.example/")));
    }

    #[test]
    fn each_scheme_has_its_variable_and_all_proxy_is_the_fallback() {
        let p = env(&[
            ("HTTP_PROXY", "http://upper:1"),
            ("http_proxy", "lower:2"),
            ("ALL_PROXY", "http://all:3"),
        ]);
        assert_eq!(
            p.for_url(&url("http://feed.example/")).map(Url::as_str),
            Some("http://lower:2/")
        );
        assert_eq!(
            p.for_url(&url("https://feed.example/")).map(Url::as_str),
            Some("http://all:3/")
        );
        assert!(p.for_url(&url("ftp://feed.example/")).is_none());
        let empty = env(&[("HTTPS_PROXY", "  ")]);
        assert!(empty.is_empty());
    }

    #[test]
    fn this_machine_is_never_proxied_and_no_proxy_is_honoured() {
        let p = env(&[
            ("ALL_PROXY", "http://proxy.example:3128"),
            ("NO_PROXY", "direct.example"),
        ]);
        for local in [
            "http://127.0.0.1:8080/feed",
            "http://127.9.9.9/",
            "http://[::1]/",
            "http://localhost/",
            "https://status.localhost/",
        ] {
            assert!(p.for_url(&url(local)).is_none(), "{local}");
        }
        assert!(p.for_url(&url("https://www.direct.example/")).is_none());
        assert!(p.for_url(&url("https://status.vendor.example/")).is_some());
    }

    #[test]
    fn credentials_are_redacted_when_shown() {
        let p = env(&[("HTTPS_PROXY", "http://user:s3cret@proxy.example:3128")]);
        let shown = p.shown_for("https://status.vendor.example/feed").unwrap();
        assert_eq!(shown, "http://***@proxy.example:3128/");
        assert_eq!(p.host_names(), vec!["proxy.example".to_string()]);
    }

    #[test]
    fn unusable_values_name_the_variable() {
        let map: HashMap<&str, &str> = [("ALL_PROXY", "socks5://u:pw@127.0.0.1:1080")].into();
        let err = Proxies::from_vars(|n| map.get(n).map(|v| v.to_string())).unwrap_err();
        assert_eq!(err.var, "ALL_PROXY");
        let text = err.to_string();
        assert!(text.contains("HTTP proxies only"), "{text}");
        assert!(!text.contains("pw"), "{text}");
        let map: HashMap<&str, &str> = [("https_proxy", "http://[::1")].into();
        let err = Proxies::from_vars(|n| map.get(n).map(|v| v.to_string())).unwrap_err();
        assert!(err.to_string().contains("https_proxy"), "{err}");
    }

    #[test]
    fn a_proxy_at_a_metadata_address_is_refused_but_this_machine_and_private_ones_are_not() {
        let policy = NetworkPolicy::default();
        let err = env(&[("HTTP_PROXY", "http://169.254.169.254:80")])
            .check(&policy)
            .unwrap_err();
        assert!(err.to_string().contains("169.254.169.254"), "{err}");
        assert_eq!(err.var, "HTTP_PROXY");
        assert!(env(&[("HTTP_PROXY", "http://127.0.0.1:3128")])
            .check(&policy)
            .is_ok());
        assert!(env(&[("HTTP_PROXY", "http://10.0.0.3:3128")])
            .check(&policy)
            .is_ok());
    }

    /// Names a client asks its resolver for; resolves nothing (no lookup leaves this test).
    #[derive(Clone, Default)]
    struct Recording(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

    impl reqwest::dns::Resolve for Recording {
        fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
            self.0.lock().unwrap().push(name.as_str().to_string());
            Box::pin(async { Err("this test resolves nothing".into()) })
        }
    }

    /// What the proxy design rests on: through a proxy, reqwest hands the target's name to
    /// the proxy and never asks the resolver for it (plain http as an absolute-form request,
    /// https as CONNECT). Otherwise the CheckedResolver would be asked, and a test that
    /// names a feed host elsewhere would do a real lookup.
    #[tokio::test]
    async fn through_a_proxy_the_target_name_is_never_resolved_here() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy_addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let mut heads = Vec::new();
            for _ in 0..2 {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = socket.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    head.extend_from_slice(&buf[..n]);
                }
                heads.push(String::from_utf8_lossy(&head).into_owned());
                // 502 answers both a request and a CONNECT: nothing more is needed.
                let _ = socket
                    .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            }
            heads
        });
        let proxy = format!("http://{proxy_addr}");
        let proxies = env(&[("HTTP_PROXY", &proxy), ("HTTPS_PROXY", &proxy)]);
        let recording = Recording::default();
        let client = proxies
            .apply(reqwest::Client::builder().dns_resolver(std::sync::Arc::new(recording.clone())))
            .build()
            .unwrap();
        let plain = client.get("http://feed.example/history.atom").send().await;
        assert_eq!(plain.unwrap().status().as_u16(), 502);
        let tls = client.get("https://feed.example/history.atom").send().await;
        assert!(tls.is_err(), "a CONNECT answered 502 is no tunnel");
        let heads = server.await.unwrap();
        assert!(
            heads[0].starts_with("GET http://feed.example/history.atom HTTP/1.1\r\n"),
            "{heads:?}"
        );
        assert!(
            heads[1].starts_with("CONNECT feed.example:443 HTTP/1.1\r\n"),
            "{heads:?}"
        );
        assert_eq!(*recording.0.lock().unwrap(), Vec::<String>::new());
    }
}
