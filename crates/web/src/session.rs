//! Sign-in sessions and CSRF protection.
//!
//! - **Session**: on sign-in the server draws a 256-bit secret from the operating system's
//!   CSPRNG and sends it in the cookie `centralita_session` (`HttpOnly; SameSite=Lax; Path=/`,
//!   plus `Secure` when [`crate::WebConfig::secure_cookies`]). The store keeps only its SHA-256,
//!   with an idle and an absolute expiry; signing out deletes the row, and the cookie.
//! - **CSRF**: every form carries a token bound to the session: `base64url(SHA-256("centralita
//!   csrf v1" || secret))`. It is not in the database (a copy of the database gives neither the
//!   session nor the token) and the server checks it, in constant time, on every POST. Before
//!   sign-in (the sign-in form, the language switch) the same token is bound to a random
//!   pre-session cookie instead, which stops login CSRF. Every state-changing request must also
//!   come from this origin: an `Origin` (or, without one, `Referer`) naming another host is
//!   refused before anything else.
//! - GET requests change nothing on the server.

use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, HOST, ORIGIN, REFERER};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};
use base64::Engine;
use centralita_domain::{AccountId, Millis, Role};
use centralita_store::{User, Viewer};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::WebState;
use crate::i18n::Lang;
use crate::page::WebError;

/// The cookie that holds the session secret.
pub const SESSION_COOKIE: &str = "centralita_session";
/// The cookie that binds the CSRF token of forms shown before sign-in.
pub const PRE_SESSION_COOKIE: &str = "centralita_pre";
/// The cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "centralita_lang";
/// The cookie that carries a one-time message to the next page ("Saved").
pub(crate) const FLASH_COOKIE: &str = "centralita_flash";
/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";

/// A new random secret: 256 bits, base64url.
pub(crate) fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// How a session secret is stored and looked up.
pub fn session_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The CSRF token bound to a session or pre-session secret.
pub fn csrf_token(secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"centralita csrf v1\0");
    hasher.update(secret.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hasher.finalize())
}

/// Whether `given` is the token bound to `secret`, compared in constant time.
pub(crate) fn csrf_matches(secret: &str, given: &str) -> bool {
    bool::from(csrf_token(secret).as_bytes().ct_eq(given.as_bytes()))
}

/// The value of a cookie in a request.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value. `max_age_s` of 0 deletes the cookie; `None` makes it last the browser
/// session.
pub(crate) fn set_cookie(
    state: &WebState,
    name: &str,
    value: &str,
    max_age_s: Option<i64>,
    http_only: bool,
) -> HeaderValue {
    let mut cookie = format!("{name}={value}; Path=/; SameSite=Lax");
    if let Some(age) = max_age_s {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if http_only {
        cookie.push_str("; HttpOnly");
    }
    if state.config().secure_cookies {
        cookie.push_str("; Secure");
    }
    // Names and values are ours (base64url, hex, plain words): always valid header text.
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Refuses a state-changing request that says it comes from another site. A request with
/// neither `Origin` nor `Referer` (a non-browser client) passes this check; the CSRF token
/// still applies to it.
pub(crate) fn check_origin(method: &Method, headers: &HeaderMap) -> Result<(), WebError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let host = headers.get(HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let source = headers
        .get(ORIGIN)
        .or_else(|| headers.get(REFERER))
        .and_then(|v| v.to_str().ok())
        .filter(|v| *v != "null");
    let Some(source) = source else {
        return if headers.contains_key(ORIGIN) { Err(WebError::BadCsrf) } else { Ok(()) };
    };
    // scheme://host[:port][/path]: compare the authority with Host (the scheme may differ
    // behind a TLS-terminating proxy).
    let authority = source
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or("")
        .split('/')
        .next()
        .unwrap_or("");
    if !host.is_empty() && authority.eq_ignore_ascii_case(host) {
        Ok(())
    } else {
        Err(WebError::BadCsrf)
    }
}

/// The language of a request: the cookie set by the switch, else the browser's
/// `Accept-Language`, else English.
pub(crate) fn request_lang(headers: &HeaderMap) -> Lang {
    if let Some(lang) = cookie(headers, LANG_COOKIE).and_then(|c| Lang::from_code(&c)) {
        return lang;
    }
    let accept = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Lang::from_accept_language(accept)
}

/// A signed-in user, for any page.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    /// Who.
    pub(crate) user: User,
    /// The page language.
    pub(crate) lang: Lang,
    /// The CSRF token for this page's forms.
    pub(crate) csrf: String,
    /// The hash of the session secret (sign-out deletes it).
    pub(crate) session_hash: String,
    /// A one-time message from the previous request, if any: (success, text).
    pub(crate) flash: Option<(bool, String)>,
    /// The path of this page, for "come back here" in widget forms.
    pub(crate) path: String,
}

impl Signed {
    pub(crate) fn account(&self) -> AccountId {
        self.user.account_id
    }

    pub(crate) fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }

    /// The store's filter for what this user sees.
    pub(crate) fn viewer(&self) -> Viewer {
        match self.user.role {
            Role::Admin => Viewer::Admin,
            Role::Agent => Viewer::Agent(self.user.id),
        }
    }

    /// Refuses agents (after the object was found, so other accounts' ids stay 404).
    pub(crate) fn require_admin(&self) -> Result<(), WebError> {
        if self.is_admin() { Ok(()) } else { Err(WebError::Forbidden) }
    }

    /// Checks a form's CSRF token against this session.
    pub(crate) fn check_csrf(&self, given: Option<&str>) -> Result<(), WebError> {
        match given {
            Some(token) if bool::from(self.csrf.as_bytes().ct_eq(token.as_bytes())) => Ok(()),
            _ => Err(WebError::BadCsrf),
        }
    }
}

/// The session secret of a request, if its cookie is there.
pub(crate) fn session_secret(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE)
}

/// The flash message of a request: `1` or `0`, a dot, then the base64url text.
pub(crate) fn read_flash(headers: &HeaderMap) -> Option<(bool, String)> {
    let raw = cookie(headers, FLASH_COOKIE)?;
    let (ok, text) = raw.split_once('.')?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok()?;
    Some((ok == "1", String::from_utf8(bytes).ok()?))
}

/// A flash cookie carrying `text` to the next page.
pub(crate) fn flash_cookie(state: &WebState, ok: bool, text: &str) -> HeaderValue {
    let value = format!(
        "{}.{}",
        if ok { 1 } else { 0 },
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text.as_bytes())
    );
    set_cookie(state, FLASH_COOKIE, &value, Some(60), true)
}

impl FromRequestParts<WebState> for Signed {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, WebError> {
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        check_origin(&parts.method, &parts.headers)?;
        let sign_in = || {
            WebError::SignIn(if parts.method == Method::GET { path.clone() } else { "/".into() })
        };
        let secret = session_secret(&parts.headers).ok_or_else(sign_in)?;
        let hash = session_hash(&secret);
        let config = state.config();
        let session = state
            .store()
            .web_session(&hash, state.now(), config.session_idle_ms, touch_every(config))
            .await?
            .ok_or_else(sign_in)?;
        Ok(Self {
            user: session.user,
            lang: request_lang(&parts.headers),
            csrf: csrf_token(&secret),
            session_hash: hash,
            flash: read_flash(&parts.headers),
            path,
        })
    }
}

/// How often a session's last use is written: often enough for the idle timeout to be exact
/// to within a minute, rarely enough that page loads are not writes.
fn touch_every(config: &crate::WebConfig) -> i64 {
    (config.session_idle_ms / 100).clamp(1, 60_000)
}

/// The expiry of a session that starts at `now`.
pub(crate) fn absolute_expiry(state: &WebState, now: Millis) -> Millis {
    Millis(now.0 + state.config().session_absolute_ms)
}
