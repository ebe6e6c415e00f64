//! Creating the Unix socket safely: home and run dir ownership/permissions, a lock file so two
//! daemons never share a home, and stale-socket replacement.

use std::fs::{self, File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Why the socket could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    #[error("pacerd already running (socket {0})")]
    AlreadyRunning(String),
    #[error("refusing to start: {path} is accessible by group or others (mode {mode:o}); run `chmod 700 {path}`")]
    InsecureDir { path: String, mode: u32 },
    #[error("refusing to start: {path} is owned by uid {owner}, not by this user (uid {me})")]
    WrongOwner { path: String, owner: u32, me: u32 },
    #[error("{what} {path}: {source}")]
    Io { what: &'static str, path: String, source: std::io::Error },
}

fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> SocketError + 'a {
    move |source| SocketError::Io { what, path: path.display().to_string(), source }
}

/// The effective uid of this process.
pub fn my_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Creates the home `dir` with mode 0700 if missing; otherwise checks it is ours and closed to
/// group and others (0700): it holds the database, its WAL and the key files.
pub fn ensure_home_dir(dir: &Path) -> Result<(), SocketError> {
    ensure_private_dir(dir)
}

/// Creates `dir` with mode 0700 if missing; otherwise checks it is ours and private.
pub fn ensure_private_dir(dir: &Path) -> Result<(), SocketError> {
    ensure_dir(dir, 0o077, |path, mode| SocketError::InsecureDir { path, mode })
}

/// Creates `dir` (0700) if missing; refuses another owner or any of the `forbidden` mode bits.
fn ensure_dir(dir: &Path, forbidden: u32, insecure: fn(String, u32) -> SocketError) -> Result<(), SocketError> {
    if !dir.exists() {
        fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(io("cannot create", dir))?;
    }
    let meta = fs::metadata(dir).map_err(io("cannot inspect", dir))?;
    let me = my_uid();
    if meta.uid() != me {
        return Err(SocketError::WrongOwner { path: dir.display().to_string(), owner: meta.uid(), me });
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & forbidden != 0 {
        return Err(insecure(dir.display().to_string(), mode));
    }
    Ok(())
}

/// Holds the exclusive lock on `run/pacerd.lock` for the daemon's lifetime.
#[derive(Debug)]
pub struct DaemonLock {
    _file: File,
}

/// Takes the per-home daemon lock; a held lock means another daemon owns this home.
pub fn lock(run_dir: &Path, socket: &Path) -> Result<DaemonLock, SocketError> {
    let path = run_dir.join("pacerd.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(io("cannot open", &path))?;
    // SAFETY: flock on a valid, owned file descriptor.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        return Err(SocketError::AlreadyRunning(socket.display().to_string()));
    }
    Ok(DaemonLock { _file: file })
}

/// Binds the socket at `path` (mode 0600), replacing a stale socket file left by a dead daemon.
/// Call only while holding [`DaemonLock`].
pub fn bind(path: &Path) -> Result<tokio::net::UnixListener, SocketError> {
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(SocketError::AlreadyRunning(path.display().to_string()));
        }
        tracing::info!(socket = %path.display(), "replacing stale socket");
        fs::remove_file(path).map_err(io("cannot remove stale socket", path))?;
    }
    let listener = tokio::net::UnixListener::bind(path).map_err(io("cannot bind", path))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(io("cannot chmod", path))?;
    Ok(listener)
}
