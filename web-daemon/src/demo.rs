//! `pacerd demo`: the daemon with the sandbox provider and a ready demo user.

use std::future::Future;

use crate::Config;

/// Runs the demo daemon until `shutdown` resolves.
pub async fn run(config: Config, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    crate::run(config, shutdown).await
}
