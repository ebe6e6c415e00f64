//! The command line and process lifecycle.

use std::process::Command;
use std::time::Duration;

use serde_json::json;

use crate::support::{Home, Mcp};

fn pacer_mcp(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pacer-mcp")).args(args).output().expect("run pacer-mcp")
}

#[test]
fn version_help_and_bad_flags() {
    let out = pacer_mcp(&["--version"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("pacer-mcp {}\n", env!("CARGO_PKG_VERSION")));

    let out = pacer_mcp(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for word in ["--api-key-file", "--home", "--socket", "PACER_API_KEY", "PACER_DAEMON_BIN", "PACER_LOG"] {
        assert!(help.contains(word), "help lacks {word}");
    }

    for bad in [&["--bogus"][..], &["--home"], &["serve"]] {
        let out = pacer_mcp(bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("pacer-mcp: "), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[tokio::test]
async fn sigterm_and_sigint_exit_promptly() {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let home = Home::new();
        let mut mcp = Mcp::spawn(home.path(), |_| {});
        // An answered request proves the main loop (and so its signal handlers) is running;
        // a fixed sleep raced with start-up on a loaded machine.
        let answer = mcp.request(json!(1), "ping", json!({})).await;
        assert!(answer.get("error").is_some(), "no daemon: {answer}");
        let pid = libc::pid_t::try_from(mcp.pid()).expect("pid");
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        let status =
            tokio::time::timeout(Duration::from_secs(10), mcp.wait()).await.expect("prompt exit (stdin still open)");
        assert!(status.success(), "{status}");
        // stderr is collected by a reader thread: give it a bounded moment to catch up.
        for _ in 0..100 {
            if mcp.stderr().contains("exiting") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(mcp.stderr().contains("exiting"), "{}", mcp.stderr());
    }
}
