//! What moves while the page is open: the notification stream, the agent widget (online
//! switch, current call, voicedrop, click-to-call).
//!
//! The widget's call actions go through [`crate::WebLive`]: until the call layer provides one,
//! [`centralita_api::NoCallLayer`] says there is no call and refuses to dial, with a reason.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use centralita_domain::{CallId, CallStatus, Direction, NumberId};
use centralita_store::{StoreError, UserUpdate};
use futures::{Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use crate::WebState;
use crate::form::Posted;
use crate::i18n::T;
use crate::page::{WebError, maud_html, redirect_with_flash, safe_next, widget};
use crate::routes::parse_id;
use crate::session::Signed;

/// `GET /events`: the same Server-Sent Events as the API's `/v1/events/stream`, filtered the
/// same way, authenticated by the session cookie (an `EventSource` cannot send a bearer token).
pub(crate) async fn events(
    State(state): State<WebState>,
    signed: Signed,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = state.events().subscribe();
    let mut shutdown = state.shutdown();
    let ended = async move {
        let _ = shutdown.wait_for(|stopping| *stopping).await;
    };
    let (account, user, role) = (signed.account(), signed.user.id, signed.user.role);
    let events = futures::stream::unfold(receiver, move |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(event) if event.is_for(account, user, role) => {
                    let sse = Event::default().event(event.name).data(event.data.to_string());
                    return Some((Ok(sse), receiver));
                }
                Ok(_) => {}
                Err(RecvError::Lagged(missed)) => {
                    let sse =
                        Event::default().event("lagged").data(format!("{{\"missed\":{missed}}}"));
                    return Some((Ok(sse), receiver));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let opening = futures::stream::once(async { Ok(Event::default().comment("connected")) });
    Sse::new(opening.chain(events).take_until(ended))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// `GET /widget`: the widget alone, for the script to refresh it when a call starts or ends.
pub(crate) async fn widget_fragment(
    State(state): State<WebState>,
    mut signed: Signed,
    headers: axum::http::HeaderMap,
) -> Result<Response, WebError> {
    // Forms in the fragment come back to the page that shows it, not to /widget.
    signed.path = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once("://"))
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
        .map_or_else(|| "/".to_owned(), |p| safe_next(Some(&p)));
    let markup = widget(&state, &signed).await?;
    let mut response = maud_html(markup).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `POST /presence`: the user's own online switch ("Agente en línea").
pub(crate) async fn presence(
    State(state): State<WebState>,
    posted: Posted,
) -> Result<Response, WebError> {
    let signed = &posted.signed;
    let online = match posted.form.get("online") {
        Some("true") => true,
        Some("false") => false,
        _ => return Err(WebError::BadRequest),
    };
    state.store().set_online_switch(signed.account(), signed.user.id, online).await?;
    // The call layer re-reads the switch now, not when its cache expires.
    state.live().user_changed(signed.account(), signed.user.id);
    let text = signed.lang.t(if online { T::NowOnline } else { T::NowOffline });
    Ok(redirect_with_flash(&state, &safe_next(posted.form.get("next")), true, text))
}

/// `POST /dial`: click-to-call from one of the user's assigned numbers.
pub(crate) async fn dial(
    State(state): State<WebState>,
    posted: Posted,
) -> Result<Response, WebError> {
    let signed = &posted.signed;
    let lang = signed.lang;
    let back = safe_next(posted.form.get("next"));
    let to = posted.form.get("to").unwrap_or("").trim();
    let from = match posted.form.get("from_number").filter(|f| !f.is_empty()) {
        Some(raw) => Some(parse_id::<NumberId>(raw)?),
        None => None,
    };
    let who = (signed.account(), signed.user.id);
    // "Use this number by default": also for calls dialled on the phone. A number that is
    // not theirs is refused below by the click-to-call's own check.
    if let (Some(number), Some("true")) = (from, posted.form.get("remember")) {
        let update = UserUpdate { default_number: Some(Some(number)), ..UserUpdate::default() };
        match state.store().update_user(who.0, who.1, &update).await {
            Ok(_) | Err(StoreError::Invalid(_)) => {}
            Err(other) => return Err(other.into()),
        }
    }
    let live: &dyn centralita_api::LiveState = state.live();
    match centralita_api::click_to_call(state.store(), live, who, to, from).await {
        Ok(placed) => {
            let text = format!("{} {}", lang.t(T::Dialing), placed.to);
            Ok(redirect_with_flash(&state, &back, true, &text))
        }
        Err(refusal) => {
            let text = format!(
                "{} {}",
                lang.t(T::DialFailed),
                crate::i18n::translate_error(lang, &refusal.to_string())
            );
            Ok(redirect_with_flash(&state, &back, false, &text))
        }
    }
}

/// `POST /calls/{id}/voicedrop`: the API's rules (`POST /v1/calls/{id}/voicedrop`): an
/// outbound call, placed by this user, in progress, on a number with a voicedrop message.
pub(crate) async fn voicedrop(
    State(state): State<WebState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> Result<Response, WebError> {
    let signed = &posted.signed;
    let lang = signed.lang;
    let back = safe_next(posted.form.get("next"));
    let id: CallId = parse_id(&raw)?;
    let call = state.store().get_call(signed.account(), signed.viewer(), id).await?;
    if call.user_id != Some(signed.user.id) {
        return Err(WebError::Forbidden);
    }
    let refuse = |why: T| redirect_with_flash(&state, &back, false, lang.t(why));
    if call.direction != Direction::Outbound {
        return Ok(refuse(T::VoicedropOutboundOnly));
    }
    if call.status != CallStatus::InProgress {
        return Ok(refuse(T::VoicedropCallEnded));
    }
    let Some(number) = call.number_id else { return Ok(refuse(T::VoicedropNoMessage)) };
    let settings = state.store().get_settings(signed.account(), number).await?;
    let Some(audio) = settings.voicedrop_audio_id else { return Ok(refuse(T::VoicedropNoMessage)) };
    match state.live().voicedrop(id, signed.user.id, audio) {
        Ok(()) => Ok(redirect_with_flash(&state, &back, true, lang.t(T::VoicedropSent))),
        Err(reason) => Ok(redirect_with_flash(&state, &back, false, &reason)),
    }
}
