//! Strava's `activities.csv`: one row per activity. Real exports repeat some column names
//! (two `Distance`, two `Elapsed Time`, …); the first column of a name wins.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ArchiveError;

/// The CSV row of one activity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvActivity {
    /// `Activity ID`.
    pub id: Option<u64>,
    /// `Activity Date` (UTC; e.g. `Jan 5, 2024, 7:12:34 AM`).
    pub date: Option<DateTime<Utc>>,
    /// `Activity Name`.
    pub name: Option<String>,
    /// `Activity Type` as written (`Run`, `Ride`, `Weight Training`, …).
    pub activity_type: Option<String>,
    /// `Activity Description`.
    pub description: Option<String>,
    /// `Filename`: the entry path in the archive (`activities/10485720934.fit.gz`).
    pub filename: Option<String>,
}

/// Formats Strava has used for `Activity Date`.
const DATE_FORMATS: [&str; 3] = ["%b %d, %Y, %I:%M:%S %p", "%b %d, %Y %I:%M:%S %p", "%Y-%m-%d %H:%M:%S"];

fn parse_date(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    DATE_FORMATS.iter().find_map(|f| NaiveDateTime::parse_from_str(value, f).ok()).map(|t| t.and_utc())
}

/// Column positions by name, the first occurrence of each.
struct Columns(HashMap<String, usize>);

impl Columns {
    fn new(headers: &csv::StringRecord) -> Self {
        let mut map = HashMap::new();
        for (i, name) in headers.iter().enumerate() {
            map.entry(name.trim().trim_start_matches('\u{feff}').to_owned()).or_insert(i);
        }
        Self(map)
    }

    fn get(&self, row: &csv::StringRecord, name: &str) -> Option<String> {
        let value = row.get(*self.0.get(name)?)?.trim();
        (!value.is_empty()).then(|| value.to_owned())
    }
}

/// Parses `activities.csv` into rows keyed by `Filename` (rows without one are returned
/// apart, in order).
pub(crate) fn parse_activities_csv(
    bytes: &[u8],
) -> Result<(HashMap<String, CsvActivity>, Vec<CsvActivity>), ArchiveError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let csv_error = |e: csv::Error| ArchiveError::Csv(e.to_string());
    let columns = Columns::new(reader.headers().map_err(csv_error)?);
    let (mut by_file, mut without_file) = (HashMap::new(), Vec::new());
    for row in reader.records() {
        let row = row.map_err(csv_error)?;
        let activity = CsvActivity {
            id: columns.get(&row, "Activity ID").and_then(|v| v.parse().ok()),
            date: columns.get(&row, "Activity Date").as_deref().and_then(parse_date),
            name: columns.get(&row, "Activity Name"),
            activity_type: columns.get(&row, "Activity Type"),
            description: columns.get(&row, "Activity Description"),
            filename: columns.get(&row, "Filename"),
        };
        match activity.filename.clone() {
            Some(file) => {
                by_file.insert(file, activity);
            }
            None => without_file.push(activity),
        }
    }
    Ok((by_file, without_file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strava_dates() {
        let expected = DateTime::parse_from_rfc3339("2024-01-05T07:12:34Z").ok().map(|t| t.with_timezone(&Utc));
        assert_eq!(parse_date("Jan 5, 2024, 7:12:34 AM"), expected);
        assert_eq!(parse_date("Jan 05, 2024, 07:12:34 AM"), expected);
        let pm = DateTime::parse_from_rfc3339("2023-12-31T19:00:00Z").ok().map(|t| t.with_timezone(&Utc));
        assert_eq!(parse_date("Dec 31, 2023, 7:00:00 PM"), pm);
        assert_eq!(parse_date("yesterday"), None);
    }
}
