//! The HTTP surface (actix-web): one `configure` that mounts every route group, documented
//! ([`routes`], through utoipa's actix bindings) or [`undocumented`] (one list, with reasons).
//!
//! App-level pieces the daemon adds once (see `Daemon::serve`): [`body_limits`] (JSON, form and
//! raw body caps) and `from_fn(edge)` (the `Host` check, the body deadline and the rate-limit
//! headers, in one layer).

pub mod a2a;
pub mod auth;
pub mod authz_authorize;
pub mod authz_grants;
pub mod authz_meta;
pub mod authz_scope;
pub mod authz_token;
pub mod body;
pub mod charts;
pub mod client_ip;
pub mod dashboard;
pub mod deadline;
mod edge;
pub use edge::edge;
pub mod error;
pub mod extract;
pub mod fallback;
pub mod health;
pub mod host;
pub mod html;
pub mod import;
pub mod keys;
pub mod mcp_http;
pub mod mcp_ws;
pub mod me;
pub mod names;
pub mod oauth;
mod oauth_answer;
pub mod oauth_confirm;
pub mod openapi;
pub mod page;
pub mod ratelimit;
pub mod responses;
pub mod session;
pub mod svg;
pub mod undocumented;

use actix_web::web;
use utoipa_actix_web::service_config::ServiceConfig as DocumentedConfig;

/// Mounts every route: the documented ones ([`routes`]) and the [`undocumented`] ones (the
/// sandbox provider, when enabled).
pub fn configure(sandbox: Option<pacer_sandbox::SandboxStrava>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        routes(&mut DocumentedConfig::new(cfg));
        undocumented::configure(cfg, sandbox.as_ref());
    }
}

/// Every documented route, registered and documented in one go: `cfg.service(..)` takes only
/// handlers that carry a `#[utoipa::path]`, and [`openapi::document_json`] is collected from
/// this same function, so a route mounted here cannot be missing from the document. A route
/// mounted anywhere else belongs in [`undocumented`], with its reason.
pub fn routes(cfg: &mut DocumentedConfig) {
    cfg.service(health::health).service(openapi::openapi_json).service(auth::login).service(me::me);
    keys::configure(cfg);
    oauth::configure(cfg);
    session::configure(cfg);
    a2a::configure(cfg);
    cfg.service(mcp_ws::mcp_ws).service(import::import_upload);
    mcp_http::configure(cfg);
    authz_meta::configure(cfg);
    authz_authorize::configure(cfg);
    authz_token::configure(cfg);
    authz_grants::configure(cfg);
    page::configure(cfg);
    dashboard::configure(cfg);
}

/// The app's default service (no route matched): 405 with `Allow`, or a JSON/HTML 404; see
/// [`fallback`].
pub fn default_service() -> actix_web::Route {
    web::to(fallback::not_routed)
}

/// Caps request bodies at `max_body_bytes` for JSON, form and raw (`Bytes`/`String`) extractors;
/// oversize → 413 (JSON error body for JSON and form). A scope needing more (uploads) registers
/// its own `PayloadConfig`/`JsonConfig` with `.app_data(..)`, which takes precedence there.
pub fn body_limits(max_body_bytes: usize) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(error::json_config(max_body_bytes))
            .app_data(error::query_config())
            .app_data(error::form_config(max_body_bytes))
            .app_data(web::PayloadConfig::new(max_body_bytes));
    }
}

#[cfg(test)]
mod tests;
