//! What the driver tells the engine: the agents, the number snapshot a call is routed with, and
//! what happened on the SIP and media legs.

use std::collections::HashMap;

use centralita_domain::{E164, IvrDocument, IvrId, Millis, NumberId, NumberSettings, UserId};

/// What the driver knows about an agent (a user of the account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// Who.
    pub user_id: UserId,
    /// The user's own "online" switch (product.md "Presence").
    pub online_switch: bool,
    /// Contacts of the user's registered devices; empty means no device, hence offline.
    pub devices: Vec<String>,
    /// When the user last answered a call, for longest idle; `None` has never answered.
    pub last_answered_at: Option<Millis>,
    /// The user's creation order in the account, breaking ties in longest idle.
    pub created_order: u64,
}

impl Agent {
    /// Online as product.md defines it: switched online and at least one registered device.
    pub fn is_online(&self) -> bool {
        self.online_switch && !self.devices.is_empty()
    }
}

/// Everything needed to route a call to one number, frozen when the call arrives: settings can
/// change during the call without affecting it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberSnapshot {
    /// The number.
    pub number_id: NumberId,
    /// Its E.164 form (the `to` of the `arrived` event).
    pub e164: E164,
    /// Its settings at arrival.
    pub settings: NumberSettings,
    /// Every IVR reachable from `settings.ivr_id` (sub-menus included).
    pub ivrs: HashMap<IvrId, IvrDocument>,
}

/// How one agent's offer turned out, as the driver saw it on that agent's devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfferOutcome {
    /// A device rings (180/183). Informational.
    Ringing,
    /// A device answered (200 OK).
    Answered {
        /// The contact of the device that answered.
        device: String,
    },
    /// The agent declined on a device (486/603 after ringing, a human decision). The engine
    /// answers with `CancelOffer` so that the user's other devices stop ringing.
    Declined,
    /// Every device of the agent failed (408, 5xx, 6xx without a human decision, transport
    /// error): nothing of the offer is left ringing.
    Failed {
        /// The final status that ended the last device (0 for a transport error).
        status: u16,
    },
}

/// Something the media layer reports about the caller's leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaEvent {
    /// The audio of the last `PlayAudio` played to its end (not sent after `StopMedia` or when
    /// replaced by another `PlayAudio`/`PlayTone`).
    PromptFinished,
    /// The beep of the last `PlayTone { tone: Beep }` ended.
    ToneFinished,
    /// The caller pressed a key (RFC 4733, SIP INFO or in-band: the driver does not say which).
    Digit(char),
    /// The voicemail recording stopped.
    VoicemailEnded {
        /// Why.
        reason: VoicemailEnd,
    },
}

/// Why a voicemail recording stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoicemailEnd {
    /// The caller hung up (the usual end).
    HungUp,
    /// The caller was silent for `voicemail_silence_s`.
    Silence,
    /// The recording reached `voicemail_max_s`.
    MaxLength,
}

/// How a forwarded or transferred leg turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardOutcome {
    /// The external number answered; the driver bridged it with the caller.
    Answered,
    /// The leg failed with this final status (0 for a transport error).
    Failed {
        /// The status.
        status: u16,
    },
}

/// Who hung up an established leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The caller (CANCEL before the answer, BYE after), at any stage.
    Caller,
    /// The connected agent or the forward/transfer target (BYE).
    Callee,
}
