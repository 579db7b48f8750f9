//! A real SMTP server on 127.0.0.1 for the email tests: Python's aiosmtpd, run from
//! `smtp_server.py` beside this file as a child process, writing each accepted message as a
//! JSON file (envelope, headers, decoded bodies, the login that authenticated) into a temporary
//! directory. `.ci/run` installs aiosmtpd when it is missing; without it these tests fail, never
//! skip.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How the server behaves.
#[derive(Debug, Default, Clone)]
pub struct SmtpOptions {
    /// Recipients answered with 550.
    pub refuse: Vec<String>,
    /// The first this many DATA commands are answered with 451.
    pub tempfail: usize,
    /// `(user, password)`: AUTH required (over plain loopback, or after STARTTLS with `tls`).
    pub login: Option<(String, String)>,
    /// `(certificate PEM file, key PEM file)`: STARTTLS offered and required.
    pub tls: Option<(PathBuf, PathBuf)>,
}

/// One running server; killed when dropped.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl SmtpServer {
    pub fn start(options: SmtpOptions) -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/common/smtp_server.py");
        let mut cmd = Command::new("python3");
        cmd.arg(&script).arg(dir.path());
        for address in &options.refuse {
            cmd.args(["--refuse", address]);
        }
        if options.tempfail > 0 {
            cmd.args(["--tempfail", &options.tempfail.to_string()]);
        }
        if let Some((user, password)) = &options.login {
            cmd.args(["--login", &format!("{user}:{password}")]);
        }
        if let Some((cert, key)) = &options.tls {
            cmd.arg("--cert").arg(cert).arg("--key").arg(key);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 must be installed to run the SMTP tests");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = match line.trim().strip_prefix("PORT ") {
            Some(port) => port.parse().unwrap(),
            None => {
                let status = child.wait().unwrap();
                panic!(
                    "the SMTP server did not start ({status}); is aiosmtpd installed? (pip install aiosmtpd)"
                );
            }
        };
        SmtpServer { child, port, dir }
    }

    /// `smtp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message accepted so far, oldest first.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        let mut names: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
            .collect()
    }

    /// Waits up to `within` for `n` messages.
    pub fn wait_for(&self, n: usize, within: Duration) -> Vec<serde_json::Value> {
        let until = Instant::now() + within;
        loop {
            let got = self.messages();
            if got.len() >= n || Instant::now() > until {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
