use super::*;
use chrono::TimeZone;

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, h, m, s).single().expect("valid time")
}

fn headers<'a>(usage: &'a str, read_usage: Option<&'a str>) -> LimitHeaders<'a> {
    LimitHeaders { limit: Some("200,2000"), usage: Some(usage), read_limit: read_usage.map(|_| "100,1000"), read_usage }
}

#[test]
fn parses_pairs() {
    let pair = WindowPair::parse("200, 2000", "12,345").expect("parse");
    assert_eq!(pair, WindowPair { limit_15min: 200, limit_daily: 2000, usage_15min: 12, usage_daily: 345 });
    assert!(WindowPair::parse("200", "1,2").is_none());
    assert!(WindowPair::parse("200,x", "1,2").is_none());
}

#[test]
fn boundaries() {
    assert_eq!(next_quarter_hour(at(13, 9, 48)), at(13, 15, 0));
    assert_eq!(next_quarter_hour(at(13, 15, 0)), at(13, 30, 0));
    assert_eq!(next_quarter_hour(at(23, 59, 59)), Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).single().expect("t"));
    assert_eq!(next_utc_midnight(at(13, 9, 48)), Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).single().expect("t"));
}

#[test]
fn refuses_when_15_minute_limit_reached_until_next_window() {
    let mut t = RateLimitTracker::default();
    assert_eq!(t.check(true, at(13, 0, 0)), None, "no reading, no refusal");
    t.record(headers("199,500", None), at(13, 2, 0));
    assert_eq!(t.check(true, at(13, 3, 0)), None);
    t.record(headers("200,501", None), at(13, 4, 0));
    let hit = t.check(false, at(13, 9, 48)).expect("exhausted");
    assert_eq!(hit, Exhausted { window: WINDOW_15_MIN, retry_at: at(13, 15, 0) });
    assert_eq!(t.check(false, at(13, 15, 0)), None, "stale reading from the previous window");
}

#[test]
fn daily_limit_blocks_until_midnight() {
    let mut t = RateLimitTracker::default();
    t.record(headers("3,2000", None), at(10, 0, 0));
    let hit = t.check(false, at(18, 0, 0)).expect("exhausted");
    assert_eq!(hit.window, WINDOW_DAILY);
    assert_eq!(hit.retry_at, Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).single().expect("t"));
    let tomorrow = Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 1).single().expect("t");
    assert_eq!(t.check(false, tomorrow), None);
}

#[test]
fn read_limits_apply_to_reads_only() {
    let mut t = RateLimitTracker::default();
    t.record(headers("100,100", Some("100,100")), at(9, 1, 0));
    assert_eq!(t.check(true, at(9, 2, 0)).map(|e| e.window), Some(WINDOW_15_MIN));
    assert_eq!(t.check(false, at(9, 2, 0)), None);
}

#[test]
fn rejected_defaults_to_15_minutes() {
    let mut t = RateLimitTracker::default();
    assert_eq!(t.on_rejected(true, at(9, 44, 0)).retry_at, at(9, 45, 0));
}

#[test]
fn unexplained_429_holds_every_request_until_the_window_resets() {
    let mut t = RateLimitTracker::default();
    t.record(headers("10,100", Some("5,50")), at(9, 40, 0));
    assert_eq!(t.check(true, at(9, 40, 0)), None, "quota left");
    let hit = t.on_rejected(true, at(9, 40, 0));
    assert_eq!((hit.window, hit.retry_at), (WINDOW_15_MIN, at(9, 45, 0)));
    assert_eq!(t.check(true, at(9, 41, 0)), Some(hit), "reads held back");
    assert_eq!(t.check(false, at(9, 44, 59)), Some(hit), "writes held back");
    assert_eq!(t.check(true, at(9, 45, 0)), None, "new window");
}

#[test]
fn usage_zeroes_reset_windows() {
    let mut t = RateLimitTracker::default();
    assert!(t.usage(at(1, 0, 0)).is_none());
    t.record(LimitHeaders { limit: Some("200,2000"), usage: None, ..Default::default() }, at(1, 0, 0));
    assert!(t.usage(at(1, 0, 0)).is_none(), "half a pair is ignored");
    t.record(headers("20,300", Some("10,150")), at(1, 5, 0));
    let now = t.usage(at(1, 10, 0)).expect("usage");
    assert_eq!((now.usage_15min, now.usage_daily, now.read_usage_15min), (Some(20), Some(300), Some(10)));
    let later = t.usage(at(1, 20, 0)).expect("usage");
    assert_eq!((later.usage_15min, later.usage_daily, later.read_limit_daily), (Some(0), Some(300), Some(1000)));
    assert_eq!(later.observed_at, "2026-11-25T01:05:00Z");
}
