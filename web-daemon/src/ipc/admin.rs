//! The admin channel: one [`AdminRequest`] frame in, one [`AdminResponse`] frame out.
//!
//! Admin operations are deliberately cross-tenant: only the daemon's own uid reaches them.

use std::sync::Arc;

use pacer_shared::StatusInfo;
use pacer_shared::ipc::{self, AdminErrorCode, AdminRequest, AdminResponse, FrameError};
use tokio::net::UnixStream;

use crate::accounts::{self, AccountError, Grantor};
use crate::provider::registry::{OAuthAppError, OAuthAppInput};
use crate::state::AppState;
use crate::store::{api_keys, tenants, users};

/// Serves admin requests until the client closes.
pub async fn serve(mut stream: UnixStream, state: Arc<AppState>) {
    loop {
        let request: AdminRequest = match ipc::read_frame(&mut stream, state.config.max_frame_bytes).await {
            Ok(r) => r,
            Err(FrameError::Closed) => return,
            Err(e) if e.is_protocol_violation() => {
                let reply = AdminResponse::Error { code: AdminErrorCode::BadFrame, message: e.to_string() };
                let _ = ipc::write_frame(&mut stream, &reply).await;
                return;
            }
            Err(_) => return,
        };
        if let AdminRequest::Import { path, user } = request {
            if !super::admin_import::serve(&mut stream, &state, path, user).await {
                return;
            }
            continue;
        }
        let shutdown = matches!(request, AdminRequest::Shutdown);
        let reply = handle(&state, request).await;
        if ipc::write_frame(&mut stream, &reply).await.is_err() {
            return;
        }
        if shutdown {
            state.shutdown.cancel();
            return;
        }
    }
}

fn error(e: AccountError) -> AdminResponse {
    let code = match &e {
        AccountError::Invalid { .. } | AccountError::Forbidden(_) => AdminErrorCode::InvalidInput,
        AccountError::NotFound(_) => AdminErrorCode::NotFound,
        AccountError::Conflict(_) => AdminErrorCode::Conflict,
        AccountError::Store(_) => AdminErrorCode::Internal,
    };
    AdminResponse::Error { code, message: e.to_string() }
}

/// The answer to an `oauth_apps_*` request.
fn oauth_app_reply(result: Result<AdminResponse, OAuthAppError>) -> AdminResponse {
    result.unwrap_or_else(|e| {
        let code = match &e {
            OAuthAppError::Invalid { .. } => AdminErrorCode::InvalidInput,
            OAuthAppError::NotFound(_) => AdminErrorCode::NotFound,
            OAuthAppError::Client(_) | OAuthAppError::Vault(_) | OAuthAppError::Store(_) => AdminErrorCode::Internal,
        };
        AdminResponse::Error { code, message: e.to_string() }
    })
}

async fn handle(state: &AppState, request: AdminRequest) -> AdminResponse {
    let store = &state.store;
    let result: Result<AdminResponse, AccountError> = async {
        Ok(match request {
            AdminRequest::UsersAdd { email, tenant, password } => {
                AdminResponse::User(accounts::add_user(store, &email, tenant.as_deref(), password.as_ref()).await?)
            }
            AdminRequest::UsersList => AdminResponse::Users { users: store.call(|c| users::list_all(c)).await? },
            AdminRequest::UsersLoginLink { email } => {
                let user = accounts::user_by_email(store, &email).await?;
                let (url, expires_at) =
                    crate::http::session::issue_login_link(state, &user.tenant_id, &user.id).await?;
                AdminResponse::LoginLink { url, expires_at }
            }
            AdminRequest::UsersSetTier { email, max_tier } => {
                accounts::set_key_tier_allowance(store, &email, max_tier).await?;
                tracing::info!(max_tier = %max_tier, "user key-tier allowance set");
                AdminResponse::UserTier { email, max_tier }
            }
            AdminRequest::KeysCreate { user, name, description, tier } => {
                let u = accounts::user_by_email(store, &user).await?;
                let created = accounts::create_key(
                    store,
                    &u.tenant_id,
                    &u.id,
                    &name,
                    description.as_deref(),
                    tier,
                    Grantor::Admin,
                )
                .await?;
                AdminResponse::KeyCreated(created)
            }
            AdminRequest::KeysList { user } => {
                let u = accounts::user_by_email(store, &user).await?;
                AdminResponse::Keys { keys: accounts::list_keys(store, &u.tenant_id, &u.id).await? }
            }
            AdminRequest::KeysRevoke { key_id } => {
                accounts::revoke_any_key(store, &key_id).await?;
                AdminResponse::KeyRevoked { id: key_id, is_active: false }
            }
            AdminRequest::Status => AdminResponse::Status(status(state).await?),
            AdminRequest::Shutdown => AdminResponse::ShuttingDown,
            AdminRequest::OAuthAppsSet { tenant, provider, client_id, client_secret, redirect_uri } => {
                if let (Some(sandbox), Some(uri)) = (&state.sandbox, &redirect_uri) {
                    sandbox.register_redirect_uri(uri);
                }
                let input = OAuthAppInput { tenant, provider, client_id, client_secret, redirect_uri };
                oauth_app_reply(state.tokens.registry().set(input).await.map(AdminResponse::OAuthApp))
            }
            AdminRequest::OAuthAppsList => {
                oauth_app_reply(state.tokens.registry().list().await.map(|apps| AdminResponse::OAuthApps { apps }))
            }
            AdminRequest::Import { .. } => AdminResponse::Error {
                code: AdminErrorCode::Internal,
                message: "imports are served by the admin loop".into(),
            },
            AdminRequest::OAuthAppsRemove { tenant, provider } => oauth_app_reply(
                state
                    .tokens
                    .registry()
                    .remove(&tenant, provider)
                    .await
                    .map(|()| AdminResponse::OAuthAppRemoved { tenant, provider }),
            ),
        })
    }
    .await;
    result.unwrap_or_else(error)
}

async fn status(state: &AppState) -> Result<StatusInfo, AccountError> {
    let (tenants, users, (keys, active)) =
        state.store.call(|c| Ok((tenants::count(c)?, users::count(c)?, api_keys::counts(c)?))).await?;
    Ok(StatusInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        uptime_s: state.started.elapsed().as_secs(),
        pid: std::process::id(),
        socket: state.config.socket_path().display().to_string(),
        http_addr: state.http_addr.to_string(),
        db_path: state.store.path().map_or_else(|| "postgres".to_string(), |p| p.display().to_string()),
        tenants,
        users,
        api_keys: keys,
        active_api_keys: active,
    })
}
