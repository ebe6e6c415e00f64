//! Integration tests of pacer-corpus: one binary, one shared generated year.

mod export;
mod fit_files;
mod season;
mod xml_files;

use std::sync::OnceLock;

use pacer_corpus::{CorpusSpec, Export, Faults, GeneratedActivity, export_zip, generate};

/// The default year (seed 7, 250 activities ending 2026-11-30), generated once per test binary.
pub fn year() -> &'static [GeneratedActivity] {
    static YEAR: OnceLock<Vec<GeneratedActivity>> = OnceLock::new();
    YEAR.get_or_init(|| generate(&CorpusSpec::default()))
}

/// The year's export with every fault injected.
pub fn corrupt_export() -> &'static Export {
    static EXPORT: OnceLock<Export> = OnceLock::new();
    EXPORT.get_or_init(|| export_zip(year(), &Faults::all()).expect("export"))
}

/// A small, fast spec for tests that generate more than once.
pub fn small_spec(seed: u64) -> CorpusSpec {
    CorpusSpec { seed, days: 56, activities: 30, max_duration_s: Some(900), ..CorpusSpec::default() }
}
