//! Instants as the API shows them: RFC 3339 in UTC with milliseconds.
//!
//! The store keeps integer milliseconds since the Unix epoch; this is the one place that turns
//! them into text and back. Nothing here reads the clock.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant, in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, utoipa::ToSchema)]
#[schema(value_type = String, format = DateTime, example = "2026-11-24T12:00:00.000Z")]
pub struct Millis(pub i64);

/// Formats milliseconds since the epoch as `2026-11-24T12:00:00.000Z`.
pub fn format_rfc3339_ms(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        // Out of jiff's range (beyond year 9999): clamp rather than fail a whole listing.
        Err(_) if ms < 0 => "0000-01-01T00:00:00.000Z".to_owned(),
        Err(_) => "9999-12-31T23:59:59.999Z".to_owned(),
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_rfc3339_ms(self.0))
    }
}

/// Text that is not an RFC 3339 instant with a UTC offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an RFC 3339 date-time with an offset, e.g. 2026-11-24T12:00:00Z")]
pub struct TimeError;

impl FromStr for Millis {
    type Err = TimeError;

    fn from_str(s: &str) -> Result<Self, TimeError> {
        let ts: jiff::Timestamp = s.parse().map_err(|_| TimeError)?;
        Ok(Self(ts.as_millisecond()))
    }
}

impl Serialize for Millis {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_rfc3339_ms(self.0))
    }
}

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_milliseconds_in_utc() {
        assert_eq!(Millis(0).to_string(), "1970-01-01T00:00:00.000Z");
        assert_eq!(Millis(1_795_000_000_123).to_string(), "2026-11-18T11:06:40.123Z");
    }

    #[test]
    fn parses_offsets_back_to_utc() {
        assert_eq!(
            "2026-11-18T12:06:40.123+01:00".parse::<Millis>(),
            Ok(Millis(1_795_000_000_123))
        );
        assert_eq!("1970-01-01T00:00:00Z".parse::<Millis>(), Ok(Millis(0)));
        assert!("2026-11-18".parse::<Millis>().is_err());
        assert!("yesterday".parse::<Millis>().is_err());
    }
}
