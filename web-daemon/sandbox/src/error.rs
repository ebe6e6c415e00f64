//! Strava's error body ("Fault"): `{"message": …, "errors": [{"resource", "field", "code"}]}`.
//! The single mapping from sandbox errors to HTTP responses.

use crate::ADMIN_TOKEN_HEADER;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// One entry of a Fault's `errors` array.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FaultItem {
    pub(crate) resource: &'static str,
    pub(crate) field: String,
    pub(crate) code: String,
}

/// A Strava-style error response.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {message}")]
pub(crate) struct Fault {
    pub(crate) status: StatusCode,
    pub(crate) message: &'static str,
    pub(crate) errors: Vec<FaultItem>,
}

#[derive(Serialize)]
struct FaultBody<'a> {
    message: &'a str,
    errors: &'a [FaultItem],
}

impl Fault {
    fn new(status: StatusCode, message: &'static str, resource: &'static str, field: &str, code: &str) -> Self {
        Self { status, message, errors: vec![FaultItem { resource, field: field.to_owned(), code: code.to_owned() }] }
    }

    /// 400 "Bad Request".
    pub(crate) fn bad_request(resource: &'static str, field: &str, code: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad Request", resource, field, code)
    }

    /// 401 for a missing, unknown, expired or revoked access token.
    pub(crate) fn invalid_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Authorization Error", "Athlete", "access_token", "invalid")
    }

    /// 401 for a token without the scope a route needs (`field` is e.g. "activity:read_permission").
    pub(crate) fn missing_scope(field: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Authorization Error", "AccessToken", field, "missing")
    }

    /// 401 for an unknown client or a wrong client secret.
    pub(crate) fn invalid_client(field: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Authorization Error", "Application", field, "invalid")
    }

    /// 403 for another athlete's resource where Strava refuses rather than hides.
    pub(crate) fn forbidden(resource: &'static str, field: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Authorization Error", resource, field, "forbidden")
    }

    /// 404 "Record Not Found".
    pub(crate) fn not_found(resource: &'static str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Record Not Found", resource, "id", "invalid")
    }

    /// 413 for an upload over the size cap.
    pub(crate) fn too_large(resource: &'static str, field: &str) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "Payload Too Large", resource, field, "too large")
    }

    /// 401 for a sandbox admin route without the admin token.
    pub(crate) fn admin_required() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Authorization Error", "Sandbox", ADMIN_TOKEN_HEADER, "invalid")
    }

    /// 415 for a body that is not `application/json`.
    pub(crate) fn json_required(resource: &'static str) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type", resource, "Content-Type", "invalid")
    }

    /// 429 "Rate Limit Exceeded".
    pub(crate) fn rate_limited() -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "Rate Limit Exceeded", "Application", "rate limit", "exceeded")
    }

    /// A bare error with `status` (injected failures, internal errors); 429 gets its Strava body.
    pub(crate) fn server_error(status: StatusCode) -> Self {
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Self::rate_limited();
        }
        Self { status, message: status.canonical_reason().unwrap_or("Error"), errors: Vec::new() }
    }
}

impl ResponseError for Fault {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(FaultBody { message: self.message, errors: &self.errors })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    #[actix_web::test]
    async fn fault_body_has_strava_shape() {
        let response = Fault::invalid_token().error_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let bytes = to_bytes(response.into_body()).await.unwrap_or_default();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        assert_eq!(
            body,
            serde_json::json!({"message": "Authorization Error",
                "errors": [{"resource": "Athlete", "field": "access_token", "code": "invalid"}]})
        );
    }
}
