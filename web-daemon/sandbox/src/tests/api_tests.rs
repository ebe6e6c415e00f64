//! `/api/v3`: bearer auth, scopes, activity list paging and filters, detail, streams, stats.

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use super::{FULL_SCOPE, config, s};
use crate::SandboxStrava;

fn ids(list: &Value) -> Vec<u64> {
    list.as_array().map(|a| a.iter().filter_map(|x| x["id"].as_u64()).collect()).unwrap_or_default()
}

#[actix_web::test]
async fn bearer_token_is_required() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    let expected = json!({"message": "Authorization Error",
        "errors": [{"resource": "Athlete", "field": "access_token", "code": "invalid"}]});
    let missing = send!(app, req!(get, "/api/v3/athlete"));
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.json(), expected);
    assert_eq!(missing.header("x-ratelimit-limit"), "200,2000");
    assert_eq!(missing.header("x-ratelimit-usage"), "1,1");
    assert_eq!(missing.header("x-readratelimit-limit"), "100,1000");
    let bogus = send!(app, req!(get, "/api/v3/athlete/activities", "0123456789abcdef0123456789abcdef"));
    assert_eq!(bogus.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bogus.json(), expected);
    assert_eq!(bogus.header("x-readratelimit-usage"), "2,2");

    let tokens = login!(app, 1001, FULL_SCOPE);
    let me = send!(app, req!(get, "/api/v3/athlete", s(&tokens, "/access_token")));
    assert_eq!(me.status, StatusCode::OK);
    let me = me.json();
    assert_eq!((me["id"].as_u64(), me["resource_state"].as_u64()), (Some(1001), Some(3)));
    assert_eq!((s(&me, "/firstname"), s(&me, "/city"), s(&me, "/sex")), ("Léa".into(), "Annecy".into(), "F".into()));
    // The access_token query parameter works as on Strava.
    let by_query = send!(app, req!(get, format!("/api/v3/athlete?access_token={}", s(&tokens, "/access_token"))));
    assert_eq!(by_query.json()["id"], 1001);
}

#[actix_web::test]
async fn scopes_are_enforced() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    let token = s(&login!(app, 1001, "read"), "/access_token");
    assert_eq!(send!(app, req!(get, "/api/v3/athlete", &token)).status, StatusCode::OK);
    let list = send!(app, req!(get, "/api/v3/athlete/activities", &token));
    assert_eq!(list.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        list.json()["errors"][0],
        json!({"resource": "AccessToken", "field": "activity:read_permission", "code": "missing"})
    );
}

#[actix_web::test]
async fn activity_list_pages_filters_and_caps() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    let token = s(&login!(app, 1001, FULL_SCOPE), "/access_token");
    let all = send!(app, req!(get, "/api/v3/athlete/activities?per_page=200", &token)).json();
    let list = all.as_array().cloned().unwrap_or_default();
    assert!(list.len() >= 60 && list.len() < 200, "{} activities", list.len());
    assert!(list.iter().all(|a| a["athlete"]["id"] == 1001));
    let starts: Vec<String> = list.iter().map(|a| s(a, "/start_date")).collect();
    assert!(starts.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert!(starts.iter().all(|d| d.ends_with('Z') && d.len() == 20));
    let first = &list[0];
    for key in [
        "name",
        "distance",
        "moving_time",
        "elapsed_time",
        "total_elevation_gain",
        "sport_type",
        "type",
        "average_speed",
        "max_speed",
        "start_date_local",
        "timezone",
        "has_heartrate",
        "map",
        "external_id",
        "upload_id",
    ] {
        assert!(first.get(key).is_some(), "missing {key}");
    }
    assert_eq!(first["map"]["summary_polyline"], "");

    let default_page = send!(app, req!(get, "/api/v3/athlete/activities", &token)).json();
    assert_eq!(ids(&default_page), ids(&all)[..30].to_vec());
    let capped = send!(app, req!(get, "/api/v3/athlete/activities?per_page=500", &token)).json();
    assert_eq!(ids(&capped), ids(&all));
    let page3 = send!(app, req!(get, "/api/v3/athlete/activities?page=3&per_page=10", &token)).json();
    assert_eq!(ids(&page3), ids(&all)[20..30].to_vec());
    let beyond = send!(app, req!(get, "/api/v3/athlete/activities?page=50&per_page=10", &token)).json();
    assert_eq!(beyond, json!([]));

    let pivot = chrono::DateTime::parse_from_rfc3339(&starts[5]).map(|t| t.timestamp()).unwrap_or_default();
    let after = send!(app, req!(get, format!("/api/v3/athlete/activities?after={pivot}&per_page=200"), &token)).json();
    assert_eq!(ids(&after), ids(&all)[..5].to_vec());
    let before =
        send!(app, req!(get, format!("/api/v3/athlete/activities?before={pivot}&per_page=200"), &token)).json();
    assert_eq!(ids(&before), ids(&all)[6..].to_vec());

    for bad in ["page=0", "per_page=0", "per_page=abc", "before=yesterday"] {
        let reply = send!(app, req!(get, format!("/api/v3/athlete/activities?{bad}"), &token));
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(reply.json()["message"], "Bad Request");
    }
}

#[actix_web::test]
async fn activity_detail_only_for_its_athlete() {
    let sb = SandboxStrava::new(config());
    let app = app!(sb);
    let lea = s(&login!(app, 1001, FULL_SCOPE), "/access_token");
    let sam = s(&login!(app, 1002, FULL_SCOPE), "/access_token");
    let own = send!(app, req!(get, "/api/v3/athlete/activities?per_page=1", &lea)).json();
    let id = own[0]["id"].as_u64().unwrap_or_default();
    let detail = send!(app, req!(get, format!("/api/v3/activities/{id}"), &lea));
    assert_eq!(detail.status, StatusCode::OK);
    let detail = detail.json();
    assert_eq!((detail["id"].as_u64(), detail["resource_state"].as_u64()), (Some(id), Some(3)));
    assert_eq!((&detail["name"], &detail["distance"]), (&own[0]["name"], &own[0]["distance"]));
    assert!(detail.get("calories").is_some() && detail.get("device_name").is_some());

    let not_found =
        json!({"message": "Record Not Found", "errors": [{"resource": "Activity", "field": "id", "code": "invalid"}]});
    let other = send!(app, req!(get, format!("/api/v3/activities/{id}"), &sam));
    assert_eq!((other.status, other.json()), (StatusCode::NOT_FOUND, not_found.clone()));
    let garbage = send!(app, req!(get, "/api/v3/activities/abc", &lea));
    assert_eq!((garbage.status, garbage.json()), (StatusCode::NOT_FOUND, not_found));
}
