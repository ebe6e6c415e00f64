//! Read-only queries behind the analytics tools: load inputs per activity, best efforts and
//! extremes, and the activity search with a keyset cursor. Owner-scoped like every store query;
//! expired API rows are never read.

use crate::store::{Conn, Row, params};
use pacer_shared::{TenantId, UserId};

use super::StoreError;

/// What training load and weekly summaries need of one activity.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadRow {
    pub id: u64,
    pub start_epoch_s: i64,
    pub utc_offset_s: i32,
    pub sport_type: String,
    pub distance_m: f64,
    pub moving_time_s: f64,
    pub elevation_gain_m: f64,
    pub normalized_watts: Option<f64>,
    pub average_watts: Option<f64>,
    pub average_heartrate_bpm: Option<f64>,
}

/// The owner's live activities that started in `[from, to)`, oldest first.
pub fn load_rows(
    conn: &Conn,
    tenant: &TenantId,
    user: &UserId,
    (from, to): (i64, i64),
    now: i64,
) -> Result<Vec<LoadRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, start_epoch_s, utc_offset_s, sport_type, distance_m, moving_time_s, total_elevation_gain_m,
                normalized_watts, average_watts, average_heartrate_bpm
         FROM activities
         WHERE tenant_id = ?1 AND user_id = ?2 AND start_epoch_s >= ?3 AND start_epoch_s < ?4
           AND (expires_at IS NULL OR expires_at > ?5)
         ORDER BY start_epoch_s",
    )?;
    let rows = stmt.query_map(params![tenant.as_str(), user.as_str(), from, to, now], |r| {
        Ok(LoadRow {
            id: u64::try_from(r.get::<i64>(0)?).unwrap_or(0),
            start_epoch_s: r.get(1)?,
            utc_offset_s: r.get(2)?,
            sport_type: r.get(3)?,
            distance_m: r.get(4)?,
            moving_time_s: r.get::<i64>(5)? as f64,
            elevation_gain_m: r.get(6)?,
            normalized_watts: r.get(7)?,
            average_watts: r.get(8)?,
            average_heartrate_bpm: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A record and the activity it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    pub value: f64,
    pub activity_id: u64,
    pub name: String,
    pub sport_type: String,
    pub start_epoch_s: i64,
    pub utc_offset_s: i32,
}

fn record_row(r: &Row<'_>) -> crate::store::sql::Result<RecordRow> {
    Ok(RecordRow {
        value: r.get(0)?,
        activity_id: u64::try_from(r.get::<i64>(1)?).unwrap_or(0),
        name: r.get(2)?,
        sport_type: r.get(3)?,
        start_epoch_s: r.get(4)?,
        utc_offset_s: r.get(5)?,
    })
}

/// The best `effort` (lowest value when `lowest`, else highest) of activities started in
/// `[from, to)`.
pub fn best_effort(
    conn: &Conn,
    tenant: &TenantId,
    user: &UserId,
    effort: &str,
    lowest: bool,
    (from, to): (i64, i64),
    now: i64,
) -> Result<Option<RecordRow>, StoreError> {
    let order = if lowest { "ASC" } else { "DESC" };
    let sql = format!(
        "SELECT e.value, a.id, a.name, a.sport_type, a.start_epoch_s, a.utc_offset_s
         FROM activity_efforts e JOIN activities a
           ON a.tenant_id = e.tenant_id AND a.user_id = e.user_id AND a.id = e.activity_id
         WHERE e.tenant_id = ?1 AND e.user_id = ?2 AND e.effort = ?3
           AND a.start_epoch_s >= ?4 AND a.start_epoch_s < ?5 AND (a.expires_at IS NULL OR a.expires_at > ?6)
         ORDER BY e.value {order}, a.start_epoch_s LIMIT 1"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query_map(params![tenant.as_str(), user.as_str(), effort, from, to, now], record_row)?;
    Ok(rows.next().transpose()?)
}

/// The activity with the largest `column` (`distance_m` or `total_elevation_gain_m`) among
/// `sports` (empty: all), started in `[from, to)`.
pub fn largest(
    conn: &Conn,
    tenant: &TenantId,
    user: &UserId,
    column: Largest,
    sports: &[&str],
    (from, to): (i64, i64),
    now: i64,
) -> Result<Option<RecordRow>, StoreError> {
    let column = column.column();
    let sport_filter = if sports.is_empty() {
        String::new()
    } else {
        let quoted: Vec<String> = sports.iter().map(|s| format!("'{}'", s.replace('\'', "''"))).collect();
        format!("AND sport_type IN ({})", quoted.join(", "))
    };
    let sql = format!(
        "SELECT {column}, id, name, sport_type, start_epoch_s, utc_offset_s FROM activities
         WHERE tenant_id = ?1 AND user_id = ?2 AND start_epoch_s >= ?3 AND start_epoch_s < ?4
           AND (expires_at IS NULL OR expires_at > ?5) AND {column} > 0 {sport_filter}
         ORDER BY {column} DESC, start_epoch_s LIMIT 1"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query_map(params![tenant.as_str(), user.as_str(), from, to, now], record_row)?;
    Ok(rows.next().transpose()?)
}

/// The columns [`largest`] may rank by (a closed set: never caller text in SQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Largest {
    Distance,
    Climb,
}

impl Largest {
    fn column(self) -> &'static str {
        match self {
            Self::Distance => "distance_m",
            Self::Climb => "total_elevation_gain_m",
        }
    }
}

/// Totals of one sport type over a time range.
#[derive(Debug, Clone, PartialEq)]
pub struct SportTotalsRow {
    pub sport_type: String,
    pub count: u64,
    pub distance_m: f64,
    pub moving_time_s: u64,
    pub elapsed_time_s: u64,
    pub elevation_gain_m: f64,
    pub longest_m: f64,
    pub biggest_climb_m: f64,
}

/// Per-sport totals of the owner's live activities started in `[from, to)`.
pub fn sport_totals(
    conn: &Conn,
    tenant: &TenantId,
    user: &UserId,
    (from, to): (i64, i64),
    now: i64,
) -> Result<Vec<SportTotalsRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT sport_type, COUNT(*), SUM(distance_m), CAST(SUM(moving_time_s) AS BIGINT), CAST(SUM(elapsed_time_s) AS BIGINT),
                SUM(total_elevation_gain_m), MAX(distance_m), MAX(total_elevation_gain_m)
         FROM activities WHERE tenant_id = ?1 AND user_id = ?2 AND start_epoch_s >= ?3 AND start_epoch_s < ?4
           AND (expires_at IS NULL OR expires_at > ?5)
         GROUP BY sport_type",
    )?;
    let to_u64 = |v: i64| u64::try_from(v).unwrap_or(0);
    let rows = stmt.query_map(params![tenant.as_str(), user.as_str(), from, to, now], |r| {
        Ok(SportTotalsRow {
            sport_type: r.get(0)?,
            count: to_u64(r.get(1)?),
            distance_m: r.get(2)?,
            moving_time_s: to_u64(r.get(3)?),
            elapsed_time_s: to_u64(r.get(4)?),
            elevation_gain_m: r.get(5)?,
            longest_m: r.get(6)?,
            biggest_climb_m: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
