//! The test harness: one engine driven in simulated time, a readable transcript of everything
//! it said, and a checker of the invariants every run must keep (no agent rung twice, every
//! offer resolved, every call ended once).

#![allow(dead_code, unreachable_pub)]

use std::collections::{BTreeMap, HashMap, HashSet};

use centralita_domain::{
    AudioId, CallEvent, CallId, Distribution, E164, EventKind, Incoming, IvrAction, IvrDocument,
    IvrId, Millis, NumberId, NumberSettings, OfflineAction, UserId,
};
use centralita_routing::{
    Agent, Command, Engine, EngineConfig, ForwardOutcome, MediaEvent, NumberSnapshot, OfferOutcome,
    Party, VoicemailEnd, describe_event,
};
use uuid::Uuid;

/// Where simulated time starts: any instant works, a realistic one reads better in failures.
pub const T0: i64 = 1_800_000_000_000;

pub fn user_id(n: u128) -> UserId {
    UserId::from_uuid(Uuid::from_u128(0x1000 + n))
}

pub fn audio(n: u128) -> AudioId {
    AudioId::from_uuid(Uuid::from_u128(0xa000 + n))
}

pub fn ivr_id(n: u128) -> IvrId {
    IvrId::from_uuid(Uuid::from_u128(0xb000 + n))
}

pub fn e164(s: &str) -> E164 {
    E164::parse(s).expect("test numbers are E.164")
}

/// Receive-mode settings ringing `users` with `distribution`.
pub fn receive(
    distribution: Distribution,
    users: &[UserId],
    when_offline: OfflineAction,
) -> NumberSettings {
    let mut settings = NumberSettings::new_number_default(users.to_vec());
    settings.incoming =
        Incoming::Receive { distribution, when_offline, max_wait_s: None, ring_timeout_s: None };
    settings
}

pub fn snapshot(settings: NumberSettings) -> NumberSnapshot {
    NumberSnapshot {
        number_id: NumberId::from_uuid(Uuid::from_u128(0xc001)),
        e164: e164("+34910000001"),
        settings,
        ivrs: HashMap::new(),
    }
}

/// An IVR whose prompt is `audio(100 + n)`, with default timings and the given options.
pub fn ivr(n: u128, options: &[(char, IvrAction)]) -> IvrDocument {
    IvrDocument {
        name: format!("menu {n}"),
        prompt_audio_id: audio(100 + n),
        timeout_s: 5,
        repeats: 3,
        options: options.iter().map(|(k, a)| (k.to_string(), a.clone())).collect(),
        on_no_input: IvrAction::Agents { user_ids: None },
        on_invalid: IvrAction::Agents { user_ids: None },
    }
}

/// One engine in simulated time, with names for agents and calls in its transcript.
pub struct Harness {
    pub engine: Engine,
    pub now: i64,
    names: HashMap<UserId, String>,
    call_names: HashMap<CallId, String>,
    agents: HashMap<UserId, Agent>,
    next_call: u128,
    /// The transcript since the last `take`.
    log: Vec<String>,
    /// Every command so far, with its time.
    pub commands: Vec<(i64, Command)>,
    /// Every event so far, with its call.
    pub events: Vec<(CallId, CallEvent)>,
    pub checker: Checker,
}

impl Harness {
    pub fn new() -> Self {
        Self::with_config(EngineConfig::default())
    }

    pub fn with_config(config: EngineConfig) -> Self {
        Self {
            engine: Engine::new(config),
            now: T0,
            names: HashMap::new(),
            call_names: HashMap::new(),
            agents: HashMap::new(),
            next_call: 0,
            log: Vec::new(),
            commands: Vec::new(),
            events: Vec::new(),
            checker: Checker::default(),
        }
    }

    pub fn at(&self) -> Millis {
        Millis(self.now)
    }

    /// Adds an online agent with one device; `n` orders creation.
    pub fn agent(&mut self, name: &str, n: u128) -> UserId {
        let id = user_id(n);
        self.names.insert(id, name.to_owned());
        let agent = Agent {
            user_id: id,
            online_switch: true,
            devices: vec![format!("sip:{name}@192.0.2.{n}")],
            last_answered_at: None,
            created_order: n as u64,
        };
        self.upsert(agent);
        id
    }

    pub fn upsert(&mut self, agent: Agent) {
        self.checker.presence(&agent);
        self.agents.insert(agent.user_id, agent.clone());
        self.engine.handle_agent(self.at(), agent);
        self.drain();
    }

    pub fn set_online(&mut self, user: UserId, online: bool) {
        let mut agent = self.agents[&user].clone();
        agent.online_switch = online;
        self.upsert(agent);
    }

    pub fn set_last_answer(&mut self, user: UserId, at: Option<i64>) {
        let mut agent = self.agents[&user].clone();
        agent.last_answered_at = at.map(Millis);
        self.upsert(agent);
    }

    pub fn remove_agent(&mut self, user: UserId) {
        self.checker.removed(user);
        self.engine.handle_agent_removed(self.at(), user);
        self.drain();
    }

    pub fn busy_elsewhere(&mut self, user: UserId, busy: bool) {
        self.checker.busy(user, busy);
        self.engine.handle_agent_busy_elsewhere(self.at(), user, busy);
        self.drain();
    }

    pub fn call(&mut self, name: &str, number: NumberSnapshot) -> CallId {
        self.next_call += 1;
        let id = CallId::from_uuid(Uuid::from_u128(0xd000 + self.next_call));
        self.call_names.insert(id, name.to_owned());
        self.engine.handle_call(self.at(), id, number, "+34600000001".to_owned());
        self.drain();
        id
    }

    /// An agent's phone dials `to` with `number` as caller ID.
    pub fn outbound(
        &mut self,
        name: &str,
        number: NumberSnapshot,
        user: UserId,
        to: &str,
    ) -> CallId {
        self.next_call += 1;
        let id = CallId::from_uuid(Uuid::from_u128(0xd000 + self.next_call));
        self.call_names.insert(id, name.to_owned());
        self.engine.handle_outbound(
            self.at(),
            id,
            number,
            user,
            to.parse().unwrap(),
            "dialled by an agent",
        );
        self.drain();
        id
    }

    pub fn offer(&mut self, call: CallId, user: UserId, outcome: OfferOutcome) {
        self.checker.offer_outcome(call, user, &outcome);
        self.engine.handle_offer(self.at(), call, user, outcome);
        self.drain();
    }

    pub fn answer(&mut self, call: CallId, user: UserId) {
        let device = self.agents[&user].devices[0].clone();
        self.offer(call, user, OfferOutcome::Answered { device });
    }

    pub fn media(&mut self, call: CallId, event: MediaEvent) {
        self.engine.handle_media(self.at(), call, event);
        self.drain();
    }

    pub fn prompt_finished(&mut self, call: CallId) {
        self.media(call, MediaEvent::PromptFinished);
    }

    pub fn digit(&mut self, call: CallId, digit: char) {
        self.media(call, MediaEvent::Digit(digit));
    }

    pub fn voicemail_ended(&mut self, call: CallId, reason: VoicemailEnd) {
        self.media(call, MediaEvent::VoicemailEnded { reason });
    }

    pub fn forward(&mut self, call: CallId, outcome: ForwardOutcome) {
        self.engine.handle_forward(self.at(), call, outcome);
        self.drain();
    }

    pub fn hangup(&mut self, call: CallId, by: Party) {
        self.engine.handle_hangup(self.at(), call, by);
        self.drain();
    }

    /// Moves the clock forward by `ms`, firing every timer due on the way at its own time.
    pub fn advance_ms(&mut self, ms: i64) {
        let target = self.now + ms;
        while let Some(at) = self.engine.poll_timeout() {
            if at.0 > target {
                break;
            }
            assert!(at.0 >= self.now, "a timer was left in the past: {at:?}");
            self.now = at.0;
            self.engine.handle_timeout(self.at());
            self.drain();
            if let Some(next) = self.engine.poll_timeout() {
                assert!(next.0 > self.now, "handle_timeout left a due timer behind");
            }
        }
        self.now = target;
    }

    pub fn advance(&mut self, secs: i64) {
        self.advance_ms(secs * 1000);
    }

    /// Fires timers until none is left (bounded, so a bug cannot hang the test).
    pub fn run_timers(&mut self) {
        for _ in 0..10_000 {
            match self.engine.poll_timeout() {
                Some(at) => self.advance_ms(at.0 - self.now),
                None => return,
            }
        }
        panic!("timers never ran out");
    }

    fn name(&self, user: &UserId) -> String {
        self.names.get(user).cloned().unwrap_or_else(|| user.to_string())
    }

    pub fn drain(&mut self) {
        let secs = (self.now - T0) as f64 / 1000.0;
        while let Some((call, event)) = self.engine.poll_event() {
            self.checker.event(call, &event);
            let words = describe_event(&event, &|u| self.name(u));
            self.log.push(format!("{secs}s {} {words}", self.call_names[&call]));
            self.events.push((call, event));
        }
        while let Some(command) = self.engine.poll_command() {
            self.checker.command(&command);
            let words = command.describe(&|u| self.name(u));
            self.log.push(format!("{secs}s {} > {words}", self.call_names[&command.call()]));
            self.commands.push((self.now, command));
        }
    }

    /// The transcript since the last call, one line per event or command.
    pub fn take(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }

    /// Asserts the transcript since the last call, with a readable diff on failure.
    #[track_caller]
    pub fn expect(&mut self, expected: &[&str]) {
        let got = self.take();
        if got != expected {
            panic!(
                "transcript differs\n--- expected\n{}\n--- got\n{}\n",
                expected.join("\n"),
                got.join("\n")
            );
        }
    }

    /// The commands of the transcript since the last call that mention `needle`.
    pub fn lines_with(&mut self, needle: &str) -> Vec<String> {
        self.take().into_iter().filter(|l| l.contains(needle)).collect()
    }

    /// The events of one call.
    pub fn events_of(&self, call: CallId) -> Vec<&CallEvent> {
        self.events.iter().filter(|(c, _)| *c == call).map(|(_, e)| e).collect()
    }

    /// The `ended` event of a call, as (reason, hangup_by, duration_ms, talk_ms).
    pub fn ended(&self, call: CallId) -> (String, String, u64, u64) {
        let event = self
            .events_of(call)
            .into_iter()
            .find(|e| matches!(e.kind, EventKind::Ended { .. }))
            .expect("the call ended");
        match &event.kind {
            EventKind::Ended { hangup_by, duration_ms, talk_ms, .. } => (
                event.reason.clone().unwrap_or_default(),
                format!("{hangup_by:?}").to_lowercase(),
                *duration_ms,
                *talk_ms,
            ),
            _ => unreachable!(),
        }
    }

    /// Everything ended and no timer is left; the checker agrees.
    #[track_caller]
    pub fn assert_idle(&self) {
        assert!(self.engine.is_idle(), "engine not idle");
        assert_eq!(self.engine.poll_timeout(), None);
        self.checker.assert_all_ended();
    }
}

/// The invariants, checked on the command and event streams as they come.
#[derive(Default)]
pub struct Checker {
    /// Agents the checker believes ring for or talk on a call.
    engaged: HashMap<UserId, (CallId, bool /* talking */)>,
    /// Offers not yet answered, declined, failed or cancelled.
    outstanding: HashSet<(CallId, UserId)>,
    online: HashSet<UserId>,
    /// Agents the engine knows (added and not removed): it ignores "busy" for others.
    known: HashSet<UserId>,
    busy: HashSet<UserId>,
    /// Calls with their last event time and whether they ended.
    calls: BTreeMap<CallId, (Millis, bool)>,
}

impl Checker {
    pub fn presence(&mut self, agent: &Agent) {
        self.known.insert(agent.user_id);
        if agent.is_online() {
            self.online.insert(agent.user_id);
        } else {
            self.online.remove(&agent.user_id);
        }
    }

    pub fn removed(&mut self, user: UserId) {
        self.online.remove(&user);
        self.known.remove(&user);
        self.busy.remove(&user);
    }

    pub fn busy(&mut self, user: UserId, busy: bool) {
        if busy && self.known.contains(&user) {
            self.busy.insert(user);
        } else {
            self.busy.remove(&user);
        }
    }

    pub fn offer_outcome(&mut self, call: CallId, user: UserId, outcome: &OfferOutcome) {
        if !self.outstanding.contains(&(call, user)) {
            return;
        }
        match outcome {
            OfferOutcome::Ringing | OfferOutcome::Answered { .. } => {}
            OfferOutcome::Declined | OfferOutcome::Failed { .. } => {
                self.outstanding.remove(&(call, user));
                self.engaged.remove(&user);
            }
        }
    }

    pub fn command(&mut self, command: &Command) {
        match command {
            Command::Offer { call, user, devices } => {
                assert!(!devices.is_empty(), "offer without devices");
                assert!(self.online.contains(user), "offered {user} while offline");
                assert!(!self.busy.contains(user), "offered {user} while busy elsewhere");
                if let Some((other, talking)) = self.engaged.get(user) {
                    panic!(
                        "{user} offered {call} while {} {other}",
                        if *talking { "talking on" } else { "ringing for" }
                    );
                }
                let (_, ended) = self.calls.get(call).copied().unwrap_or((Millis(0), false));
                assert!(!ended, "offer for an ended call");
                self.engaged.insert(*user, (*call, false));
                self.outstanding.insert((*call, *user));
            }
            Command::CancelOffer { call, user } => {
                self.outstanding.remove(&(*call, *user));
                if self.engaged.get(user) == Some(&(*call, false)) {
                    self.engaged.remove(user);
                }
            }
            Command::Connect { call, user, .. } => {
                assert_eq!(
                    self.engaged.get(user),
                    Some(&(*call, false)),
                    "connected {user} who was not ringing for {call}"
                );
                assert!(self.outstanding.remove(&(*call, *user)));
                self.engaged.insert(*user, (*call, true));
            }
            Command::Ended { call } => {
                assert!(
                    !self.outstanding.iter().any(|(c, _)| c == call),
                    "call {call} ended with offers still ringing"
                );
                self.engaged.retain(|_, (c, _)| c != call);
                let entry = self.calls.get(call).copied();
                assert!(matches!(entry, Some((_, true))), "Ended command without ended event");
            }
            _ => {}
        }
    }

    pub fn event(&mut self, call: CallId, event: &CallEvent) {
        let is_end = matches!(event.kind, EventKind::Ended { .. });
        match self.calls.get_mut(&call) {
            None => {
                assert!(matches!(event.kind, EventKind::Arrived { .. }), "first event not arrived");
                self.calls.insert(call, (event.at, is_end));
            }
            Some((last, ended)) => {
                assert!(!*ended, "event after ended: {event:?}");
                assert!(event.at >= *last, "events out of time order");
                *last = event.at;
                *ended = is_end;
            }
        }
        if is_end {
            assert!(event.reason.is_some(), "ended without reason");
        }
    }

    pub fn is_busy(&self, user: UserId) -> bool {
        self.busy.contains(&user)
    }

    /// Offers in flight, in a stable order.
    pub fn outstanding(&self) -> Vec<(CallId, UserId)> {
        let mut list: Vec<_> = self.outstanding.iter().copied().collect();
        list.sort();
        list
    }

    /// Calls that arrived and have not ended, oldest id first.
    pub fn live_calls(&self) -> Vec<CallId> {
        self.calls.iter().filter(|(_, (_, ended))| !ended).map(|(c, _)| *c).collect()
    }

    #[track_caller]
    pub fn assert_all_ended(&self) {
        for (call, (_, ended)) in &self.calls {
            assert!(ended, "call {call} never ended");
        }
        assert!(self.outstanding.is_empty(), "offers left: {:?}", self.outstanding);
        assert!(self.engaged.is_empty(), "agents left engaged: {:?}", self.engaged);
    }
}
