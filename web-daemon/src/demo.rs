//! `pacerd demo`: the daemon with the built-in Strava sandbox and a ready demo account.
//!
//! Idempotently creates tenant `demo` and user `demo@pacer.local`, an API key, and connects the
//! user to sandbox athlete 1 through the real authorization-code flow over HTTP (pacer's
//! authorize URL → the sandbox consent form → pacer's callback). Prints the web URL, the key and a
//! Claude Desktop config snippet, and writes the same facts to `$PACER_HOME/demo.json` (0600).

use pacer_shared::ProviderId;
use std::future::Future;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use pacer_shared::{Secret, Tier};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::auth::{Principal, api_key, password};
use crate::state::AppState;
use crate::store::{tenants, users};
use crate::{Config, Daemon};

/// The demo account's email.
pub const DEMO_EMAIL: &str = "demo@pacer.local";
/// The demo tenant.
pub const DEMO_TENANT: &str = "demo";

/// Contents of `demo.json`.
#[derive(Debug, Serialize, Deserialize)]
pub struct DemoFacts {
    pub api_key: Secret,
    pub http_url: String,
    pub email: String,
    pub password: Secret,
    pub socket: String,
}

/// Runs the demo daemon until `shutdown` resolves.
pub async fn run(mut config: Config, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    config.sandbox = true;
    let daemon = Daemon::bind(config).await?;
    let state = daemon.state().clone();
    state.mcp_ready.send_replace(false);
    let serving = tokio::spawn(daemon.serve(shutdown));
    match prepare(&state).await {
        Ok(facts) => {
            state.mcp_ready.send_replace(true);
            print_facts(&state, &facts);
            // The year of own files arrives in the background: tools work meanwhile.
            let state = state.clone();
            tokio::spawn(async move {
                if let Err(e) = import_year(&state).await {
                    tracing::warn!(error = %format!("{e:#}"), "demo activity import failed");
                }
            });
        }
        Err(e) => {
            state.shutdown.cancel();
            let _ = serving.await;
            return Err(e.context("demo set-up failed"));
        }
    }
    serving.await.map_err(|e| anyhow!("daemon task failed: {e}"))?
}

/// Creates (or reuses) the demo account, key and connection; writes `demo.json`.
pub async fn prepare(state: &AppState) -> anyhow::Result<DemoFacts> {
    let path = state.config.home.join("demo.json");
    let previous: Option<DemoFacts> = std::fs::read(&path).ok().and_then(|b| serde_json::from_slice(&b).ok());

    let password = previous.as_ref().map(|p| p.password.clone()).unwrap_or_else(random_password);
    let hash = password::hash(&password).map_err(|e| anyhow!(e))?;
    let user = state
        .store
        .call(move |c| {
            let tx = c.transaction()?;
            let tenant = tenants::get_or_create(&tx, DEMO_TENANT)?;
            let user = match users::find_by_email(&tx, DEMO_EMAIL)? {
                Some(u) => u,
                None => users::create(&tx, &tenant.id, DEMO_EMAIL, None)?,
            };
            users::set_password(&tx, &user.info.tenant_id, &user.info.id, &hash)?;
            tx.commit()?;
            Ok(user.info)
        })
        .await?;

    let reusable = match &previous {
        Some(p) => api_key::validate(&state.store, &p.api_key).await.ok().filter(|pr| pr.user_id == user.id),
        None => None,
    };
    let (key, principal) = match (reusable, previous.as_ref()) {
        (Some(principal), Some(p)) => (p.api_key.clone(), principal),
        _ => {
            let created = crate::accounts::create_key(
                &state.store,
                &user.tenant_id,
                &user.id,
                "demo",
                Some("created by pacerd demo"),
                Tier::Premium,
                crate::accounts::Grantor::Admin,
            )
            .await?;
            let principal = Principal {
                tenant_id: user.tenant_id.clone(),
                user_id: user.id.clone(),
                key_id: Some(created.key_info.id),
                tier: Tier::Premium,
                grant: None,
            };
            (created.api_key, principal)
        }
    };

    if !connection_works(state, &principal).await? {
        connect_through_sandbox(state, &principal).await.context("connecting the demo user to the sandbox")?;
    }

    let facts = DemoFacts {
        api_key: key,
        http_url: state.public_url.clone(),
        email: DEMO_EMAIL.to_string(),
        password,
        socket: state.config.socket_path().display().to_string(),
    };
    write_private(&path, &serde_json::to_vec_pretty(&facts)?)?;
    Ok(facts)
}

/// Imports a generated year of training (FIT/GPX/TCX files packed as a Strava bulk export, from
/// `pacer-corpus` with a fixed seed, ending today) into the demo user's store, once: skipped when
/// the user already has imported files. `demo_activities = 0` turns it off.
pub async fn import_year(state: &AppState) -> anyhow::Result<()> {
    let count = state.config.demo_activities;
    if count == 0 {
        return Ok(());
    }
    let user = state
        .store
        .call(|c| users::find_by_email(c, DEMO_EMAIL))
        .await?
        .ok_or_else(|| anyhow!("demo user missing"))?
        .info;
    let (t, u) = (user.tenant_id.clone(), user.id.clone());
    let (files, _) =
        state.store.call(move |c| crate::store::activities::count(c, &t, &u, crate::store::now_epoch())).await?;
    if files > 0 {
        return Ok(());
    }
    let dir = state.config.home.join("tmp");
    let zip = tokio::task::spawn_blocking(move || -> anyhow::Result<std::fs::File> {
        let spec = pacer_corpus::CorpusSpec {
            end_date: chrono::Utc::now().date_naive(),
            activities: count,
            ..pacer_corpus::CorpusSpec::default()
        };
        let export = pacer_corpus::export_zip(&pacer_corpus::generate(&spec), &pacer_corpus::Faults::default())?;
        crate::ipc::socket::ensure_private_dir(&dir)?;
        let mut file = tempfile::tempfile_in(&dir)?;
        file.write_all(&export.zip)?;
        Ok(file)
    })
    .await??;
    let owner = crate::activities::import::Owner { tenant: user.tenant_id, user: user.id };
    let mut running =
        crate::activities::import::start(state, owner, crate::activities::import::ImportSource::Upload(zip));
    while running.next_progress().await.is_some() {}
    let report = running.report().await?;
    tracing::info!("demo activities imported: {}", report.summary());
    Ok(())
}

/// Whether the demo user has a stored connection the provider still accepts (one cheap
/// `athlete` call). The built-in sandbox keeps its tokens in memory, so after a restart the stored
/// ones are unknown to it (the call fails with `TokenRefreshFailed`) and the user must be
/// connected again; any other failure also leads to a fresh connection attempt.
async fn connection_works(state: &AppState, principal: &Principal) -> anyhow::Result<bool> {
    let (tenant, user) = (&principal.tenant_id, &principal.user_id);
    if state.tokens.connection(ProviderId::Strava, tenant, user).await?.is_none() {
        return Ok(false);
    }
    let probe =
        state.tokens.with_session(ProviderId::Strava, tenant, user, |data| async move { data.athlete().await }).await;
    match probe {
        Ok(_) => Ok(true),
        Err(e) => {
            tracing::info!(error = %e, "stored demo connection does not work (the sandbox forgets tokens on restart); reconnecting");
            Ok(false)
        }
    }
}

fn random_password() -> Secret {
    const CHARS: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    Secret::new((0..20).map(|_| CHARS[rng.random_range(0..CHARS.len())] as char).collect())
}

/// The real flow: pacer's authorize URL → sandbox consent (approve) → pacer's callback (with the
/// demo user's own session, so no confirmation step).
async fn connect_through_sandbox(state: &AppState, principal: &Principal) -> anyhow::Result<()> {
    let authorize = crate::oauth::begin_connect(state, principal, ProviderId::Strava).await?;
    let url = url::Url::parse(&authorize)?;
    let mut form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    form.push(("decision".into(), "approve".into()));
    let mut post = url.clone();
    post.set_query(None);
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let consent = client.post(post).form(&form).send().await?;
    let location = consent
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| anyhow!("sandbox consent answered {} without a redirect", consent.status()))?
        .to_string();
    // The link is not bound to a browser: its callback connects at once only for a session of
    // the link's own user, so present the demo user's.
    let session = state.jwt.issue(&principal.tenant_id, &principal.user_id)?;
    let callback =
        client.get(&location).header("accept", "application/json").bearer_auth(session.expose()).send().await?;
    if !callback.status().is_success() {
        bail!("callback answered {}: {}", callback.status(), callback.text().await.unwrap_or_default());
    }
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn print_facts(state: &AppState, facts: &DemoFacts) {
    let mcp_bin = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("pacer-mcp")))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "pacer-mcp".into());
    let snippet = serde_json::json!({
        "mcpServers": { "pacer": {
            "command": mcp_bin,
            "env": { "PACER_API_KEY": facts.api_key.expose(), "PACER_HOME": state.config.home.display().to_string() }
        }}
    });
    let snippet = serde_json::to_string_pretty(&snippet).unwrap_or_default();
    // stdout on purpose: these are the facts the person asked for.
    println!(
        "\npacer demo is running.\n\n  web:      {url}\n  login:    {email} / {pw}\n  API key:  {key}\n  socket:   {sock}\n  facts:    {home}/demo.json\n\n\
         Claude Desktop (claude_desktop_config.json):\n{snippet}\n\nTry:  curl -H 'X-API-Key: {key}' {url}/api/me\nStop with Ctrl-C.\n",
        url = facts.http_url,
        email = facts.email,
        pw = facts.password.expose(),
        key = facts.api_key.expose(),
        sock = facts.socket,
        home = state.config.home.display(),
    );
    let _ = std::io::stdout().flush();
}
