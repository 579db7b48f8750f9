//! The board in a real browser: headless Chromium (Debian's `chromium`, or `$CHROMIUM`) loads
//! the page from the real binary on 127.0.0.1, runs board.js (which connects to the event
//! stream) and, when a poll changes a vendor's state, shows the new state without a reload.
//!
//! Chromium is driven over `--remote-debugging-pipe` (the DevTools protocol on file descriptors
//! 3 and 4, no port): `--dump-dom` with `--virtual-time-budget` never finishes on this page,
//! because virtual time waits for pending requests and the event stream never ends. The flags
//! keep it off the network (no first-run, sync, component updates or background requests) and
//! it is only ever pointed at 127.0.0.1.

mod common;

use common::served::Served;
use common::{fixture, opml, stderr, Resource, Sandbox};
use serde_json::{json, Value};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Generous: on a fresh, loaded two-core machine Chromium's first start (building its font
/// cache) took over a minute.
const ANSWER_WITHIN: Duration = Duration::from_secs(240);
/// How long the page may take to show what a test waits for.
const SHOWN_WITHIN: Duration = Duration::from_secs(60);

/// Where Chromium is, or a failure that says how to get it: a skipped browser test would
/// report success for nothing.
fn chromium() -> String {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        assert!(
            std::path::Path::new(&path).exists(),
            "CHROMIUM={} does not exist: install Debian's `chromium` (apt-get install chromium)",
            path.to_string_lossy()
        );
        return path.to_string_lossy().into_owned();
    }
    for path in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if std::path::Path::new(path).exists() {
            return path.to_string();
        }
    }
    panic!(
        "headless Chromium is not installed: install Debian's `chromium` \
         (apt-get install chromium; .ci/run does), or set CHROMIUM=/path/to/chromium"
    );
}

/// A headless Chromium and its DevTools pipe; killed when dropped.
struct Browser {
    child: Child,
    to: File,
    from: mpsc::Receiver<Value>,
    next_id: u64,
    _profile: tempfile::TempDir,
}

/// A pipe whose ends close on exec: the child gets only the copies it is given.
fn pipe() -> (RawFd, RawFd) {
    let mut fds = [0; 2];
    assert_eq!(
        unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) },
        0,
        "pipe2()"
    );
    (fds[0], fds[1])
}

impl Browser {
    fn start() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        // Chromium reads commands on fd 3 and writes answers on fd 4.
        let (cmd_read, cmd_write) = pipe();
        let (out_read, out_write) = pipe();
        let mut command = Command::new(chromium());
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-pipe",
                "--window-size=1280,1000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        unsafe {
            command.pre_exec(move || {
                // Move both ends above 4 first, so placing one cannot close the other.
                let read = libc::fcntl(cmd_read, libc::F_DUPFD_CLOEXEC, 10);
                let write = libc::fcntl(out_write, libc::F_DUPFD_CLOEXEC, 10);
                if read < 0 || write < 0 || libc::dup2(read, 3) < 0 || libc::dup2(write, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start chromium: {e}"));
        unsafe {
            libc::close(cmd_read);
            libc::close(out_write);
        }
        let to = unsafe { File::from_raw_fd(cmd_write) };
        let from_chrome = unsafe { File::from_raw_fd(out_read) };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(from_chrome);
            loop {
                let mut message = Vec::new();
                match reader.read_until(0, &mut message) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        if message.last() == Some(&0) {
                            message.pop();
                        }
                        if let Ok(value) = serde_json::from_slice::<Value>(&message) {
                            if tx.send(value).is_err() {
                                return;
                            }
                        }
                    }
                }
            }
        });
        Browser {
            child,
            to,
            from: rx,
            next_id: 1,
            _profile: profile,
        }
    }

    /// Sends one command (to a page's session, or the browser) and waits for its answer.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.to.write_all(&bytes).unwrap();
        let deadline = Instant::now() + ANSWER_WITHIN;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let answer = self.from.recv_timeout(left).unwrap_or_else(|_| {
                panic!("chromium did not answer {method} within {ANSWER_WITHIN:?}")
            });
            if answer["id"] == json!(id) {
                assert!(answer.get("error").is_none(), "{method}: {answer}");
                return answer["result"].clone();
            }
        }
    }

    /// Opens `url` in a new page; returns the page's session.
    fn open(&mut self, url: &str) -> String {
        assert!(url.starts_with("http://127.0.0.1:"), "loopback only: {url}");
        let target = self.call(None, "Target.createTarget", json!({"url": url}));
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        attached["sessionId"].as_str().unwrap().to_string()
    }

    /// The value of a JavaScript expression in the page.
    fn eval(&mut self, session: &str, expression: &str) -> Value {
        let result = self.call(
            Some(session),
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        result["result"]["value"].clone()
    }

    /// Waits until `expression` is true in the page; fails with `what` and the page's text.
    fn wait_for(&mut self, session: &str, expression: &str, what: &str) {
        let deadline = Instant::now() + SHOWN_WITHIN;
        while Instant::now() < deadline {
            if self.eval(session, expression) == json!(true) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let text = self.eval(session, "document.documentElement.outerHTML");
        panic!("{what} within {SHOWN_WITHIN:?}; the page: {text}");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Asked to close, Chromium ends its helper processes too; killed, it may leave them.
        let _ = self
            .to
            .write_all(b"{\"id\":0,\"method\":\"Browser.close\",\"params\":{}}\0");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_board_runs_in_a_browser_and_updates_live() {
    let server = common::FeedServer::start();
    server.set(
        "/skylark.atom",
        Resource::feed(fixture("feeds/statuspage-v2.atom")),
    );
    server.set(
        "/calm.atom",
        Resource::feed(fixture("feeds/statuspage-v1.atom")),
    );
    let sandbox = Sandbox::new();
    let file = sandbox.write(
        "feeds.opml",
        &opml(&[
            ("Skylark", "skylark", "", server.url("/skylark.atom")),
            ("Calmly", "calmly", "", server.url("/calm.atom")),
        ]),
    );
    let out = sandbox.run(&["feeds", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = sandbox.poll(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(common::vendor_state(&sandbox, "skylark"), "degraded");

    let served = Served::start(&sandbox, &["serve"], &[]);
    let mut browser = Browser::start();
    let page = browser.open(&served.url("/"));
    // board.js ran and its event stream is connected.
    browser.wait_for(
        page.as_str(),
        "document.body !== null && document.body.dataset.live === 'on'",
        "board.js never connected to the event stream (data-live=\"on\")",
    );
    let text = browser.eval(&page, "document.querySelector('main').innerText");
    let text = text.as_str().unwrap();
    assert!(
        text.contains("Skylark") && text.contains("Calmly"),
        "{text}"
    );
    assert!(
        text.contains("Degraded") && text.contains("Operational"),
        "{text}"
    );
    assert!(text.contains("Elevated error rates on the API"), "{text}");
    assert!(text.contains("1 of 2 vendors not operational."), "{text}");
    // The stylesheet applied (the CSP let it), and the grid is laid out.
    assert_eq!(
        browser.eval(
            &page,
            "getComputedStyle(document.querySelector('.vendors')).display"
        ),
        json!("grid")
    );

    // The incident resolves at the next poll: the page follows without a reload.
    browser.eval(&page, "window.__same_document = true");
    server.set(
        "/skylark.atom",
        Resource::feed(fixture("feeds/statuspage-v3.atom")),
    );
    sandbox.make_due();
    let out = sandbox.poll(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(common::vendor_state(&sandbox, "skylark"), "operational");
    browser.wait_for(
        page.as_str(),
        "document.querySelector('main').innerText.includes('All 2 vendors operational.')",
        "the board did not show the resolved state",
    );
    assert_eq!(
        browser.eval(&page, "window.__same_document === true"),
        json!(true)
    );
}
