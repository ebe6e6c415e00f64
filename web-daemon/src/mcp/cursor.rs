//! Opaque list cursors: the position after the last item of a page as (sort key, sort value,
//! id), base64url JSON. Keyset positions, so a page boundary stays put when activities are added.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rmcp::ErrorData;
use serde::{Deserialize, Serialize};

use super::params::invalid;

#[derive(Serialize, Deserialize)]
struct Position {
    /// Which order the cursor belongs to.
    s: String,
    v: f64,
    i: i64,
}

/// The cursor after an item with sort `value` and `id`, in the order named `sort`.
pub fn encode(sort: &str, value: f64, id: u64) -> String {
    let position = Position { s: sort.to_owned(), v: value, i: i64::try_from(id).unwrap_or(i64::MAX) };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&position).unwrap_or_default())
}

/// The (value, id) of a cursor made by [`encode`] for the order `sort`; `-32602` on `cursor`
/// otherwise.
pub fn decode(cursor: &str, sort: &str) -> Result<(f64, i64), ErrorData> {
    let bad = || invalid("cursor", "not a cursor from this tool's next_cursor");
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| bad())?;
    let position: Position = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if position.s != sort {
        return Err(invalid("cursor", "belongs to another sort order"));
    }
    Ok((position.v, position.i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let c = encode("newest", 1_700_000_000.0, 42);
        assert_eq!(decode(&c, "newest").ok(), Some((1_700_000_000.0, 42)));
        assert!(decode(&c, "oldest").is_err_and(|e| e.message.contains("another sort")));
        assert!(decode("%%%", "newest").is_err_and(|e| e.message.starts_with("cursor:")));
    }
}
