//! The pages, one module per screen of the article, and the router that serves them.

mod account;
mod audio;
mod history;
mod ivrs;
mod live;
mod login;
mod settings;
mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::page::{WebError, render_errors};
use crate::session::Signed;
use crate::{WebState, assets};

/// Every route of the UI.
pub(crate) fn router(state: WebState) -> Router {
    // Uploads are multipart forms: the file plus a few fields.
    let upload_limit = state.config().max_upload_bytes + 64 * 1024;
    let security = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    Router::new()
        .route("/", get(home))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/lang", post(login::switch_lang))
        .route("/settings", get(settings::list))
        .route("/settings/{number_id}", get(settings::show).post(settings::save))
        .route("/ivrs", get(ivrs::list))
        .route("/ivrs/new", get(ivrs::new_form).post(ivrs::create))
        .route("/ivrs/{ivr_id}", get(ivrs::show).post(ivrs::save))
        .route("/ivrs/{ivr_id}/delete", post(ivrs::delete))
        .route("/audio", get(audio::list).post(audio::upload))
        .route("/audio/{file}", get(audio::file))
        .route("/audio/{audio_id}/delete", post(audio::delete))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{user_id}/role", post(users::set_role))
        .route("/account", get(account::show).post(account::save))
        .route("/history", get(history::list))
        .route("/history/{call_id}", get(history::show))
        .route("/recordings/{file}", get(history::recording))
        .route("/voicemails", get(history::voicemails))
        .route("/voicemails/{file}", get(history::voicemail))
        .route("/voicemails/{voicemail_id}/read", post(history::mark_read))
        .route("/events", get(live::events))
        .route("/widget", get(live::widget_fragment))
        .route("/presence", post(live::presence))
        .route("/dial", post(live::dial))
        .route("/calls/{call_id}/voicedrop", post(live::voicedrop))
        .route("/assets/{name}", get(assets::serve))
        .layer(DefaultBodyLimit::max(upload_limit))
        .with_state(state)
        .layer(axum::middleware::from_fn(render_errors))
        .layer(CatchPanicLayer::custom(|_| {
            WebError::Internal("a page handler panicked".into()).into_response()
        }))
        .layer(security(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
             base-uri 'none'; object-src 'none'",
        ))
        .layer(security(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security(header::REFERRER_POLICY, "same-origin"))
        .layer(security(header::X_FRAME_OPTIONS, "DENY"))
}

/// `/`: admins start at the numbers' settings (the article's first step), agents at their
/// history.
async fn home(signed: Signed) -> Response {
    if signed.is_admin() { Redirect::to("/settings") } else { Redirect::to("/history") }
        .into_response()
}

/// Reads an id from a path segment; anything malformed names nothing (404).
pub(crate) fn parse_id<T: std::str::FromStr>(raw: &str) -> Result<T, WebError> {
    raw.parse().map_err(|_| WebError::NotFound)
}

/// Splits `<id>.wav` into the id; anything else is 404.
pub(crate) fn wav_id<T: std::str::FromStr>(file: &str) -> Result<T, WebError> {
    parse_id(file.strip_suffix(".wav").ok_or(WebError::NotFound)?)
}
