//! Sport types: Strava's `SportType` names, and the mapping from the sport a file names
//! (GPX `type`, TCX `Sport`, FIT `sport`/`sub_sport`) to one of them.

/// Strava's `SportType` values.
#[rustfmt::skip]
pub const SPORT_TYPES: [&str; 50] = [
    "AlpineSki", "BackcountrySki", "Badminton", "Canoeing", "Crossfit", "EBikeRide", "Elliptical",
    "EMountainBikeRide", "Golf", "GravelRide", "Handcycle", "HighIntensityIntervalTraining", "Hike",
    "IceSkate", "InlineSkate", "Kayaking", "Kitesurf", "MountainBikeRide", "NordicSki", "Pickleball",
    "Pilates", "Racquetball", "Ride", "RockClimbing", "RollerSki", "Rowing", "Run", "Sail",
    "Skateboard", "Snowboard", "Snowshoe", "Soccer", "Squash", "StairStepper", "StandUpPaddling",
    "Surfing", "Swim", "TableTennis", "Tennis", "TrailRun", "Velomobile", "VirtualRide", "VirtualRow",
    "VirtualRun", "Walk", "WeightTraining", "Wheelchair", "Windsurf", "Workout", "Yoga",
];

/// Parses a sport type name case-insensitively (`run` → `Run`).
pub fn sport_type(value: &str) -> Option<&'static str> {
    let value = value.trim();
    SPORT_TYPES.iter().copied().find(|s| s.eq_ignore_ascii_case(value))
}

/// Maps a sport named in a file (`running`, `cycling`, `trail_running`, …) to a sport type;
/// sport type names themselves are accepted too.
pub fn sport_from_file(value: &str) -> Option<&'static str> {
    let lower = value.trim().to_ascii_lowercase();
    Some(match lower.as_str() {
        "running" | "run" | "street_running" | "track" | "treadmill" => "Run",
        "trail_running" | "trail" => "TrailRun",
        "biking" | "cycling" | "ride" | "road" | "road_biking" => "Ride",
        "mountain" | "mountain_biking" => "MountainBikeRide",
        "gravel_cycling" => "GravelRide",
        "virtual_activity" | "virtual_ride" | "indoor_cycling" => "VirtualRide",
        "swimming" | "swim" | "lap_swimming" | "open_water" => "Swim",
        "walking" | "walk" => "Walk",
        "hiking" | "hike" => "Hike",
        "strength_training" | "weight_training" => "WeightTraining",
        _ => return sport_type(value),
    })
}

/// Sport types counted as runs (Strava's run totals, running records).
pub const RUN_SPORTS: [&str; 3] = ["Run", "TrailRun", "VirtualRun"];

/// Sport types counted as rides (Strava's ride totals).
pub const RIDE_SPORTS: [&str; 6] =
    ["Ride", "VirtualRide", "GravelRide", "MountainBikeRide", "EBikeRide", "EMountainBikeRide"];

/// Strava's default activity title by local start hour: "Morning Run", "Lunch Ride",
/// "Evening Weight Training", …
pub fn default_name(sport: &str, local_hour: u32) -> String {
    let part = match local_hour {
        4..=10 => "Morning",
        11..=13 => "Lunch",
        14..=17 => "Afternoon",
        18..=20 => "Evening",
        _ => "Night",
    };
    let noun = match sport {
        "WeightTraining" => "Weight Training",
        "VirtualRide" => "Virtual Ride",
        "TrailRun" => "Trail Run",
        "MountainBikeRide" => "Mountain Bike Ride",
        "GravelRide" => "Gravel Ride",
        other => other,
    };
    format!("{part} {noun}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_sports_map_to_sport_types() {
        assert_eq!(sport_from_file("Running"), Some("Run"));
        assert_eq!(sport_from_file("Biking"), Some("Ride"));
        assert_eq!(sport_from_file("trail_running"), Some("TrailRun"));
        assert_eq!(sport_from_file("yoga"), Some("Yoga"));
        assert_eq!(sport_from_file("Other"), None);
        assert_eq!(sport_type(" alpineski "), Some("AlpineSki"));
    }
}
