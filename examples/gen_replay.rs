//! Generates a replay directory for benchmarking `statuswatch replay`: N feeds (the four
//! engines of `gen_feeds`, in their real markup) captured every `--every` minutes over a day,
//! each feed's document moving on (one new entry, one revised) every `--change-every`
//! captures, so most captures repeat the one before, as most polls of a day do.
//!
//! ```sh
//! cargo run --release --example gen_replay -- --out DIR --feeds 200 --captures 15 \
//!     [--entries 25 --every 90 --change-every 4]
//! ```
//!
//! Output is deterministic. Feeds' capture times are staggered by a minute each, so the replay
//! visits them in an interleaved order, as captures taken live would be. Used by
//! `bench/replay.sh`; not part of the installed binary.

#[path = "../benches/corpus/mod.rs"]
mod corpus;

use corpus::document;
use std::fmt::Write as _;
use std::path::PathBuf;

struct Args {
    out: PathBuf,
    feeds: usize,
    captures: usize,
    entries: usize,
    every_minutes: i64,
    change_every: usize,
    text_len: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        out: PathBuf::from("replay-corpus"),
        feeds: 200,
        captures: 15,
        entries: 25,
        every_minutes: 90,
        change_every: 4,
        text_len: 300,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let number = |v: String| v.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--out" => args.out = PathBuf::from(value()?),
            "--feeds" => args.feeds = number(value()?)?,
            "--captures" => args.captures = number(value()?)?,
            "--entries" => args.entries = number(value()?)?,
            "--every" => args.every_minutes = number(value()?)? as i64,
            "--change-every" => args.change_every = number(value()?)?.max(1),
            "--text-len" => args.text_len = number(value()?)?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gen_replay: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("gen_replay: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> std::io::Result<()> {
    std::fs::create_dir_all(&args.out)?;
    let mut opml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head><title>statuswatch replay benchmark</title></head>\n  <body>\n",
    );
    let (mut bytes, mut files) = (0usize, 0usize);
    for feed in 0..args.feeds {
        let vendor = format!("vendor{feed:05}");
        let folder = args.out.join(&vendor);
        std::fs::create_dir_all(&folder)?;
        let mut kind = None;
        for capture in 0..args.captures {
            let version = capture / args.change_every;
            let (k, doc) = document(feed, args.entries, version, args.text_len);
            kind = Some(k);
            let minutes = capture as i64 * args.every_minutes + (feed as i64 % 60);
            let at = corpus::at(corpus::BASE + minutes * 60);
            let name = format!("{}.xml", at.format("%Y%m%dT%H%M%SZ"));
            std::fs::write(folder.join(name), &doc)?;
            bytes += doc.len();
            files += 1;
        }
        if let Some(kind) = kind {
            let _ = writeln!(
                opml,
                "    <outline text=\"Vendor {feed}\" title=\"Vendor {feed}\" type=\"rss\" xmlUrl=\"{vendor}\" vendor=\"{vendor}\" engine=\"{}\" category=\"saas\"/>",
                kind.engine()
            );
        }
    }
    opml.push_str("  </body>\n</opml>\n");
    std::fs::write(args.out.join("feeds.opml"), opml)?;
    eprintln!(
        "gen_replay: wrote {} feeds, {files} captures, {:.1} MB, in {}",
        args.feeds,
        bytes as f64 / 1e6,
        args.out.display()
    );
    Ok(())
}
