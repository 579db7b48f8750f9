//! The `statuswatch` binary: parse arguments, set up logging, run a command, map the result
//! to an exit code (0 all good, 1 fatal, 2 some feeds failed).

use clap::{Parser, Subcommand};
use statuswatch::cli::{self, GlobalArgs};
use std::process::ExitCode;

/// statuswatch keeps a local, queryable archive of vendors' status pages and tells you when
/// their state changes.
#[derive(Debug, Parser)]
#[command(name = "statuswatch", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the database and import the bundled catalog of vendor feeds (idempotent).
    Init(cli::init::InitArgs),
    /// Manage the feeds in the database (import, export, list, add, remove).
    Feeds(cli::feeds::FeedsArgs),
    /// Fetch every enabled feed that is due once, store what changed, then exit.
    Poll(cli::poll::PollArgs),
    /// Show the current state of every vendor, worst first.
    Status(cli::status::StatusArgs),
    /// Run one SQL statement on a read-only connection.
    Query(cli::query::QueryArgs),
    /// Show state-change events from the outbox; --follow streams new ones as JSON lines.
    Events(cli::events::EventsArgs),
    /// Show incidents with their durations, newest first.
    History(cli::history::HistoryArgs),
    /// Webhooks from the configuration file: list with delivery counts, test, dead letters, retry.
    Webhooks(cli::webhooks::WebhooksArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Cli::parse();
    let result = match &args.command {
        Command::Init(a) => cli::init::run(&args.global, a),
        Command::Feeds(a) => cli::feeds::run(&args.global, a),
        Command::Poll(a) => cli::poll::run(&args.global, a),
        Command::Status(a) => cli::status::run(&args.global, a),
        Command::Query(a) => cli::query::run(&args.global, a),
        Command::Events(a) => cli::events::run(&args.global, a),
        Command::History(a) => cli::history::run(&args.global, a),
        Command::Webhooks(a) => cli::webhooks::run(&args.global, a),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(err) => {
            eprintln!("statuswatch: error: {err:#}");
            ExitCode::from(cli::EXIT_FATAL as u8)
        }
    }
}
