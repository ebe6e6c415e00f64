//! `pacer-corpus`: write a generated Strava bulk export or loose activity files.
//!
//! ```text
//! pacer-corpus export --seed 7 --activities 250 --end 2026-11-30 --out export.zip [--corrupt]
//! pacer-corpus files --count 1000 --out DIR [--seed 7] [--max-duration 1200] [--corrupt]
//! pacer-corpus bomb --out bomb.zip [--mib 1024]
//! ```

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use pacer_corpus::{
    CorpusSpec, FaultKind, Faults, FileFormat, FileKind, break_fit_crc, break_xml, export_zip, generate, truncate_fit,
    zip_bomb,
};

#[derive(Parser)]
#[command(name = "pacer-corpus", about = "Deterministic fitness-data corpus generator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a Strava-style bulk-export ZIP.
    Export {
        #[arg(long, default_value_t = 7)]
        seed: u64,
        #[arg(long, default_value_t = 250)]
        activities: usize,
        /// Last day of the period (YYYY-MM-DD).
        #[arg(long, default_value = "2026-11-30")]
        end: NaiveDate,
        #[arg(long, default_value_t = 365)]
        days: u32,
        /// Inject every fault (truncated/bad-CRC FIT, malformed XML, unsupported, missing, ../).
        #[arg(long)]
        corrupt: bool,
        #[arg(long)]
        out: PathBuf,
    },
    /// Write loose activity files (`<upload id>.<ext>`) into a directory, for benchmarks.
    Files {
        #[arg(long, default_value_t = 1000)]
        count: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        #[arg(long, default_value = "2026-11-30")]
        end: NaiveDate,
        /// Cap on each activity's duration in seconds.
        #[arg(long, default_value_t = 1200)]
        max_duration: u32,
        /// Also write a truncated FIT, a bad-CRC FIT and malformed XML (`corrupt-*` names).
        #[arg(long)]
        corrupt: bool,
        #[arg(long)]
        out: PathBuf,
    },
    /// Write a ZIP bomb: one entry of zeros deflated ~1000:1.
    Bomb {
        /// Uncompressed size in MiB.
        #[arg(long, default_value_t = 1024)]
        mib: u64,
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() -> Result<()> {
    let started = Instant::now();
    match Cli::parse().command {
        Command::Export { seed, activities, end, days, corrupt, out } => {
            let spec = CorpusSpec { seed, end_date: end, days, activities, max_duration_s: None };
            let generated = generate(&spec);
            let faults = if corrupt { Faults::all() } else { Faults::default() };
            let export = export_zip(&generated, &faults)?;
            std::fs::write(&out, &export.zip).with_context(|| format!("writing {}", out.display()))?;
            eprintln!("{} activities, {} bytes → {}", generated.len(), export.zip.len(), out.display());
            for fault in &export.faults {
                eprintln!("fault {:?}: {} (activity {})", fault.kind, fault.entry, fault.activity_id);
            }
        }
        Command::Files { count, seed, end, max_duration, corrupt, out } => {
            // Keep the natural density (~250 a year) by stretching the period.
            let days = (count as u64 * 365).div_ceil(250).max(28) as u32;
            let spec = CorpusSpec { seed, end_date: end, days, activities: count, max_duration_s: Some(max_duration) };
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            let generated = generate(&spec);
            for activity in &generated {
                let path = out.join(format!("{}.{}", activity.upload_id, activity.file.extension()));
                std::fs::write(&path, activity.encode()).with_context(|| format!("writing {}", path.display()))?;
            }
            if corrupt && let Some(activity) = generated.first() {
                let fit = pacer_corpus::encode(activity, FileKind { format: FileFormat::Fit, gzip: false });
                let gpx = pacer_corpus::encode(activity, FileKind { format: FileFormat::Gpx, gzip: false });
                let gpx = String::from_utf8(gpx).context("GPX is UTF-8")?;
                let broken = [
                    (FaultKind::TruncatedFit, "corrupt-truncated.fit", truncate_fit(&fit)),
                    (FaultKind::BadCrcFit, "corrupt-bad-crc.fit", break_fit_crc(&fit)),
                    (FaultKind::MalformedXml, "corrupt-malformed.gpx", break_xml(&gpx).into_bytes()),
                ];
                for (kind, name, bytes) in broken {
                    std::fs::write(out.join(name), bytes)?;
                    eprintln!("fault {kind:?}: {name}");
                }
            }
            eprintln!("{} files → {}", generated.len(), out.display());
        }
        Command::Bomb { mib, out } => {
            let bomb = zip_bomb(mib << 20);
            std::fs::write(&out, &bomb.zip).with_context(|| format!("writing {}", out.display()))?;
            eprintln!("{} → {} bytes unpacking to {}", bomb.entry, bomb.zip.len(), bomb.uncompressed_size);
        }
    }
    eprintln!("done in {:.2?}", started.elapsed());
    Ok(())
}
