//! The engine: every call of one account and every agent of it, driven by `handle_*` inputs
//! with the current time and drained through `poll_*` outputs.
//!
//! Cost per input: hash lookups for the call and agents involved, O(log n) per timer, and at
//! the agent stage O(eligible agents) to choose whom to ring. When an agent becomes available,
//! the calls waiting for that agent are found through a per-agent index ordered by arrival, so
//! no input scans all calls or all agents.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::ops::Bound;

use centralita_domain::{
    AudioId, CallEvent, CallId, Distribution, E164, EventKind, HangupBy, Incoming, IvrAction,
    IvrId, Millis, OfflineAction, UserId,
};

use crate::call::{Call, IvrState, Offer, Stage};
use crate::command::{Command, EndReason, ForwardKind, Tone, VOICEDROP_CODE};
use crate::config::EngineConfig;
use crate::input::{
    Agent, ForwardOutcome, MediaEvent, NumberSnapshot, OfferOutcome, Party, VoicemailEnd,
};
use crate::rng::Rng;
use crate::timers::{TimerKind, Timers};

/// How many IVR menus one call may enter. The store refuses sub-menu cycles, but an
/// `on_no_input` that enters a menu again needs no cycle to loop; this bounds it.
const MAX_MENUS_PER_CALL: u32 = 16;

/// Seconds the engine waits past `voicemail_max_s` for `VoicemailEnded` before it hangs up by
/// itself, so that a lost media event cannot keep a call forever.
const VOICEMAIL_GUARD_S: u32 = 10;

/// The routing engine of one account. See the crate documentation for the rules it applies.
#[derive(Debug)]
pub struct Engine {
    config: EngineConfig,
    agents: HashMap<UserId, AgentState>,
    calls: HashMap<CallId, Call>,
    /// For each agent, the calls that would take that agent now, oldest first: the queue.
    waiting_by_user: HashMap<UserId, BTreeSet<(u64, CallId)>>,
    timers: Timers,
    rng: Rng,
    next_seq: u64,
    out: Out,
    /// Agents who became available during the current input; offered to waiting calls at its end.
    freed: Vec<UserId>,
    /// Calls that may need an agent (again) at the end of the current input, oldest first.
    to_hunt: BTreeSet<(u64, CallId)>,
    /// Reused buffer of candidate agents, so that choosing an agent does not allocate.
    scratch: Vec<UserId>,
}

/// The engine's view of one agent.
#[derive(Debug)]
struct AgentState {
    online_switch: bool,
    devices: Vec<String>,
    last_answered_at: Option<Millis>,
    created_order: u64,
    /// On a call the engine does not manage (an outbound call).
    busy_elsewhere: bool,
    /// Ringing for, or talking on, one of the engine's calls: at most one at a time.
    engaged: Option<(CallId, Engagement)>,
    /// Removed by the driver while talking: forgotten when that call ends.
    removed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engagement {
    Ringing,
    Talking,
}

impl AgentState {
    fn online(&self) -> bool {
        self.online_switch && !self.devices.is_empty() && !self.removed
    }

    fn available(&self) -> bool {
        self.online() && !self.busy_elsewhere && self.engaged.is_none()
    }
}

/// The output queues.
#[derive(Debug, Default)]
struct Out {
    commands: VecDeque<Command>,
    events: VecDeque<(CallId, CallEvent)>,
}

impl Out {
    fn cmd(&mut self, command: Command) {
        self.commands.push_back(command);
    }

    fn event(
        &mut self,
        id: CallId,
        call: &mut Call,
        at: Millis,
        kind: EventKind,
        reason: Option<String>,
    ) {
        let reason = match (call.carry_reason.take(), reason) {
            (Some(carried), Some(reason)) => Some(format!("{carried}; {reason}")),
            (carried, reason) => carried.or(reason),
        };
        self.events.push_back((id, CallEvent { at, reason, kind }));
    }

    /// Opens the caller's media without answering, if nothing has opened it yet.
    fn open_media(&mut self, id: CallId, call: &mut Call) {
        if !call.media_open {
            call.media_open = true;
            self.cmd(Command::EarlyMedia { call: id });
        }
    }

    fn answer(&mut self, id: CallId, call: &mut Call) {
        if !call.answered {
            call.answered = true;
            call.media_open = true;
            self.cmd(Command::Answer { call: id });
        }
    }

    fn digits(&mut self, id: CallId, call: &mut Call, enabled: bool) {
        if call.collecting != enabled {
            call.collecting = enabled;
            self.cmd(Command::CollectDigits { call: id, enabled });
        }
    }
}

fn count_online(agents: &HashMap<UserId, AgentState>, users: &[UserId]) -> usize {
    users.iter().filter(|u| agents.get(*u).is_some_and(AgentState::online)).count()
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn ms(s: u32) -> i64 {
    i64::from(s) * 1000
}

fn after(now: Millis, ms: i64) -> Millis {
    Millis(now.0.saturating_add(ms))
}

impl Engine {
    /// An engine with no agent and no call.
    pub fn new(config: EngineConfig) -> Self {
        Self {
            rng: Rng::new(config.seed),
            config,
            agents: HashMap::new(),
            calls: HashMap::new(),
            waiting_by_user: HashMap::new(),
            timers: Timers::default(),
            next_seq: 0,
            out: Out::default(),
            freed: Vec::new(),
            to_hunt: BTreeSet::new(),
            scratch: Vec::new(),
        }
    }

    // ---------------------------------------------------------------- inputs: agents

    /// Adds an agent or updates what changed: presence switch, devices, last answer.
    ///
    /// An agent who goes offline while ringing stops ringing (`no_answer`, "agent went
    /// offline"); a call talking with them goes on. An agent who becomes available is offered
    /// the oldest waiting call they may take.
    pub fn handle_agent(&mut self, now: Millis, agent: Agent) {
        let user = agent.user_id;
        let (was_online, was_available) = self.agent_flags(&user);
        let state = self.agents.entry(user).or_insert(AgentState {
            online_switch: false,
            devices: Vec::new(),
            last_answered_at: None,
            created_order: agent.created_order,
            busy_elsewhere: false,
            engaged: None,
            removed: false,
        });
        state.online_switch = agent.online_switch;
        state.devices = agent.devices;
        // The engine records answers itself; a driver that reloads an older value must not
        // make an agent look idler than they are.
        state.last_answered_at = state.last_answered_at.max(agent.last_answered_at);
        state.created_order = agent.created_order;
        state.removed = false;
        self.agent_changed(now, user, was_online, was_available, "agent went offline");
        self.settle(now);
    }

    /// Forgets an agent (user deleted). Like going offline; a call they are talking on goes on.
    pub fn handle_agent_removed(&mut self, now: Millis, user: UserId) {
        let (was_online, was_available) = self.agent_flags(&user);
        let Some(state) = self.agents.get_mut(&user) else { return };
        state.removed = true;
        // A removed agent is unknown: nothing of their state may outlive a re-add.
        state.busy_elsewhere = false;
        self.agent_changed(now, user, was_online, was_available, "agent removed");
        if let Some(state) = self.agents.get(&user)
            && state.engaged.is_none()
        {
            self.agents.remove(&user);
        }
        self.settle(now);
    }

    /// The agent is (or no longer is) on a call the engine does not manage, e.g. an outbound
    /// call. A busy agent is never offered a call; one ringing for a call stops ringing.
    /// Unknown (or removed) agents are ignored: the driver sends `handle_agent` first.
    pub fn handle_agent_busy_elsewhere(&mut self, now: Millis, user: UserId, busy: bool) {
        let (_, was_available) = self.agent_flags(&user);
        let Some(state) = self.agents.get_mut(&user).filter(|a| !a.removed) else { return };
        state.busy_elsewhere = busy;
        if busy {
            self.withdraw_offer(now, user, "agent started another call");
        } else if !was_available && self.agent_flags(&user).1 {
            self.freed.push(user);
        }
        self.settle(now);
    }

    // ---------------------------------------------------------------- inputs: calls

    /// A call arrived at a number. `from` is the caller as the trunk gave it. A call id the
    /// engine already routes is ignored (the SIP layer absorbs retransmissions).
    pub fn handle_call(&mut self, now: Millis, call: CallId, number: NumberSnapshot, from: String) {
        if self.calls.contains_key(&call) {
            return;
        }
        let (ring_s, max_wait_s, distribution) = match &number.settings.incoming {
            Incoming::Receive { distribution, ring_timeout_s, max_wait_s, .. } => (
                ring_timeout_s.unwrap_or(self.config.ring_timeout_s),
                max_wait_s.unwrap_or(self.config.max_wait_s),
                *distribution,
            ),
            Incoming::Forward { .. } | Incoming::Reject { .. } => {
                (self.config.ring_timeout_s, self.config.max_wait_s, Distribution::Random)
            }
        };
        let ivr = number.settings.ivr_id;
        let to = number.e164.to_string();
        let mut state = Call::new(self.next_seq, number, now, ms(ring_s), max_wait_s, distribution);
        self.next_seq += 1;
        self.out.event(call, &mut state, now, EventKind::Arrived { from, to }, None);
        self.calls.insert(call, state);
        match ivr {
            Some(ivr) => self.enter_ivr(now, call, ivr),
            None => self.route_incoming(now, call, None),
        }
        self.settle(now);
    }

    /// The account's outbound policy changed: calls from now on follow the new one.
    pub fn set_policy(&mut self, policy: &crate::OutboundPolicy) {
        self.config = self.config.clone().with_policy(policy);
    }

    /// An agent's device dials `to` with `number` as caller ID: the agent is busy until the
    /// call ends, and the lead is called over the trunk (within the toll-fraud guard). `how`
    /// is the reason of the `arrived` event (dialled on the phone, click-to-call).
    pub fn handle_outbound(
        &mut self,
        now: Millis,
        call: CallId,
        number: NumberSnapshot,
        user: UserId,
        to: E164,
        how: &str,
    ) {
        if self.calls.contains_key(&call) {
            return;
        }
        let from = number.e164.to_string();
        let mut state = Call::new(
            self.next_seq,
            number,
            now,
            ms(self.config.ring_timeout_s),
            self.config.max_wait_s,
            Distribution::Random,
        );
        state.outbound_user = Some(user);
        self.next_seq += 1;
        let arrived = EventKind::Arrived { from, to: to.to_string() };
        self.out.event(call, &mut state, now, arrived, Some(how.to_owned()));
        self.calls.insert(call, state);
        if let Some(agent) = self.agents.get_mut(&user) {
            agent.engaged = Some((call, Engagement::Talking));
        }
        self.forward(now, call, ForwardKind::Outbound, to, None);
        self.settle(now);
    }

    /// The agent of the connected outbound call `call` sends its voicedrop `audio`: the lead
    /// hears the message, the agent is released at once (free for the next call), and the
    /// call ends when the message has played. The refusal says why in words.
    pub fn handle_voicedrop(
        &mut self,
        now: Millis,
        call: CallId,
        audio: AudioId,
    ) -> Result<(), &'static str> {
        let Some(state) = self.calls.get_mut(&call) else {
            return Err("the call is not in progress");
        };
        let Some(user) = state.outbound_user else {
            return Err("voicedrop is for outbound calls only");
        };
        if state.stage != Stage::Connected(None) {
            return Err("the lead has not answered");
        }
        state.stage = Stage::Voicedrop;
        state.outbound_user = None;
        self.out.digits(call, state, false);
        let event = EventKind::Voicedrop { audio_id: audio };
        self.out.event(call, state, now, event, Some("sent by the agent".into()));
        self.out.cmd(Command::Voicedrop { call, audio });
        self.release(user, call);
        self.settle(now);
        Ok(())
    }

    /// What happened to one agent's offer. An answer to an offer the engine no longer has
    /// (cancelled, or the call already connected or ended) gives `DropLateAnswer`; other
    /// outcomes of such offers are ignored.
    pub fn handle_offer(&mut self, now: Millis, call: CallId, user: UserId, outcome: OfferOutcome) {
        let index = self.calls.get(&call).and_then(|c| c.offer_of(&user));
        match (index, outcome) {
            (Some(index), OfferOutcome::Answered { device }) => {
                self.agent_answered(now, call, index, device);
            }
            (Some(index), OfferOutcome::Declined) => {
                let reason = "declined on the phone".to_owned();
                self.end_offer(now, call, index, OfferEnd::Rejected(reason), true);
            }
            (Some(index), OfferOutcome::Failed { status }) => {
                let reason = match status {
                    0 => "device unreachable".to_owned(),
                    status => format!("device failed with {status}"),
                };
                self.end_offer(now, call, index, OfferEnd::Rejected(reason), false);
            }
            (None, OfferOutcome::Answered { device }) => {
                self.out.cmd(Command::DropLateAnswer { call, user, device });
            }
            (_, OfferOutcome::Ringing) | (None, _) => {}
        }
        self.settle(now);
    }

    /// Something the media layer reported on the caller's leg. Events that do not fit the
    /// call's stage (a late digit, a prompt that was replaced) are ignored.
    pub fn handle_media(&mut self, now: Millis, call: CallId, event: MediaEvent) {
        let Some(state) = self.calls.get_mut(&call) else { return };
        match (&mut state.stage, event) {
            (Stage::Ivr(ivr), MediaEvent::PromptFinished) if !ivr.awaiting_digit => {
                ivr.awaiting_digit = true;
                let timeout = state.number.ivrs.get(&ivr.ivr_id).map_or(0, |doc| doc.timeout_s);
                let at = after(now, ms(timeout));
                self.timers.replace(&mut state.stage_timer, call, TimerKind::Stage, Some(at));
            }
            (Stage::Ivr(_), MediaEvent::Digit(digit)) => self.ivr_digit(now, call, digit),
            (Stage::Connected(None), MediaEvent::Digit(digit)) => {
                let star = std::mem::replace(&mut state.pending_star, digit == '*');
                let audio = state.number.settings.voicedrop_audio_id;
                if star
                    && digit == VOICEDROP_CODE[1]
                    && state.outbound_user.is_some()
                    && let Some(audio) = audio
                {
                    // Refused only when not connected, which this arm rules out.
                    let _ = self.handle_voicedrop(now, call, audio);
                }
            }
            (Stage::Welcome, MediaEvent::PromptFinished) => self.welcome_finished(now, call),
            (Stage::Voicedrop, MediaEvent::PromptFinished) => {
                self.end_call(now, call, HangupBy::System, EndReason::Voicedrop);
            }
            (Stage::Message, MediaEvent::PromptFinished) => {
                self.out.cmd(Command::Hangup { call });
                self.end_call(now, call, HangupBy::System, EndReason::Message);
            }
            (Stage::VoicemailGreeting, MediaEvent::PromptFinished) => {
                state.stage = Stage::VoicemailBeep;
                self.out.cmd(Command::PlayTone { call, tone: Tone::Beep });
            }
            (Stage::VoicemailBeep, MediaEvent::ToneFinished) => {
                state.stage = Stage::VoicemailRecording;
                let (max_s, silence_s) =
                    (self.config.voicemail_max_s, self.config.voicemail_silence_s);
                self.out.cmd(Command::RecordVoicemail { call, max_s, silence_s });
                let at = after(now, ms(max_s.saturating_add(VOICEMAIL_GUARD_S)));
                self.timers.replace(&mut state.stage_timer, call, TimerKind::Stage, Some(at));
            }
            (Stage::VoicemailRecording, MediaEvent::VoicemailEnded { reason }) => {
                if reason == VoicemailEnd::HungUp {
                    self.end_call(now, call, HangupBy::Caller, EndReason::Voicemail);
                } else {
                    self.out.cmd(Command::Hangup { call });
                    self.end_call(now, call, HangupBy::System, EndReason::Voicemail);
                }
            }
            _ => {}
        }
        self.settle(now);
    }

    /// How a forwarded or transferred leg turned out.
    pub fn handle_forward(&mut self, now: Millis, call: CallId, outcome: ForwardOutcome) {
        let Some(state) = self.calls.get_mut(&call) else { return };
        if !matches!(state.stage, Stage::Forwarding(_)) {
            return;
        }
        match outcome {
            ForwardOutcome::Answered => {
                state.stage = Stage::Connected(None);
                state.answered = true;
                state.media_open = true;
                state.talk_since = Some(now);
                let record = state.number.settings.record_calls;
                self.out.event(call, state, now, EventKind::Answered { user_id: None }, None);
                if record {
                    self.out.cmd(Command::StartRecording { call });
                }
                // The agent of an outbound call may send the voicedrop from the phone.
                if state.outbound_user.is_some()
                    && state.number.settings.voicedrop_audio_id.is_some()
                {
                    self.out.digits(call, state, true);
                }
            }
            ForwardOutcome::Failed { status } => {
                if state.answered {
                    self.out.cmd(Command::Hangup { call });
                } else {
                    let (status, reason) = forward_failure_status(status);
                    self.out.cmd(Command::Reject { call, status, reason });
                }
                self.end_call(now, call, HangupBy::Callee, EndReason::ForwardFailed);
            }
        }
        self.settle(now);
    }

    /// A party hung up: the caller at any stage, or the connected agent or target.
    pub fn handle_hangup(&mut self, now: Millis, call: CallId, by: Party) {
        let Some(state) = self.calls.get(&call) else { return };
        match by {
            // The agent's leg is hung up by the voicedrop itself; the message goes on.
            Party::Caller if state.stage == Stage::Voicedrop => {}
            Party::Caller => {
                let reason = match state.stage {
                    Stage::Connected(_) => EndReason::Completed,
                    Stage::VoicemailRecording => EndReason::Voicemail,
                    _ => EndReason::CallerHungUp,
                };
                self.end_call(now, call, HangupBy::Caller, reason);
            }
            Party::Callee if state.stage == Stage::Voicedrop => {
                self.end_call(now, call, HangupBy::Callee, EndReason::Voicedrop);
            }
            Party::Callee => {
                if matches!(state.stage, Stage::Connected(_)) {
                    self.out.cmd(Command::Hangup { call });
                    self.end_call(now, call, HangupBy::Callee, EndReason::Completed);
                }
            }
        }
        self.settle(now);
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Millis) {
        while let Some((_, id, kind)) = self.timers.pop_due(now) {
            let Some(call) = self.calls.get_mut(&id) else { continue };
            match kind {
                TimerKind::Stage => {
                    call.stage_timer = None;
                    self.stage_timer_fired(now, id);
                }
                TimerKind::MaxWait => {
                    call.max_wait_timer = None;
                    if call.stage == Stage::Hunting
                        && let Incoming::Receive { when_offline, .. } =
                            &call.number.settings.incoming
                    {
                        let action = when_offline.clone();
                        let reason = format!("waited {} s (max wait)", call.max_wait_s);
                        self.offline(now, id, action, reason);
                    }
                }
                TimerKind::Rest => {
                    call.rest_timer = None;
                    call.hunt.resting.retain(|(_, until)| *until > now);
                    let next = call.hunt.resting.iter().map(|(_, until)| *until).min();
                    self.timers.replace(&mut call.rest_timer, id, TimerKind::Rest, next);
                    self.to_hunt.insert((call.seq, id));
                }
                TimerKind::Ring(user) => {
                    if let Some(index) = call.offer_of(&user) {
                        let secs = call.ring_timeout_ms / 1000;
                        let reason = format!("not answered after {secs} s");
                        self.end_offer(now, id, index, OfferEnd::NoAnswer(reason), true);
                    }
                }
            }
            self.settle(now);
        }
    }

    // ---------------------------------------------------------------- outputs

    /// The next thing for the driver to do.
    pub fn poll_command(&mut self) -> Option<Command> {
        self.out.commands.pop_front()
    }

    /// The next history event, with the call it belongs to, in the order they happened.
    pub fn poll_event(&mut self) -> Option<(CallId, CallEvent)> {
        self.out.events.pop_front()
    }

    /// When `handle_timeout` must be called next.
    pub fn poll_timeout(&self) -> Option<Millis> {
        self.timers.next()
    }

    /// No call and no timer.
    pub fn is_idle(&self) -> bool {
        self.calls.is_empty() && self.timers.is_empty()
    }

    /// Calls being routed or connected.
    pub fn call_count(&self) -> usize {
        self.calls.len()
    }

    /// Whether the agent is online (switched online with a registered device).
    pub fn is_online(&self, user: &UserId) -> bool {
        self.agent_flags(user).0
    }

    /// Whether the agent could be offered a call now (online, not ringing, not talking, not
    /// busy elsewhere): the `available` of `GET /v1/users/{id}`.
    pub fn is_available(&self, user: &UserId) -> bool {
        self.agent_flags(user).1
    }

    // ---------------------------------------------------------------- agents

    fn agent_flags(&self, user: &UserId) -> (bool, bool) {
        self.agents.get(user).map_or((false, false), |a| (a.online(), a.available()))
    }

    fn agent_changed(
        &mut self,
        now: Millis,
        user: UserId,
        was_online: bool,
        was_available: bool,
        reason: &str,
    ) {
        let (online, available) = self.agent_flags(&user);
        if was_online && !online {
            self.withdraw_offer(now, user, reason);
            // Calls waiting for this agent may have nobody online left: look at them again.
            if let Some(waiting) = self.waiting_by_user.get(&user) {
                self.to_hunt.extend(waiting.iter().copied());
            }
        }
        if available && !was_available {
            self.freed.push(user);
        }
    }

    /// Stops an agent's ringing offer because of the agent's own state, not the phone's.
    fn withdraw_offer(&mut self, now: Millis, user: UserId, reason: &str) {
        let Some(AgentState { engaged: Some((call, Engagement::Ringing)), .. }) =
            self.agents.get(&user)
        else {
            return;
        };
        let call = *call;
        if let Some(index) = self.calls.get(&call).and_then(|c| c.offer_of(&user)) {
            self.end_offer(now, call, index, OfferEnd::NoAnswer(reason.to_owned()), true);
        }
    }

    /// Frees an agent engaged with `call`.
    fn release(&mut self, user: UserId, call: CallId) {
        let Some(agent) = self.agents.get_mut(&user) else { return };
        if agent.engaged.is_some_and(|(c, _)| c == call) {
            agent.engaged = None;
            if agent.removed {
                self.agents.remove(&user);
            } else if agent.available() {
                self.freed.push(user);
            }
        }
    }

    // ---------------------------------------------------------------- the queue

    /// Offers freed agents to waiting calls (oldest first), then gives calls that need an agent
    /// again their chance, until nothing changes. Called at the end of every input, so that
    /// between inputs no waiting call has an available agent it could take.
    fn settle(&mut self, now: Millis) {
        loop {
            if let Some(user) = self.freed.pop() {
                self.offer_freed_agent(now, user);
            } else if let Some((_, id)) = self.to_hunt.pop_first() {
                // Oldest first, as in the queue.
                self.try_offer(now, id);
            } else {
                break;
            }
        }
    }

    fn offer_freed_agent(&mut self, now: Millis, user: UserId) {
        let mut last: Option<(u64, CallId)> = None;
        while self.agent_flags(&user).1 {
            let Some(waiting) = self.waiting_by_user.get(&user) else { return };
            let next = match last {
                None => waiting.first().copied(),
                Some(key) => {
                    waiting.range((Bound::Excluded(key), Bound::Unbounded)).next().copied()
                }
            };
            let Some(key) = next else { return };
            last = Some(key);
            self.try_offer(now, key.1);
        }
    }

    /// Keeps the call's entries in the waiting index in step with whether it wants agents.
    fn sync_waiting(&mut self, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        let wants = call.wants_agents();
        if wants == call.hunt.in_waiting {
            return;
        }
        call.hunt.in_waiting = wants;
        for user in &call.hunt.eligible {
            if wants {
                self.waiting_by_user.entry(*user).or_default().insert((call.seq, id));
            } else if let Some(set) = self.waiting_by_user.get_mut(user) {
                set.remove(&(call.seq, id));
            }
        }
    }

    // ---------------------------------------------------------------- the agent stage

    /// Continues with the number's incoming-call mode (after the IVR, if any), ringing only
    /// `restrict` among the assigned users when an IVR option says so.
    fn route_incoming(&mut self, now: Millis, id: CallId, restrict: Option<Vec<UserId>>) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        let settings = &call.number.settings;
        match &settings.incoming {
            Incoming::Forward { forward_to } => {
                let to = forward_to.clone();
                let reason = "forward mode: every call is forwarded".to_owned();
                self.forward(now, id, ForwardKind::Forward, to, Some(reason));
            }
            Incoming::Reject { action } => {
                let action = action.clone();
                let reason = "the number does not accept incoming calls".to_owned();
                self.offline(now, id, action, reason);
            }
            Incoming::Receive { when_offline, .. } => {
                let eligible: Vec<UserId> = settings
                    .assigned_user_ids
                    .iter()
                    .filter(|u| restrict.as_ref().is_none_or(|r| r.contains(u)))
                    .copied()
                    .collect();
                let online = count_online(&self.agents, &eligible);
                let welcome = settings.welcome_audio_id;
                let when_offline = when_offline.clone();
                call.hunt.eligible = eligible;
                call.hunt.restricted = restrict.is_some();
                if online == 0 {
                    let reason = if call.hunt.restricted {
                        "no agent of the IVR option online"
                    } else {
                        "no assigned agent online"
                    };
                    self.offline(now, id, when_offline, reason.to_owned());
                } else if let Some(audio) = welcome {
                    call.stage = Stage::Welcome;
                    self.out.open_media(id, call);
                    let reason = format!("{online} agent{} online", plural(online));
                    let kind = EventKind::WelcomePlayed { audio_id: audio };
                    self.out.event(id, call, now, kind, Some(reason));
                    self.out.cmd(Command::PlayAudio { call: id, audio });
                } else {
                    self.start_hunt(now, id);
                }
            }
        }
    }

    fn welcome_finished(&mut self, now: Millis, id: CallId) {
        let Some(call) = self.calls.get(&id) else { return };
        if count_online(&self.agents, &call.hunt.eligible) > 0 {
            self.start_hunt(now, id);
        } else if let Incoming::Receive { when_offline, .. } = &call.number.settings.incoming {
            let action = when_offline.clone();
            let reason = "no assigned agent online after the welcome message".to_owned();
            self.offline(now, id, action, reason);
        }
    }

    /// The agent stage proper: ringback, max wait, and a first try at offering the call.
    fn start_hunt(&mut self, now: Millis, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        call.stage = Stage::Hunting;
        let at = after(now, ms(call.max_wait_s));
        self.timers.replace(&mut call.max_wait_timer, id, TimerKind::MaxWait, Some(at));
        self.out.open_media(id, call);
        self.out.cmd(Command::PlayTone { call: id, tone: Tone::Ringback });
        self.to_hunt.insert((call.seq, id));
        self.sync_waiting(id);
    }

    /// Offers the call to whom its distribution chooses among its available agents; with
    /// nobody to offer and nobody ringing, the call waits, or gets its offline action when no
    /// eligible agent is online any more.
    fn try_offer(&mut self, now: Millis, id: CallId) {
        let Some(call) = self.calls.get(&id) else { return };
        if !call.wants_agents() {
            return;
        }
        let mut candidates = std::mem::take(&mut self.scratch);
        candidates.clear();
        candidates.extend(call.hunt.eligible.iter().copied().filter(|u| {
            self.agents.get(u).is_some_and(AgentState::available) && !call.is_resting(u, now)
        }));
        let untried = candidates.iter().filter(|u| !call.hunt.tried.contains(u)).count();
        let distribution = call.distribution;
        match distribution {
            Distribution::Random if !candidates.is_empty() => {
                let (pool, reason) = if untried > 0 {
                    (untried, format!("at random among {untried} untried available agent(s)"))
                } else {
                    let n = candidates.len();
                    (n, format!("all tried once; at random among {n} available agent(s)"))
                };
                let pick = self.rng.below(pool);
                let user = if untried > 0 {
                    candidates.iter().filter(|u| !call.hunt.tried.contains(u)).nth(pick)
                } else {
                    candidates.get(pick)
                };
                if let Some(user) = user.copied() {
                    self.offer(now, id, user, reason);
                }
            }
            Distribution::LongestIdle if !candidates.is_empty() => {
                let agents = &self.agents;
                let key = |u: &&UserId| {
                    let a = agents.get(*u);
                    let last = a.and_then(|a| a.last_answered_at).map_or(i64::MIN, |m| m.0);
                    (last, a.map_or(0, |a| a.created_order), **u)
                };
                let fresh =
                    candidates.iter().filter(|u| !call.hunt.tried.contains(u)).min_by_key(key);
                let again = if fresh.is_some() { "" } else { "all tried once, starting over; " };
                if let Some(user) = fresh.or_else(|| candidates.iter().min_by_key(key)).copied() {
                    let reason = match self.agents.get(&user).and_then(|a| a.last_answered_at) {
                        None => format!("{again}idle longest (never answered a call)"),
                        Some(at) => format!("{again}idle longest (last answered at {at})"),
                    };
                    self.offer(now, id, user, reason);
                }
            }
            Distribution::Simultaneous => {
                let first = call.hunt.offers.is_empty() && call.hunt.tried.is_empty();
                let reason = if first {
                    "ringing every available agent"
                } else {
                    "available again while the call rings others or waits"
                };
                for user in candidates.iter().copied() {
                    self.offer(now, id, user, reason.to_owned());
                }
            }
            Distribution::Random | Distribution::LongestIdle => {}
        }
        self.scratch = candidates;

        let Some(call) = self.calls.get_mut(&id) else { return };
        if call.hunt.offers.is_empty() {
            let online = count_online(&self.agents, &call.hunt.eligible);
            if online == 0 {
                if let Incoming::Receive { when_offline, .. } = &call.number.settings.incoming {
                    let action = when_offline.clone();
                    let reason = "every eligible agent went offline while the call waited";
                    self.offline(now, id, action, reason.to_owned());
                }
                return;
            }
            if !call.hunt.queued {
                call.hunt.queued = true;
                let reason = format!("all {online} online agent{} busy", plural(online));
                self.out.event(id, call, now, EventKind::Queued {}, Some(reason));
            }
        }
        self.sync_waiting(id);
    }

    fn offer(&mut self, now: Millis, id: CallId, user: UserId, reason: String) {
        let Some(agent) = self.agents.get_mut(&user) else { return };
        let Some(call) = self.calls.get_mut(&id) else { return };
        agent.engaged = Some((id, Engagement::Ringing));
        let devices = agent.devices.clone();
        let deadline = after(now, call.ring_timeout_ms);
        call.hunt.offers.push(Offer { user, deadline });
        call.hunt.tried.insert(user);
        self.timers.insert(deadline, id, TimerKind::Ring(user));
        let kind = EventKind::Offered { user_id: user, devices: devices.clone() };
        self.out.event(id, call, now, kind, Some(reason));
        self.out.cmd(Command::Offer { call: id, user, devices });
    }

    /// Ends one offer that was not answered; the call looks for an agent again.
    fn end_offer(&mut self, now: Millis, id: CallId, index: usize, end: OfferEnd, cancel: bool) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        let offer = call.hunt.offers.remove(index);
        self.to_hunt.insert((call.seq, id));
        self.timers.remove(offer.deadline, id, TimerKind::Ring(offer.user));
        let kind = match end {
            OfferEnd::NoAnswer(reason) => (EventKind::NoAnswer { user_id: offer.user }, reason),
            OfferEnd::Rejected(reason) => {
                // Cut short by the phone: not offered this call again before the ring timeout
                // would have ended.
                if offer.deadline > now {
                    call.hunt.resting.push((offer.user, offer.deadline));
                    let next = call.hunt.resting.iter().map(|(_, until)| *until).min();
                    self.timers.replace(&mut call.rest_timer, id, TimerKind::Rest, next);
                }
                (EventKind::Rejected { user_id: offer.user }, reason)
            }
        };
        self.out.event(id, call, now, kind.0, Some(kind.1));
        if cancel {
            self.out.cmd(Command::CancelOffer { call: id, user: offer.user });
        }
        self.release(offer.user, id);
        self.sync_waiting(id);
    }

    fn agent_answered(&mut self, now: Millis, id: CallId, index: usize, device: String) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        let offer = call.hunt.offers.remove(index);
        let user = offer.user;
        self.timers.remove(offer.deadline, id, TimerKind::Ring(user));
        self.out.cmd(Command::Connect { call: id, user, device });
        self.stop_hunting(id);
        let Some(call) = self.calls.get_mut(&id) else { return };
        call.stage = Stage::Connected(Some(user));
        call.answered = true;
        call.media_open = true;
        call.talk_since = Some(now);
        let record = call.number.settings.record_calls;
        self.out.event(id, call, now, EventKind::Answered { user_id: Some(user) }, None);
        if record {
            self.out.cmd(Command::StartRecording { call: id });
        }
        if let Some(agent) = self.agents.get_mut(&user) {
            agent.engaged = Some((id, Engagement::Talking));
            agent.last_answered_at = Some(now);
        }
    }

    /// Cancels every offer of the call and its agent-stage timers, and takes it out of the
    /// queue. The caller of this sets the next stage.
    fn stop_hunting(&mut self, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        let offers = std::mem::take(&mut call.hunt.offers);
        self.timers.replace(&mut call.max_wait_timer, id, TimerKind::MaxWait, None);
        self.timers.replace(&mut call.rest_timer, id, TimerKind::Rest, None);
        call.hunt.resting.clear();
        if call.stage == Stage::Hunting {
            call.stage = Stage::Routing;
        }
        for offer in offers {
            self.timers.remove(offer.deadline, id, TimerKind::Ring(offer.user));
            self.out.cmd(Command::CancelOffer { call: id, user: offer.user });
            self.release(offer.user, id);
        }
        self.sync_waiting(id);
    }

    // ---------------------------------------------------------------- IVR

    fn enter_ivr(&mut self, now: Millis, id: CallId, ivr_id: IvrId) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        call.menus_entered += 1;
        let problem = if call.menus_entered > MAX_MENUS_PER_CALL {
            Some(format!("more than {MAX_MENUS_PER_CALL} IVR menus in one call"))
        } else if !call.number.ivrs.contains_key(&ivr_id) {
            Some(format!("IVR {ivr_id} is missing from the number's snapshot"))
        } else {
            None
        };
        if let Some(problem) = problem {
            call.carry_reason = Some(format!("{problem}: continuing with the agents"));
            self.leave_ivr(id);
            self.route_incoming(now, id, None);
            return;
        }
        self.out.answer(id, call);
        self.out.digits(id, call, true);
        call.stage = Stage::Ivr(IvrState { ivr_id, plays: 0, awaiting_digit: false });
        self.play_prompt(now, id, None);
    }

    fn play_prompt(&mut self, now: Millis, id: CallId, reason: Option<String>) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        let Stage::Ivr(ivr) = &mut call.stage else { return };
        ivr.plays += 1;
        ivr.awaiting_digit = false;
        let ivr_id = ivr.ivr_id;
        let Some(prompt) = call.number.ivrs.get(&ivr_id).map(|doc| doc.prompt_audio_id) else {
            return;
        };
        self.timers.replace(&mut call.stage_timer, id, TimerKind::Stage, None);
        self.out.event(id, call, now, EventKind::IvrPrompt { ivr_id }, reason);
        self.out.cmd(Command::PlayAudio { call: id, audio: prompt });
    }

    fn ivr_digit(&mut self, now: Millis, id: CallId, digit: char) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        let Stage::Ivr(ivr) = &call.stage else { return };
        if !ivr.awaiting_digit {
            // Barge-in: the caller knows what they want; stop the prompt at once.
            self.out.cmd(Command::StopMedia { call: id });
        }
        self.timers.replace(&mut call.stage_timer, id, TimerKind::Stage, None);
        let Some(doc) = call.number.ivrs.get(&ivr.ivr_id) else { return };
        let option = centralita_domain::DigitKey::new(digit).and_then(|key| doc.option(key));
        let (action, reason) = match option {
            Some(action) => (action.clone(), action_words(action)),
            None => (
                doc.on_invalid.clone(),
                format!("digit {digit} has no option; {}", action_words(&doc.on_invalid)),
            ),
        };
        let kind = EventKind::IvrDigit { digit: digit.to_string() };
        self.out.event(id, call, now, kind, Some(reason));
        self.apply_ivr_action(now, id, action);
    }

    fn ivr_no_digit(&mut self, now: Millis, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        let Stage::Ivr(ivr) = &call.stage else { return };
        let Some(doc) = call.number.ivrs.get(&ivr.ivr_id) else { return };
        if ivr.plays < doc.repeats {
            let reason = format!(
                "no digit within {} s (prompt {} of {})",
                doc.timeout_s,
                ivr.plays + 1,
                doc.repeats
            );
            self.play_prompt(now, id, Some(reason));
            return;
        }
        let action = match &doc.on_no_input {
            // The domain refuses `repeat` here; without input it would loop for ever.
            IvrAction::Repeat => IvrAction::Agents { user_ids: None },
            action => action.clone(),
        };
        call.carry_reason = Some(format!(
            "no input after {} prompt{}; {}",
            ivr.plays,
            plural(ivr.plays as usize),
            action_words(&action)
        ));
        self.apply_ivr_action(now, id, action);
    }

    fn apply_ivr_action(&mut self, now: Millis, id: CallId, action: IvrAction) {
        match action {
            IvrAction::Agents { user_ids } => {
                self.leave_ivr(id);
                self.route_incoming(now, id, user_ids);
            }
            IvrAction::Forward { to } => {
                self.leave_ivr(id);
                self.forward(now, id, ForwardKind::Forward, to, None);
            }
            IvrAction::Voicemail { audio_id } => {
                self.leave_ivr(id);
                self.start_voicemail(id, audio_id);
            }
            IvrAction::Message { audio_id } => {
                self.leave_ivr(id);
                self.play_message(id, audio_id);
            }
            IvrAction::Menu { ivr_id } => self.enter_ivr(now, id, ivr_id),
            IvrAction::Repeat => {
                if let Some(Call { stage: Stage::Ivr(ivr), .. }) = self.calls.get_mut(&id) {
                    ivr.plays = 0;
                }
                self.play_prompt(now, id, None);
            }
            IvrAction::Hangup => {
                self.leave_ivr(id);
                self.out.cmd(Command::Hangup { call: id });
                self.end_call(now, id, HangupBy::System, EndReason::Hangup);
            }
        }
    }

    fn leave_ivr(&mut self, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        self.timers.replace(&mut call.stage_timer, id, TimerKind::Stage, None);
        self.out.digits(id, call, false);
        if matches!(call.stage, Stage::Ivr(_)) {
            call.stage = Stage::Routing;
        }
    }

    // ---------------------------------------------------------------- offline actions

    fn offline(&mut self, now: Millis, id: CallId, action: OfflineAction, reason: String) {
        self.stop_hunting(id);
        let Some(call) = self.calls.get_mut(&id) else { return };
        self.out.digits(id, call, false);
        let kind = EventKind::OfflineAction { action: action.name().to_owned() };
        self.out.event(id, call, now, kind, Some(reason));
        match action {
            OfflineAction::Ringback | OfflineAction::Busy => {
                let (tone, secs) = match action {
                    OfflineAction::Busy => (Tone::Busy, self.config.offline_busy_s),
                    _ => (Tone::Ringback, self.config.offline_ringback_s),
                };
                call.stage = Stage::OfflineTone(tone);
                self.out.open_media(id, call);
                self.out.cmd(Command::PlayTone { call: id, tone });
                let at = after(now, ms(secs));
                self.timers.replace(&mut call.stage_timer, id, TimerKind::Stage, Some(at));
            }
            OfflineAction::Disconnect => {
                if call.answered {
                    self.out.cmd(Command::Hangup { call: id });
                } else {
                    self.out.cmd(Command::Reject { call: id, status: 603, reason: "Decline" });
                }
                self.end_call(now, id, HangupBy::System, EndReason::Rejected);
            }
            OfflineAction::Message { audio_id } => self.play_message(id, audio_id),
            OfflineAction::Voicemail { audio_id } => self.start_voicemail(id, audio_id),
            OfflineAction::Transfer { to } => {
                self.forward(now, id, ForwardKind::Transfer, to, None);
            }
        }
    }

    fn play_message(&mut self, id: CallId, audio: AudioId) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        self.out.answer(id, call);
        call.stage = Stage::Message;
        self.out.cmd(Command::PlayAudio { call: id, audio });
    }

    fn start_voicemail(&mut self, id: CallId, greeting: Option<AudioId>) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        self.out.answer(id, call);
        match greeting {
            Some(audio) => {
                call.stage = Stage::VoicemailGreeting;
                self.out.cmd(Command::PlayAudio { call: id, audio });
            }
            None => {
                call.stage = Stage::VoicemailBeep;
                self.out.cmd(Command::PlayTone { call: id, tone: Tone::Beep });
            }
        }
    }

    fn forward(
        &mut self,
        now: Millis,
        id: CallId,
        kind: ForwardKind,
        to: E164,
        reason: Option<String>,
    ) {
        self.stop_hunting(id);
        let external_legs = self
            .calls
            .values()
            .filter(|c| {
                matches!(c.stage, Stage::Forwarding(_) | Stage::Connected(None) | Stage::Voicedrop)
            })
            .count();
        let refusal = if !self.config.destination_allowed(&to) {
            Some((403, "Forbidden", EndReason::DestinationNotAllowed))
        } else if self.config.max_outbound_legs.is_some_and(|max| external_legs >= max as usize) {
            Some((503, "Service Unavailable", EndReason::OutboundLimit))
        } else {
            None
        };
        if let Some((status, phrase, end)) = refusal {
            let Some(call) = self.calls.get(&id) else { return };
            if call.answered {
                self.out.cmd(Command::Hangup { call: id });
            } else {
                self.out.cmd(Command::Reject { call: id, status, reason: phrase });
            }
            self.end_call(now, id, HangupBy::System, end);
            return;
        }
        let Some(call) = self.calls.get_mut(&id) else { return };
        self.out.digits(id, call, false);
        let event = match kind {
            ForwardKind::Forward => Some(EventKind::Forwarded { to: to.to_string() }),
            ForwardKind::Transfer => Some(EventKind::Transferred { to: to.to_string() }),
            ForwardKind::Outbound => None,
        };
        if let Some(event) = event {
            self.out.event(id, call, now, event, reason);
        }
        call.stage = Stage::Forwarding(kind);
        self.out.cmd(Command::Forward { call: id, to, kind });
        // The caller hears our ringback while the external leg rings, as with agents.
        self.out.open_media(id, call);
        self.out.cmd(Command::PlayTone { call: id, tone: Tone::Ringback });
    }

    fn stage_timer_fired(&mut self, now: Millis, id: CallId) {
        let Some(call) = self.calls.get(&id) else { return };
        match &call.stage {
            Stage::Ivr(ivr) if ivr.awaiting_digit => self.ivr_no_digit(now, id),
            Stage::OfflineTone(tone) => {
                let (status, phrase, reason) = match tone {
                    Tone::Busy => (486, "Busy Here", EndReason::Busy),
                    Tone::Ringback | Tone::Beep => {
                        (480, "Temporarily Unavailable", EndReason::NoAnswer)
                    }
                };
                if call.answered {
                    // After a 200 there is no status to send: the same time, then BYE.
                    self.out.cmd(Command::Hangup { call: id });
                } else {
                    self.out.cmd(Command::Reject { call: id, status, reason: phrase });
                }
                self.end_call(now, id, HangupBy::System, reason);
            }
            Stage::VoicemailRecording => {
                self.out.cmd(Command::Hangup { call: id });
                self.end_call(now, id, HangupBy::System, EndReason::Voicemail);
            }
            _ => {}
        }
    }

    // ---------------------------------------------------------------- the end

    /// Emits `ended`, releases the agents and timers of the call, and forgets it.
    fn end_call(&mut self, now: Millis, id: CallId, by: HangupBy, reason: EndReason) {
        self.stop_hunting(id);
        let Some(mut call) = self.calls.remove(&id) else { return };
        self.timers.replace(&mut call.stage_timer, id, TimerKind::Stage, None);
        if let Some(user) = call.outbound_user {
            self.release(user, id);
        }
        if let Stage::Connected(Some(user)) = call.stage {
            self.release(user, id);
        }
        let span = |from: Millis| u64::try_from(now.0.saturating_sub(from.0)).unwrap_or(0);
        let kind = EventKind::Ended {
            hangup_by: by,
            duration_ms: span(call.arrived_at),
            talk_ms: call.talk_since.map_or(0, span),
            cost: None,
        };
        let event = CallEvent { at: now, reason: Some(reason.as_str().to_owned()), kind };
        self.out.events.push_back((id, event));
        self.out.cmd(Command::Ended { call: id });
    }
}

/// How an offer ended without an answer, with the reason for the history.
enum OfferEnd {
    /// Rang out, or withdrawn because of the agent's state.
    NoAnswer(String),
    /// Declined, or the devices failed.
    Rejected(String),
}

/// The status the caller gets when a forward leg fails before anyone answered: busy stays
/// busy, a decline stays a decline, and everything else becomes 480 rather than a 5xx that
/// could make the carrier retry the call elsewhere.
fn forward_failure_status(status: u16) -> (u16, &'static str) {
    match status {
        486 | 600 => (486, "Busy Here"),
        603 => (603, "Decline"),
        _ => (480, "Temporarily Unavailable"),
    }
}

/// What an IVR action does, for the reasons in the history.
fn action_words(action: &IvrAction) -> String {
    match action {
        IvrAction::Agents { user_ids: None } => "to the agents".to_owned(),
        IvrAction::Agents { user_ids: Some(users) } => {
            format!("to {} listed agent{}", users.len(), plural(users.len()))
        }
        IvrAction::Forward { to } => format!("forward to {to}"),
        IvrAction::Voicemail { .. } => "voicemail".to_owned(),
        IvrAction::Message { .. } => "message".to_owned(),
        IvrAction::Menu { ivr_id } => format!("menu {ivr_id}"),
        IvrAction::Repeat => "repeat the menu".to_owned(),
        IvrAction::Hangup => "hang up".to_owned(),
    }
}
