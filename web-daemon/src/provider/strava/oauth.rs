//! [`OAuthConnect`] for [`StravaClient`] on the `oauth2` crate.
//!
//! The `oauth2` [`Client`] builds the authorize URL and the two token-endpoint requests
//! (`authorization_code`, `refresh_token`) and reads the token response, including Strava's extra
//! fields ([`StravaExtraFields`](super::wire::StravaExtraFields): `expires_at`, `athlete`).
//! Strava departs from RFC 6749 in ways handled here:
//! - the client secret goes in the form body ([`AuthType::RequestBody`]), not HTTP Basic;
//! - scopes are comma-separated, so the caller's scope string is passed as one [`Scope`] (no
//!   space joining), and `approval_prompt=auto` is an extra parameter;
//! - no PKCE; the CSRF `state` is pacer's own (bound to tenant and user, stored hashed in
//!   `oauth/`), handed through with [`CsrfToken::new`];
//! - refresh tokens rotate on every refresh (read from each response);
//! - deauthorization (`/oauth/deauthorize`) is not RFC 7009 revocation: a plain POST.
//!
//! `oauth2`'s own HTTP client targets reqwest 0.12, so its `reqwest` feature is off: every
//! request goes through an async closure over [`StravaHttp`] (our reqwest 0.13 client, its
//! timeouts, rate-limit header bookkeeping, body cap and status → [`ProviderError`] mapping).
//! Non-2xx answers therefore come back as the closure's error, unchanged.
//!
//! [`StravaHttp`]: super::http::StravaHttp

use std::borrow::Cow;
use std::sync::Arc;

use chrono::Utc;
use futures_util::future::BoxFuture;
use oauth2::basic::{BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    HttpRequest, HttpResponse, RedirectUrl, RefreshToken, RequestTokenError, Scope, StandardRevocableToken, TokenUrl,
};
use pacer_shared::{ProviderId, Secret};

use super::StravaClient;
use super::http::{CallKind, transport};
use super::wire::{StravaTokenResponse, token_set};
use crate::provider::{Athlete, OAuthConnect, ProviderError, ProviderResult, TokenExchange, TokenSet};

/// The `oauth2` client for Strava: authorization and token endpoints set, Strava's token
/// response, nothing else (no device flow, introspection or RFC 7009 revocation).
pub(super) type StravaOAuth = Client<
    BasicErrorResponse,
    StravaTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Builds the `oauth2` client for the application `client_id` at `oauth_base` (validated, no
/// trailing slash): `{oauth_base}/oauth/authorize` and `{oauth_base}/oauth/token`, credentials in
/// the form body.
pub(super) fn oauth_client(client_id: &str, client_secret: &Secret, oauth_base: &str) -> ProviderResult<StravaOAuth> {
    let invalid = |e: url::ParseError| ProviderError::BadRequest(format!("invalid oauth_base '{oauth_base}': {e}"));
    let auth_url = AuthUrl::new(format!("{oauth_base}/oauth/authorize")).map_err(invalid)?;
    let token_url = TokenUrl::new(format!("{oauth_base}/oauth/token")).map_err(invalid)?;
    Ok(Client::new(ClientId::new(client_id.to_owned()))
        .set_client_secret(ClientSecret::new(client_secret.expose().to_owned()))
        .set_auth_type(AuthType::RequestBody)
        .set_auth_uri(auth_url)
        .set_token_uri(token_url))
}

/// What the `oauth2` HTTP closure returns: a boxed, `Send`, borrow-free request future.
type OAuthHttpFuture = BoxFuture<'static, Result<HttpResponse, ProviderError>>;

/// Maps a failed `oauth2` token request to pacer's error. HTTP failures are already
/// [`ProviderError`]s (from [`StravaClient::oauth_http`]) and pass through unchanged; the rest
/// get generic messages, because a serde error or a response body could quote a token.
fn token_error(err: RequestTokenError<ProviderError, BasicErrorResponse>) -> ProviderError {
    match err {
        RequestTokenError::Request(e) => e,
        RequestTokenError::Parse(..) => ProviderError::Decode("token response: missing or malformed fields".into()),
        // Only reachable for a 2xx other than 200: every other status is the closure's error.
        RequestTokenError::ServerResponse(_) => ProviderError::Decode("token response: unexpected status".into()),
        // Content type, empty body or request building: no secrets in these messages.
        RequestTokenError::Other(message) => ProviderError::Decode(format!("token response: {message}")),
    }
}

impl StravaClient {
    /// `oauth2`'s HTTP client, an async closure: sends each request with our reqwest client
    /// through [`StravaHttp`] ([`CallKind::OAuth`]: never retried, no API rate-limit check, body
    /// ≤ 256 KiB) and hands back a 2xx response; any other status is already mapped to a
    /// [`ProviderError`], which `oauth2` returns as [`RequestTokenError::Request`].
    ///
    /// The closure owns an `Arc` of the sender rather than borrowing `self`: with a borrowed
    /// client inside, rustc cannot prove the token request's future `Send` for every lifetime
    /// (a higher-ranked lifetime error), and the trait's futures must be `Send`.
    ///
    /// [`StravaHttp`]: super::http::StravaHttp
    fn oauth_http(&self) -> impl Fn(HttpRequest) -> OAuthHttpFuture + Send + Sync + use<> {
        let http = Arc::clone(&self.http);
        move |request| {
            let http = Arc::clone(&http);
            Box::pin(async move {
                let request = reqwest::Request::try_from(request).map_err(transport)?;
                http.send_response(request, CallKind::OAuth).await
            })
        }
    }

    /// The token set (and athlete) of a token response.
    fn token_exchange(response: &StravaTokenResponse) -> ProviderResult<TokenExchange> {
        let tokens = token_set(response, Utc::now().timestamp()).map_err(ProviderError::Decode)?;
        Ok(TokenExchange { tokens, athlete: response.extra_fields().athlete.clone().map(Athlete::from) })
    }
}

impl OAuthConnect for StravaClient {
    fn id(&self) -> ProviderId {
        ProviderId::Strava
    }

    fn authorize_url(&self, state: &str, redirect_uri: &str, scope: &str) -> String {
        let mut request = self.oauth.authorize_url(|| CsrfToken::new(state.to_owned()));
        request = match RedirectUrl::new(redirect_uri.to_owned()) {
            Ok(url) => request.set_redirect_uri(Cow::Owned(url)),
            // Not an absolute URL: sent as given, and Strava will say what it thinks of it.
            Err(_) => request.add_extra_param("redirect_uri", redirect_uri.to_owned()),
        };
        if !scope.is_empty() {
            // Strava's scopes are comma-separated: one oauth2 scope, so nothing is space-joined.
            request = request.add_scope(Scope::new(scope.to_owned()));
        }
        let (url, _state) = request.add_extra_param("approval_prompt", "auto").url();
        url.into()
    }

    fn exchange_code<'a>(&'a self, code: &'a str) -> BoxFuture<'a, ProviderResult<TokenExchange>> {
        Box::pin(async move {
            let http = self.oauth_http();
            let response = self
                .oauth
                .exchange_code(AuthorizationCode::new(code.to_owned()))
                .request_async(&http)
                .await
                .map_err(token_error)?;
            Self::token_exchange(&response)
        })
    }

    fn refresh<'a>(&'a self, refresh_token: &'a Secret) -> BoxFuture<'a, ProviderResult<TokenSet>> {
        Box::pin(async move {
            let http = self.oauth_http();
            let refresh_token = RefreshToken::new(refresh_token.expose().to_owned());
            let response =
                self.oauth.exchange_refresh_token(&refresh_token).request_async(&http).await.map_err(token_error)?;
            Ok(Self::token_exchange(&response)?.tokens)
        })
    }

    fn deauthorize<'a>(&'a self, token: &'a Secret) -> BoxFuture<'a, ProviderResult<()>> {
        // Strava's deauthorization is not RFC 7009 revocation, so oauth2 has no request for it.
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
