//! `statuswatch webhooks`: the configured webhooks with their delivery counts, a signed test
//! event, dead letters, and re-driving them.

use super::output::{render, render_items, Listing};
use super::{
    load_config, open_store, parse_duration, print, Format, GlobalArgs, EXIT_OK, EXIT_SOME_FAILED,
};
use crate::config::Config;
use crate::deliver::{redact_url, Deliverer, DeliveryReport};
use crate::store::writer::Writer;
use crate::store::{QueuedDelivery, Store};
use anyhow::{bail, Context};
use chrono::Utc;
use std::time::Duration;

/// Arguments of `webhooks`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  statuswatch webhooks list
  statuswatch webhooks test ops
  statuswatch webhooks dead
  statuswatch webhooks retry --all ops
  statuswatch webhooks enable ops")]
pub struct WebhooksArgs {
    #[command(subcommand)]
    pub command: WebhooksCommand,
}

/// The `webhooks` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum WebhooksCommand {
    /// The configured webhooks: format, URL (host only), filters, delivered/pending/dead counts
    /// and the last error.
    List {
        /// table; json: one webhook per line (JSON Lines); csv: a header row, then the rows.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Send a signed synthetic `test` event to one webhook and show the answer (exit 2 when
    /// it is not a 2xx).
    Test {
        /// The webhook's name.
        name: String,
    },
    /// Dead letters: events a webhook gave up on after its last retry.
    Dead {
        /// Only this webhook's.
        #[arg(long, value_name = "NAME")]
        webhook: Option<String>,
        /// table; json: one dead letter per line (JSON Lines); csv: a header row, then the rows.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Turn a webhook back on after its receiver answered 410 Gone: its kept queue goes out
    /// with the next `poll` or `run`.
    Enable {
        /// The webhook's name.
        name: String,
    },
    /// Queue dead letters again with a fresh retry budget, then deliver for a bounded time:
    /// `retry SEQ|EVENT-ID [--webhook NAME]`, or `retry --all [NAME]`.
    Retry {
        /// The event's seq or id (with --all: the webhook's name, optional).
        target: Option<String>,
        /// Every dead letter (of the webhook named, else of all webhooks).
        #[arg(long)]
        all: bool,
        /// Only this webhook's dead letter of the event.
        #[arg(long, value_name = "NAME")]
        webhook: Option<String>,
        /// How long to deliver before exiting (0: only queue them again).
        #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
        deliver_timeout: Duration,
    },
}

pub fn run(global: &GlobalArgs, args: &WebhooksArgs) -> anyhow::Result<i32> {
    let config = load_config(global)?;
    let mut store = open_store(&global.db)?;
    let names: Vec<String> = config.webhooks.iter().map(|w| w.name.clone()).collect();
    store.register_webhooks(&names, Utc::now())?;
    match &args.command {
        WebhooksCommand::List { format } => list(&config, &store, *format),
        WebhooksCommand::Dead { webhook, format } => dead(&store, webhook.as_deref(), *format),
        WebhooksCommand::Test { name } => test(&config, store, name),
        WebhooksCommand::Enable { name } => enable(&config, store, name),
        WebhooksCommand::Retry {
            target,
            all,
            webhook,
            deliver_timeout,
        } => retry(
            &config,
            store,
            target.as_deref(),
            *all,
            webhook.as_deref(),
            *deliver_timeout,
        ),
    }
}

fn config_name(config: &Config) -> String {
    match &config.source {
        Some(path) => path.display().to_string(),
        None => "no configuration file".to_string(),
    }
}

fn list(config: &Config, store: &Store, format: Format) -> anyhow::Result<i32> {
    let names: Vec<String> = config.webhooks.iter().map(|w| w.name.clone()).collect();
    let stats = store.webhook_stats(&names)?;
    if format == Format::Table && config.webhooks.is_empty() {
        print(&format!(
            "No webhooks configured ({}). See config.example.toml.\n",
            config_name(config)
        ))?;
        return Ok(EXIT_OK);
    }
    let headers = [
        "NAME",
        "FORMAT",
        "URL",
        "SIGNED",
        "FILTER",
        "DELIVERED",
        "PENDING",
        "DEAD",
        "STATE",
        "LAST ERROR",
    ];
    let hooks: Vec<_> = config.webhooks.iter().zip(&stats).collect();
    let mut footer = String::new();
    for s in stats.iter().filter(|s| s.disabled_at.is_some()) {
        footer.push_str(&format!(
            "({} is disabled: its receiver answered {}; `statuswatch webhooks enable {}` turns it back on)\n",
            s.name,
            s.disabled_reason.as_deref().unwrap_or("HTTP 410 Gone"),
            s.name
        ));
    }
    footer.push_str(&format!("(configuration: {})\n", config_name(config)));
    let text = render(
        format,
        &Listing::new(&headers, 60).footer(&footer),
        &hooks,
        |(hook, s)| {
            vec![
                hook.name.clone(),
                hook.format_name().to_string(),
                redact_url(&hook.url),
                if hook.secret.is_some() { "yes" } else { "no" }.to_string(),
                hook.filter.to_string(),
                s.delivered.to_string(),
                s.pending.to_string(),
                s.dead.to_string(),
                match &s.disabled_at {
                    None => "enabled".to_string(),
                    Some(at) => format!("disabled {at}"),
                },
                match (&s.last_error_at, &s.last_error) {
                    (Some(at), Some(e)) => format!("{at} {e}"),
                    _ => String::new(),
                },
            ]
        },
        |(hook, s)| {
            Ok(serde_json::json!({
                "name": hook.name,
                "format": hook.format_name(),
                "url": redact_url(&hook.url),
                "signed": hook.secret.is_some(),
                "filter": hook.filter.to_string(),
                "added_at": s.added_at,
                "delivered": s.delivered,
                "pending": s.pending,
                "dead": s.dead,
                "last_delivered_at": s.last_delivered_at,
                "next_attempt_at": s.next_attempt_at,
                "last_error_at": s.last_error_at,
                "last_error": s.last_error,
                "enabled": s.disabled_at.is_none(),
                "disabled_at": s.disabled_at,
                "disabled_reason": s.disabled_reason,
            })
            .to_string())
        },
    )?;
    print(&text)?;
    Ok(EXIT_OK)
}

fn dead(store: &Store, webhook: Option<&str>, format: Format) -> anyhow::Result<i32> {
    let rows = store.queued_deliveries("dead", webhook)?;
    let headers = [
        "WEBHOOK",
        "SEQ",
        "EVENT ID",
        "ATTEMPTS",
        "LAST ATTEMPT",
        "LAST ERROR",
        "TITLE",
    ];
    let footer = format!(
        "({} dead letters; `statuswatch webhooks retry SEQ` sends one again)\n",
        rows.len()
    );
    let text = render_items(
        format,
        &Listing::new(&headers, 60).footer(&footer),
        &rows,
        dead_row,
    )?;
    print(&text)?;
    Ok(EXIT_OK)
}

fn dead_row(r: &QueuedDelivery) -> Vec<String> {
    vec![
        r.webhook.clone(),
        r.event_seq.to_string(),
        r.event_id.clone(),
        r.attempts.to_string(),
        r.last_attempt_at.clone().unwrap_or_default(),
        r.last_error.clone().unwrap_or_default(),
        r.title.clone().unwrap_or_default(),
    ]
}

/// Starts the writer and a deliverer over `store`, runs `f`, then shuts both down.
fn with_deliverer<T>(
    config: &Config,
    store: Store,
    f: impl AsyncFnOnce(&Deliverer) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (writer, writer_thread) = Writer::spawn(store)?;
    let deliverer = Deliverer::new(config.webhooks.clone(), config.delivery.clone(), writer)?;
    let result = runtime.block_on(f(&deliverer));
    drop(deliverer);
    writer_thread
        .join()
        .map_err(|_| anyhow::anyhow!("the database writer thread panicked"))?;
    result
}

fn test(config: &Config, store: Store, name: &str) -> anyhow::Result<i32> {
    let Some(hook) = config.webhook(name) else {
        bail!(
            "no webhook named {name:?} in {} (configured: {})",
            config_name(config),
            names_or_none(config)
        );
    };
    let (event, result) = with_deliverer(config, store, async |d| Ok(d.send_test(name).await?))?;
    let protocol = if hook.email.is_some() { "SMTP" } else { "HTTP" };
    let outcome = match (&result.status, &result.error) {
        (Some(status), None) => format!("{protocol} {status}"),
        (_, Some(error)) => error.clone(),
        (None, None) => "no answer".to_string(),
    };
    let how = match &hook.email {
        Some(email) => format!(
            "email over {} to {}",
            email.security.as_str(),
            email.recipients()
        ),
        None if hook.secret.is_some() => format!("{}, signed", hook.format),
        None => format!("{}, unsigned", hook.format),
    };
    print(&format!(
        "Sent test event {} to webhook {name} ({}, {how}): {outcome} in {} ms.\n",
        event.payload.id,
        redact_url(&hook.url),
        result.duration_ms
    ))?;
    Ok(if result.is_success() {
        EXIT_OK
    } else {
        EXIT_SOME_FAILED
    })
}

fn enable(config: &Config, mut store: Store, name: &str) -> anyhow::Result<i32> {
    if config.webhook(name).is_none() {
        bail!(
            "no webhook named {name:?} in {} (configured: {})",
            config_name(config),
            names_or_none(config)
        );
    }
    match store.enable_webhook(name)? {
        Some(true) => {
            let pending = store.pending_deliveries(&[name.to_string()])?;
            print(&format!(
                "Webhook {name} is enabled again: its {pending} queued events, then the events since it stopped, go out with the next `poll` or `run`.\n"
            ))?;
        }
        _ => print(&format!("Webhook {name} is not disabled; nothing to do.\n"))?,
    }
    Ok(EXIT_OK)
}

fn names_or_none(config: &Config) -> String {
    if config.webhooks.is_empty() {
        "none".to_string()
    } else {
        config
            .webhooks
            .iter()
            .map(|w| w.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn retry(
    config: &Config,
    mut store: Store,
    target: Option<&str>,
    all: bool,
    webhook: Option<&str>,
    deliver_timeout: Duration,
) -> anyhow::Result<i32> {
    let (webhook, seq) = if all {
        (target.or(webhook), None)
    } else {
        let Some(target) = target else {
            bail!("say which dead letter: `webhooks retry SEQ` (or an event id), or `webhooks retry --all [NAME]`");
        };
        let Some(seq) = store.resolve_event(target)? else {
            bail!("no event {target:?}: give its seq or id, as `statuswatch webhooks dead` lists them");
        };
        (webhook, Some(seq))
    };
    if let Some(name) = webhook {
        if config.webhook(name).is_none() {
            bail!(
                "no webhook named {name:?} in {} (configured: {})",
                config_name(config),
                names_or_none(config)
            );
        }
    }
    let queued = store.redrive_dead(webhook, seq, Utc::now())?;
    if queued == 0 {
        print("No dead letters matched; `statuswatch webhooks dead` lists them.\n")?;
        return Ok(EXIT_OK);
    }
    // A webhook a 410 Gone disabled keeps what is re-queued until it is enabled: say so.
    let names: Vec<String> = match webhook {
        Some(name) => vec![name.to_string()],
        None => config.webhooks.iter().map(|w| w.name.clone()).collect(),
    };
    let disabled: Vec<String> = store
        .webhook_stats(&names)?
        .into_iter()
        .filter(|s| s.disabled_at.is_some())
        .map(|s| s.name)
        .collect();
    let report = if deliver_timeout.is_zero() {
        None
    } else {
        let deadline = tokio::time::Instant::now() + deliver_timeout;
        Some(with_deliverer(config, store, async |d| {
            Ok(d.deliver_pending(deadline).await?)
        })?)
    };
    print(&retry_message(queued, report.as_ref()))?;
    for name in &disabled {
        print(&format!(
            "{name} is disabled (its receiver answered 410 Gone): its letters wait until `statuswatch webhooks enable {name}`.\n"
        ))?;
    }
    // A letter that failed again is not a success, whatever else was delivered.
    Ok(match report {
        Some(r) if r.failed > 0 || r.pending > 0 || r.dead > 0 => EXIT_SOME_FAILED,
        _ => EXIT_OK,
    })
}

fn retry_message(queued: usize, report: Option<&DeliveryReport>) -> String {
    match report {
        None => format!("Queued {queued} dead letters again; the next `poll` or `run` delivers them.\n"),
        Some(r) => format!(
            "Queued {queued} dead letters again. Delivered {}, {} failed attempts, {} still pending, {} dead again.\n",
            r.delivered, r.failed, r.pending, r.dead
        ),
    }
}
