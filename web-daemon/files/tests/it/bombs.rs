//! Hostile inputs are refused fast with bounded memory: gzip bombs, deep XML nesting, too
//! many points.

use std::io::Write as _;
use std::time::{Duration, Instant};

use pacer_files::testing::{gpx, gzip, running_fit};
use pacer_files::{DataType, FileKind, Limits, ParseError, parse, parse_any};

/// `len` zero bytes gzipped without ever holding them in memory.
fn zeros_gzipped(len: usize) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![b' '; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len());
        let _ = encoder.write_all(&chunk[..n]);
        left -= n;
    }
    encoder.finish().unwrap_or_default()
}

/// Peak resident set of this process, kB (Linux), for the record in test output.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[test]
fn gzip_bomb_is_refused_at_the_cap() {
    // 1 GiB of blanks → ~1 MiB of gzip.
    let bomb = zeros_gzipped(1 << 30);
    assert!(bomb.len() < 2 << 20, "{} bytes", bomb.len());
    let limits = Limits::DEFAULT;
    let started = Instant::now();
    let err = parse(&bomb, DataType::new(FileKind::Gpx, true), &limits).err();
    assert_eq!(err, Some(ParseError::TooLarge { max: limits.max_decompressed_bytes }));
    assert_eq!(
        parse_any(&bomb, None, &limits).err(),
        Some(ParseError::TooLarge { max: limits.max_decompressed_bytes })
    );
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    eprintln!("gzip bomb: {} B in, refused in {:?}, peak RSS {:?} kB", bomb.len(), started.elapsed(), peak_rss_kb());
}

#[test]
fn deep_nesting_is_refused_before_it_costs_memory() {
    // 2 MiB of `<a>` (~700 000 levels), gzipped to a few kB.
    let deep = "<gpx>".to_owned() + &"<a>".repeat(700_000);
    let limits = Limits::DEFAULT;
    let started = Instant::now();
    let err = parse(&gzip(deep.as_bytes()), DataType::new(FileKind::Gpx, true), &limits).err();
    assert_eq!(err, Some(ParseError::TooDeep { max: 64 }));
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    // Sixty levels are fine.
    let ok = "<gpx>".to_owned() + &"<a>".repeat(60) + &"</a>".repeat(60) + "</gpx>";
    assert!(parse(ok.as_bytes(), DataType::new(FileKind::Gpx, false), &limits).is_ok());
    eprintln!("deep nesting: refused in {:?}, peak RSS {:?} kB", started.elapsed(), peak_rss_kb());
}

#[test]
fn point_cap_is_enforced() {
    let limits = Limits { max_points: 10, ..Limits::DEFAULT };
    let file = gpx(1_704_438_754, 11, "running");
    let err = parse(file.as_bytes(), DataType::new(FileKind::Gpx, false), &limits).err();
    assert_eq!(err, Some(ParseError::TooManyPoints { max: 10 }));
    let fit = pacer_files::testing::running_fit(1_704_438_754, 11);
    assert_eq!(parse_any(&fit, None, &limits).err(), Some(ParseError::TooManyPoints { max: 10 }));
    let tcx = "<TrainingCenterDatabase>".to_owned() + &"<Trackpoint/>".repeat(11) + "</TrainingCenterDatabase>";
    assert_eq!(parse_any(tcx.as_bytes(), None, &limits).err(), Some(ParseError::TooManyPoints { max: 10 }));
    assert!(parse(file.as_bytes(), DataType::new(FileKind::Gpx, false), &Limits { max_points: 11, ..limits }).is_ok());
}

/// Found by `proof::mutated_fit`: headers `fitparser` slices out of bounds on (a size byte below
/// 2 or past the input, a data size that ends inside a message) are refused as malformed before
/// it runs, not caught as a panic (which also cost ~50 MB for the backtrace under
/// `RUST_BACKTRACE`).
#[test]
fn hostile_fit_headers_are_refused_without_a_panic() {
    let valid = running_fit(1_704_438_754, 5);
    let with = |at: usize, patch: &[u8]| {
        let mut bytes = valid.clone();
        bytes[at..at + patch.len()].copy_from_slice(patch);
        bytes
    };
    let mut short = with(0, &[5]);
    short.truncate(10);
    let mut long_header = with(0, &[255]);
    long_header.truncate(100);
    let cases = [
        short,
        long_header,
        with(0, &[1]),
        with(4, &3u32.to_le_bytes()),
        include_bytes!("../corpus/fit-message-past-data-size.fit").to_vec(),
    ];
    let before = pacer_proof::panics_on_this_thread();
    for bytes in &cases {
        match parse(bytes, DataType::new(FileKind::Fit, false), &Limits::DEFAULT) {
            Err(ParseError::Malformed(message)) => assert!(!message.contains("decoder failed"), "{message}"),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(pacer_proof::panics_on_this_thread(), before, "fitparser panicked");
}
