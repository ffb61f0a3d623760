//! `/v1/users`: people of the account, their API tokens and their presence switch.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use centralita_domain::{
    Document, Email, FieldError, NumberId, Role, SipUsername, TokenId, UserId, check_name, limits,
};
use centralita_store::{NewUser, UserUpdate};
use serde::Deserialize;

use crate::body::{JsonBody, PathId, PathIds};
use crate::views::{TokenCreated, TokenView, UserCreated, UserView};
use crate::{ApiError, AppState, Member, secrets};

/// `POST /v1/users` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateUser {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    name: String,
    #[schema(format = Email, max_length = 254)]
    email: String,
    role: Role,
    /// Password for the web UI and the API (at least 8 characters).
    #[schema(min_length = 8, max_length = 256)]
    password: String,
    /// Username for the user's SIP phones; generated from the email when left out.
    #[serde(default)]
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,64}$")]
    sip_username: Option<String>,
    /// Password for the user's SIP phones; generated (and shown once) when left out.
    #[serde(default)]
    #[schema(min_length = 8, max_length = 256)]
    sip_password: Option<String>,
}

impl Document for CreateUser {
    type Raw = Self;

    fn from_raw(raw: Self) -> Result<Self, FieldError> {
        Ok(raw)
    }
}

/// What a new user is made of, before checks.
pub(crate) struct NewUserInput {
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) role: Role,
    pub(crate) password: String,
    pub(crate) sip_username: Option<String>,
    pub(crate) sip_password: Option<String>,
}

/// A user ready for the store, and the SIP password if we made it up.
pub(crate) struct PreparedUser {
    pub(crate) record: NewUser,
    pub(crate) generated_sip_password: Option<String>,
}

fn check_password(field: &str, password: &str) -> Result<(), FieldError> {
    let chars = password.chars().count();
    if !(limits::PASSWORD_MIN_CHARS..=limits::PASSWORD_MAX_CHARS).contains(&chars) {
        return Err(FieldError::new(
            field,
            format!(
                "must be {} to {} characters long",
                limits::PASSWORD_MIN_CHARS,
                limits::PASSWORD_MAX_CHARS
            ),
        ));
    }
    Ok(())
}

/// A SIP username derived from the email's local part, with a random suffix so it is unique.
fn generated_sip_username(email: &Email) -> SipUsername {
    let local = email.as_str().split('@').next().unwrap_or("user");
    let mut base: String = local
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(40)
        .collect();
    if base.is_empty() {
        base.push_str("user");
    }
    let name = format!("{base}-{}", secrets::random_suffix());
    // Only allowed characters went in, and at most 40 + 1 + 8 of them.
    SipUsername::parse("sip_username", &name).unwrap_or_else(|_| SipUsername::from_stored(name))
}

/// Checks a new user's fields (each refusal names its field, prefixed by `prefix`), fills in
/// SIP credentials left out, and hashes every secret.
pub(crate) async fn prepare_user(
    state: &AppState,
    input: NewUserInput,
    prefix: &str,
) -> Result<PreparedUser, ApiError> {
    let field = |name: &str| format!("{prefix}{name}");
    check_name(&field("name"), &input.name)?;
    let email = Email::parse(&field("email"), &input.email)?;
    check_password(&field("password"), &input.password)?;
    let sip_username = match &input.sip_username {
        Some(name) => SipUsername::parse(&field("sip_username"), name)?,
        None => generated_sip_username(&email),
    };
    let (sip_password, generated) = match input.sip_password {
        Some(password) => {
            check_password(&field("sip_password"), &password)?;
            (password, None)
        }
        None => {
            let password = secrets::new_sip_password();
            (password.clone(), Some(password))
        }
    };
    let (ha1_md5, ha1_sha256) =
        secrets::sip_ha1(sip_username.as_str(), &state.config().sip_realm, &sip_password);
    let password_hash = hash_blocking(input.password).await?;
    Ok(PreparedUser {
        record: NewUser {
            name: input.name.trim().to_owned(),
            email,
            role: input.role,
            password_hash,
            sip_username,
            sip_ha1_md5: ha1_md5,
            sip_ha1_sha256: ha1_sha256,
        },
        generated_sip_password: generated,
    })
}

/// argon2 takes tens of milliseconds of CPU: keep it off the async workers.
async fn hash_blocking(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || secrets::hash_password(&password))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(ApiError::Internal)
}

/// Adds a user to the account, assigned to every number of the account.
#[utoipa::path(post, path = "/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = UserCreated), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn create_user(
    State(state): State<AppState>,
    member: Member,
    body: JsonBody,
) -> Result<(StatusCode, Json<UserCreated>), ApiError> {
    member.require_admin()?;
    let body: CreateUser = body.parse()?;
    let input = NewUserInput {
        name: body.name,
        email: body.email,
        role: body.role,
        password: body.password,
        sip_username: body.sip_username,
        sip_password: body.sip_password,
    };
    let prepared = prepare_user(&state, input, "").await?;
    let user = state.store().create_user(member.account, &prepared.record).await?;
    state.live().user_changed(member.account, user.id);
    Ok((
        StatusCode::CREATED,
        Json(UserCreated {
            user: UserView::build(&state, user),
            sip_password: prepared.generated_sip_password,
        }),
    ))
}

/// Every user of the account.
#[utoipa::path(get, path = "/v1/users", tag = "users",
    responses((status = 200, body = [UserView]), (status = 403, body = crate::error::ErrorBody)))]
pub(crate) async fn list_users(
    State(state): State<AppState>,
    member: Member,
) -> Result<Json<Vec<UserView>>, ApiError> {
    member.require_admin()?;
    let users = state.store().list_users(member.account).await?;
    Ok(Json(users.into_iter().map(|u| UserView::build(&state, u)).collect()))
}

/// One user, with `online`, `available` and `devices`.
#[utoipa::path(get, path = "/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn get_user(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<UserId>,
) -> Result<Json<UserView>, ApiError> {
    let user = state.store().get_user(member.account, id).await?;
    member.require_admin_or_self(id)?;
    Ok(Json(UserView::build(&state, user)))
}

/// `PATCH /v1/users/{id}` body: the fields to change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateUser {
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    name: Option<String>,
    #[serde(default)]
    #[schema(format = Email, max_length = 254)]
    email: Option<String>,
    /// Only an admin can change roles.
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    #[schema(min_length = 8, max_length = 256)]
    password: Option<String>,
    /// Changing it needs `sip_password` too (the stored digests include the username).
    #[serde(default)]
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,64}$")]
    sip_username: Option<String>,
    #[serde(default)]
    #[schema(min_length = 8, max_length = 256)]
    sip_password: Option<String>,
    /// The caller ID of the user's outbound calls: one of the numbers assigned to them;
    /// `null` goes back to the account's default.
    #[serde(default, deserialize_with = "crate::body::nullable")]
    #[schema(value_type = Option<String>, nullable, format = Uuid)]
    default_number_id: Option<Option<NumberId>>,
}

impl Document for UpdateUser {
    type Raw = Self;

    fn from_raw(raw: Self) -> Result<Self, FieldError> {
        if let Some(name) = &raw.name {
            check_name("name", name)?;
        }
        if let Some(password) = &raw.password {
            check_password("password", password)?;
        }
        if let Some(password) = &raw.sip_password {
            check_password("sip_password", password)?;
        }
        if raw.sip_username.is_some() && raw.sip_password.is_none() {
            return Err(FieldError::new(
                "sip_password",
                "is required when sip_username changes (the stored digests include the username)",
            ));
        }
        Ok(raw)
    }
}

/// Changes a user: admins change anyone; users change their own name, email and passwords.
#[utoipa::path(patch, path = "/v1/users/{id}", tag = "users", request_body = UpdateUser,
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn update_user(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<UserId>,
    body: JsonBody,
) -> Result<Json<UserView>, ApiError> {
    let current = state.store().get_user(member.account, id).await?;
    member.require_admin_or_self(id)?;
    let body: UpdateUser = body.parse()?;
    if body.role.is_some_and(|role| role != current.role) {
        member.require_admin()?;
    }
    let email = body.email.as_deref().map(|e| Email::parse("email", e)).transpose()?;
    let sip = match &body.sip_password {
        Some(password) => {
            let username = match &body.sip_username {
                Some(name) => SipUsername::parse("sip_username", name)?,
                None => current.sip_username.clone(),
            };
            let (md5, sha) =
                secrets::sip_ha1(username.as_str(), &state.config().sip_realm, password);
            Some((username, md5, sha))
        }
        None => None,
    };
    let password_hash = match body.password {
        Some(password) => Some(hash_blocking(password).await?),
        None => None,
    };
    let update = UserUpdate {
        name: body.name.map(|n| n.trim().to_owned()),
        email,
        role: body.role,
        password_hash,
        sip,
        default_number: body.default_number_id,
    };
    let user = state.store().update_user(member.account, id, &update).await?;
    state.live().user_changed(member.account, id);
    Ok(Json(UserView::build(&state, user)))
}

/// Deletes a user (not the last admin, nor a user an IVR option names).
#[utoipa::path(delete, path = "/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub(crate) async fn delete_user(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<UserId>,
) -> Result<StatusCode, ApiError> {
    state.store().get_user(member.account, id).await?;
    member.require_admin()?;
    state.store().delete_user(member.account, id).await?;
    state.live().user_changed(member.account, id);
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /v1/users/{id}/presence` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Presence {
    /// The user's switch. They are online when it is on and a device is registered.
    online: bool,
}

impl Document for Presence {
    type Raw = Self;

    fn from_raw(raw: Self) -> Result<Self, FieldError> {
        Ok(raw)
    }
}

/// Switches a user online or offline.
#[utoipa::path(put, path = "/v1/users/{id}/presence", tag = "users", request_body = Presence,
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn set_presence(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<UserId>,
    body: JsonBody,
) -> Result<Json<UserView>, ApiError> {
    state.store().get_user(member.account, id).await?;
    member.require_admin_or_self(id)?;
    let body: Presence = body.parse()?;
    let user = state.store().set_online_switch(member.account, id, body.online).await?;
    state.live().user_changed(member.account, id);
    Ok(Json(UserView::build(&state, user)))
}

/// `POST /v1/users/{id}/tokens` body (optional).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateToken {
    /// What the token is for, e.g. "CRM integration".
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    label: Option<String>,
}

impl Document for CreateToken {
    type Raw = Self;

    fn from_raw(raw: Self) -> Result<Self, FieldError> {
        if let Some(label) = &raw.label {
            check_name("label", label)?;
        }
        Ok(raw)
    }
}

/// Creates an API token for a user; the token is shown only in this answer.
#[utoipa::path(post, path = "/v1/users/{id}/tokens", tag = "users", request_body(content = Option<CreateToken>),
    params(("id" = String, Path, description = "User id")),
    responses((status = 201, body = TokenCreated), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn create_token(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<UserId>,
    body: JsonBody,
) -> Result<(StatusCode, Json<TokenCreated>), ApiError> {
    state.store().get_user(member.account, id).await?;
    member.require_admin_or_self(id)?;
    // The body is optional: `curl -X POST` with nothing is the common case.
    let input: CreateToken = body.parse_or_default()?;
    let token = secrets::new_token();
    let stored = state
        .store()
        .create_token(member.account, id, &secrets::token_hash(&token), input.label.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(TokenCreated { view: stored.into(), token })))
}

/// A user's API tokens (never their secrets).
#[utoipa::path(get, path = "/v1/users/{id}/tokens", tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = [TokenView]), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<UserId>,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    state.store().get_user(member.account, id).await?;
    member.require_admin_or_self(id)?;
    let tokens = state.store().list_tokens(member.account, id).await?;
    Ok(Json(tokens.into_iter().map(TokenView::from).collect()))
}

/// Revokes an API token.
#[utoipa::path(delete, path = "/v1/users/{id}/tokens/{token_id}", tag = "users",
    params(("id" = String, Path, description = "User id"), ("token_id" = String, Path, description = "Token id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn delete_token(
    State(state): State<AppState>,
    member: Member,
    PathIds(id, token): PathIds<UserId, TokenId>,
) -> Result<StatusCode, ApiError> {
    state.store().get_user(member.account, id).await?;
    member.require_admin_or_self(id)?;
    state.store().delete_token(member.account, id, token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/tokens` body: sign in with email and password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignIn {
    #[schema(format = Email, max_length = 254)]
    email: String,
    password: String,
    /// Needed only when the same email and password belong to users of several accounts.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    account_id: Option<centralita_domain::AccountId>,
    /// What the token is for.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    label: Option<String>,
}

impl Document for SignIn {
    type Raw = Self;

    fn from_raw(raw: Self) -> Result<Self, FieldError> {
        if let Some(label) = &raw.label {
            check_name("label", label)?;
        }
        Ok(raw)
    }
}

/// A real argon2id hash to check against when the email is unknown, so that answering takes
/// as long as for a known email and does not reveal which emails exist.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    secrets::hash_password("no user has this password").unwrap_or_default()
});

/// Exchanges a user's email and password for a new API token (shown only in this answer).
#[utoipa::path(post, path = "/v1/tokens", tag = "users", request_body = SignIn, security(()),
    responses((status = 201, body = TokenCreated), (status = 401, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    body: JsonBody,
) -> Result<(StatusCode, Json<TokenCreated>), ApiError> {
    let body: SignIn = body.parse()?;
    let refused = ApiError::Unauthorized("wrong email or password");
    let Ok(email) = Email::parse("email", &body.email) else { return Err(refused) };
    let candidates = state.store().users_by_email(&email).await?;
    let password = body.password.clone();
    let hashes: Vec<String> = candidates.iter().map(|(_, hash)| hash.clone()).collect();
    let matches = tokio::task::spawn_blocking(move || {
        if hashes.is_empty() {
            secrets::verify_password(&password, &DUMMY_HASH);
        }
        hashes.iter().map(|hash| secrets::verify_password(&password, hash)).collect::<Vec<_>>()
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut users = candidates
        .into_iter()
        .zip(matches)
        .filter(|(_, ok)| *ok)
        .map(|((user, _), _)| user)
        .filter(|user| body.account_id.is_none_or(|account| account == user.account_id));
    let user = users.next().ok_or(refused)?;
    if users.next().is_some() {
        return Err(ApiError::invalid(
            "account_id",
            "this email signs in to several accounts; say which one",
        ));
    }
    let token = secrets::new_token();
    let label = body.label.as_deref().or(Some("signed in with email and password"));
    let stored = state
        .store()
        .create_token(user.account_id, user.id, &secrets::token_hash(&token), label)
        .await?;
    Ok((StatusCode::CREATED, Json(TokenCreated { view: stored.into(), token })))
}
