//! "What happens if someone calls now?": the dry run of a number's settings, with the account's
//! agents as they are now.
//!
//! The scenario is gathered by [`centralita_api::build_scenario`], the same as the REST endpoint
//! `POST /v1/numbers/{id}/simulate`, so the page and the API never disagree;
//! [`centralita_routing::simulate::simulate`] does the rest, with the real engine.

use centralita_api::build_scenario;
use centralita_domain::{AccountId, Millis, NumberId};
use centralita_routing::simulate::{Timeline, simulate};

use crate::WebState;

/// The dry run shown on a number's page; the refusal is in words.
pub(crate) async fn dry_run(
    state: &WebState,
    account: AccountId,
    number: NumberId,
    now: Millis,
) -> Result<Timeline, String> {
    let config = state.config().routing.clone();
    let scenario = build_scenario(state.store(), state.live(), account, number, config)
        .await
        .map_err(|e| e.to_string())?;
    simulate(&scenario, now).map_err(|e| e.to_string())
}
