//! `get_athlete`, `get_athlete_stats`.

use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Serialize;

use super::format;
use crate::mcp::output::{Json, ToolError};
use crate::mcp::server::PacerMcp;
use crate::provider::{ActivityData as _, Athlete, AthleteStats};
use pacer_shared::ProviderId;

/// The athlete's totals.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AthleteTotals {
    /// The athlete the totals belong to.
    pub athlete_id: u64,
    /// Totals per sport and period.
    #[serde(flatten)]
    pub stats: AthleteStats,
}

#[tool_router(router = athlete_tools, vis = "pub(super)")]
impl PacerMcp {
    /// The connected athlete's profile: name, location, weight, account details.
    #[tool(title = "Get athlete profile", annotations(read_only_hint = true, open_world_hint = true))]
    async fn get_athlete(&self) -> Result<Json<Athlete>, ToolError> {
        if let Some(local) = self.own_data(true).await? {
            let athlete = self.or_provider_error(local.athlete().await).await?;
            let summary = format!(
                "No provider is connected: this person's own imported activities (athlete id {}) have no profile.",
                athlete.id
            );
            return Ok(Json::new(athlete, summary));
        }
        let athlete = self.with_data(ProviderId::Strava, |data| async move { data.athlete().await }).await?;
        let name = [athlete.firstname.as_deref(), athlete.lastname.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let place =
            [athlete.city.as_deref(), athlete.country.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(", ");
        let summary = format!(
            "Athlete {} (id {}){}.",
            if name.is_empty() { "without a name" } else { &name },
            athlete.id,
            if place.is_empty() { String::new() } else { format!(", {place}") }
        );
        Ok(Json::new(athlete, summary))
    }

    /// The athlete's totals for runs, rides and swims: recent (last 4 weeks), year to date and
    /// all time (count, distance_m, moving_time_s, elapsed_time_s, elevation_gain_m).
    #[tool(title = "Get athlete totals", annotations(read_only_hint = true, open_world_hint = true))]
    async fn get_athlete_stats(&self) -> Result<Json<AthleteTotals>, ToolError> {
        if let Some(local) = self.own_data(true).await? {
            let athlete_id = self.or_provider_error(local.athlete().await).await?.id;
            let stats = self.or_provider_error(local.stats(athlete_id).await).await?;
            let summary = format!("From imported activities. {}", stats_summary(&stats));
            return Ok(Json::new(AthleteTotals { athlete_id, stats }, summary));
        }
        let provider = ProviderId::Strava;
        let principal = self.principal();
        let known = match self.state().tokens.connection(provider, &principal.tenant_id, &principal.user_id).await {
            Ok(connection) => connection.and_then(|c| c.athlete_id),
            Err(e) => return Err(self.provider_error(provider, e).await),
        };
        let athlete_id = match known {
            Some(id) => id,
            None => self.with_data(provider, |data| async move { data.athlete().await }).await?.id,
        };
        let stats = self.with_data(provider, |data| async move { data.stats(athlete_id).await }).await?;
        let summary = stats_summary(&stats);
        Ok(Json::new(AthleteTotals { athlete_id, stats }, summary))
    }
}

fn stats_summary(stats: &AthleteStats) -> String {
    format!(
        "Year to date: runs {}, rides {}, swims {}. Last 4 weeks: runs {}, rides {}, swims {}.",
        format::totals(&stats.ytd_run_totals),
        format::totals(&stats.ytd_ride_totals),
        format::totals(&stats.ytd_swim_totals),
        format::totals(&stats.recent_run_totals),
        format::totals(&stats.recent_ride_totals),
        format::totals(&stats.recent_swim_totals),
    )
}
