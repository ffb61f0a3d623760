//! `/v1/accounts`: the operator creates companies, each with its first admin.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use centralita_domain::{AccountId, Country, Document, FieldError, NumberId, Role, limits};
use centralita_store::AccountUpdate;
use serde::Deserialize;

use crate::body::{JsonBody, PathId, nullable};
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
    /// Where the company is (ISO 3166-1 alpha-2, default `ES`): how its people dial national
    /// numbers, and the only country its external calls may reach until an admin says more.
    #[serde(default)]
    #[schema(example = "ES", pattern = "^[A-Za-z]{2}$")]
    country: Option<String>,
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
    let country = Country::parse(body.country.as_deref().unwrap_or(Country::DEFAULT))
        .map_err(|e| FieldError::new("country", e.to_string()))?;
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
        .create_account(&body.name, country, &prepared.record, &secrets::token_hash(&token))
        .await?;
    tracing::info!(account = %account.id, "account created");
    Ok((
        StatusCode::CREATED,
        Json(AccountCreated {
            account: AccountView::from(account),
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

/// `PATCH /v1/account` body: the fields to change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateAccount {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    name: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    #[serde(default)]
    #[schema(example = "ES", pattern = "^[A-Za-z]{2}$")]
    country: Option<String>,
    /// Country prefixes (digits, no `+`) that forwarded, transferred and outbound calls may
    /// reach; `null` goes back to the account's own country.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<String>>, nullable, example = json!(["34", "351"]))]
    allowed_prefixes: Option<Option<Vec<String>>>,
    /// Most external legs at once; `null` goes back to the server's limit.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>, nullable, minimum = 1, maximum = 10000)]
    max_outbound_legs: Option<Option<u32>>,
    /// The caller ID of outbound calls for users who chose none; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, format = Uuid)]
    default_number_id: Option<Option<NumberId>>,
}

impl Document for UpdateAccount {
    type Raw = Self;

    fn from_raw(raw: Self) -> Result<Self, FieldError> {
        if let Some(name) = &raw.name {
            centralita_domain::check_name("name", name)?;
        }
        if let Some(Some(prefixes)) = &raw.allowed_prefixes {
            centralita_domain::check_prefixes("allowed_prefixes", prefixes)?;
        }
        if let Some(Some(max)) = raw.max_outbound_legs
            && !limits::MAX_OUTBOUND_LEGS.contains(&max)
        {
            return Err(FieldError::new("max_outbound_legs", "must be between 1 and 10000"));
        }
        Ok(raw)
    }
}

/// Changes the caller's account: its name, country, allowed destinations, limit on external
/// legs and default caller ID. Admins only; calls placed from now on follow it.
#[utoipa::path(patch, path = "/v1/account", tag = "accounts", request_body = UpdateAccount,
    responses((status = 200, body = AccountView), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn update_my_account(
    State(state): State<AppState>,
    member: Member,
    body: JsonBody,
) -> Result<Json<AccountView>, ApiError> {
    member.require_admin()?;
    let body: UpdateAccount = body.parse()?;
    let country = body
        .country
        .as_deref()
        .map(Country::parse)
        .transpose()
        .map_err(|e| FieldError::new("country", e.to_string()))?;
    let update = AccountUpdate {
        name: body.name.map(|n| n.trim().to_owned()),
        country,
        allowed_prefixes: body.allowed_prefixes,
        max_outbound_legs: body.max_outbound_legs,
        default_number: body.default_number_id,
    };
    let account = state.store().update_account(member.account, &update).await?;
    state.live().account_changed(member.account);
    Ok(Json(account.into()))
}
