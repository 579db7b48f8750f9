//! Where statuswatch may connect: a check on every address actually dialled, so a feed (or a
//! redirect, or a DNS answer that changes between two lookups) cannot send a request to the
//! cloud metadata service or into a private network the operator never named.
//!
//! - Link-local addresses (169.254.0.0/16, fe80::/10, where metadata services answer), the
//!   known metadata addresses, unspecified, multicast and reserved ones: never.
//! - This machine (127.0.0.0/8, ::1): when the user named it (the configured URL's host is a
//!   loopback address or `localhost`), through every hop that stays on it; never as a
//!   redirect from another host or as what a public name resolves to. A local tool talks to
//!   local services, and the tests rely on it.
//! - Private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, …): only inside a range
//!   the configuration allows (`[network] allow = ["10.0.0.0/8"]`), which also opens any
//!   loopback address to names that resolve there.
//! - Everything else (the internet): yes.
//!
//! IPv4 written in IPv6 (`::ffff:127.0.0.1`, NAT64 `64:ff9b::a9fe:a9fe`) is judged as the IPv4
//! address it carries; the URL parser already reads `0x7f.1` and `2130706433` as 127.0.0.1.
//! Literal addresses are checked here before each request; names are checked by
//! [`CheckedResolver`] on the addresses the lookup returned, which are the ones dialled.

use crate::problems::Problems;
use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use url::{Host, Url};

/// The ranges the operator allows beyond the defaults (`[network] allow`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkPolicy {
    allow: Vec<IpNet>,
}

/// A connection statuswatch will not make, with why and what would allow it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refused to connect to {address}: {reason}")]
pub struct Refused {
    pub address: String,
    pub reason: String,
}

/// What an address is, as far as the policy cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Public,
    Loopback,
    /// A private range, with the standard range it lies in (what `allow` would name).
    Private(&'static str),
    /// Never dialled, with why.
    Never(&'static str),
}

const METADATA: &str =
    "a cloud metadata address, which statuswatch never connects to (credentials live there)";
const LINK_LOCAL: &str =
    "a link-local address, where cloud metadata services answer; statuswatch never connects there";

fn kind_v4(ip: Ipv4Addr) -> Kind {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        _ if ip == Ipv4Addr::new(100, 100, 100, 200) => Kind::Never(METADATA),
        (0, _, _) => Kind::Never("the unspecified network (0.0.0.0/8), which reaches this machine in disguise; statuswatch never connects there"),
        (127, _, _) => Kind::Loopback,
        (169, 254, _) => Kind::Never(LINK_LOCAL),
        (10, _, _) => Kind::Private("10.0.0.0/8"),
        (172, 16..=31, _) => Kind::Private("172.16.0.0/12"),
        (192, 168, _) => Kind::Private("192.168.0.0/16"),
        (100, 64..=127, _) => Kind::Private("100.64.0.0/10"),
        (192, 0, 0) => Kind::Private("192.0.0.0/24"),
        (198, 18..=19, _) => Kind::Private("198.18.0.0/15"),
        (224..=255, _, _) => Kind::Never(
            "a multicast, broadcast or reserved address; statuswatch never connects there",
        ),
        _ => Kind::Public,
    }
}

fn kind(ip: IpAddr) -> Kind {
    match ip {
        IpAddr::V4(v4) => kind_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = carried_v4(v6) {
                return kind_v4(v4);
            }
            let first = v6.segments()[0];
            if v6 == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254) {
                Kind::Never(METADATA)
            } else if v6.is_loopback() {
                Kind::Loopback
            } else if v6.is_unspecified() {
                Kind::Never("the unspecified address (::); statuswatch never connects there")
            } else if first & 0xffc0 == 0xfe80 {
                Kind::Never(LINK_LOCAL)
            } else if first & 0xff00 == 0xff00 {
                Kind::Never("a multicast address; statuswatch never connects there")
            } else if first & 0xfe00 == 0xfc00 {
                Kind::Private("fc00::/7")
            } else if first & 0xffc0 == 0xfec0 {
                Kind::Private("fec0::/10")
            } else {
                Kind::Public
            }
        }
    }
}

/// The IPv4 address an IPv6 one carries: mapped (`::ffff:a.b.c.d`), compatible (`::a.b.c.d`,
/// not `::` or `::1`) or NAT64 (`64:ff9b::a.b.c.d`).
fn carried_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = v6.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let zero_head = s[..6].iter().all(|&x| x == 0);
    if zero_head && !v6.is_loopback() && !v6.is_unspecified() {
        return Some(tail);
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6].iter().all(|&x| x == 0) {
        return Some(tail);
    }
    None
}

/// Whether a URL names this machine on purpose: a loopback address or `localhost`.
pub fn names_this_machine(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => kind(IpAddr::V4(ip)) == Kind::Loopback,
        Some(Host::Ipv6(ip)) => kind(IpAddr::V6(ip)) == Kind::Loopback,
        Some(Host::Domain(name)) => is_localhost(name),
        None => false,
    }
}

/// `localhost` and its subdomains (RFC 6761: they always resolve to this machine).
fn is_localhost(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

impl NetworkPolicy {
    /// A policy allowing `allow` beyond the defaults.
    pub fn new(allow: Vec<IpNet>) -> NetworkPolicy {
        NetworkPolicy { allow }
    }

    /// The ranges allowed beyond the defaults.
    pub fn allowed(&self) -> &[IpNet] {
        &self.allow
    }

    /// Whether `ip` may be dialled. `this_machine`: the user named this machine and the
    /// request has not left it.
    pub fn check(&self, ip: IpAddr, this_machine: bool) -> Result<(), Refused> {
        let refused = |reason: String| Refused {
            address: ip.to_string(),
            reason,
        };
        match kind(ip) {
            Kind::Public => Ok(()),
            Kind::Never(why) => Err(refused(why.to_string())),
            _ if self.allow.iter().any(|net| net.contains(&ip)) => Ok(()),
            Kind::Loopback if this_machine => Ok(()),
            Kind::Loopback => Err(refused(format!(
                "this machine, reached from a URL that did not name it (a redirect or a DNS \
                 answer); name this machine in the URL (127.0.0.1, localhost), or allow it in \
                 the configuration: [network] allow = [\"{ip}/32\"]"
            ))),
            Kind::Private(range) => Err(refused(format!(
                "a private address; allow its range in the configuration if statuswatch should \
                 reach it: [network] allow = [\"{range}\"]"
            ))),
        }
    }

    /// Whether `ip` may be dialled as an address the user chose outright (a configured
    /// proxy, see `proxy.rs`): anything but what is never dialled.
    pub fn check_chosen(&self, ip: IpAddr) -> Result<(), Refused> {
        match kind(ip) {
            Kind::Never(why) => Err(Refused {
                address: ip.to_string(),
                reason: why.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// The check for a request to `url` made on behalf of a configured URL that
    /// `this_machine` says named this machine: a literal address is judged now; a name
    /// is judged when it resolves ([`CheckedResolver`]), except `localhost`, which only a URL
    /// that named this machine may reach.
    pub fn check_url(&self, url: &Url, this_machine: bool) -> Result<(), Refused> {
        match url.host() {
            Some(Host::Ipv4(ip)) => self.check(IpAddr::V4(ip), this_machine),
            Some(Host::Ipv6(ip)) => self.check(IpAddr::V6(ip), this_machine),
            Some(Host::Domain(name)) if is_localhost(name) && !this_machine => Err(Refused {
                address: name.to_string(),
                reason: "this machine, reached from a URL on another host (a redirect); a \
                         feed may not send statuswatch to this machine's services"
                    .to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// The addresses of `name` this policy lets statuswatch dial, or why none.
    pub fn filter(&self, name: &str, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, Refused> {
        let this_machine = is_localhost(name);
        self.filter_by(name, addrs, |ip| self.check(ip, this_machine))
    }

    /// [`NetworkPolicy::filter`] for a name the user chose outright (a configured proxy).
    pub fn filter_chosen(
        &self,
        name: &str,
        addrs: Vec<SocketAddr>,
    ) -> Result<Vec<SocketAddr>, Refused> {
        self.filter_by(name, addrs, |ip| self.check_chosen(ip))
    }

    fn filter_by(
        &self,
        name: &str,
        addrs: Vec<SocketAddr>,
        check: impl Fn(IpAddr) -> Result<(), Refused>,
    ) -> Result<Vec<SocketAddr>, Refused> {
        let mut first_refusal = None;
        let allowed: Vec<SocketAddr> = addrs
            .into_iter()
            .filter(|addr| match check(addr.ip()) {
                Ok(()) => true,
                Err(refused) => {
                    first_refusal.get_or_insert(refused);
                    false
                }
            })
            .collect();
        match (allowed.is_empty(), first_refusal) {
            (true, Some(refused)) => Err(Refused {
                address: format!("{name} ({})", refused.address),
                reason: refused.reason,
            }),
            _ => Ok(allowed),
        }
    }
}

/// The HTTP client's DNS resolver: the system's lookup, then [`NetworkPolicy::filter`] on what
/// it returned, so the addresses dialled are the addresses checked (no second lookup that a
/// rebinding name could answer differently).
#[derive(Debug, Clone)]
pub struct CheckedResolver {
    policy: Arc<NetworkPolicy>,
    /// Names the user chose outright (configured proxies): judged by
    /// [`NetworkPolicy::filter_chosen`]. The client resolves only the proxy's name when a
    /// request goes through it; a feed URL on the proxy's own host is the user's choice too.
    chosen: Arc<Vec<String>>,
}

impl CheckedResolver {
    pub fn new(policy: NetworkPolicy) -> CheckedResolver {
        CheckedResolver {
            policy: Arc::new(policy),
            chosen: Arc::new(Vec::new()),
        }
    }

    /// This resolver letting `names` (proxy hosts) resolve to this machine or a private
    /// network.
    pub fn trusting(self, names: Vec<String>) -> CheckedResolver {
        CheckedResolver {
            chosen: Arc::new(names),
            ..self
        }
    }

    /// The resolver of a client going through `proxies`, which are applied to `builder`
    /// too: the one way feeds' and webhooks' clients are set up for proxies.
    pub fn install(
        policy: &NetworkPolicy,
        proxies: &super::proxy::Proxies,
        builder: reqwest::ClientBuilder,
    ) -> reqwest::ClientBuilder {
        let resolver = CheckedResolver::new(policy.clone()).trusting(proxies.host_names());
        proxies.apply(builder.dns_resolver(Arc::new(resolver)))
    }
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        let chosen = Arc::clone(&self.chosen);
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed = match chosen.iter().any(|c| c.eq_ignore_ascii_case(&host)) {
                true => policy.filter_chosen(&host, found)?,
                false => policy.filter(&host, found)?,
            };
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// `[network]` as written in the configuration file.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    /// Address ranges (`10.0.0.0/8`) or single addresses statuswatch may connect to beyond
    /// the defaults: private networks, or this machine under another name.
    #[serde(default)]
    pub allow: Vec<toml::Spanned<String>>,
}

/// Validates `[network]`, each bad range reported at its line.
pub fn build(raw: RawNetwork, problems: &mut Problems) -> NetworkPolicy {
    let mut allow = Vec::new();
    for entry in raw.allow {
        let text = entry.get_ref().trim();
        let parsed = text
            .parse::<IpNet>()
            .or_else(|_| text.parse::<IpAddr>().map(IpNet::from));
        match parsed {
            Ok(net) => match kind(net.network()) {
                Kind::Never(why) => problems.at(
                    entry.span(),
                    format!("network.allow: {text} cannot be allowed: {why}"),
                ),
                _ => allow.push(net.trunc()),
            },
            Err(_) => problems.at(
                entry.span(),
                format!("network.allow: {text:?} is not an address range; write one such as \"10.0.0.0/8\", \"fd00::/8\" or \"192.168.1.20\""),
            ),
        }
    }
    NetworkPolicy::new(allow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn metadata_and_link_local_are_never_dialled_in_any_spelling() {
        let open = NetworkPolicy::new(vec!["0.0.0.0/0".parse().unwrap(), "::/0".parse().unwrap()]);
        for address in [
            "http://169.254.169.254/latest/meta-data/",
            "http://[fd00:ec2::254]/",
            "http://100.100.100.200/",
            "http://169.254.170.2/v2/credentials",
            "http://[::ffff:169.254.169.254]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[fe80::1]/",
            "http://2852039166/",
            "http://0xa9fea9fe/",
            "http://0251.0376.0251.0376/",
            "http://0.0.0.0/",
            "http://[::]/",
            "http://224.0.0.1/",
        ] {
            let Ok(parsed) = Url::parse(address) else {
                continue; // not a URL at all: refused earlier, as a bad URL
            };
            let err = open.check_url(&parsed, true).expect_err(&format!(
                "{address} must be refused even with everything allowed"
            ));
            assert!(err.reason.contains("never"), "{address}: {err}");
        }
    }

    #[test]
    fn this_machine_only_when_named_and_never_by_redirect_or_dns() {
        let policy = NetworkPolicy::default();
        for named in [
            "http://127.0.0.1:8080/feed",
            "http://127.1.2.3/",
            "http://[::1]/",
            "http://0x7f.1/",
            "http://2130706433/",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost:9/",
            "http://status.localhost/",
        ] {
            let u = url(named);
            assert!(names_this_machine(&u), "{named}");
            assert_eq!(policy.check_url(&u, true), Ok(()), "{named}");
            // The same address as a redirect from a feed elsewhere.
            let err = policy.check_url(&u, false).unwrap_err();
            assert!(err.reason.contains("this machine"), "{named}: {err}");
        }
        assert!(!names_this_machine(&url("http://example.com/")));
        // A public name that resolves here (DNS rebinding) is refused, and says what allows it.
        let err = policy
            .filter("evil.example", vec!["127.0.0.1:0".parse().unwrap()])
            .unwrap_err();
        assert_eq!(err.address, "evil.example (127.0.0.1)");
        assert!(
            err.reason.contains("[network] allow = [\"127.0.0.1/32\"]"),
            "{err}"
        );
        // localhost resolving here is fine.
        assert!(policy
            .filter("localhost", vec!["[::1]:0".parse().unwrap()])
            .is_ok());
    }

    #[test]
    fn private_ranges_need_the_configuration_and_the_refusal_names_the_setting() {
        let policy = NetworkPolicy::default();
        for (address, range) in [
            ("10.1.2.3", "10.0.0.0/8"),
            ("172.20.0.9", "172.16.0.0/12"),
            ("192.168.1.1", "192.168.0.0/16"),
            ("100.64.0.1", "100.64.0.0/10"),
            ("fd12:3456::1", "fc00::/7"),
            ("::ffff:10.0.0.1", "10.0.0.0/8"),
        ] {
            let err = policy.check(ip(address), true).unwrap_err();
            assert!(
                err.to_string()
                    .contains(&format!("[network] allow = [\"{range}\"]")),
                "{address}: {err}"
            );
        }
        let allowing = NetworkPolicy::new(vec!["10.0.0.0/8".parse().unwrap()]);
        assert_eq!(allowing.check(ip("10.1.2.3"), false), Ok(()));
        assert!(allowing.check(ip("192.168.1.1"), false).is_err());
        // A name resolving to allowed and refused addresses keeps only the allowed ones.
        let kept = allowing
            .filter(
                "mixed.example",
                vec![
                    "10.0.0.5:0".parse().unwrap(),
                    "192.168.0.5:0".parse().unwrap(),
                ],
            )
            .unwrap();
        assert_eq!(kept, vec!["10.0.0.5:0".parse::<SocketAddr>().unwrap()]);
    }

    #[test]
    fn the_internet_is_open() {
        let policy = NetworkPolicy::default();
        for address in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "172.32.0.1",
            "100.128.0.1",
        ] {
            assert_eq!(policy.check(ip(address), false), Ok(()), "{address}");
        }
    }
}
