//! Integration tests of pacer-files: formats, caps, archives, time zones.

mod archive;
mod bombs;
mod formats;
mod timezones;
