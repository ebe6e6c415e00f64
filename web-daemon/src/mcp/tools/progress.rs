//! `notifications/progress` for long tool calls (uploads, imports), sent only when the request
//! carries `_meta.progressToken`; in a task ([`crate::mcp::tasks`]) each message also becomes the
//! task's `statusMessage`.

use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::service::RequestContext;
use rmcp::{Peer, RoleServer};

/// Sends `notifications/progress` when the client asked for them.
pub(super) struct Progress {
    peer: Peer<RoleServer>,
    token: Option<ProgressToken>,
    step: u32,
}

impl Progress {
    pub(super) fn new(context: &RequestContext<RoleServer>) -> Self {
        Self { peer: context.peer.clone(), token: context.meta.get_progress_token(), step: 0 }
    }

    /// Reports one more step with `message`.
    pub(super) async fn report(&mut self, message: impl Into<String>) {
        self.step = self.step.saturating_add(1);
        self.send(f64::from(self.step), None, message.into()).await;
    }

    /// Reports `progress` of `total` (when known) with `message`.
    pub(super) async fn send(&self, progress: f64, total: Option<f64>, message: String) {
        crate::mcp::tasks::report_status(&message);
        let Some(token) = self.token.clone() else {
            return;
        };
        let mut param = ProgressNotificationParam::new(token, progress).with_message(message);
        param.total = total;
        if let Err(e) = self.peer.notify_progress(param).await {
            tracing::debug!(error = %e, "progress notification not sent");
        }
    }
}
