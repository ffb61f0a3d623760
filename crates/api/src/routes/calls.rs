//! `/v1/calls`, `/v1/recordings`, `/v1/voicemails`: the history of calls, read-only here (the
//! call layer writes it), and the one action on a live call, voicedrop.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use centralita_domain::{
    AccountId, CallId, CallRecord, CallStatus, Direction, Document, E164, FieldError, Millis,
    NumberId, RecordingId, UserId, VoicemailId,
};
use centralita_store::{CallFilter, NewCall, Store, StoreError, Viewer};
use serde::{Deserialize, Serialize};

use crate::body::{JsonBody, PathId, QueryParams};
use crate::routes::audio::serve_wav;
use crate::views::VoicemailView;
use crate::{ApiError, AppState, ClickToCall, LiveState, Member, outbound_policy};

/// Default and largest page of calls or voicemails.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;

fn limit(params: &QueryParams) -> Result<u32, ApiError> {
    let limit = params.get::<u32>("limit", "a whole number")?.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::invalid("limit", format!("must be between 1 and {MAX_LIMIT}")));
    }
    Ok(limit)
}

/// Calls, newest first, each with its events. Agents see the calls of their numbers.
#[utoipa::path(get, path = "/v1/calls", tag = "calls",
    params(
        ("number_id" = Option<String>, Query, format = Uuid, description = "Only this number's calls"),
        ("since" = Option<String>, Query, format = DateTime, description = "Calls that started at or after"),
        ("until" = Option<String>, Query, format = DateTime, description = "Calls that started before"),
        ("status" = Option<CallStatus>, Query, description = "Only calls with this outcome"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 500, description = "At most this many (default 50)"),
    ),
    responses((status = 200, body = [CallRecord]), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn list_calls(
    State(state): State<AppState>,
    member: Member,
    params: QueryParams,
) -> Result<Json<Vec<CallRecord>>, ApiError> {
    params.only(&["number_id", "since", "until", "status", "limit"])?;
    let number_id = match params.get_str("number_id").filter(|s| !s.is_empty()) {
        // A number the caller cannot see is 404, like any id that is not theirs.
        Some(raw) => {
            let id: NumberId = raw.parse().map_err(|_| ApiError::NotFound)?;
            state.store().get_number(member.account, id, member.viewer()).await?;
            Some(id)
        }
        None => None,
    };
    let since =
        params.get::<Millis>("since", "an RFC 3339 date-time, e.g. 2026-11-24T00:00:00Z")?;
    let until =
        params.get::<Millis>("until", "an RFC 3339 date-time, e.g. 2026-11-25T00:00:00Z")?;
    let status = match params.get_str("status").filter(|s| !s.is_empty()) {
        Some(raw) => Some(CallStatus::from_name(raw).ok_or_else(|| {
            ApiError::invalid(
                "status",
                "must be one of in_progress, answered, missed, voicemail, forwarded",
            )
        })?),
        None => None,
    };
    let filter = CallFilter { number_id, since, until, status, limit: limit(&params)? };
    Ok(Json(state.store().list_calls(member.account, member.viewer(), &filter).await?))
}

/// One call with its events, recording, voicemail and cost.
#[utoipa::path(get, path = "/v1/calls/{id}", tag = "calls",
    params(("id" = String, Path, description = "Call id")),
    responses((status = 200, body = CallRecord), (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn get_call(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<CallId>,
) -> Result<Json<CallRecord>, ApiError> {
    Ok(Json(state.store().get_call(member.account, member.viewer(), id).await?))
}

/// Plays the number's voicedrop message into the lead's leg and releases the agent at once.
/// Only the agent who placed the outbound call can do it.
#[utoipa::path(post, path = "/v1/calls/{id}/voicedrop", tag = "calls",
    params(("id" = String, Path, description = "Call id")),
    responses((status = 202), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub(crate) async fn voicedrop(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<CallId>,
) -> Result<StatusCode, ApiError> {
    let call = state.store().get_call(member.account, member.viewer(), id).await?;
    let conflict = |message: &str| ApiError::Conflict { field: None, message: message.to_owned() };
    if call.direction != Direction::Outbound {
        return Err(conflict("voicedrop is for outbound calls only"));
    }
    if call.user_id != Some(member.id) {
        return Err(ApiError::Forbidden("only the agent on the call can send its voicedrop"));
    }
    let number = call.number_id.ok_or_else(|| conflict("the call's number no longer exists"))?;
    let settings = state.store().get_settings(member.account, number).await?;
    let Some(audio) = settings.voicedrop_audio_id else {
        return Err(ApiError::Conflict {
            field: Some("voicedrop_audio_id".into()),
            message: "the number has no voicedrop message; upload one and set it in the number's settings"
                .into(),
        });
    };
    if call.status != CallStatus::InProgress {
        return Err(conflict("the call has ended"));
    }
    state.live().voicedrop(id, member.id, audio).map_err(|refusal| conflict(&refusal))?;
    Ok(StatusCode::ACCEPTED)
}

/// A call's recording as WAV (stereo: caller left, agent or forward target right).
#[utoipa::path(get, path = "/v1/recordings/{id}", tag = "calls",
    params(("id" = String, Path, description = "Recording id")),
    responses((status = 200, content_type = "audio/wav", body = Vec<u8>),
        (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn get_recording(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<RecordingId>,
    request: Request,
) -> Result<Response, ApiError> {
    let recording = state.store().get_recording(member.account, member.viewer(), id).await?;
    serve_wav(recording.path, request).await
}

/// Voicemails, newest first, with the caller's read state.
#[utoipa::path(get, path = "/v1/voicemails", tag = "calls",
    params(
        ("unread" = Option<bool>, Query, description = "Only those the caller has not opened"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 500, description = "At most this many (default 50)"),
    ),
    responses((status = 200, body = [VoicemailView]), (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn list_voicemails(
    State(state): State<AppState>,
    member: Member,
    params: QueryParams,
) -> Result<Json<Vec<VoicemailView>>, ApiError> {
    params.only(&["unread", "limit"])?;
    let unread = params.get_bool("unread")?.unwrap_or(false);
    let voicemails = state
        .store()
        .list_voicemails(member.account, member.viewer(), member.id, unread, limit(&params)?)
        .await?;
    Ok(Json(voicemails.into_iter().map(VoicemailView::from).collect()))
}

/// One voicemail.
#[utoipa::path(get, path = "/v1/voicemails/{id}", tag = "calls",
    params(("id" = String, Path, description = "Voicemail id")),
    responses((status = 200, body = VoicemailView), (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn get_voicemail(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<VoicemailId>,
) -> Result<Json<VoicemailView>, ApiError> {
    let voicemail =
        state.store().get_voicemail(member.account, member.viewer(), member.id, id).await?;
    Ok(Json(voicemail.into()))
}

/// `PATCH /v1/voicemails/{id}` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateVoicemail {
    /// Mark it read (or unread again) for the caller.
    read: bool,
}

impl Document for UpdateVoicemail {
    type Raw = Self;

    fn from_raw(raw: Self) -> Result<Self, FieldError> {
        Ok(raw)
    }
}

/// Marks a voicemail read or unread for the caller.
#[utoipa::path(patch, path = "/v1/voicemails/{id}", tag = "calls", request_body = UpdateVoicemail,
    params(("id" = String, Path, description = "Voicemail id")),
    responses((status = 200, body = VoicemailView), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn update_voicemail(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<VoicemailId>,
    body: JsonBody,
) -> Result<Json<VoicemailView>, ApiError> {
    state.store().get_voicemail(member.account, member.viewer(), member.id, id).await?;
    let body: UpdateVoicemail = body.parse()?;
    let now = Millis(jiff::Timestamp::now().as_millisecond());
    let voicemail = state
        .store()
        .set_voicemail_read(member.account, member.viewer(), member.id, id, body.read, now)
        .await?;
    Ok(Json(voicemail.into()))
}

/// A voicemail's audio as WAV.
#[utoipa::path(get, path = "/v1/voicemails/{id}/audio", tag = "calls",
    params(("id" = String, Path, description = "Voicemail id")),
    responses((status = 200, content_type = "audio/wav", body = Vec<u8>),
        (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn get_voicemail_audio(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<VoicemailId>,
    request: Request,
) -> Result<Response, ApiError> {
    let voicemail =
        state.store().get_voicemail(member.account, member.viewer(), member.id, id).await?;
    serve_wav(voicemail.path, request).await
}

/// `POST /v1/calls` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlaceCall {
    /// The lead: `+` and the international number, or a national number of the account's
    /// country.
    #[schema(example = "+34600111222", max_length = 40)]
    to: String,
    /// The caller ID: one of the numbers assigned to the user. Default: the user's default
    /// number, else the account's, else their first assigned number.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    from_number_id: Option<NumberId>,
}

impl Document for PlaceCall {
    type Raw = Self;

    fn from_raw(raw: Self) -> Result<Self, FieldError> {
        if raw.to.chars().count() > 40 {
            return Err(FieldError::new("to", "is too long for a phone number"));
        }
        Ok(raw)
    }
}

/// A click-to-call just placed: the user's phones are ringing.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CallPlaced {
    /// The call; its history is at `/v1/calls/{id}`.
    pub id: CallId,
    /// The lead, in E.164.
    #[schema(value_type = String)]
    pub to: E164,
    /// The caller ID the lead will see.
    #[schema(value_type = String)]
    pub from: E164,
    /// The number shown as caller ID.
    pub from_number_id: NumberId,
}

/// Click-to-call: rings the user's own phones, and when one answers, dials the lead over the
/// trunk with one of the user's numbers as caller ID (media anchored, recorded if that number
/// records). A destination outside the account's allowed prefixes, or a user with no number,
/// is refused before anything rings, and the refusal is in the history.
#[utoipa::path(post, path = "/v1/calls", tag = "calls", request_body = PlaceCall,
    responses((status = 201, body = CallPlaced), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn place_call(
    State(state): State<AppState>,
    member: Member,
    body: JsonBody,
) -> Result<(StatusCode, Json<CallPlaced>), ApiError> {
    let body: PlaceCall = body.parse()?;
    let placed = click_to_call(
        state.store(),
        state.live(),
        (member.account, member.id),
        &body.to,
        body.from_number_id,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(placed)))
}

/// Checks and places a click-to-call for `user` of `account` (the API's `POST /v1/calls` and
/// the web widget's dial box).
pub async fn click_to_call(
    store: &Store,
    live: &dyn LiveState,
    (account, user): (AccountId, UserId),
    to: &str,
    from: Option<NumberId>,
) -> Result<CallPlaced, ApiError> {
    let account = store.get_account(account).await?;
    let to = account.country.normalize(to).map_err(|e| FieldError::new("to", e.to_string()))?;
    let number = match from {
        Some(id) => match store.get_number(account.id, id, Viewer::Agent(user)).await {
            Ok(number) => Some(number),
            Err(StoreError::NotFound) => {
                let error = FieldError::new("from_number_id", "is not one of your numbers");
                return Err(error.into());
            }
            Err(e) => return Err(e.into()),
        },
        None => store.caller_id(account.id, user).await?,
    };
    let refused = |number_id: Option<NumberId>, from: String| NewCall {
        id: None,
        number_id,
        user_id: Some(user),
        direction: Direction::Outbound,
        from,
        to: to.to_string(),
        started_at: Millis(jiff::Timestamp::now().as_millisecond()),
    };
    let Some(number) = number else {
        let call = refused(None, "anonymous".into());
        store.record_refused_call(account.id, &call, CLICK, "no_caller_id").await?;
        return Err(ApiError::Forbidden("no number is assigned to you to call from"));
    };
    if !outbound_policy(&account, None).allows(&to) {
        let call = refused(Some(number.id), number.e164.to_string());
        store.record_refused_call(account.id, &call, CLICK, "destination_not_allowed").await?;
        return Err(ApiError::Forbidden(
            "the destination is outside the countries this account may call",
        ));
    }
    let request = ClickToCall { account: account.id, user, number: number.id, to: to.clone() };
    let id = live
        .click_to_call(request)
        .await
        .map_err(|_| ApiError::Unavailable)?
        .map_err(|message| ApiError::Conflict { field: None, message })?;
    Ok(CallPlaced { id, to, from: number.e164, from_number_id: number.id })
}

/// The `arrived` reason of a click-to-call refused before it rang.
const CLICK: &str = "click-to-call";
