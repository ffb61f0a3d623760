//! The audio library: upload WAV or MP3, listen, see the duration, delete what nothing uses.

use std::collections::HashMap;
use std::path::PathBuf;

use axum::extract::{FromRequest, FromRequestParts, Multipart, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use centralita_audio::{AudioError, Format, Limits};
use centralita_domain::{AccountId, AudioId, FieldError, RefTarget, check_name};
use centralita_store::{Audio, StoreError, Viewer};
use maud::html;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::WebState;
use crate::form::{Errors, FormData, MultipartError, Posted, Upload};
use crate::i18n::{T, format_duration_ms};
use crate::page::{
    Shell, Tab, WebError, csrf_field, described_by, field_error, invalid, page, player,
    redirect_with_flash, time,
};
use crate::routes::{parse_id, wav_id};
use crate::session::{CSRF_FIELD, Signed};

/// Decodes, normalises and stores an upload. `Ok(Err(message))` is a refusal of the file (or
/// its name) to show by the field.
pub(crate) async fn store_upload(
    state: &WebState,
    account: AccountId,
    name: Option<&str>,
    upload: &Upload,
) -> Result<Result<Audio, String>, WebError> {
    let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => name.to_owned(),
        None => {
            let stem =
                upload.filename.rsplit_once('.').map_or(upload.filename.as_str(), |(s, _)| s);
            let stem = stem.rsplit(['/', '\\']).next().unwrap_or(stem).trim();
            if stem.is_empty() { "audio".to_owned() } else { stem.chars().take(200).collect() }
        }
    };
    if let Err(e) = check_name("name", &name) {
        return Ok(Err(e.message));
    }
    let hint = match upload.content_type.as_deref().unwrap_or("") {
        t if t.contains("mpeg") || t.contains("mp3") => Some(Format::Mp3),
        t if t.contains("wav") => Some(Format::Wav),
        _ if upload.filename.to_ascii_lowercase().ends_with(".mp3") => Some(Format::Mp3),
        _ if upload.filename.to_ascii_lowercase().ends_with(".wav") => Some(Format::Wav),
        _ => None,
    };
    let limits = Limits { max_duration_ms: state.config().max_audio_duration_ms };
    let bytes = upload.bytes.clone();
    let normalised =
        tokio::task::spawn_blocking(move || centralita_audio::normalise(&bytes, hint, &limits))
            .await
            .map_err(|e| WebError::Internal(e.to_string()))?;
    let normalised = match normalised {
        Ok(n) => n,
        Err(AudioError::TooLong { max_ms }) => {
            return Ok(Err(format!("audio messages are limited to {} seconds", max_ms / 1000)));
        }
        Err(other) => return Ok(Err(format!("not usable audio: {other}"))),
    };
    let wav = normalised.to_wav();
    Ok(Ok(state.store().create_audio(account, &name, &wav, normalised.duration_ms()).await?))
}

/// What uses each audio message, in words, so that only unused ones offer "delete".
async fn usage(
    state: &WebState,
    account: AccountId,
) -> Result<HashMap<AudioId, Vec<String>>, WebError> {
    let mut used: HashMap<AudioId, Vec<String>> = HashMap::new();
    for number in state.store().list_numbers(account, Viewer::Admin).await? {
        let settings = state.store().get_settings(account, number.id).await?;
        for audio in settings.audio_ids() {
            used.entry(audio).or_default().push(format!("{} ({})", number.name, number.e164));
        }
    }
    for ivr in state.store().list_ivrs(account).await? {
        for reference in ivr.document.references() {
            if let RefTarget::Audio(audio) = reference.target {
                used.entry(audio).or_default().push(format!("IVR {}", ivr.document.name));
            }
        }
    }
    for names in used.values_mut() {
        names.dedup();
    }
    Ok(used)
}

async fn render(
    state: &WebState,
    signed: &Signed,
    errors: &Errors,
    typed_name: &str,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = signed.lang;
    let audio = state.store().list_audio(signed.account()).await?;
    let used = usage(state, signed.account()).await?;
    let body = html! {
        h1 { (lang.t(T::AudioTitle)) }
        p.lead { (lang.t(T::AudioIntro)) }
        form.card #upload-form method="post" action="/audio" enctype="multipart/form-data" novalidate {
            (csrf_field(&signed.csrf))
            h2 { (lang.t(T::UploadAudio)) }
            div.field {
                label for="audio-name" { (lang.t(T::AudioName)) }
                input #audio-name type="text" name="name" value=(typed_name) maxlength="200"
                    aria-invalid=[invalid(errors, "name")] aria-describedby=[described_by(errors, "name")];
                (field_error(errors, "name", lang))
            }
            div.field {
                label for="audio-file" { (lang.t(T::AudioFile)) }
                input #audio-file type="file" name="file" required accept=".wav,.mp3,audio/wav,audio/mpeg"
                    aria-invalid=[invalid(errors, "file")] aria-describedby=[described_by(errors, "file")];
                (field_error(errors, "file", lang))
            }
            button.primary type="submit" { (lang.t(T::Upload)) }
        }
        @if audio.is_empty() {
            p.muted { (lang.t(T::NoAudio)) }
        } @else {
            div.table-wrap {
                table #audio-list {
                    caption { (lang.t(T::AudioTitle)) }
                    thead { tr {
                        th scope="col" { (lang.t(T::AudioName)) }
                        th scope="col" { (lang.t(T::Duration)) }
                        th scope="col" { (lang.t(T::Uploaded)) }
                        th scope="col" { (lang.t(T::Listen)) }
                        th scope="col" { (lang.t(T::UsedBy)) }
                    } }
                    tbody {
                        @for a in &audio {
                            tr data-audio-id=(a.id) {
                                th scope="row" { (a.name) }
                                td.duration { (format_duration_ms(lang, a.duration_ms)) }
                                td { (time(lang, a.created_at)) }
                                td { (player(lang, &format!("/audio/{}.wav", a.id), &format!("{} {}", lang.t(T::Listen), a.name), true)) }
                                td {
                                    @match used.get(&a.id) {
                                        Some(users) => { (users.join(", ")) }
                                        None => {
                                            form method="post" action=(format!("/audio/{}/delete", a.id)) {
                                                (csrf_field(&signed.csrf))
                                                button.danger type="submit" aria-label=(format!("{} {}", lang.t(T::Delete), a.name)) { (lang.t(T::Delete)) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let title = lang.t(T::AudioTitle).to_owned();
    page(state, Shell { signed, tab: Some(Tab::Audio), title }, status, body).await
}

/// `GET /audio`.
pub(crate) async fn list(
    State(state): State<WebState>,
    signed: Signed,
) -> Result<Response, WebError> {
    signed.require_admin()?;
    render(&state, &signed, &Errors::none(), "", StatusCode::OK).await
}

/// `POST /audio`: a multipart upload.
pub(crate) async fn upload(
    State(state): State<WebState>,
    request: Request,
) -> Result<Response, WebError> {
    let (mut parts, body) = request.into_parts();
    let signed = Signed::from_request_parts(&mut parts, &state).await?;
    signed.require_admin()?;
    let request = Request::from_parts(parts, body);
    let multipart =
        Multipart::from_request(request, &state).await.map_err(|_| WebError::BadRequest)?;
    let form = match FormData::from_multipart(multipart, state.config().max_upload_bytes).await {
        Ok(form) => form,
        Err(MultipartError::Unreadable) => return Err(WebError::BadRequest),
        Err(MultipartError::TooLarge) => return Err(WebError::TooLarge),
    };
    signed.check_csrf(form.get(CSRF_FIELD))?;
    let typed = form.get("name").unwrap_or("").to_owned();
    let Some(file) = form.file("file") else {
        let errors = Errors::of(FieldError::new("file", "choose a WAV or MP3 file"));
        return render(&state, &signed, &errors, &typed, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match store_upload(&state, signed.account(), Some(&typed), file).await? {
        Ok(audio) => {
            let text = format!("{}: {}", signed.lang.t(T::Uploaded), audio.name);
            Ok(redirect_with_flash(&state, "/audio", true, &text))
        }
        Err(message) => {
            let field = if message.contains("name") || typed.chars().any(char::is_control) {
                "name"
            } else {
                "file"
            };
            let errors = Errors::of(FieldError::new(field, message));
            render(&state, &signed, &errors, &typed, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// `POST /audio/{id}/delete`.
pub(crate) async fn delete(
    State(state): State<WebState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> Result<Response, WebError> {
    let signed = &posted.signed;
    let id: AudioId = parse_id(&raw)?;
    let audio = state.store().get_audio(signed.account(), id).await?;
    signed.require_admin()?;
    match state.store().delete_audio(signed.account(), id).await {
        Ok(()) => {
            let text = format!("{}: {}", signed.lang.t(T::Deleted), audio.name);
            Ok(redirect_with_flash(&state, "/audio", true, &text))
        }
        Err(StoreError::InUse(message)) => {
            Ok(redirect_with_flash(&state, "/audio", false, &message))
        }
        Err(other) => Err(other.into()),
    }
}

/// `GET /audio/{id}.wav`: the normalised audio, for the players (admins, like the API).
pub(crate) async fn file(
    State(state): State<WebState>,
    signed: Signed,
    Path(file): Path<String>,
    request: Request,
) -> Result<Response, WebError> {
    let id: AudioId = wav_id(&file)?;
    let path = state.store().audio_path(signed.account(), id).await?;
    signed.require_admin()?;
    serve_wav(path, request, &format!("audio-{id}.wav")).await
}

/// Serves a WAV under the data directory with range support (players seek); `?download=1`
/// makes it an attachment.
pub(crate) async fn serve_wav(
    path: PathBuf,
    request: Request,
    download_name: &str,
) -> Result<Response, WebError> {
    let download = request.uri().query().is_some_and(|q| q.split('&').any(|p| p == "download=1"));
    let mime: mime::Mime = "audio/wav".parse().map_err(|_| WebError::Internal("mime".into()))?;
    let response = ServeFile::new_with_mime(path, &mime)
        .oneshot(request)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    if response.status() == StatusCode::NOT_FOUND {
        return Err(WebError::NotFound);
    }
    let mut response = response.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    if download {
        let value = format!("attachment; filename=\"{download_name}\"");
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
    }
    Ok(response)
}
