//! Import throughput of own activity files: `pacerd import DIR --user … --json` against a real
//! `pacerd serve` (release build) on a temp home, versus a bare in-process parse of the same files
//! with the same parsers (`pacer_files::parse_any` + `analyze`), side by side in one run. Also
//! the same activities as a Strava bulk-export ZIP, and the daemon's peak RSS (`VmHWM`).
//!
//! The corpus: 1 000 generated activities (≤ 30 min each; FIT/GPX/TCX, some gzipped) written as
//! loose files into a temp folder outside pacer's home.
//!
//! Run: `cargo bench -p pacerd --bench import` (or `bench/run`).

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pacer_corpus::{CorpusSpec, Faults, GeneratedActivity};
use pacer_files::Limits;

const COUNT: usize = 1_000;
const MAX_DURATION_S: u32 = 1_800;

/// `VmHWM` (peak) and `VmRSS` (now) of a process, in MB.
fn memory_mb(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/<pid>/status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or_else(|| panic!("{name} missing from /proc/{pid}/status"))
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Writes every activity as `<upload id>.<ext>` into `dir`; returns the paths and total bytes.
fn write_files(acts: &[GeneratedActivity], dir: &Path) -> (Vec<PathBuf>, u64) {
    let mut paths = Vec::with_capacity(acts.len());
    let mut bytes = 0u64;
    for a in acts {
        let path = dir.join(format!("{}.{}", a.upload_id, a.file.extension()));
        let data = a.encode();
        bytes += data.len() as u64;
        std::fs::write(&path, data).expect("write activity file");
        paths.push(path);
    }
    (paths, bytes)
}

/// Reads, parses and analyzes every file in-process; returns (files, bytes, seconds).
fn bare_parse(paths: &[PathBuf]) -> (u64, u64, f64) {
    let limits = Limits::DEFAULT;
    let start = Instant::now();
    let (mut files, mut bytes, mut points) = (0u64, 0u64, 0usize);
    for path in paths {
        let data = std::fs::read(path).expect("read activity file");
        let name = path.file_name().and_then(|n| n.to_str());
        let (_, parsed) = pacer_files::parse_any(&data, name, &limits).expect("generated file parses");
        let analysis = pacer_files::analyze(&parsed.points, &parsed.totals).expect("generated file analyzes");
        std::hint::black_box(&analysis);
        points += parsed.points.len();
        files += 1;
        bytes += data.len() as u64;
    }
    let secs = start.elapsed().as_secs_f64();
    assert!(points > 0);
    (files, bytes, secs)
}

struct Imported {
    imported: u64,
    failed: usize,
    files: u64,
    bytes: u64,
    secs: f64,
    wall: f64,
}

/// `pacerd import PATH --user EMAIL --json`; the report's numbers and the CLI's wall-clock time.
fn import(daemon: &common::Daemon, path: &Path, email: &str) -> Imported {
    let path = path.to_str().expect("utf-8 temp path");
    let t = Instant::now();
    let out = daemon
        .cli(&["import", path, "--user", email, "--json"], Duration::from_secs(900))
        .unwrap_or_else(|e| panic!("import failed: {e}"));
    let wall = t.elapsed().as_secs_f64();
    // JSON values one after another: progress lines, then the (pretty-printed) report.
    let report = serde_json::Deserializer::from_str(&out)
        .into_iter::<serde_json::Value>()
        .filter_map(Result::ok)
        .find_map(|v| v.get("report").cloned())
        .unwrap_or_else(|| panic!("no report line in import output: {out}"));
    let n = |k: &str| report[k].as_u64().unwrap_or_else(|| panic!("report lacks {k}: {report}"));
    Imported {
        imported: n("imported"),
        failed: report["failed"].as_array().map_or(0, Vec::len),
        files: n("files"),
        bytes: n("bytes"),
        secs: n("elapsed_ms") as f64 / 1e3,
        wall,
    }
}

fn row(name: &str, files: u64, bytes: u64, secs: f64, base_fps: Option<f64>) {
    let fps = files as f64 / secs;
    let mbps = bytes as f64 / 1e6 / secs;
    let ratio = base_fps.map_or_else(|| "—".to_string(), |b| format!("{:.2}", fps / b));
    println!("{name:<34} {files:>6} {:>8.1} {secs:>8.2} {fps:>9.0} {mbps:>8.1} {ratio:>9}", bytes as f64 / 1e6);
}

fn main() {
    let t = Instant::now();
    let days = (COUNT as u64 * 365).div_ceil(250) as u32;
    let spec = CorpusSpec { days, activities: COUNT, max_duration_s: Some(MAX_DURATION_S), ..CorpusSpec::default() };
    let acts = pacer_corpus::generate(&spec);
    assert_eq!(acts.len(), COUNT);
    let src = tempfile::tempdir().expect("tempdir for files");
    let folder = src.path().join("activities");
    std::fs::create_dir(&folder).expect("mkdir activities");
    let (paths, total_bytes) = write_files(&acts, &folder);
    let export = pacer_corpus::export_zip(&acts, &Faults::default()).expect("export zip");
    let zip_path = src.path().join("export.zip");
    std::fs::write(&zip_path, &export.zip).expect("write export.zip");
    drop(acts);
    println!(
        "corpus: {COUNT} activities (≤ {MAX_DURATION_S} s), {:.1} MB of files, export ZIP {:.1} MB; generated in {:.1} s",
        total_bytes as f64 / 1e6,
        export.zip.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    drop(export);

    // (a) Baseline: the same parsers in-process, one thread (as the importer), warm page cache.
    bare_parse(&paths[..paths.len() / 10]);
    let (bf, bb, bs_before) = bare_parse(&paths);
    assert_eq!(bf, COUNT as u64);

    // (b) Through the daemon.
    let daemon = common::serve(None);
    let (_, rss_idle) = memory_mb(daemon.pid());
    for email in ["folder@bench.local", "zip@bench.local"] {
        daemon.cli(&["users", "add", "--email", email], Duration::from_secs(30)).expect("users add");
    }
    let folder_run = import(&daemon, &folder, "folder@bench.local");
    assert_eq!((folder_run.imported, folder_run.failed), (COUNT as u64, 0), "folder import incomplete");
    let (hwm_folder, rss_after) = memory_mb(daemon.pid());
    let zip_run = import(&daemon, &zip_path, "zip@bench.local");
    assert_eq!((zip_run.imported, zip_run.failed), (COUNT as u64, 0), "ZIP import incomplete");
    let (hwm_zip, _) = memory_mb(daemon.pid());
    drop(daemon);
    // The baseline again, after the daemon: the faster of the two counts (other work on these
    // shared cores only ever slows a run down).
    let (_, _, bs_after) = bare_parse(&paths);
    let bs = bs_before.min(bs_after);
    let base_fps = bf as f64 / bs;

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "2 cores shared by the client and the daemon (load average {}); daemon numbers from the import report (elapsed_ms); bare parse runs {bs_before:.2} s and {bs_after:.2} s, the faster is the baseline",
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    println!("{:<34} {:>6} {:>8} {:>8} {:>9} {:>8} {:>9}", "", "files", "MB", "s", "files/s", "MB/s", "ratio");
    row("bare parse_any+analyze (baseline)", bf, bb, bs, None);
    row("pacerd import DIR", folder_run.files, folder_run.bytes, folder_run.secs, Some(base_fps));
    row("pacerd import export.zip", zip_run.files, zip_run.bytes, zip_run.secs, Some(base_fps));
    println!(
        "CLI wall clock: folder {:.2} s, ZIP {:.2} s (adds start-up, socket and folder walk)",
        folder_run.wall, zip_run.wall
    );
    println!(
        "pacerd memory: RSS idle {rss_idle:.1} MB, after folder import {rss_after:.1} MB; peak (VmHWM) after folder import {hwm_folder:.1} MB, after ZIP import {hwm_zip:.1} MB (goal < 100 MB)"
    );
    println!(
        "ratio import/bare files/s: folder {:.2}, ZIP {:.2} (goal ≥ 0.8)",
        folder_run.files as f64 / folder_run.secs / base_fps,
        zip_run.files as f64 / zip_run.secs / base_fps
    );
}
