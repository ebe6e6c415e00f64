//! `upload_activity`: send the file, then poll the provider until it has processed it.
//!
//! Progress: when the request carries `_meta.progressToken`, each step (file read, uploaded,
//! every poll) is sent as `notifications/progress` through the request's `Peer`, with
//! `progress` counting up and `message` holding the provider's status text.

use pacer_shared::ProviderId;
use std::time::Duration;

use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::Serialize;
use tokio::time::Instant;

use super::progress::Progress;
use super::upload_file::{DataType, LocalFile, Source, UploadActivityParams, UploadJob, read_local};
use crate::mcp::errors;
use crate::mcp::output::{Json, ToolError};
use crate::mcp::params::Parameters;
use crate::mcp::server::PacerMcp;
use crate::provider::{ActivityData as _, UploadRequest, UploadStatus};

/// Wait before the first status poll; it doubles up to [`POLL_MAX_WAIT`], so a slow upload
/// costs ~30 provider requests per minute rather than 240 (Strava allows 100–200 per 15 min).
const POLL_FIRST_WAIT: Duration = Duration::from_millis(250);
/// Longest wait between two polls.
const POLL_MAX_WAIT: Duration = Duration::from_secs(2);
/// How long to wait for the provider to finish processing.
const POLL_FOR: Duration = Duration::from_secs(60);

/// The outcome of an upload.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UploadOutcome {
    /// The provider's upload id.
    pub upload_id: u64,
    /// The new activity's id; null if the provider was still processing when pacer stopped
    /// waiting (it will appear in get_activities when done).
    pub activity_id: Option<u64>,
    /// The provider's last status text, e.g. `Your activity is ready.`
    pub status: String,
    /// The external id the upload was made with, if any.
    pub external_id: Option<String>,
}

fn cancelled(upload_id: u64) -> ToolError {
    ToolError::Rpc(ErrorData::internal_error(
        format!("upload_activity was cancelled; the provider continues processing upload {upload_id}"),
        None,
    ))
}

#[tool_router(router = upload_tools, vis = "pub(super)")]
impl PacerMcp {
    /// Upload a FIT, TCX or GPX activity file (optionally gzipped) to Strava, wait until it is
    /// processed and return the new activity's id, or Strava's reason for refusing it (for
    /// example a duplicate of an existing activity).
    #[tool(
        title = "Upload an activity file",
        annotations(read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = true)
    )]
    async fn upload_activity(
        &self,
        Parameters(job, _): Parameters<UploadActivityParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<Json<UploadOutcome>, ToolError> {
        let mut progress = Progress::new(&context);
        let request = self.prepare(job).await?;
        if let Some(local) = self.own_data(false).await? {
            // Own-data mode: no provider to upload to, so the file goes into the local store.
            progress.report(format!("importing {} bytes ({})", request.bytes.len(), request.data_type)).await;
            let status = self.or_provider_error(local.upload(request).await).await?;
            let mut outcome = finish(status, 0)?;
            outcome.summary = format!(
                "{} Stored in pacer's local store (no provider is connected; connect_provider uploads to Strava).",
                outcome.summary
            );
            return Ok(outcome);
        }
        progress.report(format!("uploading {} bytes ({})", request.bytes.len(), request.data_type)).await;
        let provider = ProviderId::Strava;
        let request = &request;
        let mut status = self.with_data(provider, |data| async move { data.upload(request.clone()).await }).await?;
        let upload_id = status.upload_id;
        progress.report(status.status.clone()).await;
        let deadline = Instant::now() + POLL_FOR;
        let mut wait = POLL_FIRST_WAIT;
        while !status.is_final() && Instant::now() < deadline {
            tokio::select! {
                () = context.ct.cancelled() => return Err(cancelled(upload_id)),
                () = tokio::time::sleep(wait) => {}
            }
            wait = (wait * 2).min(POLL_MAX_WAIT);
            let (tenant, user) = (&self.principal().tenant_id, &self.principal().user_id);
            let poll = |data: std::sync::Arc<dyn crate::provider::ActivityData>| async move {
                data.upload_status(upload_id).await
            };
            match self.state().tokens.with_session(provider, tenant, user, poll).await {
                Ok(next) => status = next,
                Err(e) if e.is_transient() => {
                    tracing::debug!(error = %e, "upload status poll failed; retrying")
                }
                Err(e) => return Err(self.provider_error(provider, e).await),
            }
            progress.report(status.status.clone()).await;
        }
        finish(status, upload_id)
    }
}

impl PacerMcp {
    /// Reads the file (for `path`), settles the format and builds the provider request.
    async fn prepare(&self, job: UploadJob) -> Result<UploadRequest, ToolError> {
        let UploadJob { source, data_type, name, description, mut external_id, sport_type } = job;
        let (bytes, data_type) = match source {
            Source::Bytes(bytes) => {
                let data_type = data_type.or_else(|| DataType::sniff(&bytes)).ok_or_else(|| {
                    crate::mcp::params::invalid(
                        "data_type",
                        "required: the content is not recognisably FIT, TCX or GPX",
                    )
                })?;
                (bytes, data_type)
            }
            Source::Path(path) => {
                if !self.allows_local_files() {
                    return Err(crate::mcp::params::invalid(
                        "path",
                        "local files can only be uploaded through pacer-mcp on this machine; send content_base64",
                    )
                    .into());
                }
                let home = self.state().config.home.clone();
                let file = tokio::task::spawn_blocking(move || read_local(&path, &home))
                    .await
                    .map_err(|e| errors::internal("internal error: cannot read the file", e))??;
                let LocalFile { bytes, data_type: from_name, file_name } = file;
                external_id = external_id.or(Some(file_name));
                (bytes, data_type.unwrap_or(from_name))
            }
        };
        Ok(UploadRequest { bytes, data_type: data_type.label(), name, description, external_id, sport_type })
    }
}

/// The tool's answer for the last status seen.
fn finish(status: UploadStatus, upload_id: u64) -> Result<Json<UploadOutcome>, ToolError> {
    if let Some(error) = status.error {
        // The provider's reason, verbatim (e.g. "x.fit duplicate of activity 123").
        return Err(ToolError::Failed(format!("{error}\n(upload {upload_id}; status: {})", status.status)));
    }
    let summary = match status.activity_id {
        Some(id) => format!("Uploaded: activity {id} created (upload {upload_id})."),
        None => format!(
            "The provider is still processing upload {upload_id} after {} s; the activity will appear \
             in get_activities when it is ready.",
            POLL_FOR.as_secs()
        ),
    };
    let outcome = UploadOutcome {
        upload_id,
        activity_id: status.activity_id,
        status: status.status,
        external_id: status.external_id,
    };
    Ok(Json::new(outcome, summary))
}
