//! Strava's endpoints as [`StravaClient`] methods (every API method takes the access token), and
//! the provider traits on top of them: [`FitnessProvider`] on the client, [`ActivityData`] on
//! [`StravaSession`] (the client plus one access token). The connect side
//! ([`OAuthConnect`](crate::provider::OAuthConnect)) is in `oauth.rs`.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use pacer_shared::Secret;

use super::StravaClient;
use super::streams::streams_from_json;
use super::wire::{WireActivity, WireAthlete, WireStats, WireUpload};
use crate::provider::{
    Activity, ActivityData, ActivityDetail, ActivityQuery, Athlete, AthleteStats, FitnessProvider, ProviderError,
    ProviderResult, RateLimitUsage, Streams, UploadRequest, UploadStatus,
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
