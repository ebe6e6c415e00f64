//! `POST /api/import`: the web page's upload of a Strava bulk-export ZIP (or one activity file)
//! into the logged-in user's local store.
//!
//! The multipart body is streamed to an anonymous file in `$PACER_HOME/tmp` (0700; unlinked, so
//! nothing is left behind), capped at `max_import_bytes` (its own cap, separate from the 64 KiB
//! JSON cap) → 413. The answer streams as NDJSON: `{"progress": …}` lines while the import runs,
//! then one `{"report": …}` (or `{"error": …}`) line, so the page can show progress.

use std::cell::Cell;
use std::io::Write as _;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_multipart::{Multipart, MultipartError};
use actix_web::error::PayloadError;
use actix_web::http::header::HeaderMap;
use actix_web::{HttpRequest, HttpResponse, post, web};
use futures_util::{Stream, StreamExt as _};
use serde_json::json;

use super::error::{ApiError, ErrorBody};
use super::extract::{Authenticated, TenantHeader};
use crate::activities::import::{self, ImportSource, Owner};
use crate::state::AppState;

/// The multipart form: one `file` part.
#[derive(utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ImportForm {
    /// The ZIP from Strava's "Download your data", or one .fit/.tcx/.gpx(.gz) file.
    #[schema(value_type = String, format = Binary, min_length = 1)]
    file: Vec<u8>,
}

/// The request body, noting when it has ended.
///
/// actix-multipart 0.7 can wait forever once the body has ended inside a part (a last part
/// without its closing boundary, e.g. ending in `\r\n`): nothing will wake it again. After the
/// body has ended, a part that is still waiting is therefore a malformed body (400).
struct Watched<S> {
    inner: S,
    ended: Rc<Cell<bool>>,
}

impl<S: Stream + Unpin> Stream for Watched<S> {
    type Item = S::Item;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let next = self.inner.poll_next_unpin(cx);
        if matches!(next, Poll::Ready(None)) {
            self.ended.set(true);
        }
        next
    }
}

/// A multipart form over `body`, and the flag [`Watched`] sets when the body has ended.
pub(super) fn watched_form<S>(headers: &HeaderMap, body: S) -> (Multipart, Rc<Cell<bool>>)
where
    S: Stream<Item = Result<web::Bytes, PayloadError>> + Unpin + 'static,
{
    let ended = Rc::new(Cell::new(false));
    (Multipart::new(headers, Watched { inner: body, ended: ended.clone() }), ended)
}

/// The next item of a form or part; `Pending` after the body ended is a malformed body.
async fn next_of<S, T>(stream: &mut S, ended: &Cell<bool>, what: &str) -> Option<Result<T, ApiError>>
where
    S: Stream<Item = Result<T, MultipartError>> + Unpin,
{
    std::future::poll_fn(|cx| match stream.poll_next_unpin(cx) {
        Poll::Pending if ended.get() => {
            Poll::Ready(Some(Err(ApiError::bad_request(format!("{what}: the body ends inside a part")))))
        }
        Poll::Pending => Poll::Pending,
        Poll::Ready(item) => Poll::Ready(item.map(|r| r.map_err(|e| ApiError::bad_request(format!("{what}: {e}"))))),
    })
    .await
}

/// Saves the `file` part to an anonymous private temp file, at most `limit` bytes.
async fn save_upload(
    mut form: Multipart,
    ended: Rc<Cell<bool>>,
    dir: std::path::PathBuf,
    limit: usize,
) -> Result<std::fs::File, ApiError> {
    const MALFORMED: &str = "invalid multipart body";
    let mut saved = None;
    while let Some(field) = next_of(&mut form, &ended, MALFORMED).await {
        let mut field = field?;
        if field.name() != Some("file") {
            // Drain and ignore other parts.
            while let Some(chunk) = next_of(&mut field, &ended, MALFORMED).await {
                chunk?;
            }
            continue;
        }
        let dir = dir.clone();
        let mut file = web::block(move || {
            crate::ipc::socket::ensure_private_dir(&dir).map_err(|e| std::io::Error::other(e.to_string()))?;
            tempfile::tempfile_in(&dir)
        })
        .await
        .map_err(|e| ApiError::internal_logged("cannot store the upload", e))?
        .map_err(|e| ApiError::internal_logged("cannot store the upload", e))?;
        let mut written = 0usize;
        while let Some(chunk) = next_of(&mut field, &ended, "upload interrupted").await {
            let chunk = chunk?;
            written = written.saturating_add(chunk.len());
            if written > limit {
                return Err(ApiError::payload_too_large(limit));
            }
            // Small blocking writes to a local file; chunks are at most a few KiB.
            file.write_all(&chunk).map_err(|e| ApiError::internal_logged("cannot store the upload", e))?;
        }
        if written == 0 {
            return Err(ApiError::bad_request("file: the uploaded file is empty"));
        }
        saved = Some(file);
    }
    saved.ok_or_else(|| ApiError::bad_request("file: missing (send the ZIP as a multipart part named `file`)"))
}

/// Imports an uploaded Strava bulk export (ZIP) or activity file into the caller's store.
#[utoipa::path(
    tag = "activities",
    params(TenantHeader),
    security(("bearer" = []), ("session_cookie" = [])),
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "NDJSON: `{\"progress\": {files_done, files_total, bytes_done, current}}` lines, then `{\"report\": ImportReport}` or `{\"error\": {code, message}}`", content_type = "application/x-ndjson"),
        (status = 400, description = "No `file` part, or an empty file", body = ErrorBody),
        super::responses::SessionAuth,
        (status = 413, description = "Larger than `max_import_bytes`", body = ErrorBody),
    )
)]
#[post("/api/import")]
pub async fn import_upload(
    auth: Authenticated,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let Authenticated(p) = auth;
    let dir = state.config.home.join("tmp");
    let (form, ended) = watched_form(req.headers(), body);
    let file = save_upload(form, ended, dir, state.config.max_import_bytes).await?;
    let owner = Owner { tenant: p.tenant_id.clone(), user: p.user_id.clone() };
    let mut running = import::start(&state, owner, ImportSource::Upload(file));
    let (tx, rx) = tokio::sync::mpsc::channel::<web::Bytes>(32);
    // The import finishes even if the browser goes away; only the lines are lost then.
    tokio::spawn(async move {
        let line = |v: serde_json::Value| web::Bytes::from(format!("{v}\n"));
        while let Some(progress) = running.next_progress().await {
            let _ = tx.send(line(json!({ "progress": progress }))).await;
        }
        let last = match running.report().await {
            Ok(report) => json!({ "report": report }),
            Err(e) => json!({ "error": { "code": "import_failed", "message": e.to_string() } }),
        };
        let _ = tx.send(line(last)).await;
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|bytes| (Ok::<_, actix_web::Error>(bytes), rx))
    });
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .streaming(body))
}

#[cfg(test)]
mod proof;
