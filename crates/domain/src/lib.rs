//! The product's nouns and their rules: ids, E.164 numbers, users, the number settings
//! document, IVR menus and the call history, with the validation that decides whether a
//! document is acceptable.
//!
//! This crate is pure: it does no I/O, reads no clock and draws no random numbers. Checks that
//! need the database (does this audio id exist in this account?) are expressed as a list of
//! [`Reference`]s that the store resolves inside the same transaction as the write.

mod call;
mod country;
mod document;
mod e164;
mod id;
mod ivr;
mod rating;
mod settings;
mod time;
mod user;

pub use call::{CallEvent, CallRecord, CallStatus, Cost, Direction, EventKind, HangupBy};
pub use country::{Country, CountryError, DialError, check_prefixes};
pub use document::{
    Document, DocumentError, FieldError, RefTarget, Reference, check_name, parse_document,
};
pub use e164::{E164, E164Error};
pub use id::{
    AccountId, AudioId, CallId, IdError, IvrId, NumberId, RecordingId, TokenId, UserId, VoicemailId,
};
pub use ivr::{DigitKey, IvrAction, IvrDocument};
pub use rating::{Priced, Rate, RateTable, RawRate, RawRateTable, format_amount, sum_amounts};
pub use settings::{Distribution, Incoming, NumberSettings, OfflineAction};
pub use time::{Millis, format_rfc3339_ms};
pub use user::{Email, Role, SipUsername};

/// Limits that every document shares, so that the API and the web UI agree on them.
pub mod limits {
    /// Longest display name of anything (account, user, number, audio, IVR), in characters.
    pub const NAME_MAX_CHARS: usize = 200;
    /// Shortest accepted password for the control plane and for SIP credentials.
    pub const PASSWORD_MIN_CHARS: usize = 8;
    /// Longest accepted password: argon2 and digest inputs stay small.
    pub const PASSWORD_MAX_CHARS: usize = 256;
    /// Range of the per-number ring timeout, in seconds.
    pub const RING_TIMEOUT_S: std::ops::RangeInclusive<u32> = 5..=300;
    /// Range of the per-number maximum wait in the queue, in seconds.
    pub const MAX_WAIT_S: std::ops::RangeInclusive<u32> = 10..=3600;
    /// Range of the IVR per-digit timeout, in seconds.
    pub const IVR_TIMEOUT_S: std::ops::RangeInclusive<u32> = 1..=60;
    /// Range of how many times an IVR prompt is played while nothing is pressed.
    pub const IVR_REPEATS: std::ops::RangeInclusive<u32> = 1..=10;
    /// Most destination prefixes an account may allow.
    pub const MAX_PREFIXES: usize = 100;
    /// Range of an account's own limit on external legs at once.
    pub const MAX_OUTBOUND_LEGS: std::ops::RangeInclusive<u32> = 1..=10_000;
}
