//! Stored streams (`activity_streams`): one row per activity, the series as gzip-compressed
//! JSON, already downsampled by the writer (at most [`MAX_STORED_POINTS`] samples).

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};

use crate::store::{Conn, OptionalExtension, params};
use pacer_shared::{TenantId, UserId};

use super::StoreError;

/// The most samples per series the store keeps (shape kept by LTTB when downsampling).
pub const MAX_STORED_POINTS: usize = 2_000;

/// Largest decompressed stream row accepted back from the database.
const MAX_JSON_BYTES: u64 = 16 * 1024 * 1024;

/// An activity's stored series.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredStreams {
    /// Samples recorded in the source.
    pub original_points: usize,
    /// Series by stream key (`time`, `heartrate`, `latlng`, …), aligned by index.
    pub series: BTreeMap<String, Vec<serde_json::Value>>,
}

impl StoredStreams {
    /// Samples per series as stored.
    pub fn stored_points(&self) -> usize {
        self.series.values().map(Vec::len).max().unwrap_or(0)
    }
}

fn compress(series: &BTreeMap<String, Vec<serde_json::Value>>) -> Result<Vec<u8>, StoreError> {
    let json = serde_json::to_vec(series).map_err(|e| StoreError::Invalid(format!("streams: {e}")))?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&json).and_then(|()| gz.finish()).map_err(|e| StoreError::Invalid(format!("streams: {e}")))
}

fn decompress(bytes: &[u8]) -> Result<BTreeMap<String, Vec<serde_json::Value>>, StoreError> {
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(MAX_JSON_BYTES)
        .read_to_end(&mut json)
        .map_err(|e| StoreError::Invalid(format!("stored streams: {e}")))?;
    serde_json::from_slice(&json).map_err(|e| StoreError::Invalid(format!("stored streams: {e}")))
}

/// Stores (or replaces) the streams of the owner's activity `activity_id`.
pub fn put(
    conn: &Conn,
    tenant: &TenantId,
    user: &UserId,
    activity_id: u64,
    streams: &StoredStreams,
) -> Result<(), StoreError> {
    let id = i64::try_from(activity_id).map_err(|_| StoreError::Invalid("activity id out of range".into()))?;
    let keys = streams.series.keys().cloned().collect::<Vec<_>>().join(",");
    conn.execute(
        "INSERT INTO activity_streams (tenant_id, user_id, activity_id, original_points, stored_points, stream_keys, data_gzip)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (tenant_id, user_id, activity_id) DO UPDATE SET original_points = excluded.original_points,
           stored_points = excluded.stored_points, stream_keys = excluded.stream_keys, data_gzip = excluded.data_gzip",
        params![
            tenant.as_str(),
            user.as_str(),
            id,
            i64::try_from(streams.original_points).unwrap_or(i64::MAX),
            i64::try_from(streams.stored_points()).unwrap_or(i64::MAX),
            keys,
            compress(&streams.series)?
        ],
    )?;
    Ok(())
}

/// The streams of the owner's activity, if stored (and the activity is live at `now`).
pub fn get(
    conn: &Conn,
    tenant: &TenantId,
    user: &UserId,
    activity_id: u64,
    now: i64,
) -> Result<Option<StoredStreams>, StoreError> {
    let Ok(id) = i64::try_from(activity_id) else { return Ok(None) };
    let row: Option<(i64, Vec<u8>)> = conn
        .prepare_cached(
            "SELECT s.original_points, s.data_gzip FROM activity_streams s
             JOIN activities a ON a.tenant_id = s.tenant_id AND a.user_id = s.user_id AND a.id = s.activity_id
             WHERE s.tenant_id = ?1 AND s.user_id = ?2 AND s.activity_id = ?3
               AND (a.expires_at IS NULL OR a.expires_at > ?4)",
        )?
        .query_row(params![tenant.as_str(), user.as_str(), id, now], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((original, data)) = row else { return Ok(None) };
    Ok(Some(StoredStreams { original_points: usize::try_from(original).unwrap_or(0), series: decompress(&data)? }))
}
