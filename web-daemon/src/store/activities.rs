//! The local activity store (`activities`, `activity_laps`, `activity_streams`): a person's own
//! imported files and the provider API cache, one table for both. Every function takes the
//! tenant and user by type; rows of another tenant or user are never read or written.
//!
//! File rows (`source = 'file'`) never expire and win over API rows with the same id (a bulk
//! export names each activity's Strava id); API rows carry `expires_at` and are invisible once
//! past it, until the sweeper ([`sweep_expired`]) deletes them.

use crate::store::cache_windows::{Probe, Probed};
use crate::store::sql::ToParam;
use crate::store::{Conn, OptionalExtension, Row, Tx, params};
use pacer_shared::{ProviderId, TenantId, UserId};

use super::StoreError;
use crate::provider::{Activity, ActivityDetail};

/// Where a row came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowSource {
    /// A provider's API (cached; expires).
    Api(ProviderId),
    /// An imported file (kept).
    File,
}

impl RowSource {
    /// The `source` column value: the provider's name, or `file`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api(p) => p.as_str(),
            Self::File => "file",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        if text == "file" { Some(Self::File) } else { text.parse().ok().map(Self::Api) }
    }
}

/// Where an activity's local time (UTC offset) came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneSource {
    /// The file says (FIT `activity.local_timestamp`).
    File,
    /// Looked up from the start coordinates.
    Coordinates,
    /// The athlete's time-zone setting.
    AthleteSetting,
    /// The provider's API reported it.
    Provider,
    /// Nothing known: UTC.
    Utc,
}

impl ZoneSource {
    /// The `time_zone_source` column value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Coordinates => "coordinates",
            Self::AthleteSetting => "athlete_setting",
            Self::Provider => "provider",
            Self::Utc => "utc",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "file" => Self::File,
            "coordinates" => Self::Coordinates,
            "athlete_setting" => Self::AthleteSetting,
            "provider" => Self::Provider,
            _ => Self::Utc,
        }
    }
}

/// One lap of an activity.
#[derive(Debug, Clone, PartialEq)]
pub struct LapRecord {
    pub start_epoch_s: i64,
    pub elapsed_time_s: u64,
    pub moving_time_s: u64,
    pub distance_m: f64,
    pub average_heartrate_bpm: Option<f64>,
    pub average_watts: Option<f64>,
}

/// An activity as stored: the tool-facing detail plus where it came from and its local time.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRecord {
    /// The tool-facing fields (`start_date`/`start_date_local` are rebuilt from the columns).
    pub detail: ActivityDetail,
    pub start_epoch_s: i64,
    pub utc_offset_s: i32,
    /// IANA name, when known.
    pub time_zone: Option<String>,
    pub zone_source: ZoneSource,
    pub source: RowSource,
    pub source_id: String,
    /// SHA-256 of the imported file (files only).
    pub content_hash: Option<[u8; 32]>,
    pub start_latlng: Option<[f64; 2]>,
    /// API rows: whether the detail view was fetched.
    pub has_detail: bool,
    pub laps: Vec<LapRecord>,
    /// Normalized power (W), when the activity has a power stream.
    pub normalized_watts: Option<f64>,
    /// Best efforts (`time_5k` → seconds, `power_20min` → watts), computed at import.
    pub efforts: Vec<(String, f64)>,
    pub fetched_at: i64,
    /// API rows: when the row stops being served; `None` for files.
    pub expires_at: Option<i64>,
}

/// Which activities to list (times are epoch seconds, exclusive like Strava's).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityFilter {
    pub before: Option<i64>,
    pub after: Option<i64>,
    /// Exact sport type, case-insensitive.
    pub sport_type: Option<String>,
    pub limit: u32,
    pub offset: u64,
}

const COLUMNS: &str = "id, source, source_id, content_hash, name, sport_type, description, start_epoch_s, \
    utc_offset_s, time_zone, time_zone_source, distance_m, moving_time_s, elapsed_time_s, total_elevation_gain_m, \
    average_speed_mps, max_speed_mps, average_heartrate_bpm, max_heartrate_bpm, average_cadence_rpm, \
    average_watts, max_watts, kilojoules, calories_kcal, trainer, commute, manual, device_name, gear_id, \
    external_id, start_lat_deg, start_lng_deg, has_detail, fetched_at, expires_at, normalized_watts";

/// RFC 3339 of `epoch` shifted by `offset_s` (`Z` for a zero offset in UTC form).
pub fn rfc3339_at(epoch: i64, offset_s: i32) -> String {
    let offset =
        chrono::FixedOffset::east_opt(offset_s).unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("0"));
    match chrono::DateTime::from_timestamp(epoch, 0) {
        Some(t) if offset_s == 0 => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        Some(t) => t.with_timezone(&offset).to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        None => epoch.to_string(),
    }
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn from_row(r: &Row<'_>) -> crate::store::sql::Result<ActivityRecord> {
    let source_text: String = r.get(1)?;
    let source = RowSource::parse(&source_text)
        .ok_or_else(|| crate::store::SqlError::conversion(1, format!("source {source_text}")))?;
    let start: i64 = r.get(7)?;
    let offset: i32 = r.get(8)?;
    let time_zone: Option<String> = r.get(9)?;
    let lat: Option<f64> = r.get(30)?;
    let lng: Option<f64> = r.get(31)?;
    let activity = Activity {
        id: to_u64(r.get(0)?),
        name: r.get(4)?,
        sport_type: r.get(5)?,
        start_date: rfc3339_at(start, 0),
        start_date_local: rfc3339_at(start, offset),
        timezone: time_zone.clone(),
        distance_m: r.get(11)?,
        moving_time_s: to_u64(r.get(12)?),
        elapsed_time_s: to_u64(r.get(13)?),
        total_elevation_gain_m: r.get(14)?,
        average_speed_mps: r.get(15)?,
        max_speed_mps: r.get(16)?,
        average_heartrate_bpm: r.get(17)?,
        max_heartrate_bpm: r.get(18)?,
        average_cadence_rpm: r.get(19)?,
        average_watts: r.get(20)?,
        kilojoules: r.get(22)?,
        trainer: r.get(24)?,
        commute: r.get(25)?,
        manual: r.get(26)?,
        external_id: r.get(29)?,
    };
    Ok(ActivityRecord {
        detail: ActivityDetail {
            activity,
            description: r.get(6)?,
            calories_kcal: r.get(23)?,
            device_name: r.get(27)?,
            gear_id: r.get(28)?,
        },
        start_epoch_s: start,
        utc_offset_s: offset,
        time_zone,
        zone_source: ZoneSource::parse(&r.get::<String>(10)?),
        source,
        source_id: r.get(2)?,
        content_hash: r.get::<Option<Vec<u8>>>(3)?.and_then(|h| <[u8; 32]>::try_from(h).ok()),
        start_latlng: lat.zip(lng).map(|(a, b)| [a, b]),
        has_detail: r.get(32)?,
        laps: Vec::new(),
        normalized_watts: r.get(35)?,
        efforts: Vec::new(),
        fetched_at: r.get(33)?,
        expires_at: r.get(34)?,
    })
}

/// Writes `rec` (insert; on an id conflict replace only a row of the same source, or an API row
/// with a file row). Returns false when an existing row was kept.
fn write(conn: &Conn, tenant: &TenantId, user: &UserId, rec: &ActivityRecord) -> Result<bool, StoreError> {
    let a = &rec.detail.activity;
    let id = i64::try_from(a.id).map_err(|_| StoreError::Invalid(format!("activity id {} out of range", a.id)))?;
    let placeholders = (1..=38).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "INSERT INTO activities (tenant_id, user_id, {COLUMNS}) VALUES ({placeholders})
         ON CONFLICT (tenant_id, user_id, id) DO UPDATE SET
           source = excluded.source, source_id = excluded.source_id, content_hash = excluded.content_hash,
           name = excluded.name, sport_type = excluded.sport_type,
           description = CASE WHEN excluded.has_detail OR excluded.source = 'file' THEN excluded.description ELSE activities.description END,
           start_epoch_s = excluded.start_epoch_s, utc_offset_s = excluded.utc_offset_s, time_zone = excluded.time_zone,
           time_zone_source = excluded.time_zone_source, distance_m = excluded.distance_m,
           moving_time_s = excluded.moving_time_s, elapsed_time_s = excluded.elapsed_time_s,
           total_elevation_gain_m = excluded.total_elevation_gain_m, average_speed_mps = excluded.average_speed_mps,
           max_speed_mps = excluded.max_speed_mps, average_heartrate_bpm = excluded.average_heartrate_bpm,
           max_heartrate_bpm = excluded.max_heartrate_bpm, average_cadence_rpm = excluded.average_cadence_rpm,
           average_watts = excluded.average_watts, max_watts = excluded.max_watts, kilojoules = excluded.kilojoules,
           calories_kcal = CASE WHEN excluded.has_detail OR excluded.source = 'file' THEN excluded.calories_kcal ELSE activities.calories_kcal END,
           trainer = excluded.trainer, commute = excluded.commute, manual = excluded.manual,
           device_name = CASE WHEN excluded.has_detail OR excluded.source = 'file' THEN excluded.device_name ELSE activities.device_name END,
           gear_id = CASE WHEN excluded.has_detail OR excluded.source = 'file' THEN excluded.gear_id ELSE activities.gear_id END,
           external_id = excluded.external_id, start_lat_deg = excluded.start_lat_deg, start_lng_deg = excluded.start_lng_deg,
           has_detail = (activities.has_detail OR excluded.has_detail), fetched_at = excluded.fetched_at,
           expires_at = excluded.expires_at,
           normalized_watts = COALESCE(excluded.normalized_watts, activities.normalized_watts)
         WHERE activities.source = excluded.source OR excluded.source = 'file'"
    );
    let lat = rec.start_latlng.map(|l| l[0]);
    let lng = rec.start_latlng.map(|l| l[1]);
    let changed = conn.execute(
        &sql,
        params![
            tenant.as_str(),
            user.as_str(),
            id,
            rec.source.as_str(),
            rec.source_id,
            rec.content_hash.as_ref().map(|h| h.as_slice()),
            a.name,
            a.sport_type,
            rec.detail.description,
            rec.start_epoch_s,
            rec.utc_offset_s,
            rec.time_zone,
            rec.zone_source.as_str(),
            a.distance_m,
            i64::try_from(a.moving_time_s).unwrap_or(i64::MAX),
            i64::try_from(a.elapsed_time_s).unwrap_or(i64::MAX),
            a.total_elevation_gain_m,
            a.average_speed_mps,
            a.max_speed_mps,
            a.average_heartrate_bpm,
            a.max_heartrate_bpm,
            a.average_cadence_rpm,
            a.average_watts,
            Option::<f64>::None,
            a.kilojoules,
            rec.detail.calories_kcal,
            a.trainer,
            a.commute,
            a.manual,
            rec.detail.device_name,
            rec.detail.gear_id,
            a.external_id,
            lat,
            lng,
            rec.has_detail,
            rec.fetched_at,
            rec.expires_at,
            rec.normalized_watts
        ],
    )?;
    if changed == 0 {
        return Ok(false);
    }
    conn.execute(
        "DELETE FROM activity_laps WHERE tenant_id = ?1 AND user_id = ?2 AND activity_id = ?3",
        params![tenant.as_str(), user.as_str(), id],
    )?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO activity_laps (tenant_id, user_id, activity_id, lap_index, start_epoch_s, elapsed_time_s,
            moving_time_s, distance_m, average_heartrate_bpm, average_watts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut effort = conn.prepare_cached(
        "INSERT INTO activity_efforts (tenant_id, user_id, activity_id, effort, value)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (tenant_id, user_id, activity_id, effort) DO UPDATE SET value = excluded.value",
    )?;
    for (name, value) in &rec.efforts {
        effort.execute(params![tenant.as_str(), user.as_str(), id, name, value])?;
    }
    for (index, lap) in rec.laps.iter().enumerate() {
        insert.execute(params![
            tenant.as_str(),
            user.as_str(),
            id,
            i64::try_from(index).unwrap_or(i64::MAX),
            lap.start_epoch_s,
            i64::try_from(lap.elapsed_time_s).unwrap_or(i64::MAX),
            i64::try_from(lap.moving_time_s).unwrap_or(i64::MAX),
            lap.distance_m,
            lap.average_heartrate_bpm,
            lap.average_watts
        ])?;
    }
    Ok(true)
}

/// Outcome of storing an imported file's activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileInsert {
    /// Stored under this id.
    Stored(u64),
    /// The same file (content hash) is already stored, under this id.
    Duplicate(u64),
}

/// The id of the owner's activity stored from the file with this SHA-256, if any.
pub fn id_by_hash(conn: &Conn, tenant: &TenantId, user: &UserId, hash: &[u8; 32]) -> Result<Option<u64>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT id FROM activities WHERE tenant_id = ?1 AND user_id = ?2 AND content_hash = ?3")?
        .query_row(params![tenant.as_str(), user.as_str(), hash.as_slice()], |r| r.get::<i64>(0))
        .optional()?
        .map(to_u64))
}

/// Stores an imported file's activity in `tx` unless the same file is already stored.
pub fn insert_file(
    tx: &Tx<'_>,
    tenant: &TenantId,
    user: &UserId,
    rec: &ActivityRecord,
) -> Result<FileInsert, StoreError> {
    if let Some(hash) = &rec.content_hash
        && let Some(id) = id_by_hash(tx, tenant, user, hash)?
    {
        return Ok(FileInsert::Duplicate(id));
    }
    let id = rec.detail.activity.id;
    let existing_file: Option<i64> = tx
        .prepare_cached(
            "SELECT id FROM activities WHERE tenant_id = ?1 AND user_id = ?2 AND id = ?3 AND source = 'file'",
        )?
        .query_row(params![tenant.as_str(), user.as_str(), i64::try_from(id).unwrap_or(-1)], |r| r.get(0))
        .optional()?;
    if let Some(id) = existing_file {
        return Ok(FileInsert::Duplicate(to_u64(id)));
    }
    write(tx, tenant, user, rec)?;
    Ok(FileInsert::Stored(id))
}

/// Stores API rows (list or detail); file rows with the same id are kept as they are.
pub fn upsert_api(conn: &Conn, tenant: &TenantId, user: &UserId, rows: &[ActivityRecord]) -> Result<usize, StoreError> {
    let tx = conn.transaction()?;
    let mut written = 0;
    for rec in rows {
        if write(&tx, tenant, user, rec)? {
            written += 1;
        }
    }
    tx.commit()?;
    Ok(written)
}

/// The owner's live activities matching `filter`, newest first.
pub fn list(
    conn: &Conn,
    tenant: &TenantId,
    user: &UserId,
    filter: &ActivityFilter,
    now: i64,
) -> Result<Vec<ActivityRecord>, StoreError> {
    Ok(list_probed(conn, tenant, user, filter, now, None)?.0)
}

/// [`list`], answering `probe` in the same statement (`None` when the page is empty: ask
/// [`Probe::ask`] then).
pub fn list_probed(
    conn: &Conn,
    tenant: &TenantId,
    user: &UserId,
    filter: &ActivityFilter,
    now: i64,
    probe: Option<&Probe>,
) -> Result<(Vec<ActivityRecord>, Option<Probed>), StoreError> {
    let extra = probe.map(|p| format!(", {}", p.columns(9))).unwrap_or_default();
    let sql = format!(
        "SELECT {COLUMNS}{extra} FROM activities
         WHERE tenant_id = ?1 AND user_id = ?2 AND (expires_at IS NULL OR expires_at > ?3)
           AND (CAST(?4 AS BIGINT) IS NULL OR start_epoch_s < ?4) AND (CAST(?5 AS BIGINT) IS NULL OR start_epoch_s > ?5)
           AND (CAST(?6 AS TEXT) IS NULL OR LOWER(sport_type) = LOWER(?6))
         ORDER BY start_epoch_s DESC, id DESC LIMIT ?7 OFFSET ?8"
    );
    let offset = i64::try_from(filter.offset).unwrap_or(i64::MAX);
    let base = params![
        tenant.as_str(),
        user.as_str(),
        now,
        filter.before,
        filter.after,
        filter.sport_type,
        i64::from(filter.limit),
        offset
    ];
    probed_rows(conn, &sql, base, probe)
}

/// Runs a page query whose select list is [`COLUMNS`] and, with `probe`, the probe's columns
/// (numbered after `base`).
fn probed_rows(
    conn: &Conn,
    sql: &str,
    base: &[&dyn ToParam],
    probe: Option<&Probe>,
) -> Result<(Vec<ActivityRecord>, Option<Probed>), StoreError> {
    let probe_params = probe.map(Probe::params);
    let mut all = base.to_vec();
    if let Some((provider, after, before)) = &probe_params {
        all.extend([provider as &dyn ToParam, after, before]);
    }
    let probe_at = COLUMNS.split(',').count();
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(&all, |r| {
        let probed = if probe.is_some() { Some(Probe::read(r, probe_at)?) } else { None };
        Ok((from_row(r)?, probed))
    })?;
    let rows: Vec<(ActivityRecord, Option<Probed>)> = rows.collect::<Result<_, _>>()?;
    let probed = rows.first().and_then(|(_, p)| *p);
    Ok((rows.into_iter().map(|(rec, _)| rec).collect(), probed))
}

/// Orders of [`search`] (each with a keyset cursor on (value, id)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchSort {
    /// Newest first.
    #[default]
    Newest,
    /// Oldest first.
    Oldest,
    /// Longest distance first.
    Longest,
    /// Longest moving time first.
    LongestTime,
}

impl SearchSort {
    fn column(self) -> &'static str {
        match self {
            Self::Newest | Self::Oldest => "start_epoch_s",
            Self::Longest => "distance_m",
            Self::LongestTime => "moving_time_s",
        }
    }

    fn descending(self) -> bool {
        !matches!(self, Self::Oldest)
    }

    /// The sort value of `rec` (what a cursor after it holds).
    pub fn value_of(self, rec: &ActivityRecord) -> f64 {
        let a = &rec.detail.activity;
        match self {
            Self::Newest | Self::Oldest => rec.start_epoch_s as f64,
            Self::Longest => a.distance_m,
            Self::LongestTime => a.moving_time_s as f64,
        }
    }
}

/// What [`search`] matches; every bound optional (the default: everything, newest first, no
/// rows: set `limit`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchFilter {
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub sport_type: Option<String>,
    pub min_distance_m: Option<f64>,
    pub max_distance_m: Option<f64>,
    pub min_moving_time_s: Option<i64>,
    pub max_moving_time_s: Option<i64>,
    /// Case-insensitive text in the name.
    pub name_contains: Option<String>,
    pub sort: SearchSort,
    pub limit: u32,
    /// Continue after the row with this (sort value, id).
    pub after_key: Option<(f64, i64)>,
}

/// `text` as a LIKE pattern matching it anywhere (`%` and `_` taken literally).
fn like_anywhere(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// The owner's live activities matching `filter`, in its order, after its cursor.
pub fn search(
    conn: &Conn,
    tenant: &TenantId,
    user: &UserId,
    filter: &SearchFilter,
    now: i64,
) -> Result<Vec<ActivityRecord>, StoreError> {
    Ok(search_probed(conn, tenant, user, filter, now, None)?.0)
}

/// [`search`], answering `probe` in the same statement (`None` when the page is empty).
pub fn search_probed(
    conn: &Conn,
    tenant: &TenantId,
    user: &UserId,
    filter: &SearchFilter,
    now: i64,
    probe: Option<&Probe>,
) -> Result<(Vec<ActivityRecord>, Option<Probed>), StoreError> {
    let column = filter.sort.column();
    let (cmp, dir) = if filter.sort.descending() { ("<", "DESC") } else { (">", "ASC") };
    let extra = probe.map(|p| format!(", {}", p.columns(15))).unwrap_or_default();
    let sql = format!(
        "SELECT {COLUMNS}{extra} FROM activities
         WHERE tenant_id = ?1 AND user_id = ?2 AND (expires_at IS NULL OR expires_at > ?3)
           AND (CAST(?4 AS BIGINT) IS NULL OR start_epoch_s > ?4) AND (CAST(?5 AS BIGINT) IS NULL OR start_epoch_s < ?5)
           AND (CAST(?6 AS TEXT) IS NULL OR LOWER(sport_type) = LOWER(?6))
           AND (CAST(?7 AS DOUBLE PRECISION) IS NULL OR distance_m >= ?7)
           AND (CAST(?8 AS DOUBLE PRECISION) IS NULL OR distance_m <= ?8)
           AND (CAST(?9 AS BIGINT) IS NULL OR moving_time_s >= ?9)
           AND (CAST(?10 AS BIGINT) IS NULL OR moving_time_s <= ?10)
           AND (CAST(?11 AS TEXT) IS NULL OR LOWER(name) LIKE LOWER(?11) ESCAPE '\\')
           AND (CAST(?12 AS DOUBLE PRECISION) IS NULL OR {column} {cmp} CAST(?12 AS DOUBLE PRECISION)
                OR ({column} = CAST(?12 AS DOUBLE PRECISION) AND id {cmp} ?13))
         ORDER BY {column} {dir}, id {dir} LIMIT ?14"
    );
    let (key_value, key_id) = match filter.after_key {
        Some((v, id)) => (Some(v), Some(id)),
        None => (None, None),
    };
    let name_like = filter.name_contains.as_deref().map(like_anywhere);
    let base = params![
        tenant.as_str(),
        user.as_str(),
        now,
        filter.after,
        filter.before,
        filter.sport_type,
        filter.min_distance_m,
        filter.max_distance_m,
        filter.min_moving_time_s,
        filter.max_moving_time_s,
        name_like,
        key_value,
        key_id,
        i64::from(filter.limit)
    ];
    probed_rows(conn, &sql, base, probe)
}

/// One live activity of the owner, with its laps.
pub fn get(
    conn: &Conn,
    tenant: &TenantId,
    user: &UserId,
    id: u64,
    now: i64,
) -> Result<Option<ActivityRecord>, StoreError> {
    let Ok(id) = i64::try_from(id) else { return Ok(None) };
    let sql = format!(
        "SELECT {COLUMNS} FROM activities
         WHERE tenant_id = ?1 AND user_id = ?2 AND id = ?3 AND (expires_at IS NULL OR expires_at > ?4)"
    );
    let Some(mut rec) =
        conn.prepare_cached(&sql)?.query_row(params![tenant.as_str(), user.as_str(), id, now], from_row).optional()?
    else {
        return Ok(None);
    };
    let mut laps = conn.prepare_cached(
        "SELECT start_epoch_s, elapsed_time_s, moving_time_s, distance_m, average_heartrate_bpm, average_watts
         FROM activity_laps WHERE tenant_id = ?1 AND user_id = ?2 AND activity_id = ?3 ORDER BY lap_index",
    )?;
    rec.laps = laps
        .query_map(params![tenant.as_str(), user.as_str(), id], |r| {
            Ok(LapRecord {
                start_epoch_s: r.get(0)?,
                elapsed_time_s: to_u64(r.get(1)?),
                moving_time_s: to_u64(r.get(2)?),
                distance_m: r.get(3)?,
                average_heartrate_bpm: r.get(4)?,
                average_watts: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Some(rec))
}

/// How many live activities the owner has, by source.
pub fn count(conn: &Conn, tenant: &TenantId, user: &UserId, now: i64) -> Result<(u64, u64), StoreError> {
    let (files, api): (i64, i64) = conn.query_row(
        "SELECT COALESCE(SUM(CASE WHEN source = 'file' THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN source <> 'file' THEN 1 ELSE 0 END), 0) FROM activities
         WHERE tenant_id = ?1 AND user_id = ?2 AND (expires_at IS NULL OR expires_at > ?3)",
        params![tenant.as_str(), user.as_str(), now],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok((to_u64(files), to_u64(api)))
}

/// Deletes every row of the owner that came from `provider`'s API (with laps, streams and cache
/// windows), e.g. when the connection is removed; imported files stay. Returns how many.
pub fn delete_api_rows(
    conn: &Conn,
    tenant: &TenantId,
    user: &UserId,
    provider: ProviderId,
) -> Result<usize, StoreError> {
    let tx = conn.transaction()?;
    let removed = tx.execute(
        "DELETE FROM activities WHERE tenant_id = ?1 AND user_id = ?2 AND source = ?3",
        params![tenant.as_str(), user.as_str(), provider.as_str()],
    )?;
    super::cache_windows::clear(&tx, tenant, user, provider)?;
    tx.commit()?;
    Ok(removed)
}

/// Deletes API rows (with their laps and streams) and cache windows past their expiry; returns
/// how many activities were removed. Imported rows never expire.
pub fn sweep_expired(conn: &Conn, now: i64) -> Result<usize, StoreError> {
    let tx = conn.transaction()?;
    let removed =
        tx.execute("DELETE FROM activities WHERE expires_at IS NOT NULL AND expires_at <= ?1", params![now])?;
    tx.execute("DELETE FROM api_cache_windows WHERE expires_at <= ?1", params![now])?;
    tx.commit()?;
    Ok(removed)
}

#[cfg(test)]
#[path = "activities_tests.rs"]
mod tests;
