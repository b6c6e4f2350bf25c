//! The reference connected system (`countersign-sandbox`) as a real process on loopback.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod faulty;
pub mod published;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Sandbox {
    child: Child,
    pub url: String,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub async fn start_sandbox(secret: &str, dir: &std::path::Path, port: u16) -> Sandbox {
    start_slow_sandbox(secret, dir, port, 0).await
}

/// The reference system taking `delay_ms` over every call.
pub async fn start_slow_sandbox(
    secret: &str,
    dir: &std::path::Path,
    port: u16,
    delay_ms: u64,
) -> Sandbox {
    let mut child = Command::new(env!("CARGO_BIN_EXE_countersign-sandbox"))
        .args(["--bind", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(dir)
        .args(["--delay-ms", &delay_ms.to_string()])
        .env("COUNTERSIGN_SANDBOX_SECRET", secret)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Sandbox { child, url };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the sandbox did not start");
}

/// What the reference system applied (each idempotency key once) and every signed call it
/// received since it started, repeats included.
pub async fn sandbox_log(sandbox: &Sandbox) -> (Vec<String>, Vec<String>) {
    let log: serde_json::Value = reqwest::get(format!("{}/countersign/log", sandbox.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = |k: &str| -> Vec<String> {
        log[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    (keys("applied"), keys("received"))
}

/// The outbound policy for tests whose connected systems run on this machine.
pub fn loopback_allowed() -> countersign::outbound::OutboundPolicy {
    countersign::outbound::OutboundPolicy::new(
        countersign::config::hardening::OutboundAllow::parse("127.0.0.0/8").unwrap(),
    )
}
