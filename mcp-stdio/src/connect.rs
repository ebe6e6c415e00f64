//! Reaching `pacerd`: connect to its socket (autostarting it once per outage, see
//! [`crate::autostart`]), check the socket is safe to send a key to, and say [`Hello`].

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pacer_shared::Secret;
use pacer_shared::ipc::{self, Channel, Hello, HelloReply, MAX_FRAME_BYTES, PROTOCOL_VERSION, RefusalCode};
use tokio::net::UnixStream;
use tokio::time::timeout;
use tracing::debug;

use crate::autostart;
use crate::config::{Config, KeyProblem};
use crate::jsonrpc::{self, RpcFailure};
use crate::socket::{describe, is_absent, try_connect};

/// Upper bound for the Hello / HelloReply exchange.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why no daemon session could be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// No usable API key was configured.
    #[error("{0}")]
    NoApiKey(KeyProblem),
    /// Nothing answers on the socket, even after autostart.
    #[error(
        "pacerd is not running (socket {}): {detail}; start it with 'pacerd serve --home {}' or \
         check {}",
        socket.display(), home.display(), home.join("pacerd.log").display()
    )]
    Unreachable { socket: PathBuf, home: PathBuf, detail: String },
    /// The socket's directory could let another user impersonate the daemon.
    #[error(
        "refusing to send the API key to {}: its directory {} is {problem}; it must belong to \
         you and not be writable by others",
        socket.display(), dir.display()
    )]
    UnsafeSocketDir { socket: PathBuf, dir: PathBuf, problem: String },
    /// The daemon accepted the connection but the handshake failed.
    #[error("pacerd failed the handshake on socket {}: {detail}", socket.display())]
    Handshake { socket: PathBuf, detail: String },
    /// The daemon refused the Hello.
    #[error("pacerd refused the connection ({}): {message}", refusal_name(*code))]
    Refused { code: RefusalCode, message: String },
}

impl ConnectError {
    /// The JSON-RPC error a client request receives for this failure.
    pub fn to_rpc(&self) -> RpcFailure {
        let code = match self {
            Self::NoApiKey(_) => jsonrpc::UNAUTHORIZED,
            Self::Unreachable { .. } | Self::UnsafeSocketDir { .. } | Self::Handshake { .. } => {
                jsonrpc::DAEMON_UNREACHABLE
            }
            Self::Refused { code, .. } => match code {
                RefusalCode::Unauthorized | RefusalCode::Forbidden | RefusalCode::PermissionDenied => {
                    jsonrpc::UNAUTHORIZED
                }
                RefusalCode::Version => jsonrpc::VERSION_MISMATCH,
                RefusalCode::BadFrame | RefusalCode::Internal => jsonrpc::INTERNAL_ERROR,
            },
        };
        RpcFailure { code, message: self.to_string() }
    }
}

/// The wire name of a refusal code.
fn refusal_name(code: RefusalCode) -> &'static str {
    match code {
        RefusalCode::Unauthorized => "unauthorized",
        RefusalCode::Forbidden => "forbidden",
        RefusalCode::Version => "version",
        RefusalCode::PermissionDenied => "permission_denied",
        RefusalCode::BadFrame => "bad_frame",
        RefusalCode::Internal => "internal",
    }
}

/// Opens daemon sessions: connect, autostart (at most once per outage), handshake.
pub struct Connector {
    socket: PathBuf,
    home: PathBuf,
    daemon_bin: PathBuf,
    api_key: Result<Secret, KeyProblem>,
    /// Autostart was already tried in the current outage; cleared once the daemon answers.
    autostart_tried: bool,
}

impl Connector {
    /// A connector for `config`'s socket, key and daemon binary.
    pub fn new(config: &Config) -> Self {
        Self {
            socket: config.socket.clone(),
            home: config.home.clone(),
            daemon_bin: config.daemon_bin.clone(),
            api_key: config.api_key.clone(),
            autostart_tried: false,
        }
    }

    /// Connects and completes the handshake; on success the stream carries MCP lines.
    pub async fn connect(&mut self) -> Result<UnixStream, ConnectError> {
        let key = self.api_key.clone().map_err(ConnectError::NoApiKey)?;
        let stream = match try_connect(&self.socket).await {
            Ok(stream) => stream,
            Err(e) if is_absent(&e) && !self.autostart_tried => {
                debug!(socket = %self.socket.display(), error = %e, "pacerd not running; autostarting");
                self.autostart_tried = true;
                autostart::start_and_wait(&self.daemon_bin, &self.home, &self.socket)
                    .await
                    .map_err(|detail| self.unreachable(detail))?
            }
            Err(e) => return Err(self.unreachable(describe(&e))),
        };
        self.autostart_tried = false;
        check_socket_dir(&self.socket)?;
        let (stream, daemon) = handshake(stream, key, &self.socket).await?;
        debug!(%daemon, socket = %self.socket.display(), "connected to pacerd");
        Ok(stream)
    }

    fn unreachable(&self, detail: String) -> ConnectError {
        ConnectError::Unreachable { socket: self.socket.clone(), home: self.home.clone(), detail }
    }
}

/// Refuses sockets whose directory another user could have written: the API key goes there.
fn check_socket_dir(socket: &Path) -> Result<(), ConnectError> {
    let dir = match socket.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let unsafe_dir =
        |problem: String| ConnectError::UnsafeSocketDir { socket: socket.to_owned(), dir: dir.to_owned(), problem };
    let meta = std::fs::metadata(dir).map_err(|e| unsafe_dir(format!("unreadable ({e})")))?;
    // SAFETY: geteuid(2) cannot fail and has no preconditions.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me && meta.uid() != 0 {
        return Err(unsafe_dir(format!("owned by uid {}", meta.uid())));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(unsafe_dir(format!("writable by others (mode {:o})", meta.mode() & 0o7777)));
    }
    Ok(())
}

/// Sends [`Hello`] and reads the [`HelloReply`]; returns the stream and the daemon's name.
async fn handshake(mut stream: UnixStream, key: Secret, socket: &Path) -> Result<(UnixStream, String), ConnectError> {
    let hello = Hello {
        protocol: PROTOCOL_VERSION,
        client: format!("pacer-mcp/{}", env!("CARGO_PKG_VERSION")),
        channel: Channel::Mcp,
        api_key: Some(key),
    };
    let exchange = async {
        ipc::write_frame(&mut stream, &hello).await?;
        ipc::read_frame::<_, HelloReply>(&mut stream, MAX_FRAME_BYTES).await
    };
    let failed = |detail: String| ConnectError::Handshake { socket: socket.to_owned(), detail };
    match timeout(HANDSHAKE_TIMEOUT, exchange).await {
        Err(_) => Err(failed(format!("no answer within {} s", HANDSHAKE_TIMEOUT.as_secs()))),
        Ok(Err(e)) => Err(failed(e.to_string())),
        Ok(Ok(HelloReply::Refused { code, message })) => Err(ConnectError::Refused { code, message }),
        Ok(Ok(HelloReply::Welcome { protocol, daemon })) if protocol != PROTOCOL_VERSION => {
            Err(ConnectError::Refused {
                code: RefusalCode::Version,
                message: format!(
                    "{daemon} speaks socket protocol {protocol}, pacer-mcp speaks {PROTOCOL_VERSION}; \
                     install matching versions"
                ),
            })
        }
        Ok(Ok(HelloReply::Welcome { daemon, .. })) => Ok((stream, daemon)),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn socket_dir_must_not_be_writable_by_others() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("pacerd.sock");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(check_socket_dir(&socket).is_ok());
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = check_socket_dir(&socket).unwrap_err();
        assert!(err.to_string().contains("writable by others (mode 777)"), "{err}");
    }

    #[test]
    fn refusals_map_to_documented_codes() {
        let refused = |code| ConnectError::Refused { code, message: "m".into() }.to_rpc().code;
        assert_eq!(refused(RefusalCode::Unauthorized), -32001);
        assert_eq!(refused(RefusalCode::Forbidden), -32001);
        assert_eq!(refused(RefusalCode::Version), -32004);
        let unreachable = ConnectError::Unreachable {
            socket: "/x/run/pacerd.sock".into(),
            home: "/x".into(),
            detail: "the socket does not exist".into(),
        };
        let rpc = unreachable.to_rpc();
        assert_eq!(rpc.code, -32000);
        assert!(rpc.message.contains("/x/run/pacerd.sock") && rpc.message.contains("/x/pacerd.log"));
    }
}
