//! `POST /api/auth/login`: email + password → session JWT (body and `pacer_session` cookie).
//! Limited per client IP (scope `login`).

use actix_web::{HttpResponse, post, web};
use pacer_shared::Secret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::ratelimit::PerIpLimit;
use super::session::session_cookie;
use crate::auth::{jwt, password};
use crate::state::AppState;
use crate::store::users;

/// The same answer for an unknown email and a wrong password.
const BAD_CREDENTIALS: &str = "invalid email or password";

/// Responses carrying a secret must not be cached.
pub const NO_STORE: (&str, &str) = ("Cache-Control", "no-store");

/// Login credentials.
#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    /// The account's email address.
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// The account's password.
    #[schema(value_type = String, format = Password)]
    pub password: Secret,
}

/// A session token for the account routes.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// JWT for `Authorization: Bearer …` (also set as the `pacer_session` cookie).
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    #[schema(example = 3600)]
    pub expires_in: i64,
}

/// Exchanges email and password for a session JWT.
#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; also sets the `pacer_session` cookie", body = TokenResponse, headers(
            ("X-RateLimit-Limit" = u32, description = "Login attempts per minute from this IP"),
            ("X-RateLimit-Remaining" = u32, description = "Attempts left now"),
            ("X-RateLimit-Reset" = i64, description = "UNIX seconds when the bucket is full again"),
        )),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Unknown email or wrong password (same message for both)", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 429, description = "Too many attempts from this IP (code `rate_limited`)", body = ErrorBody, headers(
            ("Retry-After" = u64, description = "Seconds until a request can succeed"),
        )),
    )
)]
#[post("/api/auth/login", wrap = "PerIpLimit::new(\"login\")")]
pub async fn login(state: web::Data<AppState>, body: web::Json<LoginRequest>) -> Result<HttpResponse, ApiError> {
    let LoginRequest { email, password } = body.into_inner();
    let user = state.store.call(move |c| users::find_by_email(c, &email)).await?;
    // Argon2 is deliberately slow: keep it off the async workers. Unknown emails and users
    // without a password cost the same time as a wrong password.
    let verified = web::block(move || match user {
        Some(users::UserRecord { info, password_hash: Some(phc) }) => password::verify(&password, &phc).then_some(info),
        _ => {
            password::burn_time();
            None
        }
    })
    .await
    .map_err(|e| ApiError::internal(format!("login worker failed: {e}")))?;
    let Some(user) = verified else {
        return Err(ApiError::unauthorized(BAD_CREDENTIALS));
    };
    let token = state.jwt.issue(&user.tenant_id, &user.id)?;
    tracing::info!(user = %user.id, tenant = %user.tenant_id, "login");
    Ok(HttpResponse::Ok().insert_header(NO_STORE).cookie(session_cookie(&state, token.expose())).json(TokenResponse {
        access_token: token.expose().to_string(),
        token_type: "Bearer",
        expires_in: jwt::TTL_SECS,
    }))
}
