//! The dashboard routes against a real `pacerd demo` with a generated season: server-drawn SVG
//! charts (content type, headers, bars and lines), recent activities with route SVGs, errors as
//! JSON, and nobody else's data. The browser check (`scripts/browser-check`) drives the page.

use std::time::{Duration, Instant};

use pacer_shared::Secret;
use pacer_shared::ipc::AdminRequest;
use reqwest::StatusCode;
use serde_json::Value;

use crate::fixture::{Options, Reply, TestDaemon, Web};

/// A demo daemon importing 60 activities, and a session JWT of the demo user once some exist.
fn demo_with_activities() -> (TestDaemon, Web, String) {
    let mut d = TestDaemon::start_with(Options {
        env: vec![("PACER_DEMO_ACTIVITIES".into(), "60".into())],
        demo: true,
        sandbox: true,
        ..Default::default()
    });
    let facts = d.demo_facts_fresh();
    let web = Web::new(&d);
    let jwt = web.login(facts["email"].as_str().expect("email"), facts["password"].as_str().expect("password"));
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let r = web.send(web.get("/api/dashboard/recent?limit=50").bearer_auth(&jwt));
        let n = r.json()["activities"].as_array().map_or(0, Vec::len);
        if n >= 50 {
            break;
        }
        assert!(Instant::now() < deadline, "demo activities not imported ({n}); log:\n{}", d.log_text());
        std::thread::sleep(Duration::from_millis(250));
    }
    (d, web, jwt)
}

fn assert_svg(r: &Reply) {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.expect_header("content-type"), "image/svg+xml; charset=utf-8");
    assert_eq!(r.expect_header("x-content-type-options"), "nosniff");
    let csp = r.expect_header("content-security-policy");
    assert!(csp.starts_with("default-src 'none'") && !csp.contains("script"), "{csp}");
    assert!(r.text.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=") && r.text.ends_with("</svg>"));
    assert!(!r.text.contains("<script") && !r.text.contains("href"), "self-contained");
}

#[test]
fn dashboard_draws_the_demo_season_for_its_owner_only() {
    let (d, web, jwt) = demo_with_activities();

    let weekly = web.send(web.get("/api/dashboard/weekly.svg?weeks=12&width=390").bearer_auth(&jwt));
    assert_svg(&weekly);
    assert!(weekly.text.contains("viewBox=\"0 0 390 "), "drawn at the asked width");
    assert!(weekly.text.matches("<rect class=\"bar\"").count() >= 5, "{}", weekly.text);
    for metric in ["distance", "load"] {
        let r = web.send(web.get(&format!("/api/dashboard/weekly.svg?metric={metric}")).bearer_auth(&jwt));
        assert_svg(&r);
        assert!(r.text.contains("class=\"bar\""), "{metric}");
    }

    let fitness = web.send(web.get("/api/dashboard/fitness.svg?days=90").bearer_auth(&jwt));
    assert_svg(&fitness);
    for class in ["line ctl", "line atl", "line tsb"] {
        assert!(fitness.text.contains(&format!("<polyline class=\"{class}\"")), "{class}: {}", fitness.text);
    }
    assert!(!fitness.text.contains("No training load"), "{}", fitness.text);

    let recent = web.send(web.get("/api/dashboard/recent").bearer_auth(&jwt));
    assert_eq!(recent.status, StatusCode::OK);
    let rows = recent.json()["activities"].as_array().expect("activities").clone();
    assert_eq!(rows.len(), 10, "default limit");
    let starts: Vec<&str> = rows.iter().map(|a| a["start_date_local"].as_str().expect("start")).collect();
    assert!(starts.windows(2).all(|w| w[0] >= w[1]), "newest first: {starts:?}");
    let routes: Vec<&str> = rows.iter().filter_map(|a| a["route_svg"].as_str()).collect();
    assert!(!routes.is_empty(), "GPS activities have routes: {rows:?}");
    for svg in routes {
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.contains("<polyline points=\""));
    }

    // Errors are the JSON error shape.
    for bad in [
        "/api/dashboard/weekly.svg?weeks=0",
        "/api/dashboard/weekly.svg?metric=bogus",
        "/api/dashboard/fitness.svg?width=9999",
        "/api/dashboard/recent?limit=x",
    ] {
        let r = web.send(web.get(bad).bearer_auth(&jwt));
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (StatusCode::BAD_REQUEST, "invalid_input"),
            "{bad}: {}",
            r.text
        );
    }
    let anonymous = web.send(web.get("/api/dashboard/weekly.svg"));
    assert_eq!((anonymous.status, anonymous.error_code().as_str()), (StatusCode::UNAUTHORIZED, "unauthorized"));
    let wrong_tenant = web.send(web.get("/api/dashboard/recent").bearer_auth(&jwt).header("X-Tenant-ID", "other"));
    assert_eq!(wrong_tenant.status, StatusCode::FORBIDDEN);

    // Another tenant's user sees none of it.
    d.admin(AdminRequest::UsersAdd {
        email: "eve@example.com".into(),
        tenant: Some("other".into()),
        password: Some(Secret::new("eve's long password".into())),
    });
    let eve = web.login("eve@example.com", "eve's long password");
    let r = web.send(web.get("/api/dashboard/recent").bearer_auth(&eve));
    assert_eq!(r.json()["activities"], Value::Array(vec![]));
    let r = web.send(web.get("/api/dashboard/weekly.svg").bearer_auth(&eve));
    assert_svg(&r);
    assert!(r.text.contains("No activities in these weeks") && !r.text.contains("class=\"bar\""));
    let r = web.send(web.get("/api/dashboard/fitness.svg").bearer_auth(&eve));
    assert!(r.text.contains("No training load in this period"), "{}", r.text);
}
