//! Strava-compatible sandbox provider.
