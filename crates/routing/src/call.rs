//! One call's routing state: where it is (its [`Stage`]), what it has done to the caller's leg,
//! and, at the agent stage, who may be rung and who is ringing.

use std::collections::HashSet;

use centralita_domain::{Distribution, IvrId, Millis, UserId};

use crate::command::{ForwardKind, Tone};
use crate::input::NumberSnapshot;

/// Where a call is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Between two stages within one input (arrival, leaving an IVR or the agent stage): the
    /// code that set it sets the next stage before the input returns. Matches no event.
    Routing,
    /// Answered, in an IVR menu.
    Ivr(IvrState),
    /// The welcome message plays; nobody is offered the call until it ends.
    Welcome,
    /// The agent stage: ringing agents or waiting for one.
    Hunting,
    /// A forward or transfer leg is ringing.
    Forwarding(ForwardKind),
    /// A conversation: with an agent (`Some`) or a forward target (`None`).
    Connected(Option<UserId>),
    /// Offline ringback or busy until the stage timer.
    OfflineTone(Tone),
    /// A message plays, then the call is hung up.
    Message,
    /// The voicemail greeting plays.
    VoicemailGreeting,
    /// The voicemail beep plays.
    VoicemailBeep,
    /// The voicemail is being recorded.
    VoicemailRecording,
    /// An outbound call's voicedrop message plays to the lead; the agent has left.
    Voicedrop,
}

/// Where a call is in one IVR menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IvrState {
    /// The menu.
    pub(crate) ivr_id: IvrId,
    /// Prompts played since the menu was entered (or `repeat` pressed).
    pub(crate) plays: u32,
    /// The prompt ended and the digit timeout runs (otherwise the prompt plays).
    pub(crate) awaiting_digit: bool,
}

/// One agent's offer of this call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Offer {
    pub(crate) user: UserId,
    /// When it counts as not answered; also its timer.
    pub(crate) deadline: Millis,
}

/// The agent stage of a call.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hunt {
    /// Who may be rung, in the number's assignment order.
    pub(crate) eligible: Vec<UserId>,
    /// Whether an IVR option narrowed `eligible` (only for the reasons' wording).
    pub(crate) restricted: bool,
    /// Agents offered this call so far (random and longest idle prefer the others).
    pub(crate) tried: HashSet<UserId>,
    /// Offers in flight: at most one for random and longest idle.
    pub(crate) offers: Vec<Offer>,
    /// Agents who declined or failed, with when they may be offered this call again: the end
    /// of the ring timeout they cut short, so a decline is "no answer, sooner" and a device that
    /// fails at once cannot make the engine re-offer it in a tight loop.
    pub(crate) resting: Vec<(UserId, Millis)>,
    /// The `queued` event was emitted.
    pub(crate) queued: bool,
    /// The call is in the engine's index of calls waiting for an agent.
    pub(crate) in_waiting: bool,
}

/// One call the engine routes.
#[derive(Debug)]
pub(crate) struct Call {
    /// Arrival order across the account: the queue's order.
    pub(crate) seq: u64,
    pub(crate) number: NumberSnapshot,
    pub(crate) arrived_at: Millis,
    /// 200 OK was sent to the caller (by `Answer`, `Connect` or a bridged forward).
    pub(crate) answered: bool,
    /// The caller's media flows (183 or 200 sent): tones and prompts can be played.
    pub(crate) media_open: bool,
    /// DTMF detection is on.
    pub(crate) collecting: bool,
    /// When a conversation started, for `talk_ms`.
    pub(crate) talk_since: Option<Millis>,
    pub(crate) stage: Stage,
    /// Explanation of a decision that has no event of its own (an IVR's no-input fallback),
    /// prefixed to the reason of the next event.
    pub(crate) carry_reason: Option<String>,
    /// IVR menus entered, bounded as a last defence against a loop through `on_no_input`.
    pub(crate) menus_entered: u32,
    pub(crate) ring_timeout_ms: i64,
    pub(crate) max_wait_s: u32,
    pub(crate) distribution: Distribution,
    pub(crate) hunt: Hunt,
    pub(crate) stage_timer: Option<Millis>,
    pub(crate) max_wait_timer: Option<Millis>,
    pub(crate) rest_timer: Option<Millis>,
    /// For an outbound call, the agent who placed it (busy until it ends).
    pub(crate) outbound_user: Option<UserId>,
    /// The agent's last key was `*`, the first of the voicedrop feature code.
    pub(crate) pending_star: bool,
}

impl Call {
    /// A call that just arrived (or was just dialled), before any decision.
    pub(crate) fn new(
        seq: u64,
        number: NumberSnapshot,
        arrived_at: Millis,
        ring_timeout_ms: i64,
        max_wait_s: u32,
        distribution: Distribution,
    ) -> Self {
        Self {
            seq,
            number,
            arrived_at,
            answered: false,
            media_open: false,
            collecting: false,
            talk_since: None,
            stage: Stage::Routing,
            carry_reason: None,
            menus_entered: 0,
            ring_timeout_ms,
            max_wait_s,
            distribution,
            hunt: Hunt::default(),
            stage_timer: None,
            max_wait_timer: None,
            rest_timer: None,
            outbound_user: None,
            pending_star: false,
        }
    }

    /// Whether the call should be offered to an agent who becomes available.
    pub(crate) fn wants_agents(&self) -> bool {
        self.stage == Stage::Hunting
            && (self.distribution == Distribution::Simultaneous || self.hunt.offers.is_empty())
    }

    pub(crate) fn is_resting(&self, user: &UserId, now: Millis) -> bool {
        self.hunt.resting.iter().any(|(u, until)| u == user && *until > now)
    }

    pub(crate) fn offer_of(&self, user: &UserId) -> Option<usize> {
        self.hunt.offers.iter().position(|o| o.user == *user)
    }
}
