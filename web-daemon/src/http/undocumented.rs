//! Routes the daemon serves that are deliberately not in the OpenAPI document: the one list
//! ([`UNDOCUMENTED`]), each with its reason, and the one place that mounts them ([`configure`]).
//! Every other route is mounted by [`super::routes`], which documents it as it registers it.

use actix_web::web;
use pacer_sandbox::SandboxStrava;

/// A path prefix served outside the document, and why.
pub struct Undocumented {
    /// Every path starting with this prefix.
    pub prefix: &'static str,
    /// Why it is not in `/api/openapi.json`.
    pub reason: &'static str,
}

/// Everything served but not documented. A route outside both this list and the document fails
/// `http::tests::openapi::every_served_route_is_documented_or_listed`.
pub const UNDOCUMENTED: &[Undocumented] = &[Undocumented {
    prefix: crate::SANDBOX_PREFIX,
    reason: "the Strava API v3 sandbox (`sandbox = true` only): Strava's API and OAuth flow for \
             pacer's own provider client, documented by Strava, not part of pacer's API",
}];

/// Mounts the undocumented routes (see [`UNDOCUMENTED`]).
pub fn configure(cfg: &mut web::ServiceConfig, sandbox: Option<&SandboxStrava>) {
    if let Some(sb) = sandbox {
        sb.configure(crate::SANDBOX_PREFIX, cfg);
    }
}
