//! Tracking of a provider's reported rate-limit usage (Strava's `X-RateLimit-*` and
//! `X-ReadRateLimit-*` headers, each `"<15-minute>,<daily>"`), so calls are refused *before* a
//! limit is hit. Windows reset on the quarter hour (:00, :15, :30, :45 UTC) and at UTC midnight,
//! so a reading from an earlier window never blocks. Pure: every method takes `now`.

use chrono::{DateTime, Duration, DurationRound, SecondsFormat, Utc};

use super::error::{WINDOW_15_MIN, WINDOW_DAILY};
use super::types::RateLimitUsage;

/// Limit and usage for both windows of one header pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowPair {
    /// Requests allowed per 15 minutes.
    pub limit_15min: u32,
    /// Requests allowed per day.
    pub limit_daily: u32,
    /// Requests used in the 15-minute window of the reading.
    pub usage_15min: u32,
    /// Requests used on the day of the reading.
    pub usage_daily: u32,
}

impl WindowPair {
    /// Parses a limit header and a usage header, both `"<15-minute>,<daily>"`.
    pub fn parse(limit: &str, usage: &str) -> Option<Self> {
        let (limit_15min, limit_daily) = parse_two(limit)?;
        let (usage_15min, usage_daily) = parse_two(usage)?;
        Some(Self { limit_15min, limit_daily, usage_15min, usage_daily })
    }
}

fn parse_two(value: &str) -> Option<(u32, u32)> {
    let (a, b) = value.split_once(',')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// Raw header values from one response.
#[derive(Debug, Clone, Copy, Default)]
pub struct LimitHeaders<'a> {
    /// `X-RateLimit-Limit`.
    pub limit: Option<&'a str>,
    /// `X-RateLimit-Usage`.
    pub usage: Option<&'a str>,
    /// `X-ReadRateLimit-Limit`.
    pub read_limit: Option<&'a str>,
    /// `X-ReadRateLimit-Usage`.
    pub read_usage: Option<&'a str>,
}

/// An exhausted window: which one and when it resets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted {
    /// [`WINDOW_15_MIN`] or [`WINDOW_DAILY`].
    pub window: &'static str,
    /// When the window resets.
    pub retry_at: DateTime<Utc>,
}

/// One header pair as read at a time.
#[derive(Debug, Clone, Copy)]
struct Reading {
    pair: WindowPair,
    observed_at: DateTime<Utc>,
}

impl Reading {
    /// `(usage_15min, usage_daily)` as it stands at `now`: zero for windows that have reset
    /// since the reading.
    fn current(&self, now: DateTime<Utc>) -> (u32, u32) {
        let seen = self.observed_at;
        let fifteen = if quarter_hour_start(seen) == quarter_hour_start(now) { self.pair.usage_15min } else { 0 };
        let daily = if day_start(seen) == day_start(now) { self.pair.usage_daily } else { 0 };
        (fifteen, daily)
    }

    fn exhausted(&self, now: DateTime<Utc>) -> Option<Exhausted> {
        let (fifteen, daily) = self.current(now);
        let pair = &self.pair;
        if pair.limit_daily > 0 && daily >= pair.limit_daily {
            Some(Exhausted { window: WINDOW_DAILY, retry_at: next_utc_midnight(now) })
        } else if pair.limit_15min > 0 && fifteen >= pair.limit_15min {
            Some(Exhausted { window: WINDOW_15_MIN, retry_at: next_quarter_hour(now) })
        } else {
            None
        }
    }
}

/// The latest usage readings (overall and read-only), each kept with the time it was seen, and
/// the window of a 429 whose headers did not show an exhausted limit.
#[derive(Debug, Clone, Default)]
pub struct RateLimitTracker {
    overall: Option<Reading>,
    read: Option<Reading>,
    /// Set by [`on_rejected`](Self::on_rejected) when the provider refused a request although
    /// the headers showed quota left: every request is held back until `retry_at`.
    rejected: Option<Exhausted>,
}

/// Start of the 15-minute window containing `t`.
pub fn quarter_hour_start(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::minutes(15)).unwrap_or(t)
}

/// Start of the UTC day containing `t`.
pub fn day_start(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::days(1)).unwrap_or(t)
}

/// The next quarter-hour boundary after `t`.
pub fn next_quarter_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    quarter_hour_start(t) + Duration::minutes(15)
}

/// The next UTC midnight after `t`.
pub fn next_utc_midnight(t: DateTime<Utc>) -> DateTime<Utc> {
    day_start(t) + Duration::days(1)
}

impl RateLimitTracker {
    /// Records the headers of a response received at `now`. A pair missing from the response
    /// keeps its previous reading.
    pub fn record(&mut self, headers: LimitHeaders<'_>, now: DateTime<Utc>) {
        let reading = |limit: Option<&str>, usage: Option<&str>| {
            let pair = WindowPair::parse(limit?, usage?)?;
            Some(Reading { pair, observed_at: now })
        };
        if let Some(r) = reading(headers.limit, headers.usage) {
            self.overall = Some(r);
        }
        if let Some(r) = reading(headers.read_limit, headers.read_usage) {
            self.read = Some(r);
        }
    }

    /// The exhausted window, if a request sent at `now` would exceed a limit. Read limits apply
    /// only when `is_read` (GET requests); the overall limits apply to every request.
    pub fn check(&self, is_read: bool, now: DateTime<Utc>) -> Option<Exhausted> {
        let overall = self.overall.and_then(|r| r.exhausted(now));
        let read = if is_read { self.read.and_then(|r| r.exhausted(now)) } else { None };
        let rejected = self.rejected.filter(|e| now < e.retry_at);
        [overall, read, rejected].into_iter().flatten().max_by_key(|e| e.retry_at)
    }

    /// The window to report for a 429 answered at `now` (after [`record`](Self::record) of its
    /// headers): the exhausted one, or the 15-minute window when the headers do not say. In
    /// the latter case the window is remembered, so [`check`](Self::check) refuses requests
    /// until it resets instead of sending them into the provider's refusal.
    pub fn on_rejected(&mut self, is_read: bool, now: DateTime<Utc>) -> Exhausted {
        if let Some(hit) = self.check(is_read, now) {
            return hit;
        }
        let hit = Exhausted { window: WINDOW_15_MIN, retry_at: next_quarter_hour(now) };
        self.rejected = Some(hit);
        hit
    }

    /// Usage as it stands at `now`, or `None` before any reading.
    pub fn usage(&self, now: DateTime<Utc>) -> Option<RateLimitUsage> {
        let observed_at = match (self.overall, self.read) {
            (None, None) => return None,
            (a, b) => a.into_iter().chain(b).map(|r| r.observed_at).max()?,
        };
        let overall = self.overall.map(|r| (r.pair, r.current(now)));
        let read = self.read.map(|r| (r.pair, r.current(now)));
        Some(RateLimitUsage {
            limit_15min: overall.map(|(p, _)| p.limit_15min),
            usage_15min: overall.map(|(_, (u, _))| u),
            limit_daily: overall.map(|(p, _)| p.limit_daily),
            usage_daily: overall.map(|(_, (_, d))| d),
            read_limit_15min: read.map(|(p, _)| p.limit_15min),
            read_usage_15min: read.map(|(_, (u, _))| u),
            read_limit_daily: read.map(|(p, _)| p.limit_daily),
            read_usage_daily: read.map(|(_, (_, d))| d),
            observed_at: observed_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        })
    }
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;
