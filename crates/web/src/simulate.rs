//! "What happens if someone calls now?": the dry run of a number's settings, with the account's
//! agents as they are now.
//!
//! [`build_scenario`] gathers what the routing engine needs from the store (the number, its
//! settings, the IVRs, the users with their online switch and the audio durations) and from the
//! call layer (devices, who is busy). It is public so that the REST endpoint
//! `POST /v1/numbers/{id}/simulate` can reuse it; [`centralita_routing::simulate::simulate`]
//! does the rest, with the real engine.

use std::collections::HashMap;

use centralita_api::LiveState;
use centralita_domain::{AccountId, Millis, NumberId};
use centralita_routing::simulate::{Scenario, SimAgent, Timeline, simulate};
use centralita_routing::{Agent, EngineConfig, NumberSnapshot};
use centralita_store::{Store, StoreError, Viewer};

use crate::WebState;

/// The scenario of a call arriving now at `number`, with the agents as `live` sees them.
pub async fn build_scenario(
    store: &Store,
    live: &dyn LiveState,
    account: AccountId,
    number: NumberId,
    config: EngineConfig,
) -> Result<Scenario, StoreError> {
    let found = store.get_number(account, number, Viewer::Admin).await?;
    let settings = store.get_settings(account, number).await?;
    let ivrs = store.list_ivrs(account).await?.into_iter().map(|i| (i.id, i.document)).collect();
    let snapshot = NumberSnapshot { number_id: number, e164: found.e164, settings, ivrs };
    let mut scenario = Scenario::new(snapshot, config);
    for (order, user) in store.list_users(account).await?.into_iter().enumerate() {
        let devices = live.devices(user.id).into_iter().map(|d| d.contact).collect();
        scenario.agents.push(SimAgent {
            agent: Agent {
                user_id: user.id,
                online_switch: user.online_switch,
                devices,
                last_answered_at: user.last_answered_at,
                created_order: order as u64,
            },
            busy: live.is_busy(user.id),
            name: Some(user.name),
        });
    }
    scenario.audio_ms = store
        .list_audio(account)
        .await?
        .into_iter()
        .map(|a| (a.id, u32::try_from(a.duration_ms).unwrap_or(u32::MAX)))
        .collect::<HashMap<_, _>>();
    Ok(scenario)
}

/// The dry run shown on a number's page; the refusal is in words.
pub(crate) async fn dry_run(
    state: &WebState,
    account: AccountId,
    number: NumberId,
    now: Millis,
) -> Result<Timeline, String> {
    let config = EngineConfig {
        ring_timeout_s: state.config().default_ring_timeout_s,
        max_wait_s: state.config().default_max_wait_s,
        ..EngineConfig::default()
    };
    let scenario = build_scenario(state.store(), state.live(), account, number, config)
        .await
        .map_err(|e| e.to_string())?;
    simulate(&scenario, now).map_err(|e| e.to_string())
}
