//! The REST API's routes, one module per resource. Every handler is annotated for the OpenAPI
//! document, and registered through `utoipa_axum::routes!` so the document and the router are
//! built from the same list.

mod accounts;
mod audio;
mod calls;
mod events;
mod ivrs;
mod numbers;
mod simulate;
mod usage;
mod users;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub use calls::{CallPlaced, click_to_call};
pub use simulate::{build_scenario, outbound_policy};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "centralita",
        description = "REST API of centralita, a cloud phone system for sales teams. \
            Authenticate with `Authorization: Bearer TOKEN`. Errors are \
            `{\"error\": {\"code\", \"message\", \"field\"}}`; another account's ids are always 404.",
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(crate::error::ErrorBody)),
    tags(
        (name = "accounts", description = "Accounts (operator)"),
        (name = "users", description = "Users, tokens and presence"),
        (name = "numbers", description = "Numbers and their settings"),
        (name = "audio", description = "Audio messages"),
        (name = "ivrs", description = "IVR menus"),
        (name = "calls", description = "Call history, recordings and voicemails"),
        (name = "events", description = "Live events"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Answers every operation can give without saying so in its own annotation: 401 for a
/// missing or bad token, and 400/413/415 for a body that is not JSON, too large, or of another
/// type. Documented here once so the document stays true without repeating it per handler.
pub(crate) struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, ResponseBuilder, content::ContentBuilder};
        let error = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                item.get.as_mut(),
                item.put.as_mut(),
                item.post.as_mut(),
                item.delete.as_mut(),
                item.patch.as_mut(),
            ];
            for operation in operations.into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                if path != "/v1/tokens" {
                    responses.entry("401".into()).or_insert_with(|| error("No valid token"));
                    responses
                        .entry("403".into())
                        .or_insert_with(|| error("This token may not do this"));
                }
                if operation.request_body.is_some() {
                    responses.entry("400".into()).or_insert_with(|| error("Malformed body"));
                    responses.entry("413".into()).or_insert_with(|| error("Body too large"));
                    responses
                        .entry("422".into())
                        .or_insert_with(|| error("A field is missing, unknown, or invalid"));
                    responses
                        .entry("415".into())
                        .or_insert_with(|| error("Body of an unsupported type"));
                }
            }
        }
    }
}

/// The router and the finished OpenAPI document (modifiers that need every path run here,
/// after the routes are collected).
pub(crate) fn router_and_document(
    state: &AppState,
) -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = router(state).split_for_parts();
    CommonResponses.modify(&mut openapi);
    (router, openapi)
}

/// Every route of `/v1`, with its OpenAPI description.
fn router(_state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(accounts::create_account, accounts::list_accounts))
        .routes(routes!(accounts::get_account))
        .routes(routes!(accounts::my_account, accounts::update_my_account))
        .routes(routes!(users::create_user, users::list_users))
        .routes(routes!(users::get_user, users::update_user, users::delete_user))
        .routes(routes!(users::set_presence))
        .routes(routes!(users::create_token, users::list_tokens))
        .routes(routes!(users::delete_token))
        .routes(routes!(users::sign_in))
        .routes(routes!(numbers::create_number, numbers::list_numbers))
        .routes(routes!(numbers::get_number, numbers::update_number, numbers::delete_number))
        .routes(routes!(numbers::get_settings, numbers::put_settings))
        .routes(routes!(simulate::simulate_number))
        .routes(routes!(audio::upload_audio, audio::list_audio))
        .routes(routes!(audio::get_audio, audio::delete_audio))
        .routes(routes!(audio::get_audio_info))
        .routes(routes!(ivrs::create_ivr, ivrs::list_ivrs))
        .routes(routes!(ivrs::get_ivr, ivrs::put_ivr, ivrs::delete_ivr))
        .routes(routes!(calls::list_calls, calls::place_call))
        .routes(routes!(calls::get_call))
        .routes(routes!(calls::voicedrop))
        .routes(routes!(calls::get_recording))
        .routes(routes!(usage::usage))
        .routes(routes!(calls::list_voicemails))
        .routes(routes!(calls::get_voicemail, calls::update_voicemail))
        .routes(routes!(calls::get_voicemail_audio))
        .routes(routes!(events::stream))
}
