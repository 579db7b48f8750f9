//! Where the database is when neither `--db` nor `STATUSWATCH_DB` names one: `./statuswatch.db`
//! when it exists, else `$XDG_DATA_HOME/statuswatch/statuswatch.db` (`~/.local/share/...`),
//! whose directory the commands that write create and the ones that only read never do. The
//! real binary runs with `HOME` and `XDG_DATA_HOME` pointed into a temporary directory.

mod common;
use common::{stderr, stdout, FeedServer, Resource, ATOM};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A home directory and an empty working directory, both temporary.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let home = Home {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir_all(home.work()).unwrap();
        home
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// The binary with no database named, `xdg_data` as `XDG_DATA_HOME` (or none).
    fn run(&self, xdg_data: Option<&Path>, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_statuswatch"));
        cmd.args(args)
            .env_remove("STATUSWATCH_DB")
            .env_remove("STATUSWATCH_CONFIG")
            .env_remove("RUST_LOG")
            .env_remove("XDG_DATA_HOME")
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .current_dir(self.work());
        if let Some(dir) = xdg_data {
            cmd.env("XDG_DATA_HOME", dir);
        }
        cmd.output().unwrap()
    }
}

#[test]
fn without_a_local_database_it_lives_in_the_users_data_directory_made_only_by_writing_commands() {
    let home = Home::new();
    let default = home.home().join(".local/share/statuswatch/statuswatch.db");

    // Reading commands name the path and create nothing, not even the directory.
    for args in [
        &["status"][..],
        &["history"],
        &["feeds", "list"],
        &["query", "SELECT 1"],
    ] {
        let out = home.run(None, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stdout(&out));
        assert!(
            stderr(&out).contains(&format!("no database at {}", default.display())),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(
        !home.home().exists(),
        "a read-only command created {}",
        home.home().display()
    );

    // A command that writes creates the directory and the database there.
    let feeds = FeedServer::start();
    feeds.set("/feed.atom", Resource::feed(ATOM));
    let out = home.run(
        None,
        &[
            "feeds",
            "add",
            &feeds.url("/feed.atom"),
            "--no-check",
            "--title",
            "Example",
            "--vendor",
            "example",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(default.is_file(), "no database at {}", default.display());
    assert!(!home.work().join("statuswatch.db").exists());

    // And the others find it there: a poll of that one feed, then status.
    let out = home.run(None, &["poll", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(feeds.seen("/feed.atom").len(), 1);
    let out = home.run(None, &["status", "--all"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("example"), "{}", stdout(&out));
}

#[test]
fn xdg_data_home_is_honoured_and_init_creates_the_directory() {
    let home = Home::new();
    let data = home.dir.path().join("data");
    let out = home.run(Some(&data), &["init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let db = data.join("statuswatch/statuswatch.db");
    assert!(db.is_file(), "no database at {}", db.display());
    assert!(
        stdout(&out).contains(&db.display().to_string()),
        "{}",
        stdout(&out)
    );
    assert!(!home.home().exists());
    // A relative XDG_DATA_HOME is ignored, as the spec says: the home's default is used.
    let out = home.run(Some(Path::new("relative")), &["status"]);
    assert!(
        stderr(&out).contains(
            &home
                .home()
                .join(".local/share/statuswatch/statuswatch.db")
                .display()
                .to_string()
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_existing_statuswatch_db_in_the_working_directory_is_still_used() {
    let home = Home::new();
    let out = home.run(None, &["--db", "statuswatch.db", "init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = home.run(None, &["feeds", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).is_empty());
    let out = home.run(None, &["init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("statuswatch.db"), "{}", stdout(&out));
    assert!(
        !home.home().exists(),
        "the data directory was made beside a local database"
    );
}
