//! "Click the Settings tab and choose the number": the list of numbers, and one page per number
//! with the article's sections in its order — record calls, IVR, incoming-call settings,
//! messages, assigned users — plus the dry run "what happens if someone calls now?".
//!
//! The form's fields are named by the JSON path they fill; saving builds the same settings
//! document the API's `PUT /v1/numbers/{id}/settings` takes and reads it with the same rules.

use axum::extract::{FromRequest, FromRequestParts, Multipart, Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use centralita_domain::{
    Distribution, DocumentError, FieldError, Incoming, NumberId, NumberSettings, OfflineAction,
    parse_document,
};
use centralita_store::{Audio, Ivr, Number, StoreError, User, Viewer};
use maud::{Markup, html};
use serde_json::{Map, Value, json};

use crate::form::{Errors, FormData, MultipartError};
use crate::i18n::{Lang, Names, T};
use crate::page::{
    Shell, Tab, WebError, csrf_field, described_by, field_error, invalid, page, player,
    redirect_with_flash,
};
use crate::routes::audio::store_upload;
use crate::routes::parse_id;
use crate::session::{CSRF_FIELD, Signed};
use crate::{WebState, simulate};

/// `GET /settings`: choose the number to configure.
pub(crate) async fn list(
    State(state): State<WebState>,
    signed: Signed,
) -> Result<Response, WebError> {
    signed.require_admin()?;
    let lang = signed.lang;
    let numbers = state.store().list_numbers(signed.account(), Viewer::Admin).await?;
    let body = html! {
        h1 { (lang.t(T::SettingsTitle)) }
        p.lead { (lang.t(T::SettingsIntro)) }
        @if numbers.is_empty() {
            p.muted { (lang.t(T::NoNumbers)) }
        } @else {
            ul.cards #numbers {
                @for number in &numbers {
                    li {
                        a.card-link href=(format!("/settings/{}", number.id)) {
                            strong { (number.name) }
                            span.muted { (number.e164) }
                        }
                    }
                }
            }
        }
    };
    let title = lang.t(T::SettingsTitle).to_owned();
    page(&state, Shell { signed: &signed, tab: Some(Tab::Settings), title }, StatusCode::OK, body)
        .await
}

/// Everything the number page shows besides the form values.
struct Context {
    number: Number,
    ivrs: Vec<Ivr>,
    audio: Vec<Audio>,
    users: Vec<User>,
}

async fn context(state: &WebState, signed: &Signed, id: NumberId) -> Result<Context, WebError> {
    let account = signed.account();
    let number = state.store().get_number(account, id, Viewer::Admin).await?;
    Ok(Context {
        number,
        ivrs: state.store().list_ivrs(account).await?,
        audio: state.store().list_audio(account).await?,
        users: state.store().list_users(account).await?,
    })
}

/// `GET /settings/{number_id}`.
pub(crate) async fn show(
    State(state): State<WebState>,
    signed: Signed,
    Path(raw): Path<String>,
) -> Result<Response, WebError> {
    let id: NumberId = parse_id(&raw)?;
    let ctx = context(&state, &signed, id).await?;
    signed.require_admin()?;
    let settings = state.store().get_settings(signed.account(), id).await?;
    render(&state, &signed, &ctx, &settings_to_form(&settings), &Errors::none(), StatusCode::OK)
        .await
}

/// `POST /settings/{number_id}`: a multipart form (it may carry new welcome or voicedrop
/// audio). A refusal re-renders the page with what was typed and the error by its field.
pub(crate) async fn save(
    State(state): State<WebState>,
    request: Request,
) -> Result<Response, WebError> {
    let (mut parts, body) = request.into_parts();
    let signed = Signed::from_request_parts(&mut parts, &state).await?;
    let raw = parts.uri.path().rsplit('/').next().unwrap_or("").to_owned();
    let id: NumberId = parse_id(&raw)?;
    state.store().get_number(signed.account(), id, Viewer::Admin).await?;
    signed.require_admin()?;
    let request = Request::from_parts(parts, body);
    let multipart =
        Multipart::from_request(request, &state).await.map_err(|_| WebError::BadRequest)?;
    let mut form = match FormData::from_multipart(multipart, state.config().max_upload_bytes).await
    {
        Ok(form) => form,
        Err(MultipartError::Unreadable) => return Err(WebError::BadRequest),
        Err(MultipartError::TooLarge) => return Err(WebError::TooLarge),
    };
    signed.check_csrf(form.get(CSRF_FIELD))?;

    // New audio first, so the document can name it; a file that is not audio stops here.
    for (upload_field, id_field) in
        [("welcome_upload", "welcome_audio_id"), ("voicedrop_upload", "voicedrop_audio_id")]
    {
        let Some(upload) = form.file(upload_field).cloned() else { continue };
        match store_upload(&state, signed.account(), None, &upload).await? {
            Ok(audio) => form.set(id_field, &audio.id.to_string()),
            Err(message) => {
                let error = Errors::of(FieldError::new(upload_field, message));
                let ctx = context(&state, &signed, id).await?;
                return render(
                    &state,
                    &signed,
                    &ctx,
                    &form,
                    &error,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        }
    }
    let ctx = context(&state, &signed, id).await?;

    let document = form_to_document(&form);
    let refused = |error: FieldError| Errors::of(error);
    let errors = match parse_document::<NumberSettings>(document.to_string().as_bytes()) {
        Ok(settings) => match state.store().put_settings(signed.account(), id, &settings).await {
            Ok(_) => {
                let to = format!("/settings/{id}");
                return Ok(redirect_with_flash(&state, &to, true, signed.lang.t(T::Saved)));
            }
            Err(StoreError::Invalid(error)) => refused(error),
            Err(other) => return Err(other.into()),
        },
        Err(DocumentError::Invalid(error)) => refused(error),
        Err(DocumentError::Syntax(message)) => return Err(WebError::Internal(message)),
    };
    render(&state, &signed, &ctx, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// The form's fields for a stored document.
pub(crate) fn settings_to_form(settings: &NumberSettings) -> FormData {
    let mut form = FormData::default();
    if settings.record_calls {
        form.push("record_calls", "true");
    }
    form.push("ivr_id", &settings.ivr_id.map(|i| i.to_string()).unwrap_or_default());
    match &settings.incoming {
        Incoming::Receive { distribution, when_offline, max_wait_s, ring_timeout_s } => {
            form.push("incoming.mode", "receive");
            form.push("incoming.distribution", distribution_name(*distribution));
            action_to_form(&mut form, "incoming.when_offline", when_offline);
            if let Some(s) = max_wait_s {
                form.push("incoming.max_wait_s", &s.to_string());
            }
            if let Some(s) = ring_timeout_s {
                form.push("incoming.ring_timeout_s", &s.to_string());
            }
        }
        Incoming::Forward { forward_to } => {
            form.push("incoming.mode", "forward");
            form.push("incoming.forward_to", forward_to.as_str());
        }
        Incoming::Reject { action } => {
            form.push("incoming.mode", "reject");
            action_to_form(&mut form, "incoming.action", action);
        }
    }
    form.push(
        "welcome_audio_id",
        &settings.welcome_audio_id.map(|i| i.to_string()).unwrap_or_default(),
    );
    form.push(
        "voicedrop_audio_id",
        &settings.voicedrop_audio_id.map(|i| i.to_string()).unwrap_or_default(),
    );
    for user in &settings.assigned_user_ids {
        form.push("assigned_user_ids", &user.to_string());
    }
    form
}

fn distribution_name(d: Distribution) -> &'static str {
    match d {
        Distribution::Random => "random",
        Distribution::LongestIdle => "longest_idle",
        Distribution::Simultaneous => "simultaneous",
    }
}

fn action_to_form(form: &mut FormData, prefix: &str, action: &OfflineAction) {
    form.push(&format!("{prefix}.action"), action.name());
    match action {
        OfflineAction::Message { audio_id }
        | OfflineAction::Voicemail { audio_id: Some(audio_id) } => {
            form.push(&format!("{prefix}.audio_id"), &audio_id.to_string());
        }
        OfflineAction::Transfer { to } => form.push(&format!("{prefix}.to"), to.as_str()),
        _ => {}
    }
}

/// The settings document the form says, exactly as a client of the API would send it: only the
/// fields of the chosen mode and action, blanks left out, numbers as numbers. What is wrong in
/// it is for the domain's rules to say.
pub(crate) fn form_to_document(form: &FormData) -> Value {
    let opt_id = |name: &str| form.value(name).map_or(Value::Null, |v| Value::String(v.to_owned()));
    let mut incoming = Map::new();
    let mode = form.value("incoming.mode");
    if let Some(mode) = mode {
        incoming.insert("mode".into(), mode.into());
    }
    match mode {
        Some("receive") => {
            if let Some(d) = form.value("incoming.distribution") {
                incoming.insert("distribution".into(), d.into());
            }
            incoming.insert("when_offline".into(), action_document(form, "incoming.when_offline"));
            for name in ["max_wait_s", "ring_timeout_s"] {
                if let Some(value) = form.value(&format!("incoming.{name}")) {
                    incoming.insert(name.into(), number_or_text(value));
                }
            }
        }
        Some("forward") => {
            let to = form.get("incoming.forward_to").unwrap_or("").trim();
            incoming.insert("forward_to".into(), to.into());
        }
        Some("reject") => {
            incoming.insert("action".into(), action_document(form, "incoming.action"));
        }
        _ => {}
    }
    json!({
        "record_calls": form.has_value("record_calls", "true"),
        "ivr_id": opt_id("ivr_id"),
        "incoming": incoming,
        "welcome_audio_id": opt_id("welcome_audio_id"),
        "voicedrop_audio_id": opt_id("voicedrop_audio_id"),
        "assigned_user_ids": form.all("assigned_user_ids"),
    })
}

fn action_document(form: &FormData, prefix: &str) -> Value {
    let mut action = Map::new();
    let kind = form.value(&format!("{prefix}.action"));
    if let Some(kind) = kind {
        action.insert("action".into(), kind.into());
    }
    match kind {
        Some("message" | "voicemail") => {
            if let Some(audio) = form.value(&format!("{prefix}.audio_id")) {
                action.insert("audio_id".into(), audio.into());
            }
        }
        Some("transfer") => {
            let to = form.get(&format!("{prefix}.to")).unwrap_or("").trim();
            action.insert("to".into(), to.into());
        }
        _ => {}
    }
    Value::Object(action)
}

/// A whole number stays a number; anything else is sent as typed, for the rules to refuse.
pub(crate) fn number_or_text(value: &str) -> Value {
    value.parse::<i64>().map_or_else(|_| Value::String(value.to_owned()), Value::from)
}

/// The id of an input, from its field name and value.
fn input_id(name: &str, value: &str) -> String {
    let base = name.replace(['.', '[', ']'], "-");
    if value.is_empty() { base } else { format!("{base}-{value}") }
}

/// A group of radio buttons, checked from the form (or `default` when the form has none).
fn radios(
    form: &FormData,
    errors: &Errors,
    name: &str,
    default: &str,
    choices: &[(&str, T, Option<T>)],
    lang: Lang,
) -> Markup {
    let current = form.value(name).unwrap_or(default);
    html! {
        @for (value, label, hint) in choices {
            div.choice {
                input type="radio" name=(name) id=(input_id(name, value)) value=(value)
                    checked[current == *value] aria-invalid=[invalid(errors, name)]
                    aria-describedby=[described_by(errors, name)];
                label for=(input_id(name, value)) {
                    (lang.t(*label))
                    @if let Some(hint) = hint {
                        span.hint { (lang.t(*hint)) }
                    }
                }
            }
        }
        (field_error(errors, name, lang))
    }
}

/// A select of audio messages, with "none" first when `optional`.
pub(crate) fn audio_select(
    form: &FormData,
    errors: &Errors,
    name: &str,
    id: &str,
    audio: &[Audio],
    none_label: Option<&str>,
) -> Markup {
    let current = form.value(name).unwrap_or("");
    let known = current.is_empty() || audio.iter().any(|a| a.id.to_string() == current);
    html! {
        select name=(name) id=(id) aria-invalid=[invalid(errors, name)]
            aria-describedby=[described_by(errors, name)] data-audio-select {
            @if let Some(none) = none_label {
                option value="" selected[current.is_empty()] { (none) }
            }
            @for a in audio {
                option value=(a.id) selected[a.id.to_string() == current] data-src=(format!("/audio/{}.wav", a.id)) {
                    (a.name)
                }
            }
            @if !known {
                // Keep what was sent, so the error next to it makes sense.
                option value=(current) selected { (current) }
            }
        }
    }
}

/// The offline actions, as radio buttons, with the audio and number fields they need.
fn offline_actions(
    form: &FormData,
    errors: &Errors,
    prefix: &str,
    audio: &[Audio],
    with_transfer: bool,
    lang: Lang,
) -> Markup {
    let action_name = format!("{prefix}.action");
    let mut choices = vec![
        ("ringback", T::ActionRingback, Some(T::ActionRingbackHint)),
        ("busy", T::ActionBusy, Some(T::ActionBusyHint)),
        ("disconnect", T::ActionDisconnect, Some(T::ActionDisconnectHint)),
        ("message", T::ActionMessage, Some(T::ActionMessageHint)),
        ("voicemail", T::ActionVoicemail, Some(T::ActionVoicemailHint)),
    ];
    if with_transfer {
        choices.push(("transfer", T::ActionTransfer, Some(T::ActionTransferHint)));
    }
    let audio_name = format!("{prefix}.audio_id");
    let to_name = format!("{prefix}.to");
    html! {
        (radios(form, errors, &action_name, "voicemail", &choices, lang))
        div.field data-show-for=(format!("{action_name}=message voicemail")) {
            label for=(input_id(&audio_name, "")) { (lang.t(T::ActionAudio)) }
            (audio_select(form, errors, &audio_name, &input_id(&audio_name, ""), audio, Some(lang.t(T::NoAudioBeepOnly))))
            (field_error(errors, &audio_name, lang))
            " " a href="/audio" { (lang.t(T::UploadAudioLink)) }
        }
        @if with_transfer {
            div.field data-show-for=(format!("{action_name}=transfer")) {
                label for=(input_id(&to_name, "")) { (lang.t(T::TransferTo)) }
                input type="tel" name=(to_name) id=(input_id(&to_name, "")) placeholder="+34600000000"
                    value=(form.get(&to_name).unwrap_or("")) aria-invalid=[invalid(errors, &to_name)]
                    aria-describedby=[described_by(errors, &to_name)];
                (field_error(errors, &to_name, lang))
            }
        }
    }
}

/// One of the two messages: choose, upload, listen.
fn message_field(
    form: &FormData,
    errors: &Errors,
    name: &str,
    upload: &str,
    (label, hint): (T, T),
    audio: &[Audio],
    lang: Lang,
) -> Markup {
    let current = form.value(name).and_then(|id| audio.iter().find(|a| a.id.to_string() == id));
    html! {
        div.message.field {
            label for=(input_id(name, "")) { (lang.t(label)) }
            p.hint { (lang.t(hint)) }
            (audio_select(form, errors, name, &input_id(name, ""), audio, Some(lang.t(T::NoMessage))))
            (field_error(errors, name, lang))
            @if let Some(a) = current {
                (player(lang, &format!("/audio/{}.wav", a.id), &format!("{} {}", lang.t(T::Listen), a.name), false))
            }
            div.upload {
                label for=(input_id(upload, "")) { (lang.t(T::OrUploadNew)) }
                input type="file" name=(upload) id=(input_id(upload, "")) accept=".wav,.mp3,audio/wav,audio/mpeg"
                    aria-invalid=[invalid(errors, upload)] aria-describedby=[described_by(errors, upload)];
                (field_error(errors, upload, lang))
            }
        }
    }
}

async fn render(
    state: &WebState,
    signed: &Signed,
    ctx: &Context,
    form: &FormData,
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = signed.lang;
    let number = &ctx.number;
    let dry_run = simulate::dry_run(state, signed.account(), number.id, state.now()).await;
    let names = Names::new(&ctx.users, &ctx.audio, &ctx.ivrs);
    let body = html! {
        nav.breadcrumb aria-label=(lang.t(T::Breadcrumb)) {
            a href="/settings" { (lang.t(T::SettingsTitle)) } " › " (number.name)
        }
        h1 { (number.name) " " span.muted { (number.e164) } }
        p.lead { (lang.t(T::NumberIntro)) }
        @if let Some(error) = errors.any() {
            div.error-summary #error-summary role="alert" {
                p { strong { (lang.t(T::NotSaved)) } }
                p { a href=(format!("#{}", crate::page::error_id(&crate::form::strip_indexes(&error.field)))) {
                    (crate::i18n::field_label(lang, &error.field)) ": "
                    (crate::i18n::translate_error(lang, &error.message))
                } }
            }
        }
        form #settings-form method="post" enctype="multipart/form-data" action=(format!("/settings/{}", number.id)) novalidate {
            (csrf_field(&signed.csrf))
            section #record-calls.card aria-labelledby="h-record" {
                h2 #h-record { (lang.t(T::RecordCalls)) }
                p.hint { (lang.t(T::RecordCallsHint)) }
                div.toggle {
                    input #record_calls type="checkbox" role="switch" name="record_calls" value="true"
                        checked[form.has_value("record_calls", "true")];
                    label for="record_calls" { (lang.t(T::RecordCallsToggle)) }
                }
                (field_error(errors, "record_calls", lang))
            }
            section #ivr.card aria-labelledby="h-ivr" {
                h2 #h-ivr { (lang.t(T::IvrSection)) }
                p.hint { (lang.t(T::IvrSectionHint)) }
                label for="ivr_id" { (lang.t(T::IvrChoose)) }
                select #ivr_id name="ivr_id" aria-invalid=[invalid(errors, "ivr_id")] aria-describedby=[described_by(errors, "ivr_id")] {
                    option value="" selected[form.value("ivr_id").is_none()] { (lang.t(T::NoIvr)) }
                    @for ivr in &ctx.ivrs {
                        option value=(ivr.id) selected[form.value("ivr_id") == Some(ivr.id.to_string().as_str())] { (ivr.document.name) }
                    }
                }
                (field_error(errors, "ivr_id", lang))
                " " a href="/ivrs/new" { (lang.t(T::CreateIvr)) }
            }
            section #incoming.card aria-labelledby="h-incoming" {
                h2 #h-incoming { (lang.t(T::IncomingSection)) }
                p.hint { (lang.t(T::IncomingSectionHint)) }
                fieldset.modes {
                    legend { (lang.t(T::IncomingMode)) }
                    (radios(form, errors, "incoming.mode", "receive", &[
                        ("receive", T::ModeReceive, Some(T::ModeReceiveHint)),
                        ("forward", T::ModeForward, Some(T::ModeForwardHint)),
                        ("reject", T::ModeReject, Some(T::ModeRejectHint)),
                    ], lang))
                }
                div.mode-panel data-show-for="incoming.mode=receive" {
                    h3 { (lang.t(T::ModeReceive)) }
                    fieldset {
                        legend { (lang.t(T::WhenOnline)) }
                        (radios(form, errors, "incoming.distribution", "random", &[
                            ("random", T::DistRandom, Some(T::DistRandomHint)),
                            ("longest_idle", T::DistLongestIdle, Some(T::DistLongestIdleHint)),
                            ("simultaneous", T::DistSimultaneous, Some(T::DistSimultaneousHint)),
                        ], lang))
                    }
                    fieldset {
                        legend { (lang.t(T::WhenOffline)) }
                        (field_error(errors, "incoming.when_offline", lang))
                        (offline_actions(form, errors, "incoming.when_offline", &ctx.audio, true, lang))
                    }
                    div.row {
                        @for (name, label) in [("incoming.ring_timeout_s", T::RingTimeout), ("incoming.max_wait_s", T::MaxWait)] {
                            div.field {
                                label for=(input_id(name, "")) { (lang.t(label)) }
                                input type="text" inputmode="numeric" name=(name) id=(input_id(name, "")) size="6"
                                    value=(form.get(name).unwrap_or("")) placeholder=(lang.t(T::DefaultPlaceholder))
                                    aria-invalid=[invalid(errors, name)] aria-describedby=[described_by(errors, name)];
                                (field_error(errors, name, lang))
                            }
                        }
                    }
                }
                div.mode-panel data-show-for="incoming.mode=forward" {
                    h3 { (lang.t(T::ModeForward)) }
                    div.field {
                        label for="incoming-forward_to" { (lang.t(T::ForwardTo)) }
                        input #incoming-forward_to type="tel" name="incoming.forward_to" placeholder="+34600000000"
                            value=(form.get("incoming.forward_to").unwrap_or(""))
                            aria-invalid=[invalid(errors, "incoming.forward_to")]
                            aria-describedby=[described_by(errors, "incoming.forward_to")];
                        (field_error(errors, "incoming.forward_to", lang))
                    }
                }
                div.mode-panel data-show-for="incoming.mode=reject" {
                    h3 { (lang.t(T::ModeReject)) }
                    fieldset {
                        legend { (lang.t(T::RejectWhat)) }
                        (field_error(errors, "incoming.action", lang))
                        (offline_actions(form, errors, "incoming.action", &ctx.audio, false, lang))
                    }
                }
                (field_error(errors, "incoming", lang))
            }
            section #messages.card aria-labelledby="h-messages" {
                h2 #h-messages { (lang.t(T::MessagesSection)) }
                (message_field(form, errors, "welcome_audio_id", "welcome_upload", (T::WelcomeMessage, T::WelcomeMessageHint), &ctx.audio, lang))
                (message_field(form, errors, "voicedrop_audio_id", "voicedrop_upload", (T::VoicedropMessage, T::VoicedropMessageHint), &ctx.audio, lang))
            }
            section #assigned-users.card aria-labelledby="h-users" {
                h2 #h-users { (lang.t(T::AssignedUsers)) }
                fieldset {
                    legend { (lang.t(T::AssignedUsersHint)) }
                    @for user in &ctx.users {
                        div.choice {
                            input type="checkbox" name="assigned_user_ids" id=(input_id("assigned_user_ids", &user.id.to_string()))
                                value=(user.id) checked[form.has_value("assigned_user_ids", &user.id.to_string())]
                                aria-describedby=[described_by(errors, "assigned_user_ids")];
                            label for=(input_id("assigned_user_ids", &user.id.to_string())) {
                                (user.name) " " span.muted { "(" (user.email) ")" }
                            }
                        }
                    }
                    (field_error(errors, "assigned_user_ids", lang))
                }
            }
            div.actions { button.primary #save type="submit" { (lang.t(T::Save)) } }
        }
        section #simulate.card aria-labelledby="h-simulate" {
            h2 #h-simulate { (lang.t(T::SimulateTitle)) }
            p.hint { (lang.t(T::SimulateHint)) }
            @match &dry_run {
                Ok(timeline) => {
                    ol.timeline #simulate-timeline {
                        @for step in &timeline.steps {
                            @for event in &step.events {
                                li {
                                    span.at { (crate::i18n::format_offset(lang, step.at_ms)) }
                                    " " (crate::i18n::describe_event(lang, event, &names))
                                }
                            }
                        }
                    }
                    @if timeline.truncated { p.muted { (lang.t(T::SimulateTruncated)) } }
                }
                Err(message) => p.muted { (message) },
            }
        }
    };
    let title = format!("{} · {}", lang.t(T::SettingsTitle), number.name);
    page(state, Shell { signed, tab: Some(Tab::Settings), title }, status, body).await
}
