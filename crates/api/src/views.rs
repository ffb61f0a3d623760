//! What the API sends back: one view type per resource, built from the store's records.

use centralita_domain::{
    AccountId, AudioId, CallId, IvrDocument, IvrId, Millis, NumberId, Role, TokenId, UserId,
    VoicemailId,
};
use centralita_store::{Account, Audio, Number, Token, User, Voicemail};
use serde::Serialize;

use crate::{AppState, Device};

/// An account.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct AccountView {
    pub(crate) id: AccountId,
    pub(crate) name: String,
    pub(crate) created_at: Millis,
    /// ISO 3166-1 alpha-2: how its people dial national numbers.
    #[schema(example = "ES")]
    pub(crate) country: String,
    /// Country prefixes its forwarded, transferred and outbound calls may reach (its own
    /// country's calling code unless an admin set them).
    pub(crate) allowed_prefixes: Vec<String>,
    /// Its own limit on external legs at once, if it has one (else the server's).
    pub(crate) max_outbound_legs: Option<u32>,
    /// The caller ID of outbound calls for users who chose none.
    pub(crate) default_number_id: Option<NumberId>,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        Self {
            allowed_prefixes: a.destinations(),
            country: a.country.to_string(),
            id: a.id,
            name: a.name,
            created_at: a.created_at,
            max_outbound_legs: a.max_outbound_legs,
            default_number_id: a.default_number_id,
        }
    }
}

/// A new account, with its first admin and that admin's API token (shown only here).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct AccountCreated {
    #[serde(flatten)]
    pub(crate) account: AccountView,
    /// The first admin.
    pub(crate) admin_user_id: UserId,
    /// An API token of the first admin; store it now, it is never shown again.
    pub(crate) token: String,
    /// The first admin, with their SIP password if it was generated.
    pub(crate) admin: UserCreated,
}

/// A user, with their live presence.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct UserView {
    pub(crate) id: UserId,
    pub(crate) account_id: AccountId,
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) role: Role,
    /// The username their phones register with.
    pub(crate) sip_username: String,
    /// The host their phones register to.
    pub(crate) sip_domain: String,
    /// The digest realm phones will be challenged with.
    pub(crate) sip_realm: String,
    /// The user's own switch ("Agente en línea").
    pub(crate) switched_online: bool,
    /// Switched online AND at least one registered device.
    pub(crate) online: bool,
    /// Online and not ringing or talking on a call.
    pub(crate) available: bool,
    /// Registered devices now.
    pub(crate) devices: Vec<Device>,
    /// When they last answered a call.
    pub(crate) last_answered_at: Option<Millis>,
    pub(crate) created_at: Millis,
    /// The number their outbound calls show, if they chose one (else the account's default,
    /// else their first assigned number).
    pub(crate) default_number_id: Option<NumberId>,
}

impl UserView {
    pub(crate) fn build(state: &AppState, user: User) -> Self {
        let devices = state.live().devices(user.id);
        let online = user.online_switch && !devices.is_empty();
        let available = online && !state.live().is_busy(user.id);
        Self {
            id: user.id,
            account_id: user.account_id,
            name: user.name,
            email: user.email.to_string(),
            role: user.role,
            sip_username: user.sip_username.to_string(),
            sip_domain: state.config().sip_domain.clone(),
            sip_realm: state.config().sip_realm.clone(),
            switched_online: user.online_switch,
            online,
            available,
            devices,
            last_answered_at: user.last_answered_at,
            created_at: user.created_at,
            default_number_id: user.default_number_id,
        }
    }
}

/// A user just created: the view, plus the SIP password when the server generated it (shown
/// only here; the server keeps only digest hashes of it).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct UserCreated {
    #[serde(flatten)]
    pub(crate) user: UserView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sip_password: Option<String>,
}

/// An API token's public part.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct TokenView {
    pub(crate) id: TokenId,
    pub(crate) user_id: UserId,
    pub(crate) label: Option<String>,
    pub(crate) created_at: Millis,
}

impl From<Token> for TokenView {
    fn from(t: Token) -> Self {
        Self { id: t.id, user_id: t.user_id, label: t.label, created_at: t.created_at }
    }
}

/// A new API token, with its secret (shown only here).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct TokenCreated {
    #[serde(flatten)]
    pub(crate) view: TokenView,
    /// Use as `Authorization: Bearer TOKEN`. Never shown again.
    pub(crate) token: String,
}

/// A number.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct NumberView {
    pub(crate) id: NumberId,
    pub(crate) e164: String,
    pub(crate) name: String,
    pub(crate) created_at: Millis,
}

impl From<Number> for NumberView {
    fn from(n: Number) -> Self {
        Self { id: n.id, e164: n.e164.to_string(), name: n.name, created_at: n.created_at }
    }
}

/// An audio message.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct AudioView {
    pub(crate) id: AudioId,
    pub(crate) name: String,
    /// Length, exact to 20 ms (the packet size it is played in).
    pub(crate) duration_ms: u64,
    /// Size of the normalised WAV (8 kHz mono 16-bit).
    pub(crate) size_bytes: u64,
    pub(crate) created_at: Millis,
}

impl From<Audio> for AudioView {
    fn from(a: Audio) -> Self {
        Self {
            id: a.id,
            name: a.name,
            duration_ms: a.duration_ms,
            size_bytes: a.size_bytes,
            created_at: a.created_at,
        }
    }
}

/// An IVR: its document with the defaults filled in, and its id.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct IvrView {
    pub(crate) id: IvrId,
    #[serde(flatten)]
    pub(crate) document: IvrDocument,
    pub(crate) created_at: Millis,
    pub(crate) updated_at: Millis,
}

impl From<centralita_store::Ivr> for IvrView {
    fn from(i: centralita_store::Ivr) -> Self {
        Self { id: i.id, document: i.document, created_at: i.created_at, updated_at: i.updated_at }
    }
}

/// A voicemail.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct VoicemailView {
    pub(crate) id: VoicemailId,
    pub(crate) call_id: CallId,
    pub(crate) number_id: Option<NumberId>,
    /// Who left it.
    pub(crate) from: String,
    /// Its length, once recorded (absent while the caller is still speaking).
    pub(crate) duration_ms: Option<u64>,
    pub(crate) created_at: Millis,
    /// Whether the requesting user has opened it.
    pub(crate) read: bool,
    /// Where to listen to it.
    pub(crate) audio_url: String,
}

impl From<Voicemail> for VoicemailView {
    fn from(v: Voicemail) -> Self {
        Self {
            audio_url: format!("/v1/voicemails/{}/audio", v.id),
            id: v.id,
            call_id: v.call_id,
            number_id: v.number_id,
            from: v.from,
            duration_ms: v.duration_ms,
            created_at: v.created_at,
            read: v.read,
        }
    }
}
