//! What a call leg costs: a rate table priced per minute by destination prefix.
//!
//! Outbound, forwarded and transferred legs are billed like outbound calls (product.md). A
//! rate table has a currency, a billing increment and a minimum, and per-minute prices by
//! destination prefix; the longest matching prefix wins. Amounts are exact decimals
//! (`rust_decimal`), written and read as strings, never floating point.
//!
//! How a leg is priced, given its talk time (from answer to end):
//! 1. a leg never answered costs nothing (no minimum applies);
//! 2. otherwise the talk time is rounded up to whole seconds, then up to a multiple of the
//!    increment, and raised to the minimum;
//! 3. the cost is `per_minute × billed_seconds / 60`, rounded half away from zero to
//!    [`RateTable::AMOUNT_DECIMALS`] decimals.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Deserialize;

use crate::{Cost, Document, E164, FieldError};

/// A rate table, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateTable {
    currency: String,
    increment_s: u32,
    minimum_s: u32,
    /// Longest prefix first, so the first match is the one that wins.
    rates: Vec<Rate>,
}

/// The per-minute price of the destinations that start with a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    /// Country code and following digits, without the `+` (e.g. `346` for Spanish mobiles).
    pub prefix: String,
    /// Price of one minute.
    pub per_minute: Decimal,
}

/// A leg's price, with how it was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    /// The prefix whose rate applied.
    pub prefix: String,
    /// The seconds billed (after increment and minimum).
    pub billed_s: u64,
    /// The amount, in the table's currency.
    pub cost: Cost,
}

/// A rate table as written in JSON or TOML: amounts are strings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRateTable {
    currency: String,
    #[serde(default = "default_increment")]
    increment_s: u32,
    #[serde(default)]
    minimum_s: u32,
    rates: Vec<RawRate>,
}

/// One rate as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRate {
    prefix: String,
    per_minute: serde_json::Value,
}

fn default_increment() -> u32 {
    1
}

impl Default for RateTable {
    /// No rates: nothing can be priced.
    fn default() -> Self {
        Self { currency: "EUR".into(), increment_s: 60, minimum_s: 0, rates: Vec::new() }
    }
}

impl RateTable {
    /// Decimals of every amount (4: hundredths of a cent).
    pub const AMOUNT_DECIMALS: u32 = 4;
    /// Most rates in one table.
    pub const MAX_RATES: usize = 10_000;

    /// The table's currency (ISO 4217).
    pub fn currency(&self) -> &str {
        &self.currency
    }

    /// The rate that applies to `destination`: the longest matching prefix.
    pub fn rate_for(&self, destination: &E164) -> Option<&Rate> {
        let digits = destination.as_str().trim_start_matches('+');
        self.rates.iter().find(|r| digits.starts_with(&r.prefix))
    }

    /// Prices a leg to `destination` that was talked for `talk_ms` (0 if never answered);
    /// `None` when no prefix matches (such a destination cannot be priced, hence not called).
    pub fn price(&self, destination: &E164, talk_ms: u64) -> Option<Priced> {
        let rate = self.rate_for(destination)?;
        let billed_s = if talk_ms == 0 {
            0
        } else {
            let seconds = talk_ms.div_ceil(1000);
            let increment = u64::from(self.increment_s);
            (seconds.div_ceil(increment) * increment).max(u64::from(self.minimum_s))
        };
        let amount = (rate.per_minute * Decimal::from(billed_s) / Decimal::from(60u32))
            .round_dp_with_strategy(Self::AMOUNT_DECIMALS, RoundingStrategy::MidpointAwayFromZero);
        Some(Priced {
            prefix: rate.prefix.clone(),
            billed_s,
            cost: Cost { amount: format_amount(amount), currency: self.currency.clone() },
        })
    }
}

/// An amount with exactly [`RateTable::AMOUNT_DECIMALS`] decimals, as the history shows it.
pub fn format_amount(amount: Decimal) -> String {
    let mut amount = amount;
    amount.rescale(RateTable::AMOUNT_DECIMALS);
    amount.to_string()
}

/// Adds amounts written by [`format_amount`] (for usage totals); `None` if one is not a
/// decimal.
pub fn sum_amounts<'a>(amounts: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut total = Decimal::ZERO;
    for amount in amounts {
        total = total.checked_add(Decimal::from_str(amount).ok()?)?;
    }
    Some(format_amount(total))
}

impl Document for RateTable {
    type Raw = RawRateTable;

    fn from_raw(raw: RawRateTable) -> Result<Self, FieldError> {
        let currency = raw.currency.trim();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(FieldError::new("currency", "must be an ISO 4217 code such as EUR or USD"));
        }
        if !(1..=3600).contains(&raw.increment_s) {
            return Err(FieldError::new("increment_s", "must be between 1 and 3600 seconds"));
        }
        if raw.minimum_s > 3600 {
            return Err(FieldError::new("minimum_s", "must be at most 3600 seconds"));
        }
        if raw.rates.len() > Self::MAX_RATES {
            return Err(FieldError::new("rates", format!("at most {} rates", Self::MAX_RATES)));
        }
        let mut rates: Vec<Rate> = Vec::with_capacity(raw.rates.len());
        for (i, rate) in raw.rates.into_iter().enumerate() {
            let prefix = rate.prefix.trim_start_matches('+');
            if prefix.is_empty()
                || prefix.len() > E164::MAX_DIGITS
                || !prefix.bytes().all(|b| b.is_ascii_digit())
                || prefix.starts_with('0')
            {
                return Err(FieldError::new(
                    format!("rates[{i}].prefix"),
                    "must be 1 to 15 digits of an international number, starting with its country code",
                ));
            }
            if rates.iter().any(|r| r.prefix == prefix) {
                return Err(FieldError::new(
                    format!("rates[{i}].prefix"),
                    "this prefix has a rate already",
                ));
            }
            let field = format!("rates[{i}].per_minute");
            let serde_json::Value::String(text) = rate.per_minute else {
                return Err(FieldError::new(
                    field,
                    "must be a decimal amount written as a string, e.g. \"0.0120\"",
                ));
            };
            let text = text.trim();
            let plain = text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && text.bytes().filter(|&b| b == b'.').count() <= 1;
            let per_minute = Some(text)
                .filter(|_| plain)
                .and_then(|t| Decimal::from_str(t).ok())
                .filter(|d| !d.is_sign_negative() && d.scale() <= 6 && *d <= Decimal::from(1000u32))
                .ok_or_else(|| {
                    FieldError::new(
                        field,
                        "must be a decimal amount from 0 to 1000 with at most 6 decimals",
                    )
                })?;
            rates.push(Rate { prefix: prefix.to_owned(), per_minute });
        }
        rates.sort_by(|a, b| {
            b.prefix.len().cmp(&a.prefix.len()).then_with(|| a.prefix.cmp(&b.prefix))
        });
        Ok(Self {
            currency: currency.to_owned(),
            increment_s: raw.increment_s,
            minimum_s: raw.minimum_s,
            rates,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_document;

    fn table(json: serde_json::Value) -> RateTable {
        parse_document(json.to_string().as_bytes()).unwrap()
    }

    fn refused(json: serde_json::Value) -> String {
        match parse_document::<RateTable>(json.to_string().as_bytes()) {
            Err(crate::DocumentError::Invalid(e)) => e.field,
            other => panic!("not refused with a field: {other:?}"),
        }
    }

    fn number(s: &str) -> E164 {
        E164::parse(s).unwrap()
    }

    fn spain() -> RateTable {
        table(serde_json::json!({"currency": "EUR", "increment_s": 60, "minimum_s": 60, "rates": [
            {"prefix": "34", "per_minute": "0.0100"},
            {"prefix": "346", "per_minute": "0.0240"},
            {"prefix": "3491", "per_minute": "0.0080"},
            {"prefix": "1", "per_minute": "0.0150"},
        ]}))
    }

    #[test]
    fn longest_prefix_wins() {
        let t = spain();
        assert_eq!(t.rate_for(&number("+34600111222")).unwrap().prefix, "346");
        assert_eq!(t.rate_for(&number("+34910000001")).unwrap().prefix, "3491");
        assert_eq!(t.rate_for(&number("+34810000001")).unwrap().prefix, "34");
        assert_eq!(t.rate_for(&number("+12025550100")).unwrap().prefix, "1");
        assert!(t.rate_for(&number("+447700900123")).is_none(), "no rate for the UK");
        assert!(t.price(&number("+447700900123"), 60_000).is_none());
    }

    #[test]
    fn per_minute_increments_round_up_whole_minutes() {
        let t = spain();
        let mobile = number("+34600111222");
        let priced = |ms| t.price(&mobile, ms).unwrap();
        assert_eq!((priced(1).billed_s, priced(1).cost.amount.as_str()), (60, "0.0240"));
        assert_eq!(priced(60_000).billed_s, 60);
        assert_eq!((priced(60_001).billed_s, priced(60_001).cost.amount.as_str()), (120, "0.0480"));
        assert_eq!(priced(125_000).cost.amount, "0.0720");
        assert_eq!(priced(1).cost.currency, "EUR");
    }

    #[test]
    fn an_unanswered_leg_costs_nothing_whatever_the_minimum() {
        let priced = spain().price(&number("+34600111222"), 0).unwrap();
        assert_eq!((priced.billed_s, priced.cost.amount.as_str()), (0, "0.0000"));
    }

    #[test]
    fn per_second_billing_with_a_minimum() {
        let t = table(serde_json::json!({"currency": "USD", "increment_s": 1, "minimum_s": 30,
            "rates": [{"prefix": "1", "per_minute": "0.0600"}]}));
        let us = number("+12025550100");
        // 10 s → the 30 s minimum: 0.06 / 2.
        assert_eq!(t.price(&us, 10_000).unwrap().cost.amount, "0.0300");
        // 45.2 s → 46 s: 0.06 × 46 / 60 = 0.046.
        let priced = t.price(&us, 45_200).unwrap();
        assert_eq!((priced.billed_s, priced.cost.amount.as_str()), (46, "0.0460"));
    }

    #[test]
    fn rounding_is_exact_and_half_away_from_zero() {
        let t = table(serde_json::json!({"currency": "EUR", "increment_s": 1,
            "rates": [{"prefix": "34", "per_minute": "0.0001"}, {"prefix": "33", "per_minute": "0.000003"}]}));
        // 0.0001 × 30 / 60 = 0.00005 → 0.0001 (half away from zero), not 0.0000 as binary
        // floating point's 0.00004999... would give.
        assert_eq!(t.price(&number("+34910000001"), 30_000).unwrap().cost.amount, "0.0001");
        // 0.000003 × 1000 / 60 = 0.00005 exactly → 0.0001.
        assert_eq!(t.price(&number("+33100000001"), 1_000_000).unwrap().cost.amount, "0.0001");
        // A long call adds up exactly: 0.1 × 3 min is 0.3, never 0.30000000000000004.
        let t = table(serde_json::json!({"currency": "EUR", "increment_s": 60,
            "rates": [{"prefix": "34", "per_minute": "0.1"}]}));
        assert_eq!(t.price(&number("+34910000001"), 180_000).unwrap().cost.amount, "0.3000");
    }

    #[test]
    fn totals_are_exact_sums() {
        assert_eq!(sum_amounts(["0.1000", "0.2000", "0.0001"]).as_deref(), Some("0.3001"));
        assert_eq!(sum_amounts([]).as_deref(), Some("0.0000"));
        assert_eq!(sum_amounts(["0.1", "x"]), None);
    }

    #[test]
    fn a_bad_table_is_refused_naming_the_field() {
        let ok = |rates: serde_json::Value| serde_json::json!({"currency": "EUR", "rates": rates});
        assert_eq!(refused(serde_json::json!({"currency": "euro", "rates": []})), "currency");
        assert_eq!(
            refused(serde_json::json!({"currency": "EUR", "increment_s": 0, "rates": []})),
            "increment_s"
        );
        assert_eq!(
            refused(serde_json::json!({"currency": "EUR", "minimum_s": 7200, "rates": []})),
            "minimum_s"
        );
        for bad in ["", "+", "34a", "0034", "1234567890123456"] {
            assert_eq!(
                refused(ok(serde_json::json!([{"prefix": bad, "per_minute": "0.01"}]))),
                "rates[0].prefix"
            );
        }
        assert_eq!(
            refused(ok(
                serde_json::json!([{"prefix": "34", "per_minute": "0.01"}, {"prefix": "+34", "per_minute": "0.02"}])
            )),
            "rates[1].prefix"
        );
        for bad in [
            serde_json::json!(0.01),
            serde_json::json!("-0.01"),
            serde_json::json!("0.0000001"),
            serde_json::json!("1e3"),
            serde_json::json!("1001"),
            serde_json::json!("abc"),
        ] {
            assert_eq!(
                refused(ok(serde_json::json!([{"prefix": "34", "per_minute": bad}]))),
                "rates[0].per_minute"
            );
        }
        assert_eq!(refused(serde_json::json!({"currency": "EUR", "rates": [], "vat": 21})), "vat");
    }
}
