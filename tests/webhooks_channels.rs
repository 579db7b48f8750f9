//! Every webhook format end to end: real events made through the store, delivered by the real
//! binary's `poll` to one receiver on 127.0.0.1 per channel, each body read back field by field
//! (what the vendor said, limits cut, a hostile feed text escaped); a 410 Gone disabling its
//! webhook until `webhooks enable`; template errors at load and at send time.

mod common;
use common::outbox::{events, TestFeed};
use common::receiver::{hook, Received, Receiver};
use common::{stderr, stdout, summary, Sandbox};
use serde_json::Value;
use statuswatch::model::Status;

const FAST: &str = "[delivery]\ntimeout = \"2s\"\nfirst_retry = \"50ms\"\nmax_retry = \"100ms\"\nmax_attempts = 3\n";

/// Feed text written to break out of every channel's markup.
const HOSTILE: &str =
    "[click](https://evil.example) ||spoiler|| ```code``` **bold** @everyone <!channel> <b>x</b> &";

/// `poll --format json` with `PD_KEY` set, as a deployment would set it.
fn poll(sandbox: &Sandbox) -> Value {
    let out = sandbox
        .command(&["poll", "--format", "json"])
        .env("SW_TEST_PD_KEY", "R0UT1NGKEY0123456789")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("R0UT1NGKEY"),
        "the routing key is never logged"
    );
    summary(&out)
}

fn bodies(receiver: &Receiver, path: &str) -> Vec<Value> {
    receiver.received(path).iter().map(Received::json).collect()
}

#[test]
fn every_channel_gets_its_body_saying_what_the_vendor_said() {
    let sandbox = Sandbox::new();
    let receiver = Receiver::start();
    let mut zoom = TestFeed::new(&sandbox.db(), "zoom", "saas");
    let config = [
        receiver.hook("json", ""),
        receiver.hook("slack", "format = \"slack\""),
        receiver.hook("discord", "format = \"discord\""),
        receiver.hook("pd", "format = \"pagerduty\"\nrouting_key_env = \"SW_TEST_PD_KEY\""),
        receiver.hook("teams", "format = \"teams\""),
        receiver.hook("gchat", "format = \"googlechat\""),
        hook("ntfy", &receiver.url("/ntfy/alerts"), "format = \"ntfy\""),
        receiver.hook(
            "tpl",
            "format = \"template\"\ncontent_type = \"application/x-ndjson\"\ntemplate = '''\n{\"seq\": {{ seq }}, \"kind\": {{ type|tojson }}, \"line\": {{ message.brief|tojson }}}\n'''",
        ),
    ]
    .concat();
    sandbox.write("statuswatch.toml", &config);
    assert_eq!(
        poll(&sandbox)["delivered"],
        0,
        "registered: starts after the empty outbox"
    );
    zoom.severity = Some("major".into());
    zoom.said = Some(format!(
        "We are seeing elevated errors on meetings. {HOSTILE} {}",
        "x".repeat(5000)
    ));
    zoom.publish(&[("i1", Status::Outage, &["Meetings"])]);
    zoom.said = Some("This incident has been resolved.".into());
    zoom.publish(&[("i1", Status::Resolved, &["Meetings"])]);
    let s = poll(&sandbox);
    assert_eq!(s["delivered"], 16, "two events to eight webhooks: {s}");
    let outbox = events(&sandbox.db());
    let seqs: Vec<i64> = outbox.iter().map(|e| e.0).collect();

    // json: the payload as stored, seq first; the newest update is in the payload.
    let json = bodies(&receiver, "/json");
    assert_eq!(
        json.iter()
            .map(|b| b["seq"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        seqs
    );
    let incident = &json[0]["incident"];
    assert_eq!(incident["severity"], "major");
    assert_eq!(incident["latest_update"]["label"], "Investigating");
    assert!(incident["latest_update"]["text"]
        .as_str()
        .unwrap()
        .starts_with("We are seeing elevated errors"));
    assert_eq!(
        json[1]["incident"]["latest_update"]["text"],
        "This incident has been resolved."
    );

    // slack: Block Kit, mrkdwn escaped, cut to a section's 3,000 characters.
    let slack = bodies(&receiver, "/slack");
    let text = slack[0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("<https://status.zoom.example/incidents/i1|🔴 ZOOM: outage (major) since 06:01 UTC — Investigating: We are seeing elevated errors on meetings."),
        "{text}"
    );
    let blocks = slack[0]["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    let section = blocks[1]["text"]["text"].as_str().unwrap();
    assert_eq!(section.chars().count(), 3000);
    assert!(
        section.starts_with("*Investigating:* We are seeing elevated errors on meetings."),
        "{section}"
    );
    assert!(
        section.contains("&lt;!channel&gt; &lt;b&gt;x&lt;/b&gt; &amp;")
            && !section.contains("<!channel>"),
        "{section}"
    );
    assert_eq!(
        blocks.last().unwrap()["elements"][0]["url"],
        "https://status.zoom.example/incidents/i1"
    );
    assert_eq!(
        slack[1]["blocks"][0]["text"]["text"],
        "🟢 ZOOM: operational again (was outage since 06:01 UTC)"
    );

    // discord: markdown and mentions from the feed escaped; cut to 4,096.
    let discord = bodies(&receiver, "/discord");
    let description = discord[0]["embeds"][0]["description"].as_str().unwrap();
    assert_eq!(description.chars().count(), 4096);
    for raw in ["[click](", "||spoiler||", "```", "**bold**", "@everyone"] {
        assert!(
            !description[20..].contains(raw),
            "{raw:?} passed through: {description}"
        );
    }
    assert_eq!(
        discord[0]["allowed_mentions"]["parse"],
        serde_json::json!([])
    );

    // pagerduty: trigger then resolve, one dedup key; the key from the environment.
    let pd = bodies(&receiver, "/pd");
    assert_eq!(pd.len(), 2);
    assert_eq!(
        (
            pd[0]["event_action"].as_str(),
            pd[1]["event_action"].as_str()
        ),
        (Some("trigger"), Some("resolve"))
    );
    assert_eq!(pd[0]["dedup_key"], pd[1]["dedup_key"]);
    assert!(pd[0]["dedup_key"]
        .as_str()
        .unwrap()
        .starts_with("statuswatch/zoom/incident/"));
    assert_eq!(pd[0]["routing_key"], "R0UT1NGKEY0123456789");
    assert_eq!(pd[0]["payload"]["severity"], "critical");
    assert_eq!(
        pd[0]["payload"]["summary"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        1024
    );
    assert_eq!(pd[0]["payload"]["source"], "ZOOM");
    assert_eq!(pd[0]["payload"]["component"], "Meetings");
    assert_eq!(
        pd[0]["links"][0]["href"],
        "https://status.zoom.example/incidents/i1"
    );

    // teams: one Adaptive Card 1.4 with facts and a link.
    let teams = bodies(&receiver, "/teams");
    let card = &teams[0]["attachments"][0]["content"];
    assert_eq!(
        teams[0]["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(card["version"], "1.4");
    assert_eq!(
        card["body"][0]["text"],
        "🔴 ZOOM: outage (major) since 06:01 UTC"
    );
    assert!(!card["body"][1]["text"].as_str().unwrap().contains("]("));
    assert_eq!(
        card["actions"][0]["url"],
        "https://status.zoom.example/incidents/i1"
    );

    // google chat: text plus cardsV2, HTML from the feed escaped.
    let gchat = bodies(&receiver, "/gchat");
    let widgets = &gchat[0]["cardsV2"][0]["card"]["sections"][0]["widgets"];
    assert!(widgets[0]["textParagraph"]["text"]
        .as_str()
        .unwrap()
        .contains("&lt;b&gt;x&lt;/b&gt;"));
    assert!(receiver.received("/gchat")[0].body.len() < 32_000);

    // ntfy: JSON to the server's root, the topic from the URL's path.
    assert!(receiver.received("/ntfy/alerts").is_empty());
    let ntfy = bodies(&receiver, "/ntfy/");
    assert_eq!(ntfy[0]["topic"], "alerts");
    assert_eq!(ntfy[0]["priority"], 5);
    assert_eq!(ntfy[0]["tags"][0], "rotating_light");
    assert_eq!(ntfy[0]["title"], "ZOOM: outage (major) since 06:01 UTC");
    assert!(ntfy[0]["message"].as_str().unwrap().len() <= 4096);
    assert_eq!(ntfy[1]["tags"][0], "white_check_mark");

    // `webhooks test` to PagerDuty resolves a key no alert has: nobody is paged.
    let out = sandbox
        .command(&["webhooks", "test", "pd"])
        .env("SW_TEST_PD_KEY", "R0UT1NGKEY0123456789")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let test = bodies(&receiver, "/pd").pop().unwrap();
    assert_eq!(test["event_action"], "resolve");
    assert!(
        test["dedup_key"]
            .as_str()
            .unwrap()
            .starts_with("statuswatch/test/pd/"),
        "{test}"
    );

    // template: rendered with the payload, seq and message helpers, in its content type.
    let tpl = receiver.received("/tpl");
    assert_eq!(tpl[0].header("content-type"), "application/x-ndjson");
    let t: Value = tpl[0].json();
    assert_eq!(t["seq"], seqs[0]);
    assert_eq!(t["kind"], "state_change");
    assert!(t["line"]
        .as_str()
        .unwrap()
        .starts_with("ZOOM: outage (major) since 06:01 UTC — Investigating:"));
}

#[test]
fn pagerduty_resolves_after_the_state_eased_below_min_status() {
    let sandbox = Sandbox::new();
    let receiver = Receiver::start();
    let mut aws = TestFeed::new(&sandbox.db(), "aws", "cloud");
    sandbox.write(
        "statuswatch.toml",
        &receiver.hook(
            "pd",
            "format = \"pagerduty\"\nrouting_key_env = \"SW_TEST_PD_KEY\"\nmin_status = \"outage\"",
        ),
    );
    poll(&sandbox);
    aws.publish(&[("i1", Status::Degraded, &[])]);
    aws.publish(&[("i1", Status::Outage, &[])]);
    aws.publish(&[("i1", Status::Degraded, &[])]);
    aws.publish(&[("i1", Status::Resolved, &[])]);
    poll(&sandbox);
    let pd = bodies(&receiver, "/pd");
    let got: Vec<(String, String)> = pd
        .iter()
        .map(|b| {
            let severity = b["payload"]["severity"].as_str().unwrap_or("-");
            (
                b["event_action"].as_str().unwrap().to_string(),
                severity.to_string(),
            )
        })
        .collect();
    // operational→degraded is below min_status; degraded→operational still resolves.
    assert_eq!(
        got,
        [
            ("trigger".into(), "critical".into()),
            ("trigger".into(), "warning".into()),
            ("resolve".into(), "-".into())
        ]
    );
    assert!(pd.iter().all(|b| b["dedup_key"] == pd[0]["dedup_key"]));
}

#[test]
fn a_receiver_answering_410_disables_its_webhook_until_enabled() {
    let sandbox = Sandbox::new();
    let receiver = Receiver::start();
    let mut zoom = TestFeed::new(&sandbox.db(), "zoom", "saas");
    sandbox.write("statuswatch.toml", &(receiver.hook("gone", "") + FAST));
    poll(&sandbox);
    receiver.script(&[410]);
    zoom.publish(&[("i1", Status::Outage, &[])]);
    zoom.publish(&[("i1", Status::Resolved, &[])]);
    let s = poll(&sandbox);
    assert_eq!(
        (s["delivered"].as_i64(), s["dead_letters"].as_i64()),
        (Some(0), Some(0)),
        "{s}"
    );
    assert_eq!(
        receiver.received("/gone").len(),
        1,
        "no attempt after the 410"
    );

    let list = stdout(&sandbox.run(&["webhooks", "list", "--format", "json"]));
    let row: Value = serde_json::from_str(list.lines().next().unwrap()).unwrap();
    assert_eq!(row["enabled"], false);
    assert!(
        row["disabled_reason"]
            .as_str()
            .unwrap()
            .starts_with("HTTP 410"),
        "{row}"
    );
    assert_eq!(row["pending"], 2, "queued events stay, not dead-lettered");
    assert_eq!(row["dead"], 0);
    let table = stdout(&sandbox.run(&["webhooks", "list"]));
    assert!(
        table.contains("\tdisabled 20"),
        "piped: tab-separated; {table}"
    );
    assert!(
        table.contains("(gone is disabled: its receiver answered HTTP 410: answer 410; `statuswatch webhooks enable gone` turns it back on)"),
        "{table}"
    );

    // Nothing more is sent, however often it polls; new events wait too.
    zoom.publish(&[("i2", Status::Degraded, &[])]);
    poll(&sandbox);
    assert_eq!(receiver.received("/gone").len(), 1);

    let out = sandbox.run(&["webhooks", "enable", "gone"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Webhook gone is enabled again: its 2 queued events"),
        "{}",
        stdout(&out)
    );
    let s = poll(&sandbox);
    assert_eq!(s["delivered"], 3, "{s}");
    let seqs: Vec<i64> = receiver
        .accepted("/gone")
        .iter()
        .map(|r| r.json()["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(
        seqs,
        events(&sandbox.db())
            .iter()
            .map(|e| e.0)
            .collect::<Vec<_>>(),
        "in order"
    );
    let out = sandbox.run(&["webhooks", "enable", "gone"]);
    assert!(stdout(&out).contains("not disabled"), "{}", stdout(&out));
    let out = sandbox.run(&["webhooks", "enable", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no webhook named \"nope\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn retrying_dead_letters_of_a_disabled_webhook_says_they_wait_for_enable() {
    let sandbox = Sandbox::new();
    let receiver = Receiver::start();
    let mut zoom = TestFeed::new(&sandbox.db(), "zoom", "saas");
    sandbox.write(
        "statuswatch.toml",
        &(receiver.hook("gone", "") + "[delivery]\nmax_attempts = 1\n"),
    );
    poll(&sandbox);
    receiver.script(&[500, 410]);
    zoom.publish(&[("i1", Status::Outage, &[])]);
    zoom.publish(&[("i1", Status::Resolved, &[])]);
    let s = poll(&sandbox);
    assert_eq!(
        (s["dead_letters"].as_i64(), s["delivery_pending"].as_i64()),
        (Some(1), Some(1)),
        "{s}"
    );
    let out = sandbox.run(&["webhooks", "retry", "--all", "gone"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "nothing was delivered: {}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("gone is disabled (its receiver answered 410 Gone): its letters wait until `statuswatch webhooks enable gone`."),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        receiver.received("/gone").len(),
        2,
        "no attempt while disabled"
    );
}

#[test]
fn template_errors_are_named_at_load_and_at_send_time() {
    let sandbox = Sandbox::new();
    let receiver = Receiver::start();
    sandbox.write(
        "statuswatch.toml",
        &receiver.hook("tpl", "format = \"template\"\ntemplate = \"\"\"\n{\"a\": {{ title|tojson }},\n \"b\": {% if %}\n}\"\"\""),
    );
    let out = sandbox.run(&["webhooks", "list"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("statuswatch.toml: line 7: webhook \"tpl\": template line 2: syntax error"),
        "{err}"
    );

    // A template that compiles but cannot render this event: a failed attempt saying why.
    sandbox.write(
        "statuswatch.toml",
        &(receiver.hook(
            "tpl",
            "format = \"template\"\ntemplate = '{{ incident.latest_update.nope }}'",
        ) + FAST),
    );
    let mut zoom = TestFeed::new(&sandbox.db(), "zoom", "saas");
    poll(&sandbox);
    zoom.publish(&[("i1", Status::Outage, &[])]);
    let s = poll(&sandbox);
    assert_eq!(s["dead_letters"], 1, "{s}");
    assert!(receiver.received("/tpl").is_empty(), "nothing is sent");
    let dead = stdout(&sandbox.run(&["webhooks", "dead", "--format", "json"]));
    assert!(
        dead.contains("webhook \\\"tpl\\\"'s template does not render: line 1: undefined value"),
        "{dead}"
    );
}
