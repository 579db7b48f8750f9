//! The real binary serving HTTP (`serve`, or `run --listen`) as a child process on 127.0.0.1,
//! and a small blocking client for it.

use super::Sandbox;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running server; killed when dropped.
pub struct Served {
    pub child: Child,
    /// `http://127.0.0.1:PORT` as the server printed it.
    pub base: String,
    /// Every stderr line after the address line, as it arrives.
    pub stderr: mpsc::Receiver<String>,
}

impl Served {
    /// Starts `statuswatch ARGS --listen 127.0.0.1:0` in the sandbox (plus `envs`) and waits
    /// for the line that says where it serves.
    pub fn start(sandbox: &Sandbox, args: &[&str], envs: &[(&str, &str)]) -> Served {
        let mut cmd = sandbox.command(args);
        if !args.contains(&"--listen") {
            cmd.args(["--listen", "127.0.0.1:0"]);
        }
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut seen = Vec::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    if let Some(at) = line.rfind(" at http://") {
                        let address = line[at + 4..].split_whitespace().next().unwrap_or("");
                        return Served {
                            child,
                            base: address.trim_end_matches('/').to_string(),
                            stderr: rx,
                        };
                    }
                    seen.push(line);
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("the server never said where it serves; stderr: {seen:#?}");
                }
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A blocking GET with optional extra headers.
    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        get(&self.url(path), headers)
    }

    /// Sends SIGTERM and waits (up to 15 s) for the exit status code.
    pub fn terminate(&mut self) -> Option<i32> {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the server did not stop within 15 s of SIGTERM");
    }

    /// Everything the server wrote to stderr so far (after the address line).
    pub fn stderr_so_far(&self) -> String {
        self.stderr.try_iter().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A blocking GET to a loopback URL.
pub fn get(url: &str, headers: &[(&str, &str)]) -> Reply {
    let (status, headers, body) = get_bytes(url, headers);
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// A blocking GET to a loopback URL, the body as sent (this client never decompresses).
pub fn get_bytes(
    url: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "tests talk to loopback only: {url}"
    );
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        // The package's reqwest features reach this client too: keep bodies as sent.
        .no_gzip()
        .no_brotli()
        .no_deflate()
        .build()
        .unwrap();
    let mut request = client.get(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().unwrap().to_vec())
}
