//! [`LocalFiles`]: the local activity store as a data source ([`ActivityData`]) for one person —
//! the source without OAuth. It serves imported files (and API rows still cached), computes
//! totals from the store, and "uploads" by importing the file.

use chrono::{Datelike, TimeZone, Utc};
use futures_util::future::BoxFuture;
use pacer_shared::{TenantId, UserId};
use sha2::{Digest, Sha256};

use super::import::{self, Owner};
use crate::provider::{
    Activity, ActivityData, ActivityDetail, ActivityQuery, Athlete, AthleteStats, ProviderError, ProviderResult,
    Streams, Totals, UploadRequest, UploadStatus,
};
use crate::store::activities::{self, ActivityFilter};
use crate::store::{Store, StoreError, activity_streams, now_epoch};

/// Status text of a finished local "upload" (an import of one file).
pub const READY: &str = "Your activity is ready.";

fn local(e: StoreError) -> ProviderError {
    tracing::error!(error = %e, "local activity store failed");
    ProviderError::LocalStore(e.to_string())
}

/// One person's activities in the local store.
#[derive(Clone)]
pub struct LocalFiles {
    store: Store,
    home: std::path::PathBuf,
    tenant: TenantId,
    user: UserId,
}

impl LocalFiles {
    /// The store of (`tenant`, `user`); `home` is pacer's data directory (never imported from).
    pub fn new(store: Store, home: std::path::PathBuf, tenant: TenantId, user: UserId) -> Self {
        Self { store, home, tenant, user }
    }

    /// Live activities matching `filter`, newest first.
    pub async fn list(&self, filter: ActivityFilter) -> ProviderResult<Vec<Activity>> {
        let (t, u) = (self.tenant.clone(), self.user.clone());
        let rows = self.store.call(move |c| activities::list(c, &t, &u, &filter, now_epoch())).await.map_err(local)?;
        Ok(rows.into_iter().map(|r| r.detail.activity).collect())
    }

    /// Whether the store holds any live activity of this person.
    pub async fn is_empty(&self) -> ProviderResult<bool> {
        let (t, u) = (self.tenant.clone(), self.user.clone());
        let (files, api) = self.store.call(move |c| activities::count(c, &t, &u, now_epoch())).await.map_err(local)?;
        Ok(files + api == 0)
    }

    /// Totals per sport group over `[from, to)` (epoch seconds).
    async fn totals(&self, from: i64, to: i64) -> ProviderResult<[(Totals, f64, f64); 3]> {
        let (t, u) = (self.tenant.clone(), self.user.clone());
        let rows = self
            .store
            .call(move |c| crate::store::analytics::sport_totals(c, &t, &u, (from, to), now_epoch()))
            .await
            .map_err(local)?;
        let mut out: [(Totals, f64, f64); 3] = Default::default();
        for row in rows {
            let Some(group) = sport_group(&row.sport_type) else { continue };
            let (totals, max_distance, max_climb) = &mut out[group];
            totals.count += row.count;
            totals.distance_m += row.distance_m;
            totals.moving_time_s += row.moving_time_s;
            totals.elapsed_time_s += row.elapsed_time_s;
            totals.elevation_gain_m += row.elevation_gain_m;
            *max_distance = max_distance.max(row.longest_m);
            *max_climb = max_climb.max(row.biggest_climb_m);
        }
        Ok(out)
    }
}

/// 0 = runs, 1 = rides, 2 = swims (Strava's three totals); other sports are not totalled.
fn sport_group(sport: &str) -> Option<usize> {
    match sport {
        s if pacer_files::RUN_SPORTS.contains(&s) => Some(0),
        s if pacer_files::RIDE_SPORTS.contains(&s) => Some(1),
        "Swim" => Some(2),
        _ => None,
    }
}

impl ActivityData for LocalFiles {
    fn athlete(&self) -> BoxFuture<'_, ProviderResult<Athlete>> {
        Box::pin(async move {
            // Own data has no provider profile: a stable id for this person and nothing else.
            let digest = Sha256::digest(format!("{}|{}", self.tenant, self.user).as_bytes());
            let mut head = [0u8; 8];
            head.copy_from_slice(&digest[..8]);
            Ok(Athlete {
                id: u64::from_be_bytes(head) >> 12,
                username: None,
                firstname: None,
                lastname: None,
                city: None,
                state: None,
                country: None,
                sex: None,
                weight_kg: None,
                premium: None,
                created_at: None,
                profile_url: None,
            })
        })
    }

    fn activities<'a>(&'a self, query: &'a ActivityQuery) -> BoxFuture<'a, ProviderResult<Vec<Activity>>> {
        Box::pin(self.list(ActivityFilter {
            before: query.before,
            after: query.after,
            sport_type: None,
            limit: query.per_page,
            offset: u64::from(query.page.saturating_sub(1)) * u64::from(query.per_page),
        }))
    }

    fn activity(&self, activity_id: u64) -> BoxFuture<'_, ProviderResult<ActivityDetail>> {
        Box::pin(async move {
            let (t, u) = (self.tenant.clone(), self.user.clone());
            self.store
                .call(move |c| activities::get(c, &t, &u, activity_id, now_epoch()))
                .await
                .map_err(local)?
                .map(|r| r.detail)
                .ok_or_else(|| ProviderError::NotFound(format!("activity {activity_id}")))
        })
    }

    fn streams<'a>(&'a self, activity_id: u64, keys: &'a [String]) -> BoxFuture<'a, ProviderResult<Streams>> {
        Box::pin(async move {
            let (t, u) = (self.tenant.clone(), self.user.clone());
            let stored = self
                .store
                .call(move |c| activity_streams::get(c, &t, &u, activity_id, now_epoch()))
                .await
                .map_err(local)?
                .ok_or_else(|| ProviderError::NotFound(format!("streams of activity {activity_id}")))?;
            let series: std::collections::BTreeMap<_, _> =
                stored.series.into_iter().filter(|(k, _)| k == "time" || keys.contains(k)).collect();
            let returned_points = series.values().map(Vec::len).max().unwrap_or(0);
            Ok(Streams { activity_id, original_points: stored.original_points, returned_points, series })
        })
    }

    fn stats(&self, _athlete_id: u64) -> BoxFuture<'_, ProviderResult<AthleteStats>> {
        Box::pin(async move {
            let now = Utc::now();
            let year_start = Utc.with_ymd_and_hms(now.year(), 1, 1, 0, 0, 0).single().map_or(0, |t| t.timestamp());
            let end = now.timestamp() + 1;
            let recent = self.totals(end - 28 * 86_400, end).await?;
            let ytd = self.totals(year_start, end).await?;
            let all = self.totals(i64::MIN, end).await?;
            let [run, ride, swim] = all;
            let positive = |v: f64| (v > 0.0).then_some(v);
            Ok(AthleteStats {
                recent_run_totals: recent[0].0.clone(),
                ytd_run_totals: ytd[0].0.clone(),
                recent_ride_totals: recent[1].0.clone(),
                ytd_ride_totals: ytd[1].0.clone(),
                recent_swim_totals: recent[2].0.clone(),
                ytd_swim_totals: ytd[2].0.clone(),
                biggest_ride_distance_m: positive(ride.1),
                biggest_climb_elevation_gain_m: positive(run.2.max(ride.2)),
                all_run_totals: run.0,
                all_ride_totals: ride.0,
                all_swim_totals: swim.0,
            })
        })
    }

    fn upload(&self, request: UploadRequest) -> BoxFuture<'_, ProviderResult<UploadStatus>> {
        Box::pin(async move {
            let owner = Owner { tenant: self.tenant.clone(), user: self.user.clone() };
            let name = request.external_id.clone().unwrap_or_else(|| format!("upload.{}", request.data_type));
            let file = tempfile_with(&self.home, &request.bytes).map_err(local)?;
            let hash: [u8; 32] = Sha256::digest(&request.bytes).into();
            let state_store = self.store.clone();
            let home = self.home.clone();
            let report = tokio::task::spawn_blocking(move || {
                import::run(&state_store, &owner, import::ImportSource::Upload(file), &home, &mut |_| {})
            })
            .await
            .map_err(|e| local(StoreError::Join(e.to_string())))?
            .map_err(|e| ProviderError::BadRequest(e.to_string()))?;
            let status = |activity_id, error| UploadStatus {
                upload_id: 0,
                status: READY.to_owned(),
                activity_id,
                error,
                external_id: Some(name.clone()),
            };
            if let Some(issue) = report.failed.first() {
                return Ok(status(None, Some(issue.reason.clone())));
            }
            // The stored file's activity, found by the file's content (not "the newest", which
            // is another activity when the upload is older than what is stored).
            let (t, u) = (self.tenant.clone(), self.user.clone());
            let id = self.store.call(move |c| activities::id_by_hash(c, &t, &u, &hash)).await.map_err(local)?;
            if !report.duplicates.is_empty() {
                let existing = id.map_or(String::new(), |id| format!(" (activity {id})"));
                return Ok(status(None, Some(format!("{name} duplicate of an activity already stored{existing}"))));
            }
            let _ = (request.name, request.description, request.sport_type);
            Ok(UploadStatus { upload_id: id.unwrap_or(0), ..status(id, None) })
        })
    }

    fn upload_status(&self, upload_id: u64) -> BoxFuture<'_, ProviderResult<UploadStatus>> {
        Box::pin(async move {
            Ok(UploadStatus {
                upload_id,
                status: READY.to_owned(),
                activity_id: Some(upload_id),
                error: None,
                external_id: None,
            })
        })
    }
}

/// An anonymous private temp file under `home/tmp` holding `bytes`.
fn tempfile_with(home: &std::path::Path, bytes: &[u8]) -> Result<std::fs::File, StoreError> {
    use std::io::Write as _;
    let dir = home.join("tmp");
    let io = |e: std::io::Error| StoreError::Invalid(format!("temp file: {e}"));
    crate::ipc::socket::ensure_private_dir(&dir).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let mut file = tempfile::tempfile_in(&dir).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    Ok(file)
}
