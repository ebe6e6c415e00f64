//! The wire protocol between `pacer-mcp` / the `pacerd` CLI and the running `pacerd` daemon.
//!
//! # Transport
//! A Unix stream socket at `$PACER_HOME/run/pacerd.sock` (directory 0700, socket 0600).
//!
//! # Frames
//! Every handshake and admin message is one **frame**: a `u32` big-endian byte length `N`
//! followed by `N` bytes of UTF-8 JSON. `N` must be `1..=MAX_FRAME_BYTES` (1 MiB). A frame that is
//! too large, empty or not the JSON the receiver expects is answered with an error frame
//! ([`HelloReply::Refused`] with code [`RefusalCode::BadFrame`] during the handshake,
//! [`AdminResponse::Error`] on the admin channel) and the daemon closes that connection. Other
//! connections are unaffected.
//!
//! # Handshake
//! 1. The client sends [`Hello`] `{protocol, client, channel, api_key?}`.
//! 2. The daemon answers [`HelloReply::Welcome`] `{protocol, daemon}` or
//!    [`HelloReply::Refused`] `{code, message}` and closes. Codes: `version` (protocol mismatch),
//!    `unauthorized` (missing/unknown key), `forbidden` (deactivated key),
//!    `permission_denied` (admin channel from another uid, checked with `SO_PEERCRED`),
//!    `bad_frame`, `internal`.
//!
//! # Channels
//! * `mcp`: after `Welcome` the stream switches to MCP's own stdio framing: newline-delimited
//!   JSON-RPC messages, each line at most [`MAX_LINE_BYTES`]. The relay (`pacer-mcp`) copies
//!   lines without re-encoding them (it only remembers the client's `initialize` so it can replay
//!   it after a daemon restart); the daemon hands the socket to the rmcp server bound to the
//!   key's (tenant, user). A line over the cap closes the session.
//! * `admin`: request/response. The client sends one [`AdminRequest`] frame and reads one
//!   [`AdminResponse`] frame, as many times as it likes, then closes.
//!
//! Bump [`PROTOCOL_VERSION`] on any incompatible change to this module.

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::domain::{KeyCreated, KeyInfo, ProviderId, Secret, StatusInfo, Tier, UserInfo};
use crate::import::{ImportProgress, ImportReport};

/// Version of this protocol; both sides must agree exactly.
pub const PROTOCOL_VERSION: u32 = 1;
/// Largest frame body accepted by default (1 MiB).
pub const MAX_FRAME_BYTES: usize = 1024 * 1024;
/// Largest newline-delimited JSON-RPC line on the `mcp` channel (1 MiB).
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// Which conversation a connection wants after the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// MCP JSON-RPC relayed for an API key's user.
    Mcp,
    /// Local administration (keys, users, status); same uid only.
    Admin,
}

/// First frame a client sends.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hello {
    /// Must equal [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// e.g. `pacer-mcp/0.1.0`.
    pub client: String,
    /// Requested channel.
    pub channel: Channel,
    /// API key; required on the `mcp` channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<Secret>,
}

/// Why the daemon refused a connection or frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalCode {
    /// Missing, malformed or unknown API key.
    Unauthorized,
    /// The API key exists but is deactivated.
    Forbidden,
    /// The client speaks another protocol version.
    Version,
    /// The admin channel was requested by another uid.
    PermissionDenied,
    /// Oversize, empty or malformed frame.
    BadFrame,
    /// The daemon failed internally.
    Internal,
}

/// The daemon's answer to [`Hello`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HelloReply {
    /// Accepted; the channel is open.
    Welcome {
        /// The daemon's protocol version.
        protocol: u32,
        /// e.g. `pacerd/0.1.0`.
        daemon: String,
    },
    /// Refused; the daemon closes the connection after this frame.
    Refused {
        /// Machine-readable reason.
        code: RefusalCode,
        /// One human-readable line.
        message: String,
    },
}

/// Requests on the admin channel.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum AdminRequest {
    /// Create a user (and its tenant when missing).
    UsersAdd { email: String, tenant: Option<String>, password: Option<Secret> },
    /// List all users.
    UsersList,
    /// Mint a one-time login URL for a user.
    UsersLoginLink { email: String },
    /// Set the highest tier a user may give their own keys over HTTP (their allowance).
    /// Answer: [`AdminResponse::UserTier`].
    UsersSetTier { email: String, max_tier: Tier },
    /// Create an API key for a user; the full key is returned once.
    KeysCreate { user: String, name: String, description: Option<String>, tier: Tier },
    /// List a user's keys (never secrets or hashes).
    KeysList { user: String },
    /// Deactivate a key by id.
    KeysRevoke { key_id: String },
    /// Daemon status.
    Status,
    /// Stop the daemon gracefully.
    Shutdown,
    /// Set (create or replace) `tenant`'s own OAuth application for `provider` (`strava`). The
    /// secret is sealed at rest and never returned; `redirect_uri` `None` keeps the global one.
    /// Users connected through the previous app must reconnect. Answer: [`AdminResponse::OAuthApp`].
    #[serde(rename = "oauth_apps_set")]
    OAuthAppsSet {
        tenant: String,
        provider: ProviderId,
        client_id: String,
        client_secret: Secret,
        redirect_uri: Option<String>,
    },
    /// List every tenant's own OAuth applications (never a secret).
    /// Answer: [`AdminResponse::OAuthApps`].
    #[serde(rename = "oauth_apps_list")]
    OAuthAppsList,
    /// Remove `tenant`'s own app for `provider`; its users fall back to the global app.
    /// Answer: [`AdminResponse::OAuthAppRemoved`], or `not_found` when none was set.
    #[serde(rename = "oauth_apps_remove")]
    OAuthAppsRemove { tenant: String, provider: ProviderId },
    /// Import activity files at `path` (a folder, one FIT/TCX/GPX file, or a Strava bulk-export
    /// ZIP) on the daemon's machine into `user`'s store (email; default: the only user, or the
    /// demo user). Answers: [`AdminResponse::ImportProgress`] frames while it runs, then
    /// [`AdminResponse::Imported`] (or an error).
    #[serde(rename = "import")]
    Import { path: String, user: Option<String> },
}

/// A tenant's own OAuth application as the admin channel shows it: never the client secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthAppInfo {
    /// Tenant name.
    pub tenant: String,
    /// Provider name, e.g. `strava`.
    pub provider: String,
    /// The application's client id.
    pub client_id: String,
    /// Callback URL registered with the app; `None` means the global one.
    pub redirect_uri: Option<String>,
    /// When the app was set, RFC 3339.
    pub created_at: String,
}

/// Error codes on the admin channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminErrorCode {
    /// Input was invalid (bad email, empty name …).
    InvalidInput,
    /// The named user or key does not exist.
    NotFound,
    /// The thing already exists.
    Conflict,
    /// The frame could not be read.
    BadFrame,
    /// Anything else.
    Internal,
}

/// Responses on the admin channel, one per request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AdminResponse {
    User(UserInfo),
    Users {
        users: Vec<UserInfo>,
    },
    LoginLink {
        url: String,
        expires_at: String,
    },
    /// A user's key-tier allowance as just set.
    UserTier {
        email: String,
        max_tier: Tier,
    },
    KeyCreated(KeyCreated),
    Keys {
        keys: Vec<KeyInfo>,
    },
    KeyRevoked {
        id: String,
        is_active: bool,
    },
    Status(StatusInfo),
    ShuttingDown,
    /// The tenant's OAuth app as just set.
    #[serde(rename = "oauth_app")]
    OAuthApp(OAuthAppInfo),
    /// Every tenant's own OAuth apps.
    #[serde(rename = "oauth_apps")]
    OAuthApps {
        apps: Vec<OAuthAppInfo>,
    },
    /// An import is under way (several may precede the final answer).
    #[serde(rename = "import_progress")]
    ImportProgress(ImportProgress),
    /// An import finished.
    #[serde(rename = "imported")]
    Imported(ImportReport),
    /// The tenant's app for `provider` was removed.
    #[serde(rename = "oauth_app_removed")]
    OAuthAppRemoved {
        tenant: String,
        provider: ProviderId,
    },
    Error {
        code: AdminErrorCode,
        message: String,
    },
}

/// Failure reading or writing a frame.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The peer closed the stream cleanly between frames.
    #[error("connection closed")]
    Closed,
    /// Length prefix above the cap.
    #[error("frame of {len} bytes exceeds the {max} byte limit")]
    Oversize { len: usize, max: usize },
    /// Zero-length frame.
    #[error("empty frame")]
    Empty,
    /// The body was not the expected JSON.
    #[error("malformed frame: {0}")]
    Malformed(#[from] serde_json::Error),
    /// Transport failure.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl FrameError {
    /// True when the peer sent something invalid (as opposed to the stream failing).
    pub fn is_protocol_violation(&self) -> bool {
        matches!(self, Self::Oversize { .. } | Self::Empty | Self::Malformed(_))
    }
}

/// Encodes `msg` as one frame (length prefix + JSON).
pub fn encode_frame<T: Serialize>(msg: &T) -> Result<Vec<u8>, FrameError> {
    let body = serde_json::to_vec(msg)?;
    if body.len() > MAX_FRAME_BYTES {
        return Err(FrameError::Oversize { len: body.len(), max: MAX_FRAME_BYTES });
    }
    let mut out = Vec::with_capacity(4 + body.len());
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// Writes one frame and flushes.
pub async fn write_frame<W, T>(w: &mut W, msg: &T) -> Result<(), FrameError>
where
    W: AsyncWrite + Unpin,
    T: Serialize,
{
    let bytes = encode_frame(msg)?;
    w.write_all(&bytes).await?;
    w.flush().await?;
    Ok(())
}

/// Reads one frame of at most `max` bytes and decodes it as `T`.
///
/// An oversize length is rejected before any body byte is read, so a hostile peer cannot make
/// the reader allocate more than `max`.
pub async fn read_frame<R, T>(r: &mut R, max: usize) -> Result<T, FrameError>
where
    R: AsyncRead + Unpin,
    T: DeserializeOwned,
{
    let mut len = [0u8; 4];
    match r.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Err(FrameError::Closed),
        Err(e) => return Err(e.into()),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len == 0 {
        return Err(FrameError::Empty);
    }
    if len > max {
        return Err(FrameError::Oversize { len, max });
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).await?;
    Ok(serde_json::from_slice(&body)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn round_trip_hello() {
        let hello = Hello {
            protocol: PROTOCOL_VERSION,
            client: "test/1".into(),
            channel: Channel::Mcp,
            api_key: Some(Secret::new("pk_live_secret".into())),
        };
        let bytes = encode_frame(&hello).unwrap();
        let back: Hello = read_frame(&mut bytes.as_slice(), MAX_FRAME_BYTES).await.unwrap();
        assert_eq!(back.channel, Channel::Mcp);
        assert_eq!(back.api_key.unwrap().expose(), "pk_live_secret");
        assert!(!format!("{hello:?}").contains("pk_live_secret"));
    }

    #[tokio::test]
    async fn oversize_is_rejected_before_reading_body() {
        let mut bytes = ((MAX_FRAME_BYTES + 1) as u32).to_be_bytes().to_vec();
        bytes.extend_from_slice(b"{}");
        let err = read_frame::<_, Hello>(&mut bytes.as_slice(), MAX_FRAME_BYTES).await.unwrap_err();
        assert!(matches!(err, FrameError::Oversize { .. }), "{err}");
        assert!(err.is_protocol_violation());
    }

    #[tokio::test]
    async fn malformed_and_empty_and_closed() {
        let mut bad = 3u32.to_be_bytes().to_vec();
        bad.extend_from_slice(b"{x}");
        let err = read_frame::<_, Hello>(&mut bad.as_slice(), MAX_FRAME_BYTES).await.unwrap_err();
        assert!(matches!(err, FrameError::Malformed(_)));
        let empty = 0u32.to_be_bytes();
        let err = read_frame::<_, Hello>(&mut empty.as_slice(), MAX_FRAME_BYTES).await.unwrap_err();
        assert!(matches!(err, FrameError::Empty));
        let err = read_frame::<_, Hello>(&mut [].as_slice(), MAX_FRAME_BYTES).await.unwrap_err();
        assert!(matches!(err, FrameError::Closed));
    }

    #[test]
    fn admin_wire_shape_is_tagged() {
        let v = serde_json::to_value(AdminRequest::KeysRevoke { key_id: "k1".into() }).unwrap();
        assert_eq!(v, serde_json::json!({"op": "keys_revoke", "key_id": "k1"}));
        let v =
            serde_json::to_value(HelloReply::Refused { code: RefusalCode::Forbidden, message: "m".into() }).unwrap();
        assert_eq!(v["type"], "refused");
        assert_eq!(v["code"], "forbidden");
    }

    #[test]
    fn oauth_app_requests_are_tagged_and_hide_the_secret() {
        let req = AdminRequest::OAuthAppsSet {
            tenant: "club".into(),
            provider: ProviderId::Strava,
            client_id: "123".into(),
            client_secret: Secret::new("s3cret".into()),
            redirect_uri: None,
        };
        assert!(!format!("{req:?}").contains("s3cret"));
        let v = serde_json::to_value(&req).unwrap();
        assert_eq!(v["op"], "oauth_apps_set");
        assert_eq!(v["client_secret"], "s3cret", "the secret travels to the daemon");
        let v = serde_json::to_value(AdminResponse::OAuthApps { apps: vec![] }).unwrap();
        assert_eq!(v, serde_json::json!({"type": "oauth_apps", "apps": []}));
        let v = serde_json::to_value(AdminRequest::OAuthAppsList).unwrap();
        assert_eq!(v, serde_json::json!({"op": "oauth_apps_list"}));
    }
}
