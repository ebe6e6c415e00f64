//! Strava's endpoints as [`StravaClient`] methods (every API method takes the access token), and
//! the provider traits on top of them: [`OAuthConnect`] and [`FitnessProvider`] on the client,
//! [`ActivityData`] on [`StravaSession`] (the client plus one access token).

use std::sync::Arc;

use chrono::Utc;
use futures_util::future::BoxFuture;
use pacer_shared::{ProviderId, Secret};

use super::StravaClient;
use super::http::{CallKind, transport};
use super::streams::streams_from_json;
use super::wire::{WireActivity, WireAthlete, WireStats, WireUpload};
use crate::provider::{
    Activity, ActivityData, ActivityDetail, ActivityQuery, Athlete, AthleteStats, FitnessProvider, OAuthConnect,
    ProviderError, ProviderResult, RateLimitUsage, Streams, TokenExchange, TokenSet, UploadRequest, UploadStatus,
};

impl StravaClient {
    /// The athlete who owns `token`.
    pub async fn athlete(&self, token: &Secret) -> ProviderResult<Athlete> {
        let url = self.url(&self.api_base, "/athlete")?;
        Ok(self.get::<WireAthlete>(token, url, "athlete").await?.into())
    }

    /// One page of activities, newest first.
    pub async fn activities(&self, token: &Secret, query: &ActivityQuery) -> ProviderResult<Vec<Activity>> {
        let mut url = self.url(&self.api_base, "/athlete/activities")?;
        {
            let mut pairs = url.query_pairs_mut();
            if let Some(before) = query.before {
                pairs.append_pair("before", &before.to_string());
            }
            if let Some(after) = query.after {
                pairs.append_pair("after", &after.to_string());
            }
            pairs.append_pair("page", &query.page.max(1).to_string());
            pairs.append_pair("per_page", &query.per_page.clamp(1, 200).to_string());
        }
        let list: Vec<WireActivity> = self.get(token, url, "activities").await?;
        Ok(list.into_iter().map(WireActivity::into_activity).collect())
    }

    /// One activity in detail.
    pub async fn activity(&self, token: &Secret, activity_id: u64) -> ProviderResult<ActivityDetail> {
        let url = self.url(&self.api_base, &format!("/activities/{activity_id}"))?;
        Ok(self.get::<WireActivity>(token, url, "activity").await?.into_detail())
    }

    /// The activity's streams named in `keys`.
    pub async fn streams(&self, token: &Secret, activity_id: u64, keys: &[String]) -> ProviderResult<Streams> {
        let mut url = self.url(&self.api_base, &format!("/activities/{activity_id}/streams"))?;
        url.query_pairs_mut().append_pair("keys", &keys.join(",")).append_pair("key_by_type", "true");
        let body: serde_json::Value = self.get(token, url, "streams").await?;
        streams_from_json(activity_id, body).map_err(ProviderError::Decode)
    }

    /// Totals of `athlete_id`.
    pub async fn stats(&self, token: &Secret, athlete_id: u64) -> ProviderResult<AthleteStats> {
        let url = self.url(&self.api_base, &format!("/athletes/{athlete_id}/stats"))?;
        Ok(self.get::<WireStats>(token, url, "stats").await?.into())
    }

    /// Uploads an activity file.
    pub async fn upload(&self, token: &Secret, request: UploadRequest) -> ProviderResult<UploadStatus> {
        self.upload_file(token, request).await
    }

    /// The current state of an upload.
    pub async fn upload_status(&self, token: &Secret, upload_id: u64) -> ProviderResult<UploadStatus> {
        let url = self.url(&self.api_base, &format!("/uploads/{upload_id}"))?;
        let wire: WireUpload = self.get(token, url, "upload status").await?;
        wire.into_status().map_err(ProviderError::Decode)
    }
}

impl OAuthConnect for StravaClient {
    fn id(&self) -> ProviderId {
        ProviderId::Strava
    }

    fn authorize_url(&self, state: &str, redirect_uri: &str, scope: &str) -> String {
        let mut url = match self.url(&self.oauth_base, "/oauth/authorize") {
            Ok(url) => url,
            Err(_) => return format!("{}/oauth/authorize", self.oauth_base),
        };
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("approval_prompt", "auto")
            .append_pair("scope", scope)
            .append_pair("state", state);
        url.into()
    }

    fn exchange_code<'a>(&'a self, code: &'a str) -> BoxFuture<'a, ProviderResult<TokenExchange>> {
        Box::pin(async move {
            let wire = self.token_grant(&[("code", code), ("grant_type", "authorization_code")]).await?;
            let tokens = wire.token_set(Utc::now().timestamp()).map_err(ProviderError::Decode)?;
            Ok(TokenExchange { tokens, athlete: wire.athlete.map(Athlete::from) })
        })
    }

    fn refresh<'a>(&'a self, refresh_token: &'a Secret) -> BoxFuture<'a, ProviderResult<TokenSet>> {
        Box::pin(async move {
            let grant = [("refresh_token", refresh_token.expose()), ("grant_type", "refresh_token")];
            let wire = self.token_grant(&grant).await?;
            wire.token_set(Utc::now().timestamp()).map_err(ProviderError::Decode)
        })
    }

    fn deauthorize<'a>(&'a self, token: &'a Secret) -> BoxFuture<'a, ProviderResult<()>> {
        Box::pin(async move {
            let request = self
                .http
                .client()
                .post(self.url(&self.oauth_base, "/oauth/deauthorize")?)
                .bearer_auth(token.expose())
                .form(&[("access_token", token.expose())])
                .build()
                .map_err(transport)?;
            self.http.send(request, CallKind::OAuth).await.map(drop)
        })
    }
}

impl FitnessProvider for StravaClient {
    fn rate_limit_usage(&self) -> Option<RateLimitUsage> {
        self.http.usage()
    }

    fn session(self: Arc<Self>, access_token: Secret) -> Arc<dyn ActivityData> {
        Arc::new(StravaSession { client: self, token: access_token })
    }
}

/// One athlete's Strava data: the client and an access token.
pub struct StravaSession {
    client: Arc<StravaClient>,
    token: Secret,
}

impl ActivityData for StravaSession {
    fn athlete(&self) -> BoxFuture<'_, ProviderResult<Athlete>> {
        Box::pin(self.client.athlete(&self.token))
    }

    fn activities<'a>(&'a self, query: &'a ActivityQuery) -> BoxFuture<'a, ProviderResult<Vec<Activity>>> {
        Box::pin(self.client.activities(&self.token, query))
    }

    fn activity(&self, activity_id: u64) -> BoxFuture<'_, ProviderResult<ActivityDetail>> {
        Box::pin(self.client.activity(&self.token, activity_id))
    }

    fn streams<'a>(&'a self, activity_id: u64, keys: &'a [String]) -> BoxFuture<'a, ProviderResult<Streams>> {
        Box::pin(self.client.streams(&self.token, activity_id, keys))
    }

    fn stats(&self, athlete_id: u64) -> BoxFuture<'_, ProviderResult<AthleteStats>> {
        Box::pin(self.client.stats(&self.token, athlete_id))
    }

    fn upload(&self, request: UploadRequest) -> BoxFuture<'_, ProviderResult<UploadStatus>> {
        Box::pin(self.client.upload(&self.token, request))
    }

    fn upload_status(&self, upload_id: u64) -> BoxFuture<'_, ProviderResult<UploadStatus>> {
        Box::pin(self.client.upload_status(&self.token, upload_id))
    }
}
