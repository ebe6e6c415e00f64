//! Property tests: the parsers and the bulk-export reader take arbitrary and damaged bytes
//! without panicking and within a memory bound derived from [`Limits`].
//!
//! Seeds are real files from `pacer-corpus` (FIT, GPX, TCX, each also gzipped, and a Strava
//! bulk-export ZIP); each case applies one to eight [`pacer_proof::Mutation`]s. Every case's peak
//! allocation is measured by the binary's counting allocator (`main.rs`). Failing inputs land in
//! `proof.proptest-regressions` (replayed first); inputs that ever broke a parser are kept as
//! files in `tests/corpus/` and replayed by [`corpus_replays_without_panic`].

use std::io::{Cursor, Read as _};
use std::sync::OnceLock;

use pacer_corpus::{CorpusSpec, FileFormat, GeneratedActivity};
use pacer_files::archive::{ArchiveItem, ArchiveLimits, StravaArchive};
use pacer_files::{DataType, FileKind, Limits, analyze, parse, parse_any};
use proptest::prelude::*;

use crate::ALLOC;

/// Heap bytes a parse may hold per byte handed to a parser: the parsed [`pacer_files::Point`]s and what
/// `analyze` derives from them (times, distances, streams) for a densely packed track.
const PER_PLAIN_BYTE: u64 = 64;

/// The most one case may hold at once: the input, the gunzipped copy (`inflated` bytes, at most
/// [`Limits::DEFAULT`]'s `max_decompressed_bytes` = 25 MiB, up to twice that while its `Vec`
/// grows), [`PER_PLAIN_BYTE`] per byte a parser sees, and 1 MiB of fixed buffers. With the caps
/// (25 MiB, 200 000 points) this never exceeds ~1.7 GB in theory; the cases here stay far below.
fn case_bound(input: usize, inflated: u64, plain: u64) -> u64 {
    input as u64 + 2 * inflated + PER_PLAIN_BYTE * plain + (1 << 20)
}

/// Bytes a gzip input inflates to before the cap or an error stops it (0 for non-gzip).
fn inflated_len(bytes: &[u8]) -> u64 {
    if bytes.get(..2) != Some(&[0x1f, 0x8b]) {
        return 0;
    }
    let max = Limits::DEFAULT.max_decompressed_bytes;
    let mut reader = flate2::read::MultiGzDecoder::new(bytes).take(max + 1);
    let mut buf = [0u8; 64 * 1024];
    let mut total = 0;
    while let Ok(n @ 1..) = reader.read(&mut buf) {
        total += n as u64;
    }
    total
}

/// A case's bound for `bytes` parsed as a file: what reaches a parser is the input, or its
/// inflated form when that stays under the cap.
fn file_bound(bytes: &[u8]) -> u64 {
    let inflated = inflated_len(bytes);
    let plain = if inflated > Limits::DEFAULT.max_decompressed_bytes { 0 } else { inflated.max(bytes.len() as u64) };
    case_bound(bytes.len(), inflated, plain)
}

struct Seeds {
    fit: Vec<u8>,
    gpx: Vec<u8>,
    tcx: Vec<u8>,
    gz: Vec<Vec<u8>>,
    zip: Vec<u8>,
}

/// Three short generated activities (≤ 2 min) in each format, gzipped, and as an export.
fn seeds() -> &'static Seeds {
    static SEEDS: OnceLock<Seeds> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let spec = CorpusSpec {
            seed: 12,
            activities: 3,
            days: 14,
            max_duration_s: Some(120),
            end_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
        };
        let activities: Vec<GeneratedActivity> = pacer_corpus::generate(&spec);
        let outdoor = activities.iter().find(|a| a.sport.is_outdoor()).unwrap_or(&activities[0]);
        let file = |format, gzip| pacer_corpus::encode(outdoor, pacer_corpus::FileKind { format, gzip });
        Seeds {
            fit: file(FileFormat::Fit, false),
            gpx: file(FileFormat::Gpx, false),
            tcx: file(FileFormat::Tcx, false),
            gz: vec![file(FileFormat::Fit, true), file(FileFormat::Gpx, true), file(FileFormat::Tcx, true)],
            zip: pacer_corpus::export_zip(&activities, &Default::default()).expect("export").zip,
        }
    })
}

/// What an import does with one file: detect and parse, then derive summary and streams.
/// Returns the peak allocation.
fn parse_like_import(bytes: &[u8], declared: Option<DataType>) -> u64 {
    let limits = Limits::DEFAULT;
    let ((), peak) = ALLOC.measure(|| {
        if let Ok((_, file)) = parse_any(bytes, None, &limits) {
            let _ = analyze(&file.points, &file.totals);
        }
        if let Some(data_type) = declared
            && let Ok(file) = parse(bytes, data_type, &limits)
        {
            let _ = analyze(&file.points, &file.totals);
        }
    });
    let bound = file_bound(bytes);
    assert!(peak <= bound, "peak {peak} B over the bound {bound} B ({} B in)", bytes.len());
    peak
}

/// What an import does with an export: open, then parse every activity entry.
fn read_like_import(bytes: &[u8]) -> u64 {
    let ((), peak) = ALLOC.measure(|| {
        let Ok(archive) = StravaArchive::open(Cursor::new(bytes), ArchiveLimits::DEFAULT) else { return };
        let _ = archive.csv_rows_missing_file().len();
        for item in archive {
            if let Ok(ArchiveItem::Activity(entry)) = item
                && let Ok(file) = parse(&entry.bytes, entry.data_type, &Limits::DEFAULT)
            {
                let _ = analyze(&file.points, &file.totals);
            }
        }
    });
    // Entries are inflated and parsed one at a time; `activities.csv` stays in memory.
    let largest = ArchiveLimits::DEFAULT.max_entry_bytes;
    let bound = case_bound(bytes.len(), 2 * largest, largest);
    assert!(peak <= bound, "peak {peak} B over the bound {bound} B ({} B in)", bytes.len());
    peak
}

const DECLARED: [DataType; 6] = [
    DataType::new(FileKind::Fit, false),
    DataType::new(FileKind::Gpx, false),
    DataType::new(FileKind::Tcx, false),
    DataType::new(FileKind::Fit, true),
    DataType::new(FileKind::Gpx, true),
    DataType::new(FileKind::Tcx, true),
];

#[test]
fn arbitrary_bytes() {
    let strategy = (proptest::collection::vec(any::<u8>(), 0..2048), 0..DECLARED.len());
    pacer_proof::check(file!(), "files: arbitrary bytes", strategy, |(bytes, kind)| {
        parse_like_import(&bytes, Some(DECLARED[kind]))
    });
}

#[test]
fn mutated_fit() {
    pacer_proof::check(file!(), "files: mutated FIT", pacer_proof::mutated(seeds().fit.clone()), |bytes| {
        parse_like_import(&bytes, Some(DECLARED[0]))
    });
}

#[test]
fn mutated_gpx() {
    pacer_proof::check(file!(), "files: mutated GPX", pacer_proof::mutated(seeds().gpx.clone()), |bytes| {
        parse_like_import(&bytes, Some(DECLARED[1]))
    });
}

#[test]
fn mutated_tcx() {
    pacer_proof::check(file!(), "files: mutated TCX", pacer_proof::mutated(seeds().tcx.clone()), |bytes| {
        parse_like_import(&bytes, Some(DECLARED[2]))
    });
}

#[test]
fn mutated_gzip() {
    let strategy = (0..3usize).prop_flat_map(|which| (Just(which), pacer_proof::mutated(seeds().gz[which].clone())));
    pacer_proof::check(file!(), "files: mutated gzip", strategy, |(which, bytes)| {
        parse_like_import(&bytes, Some(DECLARED[3 + which]))
    });
}

#[test]
fn mutated_zip() {
    pacer_proof::check(file!(), "files: mutated export ZIP", pacer_proof::mutated(seeds().zip.clone()), |bytes| {
        read_like_import(&bytes)
    });
}

/// Every file in `tests/corpus/` (inputs that once broke a parser, and hostile samples) goes
/// through both paths without panicking and within the bound.
#[test]
fn corpus_replays_without_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/corpus") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read");
        let declared = path.file_name().and_then(|n| n.to_str()).and_then(DataType::from_file_name);
        parse_like_import(&bytes, declared);
        read_like_import(&bytes);
        seen += 1;
    }
    assert!(seen > 0, "no corpus files in {}", dir.display());
}
