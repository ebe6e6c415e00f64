//! `pacerd import PATH [--user EMAIL] [--json]`: asks the daemon to import, showing progress as
//! a bar on a terminal (files, MB, rate, ETA) or as JSON lines with `--json`, then the report.

use std::io::IsTerminal as _;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use pacer_shared::import::ImportReport;
use pacer_shared::ipc::{AdminRequest, AdminResponse};

use super::admin_client;
use super::commands::unexpected;

fn bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} files, {msg} ({per_sec}, ETA {eta})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

fn print_report(report: &ImportReport) {
    println!("{}", report.summary());
    for name in &report.duplicates {
        println!("  duplicate  {name}");
    }
    for issue in &report.failed {
        println!("  failed     {}: {}", issue.name, issue.reason);
    }
    for issue in &report.skipped {
        println!("  skipped    {}: {}", issue.name, issue.reason);
    }
}

/// Runs the command; errors are one line.
pub async fn run(socket: &Path, path: &Path, user: Option<String>, json: bool) -> Result<(), String> {
    let absolute = std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let request = AdminRequest::Import { path: absolute.to_string_lossy().into_owned(), user };
    let bar = (!json && std::io::stderr().is_terminal()).then(bar);
    let answer = admin_client::request_streaming(socket, request, |frame| {
        let AdminResponse::ImportProgress(p) = frame else { return };
        if json {
            if let Ok(line) = serde_json::to_string(&serde_json::json!({ "progress": p })) {
                println!("{line}");
            }
        } else if let Some(bar) = &bar {
            bar.set_length(p.files_total.unwrap_or(p.files_done));
            bar.set_position(p.files_done);
            bar.set_message(format!("{:.1} MB", p.bytes_done as f64 / 1_000_000.0));
        }
    })
    .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    match answer? {
        AdminResponse::Imported(report) if json => {
            // JSON lines: the report is one line like every progress object before it.
            println!("{}", serde_json::json!({ "report": report }));
            Ok(())
        }
        AdminResponse::Imported(report) => {
            print_report(&report);
            Ok(())
        }
        AdminResponse::Error { message, .. } => Err(message),
        other => Err(unexpected(other)),
    }
}
