//! Typed identifiers. Every object has a UUID; the type says which table it belongs to, so a
//! user id can never be passed where an audio id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A string that is not a well-formed identifier. At the HTTP edge this is a 404: an id that
/// cannot exist names nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid identifier")]
pub struct IdError;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID made at the edge (the store draws them; this crate never does).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, IdError> {
                // Only the canonical hyphenated form: one spelling per id keeps URLs and
                // database keys comparable as plain strings.
                if s.len() != 36 {
                    return Err(IdError);
                }
                Uuid::try_parse(s).map(Self).map_err(|_| IdError)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

id_type!(
    /// One company.
    AccountId
);
id_type!(
    /// A person in an account (admin or agent).
    UserId
);
id_type!(
    /// A phone number owned by an account.
    NumberId
);
id_type!(
    /// An uploaded, normalised audio message.
    AudioId
);
id_type!(
    /// An IVR menu configuration.
    IvrId
);
id_type!(
    /// One call, inbound or outbound.
    CallId
);
id_type!(
    /// The recording of a call.
    RecordingId
);
id_type!(
    /// A voicemail left by a caller.
    VoicemailId
);
id_type!(
    /// An API token (the id, not the secret).
    TokenId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_the_canonical_form() {
        let id: UserId = "0190f3a0-0000-7000-8000-000000000001".parse().unwrap();
        assert_eq!(id.to_string(), "0190f3a0-0000-7000-8000-000000000001");
        assert!("0190f3a000007000800000000000000".parse::<UserId>().is_err());
        assert!("{0190f3a0-0000-7000-8000-000000000001}".parse::<UserId>().is_err());
        assert!("not-an-id".parse::<UserId>().is_err());
        assert!("".parse::<UserId>().is_err());
    }
}
