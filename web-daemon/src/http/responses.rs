//! The error responses routes share, as sets for `responses(..)` in `#[utoipa::path]`: each
//! status that a group of routes answers alike is described here once (with the JSON error body
//! and its `code`). A route whose status has a reason of its own (the tier allowance on key
//! creation, a quota, the login's per-account backoff) declares that status inline instead.
#![allow(dead_code)] // Variants are never built: they only describe responses.

use super::error::ErrorBody;

/// 401 and 403 of a route taking a session (JWT bearer or cookie).
#[derive(utoipa::IntoResponses)]
pub enum SessionAuth {
    /// Missing, invalid or expired session token (code `unauthorized`).
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// X-Tenant-ID names another tenant (code `forbidden`).
    #[response(status = 403)]
    Forbidden(ErrorBody),
}

/// The 401 of [`SessionAuth`] alone, for a session route whose 403 says more.
#[derive(utoipa::IntoResponses)]
pub enum SessionUnauthorized {
    /// Missing, invalid or expired session token (code `unauthorized`).
    #[response(status = 401)]
    Unauthorized(ErrorBody),
}

/// 401 and 403 of a route taking an API key (`X-API-Key`).
#[derive(utoipa::IntoResponses)]
pub enum KeyAuth {
    /// Missing or unknown API key (code `unauthorized`).
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// Deactivated key, or X-Tenant-ID names another tenant (code `forbidden`).
    #[response(status = 403)]
    Forbidden(ErrorBody),
}

/// The 401 of [`KeyAuth`] alone, for a key route whose 403 says more.
#[derive(utoipa::IntoResponses)]
pub enum KeyUnauthorized {
    /// Missing or unknown API key (code `unauthorized`).
    #[response(status = 401)]
    Unauthorized(ErrorBody),
}

/// 401 and 403 of the MCP routes (`POST /mcp`, `GET /mcp/ws`): an API key or an OAuth access token.
#[derive(utoipa::IntoResponses)]
pub enum McpAuth {
    // One line per description: utoipa keeps a doc comment's line breaks.
    /// Missing or unknown API key, or a missing, expired, revoked or other-audience access token (code `unauthorized`); `WWW-Authenticate: Bearer resource_metadata="…"` names the protected resource metadata.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// Deactivated key, X-Tenant-ID names another tenant, a Host or Origin that is not this daemon's (code `forbidden`), or, on `POST /mcp`, a tools/call the access token's scopes do not cover (code `insufficient_scope`, with `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`).
    #[response(status = 403)]
    Forbidden(ErrorBody),
}

/// The 400 of a route whose query parameters are bounded.
#[derive(utoipa::IntoResponses)]
pub enum BadQuery {
    /// A query parameter is malformed or out of range (code `invalid_input`).
    #[response(status = 400)]
    BadRequest(ErrorBody),
}

/// The 413 of a route with a body cap.
#[derive(utoipa::IntoResponses)]
pub enum BodyTooLarge {
    /// Body too large (code `payload_too_large`).
    #[response(status = 413)]
    PayloadTooLarge(ErrorBody),
}

/// The 415 of a route whose body has one content type.
#[derive(utoipa::IntoResponses)]
pub enum WrongContentType {
    /// The body is not of the declared content type (code `unsupported_media_type`).
    #[response(status = 415)]
    UnsupportedMediaType(ErrorBody),
}

/// The 429 of a rate limit (per client IP or per key).
#[derive(utoipa::IntoResponses)]
pub enum RateLimited {
    /// Rate limit exceeded (code `rate_limited`).
    #[response(status = 429, headers(
        ("Retry-After" = u64, description = "Seconds until a request can succeed"),
        ("X-RateLimit-Limit" = u32, description = "Requests per minute of the bucket that refused (the key's or the client address's)"),
        ("X-RateLimit-Remaining" = u32, description = "Always 0"),
        ("X-RateLimit-Reset" = i64, description = "UNIX seconds when the bucket is full again"),
    ))]
    TooManyRequests(ErrorBody),
}
