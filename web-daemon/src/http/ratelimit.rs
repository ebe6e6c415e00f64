//! Rate-limit plumbing for HTTP: the `X-RateLimit-*` / `Retry-After` headers and the per-IP
//! limit on login and OAuth routes.
//!
//! How routes opt in:
//! - **Per API key**: take [`ApiKeyAuth`](super::extract::ApiKeyAuth) as an argument. It checks
//!   the key's bucket, [`record`]s the [`Decision`] in the request extensions and fails with 429
//!   when denied. [`add_recorded_headers`], run by the App-wide [`super::edge`], puts the
//!   headers on every response — 200s included.
//! - **Per client**: wrap the resource or scope with [`PerIpLimit`], e.g.
//!   `web::scope("/oauth").wrap(PerIpLimit::new("oauth"))`. It checks the IP's bucket for that
//!   scope before the handler runs and adds the headers itself.
//!
//! A 429 is an [`ApiError::rate_limited`], whose response always carries all four headers.

use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{Error, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::client_ip::{bucket, client_ip};
use super::error::{ApiError, apply_headers};
use crate::limits::{Decision, LimitKey};
use crate::state::AppState;

/// The decision taken for this request, kept in its extensions for [`add_recorded_headers`].
#[derive(Debug, Clone, Copy)]
struct Recorded(Decision);

/// Remembers `decision` for this request so its response gets the rate-limit headers.
pub fn record(req: &HttpRequest, decision: Decision) {
    req.extensions_mut().insert(Recorded(decision));
}

/// The decision recorded for this request, if any.
pub fn recorded(req: &HttpRequest) -> Option<Decision> {
    req.extensions().get::<Recorded>().map(|r| r.0)
}

/// Adds the rate-limit headers of the decision an extractor [`record`]ed to whatever response
/// the route produced; run for every response by the App-wide [`super::edge`].
pub fn add_recorded_headers<B>(res: &mut ServiceResponse<B>) {
    if let Some(d) = recorded(res.request()) {
        apply_headers(res.headers_mut(), &d);
    }
}

/// Middleware limiting requests per client within `scope` (separate buckets per scope). The
/// client is [`client_ip`] (the forwarded address only from configured `trusted_proxies`),
/// folded by [`bucket`] (all of loopback is one client, IPv6 by /64).
#[derive(Debug, Clone, Copy)]
pub struct PerIpLimit {
    scope: &'static str,
}

impl PerIpLimit {
    /// Limits per client in `scope` (e.g. `"login"`, `"oauth"`).
    pub const fn new(scope: &'static str) -> Self {
        Self { scope }
    }
}

impl<S, B> Transform<S, ServiceRequest> for PerIpLimit
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = PerIpLimitService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(PerIpLimitService { service: Rc::new(service), config: *self }))
    }
}

/// The service [`PerIpLimit`] wraps around a route.
pub struct PerIpLimitService<S> {
    service: Rc<S>,
    config: PerIpLimit,
}

impl<S, B> Service<ServiceRequest> for PerIpLimitService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            tracing::error!("PerIpLimit used without AppState; not limiting");
            let fut = self.service.call(req);
            return Box::pin(async move { Ok(fut.await?.map_into_left_body()) });
        };
        let ip = bucket(client_ip(req.request(), &state.config.trusted_proxies));
        let limiter = state.limiter.clone();
        let scope = self.config.scope;
        let service = self.service.clone();
        Box::pin(async move {
            let decision = limiter.check(&LimitKey::Ip { ip, scope }).await;
            if !decision.allowed {
                tracing::info!(%ip, scope, unavailable = decision.unavailable, "per-IP rate limit hit");
                let res = req.error_response(ApiError::rate_limited(&decision));
                return Ok(res.map_into_right_body());
            }
            record(req.request(), decision);
            let mut res = service.call(req).await?;
            apply_headers(res.headers_mut(), &decision);
            Ok(res.map_into_left_body())
        })
    }
}
