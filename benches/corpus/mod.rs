//! The benchmark corpus: status feeds in the real markup of four engines (Statuspage Atom, AWS
//! RSS, Google Cloud Atom, Slack RSS), generated deterministically. Shared by
//! `examples/gen_feeds.rs` (files for the end-to-end benchmark) and `benches/` (in memory).
#![allow(dead_code)] // each user takes a different part

use std::fmt::Write as _;

/// A tiny deterministic generator (SplitMix64): no dependency, same corpus everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1))
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Words of generated status text (shared with `examples/fill_archive.rs`).
pub const WORDS: &[&str] = &[
    "we",
    "are",
    "investigating",
    "reports",
    "of",
    "elevated",
    "error",
    "rates",
    "for",
    "some",
    "customers",
    "using",
    "the",
    "API",
    "dashboard",
    "requests",
    "may",
    "fail",
    "or",
    "time",
    "out",
    "our",
    "engineers",
    "have",
    "identified",
    "a",
    "configuration",
    "change",
    "in",
    "one",
    "region",
    "and",
    "rolled",
    "it",
    "back",
    "latency",
    "is",
    "returning",
    "to",
    "normal",
    "levels",
    "webhooks",
    "queued",
    "during",
    "this",
    "period",
    "will",
    "be",
    "delivered",
    "shortly",
    "database",
    "cluster",
    "failover",
    "completed",
    "monitoring",
    "results",
    "continue",
    "next",
    "update",
    "within",
    "minutes",
    "affected",
    "services",
    "include",
    "storage",
    "compute",
    "networking",
    "authentication",
    "login",
    "page",
    "mobile",
    "apps",
];

const COMPONENTS: &[&str] = &[
    "API",
    "Dashboard",
    "Webhooks",
    "Authentication",
    "Search",
    "Billing",
    "Notifications",
    "Mobile App",
];

/// Incident titles of the generated feeds and archive.
pub const TITLES: &[&str] = &[
    "Elevated error rates on the API",
    "Degraded performance of the dashboard",
    "Delays in webhook delivery",
    "Login failures for some users",
    "Major outage of search",
    "Scheduled database maintenance",
    "Increased latency in the EU region",
    "Notifications unavailable",
];

/// Plain sentence text of about `len` characters.
fn filler(rng: &mut Rng, len: usize) -> String {
    let mut s = String::with_capacity(len + 16);
    let mut first = true;
    while s.len() < len {
        let w = rng.pick(WORDS);
        if first {
            let mut c = w.chars();
            if let Some(f) = c.next() {
                s.extend(f.to_uppercase());
                s.push_str(c.as_str());
            }
            first = false;
        } else {
            s.push(' ');
            s.push_str(w);
        }
        if rng.below(12) == 0 {
            s.push('.');
            first = true;
        }
    }
    s.push('.');
    s
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Statuspage,
    Aws,
    Gcp,
    Slack,
}

impl Kind {
    pub fn of(feed: usize) -> Kind {
        // 40 % Statuspage (the commonest engine), 20 % each of the others.
        match feed % 5 {
            0 | 1 => Kind::Statuspage,
            2 => Kind::Aws,
            3 => Kind::Gcp,
            _ => Kind::Slack,
        }
    }
    pub fn engine(self) -> &'static str {
        match self {
            Kind::Statuspage => "statuspage",
            Kind::Aws => "aws",
            Kind::Gcp => "gcp",
            Kind::Slack => "slack",
        }
    }
    pub fn path(self, feed: usize) -> String {
        match self {
            Kind::Statuspage => format!("/f{feed:05}/history.atom"),
            Kind::Aws => format!("/f{feed:05}/rss/ec2-us-east-1.rss"),
            Kind::Gcp => format!("/f{feed:05}/en/feed.atom"),
            Kind::Slack => format!("/f{feed:05}/feed/rss"),
        }
    }
}

/// Base time: entries go back one every 7 hours from here.
pub const BASE: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

/// A unix time as a UTC date.
pub fn at(secs: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// One incident in a feed: number `n` (0 = the oldest ever), how far along it is.
struct Incident {
    n: usize,
    title: &'static str,
    start: i64,
    /// Updates newest first: (time, label, text).
    updates: Vec<(i64, &'static str, String)>,
}

fn incident(feed: usize, n: usize, resolved: bool, postmortem: bool, text_len: usize) -> Incident {
    let mut rng = Rng::new((feed as u64) << 32 | n as u64);
    let start = BASE + n as i64 * 7 * 3600;
    let title = rng.pick(TITLES);
    let labels: &[&str] = if title.starts_with("Scheduled") {
        &["Scheduled", "In progress", "Verifying"]
    } else {
        &["Investigating", "Identified", "Monitoring", "Update"]
    };
    let count = 2 + rng.below(3) as usize;
    let mut updates = Vec::new();
    for i in 0..count {
        let label = labels[i.min(labels.len() - 1)];
        updates.push((start + i as i64 * 1200, label, filler(&mut rng, text_len)));
    }
    if resolved {
        let label = if title.starts_with("Scheduled") {
            "Completed"
        } else {
            "Resolved"
        };
        updates.push((
            start + count as i64 * 1200,
            label,
            "This incident has been resolved.".to_string(),
        ));
        if postmortem {
            updates.push((
                start + count as i64 * 1200 + 86_400,
                "Postmortem",
                filler(&mut rng, text_len),
            ));
        }
    }
    updates.reverse();
    Incident {
        n,
        title,
        start,
        updates,
    }
}

/// The incidents a feed shows at `version`: the newest `entries`, numbers `version ..
/// version + entries`. Version 0: all resolved. From version 1 on, the newest is open (a new
/// entry and a state change) and the one before it gained a postmortem (a revision).
fn incidents(feed: usize, entries: usize, version: usize, text_len: usize) -> Vec<Incident> {
    let newest = version + entries - 1;
    (version..=newest)
        .rev()
        .map(|n| {
            let resolved = n != newest || version == 0;
            let postmortem = version > 0 && n + 1 == newest;
            incident(feed, n, resolved, postmortem, text_len)
        })
        .collect()
}

fn statuspage(feed: usize, incs: &[Incident]) -> String {
    let host = format!("status.vendor{feed:05}.example");
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xml:lang=\"en-US\" xmlns=\"http://www.w3.org/2005/Atom\">\n  <id>tag:{host},2005:/history</id>\n  <link rel=\"alternate\" type=\"text/html\" href=\"https://{host}\"/>\n  <link rel=\"self\" type=\"application/atom+xml\" href=\"https://{host}/history.atom\"/>\n  <title>Vendor {feed} - Incident History</title>\n  <updated>{}</updated>\n",
        at(incs[0].updates[0].0).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    for inc in incs {
        let mut html = String::new();
        for (t, label, text) in &inc.updates {
            let t = at(*t);
            let _ = write!(
                html,
                "<p><small>{} <var data-var='date'>{}</var>, <var data-var='time'>{}</var> UTC</small><br><strong>{label}</strong> - {text}</p>",
                t.format("%b"),
                t.format("%e"),
                t.format("%H:%M"),
            );
        }
        let component = COMPONENTS[inc.n % COMPONENTS.len()];
        let _ = write!(html, "<p>This incident affected: {component}.</p>");
        let fmt = |s: i64| at(s).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let _ = write!(
            out,
            "  <entry>\n    <id>tag:{host},2005:Incident/{id}</id>\n    <published>{}</published>\n    <updated>{}</updated>\n    <link rel=\"alternate\" type=\"text/html\" href=\"https://{host}/incidents/{id}\"/>\n    <title>{}</title>\n    <content type=\"html\">{}</content>\n  </entry>\n",
            fmt(inc.start),
            fmt(inc.updates[0].0),
            xml_escape(inc.title),
            xml_escape(&html),
            id = format!("inc{feed}x{}", inc.n),
        );
    }
    out.push_str("</feed>\n");
    out
}

fn rfc2822(s: i64) -> String {
    at(s).format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

/// AWS: one item per update, the state in the title's prefix, service-region in the guid.
fn aws(feed: usize, incs: &[Incident]) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\">\n  <channel>\n    <title><![CDATA[Amazon Elastic Compute Cloud (N. Virginia) Service Status {feed}]]></title>\n    <link>http://status.aws.amazon.com/</link>\n    <language>en-us</language>\n    <lastBuildDate>{}</lastBuildDate>\n    <generator>AWS Service Health Dashboard RSS Generator</generator>\n    <description><![CDATA[Amazon Elastic Compute Cloud (N. Virginia) Service Status]]></description>\n",
        rfc2822(incs[0].updates[0].0)
    );
    for inc in incs {
        let (t, label, text) = &inc.updates[0];
        let prefix = match *label {
            "Resolved" | "Completed" => "Service is operating normally: [RESOLVED]",
            "Investigating" => "Informational message:",
            "Identified" => "Service degradation:",
            _ => "Service impact:",
        };
        let body = inc
            .updates
            .iter()
            .map(|u| u.2.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let _ = write!(
            out,
            "\t<item>\n\t  <title><![CDATA[{prefix} {}]]></title>\n\t  <link>http://status.aws.amazon.com/</link>\n\t  <pubDate>{}</pubDate>\n\t  <guid isPermaLink=\"false\">http://status.aws.amazon.com/#ec2{feed}-us-east-1_{t}</guid>\n\t  <description><![CDATA[{text} {body}]]></description>\n\t</item>\n",
            inc.title,
            rfc2822(*t),
        );
    }
    out.push_str("  </channel>\n</rss>\n");
    out
}

/// Google Cloud: one entry per incident update, state in the title, products in the summary.
fn gcp(feed: usize, incs: &[Incident]) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let fmt = |s: i64| at(s).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  <title>Google Cloud Service Health Updates {feed}</title>\n  <id>https://status.cloud.google.com/</id>\n  <link href=\"https://status.cloud.google.com/en/feed.atom\" rel=\"self\"/>\n  <updated>{}</updated>\n",
        fmt(incs[0].updates[0].0)
    );
    for inc in incs {
        let (t, label, _) = &inc.updates[0];
        let state = match *label {
            "Resolved" | "Completed" => "RESOLVED",
            _ => "UPDATE",
        };
        let mut html = format!(
            "<p> Incident began at <strong>{}</strong> <span>(all times are <strong>US/Pacific</strong>)</span></p>",
            at(inc.start).format("%Y-%m-%d %H:%M")
        );
        for (_, _, text) in &inc.updates {
            let _ = write!(html, "<div><p>{text}</p></div>");
        }
        let _ = write!(
            html,
            "<hr><p>Affected products: {}</p><p>Affected locations: Global</p>",
            COMPONENTS[inc.n % COMPONENTS.len()]
        );
        let _ = write!(
            out,
            "  <entry>\n    <title>{state}: {}</title>\n    <link href=\"https://status.cloud.google.com/incidents/g{feed}x{n}\" rel=\"alternate\"/>\n    <id>tag:status.cloud.google.com,2026:feed:g{feed}x{n}.u{u}</id>\n    <updated>{}</updated>\n    <summary type=\"html\">{}</summary>\n  </entry>\n",
            xml_escape(inc.title),
            fmt(*t),
            xml_escape(&html),
            n = inc.n,
            u = inc.updates.len(),
        );
    }
    out.push_str("</feed>\n");
    out
}

/// Slack: one item per incident, the kind in the title, the newest note first in the body.
fn slack(feed: usize, incs: &[Incident]) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\">\n  <channel>\n    <title>Slack System Status {feed}</title>\n    <link>https://slack-status.com/</link>\n    <description>Slack status</description>\n"
    );
    for inc in incs {
        let kind = if inc.title.starts_with("Scheduled") {
            "Maintenance"
        } else if inc.title.contains("outage") {
            "Outage"
        } else {
            "Incident"
        };
        let mut html = String::new();
        for (_, label, text) in &inc.updates {
            let _ = write!(html, "<p>{label} - {text}</p>");
        }
        let _ = write!(
            out,
            "    <item>\n      <title>{kind}: {}</title>\n      <link>https://slack-status.com/2026/s{feed}x{n}</link>\n      <guid>https://slack-status.com/2026/s{feed}x{n}</guid>\n      <pubDate>{}</pubDate>\n      <description>{}</description>\n    </item>\n",
            xml_escape(inc.title),
            rfc2822(inc.updates[0].0),
            xml_escape(&html),
            n = inc.n,
        );
    }
    out.push_str("  </channel>\n</rss>\n");
    out
}

/// One feed document.
pub fn document(feed: usize, entries: usize, version: usize, text_len: usize) -> (Kind, String) {
    let kind = Kind::of(feed);
    let incs = incidents(feed, entries, version, text_len);
    let doc = match kind {
        Kind::Statuspage => statuspage(feed, &incs),
        Kind::Aws => aws(feed, &incs),
        Kind::Gcp => gcp(feed, &incs),
        Kind::Slack => slack(feed, &incs),
    };
    (kind, doc)
}
