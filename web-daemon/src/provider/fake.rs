//! The crate's one fake fitness provider for unit tests: a [`FitnessProvider`] answering from
//! memory, configured with builder options for what each test needs.
//!
//! - Refreshes are counted ([`FakeProvider::refreshes`]) and hand out `access-N` / `refresh-N`
//!   valid for 6 hours; [`FakeProvider::fail_refresh`] makes them fail like a revoked grant, and
//!   [`FakeProvider::refresh_delay`] holds each one so concurrent callers overlap.
//! - Deauthorizations are counted ([`FakeProvider::deauthorized`]).
//! - Every session serves the same athlete ([`FakeProvider::athlete`]), three activities, one
//!   detail (id 2), streams, and uploads that finish after two polls or fail when the same
//!   `external_id` was uploaded before.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::future::BoxFuture;
use pacer_shared::{ProviderId, Secret};
use serde_json::Value;

use super::{
    Activity, ActivityData, ActivityDetail, ActivityQuery, Athlete, AthleteStats, FitnessProvider, OAuthConnect,
    ProviderError, ProviderResult, RateLimitUsage, Streams, TokenExchange, TokenSet, UploadRequest, UploadStatus,
};

/// See the module docs. `FakeProvider::default()` is athlete 77 with read and write scopes and
/// instant refreshes.
pub struct FakeProvider {
    athlete_id: u64,
    scopes: &'static str,
    refresh_delay: Duration,
    /// Refreshes answered so far (successful ones).
    pub refreshes: AtomicUsize,
    /// Deauthorizations asked for so far.
    pub deauthorized: AtomicUsize,
    /// When set, every refresh fails with `invalid_grant`.
    pub fail_refresh: AtomicBool,
    polls: AtomicUsize,
    uploaded: Mutex<Vec<String>>,
    /// Size and data type of the last upload.
    pub last_upload: Mutex<Option<(usize, String)>>,
}

impl Default for FakeProvider {
    fn default() -> Self {
        Self {
            athlete_id: 77,
            scopes: "read,activity:read_all,activity:write",
            refresh_delay: Duration::ZERO,
            refreshes: AtomicUsize::new(0),
            deauthorized: AtomicUsize::new(0),
            fail_refresh: AtomicBool::new(false),
            polls: AtomicUsize::new(0),
            uploaded: Mutex::new(Vec::new()),
            last_upload: Mutex::new(None),
        }
    }
}

impl FakeProvider {
    /// The athlete id of every session and token set.
    pub fn athlete(mut self, id: u64) -> Self {
        self.athlete_id = id;
        self
    }

    /// The scopes of every token set.
    pub fn scopes(mut self, scopes: &'static str) -> Self {
        self.scopes = scopes;
        self
    }

    /// How long each refresh takes.
    pub fn refresh_delay(mut self, delay: Duration) -> Self {
        self.refresh_delay = delay;
        self
    }

    /// A token set of this provider's athlete and scopes.
    pub fn tokens(&self, access: &str, refresh: &str, expires_at: i64) -> TokenSet {
        TokenSet {
            access_token: Secret::new(access.into()),
            refresh_token: Secret::new(refresh.into()),
            expires_at,
            athlete_id: Some(self.athlete_id),
            scopes: Some(self.scopes.into()),
        }
    }
}

fn ok<'a, T: Send + 'a>(v: T) -> BoxFuture<'a, ProviderResult<T>> {
    Box::pin(async move { Ok(v) })
}

/// An activity as the fake serves it.
pub fn activity(id: u64, name: &str, sport: &str) -> Activity {
    Activity {
        id,
        name: name.into(),
        sport_type: sport.into(),
        start_date: "2026-11-25T07:30:00Z".into(),
        start_date_local: "2026-11-25T08:30:00+01:00".into(),
        timezone: None,
        distance_m: 10_020.0,
        moving_time_s: 3130,
        elapsed_time_s: 3200,
        total_elevation_gain_m: 42.0,
        average_speed_mps: 3.2,
        max_speed_mps: 4.0,
        average_heartrate_bpm: Some(150.0),
        max_heartrate_bpm: None,
        average_cadence_rpm: None,
        average_watts: None,
        kilojoules: None,
        trainer: false,
        commute: false,
        manual: false,
        external_id: None,
    }
}

impl OAuthConnect for FakeProvider {
    fn id(&self) -> ProviderId {
        ProviderId::Strava
    }
    fn authorize_url(&self, state: &str, _: &str, _: &str) -> String {
        format!("https://fake.example/oauth/authorize?state={state}")
    }
    fn exchange_code<'a>(&'a self, _: &'a str) -> BoxFuture<'a, ProviderResult<TokenExchange>> {
        Box::pin(async { Err(ProviderError::BadRequest("not in tests".into())) })
    }
    fn refresh<'a>(&'a self, _: &'a Secret) -> BoxFuture<'a, ProviderResult<TokenSet>> {
        Box::pin(async move {
            tokio::time::sleep(self.refresh_delay).await;
            if self.fail_refresh.load(Ordering::SeqCst) {
                return Err(ProviderError::BadRequest("invalid_grant".into()));
            }
            let n = self.refreshes.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(self.tokens(&format!("access-{n}"), &format!("refresh-{n}"), chrono::Utc::now().timestamp() + 21_600))
        })
    }
    fn deauthorize<'a>(&'a self, _: &'a Secret) -> BoxFuture<'a, ProviderResult<()>> {
        self.deauthorized.fetch_add(1, Ordering::SeqCst);
        ok(())
    }
}

impl FitnessProvider for FakeProvider {
    fn rate_limit_usage(&self) -> Option<RateLimitUsage> {
        None
    }
    fn session(self: Arc<Self>, _: Secret) -> Arc<dyn ActivityData> {
        Arc::new(FakeSession(self))
    }
}

/// [`FakeProvider`]'s data for one (any) access token.
pub struct FakeSession(Arc<FakeProvider>);

impl ActivityData for FakeSession {
    fn athlete(&self) -> BoxFuture<'_, ProviderResult<Athlete>> {
        ok(Athlete {
            id: self.0.athlete_id,
            username: None,
            firstname: Some("Ada".into()),
            lastname: Some("Runner".into()),
            city: None,
            state: None,
            country: Some("France".into()),
            sex: None,
            weight_kg: None,
            premium: None,
            created_at: None,
            profile_url: None,
        })
    }
    fn activities<'a>(&'a self, q: &'a ActivityQuery) -> BoxFuture<'a, ProviderResult<Vec<Activity>>> {
        let all = [activity(3, "Evening Ride", "Ride"), activity(2, "Morning Run", "Run"), activity(1, "Swim", "Swim")];
        ok(all.into_iter().take(usize::try_from(q.per_page).unwrap_or(0)).collect())
    }
    fn activity<'a>(&'a self, id: u64) -> BoxFuture<'a, ProviderResult<ActivityDetail>> {
        Box::pin(async move {
            if id != 2 {
                return Err(ProviderError::NotFound(format!("activity {id}")));
            }
            let activity = activity(2, "Morning Run", "Run");
            Ok(ActivityDetail { activity, description: None, calories_kcal: None, device_name: None, gear_id: None })
        })
    }
    fn streams<'a>(&'a self, id: u64, keys: &'a [String]) -> BoxFuture<'a, ProviderResult<Streams>> {
        let series: BTreeMap<String, Vec<Value>> = keys
            .iter()
            .filter(|k| ["time", "heartrate"].contains(&k.as_str()))
            .map(|k| (k.clone(), (0..1000).map(Value::from).collect()))
            .collect();
        ok(Streams { activity_id: id, original_points: 1000, returned_points: 1000, series })
    }
    fn stats<'a>(&'a self, _: u64) -> BoxFuture<'a, ProviderResult<AthleteStats>> {
        ok(AthleteStats::default())
    }
    fn upload<'a>(&'a self, request: UploadRequest) -> BoxFuture<'a, ProviderResult<UploadStatus>> {
        self.0.polls.store(0, Ordering::SeqCst);
        let external = request.external_id.clone().unwrap_or_default();
        *self.0.last_upload.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((request.bytes.len(), request.data_type.clone()));
        let mut uploaded = self.0.uploaded.lock().unwrap_or_else(PoisonError::into_inner);
        let duplicate = uploaded.contains(&external);
        uploaded.push(external.clone());
        ok(UploadStatus {
            upload_id: if duplicate { 900 } else { 901 },
            status: "Your activity is still being processed.".into(),
            activity_id: None,
            error: duplicate.then(|| format!("{external} duplicate of activity 555")),
            external_id: Some(external),
        })
    }
    fn upload_status<'a>(&'a self, id: u64) -> BoxFuture<'a, ProviderResult<UploadStatus>> {
        let polls = self.0.polls.fetch_add(1, Ordering::SeqCst) + 1;
        let done = polls >= 2;
        ok(UploadStatus {
            upload_id: id,
            status: if done { "Your activity is ready." } else { "Your activity is still being processed." }.into(),
            activity_id: done.then_some(4242),
            error: None,
            external_id: None,
        })
    }
}
