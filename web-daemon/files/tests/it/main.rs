//! Integration tests of pacer-files: formats, caps, archives, time zones.

mod archive;
mod bombs;
mod formats;
mod proof;
mod timezones;

/// Counts each thread's allocations so the property tests can assert a peak per case.
#[global_allocator]
static ALLOC: pacer_proof::PeakAlloc = pacer_proof::PeakAlloc::new();
