//! E.164 phone numbers, the only form a number takes inside centralita.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// A phone number in E.164: `+`, a country code that does not start with 0, and at most
/// 15 digits in all (ITU-T E.164 §6). Kept as written, which is the only way to write it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, example = "+34910000001", pattern = r"^\+[1-9][0-9]{6,14}$")]
pub struct E164(String);

/// Why a string is not an E.164 number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum E164Error {
    /// The number does not start with `+`.
    #[error("must start with '+' and the country code, e.g. +34910000001")]
    MissingPlus,
    /// Something other than a digit after the `+` (spaces and dashes included).
    #[error("must contain only digits after the '+', with no spaces or separators")]
    NotDigits,
    /// Country codes never start with 0.
    #[error("the country code cannot start with 0")]
    LeadingZero,
    /// Fewer than 7 or more than 15 digits.
    #[error("must have between 7 and 15 digits after the '+'")]
    Length,
}

impl E164 {
    /// Shortest number we accept, in digits (small countries have 7-digit international numbers).
    pub const MIN_DIGITS: usize = 7;
    /// Longest number E.164 allows, in digits.
    pub const MAX_DIGITS: usize = 15;

    /// Parses a number written in E.164, with its leading `+`.
    pub fn parse(s: &str) -> Result<Self, E164Error> {
        let digits = s.strip_prefix('+').ok_or(E164Error::MissingPlus)?;
        Self::from_digits(digits)
    }

    /// Parses the digits of a number without its `+`, as carriers often send it in a SIP
    /// Request-URI user part.
    pub fn from_digits(digits: &str) -> Result<Self, E164Error> {
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(E164Error::NotDigits);
        }
        if !(Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&digits.len()) {
            return Err(E164Error::Length);
        }
        if digits.starts_with('0') {
            return Err(E164Error::LeadingZero);
        }
        Ok(Self(format!("+{digits}")))
    }

    /// The number with its `+`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits without the `+`.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }
}

impl FromStr for E164 {
    type Err = E164Error;

    fn from_str(s: &str) -> Result<Self, E164Error> {
        Self::parse(s)
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for E164 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(|e| serde::de::Error::custom(format!("{s:?} is not E.164: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_e164() {
        for ok in ["+34910000001", "+14155550100", "+2901234", "+999999999999999"] {
            assert_eq!(E164::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_what_is_not_e164() {
        let cases = [
            ("34910000001", E164Error::MissingPlus),
            ("+34 910 000 001", E164Error::NotDigits),
            ("+34-910000001", E164Error::NotDigits),
            ("+", E164Error::Length),
            ("+123456", E164Error::Length),
            ("+1234567890123456", E164Error::Length),
            ("+0034910000001", E164Error::LeadingZero),
            ("+３４910000001", E164Error::NotDigits),
            ("", E164Error::MissingPlus),
        ];
        for (input, error) in cases {
            assert_eq!(E164::parse(input), Err(error), "{input}");
        }
    }

    #[test]
    fn digits_without_plus_as_carriers_send_them() {
        assert_eq!(E164::from_digits("34910000001").unwrap().as_str(), "+34910000001");
        assert_eq!(E164::parse("+34910000001").unwrap().digits(), "34910000001");
    }
}
