//! Users: add one, change a role, see who is online, and the SIP credentials to copy into a
//! softphone. The checks are the API's (`POST /v1/users`): the domain's name, email and SIP
//! username rules, the same password lengths, the same SIP digest HA1.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use centralita_domain::{Email, FieldError, Role, SipUsername, UserId, check_name, limits};
use centralita_store::{NewUser, StoreError, UserUpdate};
use maud::{Markup, html};

use crate::WebState;
use crate::form::{Errors, FormData, Posted};
use crate::i18n::T;
use crate::page::{
    Shell, Tab, WebError, csrf_field, described_by, field_error, invalid, page, redirect_with_flash,
};
use crate::routes::parse_id;
use crate::session::Signed;

/// Credentials to show once, right after a user is created.
struct Created {
    name: String,
    sip_username: String,
    /// Shown only when the server generated it.
    sip_password: Option<String>,
}

async fn render(
    state: &WebState,
    signed: &Signed,
    form: &FormData,
    errors: &Errors,
    created: Option<&Created>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = signed.lang;
    let users = state.store().list_users(signed.account()).await?;
    let domain = &state.config().sip_domain;
    let text_field = |name: &str,
                      label: T,
                      kind: &str,
                      required: bool,
                      hint: Option<T>|
     -> Markup {
        let id = format!("user-{name}");
        html! {
            div.field {
                label for=(id) { (lang.t(label)) }
                @if let Some(hint) = hint { span.hint { (lang.t(hint)) } }
                input id=(id) type=(kind) name=(name) required[required]
                    value=(if kind == "password" { "" } else { form.get(name).unwrap_or("") })
                    autocomplete=(if kind == "password" { "new-password" } else { "off" })
                    aria-invalid=[invalid(errors, name)] aria-describedby=[described_by(errors, name)];
                (field_error(errors, name, lang))
            }
        }
    };
    let role = form.value("role").unwrap_or("agent");
    let body = html! {
        h1 { (lang.t(T::UsersTitle)) }
        @if let Some(created) = created {
            section.card.credentials #sip-credentials aria-labelledby="h-cred" {
                h2 #h-cred { (lang.t(T::SipCredentialsFor)) " " (created.name) }
                p.hint { (lang.t(T::SipCredentialsHint)) }
                dl {
                    dt { (lang.t(T::SipDomain)) }
                    dd { code #sip-domain { (domain) } " " button.copy type="button" data-copy="#sip-domain" { (lang.t(T::Copy)) } }
                    dt { (lang.t(T::SipUsername)) }
                    dd { code #sip-username { (created.sip_username) } " " button.copy type="button" data-copy="#sip-username" { (lang.t(T::Copy)) } }
                    dt { (lang.t(T::SipPassword)) }
                    dd {
                        @match &created.sip_password {
                            Some(password) => {
                                code #sip-password { (password) } " "
                                button.copy type="button" data-copy="#sip-password" { (lang.t(T::Copy)) }
                                p.hint { (lang.t(T::ShownOnce)) }
                            }
                            None => span.muted { (lang.t(T::SipPasswordYours)) },
                        }
                    }
                }
            }
        }
        div.table-wrap {
            table #users {
                caption { (lang.t(T::UsersTitle)) }
                thead { tr {
                    th scope="col" { (lang.t(T::Name)) }
                    th scope="col" { (lang.t(T::Email)) }
                    th scope="col" { (lang.t(T::Role)) }
                    th scope="col" { (lang.t(T::SipUsername)) }
                    th scope="col" { (lang.t(T::Presence)) }
                } }
                tbody {
                    @for user in &users {
                        @let devices = state.live().devices(user.id).len();
                        @let presence = match (user.online_switch, devices) {
                            (true, 0) => T::PresenceNoDevice,
                            (true, _) => T::PresenceOnline,
                            (false, _) => T::PresenceOffline,
                        };
                        tr data-user-id=(user.id) {
                            th scope="row" { (user.name) }
                            td { (user.email) }
                            td {
                                form.inline method="post" action=(format!("/users/{}/role", user.id)) {
                                    (csrf_field(&signed.csrf))
                                    label.visually-hidden for=(format!("role-{}", user.id)) { (lang.t(T::Role)) " " (user.name) }
                                    select id=(format!("role-{}", user.id)) name="role" {
                                        option value="admin" selected[user.role == Role::Admin] { (lang.t(T::RoleAdmin)) }
                                        option value="agent" selected[user.role == Role::Agent] { (lang.t(T::RoleAgent)) }
                                    }
                                    " " button type="submit" { (lang.t(T::Change)) }
                                }
                            }
                            td {
                                code { (user.sip_username) } "@" (domain)
                            }
                            td.presence data-online=(if presence == T::PresenceOnline { "true" } else { "false" }) {
                                span.dot.on[presence == T::PresenceOnline] aria-hidden="true" {}
                                " " (lang.t(presence))
                                @if devices > 0 { " · " (devices) " " (lang.t(T::Devices)) }
                            }
                        }
                    }
                }
            }
        }
        form.card #add-user method="post" action="/users" novalidate {
            (csrf_field(&signed.csrf))
            h2 { (lang.t(T::AddUser)) }
            @if errors.any().is_some() {
                p.flash.bad role="alert" { (lang.t(T::NotSaved)) }
            }
            (text_field("name", T::Name, "text", true, None))
            (text_field("email", T::Email, "email", true, None))
            fieldset.field {
                legend { (lang.t(T::Role)) }
                @for (value, label) in [("agent", T::RoleAgent), ("admin", T::RoleAdmin)] {
                    div.choice {
                        input type="radio" name="role" id=(format!("new-role-{value}")) value=(value) checked[role == value];
                        label for=(format!("new-role-{value}")) { (lang.t(label)) }
                    }
                }
                (field_error(errors, "role", lang))
            }
            (text_field("password", T::Password, "password", true, Some(T::PasswordHint)))
            (text_field("sip_username", T::SipUsername, "text", false, Some(T::SipUsernameHint)))
            (text_field("sip_password", T::SipPassword, "password", false, Some(T::SipPasswordHint)))
            button.primary type="submit" { (lang.t(T::AddUser)) }
        }
    };
    let title = lang.t(T::UsersTitle).to_owned();
    page(state, Shell { signed, tab: Some(Tab::Users), title }, status, body).await
}

/// `GET /users`.
pub(crate) async fn list(
    State(state): State<WebState>,
    signed: Signed,
) -> Result<Response, WebError> {
    signed.require_admin()?;
    render(&state, &signed, &FormData::default(), &Errors::none(), None, StatusCode::OK).await
}

fn check_password(field: &str, password: &str) -> Result<(), FieldError> {
    let chars = password.chars().count();
    if (limits::PASSWORD_MIN_CHARS..=limits::PASSWORD_MAX_CHARS).contains(&chars) {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            format!(
                "must be {} to {} characters long",
                limits::PASSWORD_MIN_CHARS,
                limits::PASSWORD_MAX_CHARS
            ),
        ))
    }
}

/// A random string for generated SIP credentials: `bytes` random bytes, base64url.
fn random_text(bytes: usize) -> String {
    use base64::Engine;
    let mut buf = vec![0u8; bytes];
    rand::fill(buf.as_mut_slice());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// `POST /users`.
pub(crate) async fn create(
    State(state): State<WebState>,
    posted: Posted,
) -> Result<Response, WebError> {
    let Posted { signed, form } = posted;
    signed.require_admin()?;
    let refuse = |error: FieldError| async {
        render(&state, &signed, &form, &Errors::of(error), None, StatusCode::UNPROCESSABLE_ENTITY)
            .await
    };
    let name = form.get("name").unwrap_or("").trim().to_owned();
    if let Err(e) = check_name("name", &name) {
        return refuse(e).await;
    }
    let email = match Email::parse("email", form.get("email").unwrap_or("")) {
        Ok(email) => email,
        Err(e) => return refuse(e).await,
    };
    let Some(role) = form.get("role").and_then(Role::from_name) else {
        return refuse(FieldError::new("role", "must be admin or agent")).await;
    };
    let password = form.get("password").unwrap_or("").to_owned();
    if let Err(e) = check_password("password", &password) {
        return refuse(e).await;
    }
    let sip_username = match form.value("sip_username") {
        Some(raw) => match SipUsername::parse("sip_username", raw) {
            Ok(name) => name,
            Err(e) => return refuse(e).await,
        },
        None => {
            let local: String = email
                .as_str()
                .split('@')
                .next()
                .unwrap_or("user")
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                .take(40)
                .collect();
            let local = if local.is_empty() { "user".to_owned() } else { local };
            let mut bytes = [0u8; 4];
            rand::fill(&mut bytes);
            let suffix = hex::encode(bytes);
            SipUsername::from_stored(format!("{local}-{suffix}"))
        }
    };
    let (sip_password, generated) = match form.get("sip_password").filter(|p| !p.is_empty()) {
        Some(password) => {
            if let Err(e) = check_password("sip_password", password) {
                return refuse(e).await;
            }
            (password.to_owned(), false)
        }
        None => (random_text(18), true),
    };
    let (md5, sha) =
        centralita_api::sip_ha1(sip_username.as_str(), &state.config().sip_realm, &sip_password);
    let password_hash =
        tokio::task::spawn_blocking(move || centralita_api::hash_password(&password))
            .await
            .map_err(|e| WebError::Internal(e.to_string()))?
            .map_err(WebError::Internal)?;
    let new = NewUser {
        name: name.clone(),
        email,
        role,
        password_hash,
        sip_username: sip_username.clone(),
        sip_ha1_md5: md5,
        sip_ha1_sha256: sha,
    };
    match state.store().create_user(signed.account(), &new).await {
        Ok(user) => {
            state.live().user_changed(signed.account(), user.id);
            let created = Created {
                name,
                sip_username: sip_username.to_string(),
                sip_password: generated.then_some(sip_password),
            };
            render(
                &state,
                &signed,
                &FormData::default(),
                &Errors::none(),
                Some(&created),
                StatusCode::CREATED,
            )
            .await
        }
        Err(StoreError::Conflict { field, message }) => {
            refuse(FieldError::new(field, message)).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /users/{id}/role`.
pub(crate) async fn set_role(
    State(state): State<WebState>,
    Path(raw): Path<String>,
    posted: Posted,
) -> Result<Response, WebError> {
    let signed = &posted.signed;
    let id: UserId = parse_id(&raw)?;
    state.store().get_user(signed.account(), id).await?;
    signed.require_admin()?;
    let role = posted.form.get("role").and_then(Role::from_name).ok_or(WebError::BadRequest)?;
    let update = UserUpdate { role: Some(role), ..UserUpdate::default() };
    match state.store().update_user(signed.account(), id, &update).await {
        Ok(user) => {
            state.live().user_changed(signed.account(), user.id);
            let text = format!("{}: {}", signed.lang.t(T::Saved), user.name);
            Ok(redirect_with_flash(&state, "/users", true, &text))
        }
        Err(StoreError::InUse(message)) => {
            Ok(redirect_with_flash(&state, "/users", false, &message))
        }
        Err(other) => Err(other.into()),
    }
}
