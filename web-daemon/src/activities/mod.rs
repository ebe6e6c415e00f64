//! A person's activities: the local store (imported files and the provider API cache) in front
//! of the provider API. [`ActivityService`] decides, per request, what the store answers and
//! what needs the API; [`import`] brings files in; [`sweep`] enforces the cache retention.

pub mod home_guard;
pub mod import;
pub mod local;
pub mod record;
mod service;

pub use service::ActivityService;

use std::sync::Arc;
use std::time::Duration;

use crate::state::AppState;
use crate::store::{activities, now_epoch};

/// How often expired API rows are deleted (also once at start-up).
pub const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Deletes API rows past their `expires_at` (at `now`, injectable for tests); returns how many.
pub async fn sweep(state: &AppState, now: i64) -> Result<usize, crate::store::StoreError> {
    state.store.call(move |c| activities::sweep_expired(c, now)).await
}

/// Sweeps at start-up and then every `every` until shutdown.
pub async fn sweep_forever(state: Arc<AppState>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            () = state.shutdown.cancelled() => return,
            _ = tick.tick() => match sweep(&state, now_epoch()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "expired provider data removed from the local store"),
                Err(e) => tracing::warn!(error = %e, "local store retention sweep failed"),
            },
        }
    }
}
