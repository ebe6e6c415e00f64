//! Client side of the admin channel used by `pacerd users|keys|status|stop`.

use std::path::Path;

use pacer_shared::ipc::{self, AdminRequest, AdminResponse, Channel, Hello, HelloReply, PROTOCOL_VERSION};
use tokio::net::UnixStream;

/// Sends one request to the daemon whose socket is `socket` and returns its response.
/// Errors are one line each, ready to print.
pub async fn request(socket: &Path, req: AdminRequest) -> Result<AdminResponse, String> {
    request_streaming(socket, req, |_| {}).await
}

/// Like [`request`], for requests answered by progress frames before the final answer
/// ([`AdminResponse::ImportProgress`]): each progress frame goes to `on_progress`.
pub async fn request_streaming(
    socket: &Path,
    req: AdminRequest,
    mut on_progress: impl FnMut(&AdminResponse),
) -> Result<AdminResponse, String> {
    let mut stream = UnixStream::connect(socket).await.map_err(|e| {
        let home = socket.parent().and_then(|run| run.parent()).map(|h| h.display().to_string()).unwrap_or_default();
        format!(
            "pacerd is not running (cannot connect to {}: {e}); start it with `pacerd serve --home {home}`",
            socket.display()
        )
    })?;
    let hello = Hello {
        protocol: PROTOCOL_VERSION,
        client: format!("pacerd-cli/{}", env!("CARGO_PKG_VERSION")),
        channel: Channel::Admin,
        api_key: None,
    };
    ipc::write_frame(&mut stream, &hello).await.map_err(|e| format!("cannot talk to pacerd: {e}"))?;
    match ipc::read_frame(&mut stream, ipc::MAX_FRAME_BYTES).await.map_err(|e| format!("cannot talk to pacerd: {e}"))? {
        HelloReply::Welcome { .. } => {}
        HelloReply::Refused { message, .. } => return Err(format!("pacerd refused the admin connection: {message}")),
    }
    ipc::write_frame(&mut stream, &req).await.map_err(|e| format!("cannot talk to pacerd: {e}"))?;
    loop {
        let frame: AdminResponse = ipc::read_frame(&mut stream, ipc::MAX_FRAME_BYTES)
            .await
            .map_err(|e| format!("no answer from pacerd: {e}"))?;
        match frame {
            AdminResponse::ImportProgress(_) => on_progress(&frame),
            other => return Ok(other),
        }
    }
}
