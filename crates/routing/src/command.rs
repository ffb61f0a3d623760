//! What the engine tells the driver to do, and the words for it.

use std::fmt::Write as _;

use centralita_domain::{AudioId, CallEvent, CallId, E164, EventKind, UserId};

/// The keys an agent presses on the phone, during an answered outbound call, to send the
/// number's voicedrop message (the same as `POST /v1/calls/{id}/voicedrop`).
pub const VOICEDROP_CODE: [char; 2] = ['*', '9'];

/// A tone the media layer generates (product.md "Tones": the national tone plan decides the
/// frequencies and cadence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tone {
    /// Ringback; repeats until replaced or stopped.
    Ringback,
    /// Busy; repeats until replaced or stopped.
    Busy,
    /// The voicemail beep; plays once, then `MediaEvent::ToneFinished`.
    Beep,
}

/// Why a call leaves for an external number; the history names them differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ForwardKind {
    /// Forward mode, or an IVR `forward` option.
    Forward,
    /// The `transfer` offline action.
    Transfer,
    /// An agent's outbound call to a lead.
    Outbound,
}

/// One thing for the driver to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Voicedrop: play `audio` to the external leg (the lead) instead of the bridge, and hang
    /// up the caller leg (the agent's phone) at once; the call goes on until the message ends
    /// (`MediaEvent::PromptFinished`, reported for the external leg).
    Voicedrop {
        /// The call.
        call: CallId,
        /// The number's voicedrop message.
        audio: AudioId,
    },
    /// Send 183 with SDP: the caller's media flows without an answer (no billing starts).
    /// Sent at most once per call, before the first `PlayAudio`/`PlayTone` of an unanswered call.
    EarlyMedia {
        /// The call.
        call: CallId,
    },
    /// Send 200 OK to the caller. Needed before an IVR, a message or a voicemail.
    Answer {
        /// The call.
        call: CallId,
    },
    /// Play an audio message to the caller; expect `MediaEvent::PromptFinished`.
    PlayAudio {
        /// The call.
        call: CallId,
        /// The message.
        audio: AudioId,
    },
    /// Play a tone to the caller, replacing what plays.
    PlayTone {
        /// The call.
        call: CallId,
        /// Which.
        tone: Tone,
    },
    /// Stop whatever plays to the caller (a prompt interrupted by a digit).
    StopMedia {
        /// The call.
        call: CallId,
    },
    /// Turn DTMF detection on the caller's leg on or off (RFC 4733, SIP INFO and in-band).
    CollectDigits {
        /// The call.
        call: CallId,
        /// On or off.
        enabled: bool,
    },
    /// Record a voicemail; expect `MediaEvent::VoicemailEnded`.
    RecordVoicemail {
        /// The call.
        call: CallId,
        /// Longest recording, seconds.
        max_s: u32,
        /// Silence that ends it, seconds.
        silence_s: u32,
    },
    /// Ring every device of one agent.
    Offer {
        /// The call.
        call: CallId,
        /// The agent.
        user: UserId,
        /// The devices to ring (the agent's contacts at the time of the offer).
        devices: Vec<String>,
    },
    /// Stop ringing an agent's devices (CANCEL whatever still rings).
    CancelOffer {
        /// The call.
        call: CallId,
        /// The agent.
        user: UserId,
    },
    /// An agent's device answered after the engine had cancelled that offer (the 200 crossed
    /// the CANCEL, or another agent won): ACK, then BYE that device. The agent is not on the call.
    DropLateAnswer {
        /// The call.
        call: CallId,
        /// The agent.
        user: UserId,
        /// The device that answered.
        device: String,
    },
    /// Bridge the caller with the device that answered (answering the caller if not yet).
    Connect {
        /// The call.
        call: CallId,
        /// The agent.
        user: UserId,
        /// The device.
        device: String,
    },
    /// Place a new leg to `to` over the trunk's `outbound_uri` (E.164 with `+` as the
    /// Request-URI user part) and bridge it with the caller when it answers (answering the
    /// caller if not yet); expect `handle_forward`.
    Forward {
        /// The call.
        call: CallId,
        /// Destination.
        to: E164,
        /// Forward or transfer (the history tells them apart; both are billed as outbound).
        kind: ForwardKind,
    },
    /// Start recording the conversation (stereo: caller left, agent or target right).
    StartRecording {
        /// The call.
        call: CallId,
    },
    /// Refuse the unanswered call with a final status.
    Reject {
        /// The call.
        call: CallId,
        /// 480, 486, 603 (or the mapped status of a failed forward).
        status: u16,
        /// The reason phrase.
        reason: &'static str,
    },
    /// Hang up the answered call (BYE to the caller, and to the other leg if any).
    Hangup {
        /// The call.
        call: CallId,
    },
    /// The engine forgot the call: release whatever is left of it (legs, media, timers).
    Ended {
        /// The call.
        call: CallId,
    },
}

impl Command {
    /// The call this command is about.
    pub fn call(&self) -> CallId {
        match self {
            Self::EarlyMedia { call }
            | Self::Answer { call }
            | Self::PlayAudio { call, .. }
            | Self::PlayTone { call, .. }
            | Self::StopMedia { call }
            | Self::CollectDigits { call, .. }
            | Self::RecordVoicemail { call, .. }
            | Self::Offer { call, .. }
            | Self::CancelOffer { call, .. }
            | Self::DropLateAnswer { call, .. }
            | Self::Connect { call, .. }
            | Self::Forward { call, .. }
            | Self::StartRecording { call }
            | Self::Reject { call, .. }
            | Self::Voicedrop { call, .. }
            | Self::Hangup { call }
            | Self::Ended { call } => *call,
        }
    }

    /// The command in words, without its call, naming users with `name`.
    pub fn describe(&self, name: &dyn Fn(&UserId) -> String) -> String {
        match self {
            Self::EarlyMedia { .. } => "early media (183)".to_owned(),
            Self::Answer { .. } => "answer (200)".to_owned(),
            Self::PlayAudio { audio, .. } => format!("play audio {audio}"),
            Self::PlayTone { tone, .. } => format!("play {} tone", tone_name(*tone)),
            Self::StopMedia { .. } => "stop media".to_owned(),
            Self::CollectDigits { enabled, .. } => {
                format!("collect digits {}", if *enabled { "on" } else { "off" })
            }
            Self::RecordVoicemail { max_s, silence_s, .. } => {
                format!("record voicemail (max {max_s} s, silence {silence_s} s)")
            }
            Self::Offer { user, devices, .. } => {
                format!(
                    "offer to {} ({} device{})",
                    name(user),
                    devices.len(),
                    plural(devices.len())
                )
            }
            Self::CancelOffer { user, .. } => format!("cancel offer to {}", name(user)),
            Self::DropLateAnswer { user, .. } => format!("drop late answer of {}", name(user)),
            Self::Connect { user, .. } => format!("connect {}", name(user)),
            Self::Forward { to, kind: ForwardKind::Forward, .. } => format!("forward to {to}"),
            Self::Forward { to, kind: ForwardKind::Transfer, .. } => format!("transfer to {to}"),
            Self::Forward { to, kind: ForwardKind::Outbound, .. } => format!("dial {to}"),
            Self::Voicedrop { audio, .. } => format!("voicedrop {audio}, release the agent"),
            Self::StartRecording { .. } => "start recording".to_owned(),
            Self::Reject { status, reason, .. } => format!("reject {status} {reason}"),
            Self::Hangup { .. } => "hang up".to_owned(),
            Self::Ended { .. } => "release the call".to_owned(),
        }
    }
}

fn tone_name(tone: Tone) -> &'static str {
    match tone {
        Tone::Ringback => "ringback",
        Tone::Busy => "busy",
        Tone::Beep => "beep",
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A history event in words (type, its fields, then the reason in brackets), naming users with
/// `name`, without its time.
pub fn describe_event(event: &CallEvent, name: &dyn Fn(&UserId) -> String) -> String {
    let mut out = match &event.kind {
        EventKind::Arrived { from, to } => format!("arrived from {from} to {to}"),
        EventKind::IvrPrompt { ivr_id } => format!("ivr_prompt {ivr_id}"),
        EventKind::IvrDigit { digit } => format!("ivr_digit {digit}"),
        EventKind::WelcomePlayed { audio_id } => format!("welcome_played {audio_id}"),
        EventKind::Queued {} => "queued".to_owned(),
        EventKind::Offered { user_id, .. } => format!("offered {}", name(user_id)),
        EventKind::NoAnswer { user_id } => format!("no_answer {}", name(user_id)),
        EventKind::Rejected { user_id } => format!("rejected {}", name(user_id)),
        EventKind::Answered { user_id: Some(user) } => format!("answered {}", name(user)),
        EventKind::Answered { user_id: None } => "answered".to_owned(),
        EventKind::Forwarded { to } => format!("forwarded {to}"),
        EventKind::Transferred { to } => format!("transferred {to}"),
        EventKind::OfflineAction { action } => format!("offline_action {action}"),
        EventKind::RecordingStarted { recording_id } => format!("recording_started {recording_id}"),
        EventKind::VoicemailRecorded { voicemail_id, .. } => {
            format!("voicemail_recorded {voicemail_id}")
        }
        EventKind::Voicedrop { audio_id } => format!("voicedrop {audio_id}"),
        EventKind::Ended { hangup_by, duration_ms, talk_ms, .. } => {
            format!("ended by {hangup_by:?} after {duration_ms} ms, talk {talk_ms} ms")
                .replace("Caller", "caller")
                .replace("Callee", "callee")
                .replace("System", "system")
        }
    };
    if let Some(reason) = &event.reason {
        // Writing to a String cannot fail.
        let _ = write!(out, " ({reason})");
    }
    out
}

/// Why a call ended: the `reason` of its `ended` event. A small fixed set, so that the history
/// can be filtered by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// A conversation with an agent or a forward target took place and ended.
    Completed,
    /// The caller hung up before talking to anyone (abandoned in an IVR, a queue, a message).
    CallerHungUp,
    /// The caller left a voicemail.
    Voicemail,
    /// A message (offline action or IVR option) was played to its end.
    Message,
    /// The offline ringback ran out (480), or an answered call's in-call ringback did.
    NoAnswer,
    /// The offline busy tone ran out (486).
    Busy,
    /// Refused at once (603 Decline).
    Rejected,
    /// An IVR `hangup` option.
    Hangup,
    /// The forward or transfer leg failed before answering.
    ForwardFailed,
    /// The forward or transfer destination is outside the allowed prefixes (toll-fraud
    /// guard): refused with 403 before any leg was created.
    DestinationNotAllowed,
    /// An outbound call ended by its voicedrop message, played to its end (or the lead hung
    /// up during it).
    Voicedrop,
    /// The account already has its maximum of forwarded and transferred legs up: refused
    /// with 503 before any leg was created.
    OutboundLimit,
    /// An agent dialled out with no number assigned to them to show as caller ID.
    NoCallerId,
}

impl EndReason {
    /// The reason as written in the `ended` event.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::CallerHungUp => "caller_hung_up",
            Self::Voicemail => "voicemail",
            Self::Message => "message",
            Self::NoAnswer => "no_answer",
            Self::Busy => "busy",
            Self::Rejected => "rejected",
            Self::Hangup => "hangup",
            Self::ForwardFailed => "forward_failed",
            Self::DestinationNotAllowed => "destination_not_allowed",
            Self::Voicedrop => "voicedrop",
            Self::OutboundLimit => "outbound_limit",
            Self::NoCallerId => "no_caller_id",
        }
    }
}
