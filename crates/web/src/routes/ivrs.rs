//! The IVR editor: prompt, timeout, repeats, one row per key with its action (sub-menus
//! included), and what happens on no input or an invalid key. Saved through the same
//! `IvrDocument` rules and store checks (references, no sub-menu cycles) as `/v1/ivrs`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use centralita_domain::{DigitKey, DocumentError, IvrAction, IvrDocument, IvrId, parse_document};
use centralita_store::{Audio, Ivr, StoreError, User, Viewer};
use maud::{Markup, html};
use serde_json::{Map, Value};

use crate::WebState;
use crate::form::{Errors, FormData, Posted};
use crate::i18n::{Lang, T};
use crate::page::{
    Shell, Tab, WebError, csrf_field, described_by, field_error, invalid, page, redirect_with_flash,
};
use crate::routes::parse_id;
use crate::routes::settings::{audio_select, number_or_text};
use crate::session::Signed;

/// `GET /ivrs`.
pub(crate) async fn list(
    State(state): State<WebState>,
    signed: Signed,
) -> Result<Response, WebError> {
    signed.require_admin()?;
    let lang = signed.lang;
    let account = signed.account();
    let ivrs = state.store().list_ivrs(account).await?;
    let mut used: Vec<(IvrId, String)> = Vec::new();
    for number in state.store().list_numbers(account, Viewer::Admin).await? {
        if let Some(ivr) = state.store().get_settings(account, number.id).await?.ivr_id {
            used.push((ivr, number.name.clone()));
        }
    }
    let body = html! {
        h1 { (lang.t(T::IvrsTitle)) }
        p.lead { (lang.t(T::IvrsIntro)) }
        p { a.button.primary #new-ivr href="/ivrs/new" { (lang.t(T::NewIvr)) } }
        @if ivrs.is_empty() {
            p.muted { (lang.t(T::NoIvrs)) }
        } @else {
            ul.cards #ivrs {
                @for ivr in &ivrs {
                    li {
                        a.card-link href=(format!("/ivrs/{}", ivr.id)) {
                            strong { (ivr.document.name) }
                            span.muted {
                                (ivr.document.options.len()) " " (lang.t(T::OptionsCount))
                                @let numbers: Vec<&str> = used.iter().filter(|(i, _)| *i == ivr.id).map(|(_, n)| n.as_str()).collect();
                                @if !numbers.is_empty() { " · " (lang.t(T::UsedBy)) ": " (numbers.join(", ")) }
                            }
                        }
                    }
                }
            }
        }
    };
    let title = lang.t(T::IvrsTitle).to_owned();
    page(&state, Shell { signed: &signed, tab: Some(Tab::Ivrs), title }, StatusCode::OK, body).await
}

/// What the editor offers to choose from.
struct Choices {
    /// The IVR being edited, which cannot be its own sub-menu.
    this: Option<IvrId>,
    audio: Vec<Audio>,
    ivrs: Vec<Ivr>,
    users: Vec<User>,
}

async fn choices(state: &WebState, signed: &Signed) -> Result<Choices, WebError> {
    let account = signed.account();
    Ok(Choices {
        this: None,
        audio: state.store().list_audio(account).await?,
        ivrs: state.store().list_ivrs(account).await?,
        users: state.store().list_users(account).await?,
    })
}

/// `GET /ivrs/new`.
pub(crate) async fn new_form(
    State(state): State<WebState>,
    signed: Signed,
) -> Result<Response, WebError> {
    signed.require_admin()?;
    let mut form = FormData::default();
    form.push("timeout_s", &IvrDocument::DEFAULT_TIMEOUT_S.to_string());
    form.push("repeats", &IvrDocument::DEFAULT_REPEATS.to_string());
    form.push("on_no_input.action", "agents");
    form.push("on_invalid.action", "agents");
    let choices = choices(&state, &signed).await?;
    render(&state, &signed, None, &choices, &form, &Errors::none(), StatusCode::OK).await
}

/// `POST /ivrs/new`.
pub(crate) async fn create(
    State(state): State<WebState>,
    posted: Posted,
) -> Result<Response, WebError> {
    let Posted { signed, form } = posted;
    signed.require_admin()?;
    let document = form_to_document(&form);
    let error = match parse_document::<IvrDocument>(document.to_string().as_bytes()) {
        Ok(doc) => match state.store().create_ivr(signed.account(), &doc).await {
            Ok(ivr) => {
                let to = format!("/ivrs/{}", ivr.id);
                return Ok(redirect_with_flash(&state, &to, true, signed.lang.t(T::Saved)));
            }
            Err(StoreError::Invalid(e)) => e,
            Err(other) => return Err(other.into()),
        },
        Err(DocumentError::Invalid(e)) => e,
        Err(DocumentError::Syntax(m)) => return Err(WebError::Internal(m)),
    };
    let choices = choices(&state, &signed).await?;
    render(
        &state,
        &signed,
        None,
        &choices,
        &form,
        &Errors::of(error),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// `GET /ivrs/{id}`.
pub(crate) async fn show(
    State(state): State<WebState>,
    signed: Signed,
    Path(raw): Path<String>,
) -> Result<Response, WebError> {
    let id: IvrId = parse_id(&raw)?;
    let ivr = state.store().get_ivr(signed.account(), id).await?;
    signed.require_admin()?;
    let mut choices = choices(&state, &signed).await?;
    choices.this = Some(id);
    render(
        &state,
        &signed,
        Some(&ivr),
        &choices,
        &document_to_form(&ivr.document),
        &Errors::none(),
        StatusCode::OK,
    )
    .await
}

/// `POST /ivrs/{id}`.
pub(crate) async fn save(
    State(state): State<WebState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> Result<Response, WebError> {
    let Posted { signed, form } = posted;
    let id: IvrId = parse_id(&raw)?;
    let ivr = state.store().get_ivr(signed.account(), id).await?;
    signed.require_admin()?;
    let document = form_to_document(&form);
    let error = match parse_document::<IvrDocument>(document.to_string().as_bytes()) {
        Ok(doc) => match state.store().put_ivr(signed.account(), id, &doc).await {
            Ok(_) => {
                let to = format!("/ivrs/{id}");
                return Ok(redirect_with_flash(&state, &to, true, signed.lang.t(T::Saved)));
            }
            Err(StoreError::Invalid(e)) => e,
            Err(other) => return Err(other.into()),
        },
        Err(DocumentError::Invalid(e)) => e,
        Err(DocumentError::Syntax(m)) => return Err(WebError::Internal(m)),
    };
    let mut choices = choices(&state, &signed).await?;
    choices.this = Some(id);
    render(
        &state,
        &signed,
        Some(&ivr),
        &choices,
        &form,
        &Errors::of(error),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// `POST /ivrs/{id}/delete`: refused, with the reason, while a number or menu uses it.
pub(crate) async fn delete(
    State(state): State<WebState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> Result<Response, WebError> {
    let signed = &posted.signed;
    let id: IvrId = parse_id(&raw)?;
    let ivr = state.store().get_ivr(signed.account(), id).await?;
    signed.require_admin()?;
    match state.store().delete_ivr(signed.account(), id).await {
        Ok(()) => {
            let text = format!("{}: {}", signed.lang.t(T::Deleted), ivr.document.name);
            Ok(redirect_with_flash(&state, "/ivrs", true, &text))
        }
        Err(StoreError::InUse(message)) => {
            Ok(redirect_with_flash(&state, &format!("/ivrs/{id}"), false, &message))
        }
        Err(other) => Err(other.into()),
    }
}

/// The prefixes of every row: the twelve keys, then the two fallbacks.
fn rows() -> Vec<(String, Option<char>)> {
    DigitKey::ALL
        .iter()
        .map(|k| (format!("options.{k}"), Some(*k)))
        .chain([("on_no_input".to_owned(), None), ("on_invalid".to_owned(), None)])
        .collect()
}

fn document_to_form(doc: &IvrDocument) -> FormData {
    let mut form = FormData::default();
    form.push("name", &doc.name);
    form.push("prompt_audio_id", &doc.prompt_audio_id.to_string());
    form.push("timeout_s", &doc.timeout_s.to_string());
    form.push("repeats", &doc.repeats.to_string());
    let mut put = |prefix: &str, action: &IvrAction| {
        let field = |name: &str| format!("{prefix}.{name}");
        match action {
            IvrAction::Agents { user_ids } => {
                form.push(&field("action"), "agents");
                for user in user_ids.iter().flatten() {
                    form.push(&field("user_ids"), &user.to_string());
                }
            }
            IvrAction::Forward { to } => {
                form.push(&field("action"), "forward");
                form.push(&field("to"), to.as_str());
            }
            IvrAction::Voicemail { audio_id } => {
                form.push(&field("action"), "voicemail");
                if let Some(a) = audio_id {
                    form.push(&field("audio_id"), &a.to_string());
                }
            }
            IvrAction::Message { audio_id } => {
                form.push(&field("action"), "message");
                form.push(&field("audio_id"), &audio_id.to_string());
            }
            IvrAction::Menu { ivr_id } => {
                form.push(&field("action"), "menu");
                form.push(&field("ivr_id"), &ivr_id.to_string());
            }
            IvrAction::Repeat => form.push(&field("action"), "repeat"),
            IvrAction::Hangup => form.push(&field("action"), "hangup"),
        }
    };
    for (key, action) in &doc.options {
        put(&format!("options.{key}"), action);
    }
    put("on_no_input", &doc.on_no_input);
    put("on_invalid", &doc.on_invalid);
    form
}

/// The IVR document the form says, as an API client would send it.
fn form_to_document(form: &FormData) -> Value {
    let mut doc = Map::new();
    doc.insert("name".into(), form.get("name").unwrap_or("").trim().into());
    if let Some(prompt) = form.value("prompt_audio_id") {
        doc.insert("prompt_audio_id".into(), prompt.into());
    }
    for name in ["timeout_s", "repeats"] {
        if let Some(value) = form.value(name) {
            doc.insert(name.into(), number_or_text(value));
        }
    }
    let mut options = Map::new();
    for (prefix, key) in rows() {
        let Some(action) = form.value(&format!("{prefix}.action")) else { continue };
        let mut object = Map::new();
        object.insert("action".into(), action.into());
        let field = |name: &str| format!("{prefix}.{name}");
        match action {
            "agents" => {
                let users = form.all(&field("user_ids"));
                if !users.is_empty() {
                    object.insert("user_ids".into(), users.into());
                }
            }
            "forward" => {
                object.insert("to".into(), form.get(&field("to")).unwrap_or("").trim().into());
            }
            "voicemail" | "message" => {
                if let Some(audio) = form.value(&field("audio_id")) {
                    object.insert("audio_id".into(), audio.into());
                }
            }
            "menu" => {
                if let Some(ivr) = form.value(&field("ivr_id")) {
                    object.insert("ivr_id".into(), ivr.into());
                }
            }
            _ => {}
        }
        match key {
            Some(key) => {
                options.insert(key.to_string(), Value::Object(object));
            }
            None => {
                doc.insert(prefix, Value::Object(object));
            }
        }
    }
    doc.insert("options".into(), Value::Object(options));
    Value::Object(doc)
}

fn id_of(name: &str) -> String {
    name.replace('*', "star").replace('#', "hash").replace('.', "-")
}

/// One row of the options table.
fn option_row(
    form: &FormData,
    errors: &Errors,
    choices: &Choices,
    prefix: &str,
    label: &str,
    fallback: bool,
    lang: Lang,
) -> Markup {
    let action_name = format!("{prefix}.action");
    let current = form.value(&action_name).unwrap_or("");
    let mut actions = vec![
        ("agents", T::IvrAgents),
        ("forward", T::IvrForward),
        ("voicemail", T::IvrVoicemail),
        ("message", T::IvrMessage),
        ("menu", T::IvrMenu),
    ];
    if !fallback {
        actions.push(("repeat", T::IvrRepeat));
    }
    actions.push(("hangup", T::IvrHangup));
    let field = |name: &str| format!("{prefix}.{name}");
    let (to, audio, menu, users) =
        (field("to"), field("audio_id"), field("ivr_id"), field("user_ids"));
    html! {
        tr data-row=(prefix) {
            th scope="row" { (label) }
            td {
                label.visually-hidden for=(id_of(&action_name)) { (label) ": " (lang.t(T::Action)) }
                select id=(id_of(&action_name)) name=(action_name)
                    aria-invalid=[invalid(errors, &action_name)] aria-describedby=[described_by(errors, &action_name)] {
                    @if !fallback { option value="" selected[current.is_empty()] { (lang.t(T::IvrNoOption)) } }
                    @for (value, word) in &actions {
                        option value=(value) selected[current == *value] { (lang.t(*word)) }
                    }
                }
                (field_error(errors, &action_name, lang))
            }
            td.details {
                div.field data-show-for=(format!("{action_name}=forward")) {
                    label for=(id_of(&to)) { (lang.t(T::ForwardTo)) }
                    input type="tel" id=(id_of(&to)) name=(to) value=(form.get(&to).unwrap_or("")) placeholder="+34600000000"
                        aria-invalid=[invalid(errors, &to)] aria-describedby=[described_by(errors, &to)];
                    (field_error(errors, &to, lang))
                }
                div.field data-show-for=(format!("{action_name}=voicemail message")) {
                    label for=(id_of(&audio)) { (lang.t(T::ActionAudio)) }
                    (audio_select(form, errors, &audio, &id_of(&audio), &choices.audio, Some(lang.t(T::NoAudioBeepOnly))))
                    (field_error(errors, &audio, lang))
                }
                div.field data-show-for=(format!("{action_name}=menu")) {
                    label for=(id_of(&menu)) { (lang.t(T::SubMenu)) }
                    select id=(id_of(&menu)) name=(menu) aria-invalid=[invalid(errors, &menu)] aria-describedby=[described_by(errors, &menu)] {
                        option value="" { "—" }
                        @for ivr in choices.ivrs.iter().filter(|i| Some(i.id) != choices.this) {
                            option value=(ivr.id) selected[form.value(&menu) == Some(ivr.id.to_string().as_str())] { (ivr.document.name) }
                        }
                    }
                    (field_error(errors, &menu, lang))
                }
                div.field data-show-for=(format!("{action_name}=agents")) {
                    label for=(id_of(&users)) { (lang.t(T::OnlyTheseUsers)) }
                    select id=(id_of(&users)) name=(users) multiple size="3"
                        aria-invalid=[invalid(errors, &users)] aria-describedby=[described_by(errors, &users)] {
                        @for user in &choices.users {
                            option value=(user.id) selected[form.has_value(&users, &user.id.to_string())] { (user.name) }
                        }
                    }
                    (field_error(errors, &users, lang))
                }
            }
        }
    }
}

async fn render(
    state: &WebState,
    signed: &Signed,
    ivr: Option<&Ivr>,
    choices: &Choices,
    form: &FormData,
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = signed.lang;
    let action = ivr.map_or_else(|| "/ivrs/new".to_owned(), |i| format!("/ivrs/{}", i.id));
    let heading = ivr.map_or_else(|| lang.t(T::NewIvr).to_owned(), |i| i.document.name.clone());
    let number_field = |name: &str, label: T, hint: T| {
        html! {
            div.field {
                label for=(id_of(name)) { (lang.t(label)) }
                span.hint { (lang.t(hint)) }
                input type="text" inputmode="numeric" size="4" id=(id_of(name)) name=(name) value=(form.get(name).unwrap_or(""))
                    aria-invalid=[invalid(errors, name)] aria-describedby=[described_by(errors, name)];
                (field_error(errors, name, lang))
            }
        }
    };
    let body = html! {
        nav.breadcrumb aria-label=(lang.t(T::Breadcrumb)) {
            a href="/ivrs" { (lang.t(T::IvrsTitle)) } " › " (heading)
        }
        h1 { (heading) }
        @if let Some(error) = errors.any() {
            div.error-summary #error-summary role="alert" {
                p { strong { (lang.t(T::NotSaved)) } }
                p { a href=(format!("#{}", crate::page::error_id(&crate::form::strip_indexes(&error.field)))) {
                    (crate::i18n::field_label(lang, &error.field)) ": " (crate::i18n::translate_error(lang, &error.message))
                } }
            }
        }
        form #ivr-form method="post" action=(action) novalidate {
            (csrf_field(&signed.csrf))
            section.card aria-labelledby="h-menu" {
                h2 #h-menu { (lang.t(T::IvrMenuSection)) }
                div.field {
                    label for="name" { (lang.t(T::IvrName)) }
                    input #name type="text" name="name" required maxlength="200" value=(form.get("name").unwrap_or(""))
                        aria-invalid=[invalid(errors, "name")] aria-describedby=[described_by(errors, "name")];
                    (field_error(errors, "name", lang))
                }
                div.field {
                    label for="prompt_audio_id" { (lang.t(T::IvrPrompt)) }
                    (audio_select(form, errors, "prompt_audio_id", "prompt_audio_id", &choices.audio, Some("—")))
                    (field_error(errors, "prompt_audio_id", lang))
                    " " a href="/audio" { (lang.t(T::UploadAudioLink)) }
                }
                div.row {
                    (number_field("timeout_s", T::IvrTimeout, T::IvrTimeoutHint))
                    (number_field("repeats", T::IvrRepeats, T::IvrRepeatsHint))
                }
            }
            section.card aria-labelledby="h-options" {
                h2 #h-options { (lang.t(T::IvrOptions)) }
                (field_error(errors, "options", lang))
                div.table-wrap {
                    table.options #ivr-options {
                        caption.visually-hidden { (lang.t(T::IvrOptions)) }
                        thead { tr {
                            th scope="col" { (lang.t(T::Key)) }
                            th scope="col" { (lang.t(T::Action)) }
                            th scope="col" { (lang.t(T::Details)) }
                        } }
                        tbody {
                            @for (prefix, key) in rows() {
                                @let label = match key {
                                    Some(k) => k.to_string(),
                                    None if prefix == "on_no_input" => lang.t(T::IvrOnNoInput).to_owned(),
                                    None => lang.t(T::IvrOnInvalid).to_owned(),
                                };
                                (option_row(form, errors, choices, &prefix, &label, key.is_none(), lang))
                            }
                        }
                    }
                }
            }
            div.actions { button.primary #save type="submit" { (lang.t(T::Save)) } }
        }
        @if let Some(ivr) = ivr {
            form.inline method="post" action=(format!("/ivrs/{}/delete", ivr.id)) {
                (csrf_field(&signed.csrf))
                button.danger type="submit" { (lang.t(T::DeleteIvr)) }
            }
        }
    };
    let title = format!("{} · {}", lang.t(T::IvrsTitle), heading);
    page(state, Shell { signed, tab: Some(Tab::Ivrs), title }, status, body).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_document_survives_the_form() {
        let json = r##"{"name":"Main","prompt_audio_id":"0190f3a0-0000-7000-8000-0000000000a1",
            "options":{"1":{"action":"agents"},"2":{"action":"forward","to":"+34600000000"},
            "#":{"action":"hangup"},"9":{"action":"repeat"}},"on_invalid":{"action":"hangup"}}"##;
        let doc: IvrDocument = parse_document(json.as_bytes()).unwrap();
        let round: IvrDocument =
            parse_document(form_to_document(&document_to_form(&doc)).to_string().as_bytes())
                .unwrap();
        assert_eq!(round, doc);
    }

    #[test]
    fn keys_become_valid_ids() {
        assert_eq!(id_of("options.*.action"), "options-star-action");
        assert_eq!(id_of("options.#.to"), "options-hash-to");
    }
}
