//! `POST /v1/numbers/{id}/simulate`: the dry run. What would a call arriving now go through,
//! and why? The real routing engine runs in simulated time on the number's current settings and
//! the agents as they are now (or as the request says they are).

use std::collections::{HashMap, HashSet};

use axum::Json;
use axum::extract::State;
use centralita_domain::{
    AccountId, CallEvent, Document, FieldError, Millis, NumberId, UserId, check_name,
};
use centralita_routing::simulate::{Scenario, ScriptStep, SimAgent, simulate};
use centralita_routing::{Agent, EngineConfig, NumberSnapshot, OutboundPolicy};
use centralita_store::{Account, Store, StoreError, Viewer};
use serde::{Deserialize, Serialize};

use crate::body::{JsonBody, PathId};
use crate::{ApiError, AppState, LiveState, Member};

/// Longest simulated time a script may name: one day.
const MAX_SCRIPT_MS: u32 = 86_400_000;
/// Most script steps and agent overrides a request may carry.
const MAX_ENTRIES: usize = 200;

/// An account's toll-fraud guard: its allowed prefixes (its country's by default) and its
/// limit on external legs (the server's, `server_max`, by default).
pub fn outbound_policy(account: &Account, server_max: Option<u32>) -> OutboundPolicy {
    OutboundPolicy {
        allowed_prefixes: account.destinations(),
        max_outbound_legs: account.max_outbound_legs.or(server_max),
    }
}

/// The scenario of a call arriving now at `number`: its settings, the account's IVRs, outbound
/// policy and audio lengths, and every user as `live` sees them (devices, busy). The web
/// page's dry-run panel uses it too, so both show the same thing.
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
    let policy = outbound_policy(&store.get_account(account).await?, config.max_outbound_legs);
    let mut scenario = Scenario::new(snapshot, config.with_policy(&policy));
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

/// `POST /v1/numbers/{id}/simulate` body; every field is optional and an empty body simulates
/// a call arriving now with the agents as they are.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SimulateRequest {
    /// The caller's number, for the timeline.
    #[serde(default)]
    from: Option<String>,
    /// Agents whose state the simulation should assume instead of their state now.
    #[serde(default)]
    agents: Vec<AgentState>,
    /// What happens during the call; by default nobody answers and the caller stays.
    #[serde(default)]
    script: Vec<ScriptEntry>,
    /// How long a conversation lasts once someone answers (default 60).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 86400)]
    talk_s: Option<u32>,
}

/// An agent's state for the simulation; fields left out keep the agent's state now.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AgentState {
    /// The agent.
    user_id: UserId,
    /// Their online switch.
    #[serde(default)]
    online: Option<bool>,
    /// Whether at least one of their phones is registered.
    #[serde(default)]
    registered: Option<bool>,
    /// Whether they are on another call when this one arrives.
    #[serde(default)]
    busy: Option<bool>,
}

/// Something that happens during the simulated call. `at_ms` counts from the arrival;
/// `after_ms` from each time the agent's phone starts ringing.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum ScriptEntry {
    /// The agent answers each offer after ringing this long.
    AgentAnswers { user_id: UserId, after_ms: u32 },
    /// The agent declines each offer after ringing this long.
    AgentDeclines { user_id: UserId, after_ms: u32 },
    /// The agent's phone fails each offer at once with this SIP status (400-699).
    AgentDeviceFails { user_id: UserId, status: u16 },
    /// The agent switches online or offline.
    AgentOnline { user_id: UserId, at_ms: u32, online: bool },
    /// The agent starts or ends another call.
    AgentBusy { user_id: UserId, at_ms: u32, busy: bool },
    /// The caller presses a key (0-9, *, #).
    CallerPresses { at_ms: u32, digit: String },
    /// The caller hangs up.
    CallerHangsUp { at_ms: u32 },
    /// Forwarded and transferred calls are answered after this long.
    ForwardAnswers { after_ms: u32 },
    /// Forwarded and transferred calls fail with this SIP status (400-699) after this long.
    ForwardFails { after_ms: u32, status: u16 },
}

impl Document for SimulateRequest {
    type Raw = Self;

    fn from_raw(raw: Self) -> Result<Self, FieldError> {
        if let Some(from) = &raw.from {
            check_name("from", from)?;
        }
        if raw.agents.len() > MAX_ENTRIES {
            return Err(FieldError::new("agents", format!("at most {MAX_ENTRIES} agents")));
        }
        if raw.script.len() > MAX_ENTRIES {
            return Err(FieldError::new("script", format!("at most {MAX_ENTRIES} steps")));
        }
        if raw.talk_s.is_some_and(|t| !(1..=86_400).contains(&t)) {
            return Err(FieldError::new("talk_s", "must be between 1 and 86400 seconds"));
        }
        for (i, entry) in raw.script.iter().enumerate() {
            entry.check().map_err(|(field, message)| {
                FieldError::new(format!("script[{i}].{field}"), message)
            })?;
        }
        Ok(raw)
    }
}

impl ScriptEntry {
    fn check(&self) -> Result<(), (&'static str, String)> {
        let time = |field, ms: u32| {
            if ms > MAX_SCRIPT_MS {
                Err((field, "must be at most 86400000 (one day)".to_owned()))
            } else {
                Ok(())
            }
        };
        let status = |status: u16| {
            if (400..=699).contains(&status) {
                Ok(())
            } else {
                Err(("status", "must be a SIP failure status, 400 to 699".to_owned()))
            }
        };
        match self {
            Self::AgentAnswers { after_ms, .. }
            | Self::AgentDeclines { after_ms, .. }
            | Self::ForwardAnswers { after_ms } => time("after_ms", *after_ms),
            Self::AgentDeviceFails { status: s, .. } => status(*s),
            Self::ForwardFails { after_ms, status: s } => {
                time("after_ms", *after_ms)?;
                status(*s)
            }
            Self::AgentOnline { at_ms, .. }
            | Self::AgentBusy { at_ms, .. }
            | Self::CallerHangsUp { at_ms } => time("at_ms", *at_ms),
            Self::CallerPresses { at_ms, digit } => {
                time("at_ms", *at_ms)?;
                match digit.as_bytes() {
                    [b'0'..=b'9' | b'*' | b'#'] => Ok(()),
                    _ => Err(("digit", "must be one key of the keypad: 0-9, * or #".to_owned())),
                }
            }
        }
    }

    fn user(&self) -> Option<UserId> {
        match self {
            Self::AgentAnswers { user_id, .. }
            | Self::AgentDeclines { user_id, .. }
            | Self::AgentDeviceFails { user_id, .. }
            | Self::AgentOnline { user_id, .. }
            | Self::AgentBusy { user_id, .. } => Some(*user_id),
            _ => None,
        }
    }

    fn step(&self) -> ScriptStep {
        match *self {
            Self::AgentAnswers { user_id: user, after_ms } => {
                ScriptStep::AgentAnswers { user, after_ms }
            }
            Self::AgentDeclines { user_id: user, after_ms } => {
                ScriptStep::AgentDeclines { user, after_ms }
            }
            Self::AgentDeviceFails { user_id: user, status } => {
                ScriptStep::AgentDeviceFails { user, status }
            }
            Self::AgentOnline { user_id: user, at_ms, online } => {
                ScriptStep::AgentOnline { at_ms, user, online }
            }
            Self::AgentBusy { user_id: user, at_ms, busy } => {
                ScriptStep::AgentBusy { at_ms, user, busy }
            }
            Self::CallerPresses { at_ms, ref digit } => {
                ScriptStep::CallerPresses { at_ms, digit: digit.chars().next().unwrap_or('?') }
            }
            Self::CallerHangsUp { at_ms } => ScriptStep::CallerHangsUp { at_ms },
            Self::ForwardAnswers { after_ms } => ScriptStep::ForwardAnswers { after_ms },
            Self::ForwardFails { after_ms, status } => {
                ScriptStep::ForwardFails { after_ms, status }
            }
        }
    }
}

/// The timeline a call would follow.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SimulationView {
    /// How the call would end: the `reason` of its `ended` event (`completed`, `voicemail`,
    /// `no_answer`, `busy`, ...).
    outcome: String,
    /// The simulation hit its time bound and hung the caller up itself.
    truncated: bool,
    /// Each moment something happens, in order.
    steps: Vec<StepView>,
    /// The same timeline in plain words, one line per event (`+30s ...`), agents by name.
    text: String,
}

/// One moment of the simulated call.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct StepView {
    /// Milliseconds since the arrival.
    at_ms: u64,
    /// What happened in the world (`arrival`, `timer`, `agent answers`, ...).
    cause: String,
    /// The history events this would write, with their reasons; their `at` is as if the call
    /// arrived at the moment of the request.
    events: Vec<CallEvent>,
    /// What the server would do, in words.
    actions: Vec<String>,
}

/// The dry run: the timeline a call arriving now would follow, with the reason for each step.
/// Agents are as they are now unless `agents` says otherwise; the `script` says what happens
/// during the call. Admins only.
#[utoipa::path(post, path = "/v1/numbers/{id}/simulate", tag = "numbers",
    request_body(content = SimulateRequest, description = "Optional; an empty body simulates a call arriving now"),
    params(("id" = String, Path, description = "Number id")),
    responses((status = 200, body = SimulationView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn simulate_number(
    State(state): State<AppState>,
    member: Member,
    PathId(id): PathId<NumberId>,
    body: JsonBody,
) -> Result<Json<SimulationView>, ApiError> {
    state.store().get_number(member.account, id, Viewer::Admin).await?;
    member.require_admin()?;
    let request: SimulateRequest = body.parse_or_default()?;
    let config = state.config().routing.clone();
    let mut scenario =
        build_scenario(state.store(), state.live(), member.account, id, config).await?;
    let known: HashSet<UserId> = scenario.agents.iter().map(|a| a.agent.user_id).collect();
    let mut seen = HashSet::new();
    for (i, state) in request.agents.iter().enumerate() {
        if !known.contains(&state.user_id) {
            return Err(FieldError::new(
                format!("agents[{i}].user_id"),
                "no such user in this account",
            )
            .into());
        }
        if !seen.insert(state.user_id) {
            return Err(FieldError::new(
                format!("agents[{i}].user_id"),
                "this user is listed twice",
            )
            .into());
        }
        let Some(sim) = scenario.agents.iter_mut().find(|a| a.agent.user_id == state.user_id)
        else {
            continue;
        };
        if let Some(online) = state.online {
            sim.agent.online_switch = online;
        }
        match state.registered {
            Some(false) => sim.agent.devices.clear(),
            Some(true) if sim.agent.devices.is_empty() => {
                sim.agent.devices.push(format!("sip:simulated-phone-{}@device.invalid", i + 1));
            }
            _ => {}
        }
        if let Some(busy) = state.busy {
            sim.busy = busy;
        }
    }
    for (i, entry) in request.script.iter().enumerate() {
        if entry.user().is_some_and(|u| !known.contains(&u)) {
            return Err(FieldError::new(
                format!("script[{i}].user_id"),
                "no such user in this account",
            )
            .into());
        }
        scenario.script.push(entry.step());
    }
    if let Some(from) = request.from {
        scenario.from = from;
    }
    if let Some(talk_s) = request.talk_s {
        scenario.talk_ms = talk_s * 1000;
    }
    let now = Millis(jiff::Timestamp::now().as_millisecond());
    let timeline =
        simulate(&scenario, now).map_err(|e| FieldError::new("script", e.to_string()))?;
    Ok(Json(SimulationView {
        text: timeline.to_string(),
        outcome: timeline.outcome,
        truncated: timeline.truncated,
        steps: timeline
            .steps
            .into_iter()
            .map(|s| StepView {
                at_ms: s.at_ms,
                cause: s.cause,
                events: s.events,
                actions: s.actions,
            })
            .collect(),
    }))
}
