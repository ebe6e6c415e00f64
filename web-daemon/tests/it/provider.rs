//! Issue 3: the provider layer end to end. A real `pacerd` serves the Strava sandbox over real
//! HTTP; the test drives an in-process `StravaClient` (pointed at `{http_url}/sandbox/strava`)
//! and an in-process `TokenService` over its own temp `Store`, with tokens obtained through the
//! sandbox's OAuth consent page. Fault switches (`/_sandbox/faults`) drive every branch and the
//! sandbox's own counters (`/_sandbox/state`) are the ground truth for "how many calls/refreshes".

use std::collections::HashSet;
use std::future::Future;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use futures_util::StreamExt;
use pacer_shared::{Secret, TenantId, UserId};
use pacerd::provider::{
    Activity, ActivityQuery, FitnessProvider, ProviderError, ProviderResult, StravaClient, StravaClientConfig,
    TokenExchange, TokenService, TokenSet, Totals, UploadRequest, UploadStatus, WINDOW_15_MIN,
};
use pacerd::store::{Store, tenants, users};
use pacerd::vault::TokenVault;
use serde_json::{Value, json};

use crate::fixture::{Options, TestDaemon, contains, http, raw_db_bytes};

const CLIENT_ID: &str = "pacer-sandbox";
const CLIENT_SECRET: &str = "sandbox-secret";
const SCOPE: &str = "read,activity:read_all,activity:write";
/// Never contacted: the test reads the code from the consent redirect's `Location`.
const REDIRECT_URI: &str = "http://127.0.0.1:9/oauth/strava/callback";
/// The sandbox's access-token lifetime (Strava's 6 hours).
const SANDBOX_TTL_S: i64 = 21_600;
const STATUS_PROCESSING: &str = "Your activity is still being processed.";
const STATUS_READY: &str = "Your activity is ready.";
const STATUS_ERROR: &str = "There was an error processing your activity.";

fn now_s() -> i64 {
    Utc::now().timestamp()
}

/// A user of the test's own store.
#[derive(Clone)]
struct Account {
    tenant: TenantId,
    user: UserId,
}

/// A Strava client for the daemon's sandbox.
fn sandbox_client(http_url: &str, max_retries: u32) -> Arc<StravaClient> {
    let mut config = StravaClientConfig::new(CLIENT_ID, Secret::new(CLIENT_SECRET.into()));
    config.api_base = format!("{http_url}/sandbox/strava/api/v3");
    config.oauth_base = format!("{http_url}/sandbox/strava");
    config.timeout = Duration::from_secs(10);
    config.max_retries = max_retries;
    Arc::new(StravaClient::new(config).expect("client"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

/// Decodes the few entities the sandbox's consent page escapes.
fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// `(name, value)` of every `<input type="hidden" …>` of a page.
fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let attr = |tag: &str, name: &str| {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let len = tag[start..].find('"')?;
        Some(html_unescape(&tag[start..start + len]))
    };
    html.split("<input")
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>')?];
            if attr(tag, "type")? != "hidden" {
                return None;
            }
            Some((attr(tag, "name")?, attr(tag, "value")?))
        })
        .collect()
}

/// The athlete ids offered by the consent page's `<select name="athlete_id">`.
fn athlete_options(html: &str) -> Vec<u64> {
    html.split("<option value=\"").skip(1).filter_map(|rest| rest[..rest.find('"')?].parse().ok()).collect()
}

fn start_ts(a: &Activity) -> i64 {
    DateTime::parse_from_rfc3339(&a.start_date)
        .unwrap_or_else(|e| panic!("start_date {:?}: {e}", a.start_date))
        .timestamp()
}

fn ids(list: &[Activity]) -> Vec<u64> {
    list.iter().map(|a| a.id).collect()
}

fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let (dlat, dlon) = (lat2 - lat1, (b.1 - a.1).to_radians());
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

/// A GPX 1.1 track of `n` points every `step_s` seconds from `start`, heading north-east from
/// `origin` (≈ 5.5 m per point), with elevation and Garmin heart-rate extensions. Returns the
/// file and its great-circle length in metres.
fn gpx(start: DateTime<Utc>, n: usize, step_s: i64, origin: (f64, f64)) -> (Vec<u8>, f64) {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"pacer it\" \
         xmlns=\"http://www.topografix.com/GPX/1/1\" \
         xmlns:gpxtpx=\"http://www.garmin.com/xmlschemas/TrackPointExtension/v1\">\n\
         <trk><name>IT track</name><type>running</type><trkseg>\n",
    );
    let mut distance = 0.0;
    let mut last: Option<(f64, f64)> = None;
    for i in 0..n {
        let pos = (origin.0 + 0.000_04 * i as f64, origin.1 + 0.000_04 * i as f64);
        if let Some(prev) = last {
            distance += haversine(prev, pos);
        }
        last = Some(pos);
        let time = start + chrono::Duration::seconds(step_s * i as i64);
        out.push_str(&format!(
            "<trkpt lat=\"{:.7}\" lon=\"{:.7}\"><ele>{:.1}</ele><time>{}</time><extensions>\
             <gpxtpx:TrackPointExtension><gpxtpx:hr>{}</gpxtpx:hr></gpxtpx:TrackPointExtension>\
             </extensions></trkpt>\n",
            pos.0,
            pos.1,
            400.0 + 12.0 * (i as f64 / 25.0).sin(),
            time.format("%Y-%m-%dT%H:%M:%SZ"),
            130 + i % 25,
        ));
    }
    out.push_str("</trkseg></trk></gpx>\n");
    (out.into_bytes(), distance)
}

fn upload_request(bytes: Vec<u8>, name: &str, external_id: Option<&str>) -> UploadRequest {
    UploadRequest {
        bytes,
        data_type: "gpx".into(),
        name: Some(name.into()),
        description: Some("uploaded by the integration test".into()),
        external_id: external_id.map(str::to_owned),
        sport_type: Some("Run".into()),
    }
}

/// A sandbox-serving daemon plus the in-process provider stack connected to its athlete 1.
struct Harness {
    rt: tokio::runtime::Runtime,
    daemon: TestDaemon,
    http: reqwest::Client,
    client: Arc<StravaClient>,
    store: Store,
    service: Arc<TokenService>,
    db_dir: tempfile::TempDir,
    owner: Account,
    athlete_id: u64,
    /// The tokens from the code exchange (stored for `owner`).
    initial: TokenSet,
}

impl Harness {
    /// Daemon with the sandbox, sandbox limits raised out of the way, `owner` connected.
    fn start() -> Self {
        let daemon = TestDaemon::start_with(Options { sandbox: true, ..Options::default() });
        let rt = runtime();
        let client = sandbox_client(&daemon.http_url, 2);
        let db_dir = tempfile::Builder::new().prefix("pacer-it-store-").tempdir().expect("tempdir");
        let store = Store::open(&db_dir.path().join("pacer.db")).expect("open store");
        store.migrate().expect("migrate");
        let vault = Arc::new(TokenVault::from_key(rand::random()));
        let provider: Arc<dyn FitnessProvider> = client.clone();
        let service = Arc::new(TokenService::new(store.clone(), vault, provider));
        let owner = add_user(&store, "acme", "ada@example.com");
        let mut h = Self {
            rt,
            daemon,
            http: http(),
            client,
            store,
            service,
            db_dir,
            owner,
            athlete_id: 0,
            initial: TokenSet {
                access_token: Secret::new(String::new()),
                refresh_token: Secret::new(String::new()),
                expires_at: 0,
                athlete_id: None,
                scopes: None,
            },
        };
        let exchange = h.rt.block_on(async {
            h.faults(json!({
                "limit_15min": 100_000, "limit_daily": 1_000_000,
                "read_limit_15min": 100_000, "read_limit_daily": 1_000_000,
            }))
            .await;
            h.connect(&h.owner.clone()).await
        });
        h.athlete_id = exchange.tokens.athlete_id.expect("athlete id in the exchange");
        h.initial = exchange.tokens;
        h
    }

    fn run<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    fn sb(&self, path: &str) -> String {
        format!("{}/sandbox/strava{path}", self.daemon.http_url)
    }

    async fn state(&self) -> Value {
        let r = self.http.get(self.sb("/_sandbox/state")).send().await.expect("state");
        assert!(r.status().is_success(), "state: {}", r.status());
        r.json().await.expect("state json")
    }

    async fn counter(&self, name: &str) -> u64 {
        let state = self.state().await;
        state[name].as_u64().unwrap_or_else(|| panic!("no {name} in {state}"))
    }

    async fn faults(&self, body: Value) -> Value {
        let r = self.http.post(self.sb("/_sandbox/faults")).json(&body).send().await.expect("faults");
        let status = r.status();
        let text = r.text().await.expect("faults body");
        assert!(status.is_success(), "faults {body}: {status} {text}");
        serde_json::from_str(&text).expect("faults json")
    }

    /// The sandbox OAuth dance over HTTP: consent page → approve (first offered athlete) → code
    /// from the redirect. Returns the code and the athlete who consented.
    async fn authorize_code(&self) -> (String, u64) {
        let state = format!("it-{}", rand::random::<u32>());
        let url = self.client.authorize_url(&state, REDIRECT_URI, SCOPE);
        assert!(url.starts_with(&self.sb("/oauth/authorize?")), "{url}");
        let page = self.http.get(&url).send().await.expect("authorize page");
        assert_eq!(page.status(), 200, "authorize page");
        let html = page.text().await.expect("html");
        assert!(html.contains("decision") && html.contains("approve"), "consent page: {html}");
        let mut form = hidden_inputs(&html);
        let fields: HashSet<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
        for wanted in ["client_id", "redirect_uri", "response_type", "scope", "state"] {
            assert!(fields.contains(wanted), "consent form lacks {wanted}: {html}");
        }
        let athletes = athlete_options(&html);
        assert!(athletes.len() >= 2, "seeded athletes offered: {athletes:?}");
        form.push(("athlete_id".into(), athletes[0].to_string()));
        form.push(("decision".into(), "approve".into()));
        let action = url::Url::parse(&url).expect("url").join("authorize").expect("action");
        let consent = self.http.post(action).form(&form).send().await.expect("consent");
        assert_eq!(consent.status(), 302, "consent: {}", consent.text().await.unwrap_or_default());
        let location = consent.headers()["location"].to_str().expect("location").to_owned();
        assert!(location.starts_with(REDIRECT_URI), "{location}");
        let location = url::Url::parse(&location).expect("location url");
        let param = |k: &str| location.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
        assert_eq!(param("state").as_deref(), Some(state.as_str()), "state round-trips");
        assert!(param("scope").expect("scope").contains("activity:write"));
        (param("code").expect("code in the redirect"), athletes[0])
    }

    /// Authorizes, exchanges the code and stores the tokens for `account`.
    async fn connect(&self, account: &Account) -> TokenExchange {
        let (code, athlete) = self.authorize_code().await;
        let exchange = self.client.exchange_code(&code).await.expect("exchange code");
        let tokens = &exchange.tokens;
        assert_eq!(tokens.access_token.expose().len(), 40);
        assert_ne!(tokens.access_token, tokens.refresh_token);
        let lifetime = tokens.expires_at - now_s();
        assert!((SANDBOX_TTL_S - 10..=SANDBOX_TTL_S).contains(&lifetime), "expires in {lifetime} s");
        assert_eq!(exchange.athlete.as_ref().map(|a| a.id), Some(athlete), "the consenting athlete");
        assert!(tokens.athlete_id.is_none_or(|id| id == athlete));
        let again = self.client.exchange_code(&code).await;
        assert!(matches!(again, Err(ProviderError::BadRequest(_))), "codes are single-use: {again:?}");
        let mut tokens = exchange.tokens.clone();
        if tokens.athlete_id.is_none() {
            tokens.athlete_id = exchange.athlete.as_ref().map(|a| a.id);
        }
        self.service.store_tokens(&account.tenant, &account.user, &tokens).await.expect("store tokens");
        TokenExchange { tokens, athlete: exchange.athlete }
    }

    /// Runs `f` with `account`'s access token through the `TokenService`.
    async fn call_as<T, F, Fut>(&self, account: &Account, f: F) -> ProviderResult<T>
    where
        F: Fn(Arc<StravaClient>, Secret) -> Fut,
        Fut: Future<Output = ProviderResult<T>>,
    {
        let client = self.client.clone();
        self.service.with_access_token(&account.tenant, &account.user, move |t| f(client.clone(), t)).await
    }

    async fn athlete_as(&self, account: &Account) -> ProviderResult<u64> {
        self.call_as(account, |c, t| async move { c.athlete(&t).await.map(|a| a.id) }).await
    }

    async fn athlete(&self) -> ProviderResult<u64> {
        self.athlete_as(&self.owner).await
    }

    async fn list(&self, query: ActivityQuery) -> Vec<Activity> {
        self.call_as(&self.owner, |c, t| async move { c.activities(&t, &query).await })
            .await
            .unwrap_or_else(|e| panic!("activities {query:?}: {e}"))
    }

    /// Every visible activity, newest first, through pages of 200.
    async fn all_activities(&self) -> Vec<Activity> {
        let mut all = Vec::new();
        for page in 1.. {
            let batch = self.list(ActivityQuery { page, per_page: 200, ..ActivityQuery::default() }).await;
            let done = batch.len() < 200;
            all.extend(batch);
            if done {
                break;
            }
        }
        all
    }

    async fn upload(&self, request: UploadRequest) -> ProviderResult<UploadStatus> {
        self.call_as(&self.owner, |c, t| {
            let request = request.clone();
            async move { c.upload(&t, request).await }
        })
        .await
    }

    /// Polls an upload until the sandbox has processed it.
    async fn poll_upload(&self, upload_id: u64) -> UploadStatus {
        for _ in 0..200 {
            let status = self
                .call_as(&self.owner, |c, t| async move { c.upload_status(&t, upload_id).await })
                .await
                .expect("upload status");
            if status.is_final() {
                return status;
            }
            assert_eq!(status.status, STATUS_PROCESSING);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("upload {upload_id} never finished processing");
    }

    /// Overwrites the owner's stored tokens with the initial ones expiring at `expires_at`.
    async fn store_initial_expiring(&self, expires_at: i64) {
        let tokens = TokenSet { expires_at, ..self.initial.clone() };
        self.service.store_tokens(&self.owner.tenant, &self.owner.user, &tokens).await.expect("store");
    }

    async fn stored_expiry(&self, account: &Account) -> i64 {
        self.service
            .connection(&account.tenant, &account.user)
            .await
            .expect("connection")
            .expect("connected")
            .expires_at
    }

    /// Asks the sandbox token endpoint directly for a refresh (status, body).
    async fn raw_refresh(&self, refresh_token: &Secret) -> (u16, Value) {
        let r = self
            .http
            .post(self.sb("/oauth/token"))
            .form(&[
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose()),
            ])
            .send()
            .await
            .expect("token endpoint");
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
}

fn add_user(store: &Store, tenant: &str, email: &str) -> Account {
    let conn = store.conn().expect("conn");
    let tenant = tenants::get_or_create(&conn, tenant).expect("tenant").id;
    let user = users::create(&conn, &tenant, email, None).expect("user").info.id;
    Account { tenant, user }
}

// ---------------------------------------------------------------------------------------------
// Reads: paging, filters, streams, stats
// ---------------------------------------------------------------------------------------------

#[test]
fn activity_paging_filters_and_per_page_cap() {
    let h = Harness::start();
    h.run(async {
        let seeded = h.all_activities().await;
        assert!(seeded.len() >= 30, "seeded activities: {}", seeded.len());
        // Push the athlete past 200 activities so the cap is observable: small files recorded
        // long before the seeded ones, uploaded 8 at a time.
        let extra = 215 - seeded.len();
        let base = Utc.with_ymd_and_hms(2020, 1, 1, 7, 0, 0).single().expect("date");
        let statuses: Vec<ProviderResult<UploadStatus>> = futures_util::stream::iter(0..extra)
            .map(|i| {
                let start = base + chrono::Duration::hours(30 * i as i64);
                let (bytes, _) = gpx(start, 4, 10, (46.0, 7.0));
                h.upload(upload_request(bytes, &format!("old run {i}"), Some(&format!("old-{i}"))))
            })
            .buffer_unordered(8)
            .collect()
            .await;
        let upload_ids: Vec<u64> = statuses.into_iter().map(|s| s.expect("upload").upload_id).collect();
        assert_eq!(upload_ids.iter().collect::<HashSet<_>>().len(), extra, "distinct upload ids");
        let last = h.poll_upload(*upload_ids.iter().max().expect("ids")).await;
        assert!(last.activity_id.is_some(), "{last:?}");
        tokio::time::sleep(Duration::from_millis(400)).await; // every upload is now processed

        let all = h.all_activities().await;
        let total = seeded.len() + extra;
        assert_eq!(all.len(), total);
        assert_eq!(all.iter().map(|a| a.id).collect::<HashSet<_>>().len(), total, "no duplicates");
        assert!(all.windows(2).all(|w| start_ts(&w[0]) >= start_ts(&w[1])), "newest first");
        assert_eq!(ids(&all[..seeded.len()]), ids(&seeded), "uploads are older than the seed");

        // per_page above 200: the client caps at 200, and so does the provider itself.
        let capped = h.list(ActivityQuery { per_page: 500, ..ActivityQuery::default() }).await;
        assert_eq!(ids(&capped), ids(&all[..200]));
        let raw = h
            .http
            .get(h.sb("/api/v3/athlete/activities?per_page=500&page=1"))
            .bearer_auth(h.initial.access_token.expose())
            .send()
            .await
            .expect("raw list");
        assert_eq!(raw.status(), 200);
        let raw: Vec<Value> = raw.json().await.expect("raw json");
        assert_eq!(raw.len(), 200, "sandbox caps per_page at 200");
        let page2 = h.list(ActivityQuery { page: 2, per_page: 500, ..ActivityQuery::default() }).await;
        assert_eq!(ids(&page2), ids(&all[200..]), "page 2 continues after 200, not 500");

        // Small pages tile the list: no overlap, no gap.
        let mut seen = Vec::new();
        for page in 1..=6 {
            let batch = h.list(ActivityQuery { page, per_page: 7, ..ActivityQuery::default() }).await;
            assert_eq!(batch.len(), 7, "page {page}");
            seen.extend(ids(&batch));
        }
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 42, "pages do not overlap");
        assert_eq!(seen, ids(&all[..42]));
        let beyond = h.list(ActivityQuery { page: 100, per_page: 7, ..ActivityQuery::default() }).await;
        assert!(beyond.is_empty());

        // before/after: strict bounds, every start inside the window, exactly the expected set.
        let (before, after) = (start_ts(&all[10]), start_ts(&all[40]));
        let window = h.list(ActivityQuery { before: Some(before), after: Some(after), page: 1, per_page: 200 }).await;
        let expected: Vec<u64> =
            all.iter().filter(|a| start_ts(a) < before && start_ts(a) > after).map(|a| a.id).collect();
        assert!(expected.len() >= 25, "window holds {} activities", expected.len());
        assert_eq!(ids(&window), expected);
        for a in &window {
            let t = start_ts(a);
            assert!(after < t && t < before, "{} starts at {t}, outside ({after}, {before})", a.id);
        }
        let only_after = h.list(ActivityQuery { after: Some(start_ts(&all[5])), ..ActivityQuery::default() }).await;
        assert_eq!(ids(&only_after), ids(&all[..5]));
        let cutoff = base.timestamp() + 30 * 3600 * 10; // before the 11th old upload
        let old =
            h.list(ActivityQuery { before: Some(cutoff), page: 1, per_page: 200, ..ActivityQuery::default() }).await;
        assert_eq!(old.len(), 10, "the ten oldest uploads start before the cutoff");
        assert!(old.iter().all(|a| start_ts(a) < cutoff && a.name.starts_with("old run ")));
    });
}

#[test]
fn streams_are_aligned_and_downsampled() {
    let h = Harness::start();
    h.run(async {
        let all = h.all_activities().await;
        let run = all.iter().find(|a| a.sport_type == "Run").expect("a seeded run");
        let detail =
            h.call_as(&h.owner, |c, t| async move { c.activity(&t, run.id).await }).await.expect("activity detail");
        assert_eq!(detail.activity.id, run.id);
        assert_eq!(detail.activity.distance_m, run.distance_m);

        let keys: Vec<String> =
            ["heartrate", "altitude", "latlng", "cadence", "velocity_smooth"].map(String::from).to_vec();
        let streams = h
            .call_as(&h.owner, |c, t| {
                let keys = keys.clone();
                async move { c.streams(&t, run.id, &keys).await }
            })
            .await
            .expect("streams");
        assert_eq!(streams.activity_id, run.id);
        for key in ["time", "distance", "heartrate", "altitude", "latlng", "cadence", "velocity_smooth"] {
            assert!(streams.series.contains_key(key), "{key} missing: {:?}", streams.series.keys());
        }
        assert!(!streams.series.contains_key("watts"), "not requested");
        let n = streams.original_points;
        assert!(n > 200, "a run has many samples: {n}");
        assert_eq!(streams.returned_points, n);
        for (key, values) in &streams.series {
            assert_eq!(values.len(), n, "{key} has {} samples, expected {n}", values.len());
        }
        let time: Vec<i64> = streams.series["time"].iter().map(|v| v.as_i64().expect("time")).collect();
        assert_eq!(time[0], 0);
        assert!(time.windows(2).all(|w| w[0] < w[1]), "time strictly increases");
        assert_eq!(*time.last().expect("time"), i64::try_from(run.elapsed_time_s).expect("elapsed"));
        let distance: Vec<f64> = streams.series["distance"].iter().map(|v| v.as_f64().expect("m")).collect();
        assert!(distance.windows(2).all(|w| w[0] <= w[1]), "distance never decreases");
        let total = *distance.last().expect("distance");
        assert!((total - run.distance_m).abs() <= 1.0, "streams end at {total} m, activity says {}", run.distance_m);
        assert!(streams.series["heartrate"].iter().all(|v| (60.0..=220.0).contains(&v.as_f64().expect("bpm"))));
        assert!(streams.series["latlng"].iter().all(|v| v.as_array().is_some_and(|p| p.len() == 2)));

        let small = streams.clone().downsample(100);
        assert_eq!(small.returned_points, 100);
        assert_eq!(small.original_points, n);
        for (key, values) in &small.series {
            assert_eq!(values.len(), 100, "{key}");
            assert_eq!(values.first(), streams.series[key].first(), "{key} keeps the first sample");
            assert_eq!(values.last(), streams.series[key].last(), "{key} keeps the last sample");
        }
        assert_eq!(streams.clone().downsample(0).returned_points, n);
        assert_eq!(streams.clone().downsample(n + 10).returned_points, n);

        let missing = h.call_as(&h.owner, |c, t| async move { c.streams(&t, 1, &[]).await }).await;
        assert!(matches!(missing, Err(ProviderError::NotFound(_))), "{missing:?}");
    });
}

/// Stats group of a sport, as Strava totals them.
fn stats_group(sport: &str) -> Option<usize> {
    match sport {
        "Run" | "TrailRun" | "VirtualRun" => Some(0),
        "Ride" | "VirtualRide" | "EBikeRide" | "MountainBikeRide" | "GravelRide" | "EMountainBikeRide"
        | "Velomobile" | "Handcycle" => Some(1),
        "Swim" => Some(2),
        _ => None,
    }
}

fn assert_totals(what: &str, got: &Totals, list: &[&Activity]) {
    assert_eq!(got.count, list.len() as u64, "{what}: count");
    let distance: f64 = list.iter().map(|a| a.distance_m).sum();
    assert!(
        (got.distance_m - distance).abs() <= 0.1 * list.len() as f64 + 0.5,
        "{what}: {} m vs {distance} m",
        got.distance_m
    );
    assert_eq!(got.moving_time_s, list.iter().map(|a| a.moving_time_s).sum::<u64>(), "{what}: moving time");
    assert_eq!(got.elapsed_time_s, list.iter().map(|a| a.elapsed_time_s).sum::<u64>(), "{what}: elapsed time");
    let gain: f64 = list.iter().map(|a| a.total_elevation_gain_m).sum();
    assert!((got.elevation_gain_m - gain).abs() <= 0.1 * list.len() as f64 + 0.5, "{what}: gain");
}

#[test]
fn stats_match_the_activity_list() {
    let h = Harness::start();
    h.run(async {
        let all = h.all_activities().await;
        let athlete = h.athlete_id;
        let stats = h.call_as(&h.owner, |c, t| async move { c.stats(&t, athlete).await }).await.expect("stats");
        let now = Utc::now();
        let recent_from = (now - chrono::Duration::days(28)).timestamp();
        let year_from = Utc.with_ymd_and_hms(now.year(), 1, 1, 0, 0, 0).single().expect("jan 1").timestamp();
        let pick = |group: usize, from: i64| -> Vec<&Activity> {
            all.iter().filter(|a| stats_group(&a.sport_type) == Some(group) && start_ts(a) >= from).collect()
        };
        let groups = [
            ("run", [&stats.recent_run_totals, &stats.ytd_run_totals, &stats.all_run_totals]),
            ("ride", [&stats.recent_ride_totals, &stats.ytd_ride_totals, &stats.all_ride_totals]),
            ("swim", [&stats.recent_swim_totals, &stats.ytd_swim_totals, &stats.all_swim_totals]),
        ];
        for (g, (name, [recent, ytd, every])) in groups.into_iter().enumerate() {
            assert_totals(&format!("recent {name}"), recent, &pick(g, recent_from));
            assert_totals(&format!("ytd {name}"), ytd, &pick(g, year_from));
            assert_totals(&format!("all {name}"), every, &pick(g, i64::MIN));
            assert!(every.count > 0, "the seed has {name}s");
        }
        let rides = pick(1, i64::MIN);
        let longest = rides.iter().map(|a| a.distance_m).fold(0.0, f64::max);
        let biggest = stats.biggest_ride_distance_m.expect("biggest ride");
        assert!((biggest - longest).abs() <= 0.1, "biggest ride {biggest} vs {longest}");

        let other = h.call_as(&h.owner, |c, t| async move { c.stats(&t, athlete + 1).await }).await;
        assert!(other.is_err(), "another athlete's stats are refused: {other:?}");
    });
}

// ---------------------------------------------------------------------------------------------
// Uploads
// ---------------------------------------------------------------------------------------------

#[test]
fn upload_lifecycle_duplicates_and_corrupt_files() {
    let h = Harness::start();
    h.run(async {
        let start = Utc::now() - chrono::Duration::hours(1);
        let start = start - chrono::Duration::nanoseconds(i64::from(start.timestamp_subsec_nanos()));
        let (file, expected_m) = gpx(start, 300, 2, (45.0, 6.0));
        assert!((1500.0..1800.0).contains(&expected_m), "{expected_m}");

        let first = h.upload(upload_request(file.clone(), "IT lunch run", Some("it-run-1"))).await.expect("upload");
        assert_eq!(first.status, STATUS_PROCESSING);
        assert_eq!((first.activity_id, first.error.as_deref()), (None, None));
        assert_eq!(first.external_id.as_deref(), Some("it-run-1"));
        let done = h.poll_upload(first.upload_id).await;
        assert_eq!(done.upload_id, first.upload_id);
        assert_eq!(done.status, STATUS_READY);
        assert_eq!(done.error, None);
        let activity_id = done.activity_id.expect("activity id");

        let recent = h.list(ActivityQuery { after: Some(start.timestamp() - 60), ..ActivityQuery::default() }).await;
        let listed = recent.iter().find(|a| a.id == activity_id).expect("the upload is listed");
        assert_eq!(listed.name, "IT lunch run");
        assert_eq!(listed.sport_type, "Run");
        assert_eq!(start_ts(listed), start.timestamp());
        assert!(
            (listed.distance_m - expected_m).abs() <= expected_m * 0.02,
            "distance {} m, track is {expected_m:.1} m",
            listed.distance_m
        );
        assert_eq!(listed.elapsed_time_s, 598);
        let hr = listed.average_heartrate_bpm.expect("heart rate recorded");
        assert!((130.0..=154.0).contains(&hr), "average heart rate {hr}");
        assert_eq!(listed.external_id.as_deref(), Some("it-run-1"));
        let detail =
            h.call_as(&h.owner, |c, t| async move { c.activity(&t, activity_id).await }).await.expect("detail");
        assert_eq!(detail.description.as_deref(), Some("uploaded by the integration test"));
        let keys = vec!["heartrate".to_owned(), "altitude".to_owned()];
        let streams = h
            .call_as(&h.owner, |c, t| {
                let keys = keys.clone();
                async move { c.streams(&t, activity_id, &keys).await }
            })
            .await
            .expect("streams of the upload");
        assert_eq!(streams.original_points, 300);
        assert_eq!(streams.series["heartrate"][0], json!(130));

        // The same bytes again (no external id): a duplicate of the first activity.
        let again = h.upload(upload_request(file.clone(), "again", None)).await.expect("upload again");
        assert_eq!(again.status, STATUS_PROCESSING);
        let again = h.poll_upload(again.upload_id).await;
        assert_eq!(again.activity_id, None);
        assert_eq!(again.status, STATUS_ERROR);
        let error = again.error.expect("duplicate error");
        assert!(error.contains(&format!("duplicate of activity {activity_id}")), "{error}");

        // Different bytes, same external id: also a duplicate.
        let (shifted, _) = gpx(start - chrono::Duration::hours(5), 300, 2, (45.0, 6.0));
        let same_id = h.upload(upload_request(shifted, "same id", Some("it-run-1"))).await.expect("upload");
        let same_id = h.poll_upload(same_id.upload_id).await;
        assert_eq!(same_id.activity_id, None);
        let error = same_id.error.expect("duplicate error");
        assert!(error.contains(&format!("duplicate of activity {activity_id}")), "{error}");

        // A truncated file: processing fails with an error status, nothing is created.
        let corrupt = file[..file.len() / 2].to_vec();
        let bad = h.upload(upload_request(corrupt, "corrupt", Some("it-corrupt"))).await.expect("accepted");
        assert_eq!(bad.status, STATUS_PROCESSING);
        let bad = h.poll_upload(bad.upload_id).await;
        assert_eq!((bad.status.as_str(), bad.activity_id), (STATUS_ERROR, None));
        let error = bad.error.expect("parse error");
        assert!(!error.contains("duplicate"), "{error}");
        // A gzip data type with plain bytes is refused the same way.
        let mut not_gz = upload_request(file.clone(), "not gz", Some("it-not-gz"));
        not_gz.data_type = "gpx.gz".into();
        let not_gz = h.upload(not_gz).await.expect("accepted");
        let not_gz = h.poll_upload(not_gz.upload_id).await;
        assert!(not_gz.error.is_some_and(|e| e.contains("gzip")), "gzip mismatch reported");

        let after =
            h.list(ActivityQuery { after: Some(start.timestamp() - 6 * 3600), ..ActivityQuery::default() }).await;
        let uploaded: Vec<&Activity> =
            after.iter().filter(|a| a.external_id.as_deref().is_some_and(|e| e.starts_with("it-"))).collect();
        assert_eq!(uploaded.len(), 1, "only the first upload became an activity");
    });
}

// ---------------------------------------------------------------------------------------------
// Tokens: refresh ahead of expiry, on 401, rotation, single-flight, failure
// ---------------------------------------------------------------------------------------------

#[test]
fn refresh_ahead_of_expiry_rotates_the_refresh_token() {
    let h = Harness::start();
    h.run(async {
        assert_eq!(h.athlete().await, Ok(h.athlete_id));
        let refreshes = h.counter("refresh_count").await;
        assert_eq!(refreshes, 0, "a fresh token is used as is");

        let soon = now_s() + 120; // inside the 5-minute margin
        h.store_initial_expiring(soon).await;
        assert_eq!(h.stored_expiry(&h.owner).await, soon);
        assert_eq!(h.athlete().await, Ok(h.athlete_id));
        assert_eq!(h.counter("refresh_count").await, refreshes + 1, "refreshed before the call");
        let moved = h.stored_expiry(&h.owner).await;
        assert!(moved >= now_s() + SANDBOX_TTL_S - 10, "stored expiry moved from {soon} to {moved}");

        assert_eq!(h.athlete().await, Ok(h.athlete_id));
        assert_eq!(h.counter("refresh_count").await, refreshes + 1, "the new token needs no refresh");

        // Rotation: the refresh token used above is dead at the provider.
        let (status, body) = h.raw_refresh(&h.initial.refresh_token).await;
        assert_eq!(status, 400, "old refresh token rejected: {body}");
        assert_eq!(body["errors"][0]["resource"], "RefreshToken", "{body}");
        let direct = h.client.refresh(&h.initial.refresh_token).await;
        assert!(matches!(direct, Err(ProviderError::BadRequest(_))), "{direct:?}");
        assert_eq!(h.counter("refresh_count").await, refreshes + 1);
    });
}

#[test]
fn refresh_on_401_happens_once_and_retries() {
    let h = Harness::start();
    h.run(async {
        assert_eq!(h.athlete().await, Ok(h.athlete_id));
        let expiry = h.stored_expiry(&h.owner).await;
        let state = h.faults(json!({"expire_access_tokens": h.athlete_id})).await;
        let (refreshes, calls) = (state["refresh_count"].as_u64().expect("n"), state["api_calls"].as_u64().expect("n"));

        assert_eq!(h.athlete().await, Ok(h.athlete_id), "succeeds after a refresh");
        let state = h.state().await;
        assert_eq!(state["refresh_count"], refreshes + 1, "exactly one refresh");
        assert_eq!(state["api_calls"], calls + 2, "the 401 and the retry");
        assert!(h.stored_expiry(&h.owner).await >= expiry, "new expiry stored");

        assert_eq!(h.athlete().await, Ok(h.athlete_id));
        let state = h.state().await;
        assert_eq!(
            (state["refresh_count"].as_u64(), state["api_calls"].as_u64()),
            (Some(refreshes + 1), Some(calls + 3))
        );

        // The refresh token stored at connect time was rotated away.
        let (status, _) = h.raw_refresh(&h.initial.refresh_token).await;
        assert_eq!(status, 400);
    });
}

#[test]
fn concurrent_calls_with_an_expired_token_refresh_once() {
    let h = Harness::start();
    h.run(async {
        let run_20 = || async {
            let tasks: Vec<_> = (0..20)
                .map(|_| {
                    let (service, client, owner) = (h.service.clone(), h.client.clone(), h.owner.clone());
                    tokio::spawn(async move {
                        service
                            .with_access_token(&owner.tenant, &owner.user, |t| {
                                let client = client.clone();
                                async move { client.athlete(&t).await.map(|a| a.id) }
                            })
                            .await
                    })
                })
                .collect();
            futures_util::future::join_all(tasks).await.into_iter().map(|r| r.expect("task")).collect::<Vec<_>>()
        };

        // Expired locally and at the provider.
        h.store_initial_expiring(now_s() - 60).await;
        h.faults(json!({"expire_access_tokens": "all", "latency_ms": 20})).await;
        let before = h.counter("refresh_count").await;
        let results = run_20().await;
        assert!(results.iter().all(|r| *r == Ok(h.athlete_id)), "{results:?}");
        assert_eq!(h.counter("refresh_count").await, before + 1, "single-flight refresh");

        // Valid locally, rejected by the provider (401): still one refresh for all 20.
        h.faults(json!({"expire_access_tokens": "all"})).await;
        let before = h.counter("refresh_count").await;
        let results = run_20().await;
        assert!(results.iter().all(|r| *r == Ok(h.athlete_id)), "{results:?}");
        assert_eq!(h.counter("refresh_count").await, before + 1, "single-flight refresh after 401s");
    });
}

#[test]
fn refresh_failure_is_token_refresh_failed() {
    let h = Harness::start();
    h.run(async {
        h.faults(json!({"fail_refresh": true, "expire_access_tokens": "all"})).await;
        let tokens_before = h.counter("token_requests").await;

        // Expired locally: the refresh before the call fails.
        h.store_initial_expiring(now_s() - 60).await;
        let err = h.athlete().await.expect_err("refresh fails");
        assert!(matches!(err, ProviderError::TokenRefreshFailed { .. }), "{err:?}");
        assert_eq!(err.to_string(), "Token refresh failed");
        assert_eq!(h.counter("token_requests").await, tokens_before + 1);

        // Valid locally but rejected (401): the forced refresh fails the same way.
        h.store_initial_expiring(now_s() + 3600).await;
        let err = h.athlete().await.expect_err("refresh fails");
        assert_eq!(err.to_string(), "Token refresh failed");
        assert!(matches!(err, ProviderError::TokenRefreshFailed { ref reason } if !reason.contains(h.initial.refresh_token.expose())));
        assert_eq!(h.counter("refresh_count").await, 0);
        assert!(h.service.connection(&h.owner.tenant, &h.owner.user).await.expect("conn").is_some(), "still connected");

        // Once the provider recovers, the same refresh token still works.
        h.faults(json!({"fail_refresh": false})).await;
        assert_eq!(h.athlete().await, Ok(h.athlete_id));
        assert_eq!(h.counter("refresh_count").await, 1);
    });
}

// ---------------------------------------------------------------------------------------------
// Rate limits and server errors
// ---------------------------------------------------------------------------------------------

/// Waits out the last seconds of a 15-minute window so a test's usage stays in one window.
async fn away_from_window_edge() {
    let left = 900 - now_s().rem_euclid(900);
    if left < 10 {
        tokio::time::sleep(Duration::from_secs(u64::try_from(left).unwrap_or(0) + 1)).await;
    }
}

fn assert_rate_limited(err: &ProviderError) {
    let ProviderError::RateLimited { window, retry_at, retry_after_s, provider } = err else {
        panic!("expected RateLimited, got {err:?}");
    };
    assert_eq!(*provider, "Strava");
    assert_eq!(*window, WINDOW_15_MIN);
    let now = Utc::now();
    assert!(*retry_at > now, "retry time {retry_at} is in the future");
    assert!(*retry_at <= now + chrono::Duration::minutes(15));
    assert!(*retry_after_s <= 900);
    assert!(err.to_string().starts_with("Strava rate limit reached (15-minute window); retry after "), "{err}");
}

#[test]
fn injected_429_is_rate_limited_and_the_next_call_is_not_sent() {
    let h = Harness::start();
    h.run(async {
        away_from_window_edge().await;
        assert_eq!(h.athlete().await, Ok(h.athlete_id));
        h.faults(json!({"fail_next": {"status": 429, "count": 1}})).await;
        let err = h.athlete().await.expect_err("429");
        assert_rate_limited(&err);
        let calls = h.counter("api_calls").await;
        let again = h.athlete().await.expect_err("refused before sending");
        assert_rate_limited(&again);
        assert_eq!(h.counter("api_calls").await, calls, "nothing reached the provider");
        assert_eq!(h.counter("refresh_count").await, 0, "a 429 is not an auth problem");
    });
}

#[test]
fn spent_rate_limit_refuses_before_sending() {
    let h = Harness::start();
    h.run(async {
        away_from_window_edge().await;
        assert_eq!(h.athlete().await, Ok(h.athlete_id));
        let used = h.state().await["usage"][CLIENT_ID]["usage_15min"].as_u64().expect("usage");
        h.faults(json!({"limit_15min": used + 2})).await;
        assert_eq!(h.athlete().await, Ok(h.athlete_id));
        assert_eq!(h.athlete().await, Ok(h.athlete_id), "the last request of the window");
        let usage = h.client.rate_limit_usage().expect("usage tracked");
        assert_eq!((usage.usage_15min, usage.limit_15min), (Some(used as u32 + 2), Some(used as u32 + 2)));

        let calls = h.counter("api_calls").await;
        let err = h.athlete().await.expect_err("limit reached");
        assert_rate_limited(&err);
        assert_eq!(h.counter("api_calls").await, calls, "refused before sending");

        // A client that has not seen the headers yet gets the provider's real 429, then stops.
        let fresh = sandbox_client(&h.daemon.http_url, 2);
        let token = h.initial.access_token.clone();
        let err = fresh.athlete(&token).await.expect_err("429 from the sandbox");
        assert_rate_limited(&err);
        assert_eq!(h.counter("api_calls").await, calls + 1);
        let err = fresh.athlete(&token).await.expect_err("refused locally");
        assert_rate_limited(&err);
        assert_eq!(h.counter("api_calls").await, calls + 1, "refused before sending");
    });
}

#[test]
fn server_errors_are_retried_for_reads_only() {
    let h = Harness::start();
    h.run(async {
        assert_eq!(h.athlete().await, Ok(h.athlete_id));
        let calls = h.counter("api_calls").await;
        h.faults(json!({"fail_next": {"status": 503, "count": 1}})).await;
        assert_eq!(h.athlete().await, Ok(h.athlete_id), "retried after one 503");
        assert_eq!(h.counter("api_calls").await, calls + 2);

        // More failures than retries (2): the read gives up with Upstream after 3 attempts.
        let calls = h.counter("api_calls").await;
        h.faults(json!({"fail_next": {"status": 503, "count": 3}})).await;
        let err = h.athlete().await.expect_err("503 three times");
        assert!(matches!(err, ProviderError::Upstream { status: 503, .. }), "{err:?}");
        let state = h.state().await;
        assert_eq!(state["api_calls"], calls + 3, "one call plus two retries");
        assert!(state["faults"]["fail_next"].is_null(), "all injected failures consumed");

        // Writes are never retried.
        let calls = h.counter("api_calls").await;
        h.faults(json!({"fail_next": {"status": 502, "count": 1}})).await;
        let (file, _) = gpx(Utc::now() - chrono::Duration::hours(3), 20, 5, (45.5, 6.5));
        let err = h.upload(upload_request(file, "upload during outage", None)).await.expect_err("502");
        assert!(matches!(err, ProviderError::Upstream { status: 502, .. }), "{err:?}");
        assert_eq!(h.counter("api_calls").await, calls + 1, "not retried");
        assert_eq!(h.counter("refresh_count").await, 0);
    });
}

// ---------------------------------------------------------------------------------------------
// Tokens at rest
// ---------------------------------------------------------------------------------------------

#[test]
fn tokens_at_rest_are_sealed_and_bound_to_their_user() {
    let h = Harness::start();
    h.run(async {
        // A second generation of tokens, known in plaintext: refreshed by hand and stored.
        let rotated = h.client.refresh(&h.initial.refresh_token).await.expect("refresh");
        assert_ne!(rotated.refresh_token, h.initial.refresh_token);
        let rotated = TokenSet { athlete_id: h.initial.athlete_id, ..rotated };
        h.service.store_tokens(&h.owner.tenant, &h.owner.user, &rotated).await.expect("store");
        assert_eq!(h.athlete().await, Ok(h.athlete_id));

        let wal = std::fs::metadata(h.db_dir.path().join("pacer.db-wal")).expect("WAL file");
        assert!(wal.len() > 0, "the WAL is part of what is scanned");
        let bytes = raw_db_bytes(h.db_dir.path());
        assert!(contains(&bytes, b"ada@example.com"), "read the real database files");
        for (what, secret) in [
            ("first access token", &h.initial.access_token),
            ("first refresh token", &h.initial.refresh_token),
            ("access token", &rotated.access_token),
            ("refresh token", &rotated.refresh_token),
        ] {
            assert!(!contains(&bytes, secret.expose().as_bytes()), "{what} in plaintext on disk");
        }

        // Copy the owner's row to another user of the same tenant and to a user of another tenant.
        let mate = add_user(&h.store, "acme", "bob@example.com");
        let stranger = add_user(&h.store, "umbrella", "eve@example.com");
        {
            let conn = h.store.conn().expect("conn");
            conn.execute_batch("CREATE TEMP TABLE stolen AS SELECT * FROM provider_tokens WHERE 0").expect("temp");
            for target in [&mate, &stranger] {
                conn.execute(
                    "INSERT INTO stolen SELECT * FROM provider_tokens WHERE tenant_id = ?1 AND user_id = ?2",
                    [h.owner.tenant.as_str(), h.owner.user.as_str()],
                )
                .expect("copy");
                conn.execute(
                    "UPDATE stolen SET tenant_id = ?1, user_id = ?2",
                    [target.tenant.as_str(), target.user.as_str()],
                )
                .expect("retarget");
                conn.execute_batch("INSERT INTO provider_tokens SELECT * FROM stolen; DELETE FROM stolen;")
                    .expect("insert copy");
            }
            let rows: i64 = conn.query_row("SELECT COUNT(*) FROM provider_tokens", [], |r| r.get(0)).expect("count");
            assert_eq!(rows, 3);
        }
        let calls = h.counter("api_calls").await;
        for (who, account) in [("same tenant", &mate), ("other tenant", &stranger)] {
            let err = h.athlete_as(account).await.expect_err("copied row must not open");
            assert_eq!(err, ProviderError::NotConnected, "{who}");
        }
        assert_eq!(h.counter("api_calls").await, calls, "the copied token was never sent");
        assert_eq!(h.athlete().await, Ok(h.athlete_id), "the owner still works");
        assert_eq!(h.counter("refresh_count").await, 1, "only the manual refresh");
    });
}

// ---------------------------------------------------------------------------------------------
// `pacerd demo`
// ---------------------------------------------------------------------------------------------

/// The demo user's connection, used in-process over the daemon's own database and master key.
fn demo_connection_works(d: &TestDaemon, facts: &Value) -> ProviderResult<u64> {
    let rt = runtime();
    rt.block_on(async {
        let me = http()
            .get(format!("{}/api/me", d.http_url))
            .header("x-api-key", facts["api_key"].as_str().expect("key"))
            .send()
            .await
            .expect("/api/me");
        assert_eq!(me.status(), 200, "the demo key works");
        let me: Value = me.json().await.expect("me json");
        let (tenant, user) = (
            TenantId::new(me["tenant_id"].as_str().expect("tenant")),
            UserId::new(me["user_id"].as_str().expect("user")),
        );
        let store = Store::open(&d.home().join("pacer.db")).expect("daemon store");
        let vault = Arc::new(TokenVault::load_or_create(d.home(), None).expect("master key"));
        let client = sandbox_client(&d.http_url, 0);
        let provider: Arc<dyn FitnessProvider> = client.clone();
        let service = TokenService::new(store, vault, provider);
        service
            .with_access_token(&tenant, &user, |t| {
                let client = client.clone();
                async move { client.athlete(&t).await.map(|a| a.id) }
            })
            .await
    })
}

fn demo_rows(d: &TestDaemon) -> (i64, i64) {
    let conn = rusqlite::Connection::open(d.home().join("pacer.db")).expect("db");
    let users: i64 =
        conn.query_row("SELECT COUNT(*) FROM users WHERE email = 'demo@pacer.local'", [], |r| r.get(0)).expect("users");
    let tokens: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM provider_tokens t JOIN users u ON u.id = t.user_id AND u.tenant_id = t.tenant_id \
             WHERE u.email = 'demo@pacer.local' AND t.provider = 'strava'",
            [],
            |r| r.get(0),
        )
        .expect("tokens");
    (users, tokens)
}

fn assert_demo_state(d: &mut TestDaemon) -> Value {
    let facts = d.demo_facts_fresh();
    assert_eq!(facts["email"], "demo@pacer.local");
    assert_eq!(facts["http_url"], d.http_url.as_str());
    assert_eq!(facts["socket"], d.socket.display().to_string().as_str());
    assert!(facts["api_key"].as_str().is_some_and(|k| k.starts_with("pk_live_")), "{facts}");
    assert!(facts["password"].as_str().is_some_and(|p| p.len() >= 12));
    let mode = std::fs::metadata(d.home().join("demo.json")).expect("demo.json").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "demo.json mode {mode:o}");

    let status = d.cli_json(&["status"]);
    assert_eq!((status["users"].as_u64(), status["api_keys"].as_u64()), (Some(1), Some(1)), "{status}");
    assert_eq!(status["active_api_keys"], 1);
    let listed = d.cli_json(&["users", "list"]);
    let emails: Vec<&str> =
        listed["users"].as_array().expect("users").iter().filter_map(|u| u["email"].as_str()).collect();
    assert_eq!(emails, ["demo@pacer.local"]);
    assert_eq!(demo_rows(d), (1, 1), "one demo user with one Strava connection");
    let athlete = demo_connection_works(d, &facts).expect("the demo connection answers");
    assert!(athlete > 0);
    facts
}

#[test]
fn demo_twice_on_one_home_reuses_everything() {
    let mut first = TestDaemon::start_with(Options { demo: true, ..Options::default() });
    let facts = assert_demo_state(&mut first);
    assert!(first.stop(), "clean exit");
    let home = std::mem::replace(&mut first.home, crate::fixture::new_home());
    drop(first);

    let mut second = TestDaemon::start_in(home, Options { demo: true, ..Options::default() });
    let again = assert_demo_state(&mut second);
    assert_eq!(again["api_key"], facts["api_key"], "same key");
    assert_eq!(again["email"], facts["email"]);
    assert_eq!(again["password"], facts["password"], "same password");
}
