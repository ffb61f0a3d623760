//! An account's country: its calling code (the default destinations its calls may reach) and
//! how its people dial national numbers, by libphonenumber's metadata.

use std::fmt;
use std::str::FromStr;

use phonenumber::country::Id;
use phonenumber::{Mode, metadata::DATABASE};

use crate::{E164, E164Error, FieldError, limits};

/// A country by its ISO 3166-1 alpha-2 code (`ES`), one that has a telephone numbering plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country {
    id: Id,
    calling_code: u16,
}

/// Why a string is not a country.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an ISO 3166-1 alpha-2 country code with a numbering plan, e.g. ES")]
pub struct CountryError;

/// Why a dialled string is not a number we can call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialError {
    /// Written in international form but not E.164.
    #[error("{0}")]
    International(E164Error),
    /// Not a number of the country, nor one in international form.
    #[error("not a number of {country}: dial it as +<country code><number>, e.g. {example}")]
    National {
        /// The account's country.
        country: Country,
        /// How a number looks in international form.
        example: &'static str,
    },
}

impl Country {
    /// Spain, the country of accounts created without one.
    pub const DEFAULT: &'static str = "ES";

    /// Parses an ISO 3166-1 alpha-2 code, in either case.
    pub fn parse(s: &str) -> Result<Self, CountryError> {
        if s.len() != 2 || !s.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(CountryError);
        }
        let code = s.to_ascii_uppercase();
        let id = Id::from_str(&code).map_err(|_| CountryError)?;
        let calling_code = DATABASE.by_id(code.as_str()).ok_or(CountryError)?.country_code();
        Ok(Self { id, calling_code })
    }

    /// The alpha-2 code, upper case.
    pub fn as_str(&self) -> &str {
        self.id.as_ref()
    }

    /// Its international calling code (`34` for Spain).
    pub fn calling_code(&self) -> u16 {
        self.calling_code
    }

    /// Turns what someone in this country dialled into E.164: `+` and the international
    /// number as it is, anything else by the country's national rules (its trunk prefix, its
    /// international access code such as `00`, or the calling code written without `+`).
    /// Spaces, dots, dashes and brackets between digits are ignored.
    pub fn normalize(&self, dialled: &str) -> Result<E164, DialError> {
        let cleaned: String =
            dialled.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
        if cleaned.starts_with('+') {
            return E164::parse(&cleaned).map_err(DialError::International);
        }
        let national = DialError::National { country: *self, example: "+34600111222" };
        if cleaned.is_empty() || !cleaned.bytes().all(|b| b.is_ascii_digit()) {
            return Err(national);
        }
        let number = phonenumber::parse(Some(self.id), &cleaned).map_err(|_| national.clone())?;
        if !number.is_valid() && !self.plausible(&number) {
            return Err(national);
        }
        E164::parse(&number.format().mode(Mode::E164).to_string()).map_err(|_| national)
    }

    /// Whether a number libphonenumber does not know as assigned still has its country's
    /// length (numbers in ranges opened after the metadata was published).
    fn plausible(&self, number: &phonenumber::PhoneNumber) -> bool {
        let Some(meta) = DATABASE.by_code(&number.code().value()).and_then(|m| m.first().copied())
        else {
            return false;
        };
        let national = number.national().to_string();
        meta.descriptors().general().possible_length().contains(&(national.len() as u16))
    }
}

/// Checks the destination prefixes an account allows (country code and maybe more, digits
/// without `+`); the refusal names `field[i]`, the first bad one.
pub fn check_prefixes(field: &str, prefixes: &[String]) -> Result<(), FieldError> {
    if prefixes.len() > limits::MAX_PREFIXES {
        return Err(FieldError::new(field, format!("at most {} prefixes", limits::MAX_PREFIXES)));
    }
    for (i, prefix) in prefixes.iter().enumerate() {
        let digits = !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit());
        if !digits || prefix.starts_with('0') || prefix.len() > E164::MAX_DIGITS {
            return Err(FieldError::new(
                format!("{field}[{i}]"),
                "must be an international prefix: digits without '+', starting with the country code, e.g. 34",
            ));
        }
    }
    Ok(())
}

impl FromStr for Country {
    type Err = CountryError;

    fn from_str(s: &str) -> Result<Self, CountryError> {
        Self::parse(s)
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn es() -> Country {
        Country::parse("es").unwrap()
    }

    #[test]
    fn countries_are_iso_codes_with_their_calling_codes() {
        assert_eq!(es().as_str(), "ES");
        assert_eq!(es().calling_code(), 34);
        assert_eq!(Country::parse("GB").unwrap().calling_code(), 44);
        assert_eq!(Country::parse("US").unwrap().calling_code(), 1);
        for bad in ["", "E", "ESP", "XX", "3 ", "é"] {
            assert_eq!(Country::parse(bad), Err(CountryError), "{bad:?}");
        }
    }

    #[test]
    fn national_numbers_take_the_country_code() {
        let cases = [
            ("600111222", "+34600111222"),
            ("600 11 12 22", "+34600111222"),
            ("910-000-001", "+34910000001"),
            ("0034600111222", "+34600111222"),
            ("34600111222", "+34600111222"),
            ("+44 20 7946 0018", "+442079460018"),
        ];
        for (dialled, e164) in cases {
            assert_eq!(es().normalize(dialled).unwrap().as_str(), e164, "{dialled}");
        }
        let gb = Country::parse("GB").unwrap();
        assert_eq!(gb.normalize("020 7946 0018").unwrap().as_str(), "+442079460018");
        assert_eq!(gb.normalize("00 34 600111222").unwrap().as_str(), "+34600111222");
    }

    proptest::proptest! {
        // Whatever is typed into a dial box or a phone, the answer is a number or a refusal.
        #[test]
        fn dialling_anything_never_panics(dialled in "[0-9+ ()#*.-]{0,40}|\\PC{0,40}") {
            if let Ok(e164) = es().normalize(&dialled) {
                proptest::prop_assert!(E164::parse(e164.as_str()).is_ok());
            }
        }
    }

    #[test]
    fn prefixes_are_country_codes_in_digits() {
        let ok: Vec<String> = vec!["34".into(), "351".into(), "1212".into()];
        assert!(check_prefixes("allowed_prefixes", &ok).is_ok());
        for bad in ["+34", "034", "", "3 4", "1234567890123456"] {
            let error = check_prefixes("allowed_prefixes", &["44".into(), bad.into()]).unwrap_err();
            assert_eq!(error.field, "allowed_prefixes[1]", "{bad:?}");
        }
    }

    #[test]
    fn what_is_not_a_number_is_refused_in_words() {
        for bad in ["", "abc", "60011", "*9", "+34 6OO"] {
            let error = es().normalize(bad).unwrap_err();
            assert!(!error.to_string().is_empty(), "{bad:?}");
        }
        assert!(matches!(es().normalize("+0123456789"), Err(DialError::International(_))));
    }
}
