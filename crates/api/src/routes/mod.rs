//! The REST API's routes, one module per resource. Every handler is annotated for the OpenAPI
//! document, and registered through `utoipa_axum::routes!` so the document and the router are
//! built from the same list.

mod accounts;
mod audio;
mod calls;
mod events;
mod ivrs;
mod numbers;
mod users;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

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

/// Every route of `/v1`, with its OpenAPI description.
pub(crate) fn router(_state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(accounts::create_account, accounts::list_accounts))
        .routes(routes!(accounts::get_account))
        .routes(routes!(accounts::my_account))
        .routes(routes!(users::create_user, users::list_users))
        .routes(routes!(users::get_user, users::update_user, users::delete_user))
        .routes(routes!(users::set_presence))
        .routes(routes!(users::create_token, users::list_tokens))
        .routes(routes!(users::delete_token))
        .routes(routes!(users::sign_in))
        .routes(routes!(numbers::create_number, numbers::list_numbers))
        .routes(routes!(numbers::get_number, numbers::update_number, numbers::delete_number))
        .routes(routes!(numbers::get_settings, numbers::put_settings))
        .routes(routes!(audio::upload_audio, audio::list_audio))
        .routes(routes!(audio::get_audio, audio::delete_audio))
        .routes(routes!(audio::get_audio_info))
        .routes(routes!(ivrs::create_ivr, ivrs::list_ivrs))
        .routes(routes!(ivrs::get_ivr, ivrs::put_ivr, ivrs::delete_ivr))
        .routes(routes!(calls::list_calls))
        .routes(routes!(calls::get_call))
        .routes(routes!(calls::voicedrop))
        .routes(routes!(calls::get_recording))
        .routes(routes!(calls::list_voicemails))
        .routes(routes!(calls::get_voicemail, calls::update_voicemail))
        .routes(routes!(calls::get_voicemail_audio))
        .routes(routes!(events::stream))
}
