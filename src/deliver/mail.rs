//! The email channel: a webhook with `format = "email"` sends each event as one mail over
//! SMTP (lettre, rustls) instead of an HTTP POST, through the same queue, retries and dead
//! letters.
//!
//! The message says what the vendor said: a subject such as `Zoom: outage since 07:19 UTC —
//! Login failures`, a text/plain body with the detail lines every chat format shows (state,
//! components, since when, the link) and an HTML alternative of the same, escaped. Its
//! `Message-ID` is the event id, so a retried send is recognisable as the same mail.
//!
//! SMTP's answer maps onto an [`AttemptResult`]: the reply code is the status (2yz is
//! accepted), a 4yz reply or a broken connection is a failure retried like any other, and a
//! 5yz reply (a refused recipient, sender or message) is permanent: the event becomes a dead
//! letter at once, since RFC 5321 says not to repeat the same request. The password never
//! appears in `Debug`, logs or errors.
//!
//! The server is held to the network policy as a feed is (`fetch/network.rs`): its name is
//! resolved here, the addresses checked, and lettre given the checked address to dial (its
//! own lookup would bypass the check), while TLS still verifies the certificate against the
//! host name. SMTP never goes through an HTTP proxy.

use super::format::{self, cut, one_line};
use super::send::with_causes;
use super::AttemptResult;
use crate::fetch::{NetworkPolicy, Refused};
use crate::model::{EventDetail, EventPayload, StoredEvent};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::time::Instant;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtps://`: TLS from the first byte (port 465 by default).
    Tls,
    /// `smtp://` with `starttls = true` (the default): plain, then STARTTLS, which the server
    /// must offer; nothing is sent before it (port 587 by default).
    StartTls,
    /// `smtp://` with `starttls = false`: a trusted relay; a password only to loopback.
    Plain,
}

impl Security {
    /// How `webhooks list` and `test` name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Security::Tls => "TLS",
            Security::StartTls => "STARTTLS",
            Security::Plain => "plain",
        }
    }
}

/// An SMTP password; its `Debug` is redacted so no log or printed configuration shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(text: String) -> Password {
        Password(text)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Where and how an email channel sends, validated (`deliver/config.rs` builds it).
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
    /// `username` and the password (`password` or `password_env`), for SMTP AUTH.
    pub login: Option<(String, Password)>,
    /// `tls_ca_file`: certificates trusted besides Mozilla's roots.
    pub ca: Option<CaFile>,
}

/// The CA certificates of `tls_ca_file`, checked when the configuration is read.
#[derive(Clone, PartialEq, Eq)]
pub struct CaFile {
    path: std::path::PathBuf,
    pem: Vec<u8>,
}

impl CaFile {
    /// The file's certificates, or why they cannot be used.
    pub fn new(path: std::path::PathBuf, pem: Vec<u8>) -> Result<CaFile, String> {
        // lettre takes a file with no certificate at all as an empty list.
        if memchr::memmem::find(&pem, b"-----BEGIN CERTIFICATE-----").is_none() {
            return Err("no -----BEGIN CERTIFICATE----- block".to_string());
        }
        Certificate::from_pem(&pem).map_err(|e| e.to_string())?;
        Ok(CaFile { path, pem })
    }
}

impl fmt::Debug for CaFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CaFile({})", self.path.display())
    }
}

impl Email {
    /// The recipients as a list for people: `ops@example.com, oncall@example.com`.
    pub fn recipients(&self) -> String {
        self.to
            .iter()
            .map(|m| m.email.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn server(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The host as a literal address, when it is one (`[::1]` unbracketed).
    fn literal(&self) -> Option<IpAddr> {
        self.host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()
    }

    /// A literal server address the policy refuses, known without resolving anything (the
    /// configuration refuses it when it loads).
    pub fn check_literal(&self, policy: &NetworkPolicy) -> Result<(), Refused> {
        // A literal address is named by the user, as a feed URL's is: this machine is fine.
        self.literal().map_or(Ok(()), |ip| policy.check(ip, true))
    }

    /// The address to dial among what the host resolved to (`found`): the first the policy
    /// allows, or why none may be dialled. Pure: the seam the tests use.
    fn pick(&self, policy: &NetworkPolicy, found: Vec<SocketAddr>) -> Result<SocketAddr, String> {
        let refused = |r: Refused| format!("SMTP server {}: {r}", self.server());
        if let Some(ip) = self.literal() {
            self.check_literal(policy).map_err(refused)?;
            return Ok(SocketAddr::new(ip, self.port));
        }
        let allowed = policy.filter(&self.host, found).map_err(refused)?;
        allowed.into_iter().next().ok_or_else(|| {
            format!(
                "cannot resolve SMTP server {}: no address; check the webhook's url",
                self.server()
            )
        })
    }

    /// Resolves the host (unless it is an address) and [`Email::pick`]s what to dial.
    async fn address(&self, policy: &NetworkPolicy) -> Result<SocketAddr, String> {
        let found = match self.literal() {
            Some(_) => Vec::new(),
            None => tokio::net::lookup_host((self.host.as_str(), self.port))
                .await
                .map_err(|e| {
                    format!(
                        "cannot resolve SMTP server {}: {e}; check the webhook's url",
                        self.server()
                    )
                })?
                .collect(),
        };
        self.pick(policy, found)
    }
}

/// Subjects longer than this are cut (mail clients show about this much of a subject).
const SUBJECT_CHARS: usize = 150;

/// The subject line: the headline and what the vendor said, as every channel words it
/// ([`format::brief`]): `Zoom: outage (major) since 07:19 UTC — Investigating: We are seeing…`.
pub fn subject(event: &EventPayload) -> String {
    format::brief(event, SUBJECT_CHARS)
}

/// The detail lines: the facts every channel shows (state, severity, incident, components,
/// since, feed), and for a correlated outage its members and cause.
fn lines(event: &EventPayload) -> Vec<String> {
    if let EventDetail::CorrelatedOutage(_) = &event.detail {
        return format::details(event);
    }
    format::facts(event)
        .into_iter()
        .map(|(name, value)| format!("{name}: {value}"))
        .collect()
}

/// What the vendor said, whole: a mail has room for the newest update's full text.
const SAID_CHARS: usize = 10_000;

/// The text/plain body: the headline, the vendor's newest update, the facts, the link and a
/// footer naming the event.
pub fn text_body(event: &StoredEvent) -> String {
    let p = &event.payload;
    let mut out = format::headline(p);
    out.push_str("\n\n");
    if let Some(said) = format::said(p) {
        out.push_str(&said.line(SAID_CHARS));
        out.push_str("\n\n");
    }
    for line in lines(p) {
        out.push_str(&line);
        out.push('\n');
    }
    if let Some(link) = format::safe_link(p) {
        out.push_str(&format!("Link: {link}\n"));
    }
    out.push_str(&format!(
        "\n-- \nstatuswatch · event {} (seq {})\n",
        p.id, event.seq
    ));
    out
}

/// The HTML alternative: the same, every piece of feed text escaped.
pub fn html_body(event: &StoredEvent) -> String {
    let p = &event.payload;
    let text = |s: &str| html_escape::encode_text(s).into_owned();
    let mut out = format!(
        "<!DOCTYPE html>\n<html><body>\n<h2>{}</h2>\n",
        text(&format::headline(p))
    );
    if let Some(said) = format::said(p) {
        let label = match said.label.is_empty() {
            true => String::new(),
            false => format!("<b>{}:</b> ", text(&said.label)),
        };
        out.push_str(&format!(
            "<p>{label}{}</p>\n",
            text(&format::cut(&said.text, SAID_CHARS))
        ));
    }
    out.push_str("<ul>\n");
    for line in lines(p) {
        out.push_str(&format!("<li>{}</li>\n", text(&line)));
    }
    out.push_str("</ul>\n");
    if let Some(link) = format::safe_link(p) {
        out.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>\n",
            html_escape::encode_double_quoted_attribute(&link),
            text(&link)
        ));
    }
    out.push_str(&format!(
        "<p style=\"color:#607d8b\">statuswatch · event {} (seq {})</p>\n</body></html>\n",
        text(&p.id),
        event.seq
    ));
    out
}

/// The mail for one event.
fn message(email: &Email, event: &StoredEvent) -> Result<Message, lettre::error::Error> {
    let mut builder = Message::builder()
        .from(email.from.clone())
        .subject(subject(&event.payload))
        .message_id(Some(format!("<{}@statuswatch>", event.payload.id)));
    for to in &email.to {
        builder = builder.to(to.clone());
    }
    builder.multipart(MultiPart::alternative_plain_html(
        text_body(event),
        html_body(event),
    ))
}

/// The transport to `address` (checked), verifying TLS against the configured host name.
fn transport(
    email: &Email,
    address: SocketAddr,
    timeout: Duration,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let tls = || {
        let mut params = TlsParameters::builder(email.host.clone());
        if let Some(ca) = &email.ca {
            let cert = Certificate::from_pem(&ca.pem)
                .map_err(|e| format!("tls_ca_file {}: {e}", ca.path.display()))?;
            params = params.add_root_certificate(cert);
        }
        params.build_rustls().map_err(|e| {
            with_causes(
                format!("cannot set up TLS for {}: {e}", email.server()),
                std::error::Error::source(&e),
            )
        })
    };
    let tls = match email.security {
        Security::Tls => Tls::Wrapper(tls()?),
        Security::StartTls => Tls::Required(tls()?),
        Security::Plain => Tls::None,
    };
    let mut builder =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(address.ip().to_string())
            .port(address.port())
            .tls(tls)
            .timeout(Some(timeout));
    if let Some((user, Password(password))) = &email.login {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

/// One attempt: the event as a mail to every recipient, within `timeout`, to an address
/// `policy` allows (refused before any connection otherwise).
pub(super) async fn send(
    email: &Email,
    policy: &NetworkPolicy,
    event: &StoredEvent,
    timeout: Duration,
) -> AttemptResult {
    let started = Instant::now();
    let mut result = AttemptResult::default();
    let address = match tokio::time::timeout(timeout, email.address(policy)).await {
        Ok(address) => address,
        Err(_) => Err(format!(
            "cannot resolve SMTP server {} within {} ms",
            email.server(),
            timeout.as_millis()
        )),
    };
    let transport = address.and_then(|address| transport(email, address, timeout));
    let outcome = match (message(email, event), transport) {
        (Err(e), _) => Err(format!("cannot build the mail: {e}")),
        (_, Err(e)) => Err(e),
        (Ok(message), Ok(transport)) => {
            match tokio::time::timeout(timeout, transport.send(message)).await {
                Err(_) => Err(format!(
                    "no answer from SMTP server {} within {} ms",
                    email.server(),
                    timeout.as_millis()
                )),
                Ok(Ok(response)) => {
                    result.status = Some(u16::from(response.code()));
                    Ok(())
                }
                Ok(Err(e)) => {
                    result.status = e.status().map(u16::from);
                    result.permanent = e.is_permanent();
                    Err(describe(email, &e))
                }
            }
        }
    };
    if let Err(e) = outcome {
        result.error = Some(e);
        // A reply of 2yz with an error would read as delivered: an error is never a success.
        if result.is_success() {
            result.status = None;
        }
    }
    result.duration_ms = started.elapsed().as_millis() as u64;
    result
}

/// An SMTP error as a line naming the server: `SMTP 550 from mail.example.com:587: 5.1.1
/// <nobody@example.com>: Recipient address rejected`, `cannot connect to SMTP server ...`.
fn describe(email: &Email, err: &lettre::transport::smtp::Error) -> String {
    let server = email.server();
    if let Some(code) = err.status() {
        // The server's own words are the error's source; lettre's prefix names the class.
        let said = std::error::Error::source(err)
            .map(|s| s.to_string())
            .unwrap_or_default();
        return cut(
            &format!("SMTP {code} from {server}: {}", one_line(&said)),
            300,
        );
    }
    let what = if err.is_timeout() {
        format!("no answer from SMTP server {server}")
    } else if err.is_tls() {
        format!("TLS with SMTP server {server} failed")
    } else if err.is_client() {
        format!("SMTP server {server}")
    } else {
        format!("cannot connect to SMTP server {server}")
    };
    let why = match std::error::Error::source(err) {
        Some(cause) => with_causes(cause.to_string(), cause.source()),
        None => err.to_string(),
    };
    let hint = if why.contains("STARTTLS") {
        " (starttls is required unless the webhook says starttls = false, for a trusted relay)"
    } else {
        ""
    };
    cut(&format!("{what}: {why}{hint}"), 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::deliver::format::fixtures;

    #[test]
    fn the_subject_is_the_headline_and_what_the_vendor_said() {
        let e = fixtures::outage();
        assert_eq!(
            subject(&e.payload),
            "Zoom: outage (major) since 07:19 UTC — Investigating: We are seeing elevated errors on meetings."
        );
        assert!(subject(&fixtures::recovery())
            .starts_with("Zoom: operational again (was outage since 07:19 UTC)"));
        let long = fixtures::outage_saying(&"y\n".repeat(500));
        let s = subject(&long.payload);
        assert_eq!(s.chars().count(), SUBJECT_CHARS);
        assert!(!s.contains('\n'));
    }

    #[test]
    fn the_bodies_carry_the_vendors_words_and_the_html_one_escapes_them() {
        let long = format!("Meetings <fail> & {}", "x".repeat(3000));
        let e = fixtures::outage_saying(&long);
        let text = text_body(&e);
        for want in [
            "Zoom: outage (major) since 07:19 UTC\n",
            &format!("Investigating: {long}\n"),
            "State: operational → outage",
            "Severity: major",
            "Incident: Login <failures> & more",
            "Components: API, Web",
            "Link: https://status.zoom.us/incidents/abc",
            "(seq 3)",
        ] {
            assert!(text.contains(want), "{want} in {text}");
        }
        let html = html_body(&e);
        assert!(
            html.contains("<b>Investigating:</b> Meetings &lt;fail&gt; &amp; xxx"),
            "{html}"
        );
        assert!(html.contains("Login &lt;failures&gt; &amp; more"), "{html}");
        assert!(
            !html.contains("<fail>") && !html.contains("<failures>"),
            "{html}"
        );
        let mut bad = fixtures::outage();
        bad.payload.link = Some("javascript:alert(1)".into());
        assert!(!html_body(&bad).contains("javascript"));
        assert!(!text_body(&bad).contains("javascript"));
        // A correlated outage reads as one mail: members, cause, odds.
        let cluster = StoredEvent {
            seq: 9,
            body: String::new(),
            payload: fixtures::cluster(),
        };
        let text = text_body(&cluster);
        assert!(
            text.contains("• Slack: outage since 06:52 UTC: Messages <fail> to send"),
            "{text}"
        );
        assert!(text.contains("Likely cause: aws us-east-1."), "{text}");
    }

    #[test]
    fn the_password_is_never_in_debug_output() {
        let email = Email {
            host: "mail.example.com".into(),
            port: 587,
            security: Security::StartTls,
            from: "statuswatch <alerts@example.com>".parse().unwrap(),
            to: vec!["ops@example.com".parse().unwrap()],
            login: Some(("alerts".into(), Password::new("hunter2-secret".into()))),
            ca: None,
        };
        let shown = format!("{email:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
        assert_eq!(email.recipients(), "ops@example.com");
    }

    fn email_to(host: &str) -> Email {
        Email {
            host: host.into(),
            port: 25,
            security: Security::Plain,
            from: "statuswatch <alerts@example.com>".parse().unwrap(),
            to: vec!["ops@example.com".parse().unwrap()],
            login: None,
            ca: None,
        }
    }

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_server_name_is_dialled_only_at_an_address_the_policy_allows() {
        let policy = NetworkPolicy::default();
        // What the name resolved to is handed in: no lookup here.
        let err = email_to("mail.example")
            .pick(&policy, vec![addr("10.0.0.5:25")])
            .unwrap_err();
        assert!(
            err.contains(
                "SMTP server mail.example:25: refused to connect to mail.example (10.0.0.5)"
            ) && err.contains(r#"[network] allow = ["10.0.0.0/8"]"#),
            "{err}"
        );
        let err = email_to("mail.example")
            .pick(&policy, vec![addr("169.254.169.254:25")])
            .unwrap_err();
        assert!(
            err.contains("169.254.169.254") && err.contains("never"),
            "{err}"
        );
        // Rebinding to this machine is refused too; localhost is the user's to name.
        assert!(email_to("mail.example")
            .pick(&policy, vec![addr("127.0.0.1:25")])
            .is_err());
        assert_eq!(
            email_to("localhost").pick(&policy, vec![addr("127.0.0.1:25")]),
            Ok(addr("127.0.0.1:25"))
        );
        let allowing = NetworkPolicy::new(vec!["10.0.0.0/8".parse().unwrap()]);
        assert_eq!(
            email_to("mail.example")
                .pick(&allowing, vec![addr("192.168.0.9:25"), addr("10.0.0.5:25")]),
            Ok(addr("10.0.0.5:25"))
        );
        assert_eq!(
            email_to("[::1]").pick(&policy, Vec::new()),
            Ok(addr("[::1]:25"))
        );
    }

    #[tokio::test]
    async fn a_refused_literal_server_fails_the_attempt_before_any_connection() {
        let policy = NetworkPolicy::default();
        for (host, says) in [
            ("169.254.169.254", "never connects"),
            ("10.1.2.3", r#"[network] allow = ["10.0.0.0/8"]"#),
        ] {
            let email = email_to(host);
            assert!(email.check_literal(&policy).is_err(), "{host}");
            let result = send(&email, &policy, &fixtures::outage(), Duration::from_secs(5)).await;
            let error = result.error.unwrap();
            assert!(
                error.contains(&format!(
                    "SMTP server {host}:25: refused to connect to {host}"
                )) && error.contains(says),
                "{error}"
            );
            assert_eq!(result.status, None);
            assert!(!result.permanent, "the configuration may be fixed: retried");
        }
    }
}
