//! A full disk is survivable: on a real small file system (a tmpfs mounted for the test),
//! `poll` and `run` say the disk is full and lose nothing, and once space is freed the next
//! `poll` (pruning a long fetch-log backlog included) or the daemon's next tick succeeds.
//!
//! Mounting needs root (or CAP_SYS_ADMIN); where it is refused each test says so and passes
//! without running. The store's behaviour on `SQLITE_FULL` is also tested wherever the tests
//! run, with `PRAGMA max_page_count` (`store::full_disk` in src/store/mod.rs).

mod common;

use common::{statuspage_atom, stderr, FeedServer, GenIncident, Resource, Sandbox};
use std::ffi::CString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const FULL: &str = "is full: free space and run again; nothing stored was lost";

/// A tmpfs of `megabytes` mounted on a temporary directory, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` (with the reason printed) where this process may not mount.
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let target = CString::new(dir.path().to_str().unwrap()).unwrap();
        let fs = CString::new("tmpfs").unwrap();
        let data = CString::new(format!("size={megabytes}m")).unwrap();
        // SAFETY: every pointer is a live NUL-terminated string for the whole call.
        let rc = unsafe {
            libc::mount(
                fs.as_ptr(),
                target.as_ptr(),
                fs.as_ptr(),
                0,
                data.as_ptr().cast(),
            )
        };
        if rc != 0 {
            eprintln!(
                "skipped: cannot mount a {megabytes} MB tmpfs here ({}); the store's full-disk behaviour is still tested by store::full_disk (PRAGMA max_page_count)",
                std::io::Error::last_os_error()
            );
            return None;
        }
        Some(SmallDisk { dir })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Fills the file system to the last byte with `filler`.
    fn fill(&self) {
        let mut file = std::fs::File::create(self.path("filler")).unwrap();
        let chunk = vec![0u8; 4096];
        while file.write_all(&chunk).and_then(|()| file.flush()).is_ok() {}
        // A partial chunk may fit still.
        while file.write_all(&chunk[..512]).is_ok() {}
    }

    /// Frees `bytes` of the filler.
    fn free(&self, bytes: u64) {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(self.path("filler"))
            .unwrap();
        let len = file.metadata().unwrap().len();
        file.set_len(len.saturating_sub(bytes)).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let target = CString::new(self.dir.path().to_str().unwrap()).unwrap();
        // SAFETY: a live NUL-terminated path. MNT_DETACH: a child still exiting cannot keep
        // the mount busy.
        unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
    }
}

fn statuswatch(sandbox: &Sandbox, db: &Path, args: &[&str]) -> Command {
    let mut cmd = sandbox.command(args);
    cmd.env("STATUSWATCH_DB", db);
    cmd
}

fn run(sandbox: &Sandbox, db: &Path, args: &[&str]) -> Output {
    statuswatch(sandbox, db, args).output().unwrap()
}

fn count(db: &Path, sql: &str) -> i64 {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// The counts that must never go down: what the archive holds.
fn stored(db: &Path) -> [i64; 3] {
    [
        count(db, "SELECT count(*) FROM entries"),
        count(db, "SELECT count(*) FROM incidents"),
        count(db, "SELECT count(*) FROM events"),
    ]
}

fn feed(incidents: usize) -> Vec<u8> {
    let incidents: Vec<GenIncident> = (0..incidents)
        .map(|i| GenIncident {
            id: format!("10{i}"),
            title: format!("API errors {i}"),
            updates: vec![(
                format!("2026-03-01T0{i}:00:00Z"),
                "Investigating".into(),
                "Elevated error rates.".into(),
            )],
        })
        .collect();
    statuspage_atom("status.example.com", &incidents).into_bytes()
}

/// `rows` fetch-log rows from 2020 (older than any `--keep-fetches-days`), written in chunks
/// so the WAL never needs more than the small disk has.
fn old_fetch_log(db: &Path, rows: usize) {
    let mut conn = rusqlite::Connection::open(db).unwrap();
    for chunk in 0..rows / 5_000 {
        let tx = conn.transaction().unwrap();
        for i in 0..5_000 {
            let n = chunk * 5_000 + i;
            tx.execute(
                "INSERT INTO fetches (feed_id, started_at, duration_ms, outcome, error)
                 VALUES (1, ?1, 5, 'ok', 'an old row of the fetch log, kept for a month')",
                [format!(
                    "2020-{:02}-{:02}T{:02}:{:02}:00Z",
                    1 + n / 40_000,
                    1 + n / 1440 % 28,
                    n / 60 % 24,
                    n % 60
                )],
            )
            .unwrap();
        }
        tx.commit().unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
    }
}

/// A database on a small disk of `megabytes` with one feed (one incident) served on loopback;
/// `None` where this process may not mount.
fn one_feed_on_a_small_disk(megabytes: u32) -> Option<(SmallDisk, PathBuf, FeedServer, Sandbox)> {
    let disk = SmallDisk::mount(megabytes)?;
    let db = disk.path("statuswatch.db");
    let server = FeedServer::start();
    server.set("/history.atom", Resource::feed(feed(1)));
    let sandbox = Sandbox::new();
    let url = server.url("/history.atom");
    let added = run(&sandbox, &db, &["feeds", "add", &url, "--no-check"]);
    assert!(added.status.success(), "{}", stderr(&added));
    Some((disk, db, server, sandbox))
}

#[test]
fn poll_on_a_full_disk_says_so_loses_nothing_and_the_next_poll_prunes_and_stores() {
    let Some((disk, db, server, sandbox)) = one_feed_on_a_small_disk(16) else {
        return;
    };
    let first = run(&sandbox, &db, &["poll"]);
    assert!(first.status.success(), "{}", stderr(&first));
    // Weeks of fetch log: pruning it in one statement needs a WAL as large as its pages.
    old_fetch_log(&db, 40_000);
    let db_bytes = std::fs::metadata(&db).unwrap().len();
    let before = stored(&db);
    assert_eq!(before[0], 1);

    disk.fill();
    server.set("/history.atom", Resource::feed(feed(2)));
    let full = run(&sandbox, &db, &["poll"]);
    assert!(!full.status.success());
    let message = stderr(&full);
    assert!(
        message.contains(&format!("the disk holding {} {FULL}", db.display())),
        "{message}"
    );
    assert_eq!(stored(&db), before, "nothing stored was lost");

    // A little room, far less than the fetch log's pages ({db_bytes} bytes).
    disk.free(1024 * 1024);
    assert!(db_bytes > 4 * 1024 * 1024, "{db_bytes}");
    let again = run(&sandbox, &db, &["poll"]);
    assert!(again.status.success(), "{}", stderr(&again));
    let after = stored(&db);
    assert_eq!(after[0], 2, "the new entry is stored");
    assert!(after.iter().zip(before).all(|(a, b)| *a >= b));
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM fetches WHERE started_at < '2021'"
        ),
        0,
        "the whole backlog was pruned"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM fetches WHERE started_at > '2021'"
        ),
        2,
        "the recent fetch log stays"
    );
    let check = run(&sandbox, &db, &["query", "PRAGMA integrity_check"]);
    assert!(String::from_utf8_lossy(&check.stdout).contains("ok"));
}

#[test]
fn the_daemon_on_a_full_disk_keeps_going_and_its_next_tick_stores_once_space_is_back() {
    let Some((disk, db, server, sandbox)) = one_feed_on_a_small_disk(8) else {
        return;
    };
    let mut child = statuswatch(
        &sandbox,
        &db,
        &["run", "--max-jitter-ms", "0", "--schedule", "* * * * * *"],
    )
    .env("RUST_LOG", "info")
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let (tx, log) = mpsc::channel();
    let err = BufReader::new(child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in err.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let mut wait_for = |what: &str, done: &mut dyn FnMut(&str) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match log.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => {
                    let hit = done(&line);
                    lines.push(line);
                    if hit {
                        return;
                    }
                }
                Err(_) => panic!("no {what} in the daemon's log:\n{}", lines.join("\n")),
            }
        }
    };
    let stored_one = |_: &str| count(&db, "SELECT count(*) FROM entries") == 1;
    wait_for("first stored entry", &mut { stored_one });
    let before = stored(&db);

    disk.fill();
    server.set("/history.atom", Resource::feed(feed(2)));
    wait_for("full-disk error", &mut |line: &str| line.contains(FULL));
    assert_eq!(stored(&db), before, "nothing stored was lost");
    assert!(
        child.try_wait().unwrap().is_none(),
        "the daemon keeps going"
    );

    disk.free(1024 * 1024);
    let stored_two = |_: &str| count(&db, "SELECT count(*) FROM entries") == 2;
    wait_for("the next tick storing", &mut { stored_two });
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{}", lines.join("\n"));
}
