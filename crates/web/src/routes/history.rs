//! The event history (calls newest first, with filters; each call's timeline in plain words;
//! its recording and voicemail to hear and download) and the voicemails, which notifications
//! open. Agents see what the API shows them: the calls of their numbers and their voicemails.

use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use centralita_domain::{
    CallId, CallRecord, CallStatus, Direction, Millis, NumberId, RecordingId, VoicemailId,
};
use centralita_store::{CallFilter, Number};
use maud::{Markup, html};
use serde::Deserialize;

use crate::WebState;
use crate::form::Posted;
use crate::i18n::{Lang, Names, T, describe_event, format_duration_ms, format_offset};
use crate::page::{Shell, Tab, WebError, csrf_field, page, player, redirect_with_flash, time};
use crate::routes::audio::serve_wav;
use crate::routes::{parse_id, wav_id};
use crate::session::Signed;

/// How many calls the history shows at once.
const PAGE_SIZE: u32 = 100;

/// The history's filters, as the GET form sends them.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Filters {
    number: Option<String>,
    from: Option<String>,
    to: Option<String>,
    status: Option<String>,
}

/// Midnight UTC of a `YYYY-MM-DD` date.
fn day_start(date: &str) -> Option<Millis> {
    let date: jiff::civil::Date = date.parse().ok()?;
    let ts = date.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    Some(Millis(ts.as_millisecond()))
}

/// The names the timeline may show this user: admins see everyone's and every message's
/// name; agents (who cannot list users, audio or IVRs in the API either) see only their own.
async fn names(state: &WebState, signed: &Signed) -> Result<Names, WebError> {
    if signed.is_admin() {
        let account = signed.account();
        let users = state.store().list_users(account).await?;
        let audio = state.store().list_audio(account).await?;
        let ivrs = state.store().list_ivrs(account).await?;
        Ok(Names::new(&users, &audio, &ivrs))
    } else {
        Ok(Names::new(std::slice::from_ref(&signed.user), &[], &[]))
    }
}

fn status_word(status: CallStatus) -> T {
    match status {
        CallStatus::InProgress => T::StatusInProgress,
        CallStatus::Answered => T::StatusAnswered,
        CallStatus::Missed => T::StatusMissed,
        CallStatus::Voicemail => T::StatusVoicemail,
        CallStatus::Forwarded => T::StatusForwarded,
    }
}

fn number_label(numbers: &[Number], id: Option<NumberId>) -> String {
    id.and_then(|id| numbers.iter().find(|n| n.id == id))
        .map_or_else(String::new, |n| n.name.clone())
}

/// `GET /history`.
pub(crate) async fn list(
    State(state): State<WebState>,
    signed: Signed,
    Query(filters): Query<Filters>,
) -> Result<Response, WebError> {
    let lang = signed.lang;
    let account = signed.account();
    let numbers = state.store().list_numbers(account, signed.viewer()).await?;
    let number_id = match filters.number.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => {
            let id: NumberId = parse_id(raw)?;
            state.store().get_number(account, id, signed.viewer()).await?;
            Some(id)
        }
        None => None,
    };
    let since = filters.from.as_deref().and_then(day_start);
    let until = filters.to.as_deref().and_then(day_start).map(|m| Millis(m.0 + 86_400_000));
    let status = filters.status.as_deref().and_then(CallStatus::from_name);
    let filter = CallFilter { number_id, since, until, status, limit: PAGE_SIZE };
    let calls = state.store().list_calls(account, signed.viewer(), &filter).await?;
    let selected = |v: &str, current: Option<&str>| current.unwrap_or("") == v;
    let body = html! {
        h1 { (lang.t(T::HistoryTitle)) }
        form.card.filters #history-filters method="get" action="/history" {
            div.field {
                label for="f-number" { (lang.t(T::Number)) }
                select #f-number name="number" {
                    option value="" { (lang.t(T::AllNumbers)) }
                    @for n in &numbers {
                        option value=(n.id) selected[selected(&n.id.to_string(), filters.number.as_deref())] {
                            (n.name) " (" (n.e164) ")"
                        }
                    }
                }
            }
            div.field {
                label for="f-from" { (lang.t(T::FromDate)) }
                input #f-from type="date" name="from" value=(filters.from.as_deref().unwrap_or(""));
            }
            div.field {
                label for="f-to" { (lang.t(T::ToDate)) }
                input #f-to type="date" name="to" value=(filters.to.as_deref().unwrap_or(""));
            }
            div.field {
                label for="f-status" { (lang.t(T::Outcome)) }
                select #f-status name="status" {
                    option value="" { (lang.t(T::AllOutcomes)) }
                    @for s in [CallStatus::Answered, CallStatus::Missed, CallStatus::Voicemail, CallStatus::Forwarded, CallStatus::InProgress] {
                        option value=(s.as_str()) selected[selected(s.as_str(), filters.status.as_deref())] { (lang.t(status_word(s))) }
                    }
                }
            }
            button type="submit" { (lang.t(T::Filter)) }
        }
        @if calls.is_empty() {
            p.muted #no-calls { (lang.t(T::NoCalls)) }
        } @else {
            div.table-wrap {
                table #calls {
                    caption { (lang.t(T::HistoryTitle)) " " span.muted { (lang.t(T::NewestFirst)) } }
                    thead { tr {
                        th scope="col" { (lang.t(T::When)) }
                        th scope="col" { (lang.t(T::From)) }
                        th scope="col" { (lang.t(T::To)) }
                        th scope="col" { (lang.t(T::Number)) }
                        th scope="col" { (lang.t(T::Outcome)) }
                        th scope="col" { (lang.t(T::Duration)) }
                        th scope="col" { (lang.t(T::Details)) }
                    } }
                    tbody {
                        @for call in &calls {
                            tr data-call-id=(call.id) {
                                td { (time(lang, call.started_at)) }
                                td { (direction_mark(lang, call.direction)) " " (call.from) }
                                td { (call.to) }
                                td { (number_label(&numbers, call.number_id)) }
                                td { span.status class=(call.status.as_str()) { (lang.t(status_word(call.status))) } }
                                td { @if let Some(ms) = call.duration_ms { (format_duration_ms(lang, ms)) } }
                                td {
                                    a href=(format!("/history/{}", call.id)) {
                                        (lang.t(T::Open))
                                        span.visually-hidden { " " (call.from) }
                                    }
                                    @if call.recording_id.is_some() { " · " (lang.t(T::Recording)) }
                                    @if call.voicemail_id.is_some() { " · " (lang.t(T::Voicemail)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let title = lang.t(T::HistoryTitle).to_owned();
    page(&state, Shell { signed: &signed, tab: Some(Tab::History), title }, StatusCode::OK, body)
        .await
}

fn direction_mark(lang: Lang, direction: Direction) -> Markup {
    let (mark, word) = match direction {
        Direction::Inbound => ("↓", T::Inbound),
        Direction::Outbound => ("↑", T::Outbound),
    };
    html! { span.direction title=(lang.t(word)) aria-label=(lang.t(word)) { (mark) } }
}

/// `GET /history/{call_id}`.
pub(crate) async fn show(
    State(state): State<WebState>,
    signed: Signed,
    Path(raw): Path<String>,
) -> Result<Response, WebError> {
    let lang = signed.lang;
    let id: CallId = parse_id(&raw)?;
    let call = state.store().get_call(signed.account(), signed.viewer(), id).await?;
    let numbers = state.store().list_numbers(signed.account(), signed.viewer()).await?;
    let names = names(&state, &signed).await?;
    let body = call_page(lang, &call, &numbers, &names);
    let title = format!("{} · {}", lang.t(T::CallTitle), call.from);
    page(&state, Shell { signed: &signed, tab: Some(Tab::History), title }, StatusCode::OK, body)
        .await
}

fn call_page(lang: Lang, call: &CallRecord, numbers: &[Number], names: &Names) -> Markup {
    html! {
        nav.breadcrumb aria-label=(lang.t(T::Breadcrumb)) {
            a href="/history" { (lang.t(T::HistoryTitle)) } " › " (call.from)
        }
        h1 { (lang.t(T::CallTitle)) " " (call.from) " → " (call.to) }
        dl.summary {
            dt { (lang.t(T::When)) } dd { (time(lang, call.started_at)) }
            dt { (lang.t(T::Direction)) } dd { (lang.t(match call.direction { Direction::Inbound => T::Inbound, Direction::Outbound => T::Outbound })) }
            dt { (lang.t(T::Number)) } dd { (number_label(numbers, call.number_id)) }
            dt { (lang.t(T::Outcome)) } dd { (lang.t(status_word(call.status))) }
            @if let Some(ms) = call.duration_ms {
                dt { (lang.t(T::Duration)) } dd { (format_duration_ms(lang, ms)) }
            }
            @if let Some(cost) = &call.cost {
                dt { (lang.t(T::Cost)) } dd { (crate::i18n::format_amount(lang, &cost.amount)) " " (cost.currency) }
            }
        }
        @if let Some(recording) = call.recording_id {
            section.card #recording aria-labelledby="h-rec" {
                h2 #h-rec { (lang.t(T::Recording)) }
                (player(lang, &format!("/recordings/{recording}.wav"), lang.t(T::Recording), true))
            }
        }
        @if let Some(voicemail) = call.voicemail_id {
            section.card #voicemail aria-labelledby="h-vm" {
                h2 #h-vm { (lang.t(T::Voicemail)) }
                (player(lang, &format!("/voicemails/{voicemail}.wav"), lang.t(T::Voicemail), true))
                p { a href=(format!("/voicemails/{voicemail}")) { (lang.t(T::OpenVoicemail)) } }
            }
        }
        section.card aria-labelledby="h-timeline" {
            h2 #h-timeline { (lang.t(T::Timeline)) }
            ol.timeline #call-timeline {
                @for event in &call.events {
                    li {
                        span.at { (format_offset(lang, u64::try_from(event.at.0 - call.started_at.0).unwrap_or(0))) }
                        " " (describe_event(lang, event, names))
                    }
                }
            }
        }
    }
}

/// `GET /recordings/{id}.wav`.
pub(crate) async fn recording(
    State(state): State<WebState>,
    signed: Signed,
    Path(file): Path<String>,
    request: Request,
) -> Result<Response, WebError> {
    let id: RecordingId = wav_id(&file)?;
    let recording = state.store().get_recording(signed.account(), signed.viewer(), id).await?;
    serve_wav(recording.path, request, &format!("recording-{id}.wav")).await
}

/// `GET /voicemails`: the user's voicemails, unread first marked.
pub(crate) async fn voicemails(
    State(state): State<WebState>,
    signed: Signed,
) -> Result<Response, WebError> {
    let lang = signed.lang;
    let list = state
        .store()
        .list_voicemails(signed.account(), signed.viewer(), signed.user.id, false, 200)
        .await?;
    let numbers = state.store().list_numbers(signed.account(), signed.viewer()).await?;
    let body = html! {
        h1 { (lang.t(T::VoicemailsTitle)) }
        @if list.is_empty() {
            p.muted { (lang.t(T::NoVoicemails)) }
        } @else {
            ul.cards #voicemails {
                @for vm in &list {
                    li.voicemail.unread[!vm.read] data-voicemail-id=(vm.id) {
                        div {
                            strong { (vm.from) }
                            " · " (number_label(&numbers, vm.number_id)) " · " (time(lang, vm.created_at))
                            @if let Some(ms) = vm.duration_ms { " · " (format_duration_ms(lang, ms)) }
                            @if !vm.read { " " span.badge { (lang.t(T::New)) } }
                        }
                        (open_button(lang, &signed.csrf, vm.id))
                    }
                }
            }
        }
    };
    let title = lang.t(T::VoicemailsTitle).to_owned();
    page(&state, Shell { signed: &signed, tab: Some(Tab::Voicemails), title }, StatusCode::OK, body)
        .await
}

/// Opening a voicemail marks it read: a POST, so it carries the CSRF token.
fn open_button(lang: Lang, csrf: &str, id: VoicemailId) -> Markup {
    html! {
        form.inline method="post" action=(format!("/voicemails/{id}/read")) {
            (csrf_field(csrf))
            input type="hidden" name="read" value="true";
            button type="submit" { (lang.t(T::Listen)) }
        }
    }
}

/// `GET /voicemails/{id}` (the page) or `/voicemails/{id}.wav` (the audio).
pub(crate) async fn voicemail(
    State(state): State<WebState>,
    signed: Signed,
    Path(file): Path<String>,
    request: Request,
) -> Result<Response, WebError> {
    let lang = signed.lang;
    if file.ends_with(".wav") {
        let id: VoicemailId = wav_id(&file)?;
        let vm = state
            .store()
            .get_voicemail(signed.account(), signed.viewer(), signed.user.id, id)
            .await?;
        return serve_wav(vm.path, request, &format!("voicemail-{id}.wav")).await;
    }
    let id: VoicemailId = parse_id(&file)?;
    let vm =
        state.store().get_voicemail(signed.account(), signed.viewer(), signed.user.id, id).await?;
    let numbers = state.store().list_numbers(signed.account(), signed.viewer()).await?;
    let body = html! {
        nav.breadcrumb aria-label=(lang.t(T::Breadcrumb)) {
            a href="/voicemails" { (lang.t(T::VoicemailsTitle)) } " › " (vm.from)
        }
        h1 { (lang.t(T::Voicemail)) " " (vm.from) }
        dl.summary {
            dt { (lang.t(T::When)) } dd { (time(lang, vm.created_at)) }
            dt { (lang.t(T::Number)) } dd { (number_label(&numbers, vm.number_id)) }
            @if let Some(ms) = vm.duration_ms { dt { (lang.t(T::Duration)) } dd { (format_duration_ms(lang, ms)) } }
            dt { (lang.t(T::State)) } dd #voicemail-state { (lang.t(if vm.read { T::Read } else { T::New })) }
        }
        section.card aria-labelledby="h-listen" {
            h2 #h-listen { (lang.t(T::Listen)) }
            (player(lang, &format!("/voicemails/{}.wav", vm.id), lang.t(T::Voicemail), true))
        }
        p {
            a href=(format!("/history/{}", vm.call_id)) { (lang.t(T::SeeCall)) }
        }
        @if vm.read {
            form.inline method="post" action=(format!("/voicemails/{}/read", vm.id)) {
                (csrf_field(&signed.csrf))
                input type="hidden" name="read" value="false";
                button type="submit" { (lang.t(T::MarkUnread)) }
            }
        }
    };
    let title = format!("{} · {}", lang.t(T::Voicemail), vm.from);
    page(&state, Shell { signed: &signed, tab: Some(Tab::Voicemails), title }, StatusCode::OK, body)
        .await
}

/// `POST /voicemails/{id}/read`: marks read (then shows it) or unread again.
pub(crate) async fn mark_read(
    State(state): State<WebState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> Result<Response, WebError> {
    let signed = &posted.signed;
    let id: VoicemailId = parse_id(&raw)?;
    let read = posted.form.get("read") != Some("false");
    state
        .store()
        .set_voicemail_read(
            signed.account(),
            signed.viewer(),
            signed.user.id,
            id,
            read,
            state.now(),
        )
        .await?;
    if read {
        Ok(IntoResponse::into_response(Redirect::to(&format!("/voicemails/{id}"))))
    } else {
        Ok(redirect_with_flash(&state, "/voicemails", true, signed.lang.t(T::MarkedUnread)))
    }
}
