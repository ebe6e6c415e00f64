//! `import_activities`: the person's own files (a folder, one file, or a Strava bulk-export ZIP)
//! into pacer's local store. Only over the Unix socket (`pacer-mcp` on the same machine): a
//! remote client may not make the daemon read files on its host.

use pacer_shared::import::ImportReport;
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::progress::Progress;
use crate::activities::import::{self, ImportError, ImportSource, Owner};
use crate::mcp::errors;
use crate::mcp::output::{Json, ToolError};
use crate::mcp::params::{Parameters, Validate, invalid};
use crate::mcp::server::PacerMcp;

/// Arguments of `import_activities`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// Absolute path on this machine: a folder, one file (.fit/.tcx/.gpx, optionally .gz) or a
    /// Strava export ZIP.
    path: String,
}

impl Validate for ImportParams {
    type Output = std::path::PathBuf;
    fn validate(self) -> Result<std::path::PathBuf, ErrorData> {
        let path = std::path::PathBuf::from(self.path.trim());
        if !path.is_absolute() {
            return Err(invalid("path", "must be an absolute path"));
        }
        Ok(path)
    }
}

#[tool_router(router = import_tools, vis = "pub(super)")]
impl PacerMcp {
    /// Import the person's own activity files into pacer (no Strava needed): a folder of
    /// FIT/TCX/GPX files, one file, or Strava's bulk-export ZIP. Safe to repeat (duplicates are
    /// skipped). Returns counts and the names of files that failed.
    #[tool(
        title = "Import activity files",
        annotations(read_only_hint = false, destructive_hint = false, idempotent_hint = true, open_world_hint = false)
    )]
    async fn import_activities(
        &self,
        Parameters(path, _): Parameters<ImportParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<ImportReport>, ToolError> {
        if !self.allows_local_files() {
            return Err(invalid(
                "path",
                "local files can only be imported through pacer-mcp on this machine; use the web page's import instead",
            )
            .into());
        }
        let p = self.principal();
        let owner = Owner { tenant: p.tenant_id.clone(), user: p.user_id.clone() };
        let progress = Progress::new(&context);
        let mut running = import::start(self.state(), owner, ImportSource::Path(path));
        while let Some(p) = running.next_progress().await {
            let message = format!("{} files, {:.1} MB", p.files_done, p.bytes_done as f64 / 1_000_000.0);
            progress.send(p.files_done as f64, p.files_total.map(|t| t as f64), message).await;
        }
        let report = match running.report().await {
            Ok(report) => report,
            Err(e @ (ImportError::Source(_) | ImportError::Archive(_))) => return Err(invalid("path", e).into()),
            Err(ImportError::Store(e)) => return Err(errors::internal("internal error: import failed", e).into()),
        };
        let mut summary = format!("Import: {}.", report.summary());
        if let Some(first) = report.failed.first() {
            summary.push_str(&format!(" First failure: {}: {}.", first.name, first.reason));
        }
        Ok(Json::new(report, summary))
    }
}
