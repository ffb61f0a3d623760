//! The call history: one record per call, with the timeline of what happened to it.
//!
//! The call layer appends events as they happen; the API only reads them. Event names and
//! fields are fixed by interface.md ("Call event types").

use serde::{Deserialize, Serialize};

use crate::{AudioId, CallId, IvrId, Millis, NumberId, RecordingId, UserId, VoicemailId};

/// Which way a call goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From a lead, over the trunk, to one of the account's numbers.
    Inbound,
    /// From an agent to a lead, over the trunk.
    Outbound,
}

/// How a call turned out, for filtering the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    /// Not over yet.
    InProgress,
    /// An agent (or, outbound, the lead) answered.
    Answered,
    /// Nobody answered and no voicemail was left.
    Missed,
    /// The caller left a voicemail.
    Voicemail,
    /// Forwarded or transferred to an external number.
    Forwarded,
}

impl CallStatus {
    /// The status as stored and as written in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in_progress",
            Self::Answered => "answered",
            Self::Missed => "missed",
            Self::Voicemail => "voicemail",
            Self::Forwarded => "forwarded",
        }
    }

    /// Reads a stored status.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::InProgress, Self::Answered, Self::Missed, Self::Voicemail, Self::Forwarded]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// Who ended a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HangupBy {
    /// The lead (inbound caller or outbound callee).
    Caller,
    /// The agent, or the external number a call was forwarded to.
    Callee,
    /// centralita itself (a timeout, an offline action, a message that ended, a shutdown).
    System,
}

/// What a call cost, in exact decimal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Cost {
    /// Decimal amount as text, never a float (e.g. `"0.0240"`).
    pub amount: String,
    /// ISO 4217 currency code.
    pub currency: String,
}

/// One entry of a call's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CallEvent {
    /// When it happened.
    pub at: Millis,
    /// Why it happened, when that is not obvious from the type; always set on `ended`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened, with the fields of each kind of event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// The call reached centralita.
    Arrived {
        /// Caller.
        from: String,
        /// Called number.
        to: String,
    },
    /// An IVR prompt started.
    IvrPrompt {
        /// The menu.
        ivr_id: IvrId,
    },
    /// The caller pressed a key in an IVR.
    IvrDigit {
        /// The key.
        digit: String,
    },
    /// The welcome message was played.
    WelcomePlayed {
        /// The message.
        audio_id: AudioId,
    },
    /// The call waits for an agent to become available.
    Queued {},
    /// Agents' devices started ringing.
    Offered {
        /// The agent.
        user_id: UserId,
        /// The devices rung (their contact addresses).
        devices: Vec<String>,
    },
    /// An agent did not answer in time.
    NoAnswer {
        /// The agent.
        user_id: UserId,
    },
    /// An agent declined, or their device failed.
    Rejected {
        /// The agent.
        user_id: UserId,
    },
    /// Someone answered.
    Answered {
        /// The agent who answered (absent when an external number answered).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_id: Option<UserId>,
    },
    /// The call was forwarded to an external number (forward mode or an IVR option).
    Forwarded {
        /// Destination.
        to: String,
    },
    /// The call was transferred to an external number (offline action).
    Transferred {
        /// Destination.
        to: String,
    },
    /// An offline action started.
    OfflineAction {
        /// Which one (`ringback`, `busy`, `disconnect`, `message`, `voicemail`, `transfer`).
        action: String,
    },
    /// Recording started.
    RecordingStarted {
        /// The recording.
        recording_id: RecordingId,
    },
    /// A voicemail was recorded.
    VoicemailRecorded {
        /// The voicemail.
        voicemail_id: VoicemailId,
        /// Its length.
        duration_ms: u64,
    },
    /// A voicedrop message was played into the call.
    Voicedrop {
        /// The message.
        audio_id: AudioId,
    },
    /// The call ended; its `reason` (e.g. `completed`, `no_answer`, `interrupted`) is always set.
    Ended {
        /// Who hung up.
        hangup_by: HangupBy,
        /// From arrival to end.
        duration_ms: u64,
        /// From answer to end; 0 if never answered.
        talk_ms: u64,
        /// What the call cost, if anything.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cost: Option<Cost>,
    },
}

/// One call and everything that happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CallRecord {
    /// The call.
    pub id: CallId,
    /// The account's number involved (absent if the number was deleted since).
    pub number_id: Option<NumberId>,
    /// For an outbound call, the agent who placed it.
    pub user_id: Option<UserId>,
    /// Inbound or outbound.
    pub direction: Direction,
    /// Caller.
    pub from: String,
    /// Called party.
    pub to: String,
    /// How it turned out.
    pub status: CallStatus,
    /// Arrival (inbound) or dialling (outbound).
    pub started_at: Millis,
    /// When someone answered.
    pub answered_at: Option<Millis>,
    /// When it ended.
    pub ended_at: Option<Millis>,
    /// The agent who answered.
    pub answered_by: Option<UserId>,
    /// From start to end, once ended.
    pub duration_ms: Option<u64>,
    /// Its recording.
    pub recording_id: Option<RecordingId>,
    /// Its voicemail.
    pub voicemail_id: Option<VoicemailId>,
    /// What it cost.
    pub cost: Option<Cost>,
    /// The timeline, oldest first.
    pub events: Vec<CallEvent>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_print_as_flat_objects_with_type_and_at() {
        let event = CallEvent {
            at: Millis(0),
            reason: Some("nobody online".into()),
            kind: EventKind::OfflineAction { action: "voicemail".into() },
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "offline_action", "at": "1970-01-01T00:00:00.000Z",
                "reason": "nobody online", "action": "voicemail"})
        );
        let back: CallEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }
}
