//! The OpenAPI 3.1 document (`GET /api/openapi.json`): [`ApiDoc`] (title, tags, security
//! schemes) plus the paths and schemas collected from the registrations in
//! [`super::routes`] (utoipa's actix bindings). To publish a route, give it a
//! `#[utoipa::path]` (method and path come from its actix macro) and `cfg.service(..)` it there.

use std::sync::OnceLock;

use actix_web::{HttpResponse, get};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, AuthorizationCode, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme,
};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use super::session::SESSION_COOKIE;

/// The document's frame: its paths come from [`super::routes`] (see [`document`]).
#[derive(OpenApi)]
#[openapi(
    info(title = "pacer", description = "pacer daemon HTTP API: accounts, API keys, OAuth, MCP and A2A."),
    modifiers(&SecuritySchemes),
    tags(
        (name = "meta", description = "Liveness and this document"),
        (name = "auth", description = "Sessions"),
        (name = "keys", description = "API keys"),
        (name = "oauth", description = "Connecting a fitness provider"),
        (name = "activities", description = "The person's own activity files"),
        (name = "a2a", description = "Agent registry, pacer's agent card and A2A JSON-RPC"),
        (name = "mcp", description = "MCP over WebSocket and Streamable HTTP"),
        (name = "mcp-auth", description = "MCP authorization: pacerd as the OAuth 2.1 authorization server of /mcp (metadata, authorize, token, registration, revocation, connected applications)"),
        (name = "web", description = "The web page and its assets"),
        (name = "dashboard", description = "The web page's charts and recent activities (server-drawn SVG)"),
    )
)]
pub struct ApiDoc;

/// The security schemes routes refer to: `bearer`, `session_cookie`, `api_key`,
/// `api_key_query` (the same key as `?api_key=`, only on `/mcp/ws`; never logged) and `mcp_oauth`.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))),
        );
        components
            .add_security_scheme("api_key", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))));
        let scopes = Scopes::from_iter(crate::authz::Scope::ALL.map(|s| (s.as_str(), s.description())));
        components.add_security_scheme(
            "mcp_oauth",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::AuthorizationCode(AuthorizationCode::new("/oauth/authorize", "/oauth/token", scopes))],
                "MCP authorization: access tokens for /mcp from pacer's own authorization server (PKCE S256, resource = <public_url>/mcp)",
            )),
        );
        components
            .add_security_scheme("api_key_query", SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new("api_key"))));
    }
}

/// The document: [`ApiDoc`] plus every route [`super::routes`] registers, collected by
/// registering them on a throwaway app (nothing is served from it).
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, doc) =
        actix_web::App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(super::routes).split_for_parts();
    doc
}

/// The document as JSON, built once.
pub fn document_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| document().to_json().unwrap_or_else(|e| serde_json::json!({"error": e.to_string()}).to_string()))
}

/// This OpenAPI 3.1 document.
#[utoipa::path(tag = "meta", responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
#[get("/api/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(document_json())
}
