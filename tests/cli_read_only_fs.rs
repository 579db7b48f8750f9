//! `status` and `query` read a database on a read-only file system (a backup mount, a
//! read-only container volume): they open it read-only, and immutable when SQLite cannot
//! create the WAL's `-shm` file beside it. As root, permission bits stop nothing, so the test
//! then mounts the directory read-only in a private mount namespace (`unshare -m`); otherwise
//! it takes the directory's write permission away.

mod common;
use common::{stderr, stdout, Resource, Sandbox, ATOM};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

/// Runs the binary with `args` while the sandbox's directory cannot be written.
fn run_read_only(sandbox: &Sandbox, args: &[&str]) -> Output {
    let dir = sandbox.dir.path();
    let bin = env!("CARGO_BIN_EXE_statuswatch");
    if unsafe { libc::geteuid() } == 0 {
        let d = dir.display();
        let script = format!(
            "mount --bind '{d}' '{d}' && mount -o remount,bind,ro '{d}' && touch '{d}/probe' 2>/dev/null && exit 99; exec \"$0\" \"$@\""
        );
        let out = Command::new("unshare")
            .args(["-m", "sh", "-c", &script, bin])
            .args(args)
            .env("STATUSWATCH_DB", sandbox.db())
            .env_remove("RUST_LOG")
            .env_remove("STATUSWATCH_CONFIG")
            .env("XDG_CONFIG_HOME", dir.join("xdg"))
            .output()
            .expect("unshare (util-linux) runs the read-only mount");
        assert_ne!(out.status.code(), Some(99), "the mount was still writable");
        out
    } else {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        let out = sandbox.run(args);
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        out
    }
}

#[test]
fn status_and_query_read_a_database_on_a_read_only_file_system() {
    let server = common::FeedServer::start();
    server.set("/zoom.atom", Resource::feed(ATOM));
    let sandbox = Sandbox::new();
    sandbox.add_feed("Zoom", &server.url("/zoom.atom"));
    assert_eq!(sandbox.run(&["poll"]).status.code(), Some(0));
    // Closed cleanly: no -wal or -shm left, which is what a read-only open cannot create.
    assert!(!sandbox.dir.path().join("statuswatch.db-shm").exists());

    let out = run_read_only(&sandbox, &["status", "--all", "--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("zoom,"), "{}", stdout(&out));

    let out = run_read_only(
        &sandbox,
        &["query", "SELECT count(*) FROM entries", "--format", "json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        r#"{"columns":["count(*)"],"rows":[[1]]}"#
    );

    // A refused statement is still refused there.
    let out = run_read_only(&sandbox, &["query", "DELETE FROM feeds RETURNING id"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("writes"), "{}", stderr(&out));
}
