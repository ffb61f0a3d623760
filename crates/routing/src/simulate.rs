//! The dry run behind `POST /v1/numbers/{id}/simulate`: what a call arriving now would go
//! through, step by step, with the reason for each decision.
//!
//! It is the real [`Engine`] run in simulated time, not a second implementation: a fresh
//! engine gets the scenario's agents and one call, and this module plays the driver, carrying
//! out each command the way the scenario says the world behaves. Defaults: agents never answer,
//! the caller stays (silent in a voicemail, so the silence ends it), prompts last what
//! [`Scenario::audio_ms`] says (5 s when it does not say), the beep lasts
//! [`BEEP_MS`], an external number answers after [`FORWARD_ANSWER_MS`], and a conversation
//! lasts [`Scenario::talk_ms`] and then the caller hangs up. When a scripted input and a
//! timer fall on the same instant, the scripted input comes first.
//!
//! A run always ends: simulated time is bounded by the max wait plus [`SLACK_MS`] after the
//! last scripted input, and the number of inputs by [`MAX_INPUTS`]; past either bound the
//! caller hangs up and the timeline is marked `truncated`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use centralita_domain::{AudioId, CallEvent, CallId, EventKind, Incoming, Millis, UserId};
use serde::Serialize;

use crate::{
    Agent, Command, Engine, EngineConfig, ForwardOutcome, MediaEvent, NumberSnapshot, OfferOutcome,
    Party, Tone, VoicemailEnd, describe_event,
};

/// How long the voicemail beep lasts in a simulation.
pub const BEEP_MS: i64 = 500;
/// How long a prompt lasts when the scenario does not give its duration.
pub const DEFAULT_AUDIO_MS: u32 = 5_000;
/// When an external number answers a forward or transfer, unless the script says otherwise.
pub const FORWARD_ANSWER_MS: u32 = 5_000;
/// Simulated time allowed past the max wait and the last scripted input.
pub const SLACK_MS: i64 = 600_000;
/// Most inputs one simulation feeds the engine.
pub const MAX_INPUTS: usize = 10_000;

/// A call to simulate, and how the world behaves around it.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The number, as a real call would see it.
    pub number: NumberSnapshot,
    /// The account's agents, with their state now (or as the request gave it).
    pub agents: Vec<SimAgent>,
    /// The engine's settings (the server's `[routing]` defaults).
    pub config: EngineConfig,
    /// The caller.
    pub from: String,
    /// Duration of each audio message, in milliseconds (the API knows them from uploads).
    pub audio_ms: HashMap<AudioId, u32>,
    /// What happens, beyond the defaults.
    pub script: Vec<ScriptStep>,
    /// How long a connected conversation lasts before the caller hangs up.
    pub talk_ms: u32,
}

impl Scenario {
    /// A scenario with no agent, no script and a one-minute conversation.
    pub fn new(number: NumberSnapshot, config: EngineConfig) -> Self {
        Self {
            number,
            agents: Vec::new(),
            config,
            from: "anonymous".to_owned(),
            audio_ms: HashMap::new(),
            script: Vec::new(),
            talk_ms: 60_000,
        }
    }
}

/// One agent of a scenario.
#[derive(Debug, Clone)]
pub struct SimAgent {
    /// The agent as the engine sees it.
    pub agent: Agent,
    /// A name for the timeline (the id is used when absent).
    pub name: Option<String>,
    /// On a call the engine does not manage when the simulation starts.
    pub busy: bool,
}

/// Something that happens during the simulated call. `at_ms` counts from the arrival;
/// `after_ms` from the moment the agent's phone starts ringing (every time it does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptStep {
    /// The agent answers each offer after ringing this long.
    AgentAnswers {
        /// Who.
        user: UserId,
        /// After how long.
        after_ms: u32,
    },
    /// The agent declines each offer after ringing this long.
    AgentDeclines {
        /// Who.
        user: UserId,
        /// After how long.
        after_ms: u32,
    },
    /// Every offer to the agent fails at once with this status.
    AgentDeviceFails {
        /// Who.
        user: UserId,
        /// The status.
        status: u16,
    },
    /// The agent switches online or offline.
    AgentOnline {
        /// When.
        at_ms: u32,
        /// Who.
        user: UserId,
        /// The switch.
        online: bool,
    },
    /// The agent starts or ends a call the engine does not manage.
    AgentBusy {
        /// When.
        at_ms: u32,
        /// Who.
        user: UserId,
        /// Busy or free.
        busy: bool,
    },
    /// The caller presses a key.
    CallerPresses {
        /// When.
        at_ms: u32,
        /// The key.
        digit: char,
    },
    /// The caller hangs up.
    CallerHangsUp {
        /// When.
        at_ms: u32,
    },
    /// Forwarded and transferred legs answer after this long (instead of the default).
    ForwardAnswers {
        /// After how long.
        after_ms: u32,
    },
    /// Forwarded and transferred legs fail with this status after this long.
    ForwardFails {
        /// After how long.
        after_ms: u32,
        /// The status.
        status: u16,
    },
}

/// A scenario that cannot be simulated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimulateError {
    /// The script names an agent the scenario does not list.
    #[error("the script names user {0}, who is not among the scenario's agents")]
    UnknownAgent(UserId),
    /// The script presses something that is not a key of the keypad.
    #[error("{0:?} is not a key of the keypad (0-9, *, #)")]
    InvalidDigit(char),
}

/// What the call went through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Timeline {
    /// Each moment something happened, in order.
    pub steps: Vec<Step>,
    /// The `reason` of the `ended` event (`completed`, `voicemail`, ...).
    pub outcome: String,
    /// The run hit a bound and the caller was hung up by the simulation.
    pub truncated: bool,
    /// The agents' names, for the text form (the JSON keeps ids, which clients resolve).
    #[serde(skip)]
    pub names: HashMap<UserId, String>,
}

/// One input to the engine and what came out of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Milliseconds since the arrival.
    pub at_ms: u64,
    /// What happened in the world (or "timer" when the engine's own timer fired).
    pub cause: String,
    /// The history events, with their reasons.
    pub events: Vec<CallEvent>,
    /// The engine's commands, in words.
    pub actions: Vec<String>,
}

impl fmt::Display for Timeline {
    // One line per event and action, `+12.5s` from the arrival: what an admin reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.steps {
            let at = step.at_ms as f64 / 1000.0;
            for event in &step.events {
                let words = describe_event(event, &|u| {
                    self.names.get(u).cloned().unwrap_or_else(|| u.to_string())
                });
                writeln!(f, "+{at}s {words}")?;
            }
            for action in &step.actions {
                writeln!(f, "+{at}s   -> {action}")?;
            }
        }
        if self.truncated {
            writeln!(f, "(stopped by the simulation's time bound)")?;
        }
        Ok(())
    }
}

/// An input the simulation will feed the engine.
#[derive(Debug, Clone)]
enum Input {
    Offer { user: UserId, generation: u64, outcome: OfferOutcome },
    Media { generation: u64, event: MediaEvent },
    Forward(ForwardOutcome),
    Hangup(Party),
    Online { user: UserId, online: bool },
    Busy { user: UserId, busy: bool },
}

/// The call id of every simulation: there is only one call.
const CALL: CallId = CallId::from_uuid(uuid::Uuid::nil());

/// Runs the scenario from `now` (the arrival) to the end of the call.
pub fn simulate(scenario: &Scenario, now: Millis) -> Result<Timeline, SimulateError> {
    let mut sim = Sim::new(scenario, now)?;
    sim.run();
    Ok(sim.finish())
}

struct Sim<'a> {
    scenario: &'a Scenario,
    engine: Engine,
    start: Millis,
    now: Millis,
    names: HashMap<UserId, String>,
    agents: HashMap<UserId, Agent>,
    /// Inputs to come, by time then order of scheduling.
    pending: BTreeMap<(Millis, u64), Input>,
    next_order: u64,
    /// Bumped whenever what plays to the caller changes, so that a replaced prompt's end
    /// is not reported.
    media_generation: u64,
    /// Bumped per agent whenever an offer starts or stops, so that a cancelled offer's
    /// scripted answer is not delivered.
    offer_generation: HashMap<UserId, u64>,
    steps: Vec<Step>,
    outcome: Option<String>,
    truncated: bool,
    limit: Millis,
}

impl<'a> Sim<'a> {
    fn new(scenario: &'a Scenario, now: Millis) -> Result<Self, SimulateError> {
        let mut engine = Engine::new(scenario.config.clone());
        let mut names = HashMap::new();
        let mut agents = HashMap::new();
        for sim_agent in &scenario.agents {
            let user = sim_agent.agent.user_id;
            names.insert(user, sim_agent.name.clone().unwrap_or_else(|| user.to_string()));
            agents.insert(user, sim_agent.agent.clone());
            engine.handle_agent(now, sim_agent.agent.clone());
            if sim_agent.busy {
                engine.handle_agent_busy_elsewhere(now, user, true);
            }
        }
        let max_wait_s = match &scenario.number.settings.incoming {
            Incoming::Receive { max_wait_s: Some(s), .. } => *s,
            _ => scenario.config.max_wait_s,
        };
        let mut last_scripted = 0;
        let mut sim = Self {
            scenario,
            engine,
            start: now,
            now,
            names,
            agents,
            pending: BTreeMap::new(),
            next_order: 0,
            media_generation: 0,
            offer_generation: HashMap::new(),
            steps: Vec::new(),
            outcome: None,
            truncated: false,
            limit: now,
        };
        for step in &scenario.script {
            let user = match step {
                ScriptStep::AgentAnswers { user, .. }
                | ScriptStep::AgentDeclines { user, .. }
                | ScriptStep::AgentDeviceFails { user, .. }
                | ScriptStep::AgentOnline { user, .. }
                | ScriptStep::AgentBusy { user, .. } => Some(*user),
                _ => None,
            };
            if let Some(user) = user
                && !sim.agents.contains_key(&user)
            {
                return Err(SimulateError::UnknownAgent(user));
            }
            let (at, input) = match *step {
                ScriptStep::AgentOnline { at_ms, user, online } => {
                    (at_ms, Input::Online { user, online })
                }
                ScriptStep::AgentBusy { at_ms, user, busy } => (at_ms, Input::Busy { user, busy }),
                ScriptStep::CallerPresses { at_ms, digit } => {
                    if centralita_domain::DigitKey::new(digit).is_none() {
                        return Err(SimulateError::InvalidDigit(digit));
                    }
                    // Digits reach the engine whatever plays; the generation is not checked.
                    (at_ms, Input::Media { generation: u64::MAX, event: MediaEvent::Digit(digit) })
                }
                ScriptStep::CallerHangsUp { at_ms } => (at_ms, Input::Hangup(Party::Caller)),
                _ => continue,
            };
            last_scripted = last_scripted.max(at);
            sim.schedule(i64::from(at), input);
        }
        sim.limit =
            Millis(now.0 + i64::from(max_wait_s) * 1000 + i64::from(last_scripted) + SLACK_MS);
        Ok(sim)
    }

    fn schedule(&mut self, after_ms: i64, input: Input) {
        let at = Millis(self.now.0 + after_ms);
        self.pending.insert((at, self.next_order), input);
        self.next_order += 1;
    }

    fn name(&self, user: &UserId) -> String {
        self.names.get(user).cloned().unwrap_or_else(|| user.to_string())
    }

    fn run(&mut self) {
        let number = self.scenario.number.clone();
        self.engine.handle_call(self.now, CALL, number, self.scenario.from.clone());
        self.collect("call arrives".to_owned());
        for _ in 0..MAX_INPUTS {
            if self.outcome.is_some() {
                return;
            }
            let input_at = self.pending.first_key_value().map(|((at, _), _)| *at);
            let timer_at = self.engine.poll_timeout();
            let next = match (input_at, timer_at) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) => a,
                (None, Some(b)) => b,
                // Nothing will ever happen again: the caller would wait for ever.
                (None, None) => break,
            };
            if next > self.limit {
                self.now = self.limit;
                break;
            }
            self.now = next;
            if input_at.is_some_and(|a| a <= next) {
                if let Some((_, input)) = self.pending.pop_first() {
                    let cause = self.feed(input);
                    if let Some(cause) = cause {
                        self.collect(cause);
                    }
                }
            } else {
                self.engine.handle_timeout(self.now);
                self.collect("timer".to_owned());
            }
        }
        if self.outcome.is_none() {
            self.truncated = true;
            self.engine.handle_hangup(self.now, CALL, Party::Caller);
            self.collect("the simulation ends: the caller hangs up".to_owned());
        }
    }

    /// Feeds one input; `None` when it no longer applies (a stale prompt end or answer).
    fn feed(&mut self, input: Input) -> Option<String> {
        let now = self.now;
        match input {
            Input::Offer { user, generation, outcome } => {
                if self.offer_generation.get(&user) != Some(&generation) {
                    return None;
                }
                let name = self.name(&user);
                let cause = match &outcome {
                    OfferOutcome::Answered { .. } => format!("{name} answers"),
                    OfferOutcome::Declined => format!("{name} declines"),
                    OfferOutcome::Failed { status } => format!("{name}'s phone fails ({status})"),
                    OfferOutcome::Ringing => format!("{name}'s phone rings"),
                };
                self.engine.handle_offer(now, CALL, user, outcome);
                Some(cause)
            }
            Input::Media { generation, event } => {
                if generation != u64::MAX && generation != self.media_generation {
                    return None;
                }
                let cause = match event {
                    MediaEvent::PromptFinished => "the audio ends".to_owned(),
                    MediaEvent::ToneFinished => "the beep ends".to_owned(),
                    MediaEvent::Digit(d) => format!("the caller presses {d}"),
                    MediaEvent::VoicemailEnded { reason: VoicemailEnd::Silence } => {
                        "the caller stays silent".to_owned()
                    }
                    MediaEvent::VoicemailEnded { .. } => "the recording ends".to_owned(),
                };
                self.engine.handle_media(now, CALL, event);
                Some(cause)
            }
            Input::Forward(outcome) => {
                let cause = match outcome {
                    ForwardOutcome::Answered => "the external number answers".to_owned(),
                    ForwardOutcome::Failed { status } => {
                        format!("the external number fails ({status})")
                    }
                };
                self.engine.handle_forward(now, CALL, outcome);
                Some(cause)
            }
            Input::Hangup(party) => {
                self.engine.handle_hangup(now, CALL, party);
                Some(match party {
                    Party::Caller => "the caller hangs up".to_owned(),
                    Party::Callee => "the other party hangs up".to_owned(),
                })
            }
            Input::Online { user, online } => {
                let agent = self.agents.get_mut(&user)?;
                agent.online_switch = online;
                let agent = agent.clone();
                self.engine.handle_agent(now, agent);
                let state = if online { "online" } else { "offline" };
                Some(format!("{} switches {state}", self.name(&user)))
            }
            Input::Busy { user, busy } => {
                self.engine.handle_agent_busy_elsewhere(now, user, busy);
                let state = if busy { "starts another call" } else { "ends their other call" };
                Some(format!("{} {state}", self.name(&user)))
            }
        }
    }

    /// Drains the engine into a step, and plays the world's part for each command.
    fn collect(&mut self, cause: String) {
        let mut step = Step {
            at_ms: u64::try_from(self.now.0 - self.start.0).unwrap_or(0),
            cause,
            events: Vec::new(),
            actions: Vec::new(),
        };
        while let Some((_, event)) = self.engine.poll_event() {
            if let EventKind::Ended { .. } = event.kind {
                self.outcome = Some(event.reason.clone().unwrap_or_default());
            }
            step.events.push(event);
        }
        while let Some(command) = self.engine.poll_command() {
            step.actions.push(command.describe(&|u| self.name(u)));
            self.react(command);
        }
        if !step.events.is_empty() || !step.actions.is_empty() {
            self.steps.push(step);
        }
    }

    fn react(&mut self, command: Command) {
        match command {
            Command::PlayAudio { audio, .. } => {
                self.media_generation += 1;
                let ms = self.scenario.audio_ms.get(&audio).copied().unwrap_or(DEFAULT_AUDIO_MS);
                let input = Input::Media {
                    generation: self.media_generation,
                    event: MediaEvent::PromptFinished,
                };
                self.schedule(i64::from(ms), input);
            }
            Command::PlayTone { tone, .. } => {
                self.media_generation += 1;
                if tone == Tone::Beep {
                    let input = Input::Media {
                        generation: self.media_generation,
                        event: MediaEvent::ToneFinished,
                    };
                    self.schedule(BEEP_MS, input);
                }
            }
            Command::StopMedia { .. } => self.media_generation += 1,
            Command::RecordVoicemail { silence_s, .. } => {
                self.media_generation += 1;
                let event = MediaEvent::VoicemailEnded { reason: VoicemailEnd::Silence };
                let input = Input::Media { generation: self.media_generation, event };
                self.schedule(i64::from(silence_s) * 1000, input);
            }
            Command::Offer { user, .. } => {
                let generation = self.offer_generation.entry(user).or_default();
                *generation += 1;
                let generation = *generation;
                if let Some((after_ms, outcome)) = self.reaction(user) {
                    self.schedule(i64::from(after_ms), Input::Offer { user, generation, outcome });
                }
            }
            Command::CancelOffer { user, .. } => {
                *self.offer_generation.entry(user).or_default() += 1;
            }
            Command::Connect { .. } => {
                self.schedule(i64::from(self.scenario.talk_ms), Input::Hangup(Party::Caller));
            }
            Command::Forward { .. } => {
                let (after_ms, outcome) = self.forward_reaction();
                self.schedule(i64::from(after_ms), Input::Forward(outcome));
                if outcome == ForwardOutcome::Answered {
                    let talk = i64::from(after_ms) + i64::from(self.scenario.talk_ms);
                    self.schedule(talk, Input::Hangup(Party::Caller));
                }
            }
            _ => {}
        }
    }

    /// How the agent's phone reacts to an offer, from the script.
    fn reaction(&self, user: UserId) -> Option<(u32, OfferOutcome)> {
        self.scenario.script.iter().find_map(|step| match *step {
            ScriptStep::AgentAnswers { user: u, after_ms } if u == user => {
                let device = self.agents.get(&user)?.devices.first()?.clone();
                Some((after_ms, OfferOutcome::Answered { device }))
            }
            ScriptStep::AgentDeclines { user: u, after_ms } if u == user => {
                Some((after_ms, OfferOutcome::Declined))
            }
            ScriptStep::AgentDeviceFails { user: u, status } if u == user => {
                Some((0, OfferOutcome::Failed { status }))
            }
            _ => None,
        })
    }

    fn forward_reaction(&self) -> (u32, ForwardOutcome) {
        self.scenario
            .script
            .iter()
            .find_map(|step| match *step {
                ScriptStep::ForwardAnswers { after_ms } => {
                    Some((after_ms, ForwardOutcome::Answered))
                }
                ScriptStep::ForwardFails { after_ms, status } => {
                    Some((after_ms, ForwardOutcome::Failed { status }))
                }
                _ => None,
            })
            .unwrap_or((FORWARD_ANSWER_MS, ForwardOutcome::Answered))
    }

    fn finish(self) -> Timeline {
        Timeline {
            steps: self.steps,
            outcome: self.outcome.unwrap_or_default(),
            truncated: self.truncated,
            names: self.names,
        }
    }
}
