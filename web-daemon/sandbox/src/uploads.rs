//! `POST /api/v3/uploads` (multipart) and `GET /api/v3/uploads/{id}`. Files are parsed for real
//! when posted; the result (activity, duplicate or error) is revealed once
//! `upload_processing_ms` has passed, like Strava's asynchronous processing.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt as _;
use pacer_files::{DataType, Limits, ParseError};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::Shared;
use super::activity::{Activity, StreamSource};
use super::error::Fault;
use super::model::{default_name, sport_type};
use super::request::{Auth, path_id};
use super::request::{PARAMS_CAP, read_field};
use super::track::{Streams, Summary, summarize};

/// Largest accepted file (Strava documents 25 MB).
pub(crate) const MAX_UPLOAD_BYTES: usize = 25 * 1024 * 1024;
pub(crate) const STATUS_PROCESSING: &str = "Your activity is still being processed.";
pub(crate) const STATUS_READY: &str = "Your activity is ready.";
pub(crate) const STATUS_ERROR: &str = "There was an error processing your activity.";

#[derive(Debug, Clone)]
pub(crate) struct Upload {
    id: u64,
    athlete_id: u64,
    external_id: String,
    ready_at: Instant,
    /// The activity id, or the error text.
    outcome: Result<u64, String>,
}

impl Upload {
    /// The upload document; `processed` = the processing delay has passed.
    fn json(&self, processed: bool) -> Value {
        let (status, error, activity_id) = match (&self.outcome, processed) {
            (_, false) => (STATUS_PROCESSING, None, None),
            (Ok(id), true) => (STATUS_READY, None, Some(*id)),
            (Err(e), true) => (STATUS_ERROR, Some(e.as_str()), None),
        };
        json!({
            "id": self.id, "id_str": self.id.to_string(), "external_id": self.external_id,
            "error": error, "status": status, "activity_id": activity_id,
        })
    }
}

/// Most non-file form fields an upload may carry (Strava's form has six).
const MAX_FIELDS: usize = 16;

struct UploadForm {
    file: Option<(Vec<u8>, Option<String>)>,
    fields: HashMap<String, String>,
}

async fn read_form(mut form: Multipart) -> Result<UploadForm, Fault> {
    let mut out = UploadForm { file: None, fields: HashMap::new() };
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|_| Fault::bad_request("Upload", "body", "invalid"))?;
        let name = field.name().unwrap_or_default().to_owned();
        let cap = if name == "file" { MAX_UPLOAD_BYTES } else { PARAMS_CAP };
        let bytes =
            read_field(&mut field, cap).await.map_err(|e| e.unwrap_or_else(|| Fault::too_large("Upload", &name)))?;
        if name == "file" {
            let filename = field.content_disposition().and_then(|cd| cd.get_filename()).map(str::to_owned);
            out.file = Some((bytes, filename));
        } else {
            if out.fields.len() >= MAX_FIELDS && !out.fields.contains_key(&name) {
                return Err(Fault::bad_request("Upload", "body", "too many fields"));
            }
            out.fields.insert(name, String::from_utf8_lossy(&bytes).trim().to_owned());
        }
    }
    Ok(out)
}

/// A parsed and summarized file.
struct Processed {
    sport: Option<&'static str>,
    name: Option<String>,
    device: Option<String>,
    summary: Summary,
    streams: Streams,
}

fn process(bytes: &[u8], data_type: DataType) -> Result<Processed, ParseError> {
    let file = pacer_files::parse(bytes, data_type, &Limits::DEFAULT)?;
    let (summary, streams) = summarize(&file.points, &file.totals)?;
    Ok(Processed { sport: file.sport, name: file.name, device: file.device, summary, streams })
}

fn truthy(v: Option<&String>) -> bool {
    v.is_some_and(|v| matches!(v.as_str(), "1" | "true" | "True" | "yes"))
}

pub(crate) async fn create(auth: Auth, form: Multipart, shared: web::Data<Shared>) -> Result<HttpResponse, Fault> {
    auth.require(&["activity:write"], "activity:write_permission")?;
    let UploadForm { file, fields } = read_form(form).await?;
    let field = |k: &str| fields.get(k).filter(|v| !v.is_empty());
    let data_type = field("data_type")
        .and_then(|v| DataType::parse(v))
        .ok_or_else(|| Fault::bad_request("Upload", "data_type", "invalid"))?;
    let sport_param = match field("sport_type").or_else(|| field("activity_type")) {
        Some(v) => Some(sport_type(v).ok_or_else(|| Fault::bad_request("Upload", "sport_type", "invalid"))?),
        None => None,
    };
    let Some((bytes, filename)) = file else {
        return Err(Fault::bad_request("Upload", "file", "empty"));
    };
    let explicit_external_id = field("external_id").cloned();
    let sha = hex::encode(Sha256::digest(&bytes));
    let processed = web::block(move || process(&bytes, data_type))
        .await
        .map_err(|_| Fault::server_error(StatusCode::INTERNAL_SERVER_ERROR))?;

    let athlete_id = auth.athlete_id();
    let label = filename
        .clone()
        .or_else(|| explicit_external_id.clone())
        .unwrap_or_else(|| format!("upload.{}", data_type.label()));
    let ready_at = Instant::now() + Duration::from_millis(shared.config.upload_processing_ms);
    let mut state = shared.state();
    let upload_id = state.next_upload_id;
    state.next_upload_id += 1;
    let external_id = explicit_external_id.clone().or(filename).unwrap_or_else(|| format!("upload_{upload_id}"));
    let duplicate = state
        .activities
        .values()
        .find(|a| {
            a.athlete_id == athlete_id
                && (a.file_sha256.as_deref() == Some(sha.as_str())
                    || (explicit_external_id.is_some() && a.external_id == explicit_external_id))
        })
        .map(|a| a.id);
    let outcome = match (processed, duplicate) {
        (Err(e), _) => Err(format!("{label}: {e}")),
        (Ok(_), Some(dup)) => Err(format!("{label} duplicate of activity {dup}")),
        (Ok(p), None) => {
            let (tz_label, tz_offset_s) = state
                .athlete(athlete_id)
                .map_or(("(GMT+00:00) UTC".into(), 0), |a| (a.timezone_label(), a.tz_offset_s));
            let id = state.next_activity_id;
            state.next_activity_id += 1;
            let sport = sport_param.or(p.sport).unwrap_or("Workout");
            let mut activity = Activity {
                id,
                athlete_id,
                name: String::new(),
                description: field("description").cloned(),
                sport_type: sport.to_owned(),
                summary: p.summary,
                tz_label,
                tz_offset_s,
                external_id: Some(external_id.clone()),
                upload_id: Some(upload_id),
                trainer: truthy(fields.get("trainer")) || sport == "VirtualRide",
                commute: truthy(fields.get("commute")),
                device_name: p.device,
                file_sha256: Some(sha),
                visible_at: Some(ready_at),
                streams: StreamSource::Stored(Arc::new(p.streams)),
            };
            activity.name =
                field("name").cloned().or(p.name).unwrap_or_else(|| default_name(sport, activity.local_hour()));
            state.activities.insert(id, activity);
            Ok(id)
        }
    };
    tracing::debug!(upload_id, athlete_id, ok = outcome.is_ok(), "sandbox: upload received");
    let upload = Upload { id: upload_id, athlete_id, external_id, ready_at, outcome };
    let body = upload.json(false);
    state.uploads.insert(upload_id, upload);
    Ok(HttpResponse::Created().json(body))
}

pub(crate) async fn status(req: HttpRequest, auth: Auth, shared: web::Data<Shared>) -> Result<HttpResponse, Fault> {
    let id = path_id(&req, "Upload")?;
    let state = shared.state();
    let upload = state
        .uploads
        .get(&id)
        .filter(|u| u.athlete_id == auth.athlete_id())
        .ok_or_else(|| Fault::not_found("Upload"))?;
    Ok(HttpResponse::Ok().json(upload.json(Instant::now() >= upload.ready_at)))
}
