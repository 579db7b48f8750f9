//! statuswatch: a local, queryable archive of what vendors say on their status pages.
//!
//! The pipeline runs one way, one module per stage:
//! catalog → schedule → fetch → parse → classify → store → events → deliver,
//! sequenced only by [`pipeline`]. See ARCHITECTURE.md for the codemap.

// Library and binary code never unwrap what came from outside (clippy.toml lets unit tests);
// integration tests, benches and examples may: a panic there is a failed run.
#![deny(clippy::unwrap_used)]
// `println!` and `eprintln!` panic when the pipe they write to is closed (`| head`): output
// goes through `cli::print` and `cli::output::error_line`, which treat that as the reader's
// choice.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod catalog;
pub mod classify;
pub mod cli;
pub mod config;
pub mod correlate;
pub mod daemon;
pub mod deliver;
pub mod duration;
pub mod entities;
pub mod events;
pub mod fetch;
pub mod incidents;
pub mod metrics;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod problems;
pub mod redact;
pub mod replay;
pub mod schedule;
pub mod serve;
pub mod store;
pub mod text;
