//! `statuswatch completions SHELL` and `statuswatch man [COMMAND]`: shell completion scripts
//! and roff manual pages, generated from the same argument definitions as `--help`.

use super::{print, EXIT_OK};
use anyhow::Context;

/// Arguments of `completions`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  statuswatch completions bash > ~/.local/share/bash-completion/completions/statuswatch
  statuswatch completions zsh > ~/.zfunc/_statuswatch
  statuswatch completions fish > ~/.config/fish/completions/statuswatch.fish")]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `man`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  statuswatch man | man -l -
  statuswatch man poll > statuswatch-poll.1")]
pub struct ManArgs {
    /// A subcommand's page (statuswatch-poll(1)) instead of the main one.
    pub command: Option<String>,
}

/// Prints the completion script for `args.shell`.
pub fn completions(mut cmd: clap::Command, args: &CompletionsArgs) -> anyhow::Result<i32> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "statuswatch", &mut out);
    print(&String::from_utf8_lossy(&out))?;
    Ok(EXIT_OK)
}

/// Prints a manual page in roff.
pub fn man(cmd: clap::Command, args: &ManArgs) -> anyhow::Result<i32> {
    let page = match &args.command {
        None => cmd,
        Some(name) => {
            let known: Vec<String> = cmd
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect();
            let sub = cmd.find_subcommand(name).cloned().with_context(|| {
                format!(
                    "no command {name:?} to show a page for; the commands: {}",
                    known.join(", ")
                )
            })?;
            // The page is statuswatch-NAME(1), as git and cargo name theirs.
            sub.name(format!("statuswatch-{name}"))
                .version(env!("CARGO_PKG_VERSION"))
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut out)
        .context("cannot render the manual page")?;
    print(&String::from_utf8_lossy(&out))?;
    Ok(EXIT_OK)
}
