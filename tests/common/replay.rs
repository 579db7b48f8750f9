//! Running `statuswatch replay` in tests: a replay directory written by hand (its
//! `feeds.opml` and capture folders) and the real binary run over it, hermetically (no
//! `STATUSWATCH_DB`, no developer configuration, a fresh working directory).
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What one run of `statuswatch replay` gave.
#[derive(Debug, Clone)]
pub struct ReplayRun {
    pub code: i32,
    pub stdout: Vec<String>,
    pub stderr: String,
}

impl ReplayRun {
    /// Every stdout line parsed as JSON (for `--format json`); panics naming a line that is not.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.stdout
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| {
                    panic!(
                        "stdout line is not JSON ({e}): {l}\nstderr: {}",
                        self.stderr
                    )
                })
            })
            .collect()
    }

    /// Panics, showing stderr, unless stderr holds `text`.
    pub fn assert_stderr(&self, text: &str) {
        assert!(
            self.stderr.contains(text),
            "{text:?} not in stderr:\n{}",
            self.stderr
        );
    }

    /// These top-level fields of each event (of `kind`, or all), as text ("" when absent), for
    /// comparing a replay's events with a table: `[["zoom", "2025-10-20T07:00:00Z"], ...]`.
    pub fn fields(&self, kind: Option<&str>, keys: &[&str]) -> Vec<Vec<String>> {
        let events = match kind {
            Some(kind) => self.events_of(kind),
            None => self.events(),
        };
        events
            .iter()
            .map(|e| {
                keys.iter()
                    .map(|k| e[*k].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .collect()
    }

    /// The events of one kind (`state_change`, `correlated_outage`, `feed_failing`, ...).
    pub fn events_of(&self, kind: &str) -> Vec<serde_json::Value> {
        self.events()
            .into_iter()
            .filter(|e| e["kind"] == kind)
            .collect()
    }
}

/// Runs `statuswatch replay DIR ARGS...` and returns (exit code, stdout lines, stderr).
pub fn run_replay(dir: &Path, args: &[&str]) -> (i32, Vec<String>, String) {
    let run = replay(dir, args);
    (run.code, run.stdout, run.stderr)
}

/// [`run_replay`] as a [`ReplayRun`].
pub fn replay(dir: &Path, args: &[&str]) -> ReplayRun {
    let cwd = tempfile::tempdir().unwrap();
    let out = replay_command(dir, args, cwd.path()).output().unwrap();
    ReplayRun {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The `replay` command, hermetic, run in `cwd` (where a relative path resolves).
pub fn replay_command(dir: &Path, args: &[&str], cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_statuswatch"));
    cmd.arg("replay")
        .arg(dir)
        .args(args)
        .env_remove("STATUSWATCH_DB")
        .env_remove("STATUSWATCH_CONFIG")
        .env_remove("RUST_LOG")
        .env("XDG_CONFIG_HOME", cwd.join("xdg"))
        .current_dir(cwd);
    cmd
}

/// A capture file's name for a time: `20251020T064600Z`, the basic ISO form (no extension).
pub fn capture_name(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A time from RFC 3339 text (`2025-10-20T06:46:00Z`).
pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// One feed of a replay directory's `feeds.opml`.
#[derive(Debug, Clone)]
pub struct ReplayFeed {
    pub vendor: String,
    pub title: String,
    /// `xmlUrl`: the folder name (the vendor key) unless set.
    pub xml_url: String,
    pub engine: Option<String>,
    pub category: Option<String>,
    pub runs_on: Option<String>,
    /// More attributes, written as given (`selector="..."`).
    pub extra: Vec<(String, String)>,
}

impl ReplayFeed {
    /// A feed whose `xmlUrl` is its folder, `vendor`.
    pub fn new(vendor: &str, title: &str) -> ReplayFeed {
        ReplayFeed {
            vendor: vendor.to_string(),
            title: title.to_string(),
            xml_url: vendor.to_string(),
            engine: None,
            category: None,
            runs_on: None,
            extra: Vec::new(),
        }
    }

    pub fn engine(mut self, engine: &str) -> ReplayFeed {
        self.engine = Some(engine.to_string());
        self
    }

    pub fn category(mut self, category: &str) -> ReplayFeed {
        self.category = Some(category.to_string());
        self
    }

    pub fn runs_on(mut self, runs_on: &str) -> ReplayFeed {
        self.runs_on = Some(runs_on.to_string());
        self
    }

    pub fn xml_url(mut self, url: &str) -> ReplayFeed {
        self.xml_url = url.to_string();
        self
    }

    pub fn attr(mut self, name: &str, value: &str) -> ReplayFeed {
        self.extra.push((name.to_string(), value.to_string()));
        self
    }

    fn outline(&self) -> String {
        let esc = super::xml_escape;
        let mut line = format!(
            "    <outline text=\"{t}\" title=\"{t}\" type=\"rss\" xmlUrl=\"{u}\" vendor=\"{v}\"",
            t = esc(&self.title),
            u = esc(&self.xml_url),
            v = esc(&self.vendor)
        );
        for (name, value) in [
            ("engine", &self.engine),
            ("category", &self.category),
            ("runs_on", &self.runs_on),
        ] {
            if let Some(value) = value {
                line.push_str(&format!(" {name}=\"{}\"", esc(value)));
            }
        }
        for (name, value) in &self.extra {
            line.push_str(&format!(" {name}=\"{}\"", esc(value)));
        }
        line.push_str("/>\n");
        line
    }
}

/// The OPML text of a replay directory listing `feeds`.
pub fn replay_opml(feeds: &[ReplayFeed]) -> String {
    let body: String = feeds.iter().map(ReplayFeed::outline).collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head><title>replay</title></head>\n  <body>\n{body}  </body>\n</opml>\n"
    )
}

/// A replay directory in a temporary folder (removed when dropped).
pub struct ReplayDir {
    pub tmp: tempfile::TempDir,
}

impl ReplayDir {
    pub fn new() -> ReplayDir {
        ReplayDir {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    /// The replay directory itself (`DIR`), inside the temporary folder, so a test can put
    /// databases and configuration beside it.
    pub fn path(&self) -> PathBuf {
        let dir = self.tmp.path().join("replay");
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A path beside the replay directory (a `--db`, a config file).
    pub fn beside(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// Writes `feeds.opml` listing `feeds`, and creates each feed's folder.
    pub fn feeds(&self, feeds: &[ReplayFeed]) -> &ReplayDir {
        self.write("feeds.opml", &replay_opml(feeds));
        for feed in feeds {
            std::fs::create_dir_all(self.path().join(&feed.vendor)).unwrap();
        }
        self
    }

    /// Writes one capture: `DIR/<vendor>/<YYYYMMDDTHHMMSSZ>.<ext>` holding `body`.
    pub fn capture(&self, vendor: &str, time: &str, ext: &str, body: &str) -> PathBuf {
        let name = format!("{}.{ext}", capture_name(at(time)));
        self.write(&format!("{vendor}/{name}"), body)
    }

    /// Writes any file under the replay directory (creating its folders).
    pub fn write(&self, relative: &str, contents: &str) -> PathBuf {
        let path = self.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// Runs the replay over this directory.
    pub fn replay(&self, args: &[&str]) -> ReplayRun {
        replay(&self.path(), args)
    }
}

impl Default for ReplayDir {
    fn default() -> Self {
        ReplayDir::new()
    }
}
