//! `/v1/ivrs`: IVR menus, created once and assigned to any number.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use centralita_domain::{IvrDocument, IvrId};

use crate::body::{JsonBody, PathId};
use crate::views::IvrView;
use crate::{ApiError, AppState, Member};

/// Creates an IVR. Sub-menu cycles, unknown keys and another account's ids are refused (422).
#[utoipa::path(post, path = "/v1/ivrs", tag = "ivrs", request_body = IvrDocument,
    responses((status = 201, body = IvrView), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn create_ivr(
    State(state): State<AppState>,
    member: Member,
    body: JsonBody,
) -> Result<(StatusCode, Json<IvrView>), ApiError> {
    member.require_admin()?;
    let document: IvrDocument = body.parse()?;
    let ivr = state.store().create_ivr(member.account, &document).await?;
    Ok((StatusCode::CREATED, Json(ivr.into())))
}

/// The account's IVRs.
#[utoipa::path(get, path = "/v1/ivrs", tag = "ivrs",
    responses((status = 200, body = [IvrView]), (status = 403, body = crate::error::ErrorBody)))]
pub(crate) async fn list_ivrs(
    State(state): State<AppState>,
    member: Member,
) -> Result<Json<Vec<IvrView>>, ApiError> {
    member.require_admin()?;
    let ivrs = state.store().list_ivrs(member.account).await?;
    Ok(Json(ivrs.into_iter().map(IvrView::from).collect()))
}

/// One IVR, with the defaults filled in.
#[utoipa::path(get, path = "/v1/ivrs/{id}", tag = "ivrs",
    params(("id" = String, Path, description = "IVR id")),
    responses((status = 200, body = IvrView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub(crate) async fn get_ivr(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<IvrId>,
) -> Result<Json<IvrView>, ApiError> {
    let ivr = state.store().get_ivr(member.account, id).await?;
    member.require_admin()?;
    Ok(Json(ivr.into()))
}

/// Replaces an IVR's configuration.
#[utoipa::path(put, path = "/v1/ivrs/{id}", tag = "ivrs", request_body = IvrDocument,
    params(("id" = String, Path, description = "IVR id")),
    responses((status = 200, body = IvrView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn put_ivr(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<IvrId>,
    body: JsonBody,
) -> Result<Json<IvrView>, ApiError> {
    state.store().get_ivr(member.account, id).await?;
    member.require_admin()?;
    let document: IvrDocument = body.parse()?;
    Ok(Json(state.store().put_ivr(member.account, id, &document).await?.into()))
}

/// Deletes an IVR that no number and no other IVR uses (409 otherwise).
#[utoipa::path(delete, path = "/v1/ivrs/{id}", tag = "ivrs",
    params(("id" = String, Path, description = "IVR id")),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub(crate) async fn delete_ivr(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<IvrId>,
) -> Result<StatusCode, ApiError> {
    state.store().get_ivr(member.account, id).await?;
    member.require_admin()?;
    state.store().delete_ivr(member.account, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
