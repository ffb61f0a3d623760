//! Who uses the control plane and takes calls.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Configures the account, and takes calls.
    Admin,
    /// Takes calls; reads the history of their numbers; changes nothing else.
    Agent,
}

impl Role {
    /// The role as stored and as written in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Agent => "agent",
        }
    }

    /// Reads a stored role.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "admin" => Some(Self::Admin),
            "agent" => Some(Self::Agent),
            _ => None,
        }
    }
}

/// An email address, trimmed and lower-cased so that one mailbox is one user.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Checks the address found at `field`. Deliberately simple: one `@`, something on each
    /// side, no spaces; whether it receives mail is not ours to decide.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(email.split_once('@'), Some((local, domain))
                if !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
        if valid { Ok(Self(email)) } else { Err(FieldError::new(field, "is not an email address")) }
    }

    /// Rebuilds an address read back from the store.
    pub fn from_stored(email: String) -> Self {
        Self(email)
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The user part a SIP phone registers with; unique across the platform.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct SipUsername(String);

impl SipUsername {
    /// Longest accepted username.
    pub const MAX_LEN: usize = 64;

    /// Checks the username found at `field`: letters, digits, `.`, `_`, `-` only, so that it is
    /// the same in a SIP URI, a digest header and a phone's settings screen without escaping.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let ok = !raw.is_empty()
            && raw.len() <= Self::MAX_LEN
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                field,
                format!("must be 1 to {} letters, digits, '.', '_' or '-'", Self::MAX_LEN),
            ))
        }
    }

    /// Rebuilds a username read back from the store.
    pub fn from_stored(name: String) -> Self {
        Self(name)
    }

    /// The username.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SipUsername {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse("email", " Ana@Example.COM ").unwrap().as_str(), "ana@example.com");
        for bad in ["", "ana", "@example.com", "ana@", "a na@example.com", "a@b@c"] {
            assert!(Email::parse("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sip_usernames_need_no_escaping() {
        assert!(SipUsername::parse("sip_username", "ana.garcia-2_x").is_ok());
        for bad in ["", "ana garcia", "ana@x", "añá", "a:b", &"x".repeat(65)] {
            assert!(SipUsername::parse("sip_username", bad).is_err(), "{bad}");
        }
    }
}
