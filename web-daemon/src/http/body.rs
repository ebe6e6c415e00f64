//! Reading a raw request body under a cap, with the JSON error shape (413 `payload_too_large`)
//! instead of actix's plain-text refusal. Used by routes that read the payload themselves.

use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web::{self, Bytes, BytesMut};
use futures_util::StreamExt;

use super::error::ApiError;

/// The whole body, refusing more than `limit` bytes (413) as early as `Content-Length` tells.
pub async fn read_body(req: &HttpRequest, mut payload: web::Payload, limit: usize) -> Result<Bytes, ApiError> {
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::payload_too_large(limit));
    }
    let mut body = BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            if super::deadline::is_body_timeout(&e) {
                ApiError::request_timeout()
            } else {
                ApiError::bad_request(format!("cannot read the request body: {e}"))
            }
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
