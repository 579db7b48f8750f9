//! Generates a benchmark corpus: N status feeds × M entries in the real markup of four engines
//! (Statuspage Atom, AWS RSS, Google Cloud Atom, Slack RSS), plus an OPML file listing them.
//!
//! ```sh
//! cargo run --release --example gen_feeds -- --out DIR --feeds 2000 --entries 25 \
//!     --base-url http://127.0.0.1:8089 [--generation G --changed-percent 10]
//! ```
//!
//! Output is deterministic for given arguments. `--generation G` (G ≥ 1) with `--changed-percent P`
//! rewrites P % of the feeds as they look G polls later: one new entry at the top (the oldest falls
//! off), and the previously newest entry gains a resolving update (a revision). The other feeds are
//! not rewritten at all, so their files keep their mtime, ETag and Last-Modified.
//!
//! Used by `bench/e2e.sh` and `bench/growth.sh`; not part of the installed binary.

#[path = "../benches/corpus/mod.rs"]
mod corpus;

use corpus::document;
use std::fmt::Write as _;
use std::path::PathBuf;

struct Args {
    out: PathBuf,
    feeds: usize,
    entries: usize,
    base_url: String,
    generation: usize,
    changed_percent: usize,
    text_len: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        out: PathBuf::from("bench-corpus"),
        feeds: 2000,
        entries: 25,
        base_url: "http://127.0.0.1:8089".into(),
        generation: 0,
        changed_percent: 10,
        // Text per update; 300 gives about 44 KB per feed of 25 entries (88 MB for 2,000).
        text_len: 300,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--out" => args.out = PathBuf::from(value()?),
            "--feeds" => args.feeds = value()?.parse().map_err(|e| format!("--feeds: {e}"))?,
            "--entries" => {
                args.entries = value()?.parse().map_err(|e| format!("--entries: {e}"))?
            }
            "--base-url" => args.base_url = value()?,
            "--generation" => {
                args.generation = value()?.parse().map_err(|e| format!("--generation: {e}"))?
            }
            "--changed-percent" => {
                args.changed_percent = value()?
                    .parse()
                    .map_err(|e| format!("--changed-percent: {e}"))?
            }
            "--text-len" => {
                args.text_len = value()?.parse().map_err(|e| format!("--text-len: {e}"))?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gen_feeds: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("gen_feeds: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> std::io::Result<()> {
    std::fs::create_dir_all(&args.out)?;
    let every = 100usize
        .checked_div(args.changed_percent)
        .map_or(usize::MAX, |n| n.max(1));
    let mut opml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head><title>statuswatch benchmark corpus</title></head>\n  <body>\n",
    );
    let (mut bytes, mut written) = (0usize, 0usize);
    for feed in 0..args.feeds {
        let changed = args.generation > 0 && feed % every == 0;
        if args.generation > 0 && !changed {
            continue;
        }
        let version = if changed { args.generation } else { 0 };
        let (kind, doc) = document(feed, args.entries, version, args.text_len);
        let path = args.out.join(kind.path(feed).trim_start_matches('/'));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, &doc)?;
        bytes += doc.len();
        written += 1;
        if args.generation == 0 {
            let _ = writeln!(
                opml,
                "    <outline text=\"Vendor {feed}\" title=\"Vendor {feed}\" type=\"rss\" xmlUrl=\"{}{}\" vendor=\"vendor{feed:05}\" engine=\"{}\" category=\"saas\"/>",
                args.base_url,
                kind.path(feed),
                kind.engine()
            );
        }
    }
    opml.push_str("  </body>\n</opml>\n");
    if args.generation == 0 {
        std::fs::write(args.out.join("feeds.opml"), opml)?;
    }
    eprintln!(
        "gen_feeds: wrote {written} feeds, {:.1} MB, in {}",
        bytes as f64 / 1e6,
        args.out.display()
    );
    Ok(())
}
