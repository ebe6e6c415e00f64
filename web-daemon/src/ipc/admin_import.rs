//! `AdminRequest::Import` on the admin channel: progress frames while the import runs, then the
//! report. The path is read by the daemon, as the daemon's own uid (only that uid reaches the
//! admin channel).

use pacer_shared::ipc::{self, AdminErrorCode, AdminResponse};
use tokio::net::UnixStream;

use crate::accounts;
use crate::activities::import::{self, ImportError, ImportSource, Owner};
use crate::state::AppState;
use crate::store::users;

/// Whose store an import without `--user` goes into: the only user, else the demo user.
async fn default_owner(state: &AppState) -> Result<Owner, String> {
    let all = state.store.call(|c| users::list_all(c)).await.map_err(|e| e.to_string())?;
    let demo = crate::demo::DEMO_EMAIL;
    let chosen = match all.as_slice() {
        [only] => Some(only),
        many => many.iter().find(|u| u.email == demo),
    };
    match chosen {
        Some(u) => Ok(Owner { tenant: u.tenant_id.clone(), user: u.id.clone() }),
        None if all.is_empty() => Err("no users yet: add one with `pacerd users add EMAIL`".into()),
        None => Err(format!("{} users exist: say whose activities these are with --user EMAIL", all.len())),
    }
}

/// Runs the import and writes its frames; returns false when the client went away.
pub async fn serve(stream: &mut UnixStream, state: &AppState, path: String, user: Option<String>) -> bool {
    let owner = match user {
        Some(email) => accounts::user_by_email(&state.store, &email)
            .await
            .map(|u| Owner { tenant: u.tenant_id, user: u.id })
            .map_err(|e| e.to_string()),
        None => default_owner(state).await,
    };
    let owner = match owner {
        Ok(o) => o,
        Err(message) => {
            let reply = AdminResponse::Error { code: AdminErrorCode::NotFound, message };
            return ipc::write_frame(stream, &reply).await.is_ok();
        }
    };
    let mut running = import::start(state, owner, ImportSource::Path(path.into()));
    let mut client_gone = false;
    while let Some(p) = running.next_progress().await {
        // The import goes on even if the client stops listening.
        if !client_gone {
            client_gone = ipc::write_frame(stream, &AdminResponse::ImportProgress(p)).await.is_err();
        }
    }
    let result = running.report().await;
    let reply = match result {
        Ok(report) => AdminResponse::Imported(report),
        Err(e) => {
            let code = match &e {
                ImportError::Source(_) | ImportError::Archive(_) => AdminErrorCode::InvalidInput,
                ImportError::Store(_) => AdminErrorCode::Internal,
            };
            AdminResponse::Error { code, message: e.to_string() }
        }
    };
    !client_gone && ipc::write_frame(stream, &reply).await.is_ok()
}
