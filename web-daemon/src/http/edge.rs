//! The one App-wide middleware, in the order a request meets it: the `Host` check
//! ([`host::check_host`], 403 before any route runs), the body deadline
//! ([`deadline::limit_body`]), the route, then the rate-limit headers of whatever decision an
//! extractor recorded ([`ratelimit::add_recorded_headers`]).
//!
//! One layer rather than three: each `from_fn` layer boxes a future and a service call per
//! request, which showed on the authenticated hot path (`bench http_load`).

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use super::{deadline, host, ratelimit};

/// Mounted once with `actix_web::middleware::from_fn(http::edge)` (`Daemon::serve`, and the
/// in-process test app).
pub async fn edge(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    host::check_host(&req)?;
    deadline::limit_body(&mut req);
    let mut res = next.call(req).await?;
    ratelimit::add_recorded_headers(&mut res);
    Ok(res)
}
