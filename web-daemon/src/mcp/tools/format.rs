//! Short human summaries for tool results (the first text block).

use crate::provider::{Activity, Totals};

/// `2026-11-25 'Morning Run' (Run, 10.02 km, 52:10)`.
pub fn activity(a: &Activity) -> String {
    let date = a.start_date_local.get(..10).unwrap_or(&a.start_date_local);
    format!("{date} '{}' ({}, {}, {})", a.name, a.sport_type, km(a.distance_m), duration(a.moving_time_s))
}

/// `10.02 km`.
pub fn km(meters: f64) -> String {
    format!("{:.2} km", meters / 1000.0)
}

/// `52:10` or `1:05:03`.
pub fn duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m}:{s:02}") }
}

/// `523.4 km in 61 activities`.
pub fn totals(t: &Totals) -> String {
    format!("{:.1} km in {} activities", t.distance_m / 1000.0, t.count)
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations() {
        assert_eq!(super::duration(3130), "52:10");
        assert_eq!(super::duration(3903), "1:05:03");
        assert_eq!(super::km(10_020.0), "10.02 km");
    }
}
