//! Sign-in, sign-out and the language switch.

use std::sync::LazyLock;

use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use centralita_domain::{AccountId, Email};
use centralita_store::User;
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use crate::WebState;
use crate::form::{FormData, Posted};
use crate::i18n::{Lang, T};
use crate::page::{WebError, csrf_field, lang_switch, maud_html, safe_next};
use crate::session::{
    self, CSRF_FIELD, LANG_COOKIE, PRE_SESSION_COOKIE, SESSION_COOKIE, absolute_expiry,
    check_origin, cookie, csrf_matches, csrf_token, new_secret, request_lang, session_hash,
    set_cookie,
};

/// A real argon2id hash to check against when the email is unknown, so that answering takes
/// as long as for a known email (as the API's `POST /v1/tokens` does).
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    centralita_api::hash_password("no user has this password").unwrap_or_default()
});

#[derive(Debug, Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

/// What the sign-in form shows.
struct LoginView<'a> {
    lang: Lang,
    csrf: &'a str,
    next: &'a str,
    email: &'a str,
    error: Option<T>,
    /// When the email and password match users of several accounts: which to sign in to.
    accounts: Vec<(AccountId, String)>,
}

fn login_page(view: &LoginView<'_>) -> Markup {
    let lang = view.lang;
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (lang.t(T::SignInTitle)) " · centralita" }
                link rel="stylesheet" href=(crate::assets::css_url());
            }
            body {
                header.top {
                    span.brand { "centralita" }
                    div.account { (lang_switch(lang, view.csrf, &format!("/login?next={}", crate::page::urlencode(view.next)))) }
                }
                main #main.narrow {
                    h1 { (lang.t(T::SignInTitle)) }
                    @if let Some(error) = view.error {
                        p.flash.bad #login-error role="alert" { (lang.t(error)) }
                    }
                    form.card method="post" action="/login" {
                        (csrf_field(view.csrf))
                        input type="hidden" name="next" value=(view.next);
                        div.field {
                            label for="email" { (lang.t(T::Email)) }
                            input #email type="email" name="email" required autocomplete="username" value=(view.email);
                        }
                        div.field {
                            label for="password" { (lang.t(T::Password)) }
                            input #password type="password" name="password" required autocomplete="current-password";
                        }
                        @if !view.accounts.is_empty() {
                            fieldset.field {
                                legend { (lang.t(T::ChooseAccount)) }
                                @for (i, (id, name)) in view.accounts.iter().enumerate() {
                                    label.choice {
                                        input type="radio" name="account_id" value=(id) checked[i == 0];
                                        " " (name)
                                    }
                                }
                            }
                        }
                        button.primary type="submit" { (lang.t(T::SignIn)) }
                    }
                }
            }
        }
    }
}

/// The pre-session secret of a request, and the cookie to set when it is new.
fn pre_session(state: &WebState, headers: &HeaderMap) -> (String, Option<axum::http::HeaderValue>) {
    match cookie(headers, PRE_SESSION_COOKIE) {
        Some(secret) => (secret, None),
        None => {
            let secret = new_secret();
            let set = set_cookie(state, PRE_SESSION_COOKIE, &secret, None, true);
            (secret, Some(set))
        }
    }
}

/// Whether a request carries a live session.
async fn live_session(state: &WebState, headers: &HeaderMap) -> Result<bool, WebError> {
    let Some(secret) = session::session_secret(headers) else { return Ok(false) };
    let config = state.config();
    Ok(state
        .store()
        .web_session(&session_hash(&secret), state.now(), config.session_idle_ms, i64::MAX)
        .await?
        .is_some())
}

/// `GET /login`.
pub(crate) async fn form(
    State(state): State<WebState>,
    Query(query): Query<NextQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let next = safe_next(query.next.as_deref());
    if live_session(&state, &headers).await? {
        return Ok(Redirect::to(&next).into_response());
    }
    let (secret, set) = pre_session(&state, &headers);
    let view = LoginView {
        lang: request_lang(&headers),
        csrf: &csrf_token(&secret),
        next: &next,
        email: "",
        error: None,
        accounts: Vec::new(),
    };
    let mut response = maud_html(login_page(&view)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, "no-store".parse().map_err(|_| WebError::BadRequest)?);
    if let Some(set) = set {
        response.headers_mut().append(header::SET_COOKIE, set);
    }
    Ok(response)
}

/// `POST /login`: email and password, checked with argon2 like the API's sign-in.
pub(crate) async fn submit(
    State(state): State<WebState>,
    request: Request,
) -> Result<Response, WebError> {
    let (parts, body) = request.into_parts();
    check_origin(&parts.method, &parts.headers)?;
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.map_err(|_| WebError::BadRequest)?;
    let form = FormData::from_urlencoded(&bytes);
    let pre = cookie(&parts.headers, PRE_SESSION_COOKIE).ok_or(WebError::BadCsrf)?;
    if !form.get(CSRF_FIELD).is_some_and(|token| csrf_matches(&pre, token)) {
        return Err(WebError::BadCsrf);
    }
    let lang = request_lang(&parts.headers);
    let next = safe_next(form.get("next"));
    let email_text = form.get("email").unwrap_or("").trim().to_owned();
    let password = form.get("password").unwrap_or("").to_owned();
    let chosen: Option<AccountId> = form.value("account_id").and_then(|id| id.parse().ok());
    let csrf = csrf_token(&pre);
    let refuse = |error: T, accounts: Vec<(AccountId, String)>, status: StatusCode| {
        let view = LoginView {
            lang,
            csrf: &csrf,
            next: &next,
            email: &email_text,
            error: Some(error),
            accounts,
        };
        (status, maud_html(login_page(&view))).into_response()
    };

    let candidates = match Email::parse("email", &email_text) {
        Ok(email) => state.store().users_by_email(&email).await?,
        Err(_) => Vec::new(),
    };
    let hashes: Vec<String> = candidates.iter().map(|(_, hash)| hash.clone()).collect();
    let matches = tokio::task::spawn_blocking(move || {
        if hashes.is_empty() {
            centralita_api::verify_password(&password, &DUMMY_HASH);
        }
        hashes
            .iter()
            .map(|hash| centralita_api::verify_password(&password, hash))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| WebError::Internal(e.to_string()))?;
    let users: Vec<User> = candidates
        .into_iter()
        .zip(matches)
        .filter(|(_, ok)| *ok)
        .map(|((user, _), _)| user)
        .collect();
    let chosen_users: Vec<&User> =
        users.iter().filter(|u| chosen.is_none_or(|a| a == u.account_id)).collect();
    let user = match chosen_users.as_slice() {
        [] => return Ok(refuse(T::WrongCredentials, Vec::new(), StatusCode::UNAUTHORIZED)),
        [one] => (*one).clone(),
        several => {
            // The password is right for several accounts: say which ones, and ask.
            let mut accounts = Vec::with_capacity(several.len());
            for user in several {
                let account = state.store().get_account(user.account_id).await?;
                accounts.push((account.id, account.name));
            }
            return Ok(refuse(T::ChooseAccountHint, accounts, StatusCode::OK));
        }
    };

    let secret = new_secret();
    let now = state.now();
    state
        .store()
        .create_web_session(&session_hash(&secret), user.id, now, absolute_expiry(&state, now))
        .await?;
    let mut response = Redirect::to(&next).into_response();
    let max_age = state.config().session_absolute_ms / 1000;
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, &secret, Some(max_age), true),
    );
    Ok(response)
}

/// `POST /logout`: ends the session and forgets the cookie.
pub(crate) async fn logout(
    State(state): State<WebState>,
    posted: Posted,
) -> Result<Response, WebError> {
    state.store().delete_web_session(&posted.signed.session_hash).await?;
    let mut response = Redirect::to("/login").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, "", Some(0), true));
    Ok(response)
}

/// `POST /lang`: remembers the chosen language in a cookie. Works signed in or not, so its
/// token is bound to whichever cookie the page had.
pub(crate) async fn switch_lang(
    State(state): State<WebState>,
    request: Request,
) -> Result<Response, WebError> {
    let (parts, body) = request.into_parts();
    check_origin(&parts.method, &parts.headers)?;
    let bytes = axum::body::to_bytes(body, 16 * 1024).await.map_err(|_| WebError::BadRequest)?;
    let form = FormData::from_urlencoded(&bytes);
    let token = form.get(CSRF_FIELD).unwrap_or("");
    let bound = [SESSION_COOKIE, PRE_SESSION_COOKIE]
        .iter()
        .filter_map(|name| cookie(&parts.headers, name))
        .any(|secret| csrf_matches(&secret, token));
    if !bound {
        return Err(WebError::BadCsrf);
    }
    let lang = form.get("lang").and_then(Lang::from_code).ok_or(WebError::BadRequest)?;
    let mut response = Redirect::to(&safe_next(form.get("next"))).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, LANG_COOKIE, lang.code(), Some(365 * 24 * 3600), true),
    );
    Ok(response)
}
