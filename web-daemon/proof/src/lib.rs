//! Test support for pacer's property tests (dev-dependency only).
//!
//! - [`PeakAlloc`]: a global allocator wrapper that counts the bytes each thread allocates, so a
//!   property can assert the peak allocation of one case ([`PeakAlloc::measure`]).
//! - [`mutated`]: a proptest strategy that damages a valid input (bit flips, overwrites,
//!   insertions, deletions, truncation, duplicated ranges).
//! - [`json_value`], [`json_object`]: arbitrary JSON biased towards a struct's field names.
//! - [`config`]: the one case count ([`CASES`]) and regression-file policy every target uses.
//!
//! A test binary installs the allocator once:
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOC: pacer_proof::PeakAlloc = pacer_proof::PeakAlloc::new();
//! ```

#![warn(missing_docs)]

mod alloc;
mod json;
mod mutate;

pub use alloc::PeakAlloc;
pub use json::{json_object, json_value};
pub use mutate::{Mutation, mutated};

use std::cell::Cell;
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseResult, TestError, TestRunner};

/// Cases per property target (the issue asks for at least 10 000 in CI).
pub const CASES: u32 = 10_000;

/// [`CASES`], or `PACER_PROOF_CASES` when set (to explore longer, or quickly while editing).
pub fn cases() -> u32 {
    std::env::var("PACER_PROOF_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(CASES)
}

/// The configuration of every property: [`cases`] cases, failures saved beside the test source as
/// `<file>.proptest-regressions` (committed, replayed first on every run), no forking.
pub fn config() -> Config {
    Config {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        // Shrinking a large mutated file can take long; a failure is kept either way.
        max_shrink_iters: 2_048,
        ..Config::default()
    }
}

thread_local! {
    /// Panics raised on this thread, caught or not.
    static PANICS: Cell<u64> = const { Cell::new(0) };
}

/// Panics raised on this thread so far, including those the code under test catches itself
/// (`catch_unwind` around a third-party decoder still counts: a hostile input must not reach a
/// panic at all).
pub fn panics_on_this_thread() -> u64 {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.with(|p| p.set(p.get() + 1));
            previous(info);
        }));
    });
    PANICS.with(Cell::get)
}

/// Runs `test` on [`cases`] values of `strategy` under [`config`] (regressions persisted beside
/// `source_file`, pass `file!()`), where `test` returns the case's peak allocation in bytes; prints
/// the largest peak seen under `target` and panics with the minimal failing input. A case fails
/// when it panics, even when the code under test catches the panic.
pub fn check<S: Strategy>(source_file: &'static str, target: &str, strategy: S, test: impl Fn(S::Value) -> u64)
where
    S::Value: std::fmt::Debug,
{
    let mut config = config();
    config.source_file = Some(source_file);
    let max_peak = AtomicU64::new(0);
    let mut runner = TestRunner::new(config);
    let result = runner.run(&strategy, |value| -> TestCaseResult {
        let before = panics_on_this_thread();
        max_peak.fetch_max(test(value), Ordering::Relaxed);
        let raised = panics_on_this_thread() - before;
        proptest::prop_assert_eq!(raised, 0, "the case panicked (and the panic was caught inside)");
        Ok(())
    });
    match result {
        Ok(()) => eprintln!("{target}: {} cases, largest peak allocation {} B", cases(), max_peak.into_inner()),
        Err(TestError::Fail(reason, value)) => {
            let full = format!("{value:?}");
            let file_name: String = target.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
            let path = std::env::temp_dir().join(format!("pacer-proof-{file_name}.txt"));
            let saved = std::fs::write(&path, &full)
                .map_or_else(|e| format!("not saved: {e}"), |()| format!("saved to {}", path.display()));
            let shown: String = full.chars().take(2_000).collect();
            panic!("{target} failed: {reason}; minimal input ({} chars, {saved}): {shown}", full.len())
        }
        Err(TestError::Abort(reason)) => panic!("{target} aborted: {reason}"),
    }
}
