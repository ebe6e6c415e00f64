//! Starting `pacerd` when nothing listens on its socket.
//!
//! The daemon is spawned detached (its own session, no stdin/stdout, stderr appended to
//! `<home>/pacerd.log`), then the socket is polled until it answers or the wait runs out.

use std::fs::{DirBuilder, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use tokio::net::UnixStream;
use tokio::time::sleep;
use tracing::{debug, info, warn};

use crate::socket::{describe, is_absent, try_connect};

/// How long to wait for an autostarted daemon to open its socket.
const WAIT: Duration = Duration::from_secs(5);
/// Interval between connection attempts while waiting.
const POLL: Duration = Duration::from_millis(50);

/// Spawns `<bin> serve --home <home>` and polls `socket` until it accepts a connection.
///
/// Gives up early when the daemon exits unsuccessfully. The error is one line for the
/// client, naming what went wrong (the caller adds the socket path and the fix).
pub async fn start_and_wait(bin: &Path, home: &Path, socket: &Path) -> Result<UnixStream, String> {
    let shown = bin.display();
    let mut child = spawn_daemon(bin, home).map_err(|e| format!("could not start {shown}: {e}"))?;
    info!(pid = child.id(), bin = %shown, "autostarted pacerd");
    let deadline = Instant::now() + WAIT;
    let outcome = loop {
        sleep(POLL).await;
        match try_connect(socket).await {
            Ok(stream) => break Ok(stream),
            Err(e) if !is_absent(&e) => break Err(describe(&e)),
            Err(_) => {}
        }
        // A daemon that already failed will not open the socket; stop waiting early.
        if let Ok(Some(status)) = child.try_wait()
            && !status.success()
        {
            break Err(format!("autostarted {shown} but it exited ({status})"));
        }
        if Instant::now() >= deadline {
            break Err(format!("autostarted {shown} but it did not open the socket within {} s", WAIT.as_secs()));
        }
    };
    reap_in_background(child);
    outcome
}

/// Starts the daemon detached. The API key is not passed on; the daemon has no use for it.
fn spawn_daemon(bin: &Path, home: &Path) -> io::Result<Child> {
    let mut command = std::process::Command::new(bin);
    command
        .arg("serve")
        .arg("--home")
        .arg(home)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(daemon_log(home))
        .env_remove("PACER_API_KEY")
        .env_remove("PACER_API_KEY_FILE");
    // SAFETY: the closure runs in the forked child before exec and only calls setsid(2), which
    // is async-signal-safe and touches no memory shared with the parent.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command.spawn()
}

/// `<home>/pacerd.log` opened for appending (creating `home` 0700 if needed), else null.
fn daemon_log(home: &Path) -> Stdio {
    let path = home.join("pacerd.log");
    let opened = DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(home)
        .and_then(|()| OpenOptions::new().create(true).append(true).mode(0o600).open(&path));
    match opened {
        Ok(file) => file.into(),
        Err(e) => {
            warn!(path = %path.display(), error = %e, "cannot open the pacerd log; its stderr is discarded");
            Stdio::null()
        }
    }
}

/// Waits for the child on a small thread so it never lingers as a zombie.
fn reap_in_background(mut child: Child) {
    let spawned = std::thread::Builder::new().name("pacerd-reaper".into()).stack_size(64 * 1024).spawn(move || {
        let _ = child.wait();
    });
    if let Err(e) = spawned {
        debug!(error = %e, "cannot spawn the reaper thread");
    }
}
