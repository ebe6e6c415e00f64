//! Finding 2: slow-body connections cannot exhaust the daemon's descriptors. With a tight
//! open-file limit, hundreds of `POST /api/auth/login` connections that send their headers and
//! one byte of body, then stall, leave the admin channel answering at once and `/health`
//! answering once the body deadline has cut the stalled ones off.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::fixture::{Options, TestDaemon, pacerd_bin};

/// Slow connections the test tries to open (loopback only).
const SLOW_CONNECTIONS: usize = 400;
/// The daemon's open-file limit in this test.
const OPEN_FILES: u64 = 256;

/// `pacerd status` against the daemon's home, killed if it has not answered within `limit`.
fn status_within(d: &TestDaemon, limit: Duration) -> bool {
    let mut child = Command::new(pacerd_bin())
        .args(["status", "--home"])
        .arg(d.home())
        .env_remove("PACER_HOME")
        .env("PACER_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn pacerd status");
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return status.success();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn slow_bodies_cannot_starve_health_or_the_socket() {
    let d = TestDaemon::start_with(Options {
        open_files: Some(OPEN_FILES),
        config_toml: "[limits]\nip_per_minute = 100000\n".into(),
        ..Default::default()
    });
    // This test process holds the client ends; give it room.
    pacerd::descriptors::raise_open_file_limit().expect("open-file limit");
    let addr: SocketAddr = d.http_url.trim_start_matches("http://").parse().expect("address");
    let head = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n{{"
    );
    let mut held = Vec::new();
    for _ in 0..SLOW_CONNECTIONS {
        let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else { break };
        if s.write_all(head.as_bytes()).is_err() {
            break;
        }
        held.push(s);
    }
    assert!(held.len() as u64 > OPEN_FILES / 2, "only {} slow connections were opened", held.len());

    // The admin channel answers while every stalled connection is still open.
    assert!(status_within(&d, Duration::from_secs(30)), "pacerd status did not answer; log:\n{}", d.log_text());

    // /health answers: the stalled bodies are cut off and their descriptors freed.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let client = reqwest::Client::builder().timeout(Duration::from_secs(120)).build().expect("client");
    let health = rt.block_on(async { client.get(format!("{}/health", d.http_url)).send().await.map(|r| r.status()) });
    assert_eq!(health.ok(), Some(StatusCode::OK), "log:\n{}", d.log_text());
    assert!(status_within(&d, Duration::from_secs(30)), "pacerd status after the burst");
    drop(held);
    assert!(!d.log_text().contains("Too many open files"), "the daemon ran out of descriptors");
}
