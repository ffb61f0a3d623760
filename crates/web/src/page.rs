//! The page shell every screen shares (header, tabs, notifications, the agent widget), the
//! error pages, and small pieces of markup the screens reuse.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use centralita_domain::{Direction, Millis, NumberId};
use centralita_store::{Number, StoreError};
use maud::{DOCTYPE, Markup, html};

use crate::form::Errors;
use crate::i18n::{Lang, T};
use crate::session::{self, CSRF_FIELD, Signed};
use crate::{CallSummary, WebState, assets};

/// A request that did not succeed, rendered as an HTML page in the request's language by
/// [`render_errors`].
#[derive(Debug)]
pub(crate) enum WebError {
    /// Not signed in: go to the sign-in page, then back to this path.
    SignIn(String),
    /// Signed in, but this page is for admins.
    Forbidden,
    /// No such object for this user (also: another account's object).
    NotFound,
    /// The form's CSRF token or the request's origin is wrong.
    BadCsrf,
    /// The request is malformed.
    BadRequest,
    /// An upload over the limit.
    TooLarge,
    /// Our fault; the detail is logged, never shown.
    Internal(String),
}

/// Which error page to render; set on the response by [`WebError`], read by [`render_errors`].
#[derive(Debug, Clone, Copy)]
struct ErrorPage(StatusCode);

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let csrf = matches!(self, Self::BadCsrf);
        let status = match self {
            Self::SignIn(next) => {
                let target = format!("/login?next={}", urlencode(&next));
                return Redirect::to(&target).into_response();
            }
            Self::Forbidden | Self::BadCsrf => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Internal(detail) => {
                tracing::error!(%detail, "web page failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let mut response = status.into_response();
        response.extensions_mut().insert(ErrorPage(status));
        if csrf {
            response.extensions_mut().insert(CsrfRefused);
        }
        response
    }
}

#[derive(Debug, Clone, Copy)]
struct CsrfRefused;

impl From<StoreError> for WebError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Self::NotFound,
            other => Self::Internal(other.to_string()),
        }
    }
}

/// Percent-encodes a query value.
pub(crate) fn urlencode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Middleware: turns the bare error responses of [`WebError`] into pages in the request's
/// language.
pub(crate) async fn render_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let lang = session::request_lang(request.headers());
    let response = next.run(request).await;
    let Some(ErrorPage(status)) = response.extensions().get::<ErrorPage>().copied() else {
        return response;
    };
    let csrf = response.extensions().get::<CsrfRefused>().is_some();
    let (title, text) = match status {
        StatusCode::FORBIDDEN if csrf => (T::ErrCsrfTitle, T::ErrCsrfText),
        StatusCode::FORBIDDEN => (T::ErrForbiddenTitle, T::ErrForbiddenText),
        StatusCode::NOT_FOUND => (T::ErrNotFoundTitle, T::ErrNotFoundText),
        StatusCode::BAD_REQUEST => (T::ErrBadRequestTitle, T::ErrBadRequestText),
        StatusCode::PAYLOAD_TOO_LARGE => (T::ErrTooLargeTitle, T::ErrTooLargeText),
        _ => (T::ErrInternalTitle, T::ErrInternalText),
    };
    let body = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head { (head_tags(lang.t(title))) }
            body {
                header.top { a.brand href="/" { "centralita" } }
                main #main.narrow {
                    h1 { (lang.t(title)) }
                    p { (lang.t(text)) }
                    p { a href="/" { (lang.t(T::BackHome)) } }
                }
            }
        }
    };
    let mut page = (status, maud_html(body)).into_response();
    page.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    page
}

/// An HTML response from a template.
pub(crate) fn maud_html(markup: Markup) -> axum::response::Html<String> {
    axum::response::Html(markup.into_string())
}

fn head_tags(title: &str) -> Markup {
    html! {
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
        meta name="color-scheme" content="light";
        title { (title) " · centralita" }
        link rel="stylesheet" href=(assets::css_url());
        script src=(assets::js_url()) defer {}
    }
}

/// The tabs of the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tab {
    Settings,
    Ivrs,
    Audio,
    Users,
    Account,
    History,
    Voicemails,
}

/// The hidden CSRF field of a form.
pub(crate) fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(csrf); }
}

/// The error of one field, if it is the one refused, with the id its input points at.
pub(crate) fn field_error(errors: &Errors, name: &str, lang: Lang) -> Markup {
    html! {
        @if let Some(message) = errors.at(name) {
            p.field-error id=(error_id(name)) role="alert" {
                (lang.t(T::ErrorPrefix)) " " (crate::i18n::translate_error(lang, message))
            }
        }
    }
}

/// The id of a field's error paragraph.
pub(crate) fn error_id(name: &str) -> String {
    format!("err-{}", name.replace(['.', '[', ']', '*', '#'], "-"))
}

/// `aria-describedby` for an input whose field is refused.
pub(crate) fn described_by(errors: &Errors, name: &str) -> Option<String> {
    errors.at(name).map(|_| error_id(name))
}

/// `aria-invalid` for an input whose field is refused.
pub(crate) fn invalid(errors: &Errors, name: &str) -> Option<&'static str> {
    errors.at(name).map(|_| "true")
}

/// An instant, formatted for the language in UTC; the script shows it in the browser's zone.
pub(crate) fn time(lang: Lang, at: Millis) -> Markup {
    html! {
        time datetime=(centralita_domain::format_rfc3339_ms(at.0)) { (crate::i18n::format_datetime(lang, at)) }
    }
}

/// An audio player with a download link.
pub(crate) fn player(lang: Lang, src: &str, label: &str, download: bool) -> Markup {
    html! {
        span.player {
            audio controls preload="metadata" src=(src) aria-label=(label) {}
            @if download {
                " "
                a href=(format!("{src}?download=1")) download { (lang.t(T::Download)) }
            }
        }
    }
}

/// What the shell needs besides the page body.
pub(crate) struct Shell<'a> {
    pub(crate) signed: &'a Signed,
    pub(crate) tab: Option<Tab>,
    pub(crate) title: String,
}

/// Renders a full page: header with tabs and notifications, the agent widget, the body.
pub(crate) async fn page(
    state: &WebState,
    shell: Shell<'_>,
    status: StatusCode,
    body: Markup,
) -> Result<Response, WebError> {
    let signed = shell.signed;
    let lang = signed.lang;
    let unread = state
        .store()
        .list_voicemails(signed.account(), signed.viewer(), signed.user.id, true, 500)
        .await?
        .len();
    let widget = widget(state, signed).await?;
    let tab = |t: Tab| if shell.tab == Some(t) { Some("page") } else { None };
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                (head_tags(&shell.title))
                meta name="csrf-token" content=(signed.csrf);
            }
            body data-t-new-voicemail=(lang.t(T::JsNewVoicemail)) data-t-listen=(lang.t(T::JsListen)) {
                a.skip href="#main" { (lang.t(T::SkipToContent)) }
                header.top {
                    a.brand href="/" { "centralita" }
                    nav aria-label=(lang.t(T::MainNav)) {
                        ul {
                            @if signed.is_admin() {
                                li { a href="/settings" aria-current=[tab(Tab::Settings)] { (lang.t(T::TabSettings)) } }
                                li { a href="/ivrs" aria-current=[tab(Tab::Ivrs)] { (lang.t(T::TabIvrs)) } }
                                li { a href="/audio" aria-current=[tab(Tab::Audio)] { (lang.t(T::TabAudio)) } }
                                li { a href="/users" aria-current=[tab(Tab::Users)] { (lang.t(T::TabUsers)) } }
                                li { a href="/account" aria-current=[tab(Tab::Account)] { (lang.t(T::TabAccount)) } }
                            }
                            li { a href="/history" aria-current=[tab(Tab::History)] { (lang.t(T::TabHistory)) } }
                            li {
                                a #notifications href="/voicemails" aria-current=[tab(Tab::Voicemails)] {
                                    (lang.t(T::TabVoicemails)) " "
                                    span #unread-count.badge data-count=(unread) hidden[unread == 0]
                                        aria-label=(lang.t(T::UnreadLabel)) { (unread) }
                                }
                            }
                        }
                    }
                    div.account {
                        span.who { (signed.user.name) }
                        (lang_switch(lang, &signed.csrf, &signed.path))
                        form method="post" action="/logout" {
                            (csrf_field(&signed.csrf))
                            button.link type="submit" { (lang.t(T::SignOut)) }
                        }
                    }
                }
                div.layout {
                    main #main {
                        @if let Some((ok, text)) = &signed.flash {
                            p.flash.ok[*ok].bad[!*ok] role="status" { (text) }
                        }
                        (body)
                    }
                    aside #widget.widget aria-labelledby="widget-title" { (widget) }
                }
                div #toasts.toasts aria-live="polite" {}
            }
        }
    };
    let mut response = (status, maud_html(markup)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if signed.flash.is_some() {
        headers.append(
            header::SET_COOKIE,
            session::set_cookie(state, session::FLASH_COOKIE, "", Some(0), true),
        );
    }
    Ok(response)
}

/// The language switch: a form per language, so it works without JavaScript.
pub(crate) fn lang_switch(lang: Lang, csrf: &str, next: &str) -> Markup {
    html! {
        form.lang method="post" action="/lang" {
            (csrf_field(csrf))
            input type="hidden" name="next" value=(next);
            @for other in Lang::ALL {
                @if other != lang {
                    button.link type="submit" name="lang" value=(other.code()) lang=(other.code()) {
                        (other.name())
                    }
                }
            }
        }
    }
}

/// The agent widget: online switch, the current call, voicedrop, the dial box.
pub(crate) async fn widget(state: &WebState, signed: &Signed) -> Result<Markup, WebError> {
    let lang = signed.lang;
    let user = state.store().get_user(signed.account(), signed.user.id).await?;
    let numbers: Vec<Number> = state
        .store()
        .list_numbers(signed.account(), centralita_store::Viewer::Agent(user.id))
        .await?;
    let devices = state.live().devices(user.id).len();
    let call = state.live().current_call(user.id);
    let presence = match (user.online_switch, devices) {
        (true, 0) => T::PresenceNoDevice,
        (true, _) => T::PresenceOnline,
        (false, _) => T::PresenceOffline,
    };
    Ok(html! {
        h2 #widget-title { (lang.t(T::WidgetTitle)) }
        form.presence method="post" action="/presence" {
            (csrf_field(&signed.csrf))
            input type="hidden" name="next" value=(signed.path);
            input type="hidden" name="online" value=(if user.online_switch { "false" } else { "true" });
            button #online-switch.switch type="submit" role="switch"
                aria-checked=(if user.online_switch { "true" } else { "false" }) {
                span.knob aria-hidden="true" {}
                (lang.t(T::OnlineSwitch))
            }
        }
        p #presence-state.muted { (lang.t(presence)) }
        (current_call(lang, &signed.csrf, &signed.path, call.as_ref(), &numbers))
        form.dial method="post" action="/dial" {
            (csrf_field(&signed.csrf))
            input type="hidden" name="next" value=(signed.path);
            label for="dial-to" { (lang.t(T::DialLabel)) }
            input #dial-to type="tel" name="to" required placeholder="+34600000000" autocomplete="off";
            @if numbers.is_empty() {
                p.muted { (lang.t(T::DialNoNumber)) }
            } @else {
                label for="dial-from" { (lang.t(T::DialFrom)) }
                select #dial-from name="from_number" {
                    @for number in &numbers {
                        option value=(number.id) selected[Some(number.id) == user.default_number_id] {
                            (number.name) " (" (number.e164) ")"
                        }
                    }
                }
                div.choice {
                    input #dial-remember type="checkbox" name="remember" value="true";
                    label for="dial-remember" { (lang.t(T::DialRemember)) }
                }
                button type="submit" { (lang.t(T::DialButton)) }
            }
        }
    })
}

fn current_call(
    lang: Lang,
    csrf: &str,
    next: &str,
    call: Option<&CallSummary>,
    numbers: &[Number],
) -> Markup {
    let number_name = |id: Option<NumberId>| {
        id.and_then(|id| numbers.iter().find(|n| n.id == id)).map(|n| n.e164.to_string())
    };
    html! {
        section.current-call aria-label=(lang.t(T::CurrentCall)) {
            @match call {
                None => p #no-call.muted { (lang.t(T::NoCall)) },
                Some(call) => {
                    p {
                        strong { (call.other_party) }
                        @if let Some(number) = number_name(call.number_id) {
                            " · " (number)
                        }
                    }
                    p {
                        (lang.t(match call.direction {
                            Direction::Inbound => T::Inbound,
                            Direction::Outbound => T::Outbound,
                        }))
                        " · "
                        @match call.answered_at {
                            Some(answered) => span.call-timer data-since=(answered.0) { "0:00" },
                            None => span #call-ringing { (lang.t(T::CallRinging)) },
                        }
                    }
                    // The voicedrop is for a lead who answered (their voicemail box, usually).
                    @if call.direction == Direction::Outbound && call.answered_at.is_some() {
                        form method="post" action=(format!("/calls/{}/voicedrop", call.call_id)) {
                            (csrf_field(csrf))
                            input type="hidden" name="next" value=(next);
                            button #voicedrop type="submit" { (lang.t(T::VoicedropButton)) }
                        }
                    }
                }
            }
        }
    }
}

/// A redirect after a successful POST, with a one-time message for the next page.
pub(crate) fn redirect_with_flash(state: &WebState, to: &str, ok: bool, text: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    response.headers_mut().append(header::SET_COOKIE, session::flash_cookie(state, ok, text));
    response
}

/// A path to come back to, from a form's `next` field: only local paths.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}
