//! `GET /v1/usage`: what the account's calls cost over a period, per number and per user,
//! summed in exact decimals.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use centralita_domain::{Millis, NumberId, UserId, sum_amounts};
use serde::Serialize;

use crate::body::QueryParams;
use crate::{ApiError, AppState, Member};

/// The cost of a group of calls in one currency.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct UsageLine {
    /// The number (per-number lines), absent on user lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    number_id: Option<NumberId>,
    /// The agent who placed the calls (per-user lines), absent on number lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<UserId>,
    /// How many priced calls.
    calls: u64,
    /// Their total, a decimal string (e.g. `"0.1240"`).
    amount: String,
    /// ISO 4217.
    currency: String,
}

/// Usage over a period.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Usage {
    /// Every priced call, one line per currency.
    total: Vec<UsageLine>,
    /// Per number (calls on a number since deleted are in the total only).
    numbers: Vec<UsageLine>,
    /// Per agent, for the calls they placed.
    users: Vec<UsageLine>,
}

type Key = (Option<NumberId>, Option<UserId>, String);

fn lines(groups: BTreeMap<Key, Vec<String>>) -> Result<Vec<UsageLine>, ApiError> {
    groups
        .into_iter()
        .map(|((number_id, user_id, currency), amounts)| {
            let amount = sum_amounts(amounts.iter().map(String::as_str))
                .ok_or_else(|| ApiError::Internal("a stored cost is not a decimal".into()))?;
            Ok(UsageLine { number_id, user_id, calls: amounts.len() as u64, amount, currency })
        })
        .collect()
}

/// What the account's forwarded, transferred and outbound calls cost, by number and by user,
/// for the calls that started in `[since, until)`. Admins only.
#[utoipa::path(get, path = "/v1/usage", tag = "calls",
    params(
        ("since" = Option<String>, Query, format = DateTime, description = "Calls that started at or after"),
        ("until" = Option<String>, Query, format = DateTime, description = "Calls that started before"),
    ),
    responses((status = 200, body = Usage), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn usage(
    State(state): State<AppState>,
    member: Member,
    params: QueryParams,
) -> Result<Json<Usage>, ApiError> {
    member.require_admin()?;
    params.only(&["since", "until"])?;
    let since =
        params.get::<Millis>("since", "an RFC 3339 date-time, e.g. 2026-11-01T00:00:00Z")?;
    let until =
        params.get::<Millis>("until", "an RFC 3339 date-time, e.g. 2026-12-01T00:00:00Z")?;
    if let (Some(since), Some(until)) = (since, until)
        && until < since
    {
        return Err(ApiError::invalid("until", "must not be before since"));
    }
    let calls = state.store().priced_calls(member.account, since, until).await?;
    let (mut total, mut numbers, mut users) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for call in calls {
        let currency = call.cost.currency;
        let amount = call.cost.amount;
        total.entry((None, None, currency.clone())).or_insert_with(Vec::new).push(amount.clone());
        if let Some(number) = call.number_id {
            numbers
                .entry((Some(number), None, currency.clone()))
                .or_insert_with(Vec::new)
                .push(amount.clone());
        }
        if let Some(user) = call.user_id {
            users.entry((None, Some(user), currency)).or_insert_with(Vec::new).push(amount);
        }
    }
    Ok(Json(Usage { total: lines(total)?, numbers: lines(numbers)?, users: lines(users)? }))
}
