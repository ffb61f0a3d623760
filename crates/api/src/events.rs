//! The live event hub behind `GET /v1/events/stream`.
//!
//! The call layer publishes each event once, saying who may see it; every open stream keeps
//! the events its user may see. The hub holds no history: a client that reconnects reads what
//! it missed from `/v1/calls` and `/v1/voicemails`.

use std::sync::Arc;

use centralita_domain::{AccountId, Role, UserId};
use tokio::sync::broadcast;

/// One event for the stream.
#[derive(Debug, Clone)]
pub struct StreamEvent {
    /// The account it belongs to; nobody outside it ever sees it.
    pub account: AccountId,
    /// Its name: `voicemail.created`, `call.offered`, `call.answered`, `call.ended`.
    pub name: &'static str,
    /// Its JSON payload.
    pub data: serde_json::Value,
    /// Who in the account receives it.
    pub audience: Audience,
}

/// Who in an account receives an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Only these users (e.g. a voicemail notification to the number's assigned users).
    Users(Vec<UserId>),
    /// These users and every admin of the account (e.g. a call of a number).
    UsersAndAdmins(Vec<UserId>),
}

impl StreamEvent {
    /// Whether a user of `account` with `role` receives this event.
    pub fn is_for(&self, account: AccountId, user: UserId, role: Role) -> bool {
        if account != self.account {
            return false;
        }
        match &self.audience {
            Audience::Users(users) => users.contains(&user),
            Audience::UsersAndAdmins(users) => role == Role::Admin || users.contains(&user),
        }
    }
}

/// The publisher side; clone it freely.
#[derive(Debug, Clone)]
pub struct EventHub {
    sender: broadcast::Sender<Arc<StreamEvent>>,
}

impl EventHub {
    /// A hub whose slowest stream may fall `capacity` events behind before it is told it
    /// missed some.
    pub fn new(capacity: usize) -> Self {
        Self { sender: broadcast::channel(capacity.max(1)).0 }
    }

    /// Sends an event to every stream that may see it. Nobody listening is fine.
    pub fn publish(&self, event: StreamEvent) {
        let _ = self.sender.send(Arc::new(event));
    }

    /// A new receiver, for one stream (the API's and the web UI's). Filter what it gives with
    /// [`StreamEvent::is_for`].
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StreamEvent>> {
        self.sender.subscribe()
    }
}

impl Default for EventHub {
    fn default() -> Self {
        Self::new(1024)
    }
}
