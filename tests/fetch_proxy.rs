//! Proxies on real fetches (`src/fetch/proxy.rs`): a feed on another host goes through the
//! proxy the environment names, `feeds check` says so (credentials redacted), a URL naming
//! this machine never does. The proxy is a tiny forward proxy on 127.0.0.1 that answers
//! absolute-form requests itself: the feed's host (`feed.example`) is handed to it and never
//! resolved here (pinned by the unit test
//! `through_a_proxy_the_target_name_is_never_resolved_here`), so nothing leaves this machine.
//! Variables are set on the child process only.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// A forward proxy that answers every request with `ATOM` and keeps each request's head.
struct Proxy {
    port: u16,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&heads);
        std::thread::spawn(move || {
            for socket in listener.incoming() {
                let Ok(mut socket) = socket else { return };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                seen.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&head).into_owned());
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/atom+xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{ATOM}",
                    ATOM.len()
                );
                let _ = socket.write_all(answer.as_bytes());
            }
        });
        Proxy { port, heads }
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

fn check(sandbox: &Sandbox, vars: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = sandbox.command(&[
        "feeds",
        "check",
        "--connect-timeout",
        "2s",
        "--timeout",
        "5s",
    ]);
    for (name, value) in vars {
        cmd.env(name, value);
    }
    cmd.output().unwrap()
}

#[test]
fn a_feed_elsewhere_goes_through_the_proxy_and_feeds_check_says_which() {
    let proxy = Proxy::start();
    let sandbox = Sandbox::new();
    sandbox.add_feed("Vendor", "http://feed.example/history.atom");
    let value = format!("http://ops:s3cret@127.0.0.1:{}", proxy.port);
    let out = check(&sandbox, &[("HTTP_PROXY", &value)]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains(&format!(
            "through the proxy http://***@127.0.0.1:{}/",
            proxy.port
        )),
        "{text}"
    );
    assert!(!text.contains("s3cret") && !stderr(&out).contains("s3cret"));
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].starts_with("GET http://feed.example/history.atom HTTP/1.1\r\n"),
        "{heads:?}"
    );
    // The proxy's credentials go to the proxy, as Basic auth.
    assert!(
        heads[0].contains("proxy-authorization: Basic b3BzOnMzY3JldA=="), // ops:s3cret
        "{heads:?}"
    );
}

#[test]
fn a_feed_on_this_machine_never_goes_through_the_proxy() {
    let proxy = Proxy::start();
    let server = FeedServer::start();
    server.set("/a.atom", Resource::feed(ATOM));
    let sandbox = Sandbox::new();
    sandbox.add_feed("Local", &server.url("/a.atom"));
    let value = format!("http://127.0.0.1:{}", proxy.port);
    let out = check(
        &sandbox,
        &[
            ("HTTP_PROXY", &value),
            ("ALL_PROXY", &value),
            ("NO_PROXY", ""),
        ],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(!text.contains("proxy"), "{text}");
    assert_eq!(server.seen("/a.atom").len(), 1);
    assert_eq!(proxy.heads(), Vec::<String>::new());
}

#[test]
fn an_unusable_proxy_variable_is_named_with_what_to_do() {
    let sandbox = Sandbox::new();
    sandbox.add_feed("Vendor", "http://feed.example/history.atom");
    for (var, value, says) in [
        (
            "ALL_PROXY",
            "socks5://u:pw@127.0.0.1:1080",
            "HTTP proxies only",
        ),
        ("HTTP_PROXY", "http://169.254.169.254:80", "never connects"),
    ] {
        let out = check(&sandbox, &[(var, value)]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{var}: {err}");
        assert!(
            err.contains(&format!("environment variable {var}"))
                && err.contains(says)
                && err.contains("unset it"),
            "{var}: {err}"
        );
        assert!(!err.contains("pw@"), "{err}");
    }
}

#[test]
fn a_proxy_that_is_down_is_named_as_what_could_not_be_reached() {
    let sandbox = Sandbox::new();
    sandbox.add_feed("Vendor", "http://feed.example/history.atom");
    let closed = refused_url("/");
    let proxy = closed.trim_end_matches('/');
    let out = check(&sandbox, &[("http_proxy", proxy)]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}{}", stderr(&out));
    let port = proxy.rsplit(':').next().unwrap();
    assert!(
        text.contains(&format!(
            "cannot connect: the proxy 127.0.0.1:{port} (for feed.example:80)"
        )) && text.contains(&format!("through the proxy {proxy}/")),
        "{text}"
    );
}

#[test]
fn a_webhook_elsewhere_goes_through_the_proxy_and_one_on_this_machine_does_not() {
    let proxy = Proxy::start();
    let receiver = FeedServer::start();
    receiver.set("/hook", Resource::plain(200, "text/plain", "ok"));
    let sandbox = Sandbox::new();
    sandbox.write(
        "statuswatch.toml",
        &format!(
            "[[webhooks]]\nname = \"far\"\nurl = \"http://hooks.example/in\"\n\n\
             [[webhooks]]\nname = \"near\"\nurl = \"{}\"\n",
            receiver.url("/hook")
        ),
    );
    let value = format!("http://127.0.0.1:{}", proxy.port);
    for name in ["far", "near"] {
        let out = sandbox
            .command(&["webhooks", "test", name])
            .env("HTTP_PROXY", &value)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}{}",
            stdout(&out),
            stderr(&out)
        );
    }
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].starts_with("POST http://hooks.example/in HTTP/1.1\r\n"),
        "{heads:?}"
    );
    assert_eq!(receiver.seen("/hook").len(), 1);
}
