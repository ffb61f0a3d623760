//! `/v1/accounts`: the operator creates companies, each with its first admin.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use centralita_domain::{AccountId, Document, FieldError, Role};
use serde::Deserialize;

use crate::body::{JsonBody, PathId};
use crate::routes::users::{NewUserInput, prepare_user};
use crate::views::{AccountCreated, AccountView, UserCreated, UserView};
use crate::{ApiError, AppState, Member, Operator, secrets};

/// `POST /v1/accounts` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateAccount {
    /// The company's name.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    name: String,
    /// The first admin. `sip_username` and `sip_password` may be left out: a unique username
    /// and a strong password are then generated (the password is shown once).
    admin: NewAdmin,
}

/// The first admin of a new account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAdmin {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    name: String,
    #[schema(format = Email, max_length = 254)]
    email: String,
    #[schema(min_length = 8, max_length = 256)]
    password: String,
    #[serde(default)]
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,64}$")]
    sip_username: Option<String>,
    #[serde(default)]
    #[schema(min_length = 8, max_length = 256)]
    sip_password: Option<String>,
}

impl Document for CreateAccount {
    type Raw = Self;

    fn from_raw(raw: Self) -> Result<Self, FieldError> {
        centralita_domain::check_name("name", &raw.name)?;
        Ok(raw)
    }
}

/// Creates an account and its first admin; returns the admin's first API token.
#[utoipa::path(post, path = "/v1/accounts", tag = "accounts",
    request_body = CreateAccount,
    responses(
        (status = 201, body = AccountCreated),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody),
    ))]
pub(crate) async fn create_account(
    State(state): State<AppState>,
    _operator: Operator,
    body: JsonBody,
) -> Result<(StatusCode, Json<AccountCreated>), ApiError> {
    let body: CreateAccount = body.parse()?;
    let input = NewUserInput {
        name: body.admin.name,
        email: body.admin.email,
        role: Role::Admin,
        password: body.admin.password,
        sip_username: body.admin.sip_username,
        sip_password: body.admin.sip_password,
    };
    let prepared = prepare_user(&state, input, "admin.").await?;
    let token = secrets::new_token();
    let (account, user, _) = state
        .store()
        .create_account(&body.name, &prepared.record, &secrets::token_hash(&token))
        .await?;
    tracing::info!(account = %account.id, "account created");
    Ok((
        StatusCode::CREATED,
        Json(AccountCreated {
            id: account.id,
            name: account.name,
            created_at: account.created_at,
            admin_user_id: user.id,
            token,
            admin: UserCreated {
                user: UserView::build(&state, user),
                sip_password: prepared.generated_sip_password,
            },
        }),
    ))
}

/// Lists every account.
#[utoipa::path(get, path = "/v1/accounts", tag = "accounts",
    responses((status = 200, body = [AccountView])))]
pub(crate) async fn list_accounts(
    State(state): State<AppState>,
    _operator: Operator,
) -> Result<Json<Vec<AccountView>>, ApiError> {
    let accounts = state.store().list_accounts().await?;
    Ok(Json(accounts.into_iter().map(AccountView::from).collect()))
}

/// One account.
#[utoipa::path(get, path = "/v1/accounts/{id}", tag = "accounts",
    params(("id" = String, Path, description = "Account id")),
    responses((status = 200, body = AccountView), (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn get_account(
    State(state): State<AppState>,
    _operator: Operator,
    PathId(id): PathId<AccountId>,
) -> Result<Json<AccountView>, ApiError> {
    Ok(Json(state.store().get_account(id).await?.into()))
}

/// The caller's own account.
#[utoipa::path(get, path = "/v1/account", tag = "accounts",
    responses((status = 200, body = AccountView)))]
pub(crate) async fn my_account(
    State(state): State<AppState>,
    member: Member,
) -> Result<Json<AccountView>, ApiError> {
    Ok(Json(state.store().get_account(member.account).await?.into()))
}
