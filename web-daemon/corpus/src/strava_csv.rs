//! `activities.csv` and `profile.csv` as in Strava's "Download your data" export, including the
//! quirks importers must survive: repeated column names (`Elapsed Time`, `Distance`, `Max Heart
//! Rate`, `Relative Effort`, `Commute` appear twice, first in display units, then raw) and
//! `Activity Date` as `Jan 5, 2024, 7:12:34 AM` in UTC.

use crate::model::{GeneratedActivity, SportType};

/// The header row of `activities.csv`.
pub const ACTIVITIES_HEADER: [&str; 94] = [
    "Activity ID",
    "Activity Date",
    "Activity Name",
    "Activity Type",
    "Activity Description",
    "Elapsed Time",
    "Distance",
    "Max Heart Rate",
    "Relative Effort",
    "Commute",
    "Activity Private Note",
    "Activity Gear",
    "Filename",
    "Athlete Weight",
    "Bike Weight",
    "Elapsed Time",
    "Moving Time",
    "Distance",
    "Max Speed",
    "Average Speed",
    "Elevation Gain",
    "Elevation Loss",
    "Elevation Low",
    "Elevation High",
    "Max Grade",
    "Average Grade",
    "Average Positive Grade",
    "Average Negative Grade",
    "Max Cadence",
    "Average Cadence",
    "Max Heart Rate",
    "Average Heart Rate",
    "Max Watts",
    "Average Watts",
    "Calories",
    "Max Temperature",
    "Average Temperature",
    "Relative Effort",
    "Total Work",
    "Number of Runs",
    "Uphill Time",
    "Downhill Time",
    "Other Time",
    "Perceived Exertion",
    "Type",
    "Start Time",
    "Weighted Average Power",
    "Power Count",
    "Prefer Perceived Exertion",
    "Perceived Relative Effort",
    "Commute",
    "Total Weight Lifted",
    "From Upload",
    "Grade Adjusted Distance",
    "Weather Observation Time",
    "Weather Condition",
    "Weather Temperature",
    "Apparent Temperature",
    "Dewpoint",
    "Humidity",
    "Weather Pressure",
    "Wind Speed",
    "Wind Gust",
    "Wind Bearing",
    "Precipitation Intensity",
    "Sunrise Time",
    "Sunset Time",
    "Moon Phase",
    "Bike",
    "Gear",
    "Precipitation Probability",
    "Precipitation Type",
    "Cloud Cover",
    "Weather Visibility",
    "UV Index",
    "Weather Ozone",
    "Jump Count",
    "Total Grit",
    "Average Flow",
    "Flagged",
    "Average Elapsed Speed",
    "Dirt Distance",
    "Newly Explored Distance",
    "Newly Explored Dirt Distance",
    "Activity Count",
    "Total Steps",
    "Carbon Saved",
    "Pool Length",
    "Training Load",
    "Intensity",
    "Average Grade Adjusted Pace",
    "Timer Time",
    "Total Cycles",
    "Media",
];

/// The header row of `profile.csv`.
pub const PROFILE_HEADER: [&str; 12] = [
    "Athlete ID",
    "Email Address",
    "First Name",
    "Last Name",
    "Sex",
    "Description",
    "Weight",
    "City",
    "State",
    "Country",
    "Health Consent Status",
    "Date of Health Consent Status",
];

/// The athlete's `profile.csv` row.
pub fn profile_row() -> Vec<String> {
    [
        "48213377",
        "femke@example.com",
        "Femke",
        "de Vries",
        "F",
        "Running, riding, the odd swim.",
        "62.0",
        "Amsterdam",
        "Noord-Holland",
        "Netherlands",
        "",
        "",
    ]
    .map(String::from)
    .to_vec()
}

/// `Jan 5, 2024, 7:12:34 AM` (UTC), Strava's `Activity Date` format.
pub fn activity_date(activity: &GeneratedActivity) -> String {
    activity.start.format("%b %-d, %Y, %-I:%M:%S %p").to_string()
}

/// One `activities.csv` row for `activity`, whose file is at `filename` in the archive.
pub fn activity_row(activity: &GeneratedActivity, filename: &str) -> Vec<String> {
    let t = &activity.totals;
    let f1 = |v: f64| format!("{v:.1}");
    let opt = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_default();
    let altitudes = activity.samples.iter().filter_map(|s| s.altitude_m);
    let low = altitudes.clone().reduce(f64::min);
    let high = altitudes.reduce(f64::max);
    let effort = relative_effort(activity);
    let avg_speed = if t.moving_s > 0 { t.distance_m / f64::from(t.moving_s) } else { 0.0 };
    let ride = activity.sport.is_ride();
    let calories = t.avg_power.map_or(t.distance_m * 0.07, |w| w * f64::from(t.moving_s) / 1000.0);
    let steps = match (activity.sport.is_run(), t.avg_cadence) {
        (true, Some(c)) => format!("{}", (c * 2.0 * f64::from(t.moving_s) / 60.0).round()),
        _ => String::new(),
    };
    let mut row: Vec<String> = vec![
        activity.id.to_string(),
        activity_date(activity),
        activity.name.clone(),
        activity.sport.as_str().to_string(),
        activity.description.clone(),
        t.elapsed_s.to_string(),
        format!("{:.2}", t.distance_m / 1000.0),
        opt(t.max_heart_rate.map(f64::from)),
        effort.to_string(),
        activity.commute.to_string(),
        String::new(),
        activity.gear.clone().unwrap_or_default(),
        filename.to_string(),
        "62.0".to_string(),
        if ride { "8.2".to_string() } else { String::new() },
        f1(f64::from(t.elapsed_s)),
        f1(f64::from(t.moving_s)),
        format!("{:.1}", t.distance_m),
        format!("{:.3}", t.max_speed_mps),
        format!("{avg_speed:.3}"),
        f1(t.elevation_gain_m),
        f1(t.elevation_loss_m),
        opt(low),
        opt(high),
    ];
    row.extend(["", "", "", ""].map(String::from)); // grades
    row.extend([
        String::new(),
        opt(t.avg_cadence),
        opt(t.max_heart_rate.map(f64::from)),
        opt(t.avg_heart_rate),
        opt(t.max_power.map(f64::from)),
        opt(t.avg_power),
        f1(calories),
        opt(activity.samples.iter().filter_map(|s| s.temperature_c).max().map(f64::from)),
        String::new(),
        f1(f64::from(effort)),
    ]);
    row.resize(ACTIVITIES_HEADER.len(), String::new());
    let mut set = |name: &str, occurrence: usize, value: String| row[column(name, occurrence)] = value;
    set("Commute", 1, if activity.commute { "1.0" } else { "0.0" }.to_string());
    set("From Upload", 0, "1.0".to_string());
    set("Average Elapsed Speed", 0, format!("{:.3}", t.distance_m / f64::from(t.elapsed_s.max(1))));
    set("Activity Count", 0, "1.0".to_string());
    set("Total Steps", 0, steps);
    set("Pool Length", 0, if activity.sport == SportType::Swim { "25.0".to_string() } else { String::new() });
    set("Timer Time", 0, f1(f64::from(t.moving_s)));
    row
}

/// Index of the `occurrence`-th (0-based) column called `name` in [`ACTIVITIES_HEADER`].
pub fn column(name: &str, occurrence: usize) -> usize {
    ACTIVITIES_HEADER
        .iter()
        .enumerate()
        .filter(|(_, h)| **h == name)
        .nth(occurrence)
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("no column {name} #{occurrence}"))
}

/// A TRIMP-like score: minutes weighted by how far heart rate sits above easy.
pub fn relative_effort(activity: &GeneratedActivity) -> u32 {
    let load: f64 = activity
        .samples
        .iter()
        .filter_map(|s| s.heart_rate)
        .map(|hr| {
            let x = (f64::from(hr) - 110.0).max(0.0) / 70.0;
            x * x / 60.0
        })
        .sum();
    (load * 1.6).round() as u32
}
