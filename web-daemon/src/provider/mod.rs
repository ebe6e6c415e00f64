//! Fitness providers: the [`FitnessProvider`] trait, pacer's provider-neutral types, the Strava
//! client, [`registry::ProviderRegistry`] (the client serving each tenant: its own OAuth app or
//! the global one), and [`tokens::TokenService`], the only writer of provider tokens.
//!
//! Providers are used as `Arc<dyn FitnessProvider>`, so methods return boxed futures. Every API
//! method takes the access token explicitly; providers hold no per-user state.

mod error;
pub mod limits;
mod refresh;
pub mod registry;
mod strava;
pub mod tokens;
mod types;

use futures_util::future::BoxFuture;
use pacer_shared::Secret;

pub use error::{ProviderError, WINDOW_15_MIN, WINDOW_DAILY};
pub use registry::ProviderRegistry;
pub use strava::{
    DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, STRAVA_API_BASE, STRAVA_OAUTH_BASE, StravaClient, StravaClientConfig,
};
pub use tokens::{ConnectionInfo, TokenService};
pub use types::{
    Activity, ActivityDetail, ActivityQuery, Athlete, AthleteStats, RateLimitUsage, STREAM_KEYS, Streams,
    TokenExchange, TokenSet, Totals, UploadRequest, UploadStatus,
};

/// Result of a provider call.
pub type ProviderResult<T> = Result<T, ProviderError>;

/// A fitness data provider (Strava, or the sandbox that speaks Strava's API).
pub trait FitnessProvider: Send + Sync {
    /// Short lowercase name used in storage and AAD, e.g. `strava`.
    fn name(&self) -> &'static str;

    /// URL the person opens to grant access. `state` binds the callback to the user;
    /// `scope` is the provider's comma-separated scope list.
    fn authorize_url(&self, state: &str, redirect_uri: &str, scope: &str) -> String;

    /// The provider's rate-limit usage as last reported, adjusted for windows that have reset.
    fn rate_limit_usage(&self) -> Option<RateLimitUsage>;

    /// The athlete who owns `access_token`.
    fn athlete<'a>(&'a self, access_token: &'a Secret) -> BoxFuture<'a, ProviderResult<Athlete>>;

    /// One page of the athlete's activities, newest first.
    fn activities<'a>(
        &'a self,
        access_token: &'a Secret,
        query: &'a ActivityQuery,
    ) -> BoxFuture<'a, ProviderResult<Vec<Activity>>>;

    /// One activity in detail.
    fn activity<'a>(
        &'a self,
        access_token: &'a Secret,
        activity_id: u64,
    ) -> BoxFuture<'a, ProviderResult<ActivityDetail>>;

    /// The activity's recorded streams named in `keys` (e.g. `heartrate`, `watts`), at full
    /// resolution; `time` is always included by Strava.
    fn streams<'a>(
        &'a self,
        access_token: &'a Secret,
        activity_id: u64,
        keys: &'a [String],
    ) -> BoxFuture<'a, ProviderResult<Streams>>;

    /// Totals of the athlete `athlete_id` (must be the token's athlete).
    fn stats<'a>(&'a self, access_token: &'a Secret, athlete_id: u64) -> BoxFuture<'a, ProviderResult<AthleteStats>>;

    /// Uploads an activity file; processing continues at the provider (poll
    /// [`upload_status`](Self::upload_status)).
    fn upload<'a>(
        &'a self,
        access_token: &'a Secret,
        request: UploadRequest,
    ) -> BoxFuture<'a, ProviderResult<UploadStatus>>;

    /// The current state of an upload.
    fn upload_status<'a>(
        &'a self,
        access_token: &'a Secret,
        upload_id: u64,
    ) -> BoxFuture<'a, ProviderResult<UploadStatus>>;

    /// Exchanges an authorization code from the OAuth callback for tokens.
    fn exchange_code<'a>(&'a self, code: &'a str) -> BoxFuture<'a, ProviderResult<TokenExchange>>;

    /// Obtains a new access token (and, with Strava, a rotated refresh token).
    fn refresh<'a>(&'a self, refresh_token: &'a Secret) -> BoxFuture<'a, ProviderResult<TokenSet>>;

    /// Revokes the application's access for the token's athlete.
    fn deauthorize<'a>(&'a self, access_token: &'a Secret) -> BoxFuture<'a, ProviderResult<()>>;
}
