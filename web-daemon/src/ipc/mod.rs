//! The daemon side of the Unix-socket protocol (`pacer_shared::ipc`): accept, handshake, and
//! hand each connection to its channel.

pub mod admin;
pub mod admin_import;
pub mod socket;

use std::sync::Arc;
use std::time::Duration;

use pacer_shared::ipc::{self, Channel, FrameError, Hello, HelloReply, PROTOCOL_VERSION, RefusalCode};
use tokio::net::{UnixListener, UnixStream};
use tokio_util::sync::CancellationToken;

use crate::auth::{AuthError, api_key};
use crate::state::AppState;
use crate::untrusted::Untrusted;

/// How long a new connection has to send its `Hello`.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(5);

/// `pacerd/<version>`.
pub fn daemon_id() -> String {
    format!("pacerd/{}", env!("CARGO_PKG_VERSION"))
}

/// Accepts connections until `shutdown` is cancelled.
pub async fn serve(listener: UnixListener, state: Arc<AppState>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let state = state.clone();
                    let shutdown = shutdown.clone();
                    tokio::spawn(async move {
                        tokio::select! {
                            _ = shutdown.cancelled() => {}
                            _ = handle(stream, state) => {}
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "socket accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }
}

async fn refuse(stream: &mut UnixStream, code: RefusalCode, message: impl Into<String>) {
    let message = message.into();
    tracing::info!(?code, message = %Untrusted(&message), "socket connection refused");
    let _ = ipc::write_frame(stream, &HelloReply::Refused { code, message }).await;
}

async fn handle(mut stream: UnixStream, state: Arc<AppState>) {
    let read = ipc::read_frame(&mut stream, state.config.max_frame_bytes);
    let hello: Hello = match tokio::time::timeout(HELLO_TIMEOUT, read).await {
        Err(_) => {
            let msg = format!("no Hello within {} s", HELLO_TIMEOUT.as_secs());
            return refuse(&mut stream, RefusalCode::BadFrame, msg).await;
        }
        Ok(Ok(h)) => h,
        Ok(Err(FrameError::Closed)) => return,
        Ok(Err(e)) if e.is_protocol_violation() => {
            return refuse(&mut stream, RefusalCode::BadFrame, e.to_string()).await;
        }
        Ok(Err(e)) => return tracing::debug!(error = %Untrusted(&e.to_string()), "socket read failed"),
    };
    if hello.protocol != PROTOCOL_VERSION {
        let msg = format!(
            "protocol version mismatch: client {} speaks {}, {} speaks {PROTOCOL_VERSION}; install matching versions",
            Untrusted(&hello.client),
            hello.protocol,
            daemon_id()
        );
        return refuse(&mut stream, RefusalCode::Version, msg).await;
    }
    let welcome = HelloReply::Welcome { protocol: PROTOCOL_VERSION, daemon: daemon_id() };
    match hello.channel {
        Channel::Admin => {
            let peer = stream.peer_cred().map(|c| c.uid());
            if peer.as_ref().ok() != Some(&socket::my_uid()) {
                return refuse(
                    &mut stream,
                    RefusalCode::PermissionDenied,
                    "the admin channel is only for the daemon's own user",
                )
                .await;
            }
            if ipc::write_frame(&mut stream, &welcome).await.is_ok() {
                admin::serve(stream, state).await;
            }
        }
        Channel::Mcp => {
            let Some(key) = hello.api_key else {
                return refuse(&mut stream, RefusalCode::Unauthorized, "an API key is required: set PACER_API_KEY")
                    .await;
            };
            let principal = match api_key::validate(&state.store, &key).await {
                Ok(p) => p,
                Err(AuthError::Unauthorized(m)) => return refuse(&mut stream, RefusalCode::Unauthorized, m).await,
                Err(AuthError::Forbidden(m)) => return refuse(&mut stream, RefusalCode::Forbidden, m).await,
                Err(AuthError::Internal(m)) => return refuse(&mut stream, RefusalCode::Internal, m).await,
            };
            if ipc::write_frame(&mut stream, &welcome).await.is_ok() {
                tracing::info!(client = %Untrusted(&hello.client), tenant = %principal.tenant_id, "mcp session opened");
                let (read, write) = stream.into_split();
                crate::mcp::serve_local_stream(state, principal, read, write).await;
            }
        }
    }
}
