//! Fitness providers: two traits, pacer's provider-neutral types, the Strava client,
//! [`registry::ProviderRegistry`] (the client serving each tenant and provider: its own OAuth app
//! or the global one), and [`tokens::TokenService`], the only writer of provider tokens.
//!
//! - [`ActivityData`], the data trait: athlete, activities, activity, streams, stats, upload.
//! - [`OAuthConnect`], the connect trait: authorize URL, code exchange, refresh, deauthorize.
//!
//! An API provider ([`FitnessProvider`]) implements the connect trait and opens a data session per
//! access token; the local activity store implements only the data trait. Providers are used as
//! `Arc<dyn …>`, so methods return boxed futures; clients hold no per-user state.

mod error;
#[cfg(test)]
pub mod fake;
pub mod limits;
mod refresh;
pub mod registry;
mod strava;
pub mod tokens;
mod types;

use futures_util::future::BoxFuture;
use pacer_shared::{ProviderId, Secret};

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

/// The data trait: one person's activities at one source. API providers open one per access
/// token ([`FitnessProvider::session`]); a source without OAuth (the local activity store)
/// implements only this trait.
pub trait ActivityData: Send + Sync {
    /// The athlete whose data this is.
    fn athlete(&self) -> BoxFuture<'_, ProviderResult<Athlete>>;

    /// One page of the athlete's activities, newest first.
    fn activities<'a>(&'a self, query: &'a ActivityQuery) -> BoxFuture<'a, ProviderResult<Vec<Activity>>>;

    /// One activity in detail.
    fn activity(&self, activity_id: u64) -> BoxFuture<'_, ProviderResult<ActivityDetail>>;

    /// The activity's recorded streams named in `keys` (e.g. `heartrate`, `watts`), at full
    /// resolution; `time` is always included.
    fn streams<'a>(&'a self, activity_id: u64, keys: &'a [String]) -> BoxFuture<'a, ProviderResult<Streams>>;

    /// Totals of the athlete `athlete_id` (must be this source's athlete).
    fn stats(&self, athlete_id: u64) -> BoxFuture<'_, ProviderResult<AthleteStats>>;

    /// Uploads an activity file; processing may continue (poll [`upload_status`](Self::upload_status)).
    fn upload(&self, request: UploadRequest) -> BoxFuture<'_, ProviderResult<UploadStatus>>;

    /// The current state of an upload.
    fn upload_status(&self, upload_id: u64) -> BoxFuture<'_, ProviderResult<UploadStatus>>;
}

/// The connect trait: an OAuth 2.0 authorization-code connection to a provider.
pub trait OAuthConnect: Send + Sync {
    /// Which provider this is (its name is used in storage, AAD and routes).
    fn id(&self) -> ProviderId;

    /// URL the person opens to grant access. `state` binds the callback to the user;
    /// `scope` is the provider's scope string.
    fn authorize_url(&self, state: &str, redirect_uri: &str, scope: &str) -> String;

    /// Exchanges an authorization code from the OAuth callback for tokens.
    fn exchange_code<'a>(&'a self, code: &'a str) -> BoxFuture<'a, ProviderResult<TokenExchange>>;

    /// Obtains a new access token (and, with Strava, a rotated refresh token).
    fn refresh<'a>(&'a self, refresh_token: &'a Secret) -> BoxFuture<'a, ProviderResult<TokenSet>>;

    /// Revokes the application's access for the token's athlete.
    fn deauthorize<'a>(&'a self, access_token: &'a Secret) -> BoxFuture<'a, ProviderResult<()>>;
}

/// A provider reached through an API with OAuth (Strava, or the sandbox that speaks its API):
/// it connects ([`OAuthConnect`]) and, given an access token, serves data ([`ActivityData`]).
pub trait FitnessProvider: OAuthConnect {
    /// The provider's rate-limit usage as last reported, adjusted for windows that have reset.
    fn rate_limit_usage(&self) -> Option<RateLimitUsage>;

    /// The data of the athlete who owns `access_token`.
    fn session(self: std::sync::Arc<Self>, access_token: Secret) -> std::sync::Arc<dyn ActivityData>;
}
