//! The `statuswatch` binary: parse arguments, set up logging, run a command, map the result
//! to an exit code (0 all good, 1 fatal, 2 some feeds failed).

// Library and binary code never unwrap what came from outside (clippy.toml lets unit tests);
// integration tests, benches and examples may: a panic there is a failed run.
#![deny(clippy::unwrap_used)]
// Printing goes through `cli::print` and `cli::output::error_line`: a closed pipe never panics.
#![deny(clippy::print_stdout, clippy::print_stderr)]

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
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
    /// Show correlated outages (vendors down together), newest first, with members and cause.
    Clusters(cli::clusters::ClustersArgs),
    /// Run the daemon: poll every feed on its cron schedule until SIGINT/SIGTERM.
    Run(cli::run::RunArgs),
    /// Serve the JSON API, the status board and Prometheus metrics over the database, read-only.
    Serve(cli::serve::ServeArgs),
    /// Classify the entries of feed files offline, without a database.
    Classify(cli::classify::ClassifyArgs),
    /// Re-run the current rules over every stored entry; update incidents and state (no events).
    Reclassify(cli::reclassify::ReclassifyArgs),
    /// Correct the archive by hand: an incident's status or a vendor's state, with a reason.
    Override(cli::overrides::OverrideArgs),
    /// Webhooks from the configuration file: list with delivery counts, test, dead letters, retry.
    Webhooks(cli::webhooks::WebhooksArgs),
    /// Replay a directory of captured feed documents, each at its own time, through parse,
    /// classify, store, events, correlation (and webhooks with --deliver), into a new database.
    Replay(cli::replay::ReplayArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(cli::manual::CompletionsArgs),
    /// Print the manual page (roff): `statuswatch man | man -l -`.
    Man(cli::manual::ManArgs),
}

/// Logs go to stderr. The level: the daemon logs at info, other commands print their own
/// messages and log only errors; -q keeps errors only, -v debug and -vv trace (statuswatch's
/// own, the libraries' at warn and debug); RUST_LOG, when set, overrides all of these.
fn init_logging(global: &GlobalArgs, daemon: bool) {
    let default = match (global.quiet, global.verbose) {
        (true, _) => "error",
        (false, 0) if daemon => "info",
        (false, 0) => "error",
        (false, 1) => "warn,statuswatch=debug",
        (false, _) => "debug,statuswatch=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Its fallback for a failed write is `eprintln!`, which panics on a closed stderr
        // (`poll 2>&1 | head -1`): a log line nobody can read is dropped.
        .log_internal_errors(false)
        .with_ansi(
            global
                .color
                .for_stream(std::io::IsTerminal::is_terminal(&std::io::stderr())),
        );
    match global.log_format {
        cli::LogFormat::Json => builder.json().init(),
        cli::LogFormat::Text => builder.init(),
    }
}

/// glibc gives each thread that allocates its own malloc arena (up to 8 per core), and each
/// keeps what it freed: with the runtime's workers, the parse threads and the writer, a cold
/// 10,000-feed cycle peaked at 77 MB, 63 MB with two arenas (bench/README.md). `MALLOC_ARENA_MAX`, when set, still decides.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets an allocator parameter; called first thing in main, before
        // any other thread exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

fn main() -> ExitCode {
    limit_malloc_arenas();
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|args| (m, args)));
    let (matches, mut args) = match parsed {
        Ok(parsed) => parsed,
        // --help and --version print to stdout and succeed; a usage error is fatal (1), not
        // clap's 2, which here means "some feeds failed".
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(cli::EXIT_FATAL as u8)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // `replay` writes only into a database named on its command line, never into the one
    // STATUSWATCH_DB (a live archive) or the default names.
    let db_on_command_line = matches.value_source("db") == Some(ValueSource::CommandLine);
    if matches.value_source("db") == Some(ValueSource::DefaultValue) {
        args.global.db = cli::default_db();
    }
    init_logging(
        &args.global,
        matches!(args.command, Command::Run(_) | Command::Serve(_)),
    );
    cli::output::configure(args.global.quiet, args.global.color);
    cli::panics::install();
    let result = match &args.command {
        Command::Init(a) => cli::init::run(&args.global, a),
        Command::Feeds(a) => cli::feeds::run(&args.global, a),
        Command::Poll(a) => cli::poll::run(&args.global, a),
        Command::Status(a) => cli::status::run(&args.global, a),
        Command::Query(a) => cli::query::run(&args.global, a),
        Command::Events(a) => cli::events::run(&args.global, a),
        Command::History(a) => cli::history::run(&args.global, a),
        Command::Clusters(a) => cli::clusters::run(&args.global, a),
        Command::Run(a) => cli::run::run(&args.global, a),
        Command::Serve(a) => cli::serve::run(&args.global, a),
        Command::Classify(a) => cli::classify::run(a),
        Command::Reclassify(a) => cli::reclassify::run(&args.global, a),
        Command::Override(a) => cli::overrides::run(&args.global, a),
        Command::Webhooks(a) => cli::webhooks::run(&args.global, a),
        Command::Completions(a) => cli::manual::completions(Cli::command(), a),
        Command::Man(a) => cli::manual::man(Cli::command(), a),
        Command::Replay(a) => cli::replay::run(
            &args.global,
            a,
            db_on_command_line.then_some(args.global.db.as_path()),
        ),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(err) => {
            cli::output::error_line(&format!("statuswatch: error: {err:#}"));
            ExitCode::from(cli::EXIT_FATAL as u8)
        }
    }
}
