//! pacer-shared integration tests: property tests of the socket protocol.

mod frames;

/// Counts each thread's allocations so the property tests can assert a peak per case.
#[global_allocator]
static ALLOC: pacer_proof::PeakAlloc = pacer_proof::PeakAlloc::new();
