//! The HTTP edge of centralita: the REST API of interface.md under `/v1`, its OpenAPI document
//! (generated from the handlers, so it cannot drift), and the Server-Sent Events stream.
//!
//! Only this crate knows HTTP. It reads and writes through [`centralita_store::Store`], decodes
//! uploads with [`centralita_audio`], and learns what is live (devices, who is on a call) from a
//! [`LiveState`] that the call layer provides.

mod auth;
mod body;
mod error;
mod events;
mod routes;
mod secrets;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use centralita_domain::{AccountId, AudioId, CallId, E164, Millis, NumberId, UserId};
use centralita_store::Store;
use tokio::sync::{oneshot, watch};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use auth::{Member, Operator};
pub use error::ApiError;
pub use events::{Audience, EventHub, StreamEvent};
pub use routes::{CallPlaced, build_scenario, click_to_call, outbound_policy};
pub use secrets::{hash_password, new_token, sip_ha1, token_hash, verify_password};

/// Limits and names the API needs from the server's configuration.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Largest accepted upload (`[http] max_upload_bytes`); larger is 413.
    pub max_upload_bytes: usize,
    /// Largest accepted JSON body; larger is 413.
    pub max_json_bytes: usize,
    /// Longest accepted audio message; longer is 413.
    pub max_audio_duration_ms: u64,
    /// The SIP digest realm; HA1 values are computed with it.
    pub sip_realm: String,
    /// The host phones register to, shown to users with their SIP credentials.
    pub sip_domain: String,
    /// The routing engine's settings (`[routing]`, `[billing] allowed_prefixes`), for dry runs.
    pub routing: centralita_routing::EngineConfig,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            max_upload_bytes: 20 * 1024 * 1024,
            max_json_bytes: 1024 * 1024,
            max_audio_duration_ms: 10 * 60 * 1000,
            sip_realm: "centralita".into(),
            sip_domain: "127.0.0.1".into(),
            routing: centralita_routing::EngineConfig::default(),
        }
    }
}

/// A registered device of a user, as the registrar knows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Device {
    /// The Contact URI calls are sent to.
    pub contact: String,
    /// `udp` or `tcp`.
    pub transport: String,
    /// The address the registration came from.
    pub source: String,
    /// The phone's User-Agent, if it said.
    pub user_agent: Option<String>,
    /// When the registration expires unless refreshed.
    pub expires_at: Millis,
}

/// What only the running call layer knows.
pub trait LiveState: Send + Sync + 'static {
    /// The user's registered devices now.
    fn devices(&self, user: UserId) -> Vec<Device>;
    /// Whether the user is ringing or talking on any call now.
    fn is_busy(&self, user: UserId) -> bool;
    /// Plays `audio` into the lead's leg of the live outbound call `call`, releases the agent
    /// `by`, and hangs up when the message ends. The refusal says why in words.
    fn voicedrop(&self, call: CallId, by: UserId, audio: AudioId) -> Result<(), String>;
    /// A user of `account` was created, changed (presence switch, SIP credentials, role) or
    /// deleted: the call layer re-reads them.
    fn user_changed(&self, _account: AccountId, _user: UserId) {}
    /// The account's outbound policy changed: the call layer re-reads it.
    fn account_changed(&self, _account: AccountId) {}
    /// Click-to-call: ring the user's phones, then dial the lead when one answers. Answers
    /// with the new call's id, or the refusal in words.
    fn click_to_call(&self, request: ClickToCall) -> oneshot::Receiver<Result<CallId, String>>;
}

/// A click-to-call for the call layer, checked by the API (destination, caller ID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClickToCall {
    /// The user's account.
    pub account: AccountId,
    /// Who clicked: their phones ring first.
    pub user: UserId,
    /// The caller ID (one of the user's numbers).
    pub number: NumberId,
    /// The lead.
    pub to: E164,
}

/// The live state of a server that runs no call layer (the API alone, as in tests of the
/// control plane): no device is registered and nobody is on a call.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCallLayer;

impl LiveState for NoCallLayer {
    fn devices(&self, _user: UserId) -> Vec<Device> {
        Vec::new()
    }

    fn is_busy(&self, _user: UserId) -> bool {
        false
    }

    fn voicedrop(&self, _call: CallId, _by: UserId, _audio: AudioId) -> Result<(), String> {
        Err("the call is not in progress on this server".into())
    }

    fn click_to_call(&self, _request: ClickToCall) -> oneshot::Receiver<Result<CallId, String>> {
        let (tx, rx) = oneshot::channel();
        let _ = tx.send(Err("calls cannot be placed: the call layer is not running".into()));
        rx
    }
}

/// Everything a handler can reach; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    config: ApiConfig,
    events: EventHub,
    live: Arc<dyn LiveState>,
    operator_token_hash: String,
    shutdown: watch::Receiver<bool>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

impl AppState {
    /// Builds the state. `operator_token_hash` is [`token_hash`] of the operator token;
    /// `shutdown` turns true when the server starts shutting down (event streams then end).
    pub fn new(
        store: Store,
        config: ApiConfig,
        events: EventHub,
        live: Arc<dyn LiveState>,
        operator_token_hash: String,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner { store, config, events, live, operator_token_hash, shutdown }),
        }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn config(&self) -> &ApiConfig {
        &self.inner.config
    }

    pub(crate) fn events(&self) -> &EventHub {
        &self.inner.events
    }

    pub(crate) fn live(&self) -> &dyn LiveState {
        self.inner.live.as_ref()
    }

    pub(crate) fn operator_token_hash(&self) -> &str {
        &self.inner.operator_token_hash
    }

    pub(crate) fn shutdown(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.clone()
    }
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let json_limit = state.config().max_json_bytes;
    let (router, openapi) = routes::router_and_document(&state);
    let openapi = Arc::new(openapi);
    router
        .route(
            "/v1/openapi.json",
            axum::routing::get(move || {
                let openapi = Arc::clone(&openapi);
                async move { axum::Json(openapi.as_ref().clone()) }
            }),
        )
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(json_limit))
        .with_state(state)
        .layer(CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(ApiError::Internal(
                "a request handler panicked".into(),
            ))
        }))
        .layer(TraceLayer::new_for_http())
}

/// The OpenAPI document, as served at `/v1/openapi.json`.
pub fn openapi(state: &AppState) -> utoipa::openapi::OpenApi {
    routes::router_and_document(state).1
}
