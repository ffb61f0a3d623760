//! The number settings document: what happens to a call to one number.
//!
//! product.md "Per-number settings" is the source of these rules; interface.md fixes the JSON.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::document::{Document, FieldError, RefTarget, Reference, check_range};
use crate::{AudioId, E164, IvrId, UserId, limits};

/// Everything that decides how calls to one number are handled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NumberSettings {
    /// Record every connected conversation (stereo: caller left, agent or target right).
    pub record_calls: bool,
    /// An IVR every inbound call goes through first, if any.
    pub ivr_id: Option<IvrId>,
    /// What happens to incoming calls.
    pub incoming: Incoming,
    /// Played before ringback, only in `receive` mode with an agent online.
    pub welcome_audio_id: Option<AudioId>,
    /// Played by the server into an outbound call that reached the lead's voicemail.
    pub voicedrop_audio_id: Option<AudioId>,
    /// The only users rung for this number and allowed to call out with it.
    pub assigned_user_ids: Vec<UserId>,
}

/// The incoming-call mode: exactly one of three.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Incoming {
    /// Ring the assigned agents.
    Receive {
        /// How the agent to ring is chosen.
        distribution: Distribution,
        /// What happens when no assigned agent is online (or they all go offline while the
        /// call waits, or the call waits longer than `max_wait_s`).
        when_offline: OfflineAction,
        /// Longest wait for an agent before `when_offline` applies; absent means the server's
        /// `[routing] max_wait_s`.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(minimum = 10, maximum = 3600)]
        max_wait_s: Option<u32>,
        /// How long one agent rings before the next is tried; absent means the server's
        /// `[routing] ring_timeout_s`.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(minimum = 5, maximum = 300)]
        ring_timeout_s: Option<u32>,
    },
    /// Forward every call to one external number over the trunk.
    Forward {
        /// Where calls go.
        forward_to: E164,
    },
    /// Accept no calls: apply an offline action (never `transfer`).
    Reject {
        /// What the caller gets.
        action: OfflineAction,
    },
}

/// How an incoming call picks its agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    /// One available agent at random; on no answer another, untried agents first.
    Random,
    /// The available agent who has gone longest without answering a call.
    LongestIdle,
    /// Every available agent at once; the first to answer wins.
    Simultaneous,
}

/// What a caller gets when nobody can take the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum OfflineAction {
    /// Ringback as early media for 30 s, then 480, never answered.
    Ringback,
    /// Busy tone as early media for 5 s, then 486, never answered.
    Busy,
    /// 603 at once, never answered.
    Disconnect,
    /// Answer, play a message in full, hang up.
    Message {
        /// The message.
        audio_id: AudioId,
    },
    /// Answer, play a greeting (if any), beep, record a voicemail.
    Voicemail {
        /// The greeting; `null` plays only the beep.
        audio_id: Option<AudioId>,
    },
    /// Forward to an external number over the trunk (not allowed in `reject` mode).
    Transfer {
        /// Where the call goes.
        to: E164,
    },
}

impl OfflineAction {
    /// The action's name as written in JSON.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Ringback => "ringback",
            Self::Busy => "busy",
            Self::Disconnect => "disconnect",
            Self::Message { .. } => "message",
            Self::Voicemail { .. } => "voicemail",
            Self::Transfer { .. } => "transfer",
        }
    }

    fn reference(&self, field: &str) -> Option<Reference> {
        match self {
            Self::Message { audio_id } | Self::Voicemail { audio_id: Some(audio_id) } => {
                Some(Reference::new(format!("{field}.audio_id"), RefTarget::Audio(*audio_id)))
            }
            _ => None,
        }
    }
}

impl NumberSettings {
    /// The settings of a newly added number: ring every assigned agent at random; when nobody is
    /// online, take a voicemail (beep only, until a greeting is chosen) so no lead is lost.
    pub fn new_number_default(assigned_user_ids: Vec<UserId>) -> Self {
        Self {
            record_calls: false,
            ivr_id: None,
            incoming: Incoming::Receive {
                distribution: Distribution::Random,
                when_offline: OfflineAction::Voicemail { audio_id: None },
                max_wait_s: None,
                ring_timeout_s: None,
            },
            welcome_audio_id: None,
            voicedrop_audio_id: None,
            assigned_user_ids,
        }
    }

    /// Every id in the document, with its field, for the store to check.
    pub fn references(&self) -> Vec<Reference> {
        let mut refs = Vec::new();
        if let Some(ivr) = self.ivr_id {
            refs.push(Reference::new("ivr_id", RefTarget::Ivr(ivr)));
        }
        match &self.incoming {
            Incoming::Receive { when_offline, .. } => {
                refs.extend(when_offline.reference("incoming.when_offline"));
            }
            Incoming::Reject { action } => refs.extend(action.reference("incoming.action")),
            Incoming::Forward { .. } => {}
        }
        if let Some(audio) = self.welcome_audio_id {
            refs.push(Reference::new("welcome_audio_id", RefTarget::Audio(audio)));
        }
        if let Some(audio) = self.voicedrop_audio_id {
            refs.push(Reference::new("voicedrop_audio_id", RefTarget::Audio(audio)));
        }
        for (i, user) in self.assigned_user_ids.iter().enumerate() {
            refs.push(Reference::new(format!("assigned_user_ids[{i}]"), RefTarget::User(*user)));
        }
        refs
    }

    /// The audio messages the document uses.
    pub fn audio_ids(&self) -> impl Iterator<Item = AudioId> + '_ {
        self.references().into_iter().filter_map(|r| match r.target {
            RefTarget::Audio(id) => Some(id),
            _ => None,
        })
    }
}

/// The loose shape serde reads; see [`crate::document`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    record_calls: bool,
    #[serde(default)]
    ivr_id: Option<IvrId>,
    incoming: RawIncoming,
    #[serde(default)]
    welcome_audio_id: Option<AudioId>,
    #[serde(default)]
    voicedrop_audio_id: Option<AudioId>,
    assigned_user_ids: Vec<UserId>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIncoming {
    mode: Mode,
    distribution: Option<Distribution>,
    when_offline: Option<RawAction>,
    max_wait_s: Option<u32>,
    ring_timeout_s: Option<u32>,
    forward_to: Option<E164>,
    action: Option<RawAction>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Mode {
    Receive,
    Forward,
    Reject,
}

/// An offline action as read, before the per-action rules.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAction {
    action: ActionKind,
    #[serde(default)]
    audio_id: Option<AudioId>,
    #[serde(default)]
    to: Option<E164>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ActionKind {
    Ringback,
    Busy,
    Disconnect,
    Message,
    Voicemail,
    Transfer,
}

impl RawAction {
    /// Applies the rules of one offline action found at `field`.
    pub(crate) fn into_action(self, field: &str) -> Result<OfflineAction, FieldError> {
        let Self { action, audio_id, to } = self;
        let no_audio = |audio_id: Option<AudioId>| match audio_id {
            Some(_) => Err(FieldError::new(
                format!("{field}.audio_id"),
                "is not used by this action; leave it out",
            )),
            None => Ok(()),
        };
        let no_to = |to: &Option<E164>| match to {
            Some(_) => Err(FieldError::new(
                format!("{field}.to"),
                "is not used by this action; leave it out",
            )),
            None => Ok(()),
        };
        Ok(match action {
            ActionKind::Ringback | ActionKind::Busy | ActionKind::Disconnect => {
                no_audio(audio_id)?;
                no_to(&to)?;
                match action {
                    ActionKind::Ringback => OfflineAction::Ringback,
                    ActionKind::Busy => OfflineAction::Busy,
                    _ => OfflineAction::Disconnect,
                }
            }
            ActionKind::Message => {
                no_to(&to)?;
                let audio_id = audio_id.ok_or_else(|| {
                    FieldError::new(format!("{field}.audio_id"), "the message to play is required")
                })?;
                OfflineAction::Message { audio_id }
            }
            ActionKind::Voicemail => {
                no_to(&to)?;
                OfflineAction::Voicemail { audio_id }
            }
            ActionKind::Transfer => {
                no_audio(audio_id)?;
                let to = to.ok_or_else(|| {
                    FieldError::new(format!("{field}.to"), "the number to transfer to is required")
                })?;
                OfflineAction::Transfer { to }
            }
        })
    }
}

impl Document for NumberSettings {
    type Raw = RawSettings;

    fn from_raw(raw: RawSettings) -> Result<Self, FieldError> {
        let RawSettings {
            record_calls,
            ivr_id,
            incoming,
            welcome_audio_id,
            voicedrop_audio_id,
            assigned_user_ids,
        } = raw;
        let mut seen = HashSet::new();
        for (i, user) in assigned_user_ids.iter().enumerate() {
            if !seen.insert(*user) {
                return Err(FieldError::new(
                    format!("assigned_user_ids[{i}]"),
                    "this user is listed twice",
                ));
            }
        }
        Ok(Self {
            record_calls,
            ivr_id,
            incoming: incoming.into_incoming()?,
            welcome_audio_id,
            voicedrop_audio_id,
            assigned_user_ids,
        })
    }
}

impl RawIncoming {
    fn into_incoming(self) -> Result<Incoming, FieldError> {
        let Self {
            mode,
            distribution,
            when_offline,
            max_wait_s,
            ring_timeout_s,
            forward_to,
            action,
        } = self;
        let mode_name = match mode {
            Mode::Receive => "receive",
            Mode::Forward => "forward",
            Mode::Reject => "reject",
        };
        let unused = |name: &str, present: bool| {
            if present {
                Err(FieldError::new(
                    format!("incoming.{name}"),
                    format!("is not used in mode {mode_name:?}; leave it out"),
                ))
            } else {
                Ok(())
            }
        };
        let required = |name: &str| {
            FieldError::new(
                format!("incoming.{name}"),
                format!("is required in mode {mode_name:?}"),
            )
        };
        match mode {
            Mode::Receive => {
                unused("forward_to", forward_to.is_some())?;
                unused("action", action.is_some())?;
                if let Some(s) = max_wait_s {
                    check_range("incoming.max_wait_s", s, limits::MAX_WAIT_S)?;
                }
                if let Some(s) = ring_timeout_s {
                    check_range("incoming.ring_timeout_s", s, limits::RING_TIMEOUT_S)?;
                }
                Ok(Incoming::Receive {
                    distribution: distribution.ok_or_else(|| required("distribution"))?,
                    when_offline: when_offline
                        .ok_or_else(|| required("when_offline"))?
                        .into_action("incoming.when_offline")?,
                    max_wait_s,
                    ring_timeout_s,
                })
            }
            Mode::Forward => {
                unused("distribution", distribution.is_some())?;
                unused("when_offline", when_offline.is_some())?;
                unused("max_wait_s", max_wait_s.is_some())?;
                unused("ring_timeout_s", ring_timeout_s.is_some())?;
                unused("action", action.is_some())?;
                Ok(Incoming::Forward {
                    forward_to: forward_to.ok_or_else(|| required("forward_to"))?,
                })
            }
            Mode::Reject => {
                unused("distribution", distribution.is_some())?;
                unused("when_offline", when_offline.is_some())?;
                unused("max_wait_s", max_wait_s.is_some())?;
                unused("ring_timeout_s", ring_timeout_s.is_some())?;
                unused("forward_to", forward_to.is_some())?;
                let action =
                    action.ok_or_else(|| required("action"))?.into_action("incoming.action")?;
                if let OfflineAction::Transfer { .. } = action {
                    return Err(FieldError::new(
                        "incoming.action",
                        "transfer is not available when incoming calls are not accepted; \
                         choose ringback, busy, disconnect, message or voicemail",
                    ));
                }
                Ok(Incoming::Reject { action })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DocumentError, parse_document};

    const AUDIO: &str = "0190f3a0-0000-7000-8000-0000000000a1";
    const USER: &str = "0190f3a0-0000-7000-8000-0000000000b1";

    fn parse(json: &str) -> Result<NumberSettings, DocumentError> {
        parse_document(json.as_bytes())
    }

    fn field_of(json: &str) -> String {
        match parse(json) {
            Err(DocumentError::Invalid(e)) => e.field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn the_interface_example_parses_and_prints_back() {
        let json = format!(
            r#"{{"record_calls":true,"ivr_id":null,"incoming":{{"mode":"receive","distribution":"random","when_offline":{{"action":"voicemail","audio_id":"{AUDIO}"}}}},"welcome_audio_id":null,"voicedrop_audio_id":null,"assigned_user_ids":["{USER}"]}}"#
        );
        let settings = parse(&json).unwrap();
        assert_eq!(serde_json::to_string(&settings).unwrap(), json);
        assert_eq!(settings.references().len(), 2);
    }

    #[test]
    fn transfer_inside_reject_names_the_field() {
        let json = r#"{"record_calls":false,"incoming":{"mode":"reject","action":{"action":"transfer","to":"+34600000000"}},"assigned_user_ids":[]}"#;
        assert_eq!(field_of(json), "incoming.action");
    }

    #[test]
    fn bad_e164_names_the_field() {
        let json = r#"{"record_calls":false,"incoming":{"mode":"forward","forward_to":"600 000 000"},"assigned_user_ids":[]}"#;
        assert_eq!(field_of(json), "incoming.forward_to");
    }

    #[test]
    fn unknown_fields_are_refused_at_every_level() {
        let top = r#"{"record_calls":false,"incoming":{"mode":"reject","action":{"action":"busy"}},"assigned_user_ids":[],"extra":1}"#;
        assert_eq!(field_of(top), "extra");
        let inner = r#"{"record_calls":false,"incoming":{"mode":"reject","action":{"action":"busy","volume":3}},"assigned_user_ids":[]}"#;
        assert_eq!(field_of(inner), "incoming.action.volume");
    }

    #[test]
    fn wrong_types_name_the_field() {
        let json = r#"{"record_calls":"yes","incoming":{"mode":"reject","action":{"action":"busy"}},"assigned_user_ids":[]}"#;
        assert_eq!(field_of(json), "record_calls");
        let json = r#"{"record_calls":true,"incoming":{"mode":"receive","distribution":"random","when_offline":{"action":"message","audio_id":7}},"assigned_user_ids":[]}"#;
        assert_eq!(field_of(json), "incoming.when_offline.audio_id");
        let json = r#"{"record_calls":true,"incoming":{"mode":"receive","distribution":"round_robin","when_offline":{"action":"busy"}},"assigned_user_ids":[]}"#;
        assert_eq!(field_of(json), "incoming.distribution");
    }

    #[test]
    fn message_needs_its_audio_and_fields_of_other_modes_are_refused() {
        let json = r#"{"record_calls":true,"incoming":{"mode":"receive","distribution":"random","when_offline":{"action":"message"}},"assigned_user_ids":[]}"#;
        assert_eq!(field_of(json), "incoming.when_offline.audio_id");
        let json = r#"{"record_calls":true,"incoming":{"mode":"forward","forward_to":"+34600000000","distribution":"random"},"assigned_user_ids":[]}"#;
        assert_eq!(field_of(json), "incoming.distribution");
        let json = r#"{"record_calls":true,"incoming":{"mode":"receive","distribution":"random","when_offline":{"action":"busy","to":"+34600000000"}},"assigned_user_ids":[]}"#;
        assert_eq!(field_of(json), "incoming.when_offline.to");
    }

    #[test]
    fn duplicate_assigned_users_are_refused() {
        let json = format!(
            r#"{{"record_calls":false,"incoming":{{"mode":"reject","action":{{"action":"busy"}}}},"assigned_user_ids":["{USER}","{USER}"]}}"#
        );
        assert_eq!(field_of(&json), "assigned_user_ids[1]");
    }

    #[test]
    fn timeouts_out_of_range_are_refused() {
        let json = r#"{"record_calls":false,"incoming":{"mode":"receive","distribution":"simultaneous","when_offline":{"action":"busy"},"ring_timeout_s":1},"assigned_user_ids":[]}"#;
        assert_eq!(field_of(json), "incoming.ring_timeout_s");
        let json = r#"{"record_calls":false,"incoming":{"mode":"receive","distribution":"simultaneous","when_offline":{"action":"busy"},"max_wait_s":-5},"assigned_user_ids":[]}"#;
        assert_eq!(field_of(json), "incoming.max_wait_s");
    }

    #[test]
    fn malformed_json_is_a_syntax_error() {
        assert!(matches!(parse("{\"record_calls\": tru"), Err(DocumentError::Syntax(_))));
        let trailing = r#"{"record_calls":false,"incoming":{"mode":"reject","action":{"action":"busy"}},"assigned_user_ids":[]} x"#;
        assert!(matches!(parse(trailing), Err(DocumentError::Syntax(_))));
        assert!(matches!(parse(""), Err(DocumentError::Syntax(_))));
    }
}
