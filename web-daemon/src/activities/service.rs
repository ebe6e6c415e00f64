//! Store first, provider second: how `get_activities`, `get_activity` and
//! `get_activity_streams` find their data.
//!
//! - **Own data** (imported files) is always read from the local store; no provider needed.
//! - **Provider data** is read through the API only for what the store lacks: a list window not
//!   yet cached (or expired), an activity without its detail view, streams not yet stored. What
//!   the API returns is written to the store with `expires_at = now + cache.retention_days`
//!   (Strava's terms allow at most 7 days) and answered from there. With
//!   `cache.retention_days = 0` nothing is stored and provider data is answered live.
//! - A person with neither stored activities nor a connection gets
//!   [`ProviderError::NotConnected`], which the tools turn into a connect link.

use pacer_shared::ProviderId;

use super::record;
use crate::auth::Principal;
use crate::provider::{Activity, ActivityDetail, ActivityQuery, ProviderError, Streams};
use crate::state::AppState;
use crate::store::activities::{self, ActivityFilter, ActivityRecord, RowSource, SearchFilter};
use crate::store::cache_windows::{Probe, Probed};
use crate::store::{Conn, StoreError, activity_streams, cache_windows, now_epoch};

/// The provider whose API backs the cache.
const PROVIDER: ProviderId = ProviderId::Strava;

/// How stale an open-ended cached window ("after X, up to now") may be before it is fetched again.
const OPEN_WINDOW_STALE_S: i64 = 900;

/// Most activities one list request copies from the API (pages of 200).
const MAX_SYNC_PAGES: u32 = 10;
const SYNC_PAGE_SIZE: u32 = 200;

fn local(e: StoreError) -> ProviderError {
    tracing::error!(error = %e, "local activity store failed");
    ProviderError::LocalStore(e.to_string())
}

/// One person's activities: the local store plus, when connected, the provider API.
pub struct ActivityService<'a> {
    state: &'a AppState,
    principal: &'a Principal,
}

impl<'a> ActivityService<'a> {
    /// The service for `principal`.
    pub fn new(state: &'a AppState, principal: &'a Principal) -> Self {
        Self { state, principal }
    }

    fn retention_s(&self) -> i64 {
        i64::from(self.state.config.cache.retention_days) * 86_400
    }

    async fn connected(&self) -> Result<bool, ProviderError> {
        let p = self.principal;
        Ok(self.state.tokens.connection(PROVIDER, &p.tenant_id, &p.user_id).await?.is_some())
    }

    /// Whether the store holds any live activity of this person.
    async fn has_local(&self) -> Result<bool, ProviderError> {
        let (t, u) = (self.principal.tenant_id.clone(), self.principal.user_id.clone());
        let (files, api) =
            self.state.store.call(move |c| activities::count(c, &t, &u, now_epoch())).await.map_err(local)?;
        Ok(files + api > 0)
    }

    async fn store_api(&self, rows: Vec<ActivityRecord>) -> Result<(), ProviderError> {
        let (t, u) = (self.principal.tenant_id.clone(), self.principal.user_id.clone());
        self.state.store.call(move |c| activities::upsert_api(c, &t, &u, &rows)).await.map_err(local)?;
        Ok(())
    }

    async fn api_list(&self, query: ActivityQuery) -> Result<Vec<Activity>, ProviderError> {
        let p = self.principal;
        self.state
            .tokens
            .with_session(PROVIDER, &p.tenant_id, &p.user_id, |data| async move { data.activities(&query).await })
            .await
    }

    /// Copies what `query` needs from the API into the store: a whole time window (remembered
    /// until it expires) when `after` is given, else the requested page.
    async fn sync_list(&self, query: &ActivityQuery) -> Result<(), ProviderError> {
        let (now, retention) = (now_epoch(), self.retention_s());
        let expires = now + retention;
        let p = self.principal;
        let Some(after) = query.after else {
            let page = self.api_list(*query).await?;
            let rows =
                page.into_iter().map(|a| record::from_api(PROVIDER, detail_of(a), false, now, expires)).collect();
            return self.store_api(rows).await;
        };
        let before = query.before.unwrap_or(now);
        let window = (after, before);
        // The recent edge ("up to now") counts as covered by a window fetched up to
        // OPEN_WINDOW_STALE_S ago; activities newer than that show up at the next fetch.
        let needed = (after, before.min(now - OPEN_WINDOW_STALE_S).max(after));
        let (t, u) = (p.tenant_id.clone(), p.user_id.clone());
        let covered = self
            .state
            .store
            .call(move |c| cache_windows::covers(c, &t, &u, PROVIDER, needed, now))
            .await
            .map_err(local)?;
        if covered {
            return Ok(());
        }
        let mut complete = false;
        for page in 1..=MAX_SYNC_PAGES {
            let q = ActivityQuery { after: Some(after), before: Some(before), page, per_page: SYNC_PAGE_SIZE };
            let got = self.api_list(q).await?;
            let full = got.len() >= SYNC_PAGE_SIZE as usize;
            let rows = got.into_iter().map(|a| record::from_api(PROVIDER, detail_of(a), false, now, expires)).collect();
            self.store_api(rows).await?;
            if !full {
                complete = true;
                break;
            }
        }
        if complete {
            let (t, u) = (p.tenant_id.clone(), p.user_id.clone());
            self.state
                .store
                .call(move |c| cache_windows::add(c, &t, &u, PROVIDER, window, now, expires))
                .await
                .map_err(local)?;
        }
        Ok(())
    }

    /// One page of activities, newest first (own files and cached provider data together);
    /// with `after_key` (a cursor's start time and id) the page continues after that activity.
    ///
    /// The usual case, a window the store already holds (or own data without a provider), is
    /// one store round trip: connection check, window check and the page in one blocking call.
    pub async fn list(
        &self,
        query: ActivityQuery,
        sport_type: Option<String>,
        after_key: Option<(f64, i64)>,
    ) -> Result<Vec<Activity>, ProviderError> {
        let plan = self.plan(query, sport_type.clone(), after_key).await?;
        let rows = match plan {
            Plan::Rows(rows) => rows,
            Plan::NotConnected => return Err(ProviderError::NotConnected),
            Plan::Live => {
                let mut live = self.api_list(query).await?;
                if let Some(sport) = &sport_type {
                    live.retain(|a| a.sport_type.eq_ignore_ascii_case(sport));
                }
                return Ok(live);
            }
            Plan::Sync => {
                self.sync_list(&query).await?;
                match self.plan(query, sport_type.clone(), after_key).await? {
                    Plan::Rows(rows) => rows,
                    // Synced, but no window covers the request (no `after`, or more than the
                    // sync cap): answer from what the store now holds.
                    _ => self.page(query, sport_type, after_key).await?,
                }
            }
        };
        Ok(rows.into_iter().map(|r| r.detail.activity).collect())
    }

    /// Decides whether the store can answer `query`, and answers it. The usual case, a page the
    /// store holds, is one statement: the page carries the connection and window checks as
    /// two extra columns ([`Probe`]). An empty page asks them on their own.
    async fn plan(
        &self,
        query: ActivityQuery,
        sport_type: Option<String>,
        after_key: Option<(f64, i64)>,
    ) -> Result<Plan, ProviderError> {
        let (t, u) = (self.principal.tenant_id.clone(), self.principal.user_id.clone());
        let caching = self.retention_s() > 0;
        self.state
            .store
            .call(move |c| {
                let now = now_epoch();
                // Without a time window the requested API page is fetched each time.
                let needed = query.after.map(|after| {
                    let before = query.before.unwrap_or(now);
                    (after, before.min(now - OPEN_WINDOW_STALE_S).max(after))
                });
                let probe = Probe { provider: PROVIDER, needed };
                let (rows, probed) = page_rows(c, (&t, &u), query, sport_type, after_key, now, Some(&probe))?;
                let probed = match probed {
                    Some(p) => p,
                    None => probe.ask(c, &t, &u, now)?,
                };
                if probed.connected && !caching {
                    return Ok(Plan::Live);
                }
                if probed.connected && !probed.covered {
                    return Ok(Plan::Sync);
                }
                if !probed.connected && rows.is_empty() {
                    let (files, api) = activities::count(c, &t, &u, now)?;
                    if files + api == 0 {
                        return Ok(Plan::NotConnected);
                    }
                }
                Ok(Plan::Rows(rows))
            })
            .await
            .map_err(local)
    }

    /// One page straight from the store.
    async fn page(
        &self,
        query: ActivityQuery,
        sport_type: Option<String>,
        after_key: Option<(f64, i64)>,
    ) -> Result<Vec<ActivityRecord>, ProviderError> {
        let (t, u) = (self.principal.tenant_id.clone(), self.principal.user_id.clone());
        self.state
            .store
            .call(move |c| Ok(page_rows(c, (&t, &u), query, sport_type, after_key, now_epoch(), None)?.0))
            .await
            .map_err(local)
    }

    async fn stored(&self, id: u64) -> Result<Option<ActivityRecord>, ProviderError> {
        let (t, u) = (self.principal.tenant_id.clone(), self.principal.user_id.clone());
        self.state.store.call(move |c| activities::get(c, &t, &u, id, now_epoch())).await.map_err(local)
    }

    /// One activity in detail.
    pub async fn get(&self, id: u64) -> Result<ActivityDetail, ProviderError> {
        let stored = self.stored(id).await?;
        if let Some(rec) = &stored
            && (rec.source == RowSource::File || rec.has_detail)
        {
            return Ok(rec.detail.clone());
        }
        if !self.connected().await? {
            return match stored {
                Some(rec) => Ok(rec.detail),
                None if self.has_local().await? => Err(ProviderError::NotFound(format!("activity {id}"))),
                None => Err(ProviderError::NotConnected),
            };
        }
        let p = self.principal;
        let detail = self
            .state
            .tokens
            .with_session(PROVIDER, &p.tenant_id, &p.user_id, |data| async move { data.activity(id).await })
            .await?;
        if self.retention_s() > 0 {
            let now = now_epoch();
            let rec = record::from_api(PROVIDER, detail.clone(), true, now, now + self.retention_s());
            self.store_api(vec![rec]).await?;
        }
        Ok(detail)
    }

    /// The activity's streams named in `keys` (all stored samples; the tool downsamples).
    pub async fn streams(&self, id: u64, keys: &[String]) -> Result<Streams, ProviderError> {
        let (t, u) = (self.principal.tenant_id.clone(), self.principal.user_id.clone());
        let stored =
            self.state.store.call(move |c| activity_streams::get(c, &t, &u, id, now_epoch())).await.map_err(local)?;
        if let Some(s) = stored {
            let series = s.series.into_iter().filter(|(k, _)| k == "time" || keys.contains(k)).collect();
            return Ok(Streams { activity_id: id, original_points: s.original_points, returned_points: 0, series });
        }
        let record = self.stored(id).await?;
        if record.as_ref().is_some_and(|r| r.source == RowSource::File) || !self.connected().await? {
            return match record {
                Some(_) => {
                    Ok(Streams { activity_id: id, original_points: 0, returned_points: 0, series: Default::default() })
                }
                None if !self.connected().await? && !self.has_local().await? => Err(ProviderError::NotConnected),
                None => Err(ProviderError::NotFound(format!("activity {id}"))),
            };
        }
        let p = self.principal;
        let caching = self.retention_s() > 0;
        // Fetch every stream once when caching, so later calls with other keys need no API call.
        let all: Vec<String> = crate::provider::STREAM_KEYS.iter().map(|k| (*k).to_owned()).collect();
        let wanted: &[String] = if caching { &all } else { keys };
        let streams = self
            .state
            .tokens
            .with_session(PROVIDER, &p.tenant_id, &p.user_id, |data| async move { data.streams(id, wanted).await })
            .await?;
        if caching {
            if record.is_none() {
                // Streams hang off an activity row: cache the activity too.
                self.get(id).await?;
            }
            let stored = record::for_storage(streams.original_points, &streams.series);
            let (t, u) = (p.tenant_id.clone(), p.user_id.clone());
            self.state.store.call(move |c| activity_streams::put(c, &t, &u, id, &stored)).await.map_err(local)?;
        }
        let series = streams.series.into_iter().filter(|(k, _)| k == "time" || keys.contains(k)).collect();
        Ok(Streams { series, ..streams })
    }
}

fn detail_of(activity: Activity) -> ActivityDetail {
    ActivityDetail { activity, description: None, calories_kcal: None, device_name: None, gear_id: None }
}

/// How [`ActivityService::list`] answers.
enum Plan {
    /// From the store: these rows.
    Rows(Vec<ActivityRecord>),
    /// Copy from the API first.
    Sync,
    /// Straight from the API (caching disabled).
    Live,
    /// Neither a connection nor stored activities.
    NotConnected,
}

/// A page of the store: keyset after `after_key`, else by page offset; with `probe`, its
/// answer from the same statement (when the page has a row).
fn page_rows(
    c: &Conn,
    (t, u): (&pacer_shared::TenantId, &pacer_shared::UserId),
    query: ActivityQuery,
    sport_type: Option<String>,
    after_key: Option<(f64, i64)>,
    now: i64,
    probe: Option<&Probe>,
) -> Result<(Vec<ActivityRecord>, Option<Probed>), StoreError> {
    match after_key {
        Some(key) => {
            let filter = SearchFilter {
                after: query.after,
                before: query.before,
                sport_type,
                limit: query.per_page,
                after_key: Some(key),
                ..SearchFilter::default()
            };
            activities::search_probed(c, t, u, &filter, now, probe)
        }
        None => {
            let filter = ActivityFilter {
                before: query.before,
                after: query.after,
                sport_type,
                limit: query.per_page,
                offset: u64::from(query.page.saturating_sub(1)) * u64::from(query.per_page),
            };
            activities::list_probed(c, t, u, &filter, now, probe)
        }
    }
}
