//! [`PeakAlloc`]: per-thread counting of live and peak heap bytes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    /// Bytes this thread allocated minus bytes it freed (may go negative when a thread frees
    /// what another allocated; only differences are used).
    static LIVE: Cell<i64> = const { Cell::new(0) };
    /// Highest `LIVE` since the last [`PeakAlloc::measure`] started on this thread.
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

/// The system allocator, counting per thread. Per thread, so the test harness's other threads
/// (cargo test runs tests in parallel) do not disturb a measurement.
pub struct PeakAlloc;

impl PeakAlloc {
    /// The allocator; install it with `#[global_allocator]`.
    pub const fn new() -> Self {
        PeakAlloc
    }

    /// Runs `f` and returns its value with the peak of bytes it held at once on this thread,
    /// above what was live when it started.
    pub fn measure<R>(&self, f: impl FnOnce() -> R) -> (R, u64) {
        let base = LIVE.try_with(Cell::get).unwrap_or(0);
        let _ = PEAK.try_with(|p| p.set(base));
        let value = f();
        let peak = PEAK.try_with(Cell::get).unwrap_or(base);
        (value, u64::try_from(peak - base).unwrap_or(0))
    }

    fn add(bytes: usize) {
        let bytes = i64::try_from(bytes).unwrap_or(i64::MAX);
        let _ = LIVE.try_with(|live| {
            let now = live.get().saturating_add(bytes);
            live.set(now);
            let _ = PEAK.try_with(|peak| {
                if now > peak.get() {
                    peak.set(now);
                }
            });
        });
    }

    fn sub(bytes: usize) {
        let bytes = i64::try_from(bytes).unwrap_or(i64::MAX);
        let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(bytes)));
    }
}

impl Default for PeakAlloc {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: every call is forwarded unchanged to `System`; the counters touch only const-initialised
// thread-locals without destructors, which never allocate.
unsafe impl GlobalAlloc for PeakAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            Self::add(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            Self::add(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) };
        Self::sub(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            Self::add(new_size);
            Self::sub(layout.size());
        }
        new
    }
}
