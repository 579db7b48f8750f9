//! The email channel end to end: the real binary sends events as mail to a real SMTP server
//! (aiosmtpd, `tests/common/smtp_server.py`) on 127.0.0.1, through the same queue, retries and
//! dead letters as the HTTP webhooks.

mod common;
use common::outbox::TestFeed;
use common::receiver::free_port;
use common::smtp::{SmtpOptions, SmtpServer};
use common::{
    opml, statuspage_atom, stderr, stdout, summary, FeedServer, GenIncident, Resource, Sandbox,
};
use statuswatch::model::Status;
use std::time::Duration;

/// Retries fast enough for a test.
const FAST: &str = "[delivery]\ntimeout = \"2s\"\nfirst_retry = \"50ms\"\nmax_retry = \"200ms\"\nmax_attempts = 30\n";

/// An email webhook `name` to `url`, `extra` holding its further lines.
fn email_hook(name: &str, url: &str, to: &[&str], extra: &str) -> String {
    let to: Vec<String> = to.iter().map(|t| format!("{t:?}")).collect();
    format!(
        "[[webhooks]]\nname = \"{name}\"\nformat = \"email\"\nurl = \"{url}\"\nfrom = \"statuswatch <alerts@example.com>\"\nto = [{}]\n{extra}\n",
        to.join(", ")
    )
}

fn poll(sandbox: &Sandbox, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["poll", "--format", "json"];
    args.extend_from_slice(extra);
    let out = sandbox.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    summary(&out)
}

/// The delivery log: (outcome, response code, error), oldest first.
fn attempts(sandbox: &Sandbox) -> Vec<(String, Option<i64>, Option<String>)> {
    let conn = sandbox.sql();
    let mut stmt = conn
        .prepare("SELECT outcome, response_code, error FROM deliveries ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The error of a webhook's first attempt.
fn first_error(sandbox: &Sandbox, webhook: &str) -> String {
    sandbox
        .sql()
        .query_row(
            "SELECT error FROM deliveries WHERE webhook = ?1 ORDER BY id LIMIT 1",
            [webhook],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn an_outage_polled_from_a_feed_arrives_as_a_mail_sent_with_the_password_from_the_environment() {
    const PASSWORD: &str = "s3cret-Pa55-from-env";
    let smtp = SmtpServer::start(SmtpOptions {
        login: Some(("alerts".into(), PASSWORD.into())),
        ..SmtpOptions::default()
    });
    let feeds = FeedServer::start();
    let now = chrono::Utc::now() - chrono::Duration::minutes(5);
    feeds.set(
        "/zoom/history.atom",
        Resource::feed(statuspage_atom(
            "status.zoom.test",
            &[GenIncident {
                id: "101".into(),
                title: "Meetings fail to start".into(),
                updates: vec![(
                    now.to_rfc3339(),
                    "Investigating".into(),
                    "We are seeing a major outage: meetings fail to start.".into(),
                )],
            }],
        )),
    );
    let sandbox = Sandbox::new();
    let file = sandbox.write(
        "feeds.opml",
        &opml(&[(
            "Zoom",
            "zoom",
            "statuspage",
            feeds.url("/zoom/history.atom"),
        )]),
    );
    assert!(sandbox
        .run(&["feeds", "import", file.to_str().unwrap()])
        .status
        .success());
    sandbox.write(
        "statuswatch.toml",
        &email_hook(
            "mail",
            &smtp.url(),
            &["ops@example.com", "On Call <oncall@example.com>"],
            "starttls = false\nusername = \"alerts\"\npassword_env = \"SW_SMTP_PASSWORD\"\nkinds = [\"state_change\"]",
        ),
    );

    let out = sandbox
        .command(&["poll", "--format", "json"])
        .env("SW_SMTP_PASSWORD", PASSWORD)
        .env("RUST_LOG", "debug")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s = summary(&out);
    assert_eq!(
        (s["delivered"].as_i64(), s["dead_letters"].as_i64()),
        (Some(1), Some(0)),
        "{s}"
    );
    for text in [stdout(&out), stderr(&out)] {
        assert!(!text.contains(PASSWORD), "the password was printed: {text}");
    }

    let got = smtp.messages();
    assert_eq!(got.len(), 1, "{got:?}");
    let mail = &got[0];
    assert_eq!(mail["mail_from"], "alerts@example.com");
    assert_eq!(
        mail["rcpt_tos"],
        serde_json::json!(["ops@example.com", "oncall@example.com"])
    );
    assert_eq!(mail["from"], "statuswatch <alerts@example.com>");
    let to = mail["to"].as_str().unwrap();
    assert!(
        to.contains("ops@example.com") && to.contains("On Call <oncall@example.com>"),
        "{to}"
    );
    let state = common::vendor_state(&sandbox, "zoom");
    assert_ne!(state, "operational");
    let subject = mail["subject"].as_str().unwrap();
    assert_eq!(
        subject,
        format!(
            "Zoom: {state} since {} — Investigating: We are seeing a major outage: meetings fail to start.",
            now.format("%H:%M UTC")
        )
    );
    let text = mail["text"].as_str().unwrap();
    for want in [
        "\nInvestigating: We are seeing a major outage: meetings fail to start.",
        "Incident: Meetings fail to start",
        &format!("State: operational → {state}"),
        "Link: https://status.zoom.test/incidents/101",
    ] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }
    let html = mail["html"].as_str().unwrap();
    assert!(
        html.contains("<a href=\"https://status.zoom.test/incidents/101\">"),
        "{html}"
    );
    let event_id: String = sandbox
        .sql()
        .query_row("SELECT id FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mail["message_id"], format!("<{event_id}@statuswatch>"));
    assert!(!mail["date"].as_str().unwrap().is_empty());
    // The server checked the login; the password is the one the environment held.
    assert_eq!(mail["auth_login"], "alerts");
    assert_eq!(mail["auth_password"], PASSWORD);

    // `webhooks list` shows the channel, never the password.
    let out = sandbox
        .command(&["webhooks", "list"])
        .env("SW_SMTP_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    let listed = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        listed.contains("email") && listed.contains(&smtp.url()),
        "{listed}"
    );
    assert!(!listed.contains(PASSWORD), "{listed}");

    // Without the variable the file is refused, naming the line and the variable.
    let out = sandbox.run(&["webhooks", "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(
            "line 9: webhook \"mail\": password_env names SW_SMTP_PASSWORD, which is not set"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_refused_recipient_is_a_dead_letter_at_once_and_a_4xx_is_retried() {
    let smtp = SmtpServer::start(SmtpOptions {
        refuse: vec!["nobody@example.com".into()],
        tempfail: 1,
        ..SmtpOptions::default()
    });
    let sandbox = Sandbox::new();
    let mut zoom = TestFeed::new(&sandbox.db(), "zoom", "saas");
    sandbox.write(
        "statuswatch.toml",
        &(email_hook("ok", &smtp.url(), &["ops@example.com"], "starttls = false")
            + &email_hook(
                "typo",
                &smtp.url(),
                &["ops@example.com", "nobody@example.com"],
                "starttls = false",
            )
            + FAST),
    );
    poll(&sandbox, &[]);
    zoom.publish(&[("i1", Status::Outage, &[])]);

    let s = poll(&sandbox, &[]);
    assert_eq!(
        (s["delivered"].as_i64(), s["dead_letters"].as_i64()),
        (Some(1), Some(1)),
        "{s}"
    );
    let log = attempts(&sandbox);
    let dead: Vec<_> = log.iter().filter(|a| a.0 == "dead").collect();
    assert_eq!(dead.len(), 1, "{log:?}");
    assert_eq!(dead[0].1, Some(550));
    let error = dead[0].2.as_deref().unwrap();
    assert!(
        error.starts_with(&format!("SMTP 550 from 127.0.0.1:{}", smtp.port))
            && error.contains("nobody@example.com"),
        "{error}"
    );
    // The 451 was a failure retried; the retry was accepted.
    let retried: Vec<_> = log.iter().filter(|a| a.1 == Some(451)).collect();
    assert_eq!(retried.len(), 1, "{log:?}");
    assert_eq!(retried[0].0, "failed");
    assert!(
        log.iter().any(|a| a.0 == "delivered" && a.1 == Some(250)),
        "{log:?}"
    );
    assert_eq!(smtp.messages().len(), 1, "only the good webhook's mail");

    let out = sandbox.run(&["webhooks", "dead"]);
    assert!(
        stdout(&out).contains("typo") && stdout(&out).contains("SMTP 550"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_down_smtp_server_is_a_retried_failure_naming_the_host() {
    let down = free_port();
    let sandbox = Sandbox::new();
    let mut zoom = TestFeed::new(&sandbox.db(), "zoom", "saas");
    sandbox.write(
        "statuswatch.toml",
        &(email_hook(
            "mail",
            &format!("smtp://{down}"),
            &["ops@example.com"],
            "starttls = false",
        ) + FAST),
    );
    poll(&sandbox, &[]);
    zoom.publish(&[("i1", Status::Outage, &[])]);
    let s = poll(&sandbox, &["--deliver-timeout", "1s"]);
    assert_eq!(s["delivered"], 0, "{s}");
    assert_eq!(s["dead_letters"], 0, "{s}");
    assert_eq!(s["delivery_pending"], 1, "{s}");
    let log = attempts(&sandbox);
    assert!(log.len() >= 2, "retried: {log:?}");
    for (outcome, code, error) in &log {
        assert_eq!((outcome.as_str(), *code), ("failed", None));
        let error = error.as_deref().unwrap();
        assert!(
            error.starts_with(&format!("cannot connect to SMTP server {down}")),
            "{error}"
        );
    }
}

#[test]
fn starttls_is_required_by_default_so_nothing_is_sent_to_a_server_without_it() {
    let smtp = SmtpServer::start(SmtpOptions::default());
    let sandbox = Sandbox::new();
    let mut zoom = TestFeed::new(&sandbox.db(), "zoom", "saas");
    sandbox.write(
        "statuswatch.toml",
        &(email_hook("mail", &smtp.url(), &["ops@example.com"], "")
            + &email_hook(
                "tls",
                &format!("smtps://127.0.0.1:{}", smtp.port),
                &["ops@example.com"],
                "",
            )
            + FAST),
    );
    poll(&sandbox, &[]);
    zoom.publish(&[("i1", Status::Outage, &[])]);
    let s = poll(&sandbox, &["--deliver-timeout", "300ms"]);
    assert_eq!(s["delivered"], 0, "{s}");
    // smtps:// starts with a TLS handshake, which a plain server cannot answer.
    let error = first_error(&sandbox, "tls");
    assert!(
        error.starts_with(&format!(
            "cannot connect to SMTP server 127.0.0.1:{}",
            smtp.port
        )) && error.contains("corrupt message"),
        "rustls read the plain greeting as a bad TLS record: {error}"
    );
    let error = first_error(&sandbox, "mail");
    assert!(
        error.contains(&format!("SMTP server 127.0.0.1:{}", smtp.port))
            && error.contains("STARTTLS"),
        "{error}"
    );
    assert!(smtp.messages().is_empty());
}

#[test]
fn webhooks_test_sends_a_test_mail_and_reports_the_smtp_answer() {
    let smtp = SmtpServer::start(SmtpOptions::default());
    let sandbox = Sandbox::new();
    sandbox.write(
        "statuswatch.toml",
        &email_hook(
            "mail",
            &smtp.url(),
            &["ops@example.com"],
            "starttls = false",
        ),
    );
    let out = sandbox.run(&["webhooks", "test", "mail"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains(&format!(
            "({}, email over plain to ops@example.com): SMTP 250",
            smtp.url()
        )),
        "{said}"
    );
    let got = smtp.wait_for(1, Duration::from_secs(2));
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0]["subject"],
        "statuswatch test event for webhook \"mail\""
    );

    // A refused test is exit 2, with the server's words.
    drop(smtp);
    let out = sandbox.run(&["webhooks", "test", "mail"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("cannot connect to SMTP server 127.0.0.1:"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn starttls_with_the_relays_own_ca_sends_the_login_and_the_mail_encrypted_and_checks_the_certificate(
) {
    let sandbox = Sandbox::new();
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let cert_file = sandbox.write("relay.pem", &cert.cert.pem());
    let key_file = sandbox.write("relay.key", &cert.signing_key.serialize_pem());
    let smtp = SmtpServer::start(SmtpOptions {
        login: Some(("alerts".into(), "tls-only-pw".into())),
        tls: Some((cert_file.clone(), key_file)),
        ..SmtpOptions::default()
    });
    let mut zoom = TestFeed::new(&sandbox.db(), "zoom", "saas");
    let login = "username = \"alerts\"\npassword_env = \"SW_PW\"";
    sandbox.write(
        "statuswatch.toml",
        &(email_hook(
            "trusted",
            &smtp.url(),
            &["ops@example.com"],
            &format!(
                "tls_ca_file = {:?}\n{login}",
                cert_file.display().to_string()
            ),
        ) + &email_hook("untrusted", &smtp.url(), &["ops@example.com"], login)
            + FAST),
    );
    let poll_with_pw = |extra: &[&str]| {
        let mut args = vec!["poll", "--format", "json"];
        args.extend_from_slice(extra);
        let out = sandbox
            .command(&args)
            .env("SW_PW", "tls-only-pw")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        summary(&out)
    };
    poll_with_pw(&[]);
    zoom.publish(&[("i1", Status::Outage, &[])]);
    let s = poll_with_pw(&["--deliver-timeout", "1s"]);
    assert_eq!(s["delivered"], 1, "{s}");

    let got = smtp.messages();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["tls"], true, "the mail went over STARTTLS");
    assert_eq!(got[0]["auth_login"], "alerts");
    // Without the relay's CA the certificate is not trusted, and nothing is sent.
    let error = first_error(&sandbox, "untrusted");
    assert!(
        error.contains(&format!("SMTP server 127.0.0.1:{}", smtp.port))
            && error.contains("UnknownIssuer"),
        "{error}"
    );
}
