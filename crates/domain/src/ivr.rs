//! IVR menus: a prompt, a digit, and what each digit does.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::document::{Document, FieldError, RefTarget, Reference, check_name, check_range};
use crate::{AudioId, E164, IvrId, UserId, limits};

/// A key of the phone's keypad that an IVR option can be bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DigitKey(char);

impl DigitKey {
    /// Every key, in keypad order.
    pub const ALL: [char; 12] = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '*', '#'];

    /// The key for a DTMF character, if it is one of `0-9*#`.
    pub fn new(c: char) -> Option<Self> {
        Self::ALL.contains(&c).then_some(Self(c))
    }

    /// The key's character.
    pub fn as_char(self) -> char {
        self.0
    }
}

impl fmt::Display for DigitKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What an IVR digit (or no input, or an invalid digit) does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum IvrAction {
    /// Continue with the number's incoming-call settings.
    Agents {
        /// Ring only these users (among those the number rings); absent means all of them.
        #[serde(skip_serializing_if = "Option::is_none")]
        user_ids: Option<Vec<UserId>>,
    },
    /// Forward to an external number over the trunk.
    Forward {
        /// Where the call goes.
        to: E164,
    },
    /// Take a voicemail.
    Voicemail {
        /// The greeting; `null` plays only the beep.
        audio_id: Option<AudioId>,
    },
    /// Play a message, then hang up.
    Message {
        /// The message.
        audio_id: AudioId,
    },
    /// Go to another IVR (a sub-menu).
    Menu {
        /// The sub-menu.
        ivr_id: IvrId,
    },
    /// Play this menu's prompt again.
    Repeat,
    /// Hang up.
    Hangup,
}

/// An IVR configuration, reusable by any number of the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IvrDocument {
    /// Shown to admins.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    /// The menu's prompt.
    pub prompt_audio_id: AudioId,
    /// Seconds to wait for a digit after the prompt.
    #[schema(minimum = 1, maximum = 60)]
    pub timeout_s: u32,
    /// How many times the prompt is played while nothing is pressed.
    #[schema(minimum = 1, maximum = 10)]
    pub repeats: u32,
    /// The action of each key (`0`-`9`, `*`, `#`).
    #[schema(value_type = BTreeMap<String, IvrAction>)]
    pub options: BTreeMap<String, IvrAction>,
    /// What happens when nothing is pressed after the last repeat.
    pub on_no_input: IvrAction,
    /// What happens when a key without an option is pressed.
    pub on_invalid: IvrAction,
}

impl IvrDocument {
    /// Default seconds to wait for a digit.
    pub const DEFAULT_TIMEOUT_S: u32 = 5;
    /// Default number of times the prompt is played.
    pub const DEFAULT_REPEATS: u32 = 3;

    /// The option bound to a key, if any.
    pub fn option(&self, key: DigitKey) -> Option<&IvrAction> {
        self.options.get(key.as_char().encode_utf8(&mut [0; 4]) as &str)
    }

    /// The sub-menus this menu can lead to directly.
    pub fn sub_menus(&self) -> impl Iterator<Item = IvrId> + '_ {
        self.actions().filter_map(|(_, action)| match action {
            IvrAction::Menu { ivr_id } => Some(*ivr_id),
            _ => None,
        })
    }

    /// Every action with the path of its field.
    fn actions(&self) -> impl Iterator<Item = (String, &IvrAction)> {
        self.options.iter().map(|(key, action)| (format!("options.{key}"), action)).chain([
            ("on_no_input".to_owned(), &self.on_no_input),
            ("on_invalid".to_owned(), &self.on_invalid),
        ])
    }

    /// Every id in the document, with its field, for the store to check.
    pub fn references(&self) -> Vec<Reference> {
        let mut refs =
            vec![Reference::new("prompt_audio_id", RefTarget::Audio(self.prompt_audio_id))];
        for (field, action) in self.actions() {
            match action {
                IvrAction::Voicemail { audio_id: Some(audio_id) }
                | IvrAction::Message { audio_id } => {
                    refs.push(Reference::new(
                        format!("{field}.audio_id"),
                        RefTarget::Audio(*audio_id),
                    ));
                }
                IvrAction::Menu { ivr_id } => {
                    refs.push(Reference::new(format!("{field}.ivr_id"), RefTarget::Ivr(*ivr_id)));
                }
                IvrAction::Agents { user_ids: Some(users) } => {
                    for (i, user) in users.iter().enumerate() {
                        refs.push(Reference::new(
                            format!("{field}.user_ids[{i}]"),
                            RefTarget::User(*user),
                        ));
                    }
                }
                _ => {}
            }
        }
        refs
    }

    /// The field of the first option that leads to `target` as a sub-menu, for error messages.
    pub fn field_leading_to(&self, target: IvrId) -> Option<String> {
        self.actions().find_map(|(field, action)| match action {
            IvrAction::Menu { ivr_id } if *ivr_id == target => Some(format!("{field}.ivr_id")),
            _ => None,
        })
    }
}

/// The loose shape serde reads; see [`crate::document`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIvr {
    name: String,
    prompt_audio_id: AudioId,
    #[serde(default = "default_timeout")]
    timeout_s: u32,
    #[serde(default = "default_repeats")]
    repeats: u32,
    #[serde(default)]
    options: BTreeMap<String, RawIvrAction>,
    #[serde(default)]
    on_no_input: Option<RawIvrAction>,
    #[serde(default)]
    on_invalid: Option<RawIvrAction>,
}

fn default_timeout() -> u32 {
    IvrDocument::DEFAULT_TIMEOUT_S
}

fn default_repeats() -> u32 {
    IvrDocument::DEFAULT_REPEATS
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIvrAction {
    action: IvrActionKind,
    #[serde(default)]
    user_ids: Option<Vec<UserId>>,
    #[serde(default)]
    to: Option<E164>,
    #[serde(default)]
    audio_id: Option<AudioId>,
    #[serde(default)]
    ivr_id: Option<IvrId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum IvrActionKind {
    Agents,
    Forward,
    Voicemail,
    Message,
    Menu,
    Repeat,
    Hangup,
}

impl RawIvrAction {
    fn into_action(self, field: &str) -> Result<IvrAction, FieldError> {
        let Self { action, user_ids, to, audio_id, ivr_id } = self;
        let allowed: &[&str] = match action {
            IvrActionKind::Agents => &["user_ids"],
            IvrActionKind::Forward => &["to"],
            IvrActionKind::Voicemail | IvrActionKind::Message => &["audio_id"],
            IvrActionKind::Menu => &["ivr_id"],
            IvrActionKind::Repeat | IvrActionKind::Hangup => &[],
        };
        for (name, present) in [
            ("user_ids", user_ids.is_some()),
            ("to", to.is_some()),
            ("audio_id", audio_id.is_some()),
            ("ivr_id", ivr_id.is_some()),
        ] {
            if present && !allowed.contains(&name) {
                return Err(FieldError::new(
                    format!("{field}.{name}"),
                    "is not used by this action; leave it out",
                ));
            }
        }
        let required =
            |name: &str| FieldError::new(format!("{field}.{name}"), "is required by this action");
        Ok(match action {
            IvrActionKind::Agents => {
                if let Some(users) = &user_ids {
                    if users.is_empty() {
                        return Err(FieldError::new(
                            format!("{field}.user_ids"),
                            "must list at least one user; leave it out to ring every assigned agent",
                        ));
                    }
                    let mut seen = HashSet::new();
                    for (i, user) in users.iter().enumerate() {
                        if !seen.insert(user) {
                            return Err(FieldError::new(
                                format!("{field}.user_ids[{i}]"),
                                "this user is listed twice",
                            ));
                        }
                    }
                }
                IvrAction::Agents { user_ids }
            }
            IvrActionKind::Forward => IvrAction::Forward { to: to.ok_or_else(|| required("to"))? },
            IvrActionKind::Voicemail => IvrAction::Voicemail { audio_id },
            IvrActionKind::Message => {
                IvrAction::Message { audio_id: audio_id.ok_or_else(|| required("audio_id"))? }
            }
            IvrActionKind::Menu => {
                IvrAction::Menu { ivr_id: ivr_id.ok_or_else(|| required("ivr_id"))? }
            }
            IvrActionKind::Repeat => IvrAction::Repeat,
            IvrActionKind::Hangup => IvrAction::Hangup,
        })
    }
}

impl Document for IvrDocument {
    type Raw = RawIvr;

    fn from_raw(raw: RawIvr) -> Result<Self, FieldError> {
        let RawIvr { name, prompt_audio_id, timeout_s, repeats, options, on_no_input, on_invalid } =
            raw;
        check_name("name", &name)?;
        check_range("timeout_s", timeout_s, limits::IVR_TIMEOUT_S)?;
        check_range("repeats", repeats, limits::IVR_REPEATS)?;
        let mut checked = BTreeMap::new();
        for (key, action) in options {
            let mut chars = key.chars();
            let is_key =
                matches!((chars.next().and_then(DigitKey::new), chars.next()), (Some(_), None));
            if !is_key {
                return Err(FieldError::new(
                    format!("options.{key}"),
                    "is not a key of the keypad; options are 0-9, * and #",
                ));
            }
            let field = format!("options.{key}");
            let action = action.into_action(&field)?;
            checked.insert(key, action);
        }
        let fallback = |raw: Option<RawIvrAction>, field: &str| -> Result<IvrAction, FieldError> {
            let action = match raw {
                Some(raw) => raw.into_action(field)?,
                None => IvrAction::Agents { user_ids: None },
            };
            if action == IvrAction::Repeat {
                return Err(FieldError::new(
                    format!("{field}.action"),
                    "repeat cannot follow the last repeat; choose what happens instead",
                ));
            }
            Ok(action)
        };
        Ok(Self {
            name,
            prompt_audio_id,
            timeout_s,
            repeats,
            options: checked,
            on_no_input: fallback(on_no_input, "on_no_input")?,
            on_invalid: fallback(on_invalid, "on_invalid")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DocumentError, parse_document};

    const AUDIO: &str = "0190f3a0-0000-7000-8000-0000000000a1";

    fn field_of(json: &str) -> String {
        match parse_document::<IvrDocument>(json.as_bytes()) {
            Err(DocumentError::Invalid(e)) => e.field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_filled_in() {
        let json = format!(
            r#"{{"name":"Main","prompt_audio_id":"{AUDIO}","options":{{"1":{{"action":"agents"}}}}}}"#
        );
        let ivr = parse_document::<IvrDocument>(json.as_bytes()).unwrap();
        assert_eq!(ivr.timeout_s, 5);
        assert_eq!(ivr.repeats, 3);
        assert_eq!(ivr.on_no_input, IvrAction::Agents { user_ids: None });
        assert_eq!(ivr.on_invalid, IvrAction::Agents { user_ids: None });
        let printed = serde_json::to_value(&ivr).unwrap();
        assert_eq!(printed["on_invalid"], serde_json::json!({"action": "agents"}));
        assert_eq!(
            ivr.option(DigitKey::new('1').unwrap()),
            Some(&IvrAction::Agents { user_ids: None })
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        for key in ["a", "10", "", "**", "٣"] {
            let json = format!(
                r#"{{"name":"M","prompt_audio_id":"{AUDIO}","options":{{"{key}":{{"action":"hangup"}}}}}}"#
            );
            assert_eq!(field_of(&json), format!("options.{key}"));
        }
    }

    #[test]
    fn repeat_is_not_a_fallback() {
        let json = format!(
            r#"{{"name":"M","prompt_audio_id":"{AUDIO}","on_no_input":{{"action":"repeat"}}}}"#
        );
        assert_eq!(field_of(&json), "on_no_input.action");
    }

    #[test]
    fn each_action_needs_its_fields_and_only_them() {
        let cases = [
            (r#"{"action":"forward"}"#, "options.3.to"),
            (r#"{"action":"forward","to":"12"}"#, "options.3.to"),
            (r#"{"action":"message"}"#, "options.3.audio_id"),
            (r#"{"action":"menu"}"#, "options.3.ivr_id"),
            (r#"{"action":"hangup","to":"+34600000000"}"#, "options.3.to"),
            (r#"{"action":"agents","user_ids":[]}"#, "options.3.user_ids"),
            (r#"{"action":"dance"}"#, "options.3.action"),
        ];
        for (option, field) in cases {
            let json =
                format!(r#"{{"name":"M","prompt_audio_id":"{AUDIO}","options":{{"3":{option}}}}}"#);
            assert_eq!(field_of(&json), field, "{option}");
        }
    }

    #[test]
    fn ranges_are_checked() {
        let json = format!(r#"{{"name":"M","prompt_audio_id":"{AUDIO}","timeout_s":0}}"#);
        assert_eq!(field_of(&json), "timeout_s");
        let json = format!(r#"{{"name":"M","prompt_audio_id":"{AUDIO}","repeats":0}}"#);
        assert_eq!(field_of(&json), "repeats");
        let json = format!(r#"{{"name":" ","prompt_audio_id":"{AUDIO}"}}"#);
        assert_eq!(field_of(&json), "name");
    }
}
