//! `POST /api/auth/login`: email + password → session JWT (body and `pacer_session` cookie).
//! Limited per client IP (scope `login`), by the number of concurrent password checks (503 when
//! full) and per account after repeated failures (429); see [`crate::auth::login_guard`].

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};
use pacer_shared::{Secret, UserInfo};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::ratelimit::PerIpLimit;
use super::session::session_cookie;
use crate::auth::{jwt, login_guard, password};
use crate::state::AppState;
use crate::store::{now_epoch, users};

/// The same answer for an unknown email and a wrong password.
const BAD_CREDENTIALS: &str = "invalid email or password";

/// 429 for an account locked after repeated failures.
fn locked(secs: u64) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many failed sign-ins for this account; retry in {secs} s"),
    );
    e.retry_after = Some(secs.max(1));
    e
}

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
        super::responses::BodyTooLarge,
        super::responses::WrongContentType,
        (status = 429, description = "Too many attempts from this IP, or too many failures for this account (code `rate_limited`)", body = ErrorBody, headers(
            ("Retry-After" = u64, description = "Seconds until a request can succeed"),
        )),
        (status = 503, description = "Too many password checks running right now (code `busy`)", body = ErrorBody, headers(
            ("Retry-After" = u64, description = "Seconds to wait before retrying"),
        )),
    )
)]
#[post("/api/auth/login", wrap = "PerIpLimit::new(\"login\")")]
pub async fn login(state: web::Data<AppState>, body: web::Json<LoginRequest>) -> Result<HttpResponse, ApiError> {
    let LoginRequest { email, password } = body.into_inner();
    let user = check_password(&state, &email, password).await?;
    let token = state.jwt.issue(&user.tenant_id, &user.id)?;
    tracing::info!(user = %user.id, tenant = %user.tenant_id, "login");
    Ok(HttpResponse::Ok().insert_header(NO_STORE).cookie(session_cookie(&state, token.expose())).json(TokenResponse {
        access_token: token.expose().to_string(),
        token_type: "Bearer",
        expires_in: jwt::TTL_SECS,
    }))
}

/// Checks email and password under the login guard (per-account backoff, the cap on concurrent
/// Argon2 checks): the user, or 401 (the same message for an unknown email and a wrong
/// password), 429 (account locked) or 503 (busy). Shared by the login route and the MCP
/// authorization sign-in form.
pub async fn check_password(state: &AppState, email: &str, password: Secret) -> Result<UserInfo, ApiError> {
    let email = email.to_owned();
    let now = now_epoch();
    if let Some(secs) = state.logins.locked_for(&email, now) {
        return Err(locked(secs));
    }
    // Argon2 is memory- and CPU-hungry: a few checks at a time, the rest are told to come back.
    let Some(permit) = state.logins.try_permit() else {
        let mut busy = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "too many sign-ins are being checked right now; retry in a moment",
        );
        busy.retry_after = Some(login_guard::BUSY_RETRY_AFTER_SECS);
        return Err(busy);
    };
    let lookup = email.clone();
    let user = state.store.call(move |c| users::find_by_email(c, &lookup)).await?;
    // Argon2 is deliberately slow: keep it off the async workers. Unknown emails and users
    // without a password cost the same time as a wrong password.
    let verified = web::block(move || {
        let _permit = permit;
        match user {
            Some(users::UserRecord { info, password_hash: Some(phc) }) => {
                password::verify(&password, &phc).then_some(info)
            }
            _ => {
                password::burn_time();
                None
            }
        }
    })
    .await
    .map_err(|e| ApiError::internal(format!("login worker failed: {e}")))?;
    let Some(user) = verified else {
        if let Some(secs) = state.logins.record_failure(&email, now_epoch()) {
            tracing::info!(lock_secs = secs, "repeated failed logins for one account; locked");
        }
        return Err(ApiError::unauthorized(BAD_CREDENTIALS));
    };
    state.logins.record_success(&email);
    Ok(user)
}
