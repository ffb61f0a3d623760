//! The web UI of centralita, served by the `centralita` binary itself: the pages the customer's
//! help-centre article describes ("click the Settings tab and choose the number"), for admins
//! and agents, in Spanish and English.
//!
//! Server-rendered HTML ([maud] templates, checked at compile time and escaped by default) with
//! a little plain JavaScript for what HTML cannot do alone: live notifications over
//! Server-Sent Events, the widget's call timer, showing only the fields a choice needs. Every
//! form works without JavaScript. Assets are embedded in the binary and served with a content
//! hash in their URL, so they can be cached for ever.
//!
//! Architecture invariants:
//! - **The UI accepts exactly what the API accepts.** Forms are turned into the same JSON
//!   documents the API takes and read with the domain's `parse_document`; the store checks
//!   references in the same transaction. A refusal names a field path
//!   (`incoming.when_offline.audio_id`), which is also the name of the form field, so the
//!   error is shown next to it with what was typed kept.
//! - **Same isolation and roles as the API.** Every query goes through the store's
//!   account-scoped methods with the signed-in user's account; another account's id is a 404
//!   page, an admin page for an agent a 403 page, looked up in that order.
//! - **Sessions are cookies with a random 256-bit secret**, stored hashed; every state-changing
//!   request carries a CSRF token bound to the session and passes an Origin check
//!   (see [`session`]).
//! - **No call state lives here.** What only the call layer knows (the current call,
//!   click-to-call, voicedrop, devices) comes through [`WebLive`].

mod assets;
mod form;
mod i18n;
mod page;
mod routes;
pub mod session;
pub mod simulate;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use centralita_api::{EventHub, LiveState, NoCallLayer};
use centralita_domain::{CallId, Direction, Millis, NumberId, UserId};
use centralita_store::Store;
use tokio::sync::watch;

pub use i18n::Lang;

/// What the web UI needs from the server's configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Largest accepted audio upload (`[http] max_upload_bytes`).
    pub max_upload_bytes: usize,
    /// Longest accepted audio message.
    pub max_audio_duration_ms: u64,
    /// The SIP digest realm, for the HA1 of new users' SIP passwords.
    pub sip_realm: String,
    /// The host phones register to, shown with the SIP credentials.
    pub sip_domain: String,
    /// The routing engine's settings (`[routing]`, `[billing] allowed_prefixes`), for the
    /// dry run.
    pub routing: centralita_routing::EngineConfig,
    /// Mark cookies `Secure` (the UI is served over https, directly or behind a proxy).
    pub secure_cookies: bool,
    /// A session unused this long ends.
    pub session_idle_ms: i64,
    /// A session ends this long after sign-in, used or not.
    pub session_absolute_ms: i64,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            max_upload_bytes: 20 * 1024 * 1024,
            max_audio_duration_ms: 10 * 60 * 1000,
            sip_realm: "centralita".into(),
            sip_domain: "127.0.0.1".into(),
            routing: centralita_routing::EngineConfig::default(),
            secure_cookies: false,
            // A working day of inactivity, and a week at most, then sign in again.
            session_idle_ms: 12 * 3600 * 1000,
            session_absolute_ms: 7 * 24 * 3600 * 1000,
        }
    }
}

/// Where the UI reads the time (session expiry, "now" for the dry run). The server uses the
/// system clock; tests move a manual one.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The system's wall clock.
    #[default]
    System,
    /// A clock that moves only when told, in milliseconds since the epoch.
    Manual(Arc<AtomicI64>),
}

impl Clock {
    /// A manual clock set at `ms`.
    pub fn manual(ms: i64) -> Self {
        Self::Manual(Arc::new(AtomicI64::new(ms)))
    }

    /// Now.
    pub fn now(&self) -> Millis {
        match self {
            Self::System => Millis(jiff::Timestamp::now().as_millisecond()),
            Self::Manual(ms) => Millis(ms.load(Ordering::SeqCst)),
        }
    }

    /// Moves a manual clock forward (no effect on the system clock).
    pub fn advance(&self, ms: i64) {
        if let Self::Manual(now) = self {
            now.fetch_add(ms, Ordering::SeqCst);
        }
    }
}

/// A call a user is on now, as the widget shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSummary {
    /// The call (for voicedrop).
    pub call_id: CallId,
    /// Inbound or outbound: voicedrop is offered on outbound calls only.
    pub direction: Direction,
    /// The account's number the call is on.
    pub number_id: Option<NumberId>,
    /// The lead's number, as the trunk gave it.
    pub other_party: String,
    /// When it started ringing.
    pub started_at: Millis,
    /// When it was answered, if it was.
    pub answered_at: Option<Millis>,
}

/// What the web UI needs from the running call layer, beyond the API's [`LiveState`]
/// (devices, busy, voicedrop). The binary implements both on its call layer; a server without
/// one uses [`NoCallLayer`], and the widget shows "no call".
pub trait WebLive: LiveState {
    /// The call `user` is ringing for or talking on now, if any.
    fn current_call(&self, user: UserId) -> Option<CallSummary>;
}

impl WebLive for NoCallLayer {
    fn current_call(&self, _user: UserId) -> Option<CallSummary> {
        None
    }
}

/// Everything a page handler can reach; cheap to clone.
#[derive(Clone)]
pub struct WebState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    events: EventHub,
    live: Arc<dyn WebLive>,
    config: WebConfig,
    clock: Clock,
    shutdown: watch::Receiver<bool>,
}

impl std::fmt::Debug for WebState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebState").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

impl WebState {
    /// Builds the state from the same store, event hub and live state the API uses.
    /// `shutdown` turns true when the server starts shutting down (event streams then end).
    pub fn new(
        store: Store,
        events: EventHub,
        live: Arc<dyn WebLive>,
        config: WebConfig,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self::with_clock(store, events, live, config, Clock::System, shutdown)
    }

    /// Like [`WebState::new`], reading the time from `clock`.
    pub fn with_clock(
        store: Store,
        events: EventHub,
        live: Arc<dyn WebLive>,
        config: WebConfig,
        clock: Clock,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self { inner: Arc::new(Inner { store, events, live, config, clock, shutdown }) }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn events(&self) -> &EventHub {
        &self.inner.events
    }

    pub(crate) fn live(&self) -> &dyn WebLive {
        self.inner.live.as_ref()
    }

    pub(crate) fn config(&self) -> &WebConfig {
        &self.inner.config
    }

    pub(crate) fn now(&self) -> Millis {
        self.inner.clock.now()
    }

    pub(crate) fn shutdown(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.clone()
    }
}

/// The web UI's routes (everything outside `/v1`), to merge with the API's application.
///
/// It sets no fallback, so that merging it into `centralita_api::app` keeps the API's.
pub fn router(state: WebState) -> axum::Router {
    routes::router(state)
}
