//! `GET /api/openapi.json`, and that it lists every route the app mounts.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use actix_web::dev::{ResourceMap, Service};
use actix_web::http::{Method, StatusCode};
use actix_web::{App, test};

use super::{LimitSettings, fixture, send};
use crate::http;
use crate::http::undocumented::UNDOCUMENTED;

#[actix_web::test]
async fn openapi_document_lists_routes_and_security() {
    let fx = fixture(LimitSettings::default());
    let app = app!(fx);
    let r = send(&app, test::TestRequest::get().uri("/api/openapi.json").to_request()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["openapi"], "3.1.0");
    for (path, method) in [
        ("/health", "get"),
        ("/api/openapi.json", "get"),
        ("/api/auth/login", "post"),
        ("/api/keys/create", "post"),
        ("/api/keys/list", "get"),
        ("/api/keys/{key_id}", "delete"),
        ("/api/me", "get"),
        ("/oauth/{provider}/authorize", "get"),
        ("/oauth/{provider}/callback", "get"),
        ("/api/import", "post"),
    ] {
        assert!(r.body["paths"][path][method].is_object(), "{path} {method}");
    }
    let schemes = &r.body["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["api_key"]["name"], "X-API-Key");
    assert_eq!(schemes["session_cookie"]["in"], "cookie");
    assert!(r.body["components"]["schemas"]["KeyCreatedBody"].is_object());
    let params = r.body["paths"]["/api/me"]["get"]["parameters"].as_array().unwrap();
    assert!(params.iter().any(|p| p["name"] == "X-Tenant-ID" && p["in"] == "header"), "{params:?}");
    let params = r.body["paths"]["/mcp"]["post"]["parameters"].as_array().unwrap();
    let version = params.iter().find(|p| p["name"] == "MCP-Protocol-Version").expect("MCP-Protocol-Version");
    let schema = version["schema"].to_string();
    assert!(schema.contains("\"2025-06-18\"") && schema.contains("\"2026-07-28\""), "{schema}");
}

/// The document the daemon serves, parsed.
fn document() -> serde_json::Value {
    serde_json::from_str(http::openapi::document_json()).expect("the document is JSON")
}

/// Every `$ref` in the document points at something the document holds: a reference to a schema
/// that was never registered (a header parameter's type, say) makes clients and Schemathesis skip
/// that part of the operation.
#[actix_web::test]
async fn every_reference_in_the_document_resolves() {
    fn refs<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
        match v {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(r)) = map.get("$ref") {
                    out.push(r);
                }
                map.values().for_each(|v| refs(v, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let doc = document();
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty(), "the document has references");
    let unresolved: BTreeSet<&str> =
        all.into_iter().filter(|r| r.strip_prefix('#').is_none_or(|pointer| doc.pointer(pointer).is_none())).collect();
    assert!(unresolved.is_empty(), "references to nothing: {unresolved:?}");
}

/// A header is absent or a string, never JSON `null`: an optional header is `required: false`
/// with a non-nullable schema (utoipa makes `Option<T>` headers nullable unless told), or a
/// fuzzer sends the text `null` as a "valid" value.
#[actix_web::test]
async fn header_parameters_are_never_nullable() {
    let doc = document();
    let mut headers = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            for p in op["parameters"].as_array().into_iter().flatten().filter(|p| p["in"] == "header") {
                headers += 1;
                let schema = p["schema"].to_string();
                assert!(!schema.contains("\"null\""), "{method} {path}: header {} may be null: {schema}", p["name"]);
            }
        }
    }
    assert!(headers > 10, "the document declares its header parameters ({headers})");
}

/// One registration per route: every resource the app mounts (the daemon's `http::configure`,
/// sandbox included) is a documented path or under a prefix of [`UNDOCUMENTED`]; every
/// documented path is mounted; and on a documented path every method the document does not list
/// is the fallback's 405 with `Allow` = the documented methods, so no handler answers a method
/// the document does not know.
#[actix_web::test]
async fn every_served_route_is_documented_or_listed() {
    let fx = fixture(LimitSettings::default());
    let sandbox = pacer_sandbox::SandboxStrava::new(pacer_sandbox::SandboxConfig::default());
    let seen: Rc<RefCell<Option<ResourceMap>>> = Rc::default();
    let app = test::init_service(
        App::new()
            .app_data(fx.data.clone())
            .configure(http::body_limits(super::MAX_BODY))
            .configure(http::configure(Some(sandbox)))
            .default_service(http::default_service())
            .wrap_fn({
                let seen = seen.clone();
                move |req, srv| {
                    seen.borrow_mut().get_or_insert_with(|| req.resource_map().clone());
                    srv.call(req)
                }
            }),
    )
    .await;
    let r = send(&app, test::TestRequest::get().uri("/api/openapi.json").to_request()).await;
    assert_eq!(r.status, StatusCode::OK);
    let documented: BTreeMap<String, Vec<String>> = r.body["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .map(|(path, item)| {
            let methods = METHODS.iter().filter(|m| item.get(m.to_ascii_lowercase()).is_some());
            (path.clone(), methods.map(|m| m.to_string()).collect())
        })
        .collect();
    let rmap = seen.borrow().clone().expect("a request went through the app");
    let served = served_patterns(&rmap);

    let listed = |p: &str| UNDOCUMENTED.iter().any(|u| p.starts_with(u.prefix));
    let stray: Vec<&String> = served.iter().filter(|p| !documented.contains_key(*p) && !listed(p)).collect();
    assert!(stray.is_empty(), "served but neither documented nor in http::undocumented::UNDOCUMENTED: {stray:?}");
    let unserved: Vec<&String> = documented.keys().filter(|p| !served.contains(*p)).collect();
    assert!(unserved.is_empty(), "documented but not mounted: {unserved:?}");
    assert!(served.iter().any(|p| listed(p)), "the sandbox's routes were not found: {served:?}");

    for (path, methods) in &documented {
        let uri = instance(path);
        let allow = methods.join(", ");
        // A method documented on another path matching this one (`DELETE /a2a/agents/{agent_id}`
        // also matches `/a2a/agents/discover`: actix tries routes in order, it has no "concrete
        // paths first") is that route's answer, not an undocumented one.
        let elsewhere = |m: &str| {
            documented.iter().any(|(other, ms)| other != path && matches(other, &uri) && ms.iter().any(|d| d == m))
        };
        for method in METHODS.iter().filter(|m| !methods.iter().any(|d| d == *m) && !elsewhere(m)) {
            let req = test::TestRequest::default()
                .method(Method::from_bytes(method.as_bytes()).expect("method"))
                .uri(&uri)
                .to_request();
            let r = send(&app, req).await;
            assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri} is answered but not documented");
            assert_eq!(r.header("allow"), Some(allow.as_str()), "{method} {uri}");
        }
    }
}

/// The methods an OpenAPI path item can hold, upper case and sorted (as `Allow` lists them).
const METHODS: [&str; 8] = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"];

/// A concrete path for `pattern`: every `{param}` (or `{param:regex}`) segment becomes `1`.
fn instance(pattern: &str) -> String {
    pattern.split('/').map(|s| if s.starts_with('{') { "1" } else { s }).collect::<Vec<_>>().join("/")
}

/// Whether the OpenAPI path `template` matches the concrete `path`.
fn matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| t.starts_with('{') || t == p)
}

/// The full pattern of every resource in `rmap` (as `{param}` templates, like OpenAPI paths).
///
/// actix cannot list its resource map, so the candidates come from its `Debug` form (each
/// `ResourceDef`'s pattern and whether it is a scope prefix), and a candidate (up to two scope
/// prefixes, then a resource pattern) counts only when `match_pattern` routes an instance of it
/// to exactly that pattern. A resource pattern that no candidate resolves fails the test, so a
/// change in that `Debug` form cannot make routes silently disappear from the check.
fn served_patterns(rmap: &ResourceMap) -> BTreeSet<String> {
    let debug = format!("{rmap:?}");
    assert!(!debug.contains("patterns: List("), "a resource with several patterns: extend this check");
    let (mut prefixes, mut leaves) = (BTreeSet::from([String::new()]), BTreeSet::new());
    for part in debug.split("patterns: Single(\"").skip(1) {
        let (pattern, rest) = part.split_once("\")").expect("a closing quote");
        if rest.starts_with(", is_prefix: true") {
            prefixes.insert(pattern.to_owned());
        } else {
            leaves.insert(pattern.to_owned());
        }
    }
    assert!(leaves.len() > 10, "no resources read from the resource map: {debug:.300}");
    let mut served = BTreeSet::new();
    for leaf in &leaves {
        let mut resolved = false;
        for outer in &prefixes {
            for inner in &prefixes {
                let candidate = format!("{outer}{inner}{leaf}");
                if rmap.match_pattern(&instance(&candidate)).as_deref() == Some(candidate.as_str()) {
                    served.insert(candidate);
                    resolved = true;
                }
            }
        }
        assert!(resolved, "the resource pattern {leaf:?} resolves to no route");
    }
    served
}
