//! What the call layer asks of the media engine, and what it hears back.
//!
//! The media engine (in the binary: sockets, a task per call) owns the RTP of each leg; the
//! switch only names legs, says what each one plays and which are bridged, and learns about
//! digits, prompts that ended and voicemails that stopped.

use std::net::IpAddr;

use centralita_domain::{AccountId, AudioId, CallId};
use centralita_routing::VoicemailEnd;
use centralita_sdp::Negotiated;

/// One of our RTP endpoints: the caller's leg, an agent device's leg, a forward leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LegId(pub u64);

/// What a leg sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaSource {
    /// Silence (keeps NAT bindings and the peer's media timers alive).
    Silence,
    /// Ringback, repeating, per the tone plan.
    Ringback,
    /// Busy tone, repeating.
    Busy,
    /// The voicemail beep (ends with [`MediaEvent::ToneFinished`]).
    Beep,
    /// An uploaded audio message (ends with [`MediaEvent::PlaybackFinished`]).
    Audio {
        /// Whose audio (files are per account).
        account: AccountId,
        /// Which.
        audio: AudioId,
    },
    /// What the bridged leg receives.
    Bridged,
}

/// A recording to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingKind {
    /// A connected conversation: stereo, `left` (the caller) on the left channel.
    Conversation,
    /// A voicemail: mono, of `left`, stopping after `silence_s` of silence or `max_s`.
    Voicemail {
        /// Longest recording.
        max_s: u32,
        /// Silence that ends it.
        silence_s: u32,
    },
}

/// An order to the media engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaCommand {
    /// Open the sockets of a leg on `port` (RTP) and `port + 1` (RTCP) of `address`.
    CreateLeg {
        /// The call it belongs to (one media task per call).
        call: CallId,
        /// The leg.
        leg: LegId,
        /// Where to bind.
        address: IpAddr,
        /// RTP port (even); RTCP is the next one.
        port: u16,
    },
    /// The leg's stream is negotiated: start it (silence until told otherwise), or update it
    /// after a re-INVITE.
    Negotiated {
        /// The leg.
        leg: LegId,
        /// Codec, events, remote address (a hint: the leg latches on where packets come
        /// from, for peers behind NAT).
        negotiated: Negotiated,
    },
    /// Change what a leg sends.
    SetSource {
        /// The leg.
        leg: LegId,
        /// What.
        source: MediaSource,
    },
    /// Connect two legs both ways (each sends what the other receives).
    Bridge {
        /// One leg (the caller's).
        a: LegId,
        /// The other (an agent's or a forward target's).
        b: LegId,
    },
    /// Detect digits on a leg (RFC 4733 always; in-band too when `inband`).
    CollectDigits {
        /// The leg.
        leg: LegId,
        /// Also listen for in-band tones.
        inband: bool,
    },
    /// Start a recording of `left` (and `right` for a conversation).
    Record {
        /// The call (the recording belongs to its history).
        call: CallId,
        /// The caller's leg.
        left: LegId,
        /// The other party's leg.
        right: Option<LegId>,
        /// Conversation or voicemail.
        kind: RecordingKind,
    },
    /// Stop the voicemail recording of the call now (the caller hung up).
    StopVoicemail {
        /// The call.
        call: CallId,
    },
    /// Close a leg's sockets.
    DestroyLeg {
        /// The leg.
        leg: LegId,
    },
    /// The call is over: finish its recordings and stop its media task.
    EndCall {
        /// The call.
        call: CallId,
    },
}

/// What the media engine reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaEvent {
    /// A key was pressed on the leg.
    Digit(char),
    /// The audio message the leg played ended.
    PlaybackFinished,
    /// The beep ended.
    ToneFinished,
    /// The voicemail recording stopped.
    VoicemailEnded(VoicemailEnd),
    /// The leg's sockets could not be opened.
    Failed,
}
