//! The OpenAPI 3.1 document (`GET /api/openapi.json`), generated from the routes'
//! `#[utoipa::path]` annotations. To publish a new route, annotate it and add it to the
//! `paths(...)` list of [`ApiDoc`]; schemas used in its bodies are collected automatically.

use std::sync::OnceLock;

use actix_web::{HttpResponse, get};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, AuthorizationCode, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme,
};
use utoipa::{Modify, OpenApi};

use super::session::SESSION_COOKIE;

/// Every documented HTTP route.
#[derive(OpenApi)]
#[openapi(
    info(title = "pacer", description = "pacer daemon HTTP API: accounts, API keys, OAuth, MCP and A2A."),
    paths(
        super::health::health,
        openapi_json,
        super::auth::login,
        super::keys::create_key,
        super::keys::list_keys,
        super::keys::revoke_key,
        super::me::me,
        super::oauth::authorize,
        super::oauth::callback,
        super::oauth_confirm::confirm,
        super::a2a::register,
        super::a2a::discover,
        super::a2a::agent_card,
        super::a2a::unregister,
        super::a2a::well_known_card,
        super::a2a::json_rpc,
        super::mcp_ws::mcp_ws,
        super::mcp_http::mcp_post,
        super::authz_meta::protected_resource_mcp,
        super::authz_meta::protected_resource,
        super::authz_meta::authorization_server,
        super::authz_authorize::authorize,
        super::authz_authorize::decide,
        super::authz_token::token,
        super::authz_token::register,
        super::authz_token::revoke,
        super::authz_token::token_preflight,
        super::authz_token::register_preflight,
        super::authz_token::revoke_preflight,
        super::authz_grants::list_grants,
        super::authz_grants::revoke_grant,
        super::page::index,
        super::page::stylesheet,
        super::page::script,
        super::page::favicon,
        super::page::connection,
        super::page::disconnect,
        super::page::logout,
        super::session::login_with_link,
        super::import::import_upload,
        super::dashboard::weekly_svg,
        super::dashboard::fitness_svg,
        super::dashboard::recent,
    ),
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

/// The document as JSON, built once.
pub fn document_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        ApiDoc::openapi().to_json().unwrap_or_else(|e| serde_json::json!({"error": e.to_string()}).to_string())
    })
}

/// This OpenAPI 3.1 document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta", responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
#[get("/api/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(document_json())
}
