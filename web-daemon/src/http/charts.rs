//! The dashboard's two charts, drawn from the analytics results: weekly volume as bars stacked by
//! sport ([`weekly`]) and fitness, fatigue and form as three lines ([`fitness`]). Both draw at
//! the width the page asks for (its container's width), so 12 px text stays 12 px on a phone.

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

use super::svg::{Anchor, Svg, nice_scale};
use crate::analytics::load::DayLoad;
use crate::analytics::{SportWeek, WeeklySummary};

/// What the weekly bars measure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WeeklyMetric {
    /// Moving time in hours.
    #[default]
    Time,
    /// Distance in kilometres.
    Distance,
    /// Training load (see `get_training_load`).
    Load,
}

impl WeeklyMetric {
    fn value(self, s: &SportWeek) -> f64 {
        match self {
            WeeklyMetric::Time => s.moving_time_s / 3600.0,
            WeeklyMetric::Distance => s.distance_m / 1000.0,
            WeeklyMetric::Load => s.load,
        }
    }

    fn unit(self) -> &'static str {
        match self {
            WeeklyMetric::Time => "h",
            WeeklyMetric::Distance => "km",
            WeeklyMetric::Load => "load",
        }
    }
}

/// Fixed colours for common sports; others take the next palette colour.
fn sport_colour(sport: &str, index: usize) -> &'static str {
    const PALETTE: [&str; 5] = ["#7c3aed", "#0891b2", "#65a30d", "#b45309", "#64748b"];
    match sport {
        "Run" => "#fc4c02",
        "TrailRun" => "#c2410c",
        "VirtualRun" => "#fb923c",
        "Ride" => "#2563eb",
        "VirtualRide" => "#93c5fd",
        "Swim" => "#0d9488",
        _ => PALETTE[index % PALETTE.len()],
    }
}

/// Short label for an axis date: `3 Mar`.
fn short_date(d: NaiveDate) -> String {
    d.format("%-d %b").to_string()
}

/// Lays out legend entries left to right, wrapping; returns their positions and the height used.
fn legend(svg: &mut Svg, width: f64, items: &[(String, &str)]) -> f64 {
    let (mut x, mut y) = (8.0, 16.0);
    for (label, colour) in items {
        let w = 18.0 + 7.0 * label.chars().count() as f64 + 12.0;
        if x + w > width && x > 8.0 {
            x = 8.0;
            y += 18.0;
        }
        svg.swatch(x, y - 10.0, 10.0, colour);
        svg.text((x + 14.0, y), Anchor::Start, "", label);
        x += w;
    }
    y + 10.0
}

/// Horizontal grid lines with labels on the left, from `min` to `max` in `step`s.
fn grid(svg: &mut Svg, plot: (f64, f64, f64, f64), (min, max, step): (f64, f64, f64), unit: &str) {
    let (left, top, right, bottom) = plot;
    let y_of = |v: f64| bottom - (v - min) / (max - min) * (bottom - top);
    let mut v = min;
    while v <= max + step / 2.0 {
        let y = y_of(v);
        svg.line((left, y), (right, y), if v.abs() < step / 2.0 && min < 0.0 { "zero" } else { "grid" });
        let label = if (v - v.round()).abs() < 1e-9 { format!("{}", v.round()) } else { format!("{v:.1}") };
        svg.text((left - 4.0, y + 4.0), Anchor::End, "", &label);
        v += step;
    }
    svg.text((left - 4.0, top - 8.0), Anchor::End, "", unit);
}

/// The chart's height for a width: wide enough to read on a phone, not too tall on a desktop.
fn height_for(width: f64) -> f64 {
    (width * 0.5).clamp(220.0, 300.0)
}

/// Weekly volume: one bar per ISO week, stacked by sport (largest sports first, at most five
/// named; the rest as "Other").
pub fn weekly(summary: &WeeklySummary, metric: WeeklyMetric, width: f64) -> String {
    let height = height_for(width);
    let title = format!("Weekly volume ({}) over {} weeks", metric.unit(), summary.weeks.len());
    let mut totals: Vec<(String, f64)> = Vec::new();
    for week in &summary.weeks {
        for s in &week.sports {
            match totals.iter_mut().find(|(n, _)| *n == s.sport) {
                Some((_, v)) => *v += metric.value(&s.totals),
                None => totals.push((s.sport.clone(), metric.value(&s.totals))),
            }
        }
    }
    totals.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let named: Vec<String> = totals.iter().take(5).map(|(n, _)| n.clone()).collect();
    let other = totals.len() > named.len();
    let mut keys: Vec<(String, &str)> =
        named.iter().enumerate().map(|(i, n)| (n.clone(), sport_colour(n, i))).collect();
    if other {
        keys.push(("Other".to_owned(), "#94a3b8"));
    }
    let desc = format!(
        "Stacked bars per week; sports: {}",
        if keys.is_empty() {
            "none".to_owned()
        } else {
            keys.iter().map(|k| k.0.as_str()).collect::<Vec<_>>().join(", ")
        }
    );
    let mut svg = Svg::new(width, height, &title, &desc);
    let top = legend(&mut svg, width, &keys) + 24.0; // room for the unit above the axis
    let (left, right, bottom) = (40.0, width - 8.0, height - 22.0);
    let stacks: Vec<Vec<(usize, f64)>> = summary
        .weeks
        .iter()
        .map(|w| {
            let mut stack: Vec<(usize, f64)> = Vec::new();
            for s in &w.sports {
                let key = named.iter().position(|n| *n == s.sport).unwrap_or(named.len());
                match stack.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, v)) => *v += metric.value(&s.totals),
                    None => stack.push((key, metric.value(&s.totals))),
                }
            }
            stack.sort_by_key(|(k, _)| *k);
            stack
        })
        .collect();
    let peak = stacks.iter().map(|s| s.iter().map(|(_, v)| v).sum::<f64>()).fold(0.0, f64::max);
    let (max, step) = nice_scale(peak, 4);
    grid(&mut svg, (left, top, right, bottom), (0.0, max, step), metric.unit());
    let n = summary.weeks.len().max(1) as f64;
    let band = (right - left) / n;
    let label_every = ((52.0 / band).ceil() as usize).max(1);
    for (i, (week, stack)) in summary.weeks.iter().zip(&stacks).enumerate() {
        let x = left + band * i as f64 + band * 0.15;
        let mut y = bottom;
        for (key, value) in stack {
            let h = value / max * (bottom - top);
            let (name, colour) = keys.get(*key).map_or(("Other", "#94a3b8"), |(n, c)| (n.as_str(), *c));
            y -= h;
            svg.rect(x, y, band * 0.7, h, colour, &format!("{} {name}: {value:.1} {}", week.week, metric.unit()));
        }
        if i % label_every == 0 {
            svg.text((x + band * 0.35, height - 6.0), Anchor::Middle, "", &short_date(week.start_date));
        }
    }
    if peak <= 0.0 {
        svg.text((width / 2.0, (top + bottom) / 2.0), Anchor::Middle, "empty", "No activities in these weeks");
    }
    svg.finish()
}

/// Fitness (CTL), fatigue (ATL) and form (TSB) per day, with today's values in the legend.
pub fn fitness(series: &[DayLoad], width: f64) -> String {
    let height = height_for(width);
    let today = series.last();
    let value = |f: fn(&DayLoad) -> f64| today.map_or("–".to_owned(), |d| format!("{:.0}", f(d)));
    let keys = [
        (format!("Fitness (CTL) {}", value(|d| d.ctl)), "#2563eb"),
        (format!("Fatigue (ATL) {}", value(|d| d.atl)), "#db2777"),
        (format!("Form (TSB) {}", value(|d| d.tsb)), "#ea8a00"),
    ];
    let title = format!("Fitness, fatigue and form over {} days", series.len());
    let desc = keys.iter().map(|k| k.0.as_str()).collect::<Vec<_>>().join(", ");
    let mut svg = Svg::new(width, height, &title, &desc);
    let top = legend(&mut svg, width, &keys) + 14.0;
    let (left, right, bottom) = (40.0, width - 8.0, height - 22.0);
    let hi = series.iter().map(|d| d.ctl.max(d.atl).max(d.tsb)).fold(0.0, f64::max);
    let lo = series.iter().map(|d| d.tsb.min(d.ctl).min(d.atl)).fold(0.0, f64::min);
    // One step size for both signs, so zero sits on a grid line.
    let (_, step) = nice_scale(hi - lo, 4);
    let (min, max) = ((lo / step).floor() * step, ((hi / step).ceil() * step).max(step));
    grid(&mut svg, (left, top, right, bottom), (min, max, step), "");
    let n = series.len().saturating_sub(1).max(1) as f64;
    let x_of = |i: usize| left + (right - left) * i as f64 / n;
    let y_of = |v: f64| bottom - (v - min) / (max - min) * (bottom - top);
    for (class, f) in
        [("line ctl", (|d: &DayLoad| d.ctl) as fn(&DayLoad) -> f64), ("line atl", |d| d.atl), ("line tsb", |d| d.tsb)]
    {
        let points: Vec<(f64, f64)> = series.iter().enumerate().map(|(i, d)| (x_of(i), y_of(f(d)))).collect();
        if points.len() >= 2 {
            svg.polyline(&points, class);
        }
    }
    let every = ((80.0 / ((right - left) / n)).ceil() as usize).max(1);
    for (i, d) in series.iter().enumerate().step_by(every) {
        let anchor = if i == 0 { Anchor::Start } else { Anchor::Middle };
        svg.text((x_of(i), height - 6.0), anchor, "", &short_date(d.date));
    }
    if series.iter().all(|d| d.ctl == 0.0 && d.atl == 0.0) {
        svg.text((width / 2.0, (top + bottom) / 2.0), Anchor::Middle, "empty", "No training load in this period");
    }
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::{SportTotals, Week};

    fn week(start: &str, sports: &[(&str, f64)]) -> Week {
        let mut total = SportWeek::default();
        let sports = sports
            .iter()
            .map(|(name, hours)| {
                let s = SportWeek {
                    count: 1,
                    moving_time_s: hours * 3600.0,
                    distance_m: hours * 10_000.0,
                    ..Default::default()
                };
                total.moving_time_s += s.moving_time_s;
                SportTotals { sport: (*name).to_owned(), totals: s }
            })
            .collect();
        Week { week: "2026-W01".into(), start_date: start.parse().expect("date"), sports, total }
    }

    #[test]
    fn weekly_stacks_one_bar_per_sport_and_escapes_names() {
        let summary = WeeklySummary {
            weeks: vec![
                week("2026-01-05", &[("Run", 3.0), ("<b>Yoga</b>", 1.0)]),
                week("2026-01-12", &[("Ride", 5.0)]),
            ],
            totals: SportWeek::default(),
        };
        let svg = weekly(&summary, WeeklyMetric::Time, 390.0);
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 3, "{svg}");
        assert!(svg.contains("&lt;b&gt;Yoga&lt;/b&gt;") && !svg.contains("<b>"), "{svg}");
        assert!(svg.contains("viewBox=\"0 0 390 220\""), "{svg}");
        assert!(!svg.contains("No activities"));
    }

    #[test]
    fn weekly_without_activities_says_so() {
        let summary = WeeklySummary { weeks: vec![week("2026-01-05", &[])], totals: SportWeek::default() };
        let svg = weekly(&summary, WeeklyMetric::Distance, 720.0);
        assert!(svg.contains("No activities in these weeks") && !svg.contains("class=\"bar\""), "{svg}");
    }

    #[test]
    fn fitness_draws_three_lines_with_today_in_the_legend() {
        let start: NaiveDate = "2026-01-01".parse().expect("date");
        let series: Vec<DayLoad> = (0..30)
            .map(|i| DayLoad {
                date: start + chrono::Days::new(i),
                load: 50.0,
                ctl: i as f64,
                atl: 2.0 * i as f64,
                tsb: -(i as f64),
            })
            .collect();
        let svg = fitness(&series, 600.0);
        for class in ["line ctl", "line atl", "line tsb"] {
            assert_eq!(svg.matches(&format!("<polyline class=\"{class}\"")).count(), 1, "{class}");
        }
        assert!(svg.contains("Fitness (CTL) 29") && svg.contains("Form (TSB) -29"), "{svg}");
        assert!(svg.contains("class=\"zero\""), "negative form draws the zero line");
    }
}
