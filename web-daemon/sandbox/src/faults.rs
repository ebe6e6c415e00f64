//! Sandbox-only admin routes. When the sandbox has an admin token (`pacerd` always sets one and
//! writes it to `$PACER_HOME/run/sandbox-admin.token`, 0600), every route needs it in
//! `X-Sandbox-Admin`; `faults` takes only `Content-Type: application/json`. Both keep a web page
//! of another origin from switching faults: it can neither read the token nor send JSON or a
//! custom header without a CORS preflight, which the sandbox never grants.
//! - `POST /_sandbox/faults` `{"expire_access_tokens": <athlete id>|"all", "fail_refresh": bool,
//!   "fail_next": {"status": 429|5xx, "count": N}, "latency_ms": N, "limit_15min": N,
//!   "limit_daily": N, "read_limit_15min": N, "read_limit_daily": N}` (any subset)
//! - `POST /_sandbox/reset`: clears faults, rate-limit usage and counters; keeps data and tokens
//! - `GET /_sandbox/state`: athletes, counters, faults, limits and usage
//!
//! All three answer with the state document.

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::Fault;
use super::limits::Limits;
use super::{SandboxConfig, Shared};

/// Fail the next `count` `/api/v3` calls with `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FailNext {
    pub(crate) status: u16,
    pub(crate) count: u32,
}

/// Active fault switches.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Faults {
    pub(crate) fail_refresh: bool,
    pub(crate) fail_next: Option<FailNext>,
    pub(crate) latency_ms: u64,
    pub(crate) limit_15min: Option<u32>,
    pub(crate) limit_daily: Option<u32>,
    pub(crate) read_limit_15min: Option<u32>,
    pub(crate) read_limit_daily: Option<u32>,
}

impl Faults {
    /// The limits in force: the configured ones unless a fault overrides them.
    pub(crate) fn limits(&self, config: &SandboxConfig) -> Limits {
        Limits {
            limit_15min: self.limit_15min.unwrap_or(config.limit_15min),
            limit_daily: self.limit_daily.unwrap_or(config.limit_daily),
            read_limit_15min: self.read_limit_15min.unwrap_or(config.read_limit_15min),
            read_limit_daily: self.read_limit_daily.unwrap_or(config.read_limit_daily),
        }
    }

    /// Consumes one injected failure, if any is pending.
    pub(crate) fn take_fail_next(&mut self) -> Option<StatusCode> {
        let fail = self.fail_next.as_mut()?;
        let status = StatusCode::from_u16(fail.status).ok();
        fail.count = fail.count.saturating_sub(1);
        if fail.count == 0 {
            self.fail_next = None;
        }
        status
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRequest {
    expire_access_tokens: Option<Value>,
    fail_refresh: Option<bool>,
    fail_next: Option<FailNext>,
    latency_ms: Option<u64>,
    limit_15min: Option<u32>,
    limit_daily: Option<u32>,
    read_limit_15min: Option<u32>,
    read_limit_daily: Option<u32>,
}

pub(crate) fn scope(path: &str, data: web::Data<Shared>) -> actix_web::Scope {
    web::scope(path)
        .app_data(data)
        .route("/faults", web::post().to(set_faults))
        .route("/reset", web::post().to(reset))
        .route("/state", web::get().to(state))
}

fn state_json(shared: &Shared) -> Value {
    let state = shared.state();
    json!({
        "athletes": state.athletes.iter().map(|a| a.id).collect::<Vec<_>>(),
        "refresh_count": state.counters.refresh_count,
        "token_requests": state.counters.token_requests,
        "api_calls": state.counters.api_calls,
        "faults": state.faults,
        "limits": state.faults.limits(&shared.config),
        "usage": state.usage,
    })
}

/// `"all"` → `None` (everyone); a number or numeric string → that athlete.
fn expire_target(value: &Value) -> Result<Option<u64>, Fault> {
    let invalid = || Fault::bad_request("Sandbox", "expire_access_tokens", "invalid");
    match value {
        Value::String(s) if s == "all" => Ok(None),
        Value::String(s) => s.parse().map(Some).map_err(|_| invalid()),
        Value::Number(n) => n.as_u64().map(Some).ok_or_else(invalid),
        _ => Err(invalid()),
    }
}

/// Refuses a request without the sandbox's admin token (when it has one).
fn admit(req: &HttpRequest, shared: &Shared) -> Result<(), Fault> {
    let Some(token) = shared.config.admin_token.as_deref() else { return Ok(()) };
    let given = req.headers().get(crate::ADMIN_TOKEN_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    // Constant time in the token's content: every byte is compared.
    let same =
        given.len() == token.len() && given.iter().zip(token.as_bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if same { Ok(()) } else { Err(Fault::admin_required()) }
}

async fn set_faults(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> Result<HttpResponse, Fault> {
    admit(&req, &shared)?;
    let json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json")));
    if !json {
        return Err(Fault::json_required("Sandbox"));
    }
    let request: FaultRequest =
        serde_json::from_slice(&body).map_err(|e| Fault::bad_request("Sandbox", &e.to_string(), "invalid"))?;
    if let Some(fail) = request.fail_next {
        let allowed = fail.status == 429 || (500..=599).contains(&fail.status);
        if !allowed {
            return Err(Fault::bad_request("Sandbox", "fail_next.status", "invalid"));
        }
    }
    let expire = request.expire_access_tokens.as_ref().map(expire_target).transpose()?;
    {
        let mut state = shared.state();
        if let Some(target) = expire {
            let count = state.tokens.expire_access(target, chrono::Utc::now().timestamp());
            tracing::debug!(?target, count, "sandbox: access tokens expired");
        }
        let faults = &mut state.faults;
        if let Some(v) = request.fail_refresh {
            faults.fail_refresh = v;
        }
        if let Some(fail) = request.fail_next {
            faults.fail_next = (fail.count > 0).then_some(fail);
        }
        if let Some(v) = request.latency_ms {
            faults.latency_ms = v;
        }
        for (slot, value) in [
            (&mut faults.limit_15min, request.limit_15min),
            (&mut faults.limit_daily, request.limit_daily),
            (&mut faults.read_limit_15min, request.read_limit_15min),
            (&mut faults.read_limit_daily, request.read_limit_daily),
        ] {
            if value.is_some() {
                *slot = value;
            }
        }
        tracing::debug!(faults = ?state.faults, "sandbox: faults set");
    }
    Ok(HttpResponse::Ok().json(state_json(&shared)))
}

async fn reset(req: HttpRequest, shared: web::Data<Shared>) -> Result<HttpResponse, Fault> {
    admit(&req, &shared)?;
    {
        let mut state = shared.state();
        state.faults = Faults::default();
        state.usage.clear();
        state.counters = Default::default();
    }
    tracing::debug!("sandbox: reset");
    Ok(HttpResponse::Ok().json(state_json(&shared)))
}

async fn state(req: HttpRequest, shared: web::Data<Shared>) -> Result<HttpResponse, Fault> {
    admit(&req, &shared)?;
    Ok(HttpResponse::Ok().json(state_json(&shared)))
}
