//! statuswatch's binary (minimal on the parse-classify branch: only `classify`; replaced on merge).

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "statuswatch",
    version,
    about = "A local archive of what vendors say on their status pages"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Classify the entries of feed files, offline (no database).
    Classify(statuswatch::cli::classify::ClassifyArgs),
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Classify(args) => match statuswatch::cli::classify::run(&args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("statuswatch: error: {e:#}");
                1
            }
        },
    };
    std::process::exit(code);
}
