//! `/v1/numbers`: the account's phone numbers and their settings documents.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use centralita_domain::{Document, E164, FieldError, NumberId, NumberSettings, check_name};
use centralita_store::Viewer;
use serde::Deserialize;

use crate::body::{JsonBody, PathId};
use crate::views::NumberView;
use crate::{ApiError, AppState, Member};

/// `POST /v1/numbers` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateNumber {
    /// The number in E.164, e.g. `+34910000001`.
    e164: E164,
    /// What admins call it; defaults to the number itself.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    name: Option<String>,
}

impl Document for CreateNumber {
    type Raw = Self;

    fn from_raw(raw: Self) -> Result<Self, FieldError> {
        if let Some(name) = &raw.name {
            check_name("name", name)?;
        }
        Ok(raw)
    }
}

/// Adds a number to the account, assigned to all its users (409 if any account has it).
#[utoipa::path(post, path = "/v1/numbers", tag = "numbers", request_body = CreateNumber,
    responses((status = 201, body = NumberView), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn create_number(
    State(state): State<AppState>,
    member: Member,
    body: JsonBody,
) -> Result<(StatusCode, Json<NumberView>), ApiError> {
    member.require_admin()?;
    let body: CreateNumber = body.parse()?;
    let name = body.name.map_or_else(|| body.e164.to_string(), |n| n.trim().to_owned());
    let number = state.store().create_number(member.account, &body.e164, &name).await?;
    Ok((StatusCode::CREATED, Json(number.into())))
}

/// The numbers the caller may see: all for an admin, the assigned ones for an agent.
#[utoipa::path(get, path = "/v1/numbers", tag = "numbers",
    responses((status = 200, body = [NumberView])))]
pub(crate) async fn list_numbers(
    State(state): State<AppState>,
    member: Member,
) -> Result<Json<Vec<NumberView>>, ApiError> {
    let numbers = state.store().list_numbers(member.account, member.viewer()).await?;
    Ok(Json(numbers.into_iter().map(NumberView::from).collect()))
}

/// One number (agents: only a number assigned to them).
#[utoipa::path(get, path = "/v1/numbers/{id}", tag = "numbers",
    params(("id" = String, Path, description = "Number id")),
    responses((status = 200, body = NumberView), (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn get_number(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<NumberId>,
) -> Result<Json<NumberView>, ApiError> {
    Ok(Json(state.store().get_number(member.account, id, member.viewer()).await?.into()))
}

/// `PATCH /v1/numbers/{id}` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateNumber {
    /// New name.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    name: String,
}

impl Document for UpdateNumber {
    type Raw = Self;

    fn from_raw(raw: Self) -> Result<Self, FieldError> {
        check_name("name", &raw.name)?;
        Ok(raw)
    }
}

/// Renames a number.
#[utoipa::path(patch, path = "/v1/numbers/{id}", tag = "numbers", request_body = UpdateNumber,
    params(("id" = String, Path, description = "Number id")),
    responses((status = 200, body = NumberView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn update_number(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<NumberId>,
    body: JsonBody,
) -> Result<Json<NumberView>, ApiError> {
    state.store().get_number(member.account, id, Viewer::Admin).await?;
    member.require_admin()?;
    let body: UpdateNumber = body.parse()?;
    Ok(Json(state.store().rename_number(member.account, id, body.name.trim()).await?.into()))
}

/// Releases a number; its call history stays.
#[utoipa::path(delete, path = "/v1/numbers/{id}", tag = "numbers",
    params(("id" = String, Path, description = "Number id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn delete_number(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<NumberId>,
) -> Result<StatusCode, ApiError> {
    state.store().get_number(member.account, id, Viewer::Admin).await?;
    member.require_admin()?;
    state.store().delete_number(member.account, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The number's whole settings document.
#[utoipa::path(get, path = "/v1/numbers/{id}/settings", tag = "numbers",
    params(("id" = String, Path, description = "Number id")),
    responses((status = 200, body = NumberSettings), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn get_settings(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<NumberId>,
) -> Result<Json<NumberSettings>, ApiError> {
    let settings = state.store().get_settings(member.account, id).await?;
    member.require_admin()?;
    Ok(Json(settings))
}

/// Replaces the number's whole settings document. A refused document (422, naming the field)
/// changes nothing.
#[utoipa::path(put, path = "/v1/numbers/{id}/settings", tag = "numbers", request_body = NumberSettings,
    params(("id" = String, Path, description = "Number id")),
    responses((status = 200, body = NumberSettings), (status = 400, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn put_settings(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<NumberId>,
    body: JsonBody,
) -> Result<Json<NumberSettings>, ApiError> {
    state.store().get_number(member.account, id, Viewer::Admin).await?;
    member.require_admin()?;
    let settings: NumberSettings = body.parse()?;
    Ok(Json(state.store().put_settings(member.account, id, &settings).await?))
}
