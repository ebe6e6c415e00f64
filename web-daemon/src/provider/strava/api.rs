//! The [`FitnessProvider`] implementation: one Strava endpoint per method.

use chrono::Utc;
use futures_util::future::BoxFuture;
use pacer_shared::Secret;

use super::StravaClient;
use super::http::{CallKind, transport};
use super::streams::streams_from_json;
use super::wire::{WireActivity, WireAthlete, WireStats, WireUpload};
use crate::provider::{
    Activity, ActivityDetail, ActivityQuery, Athlete, AthleteStats, FitnessProvider, ProviderError, ProviderResult,
    RateLimitUsage, Streams, TokenExchange, TokenSet, UploadRequest, UploadStatus,
};

impl FitnessProvider for StravaClient {
    fn name(&self) -> &'static str {
        "strava"
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

    fn rate_limit_usage(&self) -> Option<RateLimitUsage> {
        self.http.usage()
    }

    fn athlete<'a>(&'a self, token: &'a Secret) -> BoxFuture<'a, ProviderResult<Athlete>> {
        Box::pin(async move {
            let url = self.url(&self.api_base, "/athlete")?;
            Ok(self.get::<WireAthlete>(token, url, "athlete").await?.into())
        })
    }

    fn activities<'a>(
        &'a self,
        token: &'a Secret,
        query: &'a ActivityQuery,
    ) -> BoxFuture<'a, ProviderResult<Vec<Activity>>> {
        Box::pin(async move {
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
        })
    }

    fn activity<'a>(&'a self, token: &'a Secret, activity_id: u64) -> BoxFuture<'a, ProviderResult<ActivityDetail>> {
        Box::pin(async move {
            let url = self.url(&self.api_base, &format!("/activities/{activity_id}"))?;
            Ok(self.get::<WireActivity>(token, url, "activity").await?.into_detail())
        })
    }

    fn streams<'a>(
        &'a self,
        token: &'a Secret,
        activity_id: u64,
        keys: &'a [String],
    ) -> BoxFuture<'a, ProviderResult<Streams>> {
        Box::pin(async move {
            let mut url = self.url(&self.api_base, &format!("/activities/{activity_id}/streams"))?;
            url.query_pairs_mut().append_pair("keys", &keys.join(",")).append_pair("key_by_type", "true");
            let body: serde_json::Value = self.get(token, url, "streams").await?;
            streams_from_json(activity_id, body).map_err(ProviderError::Decode)
        })
    }

    fn stats<'a>(&'a self, token: &'a Secret, athlete_id: u64) -> BoxFuture<'a, ProviderResult<AthleteStats>> {
        Box::pin(async move {
            let url = self.url(&self.api_base, &format!("/athletes/{athlete_id}/stats"))?;
            Ok(self.get::<WireStats>(token, url, "stats").await?.into())
        })
    }

    fn upload<'a>(&'a self, token: &'a Secret, request: UploadRequest) -> BoxFuture<'a, ProviderResult<UploadStatus>> {
        Box::pin(self.upload_file(token, request))
    }

    fn upload_status<'a>(&'a self, token: &'a Secret, upload_id: u64) -> BoxFuture<'a, ProviderResult<UploadStatus>> {
        Box::pin(async move {
            let url = self.url(&self.api_base, &format!("/uploads/{upload_id}"))?;
            let wire: WireUpload = self.get(token, url, "upload status").await?;
            wire.into_status().map_err(ProviderError::Decode)
        })
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
