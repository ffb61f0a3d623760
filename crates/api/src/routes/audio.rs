//! `/v1/audio`: audio messages. Uploads are decoded (WAV, MP3), resampled to 8 kHz mono and
//! stored once, in the form the media engine plays.

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use centralita_audio::{AudioError, Format, Limits};
use centralita_domain::{AudioId, check_name};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::body::{PathId, QueryParams};
use crate::views::AudioView;
use crate::{ApiError, AppState, Member};

/// The upload's declared type, as a hint for the decoder (which probes the content anyway).
fn format_hint(headers: &HeaderMap) -> Result<Option<Format>, ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else { return Ok(None) };
    let essence =
        value.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => Ok(Some(Format::Wav)),
        "audio/mpeg" | "audio/mp3" | "audio/mpeg3" | "audio/x-mpeg-3" => Ok(Some(Format::Mp3)),
        "application/octet-stream" | "" => Ok(None),
        other => Err(ApiError::UnsupportedMediaType(format!(
            "send a WAV (audio/wav) or MP3 (audio/mpeg) file, not {other:?}"
        ))),
    }
}

/// Reads the whole body, refusing with 413 as soon as it passes `limit`.
async fn read_limited(headers: &HeaderMap, body: Body, limit: usize) -> Result<Vec<u8>, ApiError> {
    let too_large = || ApiError::TooLarge(format!("uploads are limited to {limit} bytes"));
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok(bytes.to_vec()),
        Err(err) => {
            let over_limit = std::error::Error::source(&err)
                .is_some_and(|e| e.is::<http_body_util::LengthLimitError>());
            Err(if over_limit {
                too_large()
            } else {
                ApiError::BadRequest(format!("the upload could not be read: {err}"))
            })
        }
    }
}

/// Uploads an audio message (`?name=...`, the file as the body).
#[utoipa::path(post, path = "/v1/audio", tag = "audio",
    params(("name" = String, Query, description = "What to call the message")),
    request_body(content = Vec<u8>, content_type = "audio/wav", description = "A WAV or MP3 file (also audio/mpeg)"),
    responses((status = 201, body = AudioView), (status = 403, body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn upload_audio(
    State(state): State<AppState>,
    member: Member,
    params: QueryParams,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<AudioView>), ApiError> {
    member.require_admin()?;
    params.only(&["name"])?;
    let name = params.get_str("name").unwrap_or("").trim().to_owned();
    check_name("name", &name)?;
    let hint = format_hint(&headers)?;
    let bytes = read_limited(&headers, body, state.config().max_upload_bytes).await?;
    let limits = Limits { max_duration_ms: state.config().max_audio_duration_ms };
    let normalised =
        tokio::task::spawn_blocking(move || centralita_audio::normalise(&bytes, hint, &limits))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .map_err(|e| match e {
                AudioError::TooLong { max_ms } => ApiError::TooLarge(format!(
                    "audio messages are limited to {} seconds",
                    max_ms / 1000
                )),
                other => ApiError::invalid("body", format!("not usable audio: {other}")),
            })?;
    let wav = normalised.to_wav();
    let audio =
        state.store().create_audio(member.account, &name, &wav, normalised.duration_ms()).await?;
    Ok((StatusCode::CREATED, Json(audio.into())))
}

/// The account's audio messages.
#[utoipa::path(get, path = "/v1/audio", tag = "audio",
    responses((status = 200, body = [AudioView]), (status = 403, body = crate::error::ErrorBody)))]
pub(crate) async fn list_audio(
    State(state): State<AppState>,
    member: Member,
) -> Result<Json<Vec<AudioView>>, ApiError> {
    member.require_admin()?;
    let audio = state.store().list_audio(member.account).await?;
    Ok(Json(audio.into_iter().map(AudioView::from).collect()))
}

/// Serves a file under the data directory with range support (browsers' audio players seek).
pub(crate) async fn serve_wav(
    path: std::path::PathBuf,
    request: Request,
) -> Result<Response, ApiError> {
    let mime = "audio/wav".parse::<mime::Mime>().map_err(|e| ApiError::Internal(e.to_string()))?;
    let response = ServeFile::new_with_mime(path, &mime)
        .oneshot(request)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if response.status() == StatusCode::NOT_FOUND {
        // The row exists but the file is gone: someone removed it by hand.
        return Err(ApiError::Internal("an audio file is missing from the data directory".into()));
    }
    Ok(response.into_response())
}

/// The normalised audio as WAV (8 kHz, mono, 16-bit).
#[utoipa::path(get, path = "/v1/audio/{id}", tag = "audio",
    params(("id" = String, Path, description = "Audio id")),
    responses((status = 200, content_type = "audio/wav", body = Vec<u8>),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn get_audio(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<AudioId>,
    request: Request,
) -> Result<Response, ApiError> {
    let path = state.store().audio_path(member.account, id).await?;
    member.require_admin()?;
    serve_wav(path, request).await
}

/// One audio message's details.
#[utoipa::path(get, path = "/v1/audio/{id}/info", tag = "audio",
    params(("id" = String, Path, description = "Audio id")),
    responses((status = 200, body = AudioView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn get_audio_info(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<AudioId>,
) -> Result<Json<AudioView>, ApiError> {
    let audio = state.store().get_audio(member.account, id).await?;
    member.require_admin()?;
    Ok(Json(audio.into()))
}

/// Deletes an audio message that no number and no IVR uses (409 otherwise).
#[utoipa::path(delete, path = "/v1/audio/{id}", tag = "audio",
    params(("id" = String, Path, description = "Audio id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub(crate) async fn delete_audio(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<AudioId>,
) -> Result<StatusCode, ApiError> {
    state.store().get_audio(member.account, id).await?;
    member.require_admin()?;
    state.store().delete_audio(member.account, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
