//! Calls through the back-to-back user agent: the caller's leg (the INVITE from the trunk),
//! the agents' legs (INVITEs to their devices) and forward legs (INVITEs to the trunk), glued
//! to the routing engine of the number's account.
//!
//! The routing engine decides; this module carries its commands out with the SIP endpoint and
//! the media engine, and turns what happens on the legs back into routing inputs. Everything
//! a call owns (legs, ports, dialogs, transactions) is indexed here and released when the
//! engine says the call ended, so no call can leak a port or a dialog.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use centralita_domain::{
    AccountId, CallEvent, CallId, CallStatus, Cost, Direction, E164, EventKind, Millis, NumberId,
    UserId,
};
use centralita_routing::{
    Agent, Command, Engine, ForwardKind, ForwardOutcome, MediaEvent as RoutingMedia,
    NumberSnapshot, OfferOutcome, Party, Tone, VoicemailEnd,
};
use centralita_sdp::{AnswerPrefs, LocalMedia, Negotiated, OfferPrefs, SessionDescription};
use centralita_sip::{
    DialogEnd, DialogId, HeaderName, Method, NameAddr, Peer, Request, Response, TransactionKey, Uri,
};

use crate::media::{LegId, MediaCommand, MediaEvent, MediaSource, RecordingKind};
use crate::switch::{Output, Switch};

mod click;
pub use click::ClickToCallError;

/// What the store says about one user, for the routing engine (devices come from the
/// registrar).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentInfo {
    /// The user.
    pub user_id: UserId,
    /// Their presence switch.
    pub online_switch: bool,
    /// Their last answered call.
    pub last_answered_at: Option<Millis>,
    /// Their place in the account's creation order.
    pub created_order: u64,
}

/// A change to a call's history, for the store (in order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryOp {
    /// A call arrived.
    Started {
        /// The call.
        call: CallId,
        /// Its account.
        account: AccountId,
        /// The number called, or shown as caller ID (`None`: an outbound attempt refused for
        /// want of one).
        number_id: Option<NumberId>,
        /// Caller.
        from: String,
        /// Called number.
        to: String,
        /// When.
        at: Millis,
        /// Users assigned to the number (who may see the call).
        assigned: Vec<UserId>,
        /// Inbound from the trunk, or outbound from an agent's device.
        direction: Direction,
        /// For an outbound call, the agent who placed it.
        user_id: Option<UserId>,
    },
    /// An event of its timeline.
    Event {
        /// The call.
        call: CallId,
        /// The event.
        event: CallEvent,
    },
    /// It ended.
    Ended {
        /// The call.
        call: CallId,
        /// When.
        at: Millis,
        /// How it turned out.
        status: CallStatus,
        /// When it was answered by an agent or target, and by whom.
        answered: Option<(Millis, Option<UserId>)>,
        /// What its forwarded or transferred leg cost, by the rate table.
        cost: Option<Cost>,
    },
}

/// Which leg of which call a SIP transaction, dialog or media leg belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LegRef {
    Caller(CallId),
    Agent(CallId, usize),
    Forward(CallId),
    /// A phone of the agent who clicked to call, before one answers.
    Dialing(CallId, usize),
}

impl LegRef {
    fn call(self) -> CallId {
        match self {
            Self::Caller(c) | Self::Agent(c, _) | Self::Forward(c) | Self::Dialing(c, _) => c,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutState {
    Trying,
    Ringing,
    Answered,
    Cancelled,
    Done,
}

/// A leg we placed: to an agent's device or to the trunk.
#[derive(Debug)]
struct OutLeg {
    user: Option<UserId>,
    device: String,
    invite: TransactionKey,
    dialog: Option<DialogId>,
    media: LegId,
    port: u16,
    local: LocalMedia,
    offer: SessionDescription,
    /// The direction we last offered (for hold pass-through).
    offered: centralita_sdp::Direction,
    state: OutState,
    status: u16,
}

#[derive(Debug)]
struct CallerLeg {
    invite: TransactionKey,
    request: Request,
    dialog: Option<DialogId>,
    media: LegId,
    port: u16,
    local: LocalMedia,
    answer: SessionDescription,
    negotiated: Negotiated,
    media_started: bool,
    early: bool,
    answered: bool,
    final_sent: bool,
    gone: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Voicemail {
    None,
    Recording,
    HangupPending,
}

#[derive(Debug)]
pub(crate) struct Call {
    account: AccountId,
    /// When it arrived (or was placed).
    started: Millis,
    from: String,
    caller: CallerLeg,
    agents: Vec<OutLeg>,
    forward: Option<OutLeg>,
    /// The leg bridged with the caller.
    connected: Option<LegRef>,
    voicemail: Voicemail,
    collecting: bool,
    /// For the history's outcome.
    answered: Option<(Millis, Option<UserId>)>,
    forwarded: bool,
    /// Where the call was forwarded or transferred, for its cost.
    forward_to: Option<E164>,
    cost: Option<Cost>,
    voicemail_left: bool,
    /// The agent who placed an outbound call: busy until it ends or they send a voicedrop.
    owner: Option<UserId>,
}

/// A click-to-call while the agent's own phones ring: the call proper (the lead's leg) starts
/// when one of them answers.
#[derive(Debug)]
pub(crate) struct Dialing {
    account: AccountId,
    user: UserId,
    number: NumberSnapshot,
    to: E164,
    legs: Vec<OutLeg>,
    /// Our INVITE, kept as the caller leg's request once a phone answers.
    request: Option<Request>,
    started: Millis,
    deadline: Millis,
}

/// Who placed a call.
#[derive(Debug, Clone)]
pub(crate) enum Origin {
    /// A lead calling one of the account's numbers over the trunk.
    Trunk {
        /// The caller's number, from the INVITE's From.
        from: String,
    },
    /// An agent dialling out (from a phone, or by click-to-call once their phone answered),
    /// with one of the agent's numbers as caller ID.
    Device {
        /// The agent.
        user: UserId,
        /// The lead.
        to: E164,
        /// How, for the history.
        how: &'static str,
    },
}

/// Hands a new call to its account's engine.
fn admit(engine: &mut Engine, wall: Millis, call: CallId, number: NumberSnapshot, origin: Origin) {
    match origin {
        Origin::Trunk { from } => engine.handle_call(wall, call, number, from),
        Origin::Device { user, to, how } => {
            engine.handle_outbound(wall, call, number, user, to, how);
        }
    }
}

/// The routing state of one account.
#[derive(Debug)]
pub(crate) enum AccountRouting {
    /// The account's users are being read; calls wait with their number.
    Loading(Vec<(CallId, NumberSnapshot, Origin)>),
    /// Ready.
    Ready { engine: Box<Engine>, agents: HashMap<UserId, AgentInfo> },
}

/// The call layer's own state inside the switch.
#[derive(Debug, Default)]
pub(crate) struct Calls {
    pub(crate) calls: HashMap<CallId, Call>,
    pub(crate) accounts: HashMap<AccountId, AccountRouting>,
    pub(crate) transactions: HashMap<TransactionKey, LegRef>,
    pub(crate) dialogs: HashMap<DialogId, LegRef>,
    pub(crate) legs: HashMap<LegId, LegRef>,
    /// Click-to-calls whose agent has not answered yet.
    pub(crate) dialing: HashMap<CallId, Dialing>,
    /// Users ringing or talking, per call (for "available").
    pub(crate) engaged: HashMap<UserId, HashSet<CallId>>,
    /// Which account each known user belongs to (for device changes).
    pub(crate) user_accounts: HashMap<UserId, AccountId>,
    pub(crate) next_leg: u64,
    pub(crate) next_call: u64,
}

fn tone_source(tone: Tone) -> MediaSource {
    match tone {
        Tone::Ringback => MediaSource::Ringback,
        Tone::Busy => MediaSource::Busy,
        Tone::Beep => MediaSource::Beep,
    }
}

impl Switch {
    // ------------------------------------------------------------------ new inbound calls

    /// An INVITE from a trunk for a number of `account`: answer its offer, open the caller's
    /// leg and hand the call to the account's routing engine.
    pub(crate) fn start_call(
        &mut self,
        now: Instant,
        key: TransactionKey,
        request: Request,
        number: NumberSnapshot,
        account: AccountId,
        origin: Origin,
    ) {
        let reject = |switch: &mut Switch, status: u16, reason: &str, warning: Option<String>| {
            let mut response = Response::for_request(&request, status, reason);
            if let Some(w) = warning {
                response.headers.push(HeaderName::WARNING, w);
            }
            switch.respond(now, key, response);
        };
        if request.body.is_empty() {
            // Delayed offer (the offer in our answer, the answer in the ACK) is not supported:
            // every carrier we know sends an offer.
            return reject(
                self,
                488,
                "Not Acceptable Here",
                Some("399 centralita \"an SDP offer is required\"".into()),
            );
        }
        let Ok(offer) = SessionDescription::parse(&request.body) else {
            return reject(self, 400, "Malformed SDP", None);
        };
        let Some(port) = self.ports.take() else {
            return reject(self, 503, "Service Unavailable", None);
        };
        let call = self.new_call_id(now);
        let leg = self.new_leg();
        let local = LocalMedia::new(self.config.media_address, port, self.session_id(leg));
        let (answer, negotiated) =
            match centralita_sdp::answer(&offer, &local, &AnswerPrefs::default()) {
                Ok(answered) => answered,
                Err(unusable) => {
                    self.ports.give_back(port);
                    let warning = format!("{} centralita \"{unusable}\"", unusable.warning_code());
                    return reject(self, 488, "Not Acceptable Here", Some(warning));
                }
            };
        let (from, to, direction, user_id, forward_to) = match &origin {
            Origin::Trunk { from } => {
                (from.clone(), number.e164.to_string(), Direction::Inbound, None, None)
            }
            Origin::Device { user, to, .. } => (
                number.e164.to_string(),
                to.to_string(),
                Direction::Outbound,
                Some(*user),
                Some(to.clone()),
            ),
        };
        self.push(Output::Media(MediaCommand::CreateLeg {
            call,
            leg,
            address: self.config.media_bind,
            port,
        }));
        self.push(Output::History(HistoryOp::Started {
            call,
            account,
            number_id: Some(number.number_id),
            from: from.clone(),
            to,
            at: self.wall(now),
            assigned: number.settings.assigned_user_ids.clone(),
            direction,
            user_id,
        }));
        self.calls.transactions.insert(key, LegRef::Caller(call));
        self.calls.legs.insert(leg, LegRef::Caller(call));
        let caller = CallerLeg {
            invite: key,
            request,
            dialog: None,
            media: leg,
            port,
            local,
            answer,
            negotiated,
            media_started: false,
            early: false,
            answered: false,
            final_sent: false,
            gone: false,
        };
        let started = self.wall(now);
        let record = Call::new(account, started, from, caller, forward_to, user_id);
        self.calls.calls.insert(call, record);
        if let Some(user) = user_id {
            self.engage(user, call);
        }
        self.hand_over(now, account, call, number, origin);
    }

    /// Gives a call to its account's engine, reading the account's users first if needed.
    fn hand_over(
        &mut self,
        now: Instant,
        account: AccountId,
        call: CallId,
        number: NumberSnapshot,
        origin: Origin,
    ) {
        let wall = self.wall(now);
        match self.calls.accounts.get_mut(&account) {
            Some(AccountRouting::Ready { engine, .. }) => {
                admit(engine, wall, call, number, origin);
                self.pump(now, account);
            }
            Some(AccountRouting::Loading(waiting)) => waiting.push((call, number, origin)),
            None => {
                self.calls
                    .accounts
                    .insert(account, AccountRouting::Loading(vec![(call, number, origin)]));
                self.lookup(crate::switch::Lookup::Agents(account), None);
            }
        }
    }

    /// The users of an account were read: build its routing engine and route the calls that
    /// waited for it.
    pub(crate) fn agents_loaded(
        &mut self,
        now: Instant,
        account: AccountId,
        agents: Vec<AgentInfo>,
        policy: &centralita_routing::OutboundPolicy,
    ) {
        let waiting = match self.calls.accounts.remove(&account) {
            Some(AccountRouting::Loading(waiting)) => waiting,
            Some(ready) => {
                self.calls.accounts.insert(account, ready);
                return;
            }
            None => Vec::new(),
        };
        let wall = self.wall(now);
        let mut engine = Box::new(Engine::new(self.config.routing.clone().with_policy(policy)));
        let mut known = HashMap::new();
        for info in agents {
            self.calls.user_accounts.insert(info.user_id, account);
            engine.handle_agent(wall, self.agent(&info));
            known.insert(info.user_id, info);
        }
        for (call, number, origin) in waiting {
            admit(&mut engine, wall, call, number, origin);
        }
        self.calls.accounts.insert(account, AccountRouting::Ready { engine, agents: known });
        self.pump(now, account);
    }

    /// The users of an account could not be read: the calls that waited for them are
    /// refused (503, so the carrier may try again) rather than routed on a guess.
    pub(crate) fn agents_failed(&mut self, now: Instant, account: AccountId) {
        let Some(AccountRouting::Loading(waiting)) = self.calls.accounts.remove(&account) else {
            return;
        };
        for (call, _, _) in waiting {
            self.reject_caller(now, call, 503, "the account could not be read");
            self.end(now, call);
        }
    }

    /// A user of an account changed (presence switch, created) or was deleted (`None`).
    pub fn handle_agent_changed(
        &mut self,
        now: Instant,
        account: AccountId,
        user: UserId,
        info: Option<AgentInfo>,
    ) {
        let wall = self.wall(now);
        let agent = info.as_ref().map(|i| self.agent(i));
        let Some(AccountRouting::Ready { engine, agents }) = self.calls.accounts.get_mut(&account)
        else {
            return;
        };
        match (info, agent) {
            (Some(info), Some(agent)) => {
                self.calls.user_accounts.insert(user, account);
                agents.insert(user, info);
                engine.handle_agent(wall, agent);
            }
            _ => {
                agents.remove(&user);
                engine.handle_agent_removed(wall, user);
            }
        }
        self.pump(now, account);
    }

    /// An account's outbound policy changed: its engine applies it to the calls to come.
    pub fn handle_account_changed(
        &mut self,
        account: AccountId,
        policy: &centralita_routing::OutboundPolicy,
    ) {
        if let Some(engine) = self.engine(account) {
            engine.set_policy(policy);
        }
    }

    /// A user's devices changed: tell their account's engine.
    pub(crate) fn devices_changed(&mut self, now: Instant, user: UserId) {
        let Some(&account) = self.calls.user_accounts.get(&user) else { return };
        let info = match self.calls.accounts.get(&account) {
            Some(AccountRouting::Ready { agents, .. }) => agents.get(&user).cloned(),
            _ => None,
        };
        let Some(info) = info else { return };
        let agent = self.agent(&info);
        let wall = self.wall(now);
        if let Some(AccountRouting::Ready { engine, .. }) = self.calls.accounts.get_mut(&account) {
            engine.handle_agent(wall, agent);
        }
        self.pump(now, account);
    }

    fn agent(&self, info: &AgentInfo) -> Agent {
        Agent {
            user_id: info.user_id,
            online_switch: info.online_switch,
            devices: self
                .registrar
                .bindings(info.user_id)
                .iter()
                .map(|b| b.contact_text())
                .collect(),
            last_answered_at: info.last_answered_at,
            created_order: info.created_order,
        }
    }

    fn new_leg(&mut self) -> LegId {
        self.calls.next_leg += 1;
        LegId(self.calls.next_leg)
    }

    fn session_id(&self, leg: LegId) -> u64 {
        // Unique per leg and not guessable across restarts: the leg counter mixed with the
        // id key.
        let key = u64::from_le_bytes(self.config.digest_key[..8].try_into().unwrap_or([0; 8]));
        (leg.0 ^ key).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 1
    }

    fn new_call_id(&mut self, now: Instant) -> CallId {
        self.calls.next_call += 1;
        let counter = self.calls.next_call;
        let key = u64::from_le_bytes(self.config.digest_key[8..16].try_into().unwrap_or([0; 8]));
        let random = (counter ^ key).wrapping_mul(0x9E37_79B9_7F4A_7C15).to_le_bytes();
        let mut bytes = [0u8; 10];
        bytes[..8].copy_from_slice(&random);
        bytes[8..].copy_from_slice(&(counter as u16).to_le_bytes());
        let ms = u64::try_from(self.wall(now).0).unwrap_or(0);
        CallId::from_uuid(uuid::Builder::from_unix_timestamp_millis(ms, &bytes).into_uuid())
    }

    // ------------------------------------------------------------------ the engine's commands

    /// Drains the engine of `account`: history and commands, until it has nothing more to say
    /// (a command can feed the engine again, e.g. an offer to a user without devices).
    pub(crate) fn pump(&mut self, now: Instant, account: AccountId) {
        loop {
            let Some(AccountRouting::Ready { engine, .. }) = self.calls.accounts.get_mut(&account)
            else {
                return;
            };
            let mut events = Vec::new();
            while let Some(event) = engine.poll_event() {
                events.push(event);
            }
            let command = engine.poll_command();
            for (call, event) in events {
                self.on_routing_event(call, event);
            }
            match command {
                Some(command) => self.execute(now, account, command),
                None => return,
            }
        }
    }

    fn on_routing_event(&mut self, call: CallId, mut event: CallEvent) {
        if let Some(c) = self.calls.calls.get_mut(&call) {
            match &mut event.kind {
                EventKind::Answered { user_id } => c.answered = Some((event.at, *user_id)),
                EventKind::Forwarded { to } | EventKind::Transferred { to } => {
                    c.forwarded = true;
                    c.forward_to = E164::parse(to).ok();
                }
                // The external leg is billed like an outbound call (product.md): priced by
                // its talk time, which is the call's (the leg answered it).
                EventKind::Ended { talk_ms, cost, .. } => {
                    if let Some(to) = c.forward_to.as_ref().filter(|_| c.answered.is_some()) {
                        *cost = self.config.rates.price(to, *talk_ms).map(|p| p.cost);
                        c.cost.clone_from(cost);
                    }
                }
                _ => {}
            }
        }
        self.push(Output::History(HistoryOp::Event { call, event }));
    }

    fn engine(&mut self, account: AccountId) -> Option<&mut Engine> {
        match self.calls.accounts.get_mut(&account) {
            Some(AccountRouting::Ready { engine, .. }) => Some(engine),
            _ => None,
        }
    }

    /// Feeds the engine of `call`'s account and drains it.
    /// The agent on the outbound call `call` sends its voicedrop message `audio` (API or
    /// feature code): refused in words unless the call is an outbound call the lead answered.
    pub fn voicedrop_call(
        &mut self,
        now: Instant,
        call: CallId,
        audio: centralita_domain::AudioId,
    ) -> Result<(), String> {
        let Some(account) = self.calls.calls.get(&call).map(|c| c.account) else {
            return Err("the call is not in progress on this server".into());
        };
        let wall = self.wall(now);
        let result = match self.engine(account) {
            Some(engine) => engine.handle_voicedrop(wall, call, audio).map_err(str::to_owned),
            None => Err("the call is not in progress on this server".into()),
        };
        self.pump(now, account);
        result
    }

    fn feed(&mut self, now: Instant, call: CallId, input: impl FnOnce(&mut Engine, Millis)) {
        let Some(account) = self.calls.calls.get(&call).map(|c| c.account) else { return };
        let wall = self.wall(now);
        if let Some(engine) = self.engine(account) {
            input(engine, wall);
        }
        self.pump(now, account);
    }

    fn execute(&mut self, now: Instant, account: AccountId, command: Command) {
        let call_id = command.call();
        if !self.calls.calls.contains_key(&call_id) {
            return;
        }
        match command {
            Command::EarlyMedia { call } => self.early_media(now, call),
            Command::Answer { call } => self.answer_caller(now, call),
            Command::PlayAudio { call, audio } => {
                self.set_caller_source(call, MediaSource::Audio { account, audio });
            }
            Command::PlayTone { call, tone } => self.set_caller_source(call, tone_source(tone)),
            Command::StopMedia { call } => self.set_caller_source(call, MediaSource::Silence),
            Command::CollectDigits { call, enabled } => {
                if let Some(c) = self.calls.calls.get_mut(&call) {
                    c.collecting = enabled;
                    let leg = c.caller.media;
                    self.push(Output::Media(MediaCommand::CollectDigits { leg, inband: enabled }));
                }
            }
            Command::RecordVoicemail { call, max_s, silence_s } => {
                if let Some(c) = self.calls.calls.get_mut(&call) {
                    c.voicemail = Voicemail::Recording;
                    c.voicemail_left = true;
                    let left = c.caller.media;
                    self.push(Output::Media(MediaCommand::Record {
                        call,
                        left,
                        right: None,
                        kind: RecordingKind::Voicemail { max_s, silence_s },
                    }));
                }
            }
            Command::Offer { call, user, devices } => self.offer(now, call, user, &devices),
            Command::CancelOffer { call, user } => {
                self.cancel_user(now, call, user, None);
                self.disengage(user, call);
            }
            Command::DropLateAnswer { call, user, device } => {
                self.drop_agent_leg(now, call, user, &device);
                self.disengage(user, call);
            }
            Command::Connect { call, user, device } => self.connect(now, call, user, &device),
            Command::Forward { call, to, kind } => self.forward(now, call, &to, kind),
            Command::StartRecording { call } => {
                if let Some(c) = self.calls.calls.get(&call) {
                    let right = match c.connected {
                        Some(LegRef::Agent(_, i)) => c.agents.get(i).map(|l| l.media),
                        Some(LegRef::Forward(_)) => c.forward.as_ref().map(|l| l.media),
                        _ => None,
                    };
                    let left = c.caller.media;
                    self.push(Output::Media(MediaCommand::Record {
                        call,
                        left,
                        right,
                        kind: RecordingKind::Conversation,
                    }));
                }
            }
            Command::Reject { call, status, reason } => {
                self.reject_caller(now, call, status, reason);
            }
            Command::Voicedrop { call, audio } => self.voicedrop(now, call, audio),
            Command::Hangup { call } => self.hang_up_caller(now, call),
            Command::Ended { call } => self.end(now, call),
        }
    }

    /// Plays `audio` to the external leg instead of the bridge and hangs up the caller leg
    /// (the agent's phone) at once.
    fn voicedrop(&mut self, now: Instant, call: CallId, audio: centralita_domain::AudioId) {
        let Some(c) = self.calls.calls.get_mut(&call) else { return };
        let account = c.account;
        if let Some(user) = c.owner.take() {
            self.disengage(user, call);
        }
        let Some(c) = self.calls.calls.get(&call) else { return };
        if let Some(leg) = c.forward.as_ref().map(|l| l.media) {
            let source = MediaSource::Audio { account, audio };
            self.push(Output::Media(MediaCommand::SetSource { leg, source }));
        }
        self.hang_up_caller(now, call);
    }

    fn start_caller_media(&mut self, call: CallId) {
        let Some(c) = self.calls.calls.get_mut(&call) else { return };
        if !c.caller.media_started {
            c.caller.media_started = true;
            let (leg, negotiated) = (c.caller.media, c.caller.negotiated);
            self.push(Output::Media(MediaCommand::Negotiated { leg, negotiated }));
        }
    }

    fn early_media(&mut self, now: Instant, call: CallId) {
        let contact = self.contact();
        let Some(c) = self.calls.calls.get_mut(&call) else { return };
        if c.caller.early || c.caller.final_sent {
            return;
        }
        c.caller.early = true;
        let mut response = Response::for_request(&c.caller.request, 183, "Session Progress");
        response.set_body("application/sdp", c.caller.answer.to_string().into_bytes());
        response.headers.push(HeaderName::CONTACT, contact);
        let key = c.caller.invite;
        self.respond(now, key, response);
        self.start_caller_media(call);
    }

    fn answer_caller(&mut self, now: Instant, call: CallId) {
        let contact = self.contact();
        let Some(c) = self.calls.calls.get_mut(&call) else { return };
        if c.caller.final_sent || c.caller.gone {
            return;
        }
        c.caller.final_sent = true;
        c.caller.answered = true;
        let mut response = Response::for_request(&c.caller.request, 200, "OK");
        response.set_body("application/sdp", c.caller.answer.to_string().into_bytes());
        response.headers.push(HeaderName::CONTACT, contact);
        response.headers.push(HeaderName::ALLOW, crate::switch::ALLOW);
        let key = c.caller.invite;
        response.headers.push(HeaderName::SERVER, self.config.server_name.clone());
        if let Ok(Some(dialog)) = self.endpoint.respond(now, key, response) {
            self.calls.dialogs.insert(dialog, LegRef::Caller(call));
            if let Some(c) = self.calls.calls.get_mut(&call) {
                c.caller.dialog = Some(dialog);
            }
        }
        self.start_caller_media(call);
    }

    fn set_caller_source(&mut self, call: CallId, source: MediaSource) {
        let Some(c) = self.calls.calls.get(&call) else { return };
        let leg = c.caller.media;
        self.start_caller_media(call);
        self.push(Output::Media(MediaCommand::SetSource { leg, source }));
    }

    fn reject_caller(&mut self, now: Instant, call: CallId, status: u16, reason: &str) {
        let Some(c) = self.calls.calls.get_mut(&call) else { return };
        if c.caller.final_sent || c.caller.gone {
            return;
        }
        c.caller.final_sent = true;
        let phrase = match status {
            480 => "Temporarily Unavailable",
            486 => "Busy Here",
            603 => "Decline",
            404 => "Not Found",
            503 => "Service Unavailable",
            _ => "Call Refused",
        };
        let mut response = Response::for_request(&c.caller.request, status, phrase);
        response.headers.push(HeaderName::REASON, format!("SIP;cause={status};text=\"{reason}\""));
        let key = c.caller.invite;
        self.respond(now, key, response);
    }

    fn hang_up_caller(&mut self, now: Instant, call: CallId) {
        let Some(c) = self.calls.calls.get_mut(&call) else { return };
        if c.caller.gone {
            return;
        }
        c.caller.gone = true;
        if let Some(dialog) = c.caller.dialog.take() {
            self.calls.dialogs.remove(&dialog);
            let _ = self.endpoint.bye(now, dialog);
        } else if !c.caller.final_sent {
            c.caller.final_sent = true;
            let response = Response::for_request(&c.caller.request, 480, "Temporarily Unavailable");
            let key = c.caller.invite;
            self.respond(now, key, response);
        }
    }

    // ------------------------------------------------------------------ agents' legs

    fn engage(&mut self, user: UserId, call: CallId) {
        let calls = self.calls.engaged.entry(user).or_default();
        let was_free = calls.is_empty();
        calls.insert(call);
        if was_free {
            self.push(Output::Busy(user, true));
        }
    }

    fn disengage(&mut self, user: UserId, call: CallId) {
        let Some(calls) = self.calls.engaged.get_mut(&user) else { return };
        if calls.remove(&call) && calls.is_empty() {
            self.calls.engaged.remove(&user);
            self.push(Output::Busy(user, false));
        }
    }

    /// Whether the user is ringing or talking on a call.
    pub fn is_engaged(&self, user: UserId) -> bool {
        self.calls.engaged.contains_key(&user)
    }

    fn offer(&mut self, now: Instant, call: CallId, user: UserId, devices: &[String]) {
        if self.calls.dialing.values().any(|d| d.user == user) {
            // Their phones ring for their own click-to-call (the engine does not know of it
            // until one answers): busy here, as the phone itself would say.
            return self.feed(now, call, |engine, wall| {
                engine.handle_offer(wall, call, user, OfferOutcome::Failed { status: 486 });
            });
        }
        let bindings: Vec<crate::registrar::Binding> = self
            .registrar
            .bindings(user)
            .iter()
            .filter(|b| devices.contains(&b.contact_text()))
            .cloned()
            .collect();
        self.engage(user, call);
        let mut sent = 0;
        for binding in bindings {
            let target = binding.contact.clone();
            if self
                .invite_out(now, call, Some(user), binding.contact_text(), target, binding.flow)
                .is_some()
            {
                sent += 1;
            }
        }
        if sent == 0 {
            // Nothing could be rung (devices gone since, or no port left).
            self.disengage(user, call);
            self.feed(now, call, |engine, wall| {
                engine.handle_offer(wall, call, user, OfferOutcome::Failed { status: 0 });
            });
        }
    }

    /// Sends an INVITE with our offer on a new leg of `call`: to an agent's device (`user`)
    /// or to the trunk (no user). Returns the leg's index (agents) or 0 (forward).
    fn invite_out(
        &mut self,
        now: Instant,
        call: CallId,
        user: Option<UserId>,
        device: String,
        target: Uri,
        peer: Peer,
    ) -> Option<usize> {
        let from = self.calls.calls.get(&call)?.from.clone();
        let (out, _) = self.place_leg(now, call, &from, user, device, target, peer)?;
        let (invite, leg) = (out.invite, out.media);
        let c = self.calls.calls.get_mut(&call)?;
        let (index, reference) = if user.is_some() {
            c.agents.push(out);
            (c.agents.len() - 1, LegRef::Agent(call, c.agents.len() - 1))
        } else {
            c.forward = Some(out);
            (0, LegRef::Forward(call))
        };
        self.calls.transactions.insert(invite, reference);
        self.calls.legs.insert(leg, reference);
        Some(index)
    }

    /// Sends an INVITE from `from` with our offer to `target` and opens its media leg; the
    /// caller files the leg. Returns it with the INVITE sent.
    #[allow(clippy::too_many_arguments)]
    fn place_leg(
        &mut self,
        now: Instant,
        call: CallId,
        from: &str,
        user: Option<UserId>,
        device: String,
        target: Uri,
        peer: Peer,
    ) -> Option<(OutLeg, Request)> {
        let port = self.ports.take()?;
        let leg = self.new_leg();
        let local = LocalMedia::new(self.config.media_address, port, self.session_id(leg));
        let offer = centralita_sdp::offer(&local, &OfferPrefs::default());
        let mut request = Request::new(Method::Invite, target.clone());
        let caller_name = from.replace('"', "");
        let from_uri = format!("sip:{}@{}", sip_user_part(from), self.config.sip_host);
        request.headers.push(
            HeaderName::FROM,
            format!("\"{caller_name}\" <{from_uri}>;tag={}", self.endpoint.new_tag()),
        );
        let to = NameAddr::new(target);
        request.headers.push(HeaderName::TO, to.to_string());
        request.headers.push(HeaderName::CALL_ID, self.endpoint.new_call_id());
        request.headers.push(HeaderName::CSEQ, "1 INVITE");
        request.headers.push(HeaderName::CONTACT, self.contact());
        request.headers.push(HeaderName::ALLOW, crate::switch::ALLOW);
        request.set_body("application/sdp", offer.to_string().into_bytes());
        let sent = request.clone();
        let Ok(invite) = self.endpoint.send_request(now, request, peer) else {
            self.ports.give_back(port);
            return None;
        };
        self.push(Output::Media(MediaCommand::CreateLeg {
            call,
            leg,
            address: self.config.media_bind,
            port,
        }));
        let out = OutLeg {
            user,
            device,
            invite,
            dialog: None,
            media: leg,
            port,
            local,
            offer,
            offered: centralita_sdp::Direction::SendRecv,
            state: OutState::Trying,
            status: 0,
        };
        Some((out, sent))
    }

    /// Cancels (or hangs up) the legs of `user` in `call`, except the one at `keep`.
    fn cancel_user(&mut self, now: Instant, call: CallId, user: UserId, keep: Option<usize>) {
        let Some(c) = self.calls.calls.get(&call) else { return };
        let targets: Vec<usize> = c
            .agents
            .iter()
            .enumerate()
            .filter(|(i, l)| l.user == Some(user) && Some(*i) != keep)
            .map(|(i, _)| i)
            .collect();
        for index in targets {
            self.close_out_leg(now, LegRef::Agent(call, index));
        }
    }

    /// Ends one of our outgoing legs, whatever its state: CANCEL while it rings, BYE once
    /// answered; its media goes at once.
    fn close_out_leg(&mut self, now: Instant, reference: LegRef) {
        let (invite, dialog, state, media, port) = {
            let Some(leg) = self.out_leg_mut(reference) else { return };
            let snapshot = (leg.invite, leg.dialog.take(), leg.state, leg.media, leg.port);
            if matches!(leg.state, OutState::Trying | OutState::Ringing | OutState::Answered) {
                leg.state = if leg.state == OutState::Answered {
                    OutState::Done
                } else {
                    OutState::Cancelled
                };
            }
            snapshot
        };
        match state {
            OutState::Trying | OutState::Ringing => {
                let _ = self.endpoint.cancel(now, invite);
            }
            OutState::Answered => {
                if let Some(dialog) = dialog {
                    self.calls.dialogs.remove(&dialog);
                    let _ = self.endpoint.bye(now, dialog);
                }
            }
            OutState::Cancelled | OutState::Done => return,
        }
        self.release_leg(media, port);
    }

    fn release_leg(&mut self, media: LegId, port: u16) {
        if self.calls.legs.remove(&media).is_some() {
            self.push(Output::Media(MediaCommand::DestroyLeg { leg: media }));
            self.ports.give_back(port);
        }
    }

    fn out_leg_mut(&mut self, reference: LegRef) -> Option<&mut OutLeg> {
        match reference {
            LegRef::Agent(call, i) => self.calls.calls.get_mut(&call)?.agents.get_mut(i),
            LegRef::Forward(call) => self.calls.calls.get_mut(&call)?.forward.as_mut(),
            LegRef::Dialing(call, i) => self.calls.dialing.get_mut(&call)?.legs.get_mut(i),
            LegRef::Caller(_) => None,
        }
    }

    fn drop_agent_leg(&mut self, now: Instant, call: CallId, user: UserId, device: &str) {
        let Some(c) = self.calls.calls.get(&call) else { return };
        let found = c.agents.iter().position(|l| l.user == Some(user) && l.device == device);
        if let Some(index) = found {
            self.close_out_leg(now, LegRef::Agent(call, index));
        }
    }

    fn connect(&mut self, now: Instant, call: CallId, user: UserId, device: &str) {
        let Some(c) = self.calls.calls.get(&call) else { return };
        let Some(index) = c.agents.iter().position(|l| {
            l.user == Some(user) && l.device == device && l.state == OutState::Answered
        }) else {
            return;
        };
        let (a, b) = (c.caller.media, c.agents[index].media);
        self.cancel_user(now, call, user, Some(index));
        if let Some(c) = self.calls.calls.get_mut(&call) {
            c.connected = Some(LegRef::Agent(call, index));
        }
        self.answer_caller(now, call);
        self.push(Output::Media(MediaCommand::SetSource { leg: a, source: MediaSource::Bridged }));
        self.push(Output::Media(MediaCommand::Bridge { a, b }));
    }

    fn forward(&mut self, now: Instant, call: CallId, to: &E164, kind: ForwardKind) {
        let Some(trunk) = self.config.outbound.clone() else {
            self.feed(now, call, |engine, wall| {
                engine.handle_forward(wall, call, ForwardOutcome::Failed { status: 503 });
            });
            return;
        };
        let mut target = trunk.uri.clone();
        if let Uri::Sip(sip) = &mut target {
            sip.set_user(Some(to.as_str()));
        }
        let peer = Peer {
            transport: trunk.transport,
            remote: trunk.address,
            local: self.local,
            connection: None,
        };
        let _ = kind;
        if self.invite_out(now, call, None, to.to_string(), target, peer).is_none() {
            self.feed(now, call, |engine, wall| {
                engine.handle_forward(wall, call, ForwardOutcome::Failed { status: 503 });
            });
        }
    }

    // ------------------------------------------------------------------ SIP events of calls

    /// A response to one of our INVITEs (agents, forwards) or re-INVITEs.
    pub(crate) fn on_call_response(
        &mut self,
        now: Instant,
        key: TransactionKey,
        response: Response,
        dialog: Option<DialogId>,
    ) -> bool {
        let Some(&reference) = self.calls.transactions.get(&key) else { return false };
        let call = reference.call();
        let Some(leg) = self.out_leg_mut(reference) else { return true };
        if leg.invite != key {
            // A re-INVITE we sent on this leg: its answer changes nothing we track.
            return true;
        }
        let status = response.status;
        let user = leg.user;
        let state = leg.state;
        match status {
            101..=199 => {
                if state == OutState::Trying {
                    leg.state = OutState::Ringing;
                    if let (Some(user), LegRef::Agent(..)) = (user, reference) {
                        let first = self
                            .calls
                            .calls
                            .get(&call)
                            .map(|c| {
                                c.agents
                                    .iter()
                                    .filter(|l| {
                                        l.user == Some(user) && l.state == OutState::Ringing
                                    })
                                    .count()
                                    == 1
                            })
                            .unwrap_or(false);
                        if first {
                            self.feed(now, call, |e, w| {
                                e.handle_offer(w, call, user, OfferOutcome::Ringing);
                            });
                        }
                    }
                }
            }
            200..=299 => {
                if matches!(state, OutState::Cancelled | OutState::Done) {
                    // Answered after our CANCEL: the endpoint ACKs and BYEs it.
                    return true;
                }
                let negotiated = SessionDescription::parse(&response.body)
                    .ok()
                    .and_then(|answer| centralita_sdp::accept_answer(&leg.offer, &answer).ok());
                leg.dialog = dialog;
                let media = leg.media;
                let Some(negotiated) = negotiated else {
                    // No usable answer: hang this leg up as failed.
                    leg.state = OutState::Answered;
                    if let Some(d) = dialog {
                        self.calls.dialogs.insert(d, reference);
                    }
                    self.close_out_leg(now, reference);
                    self.out_failed(now, call, reference, user, 488);
                    return true;
                };
                leg.state = OutState::Answered;
                if let Some(d) = dialog {
                    self.calls.dialogs.insert(d, reference);
                }
                self.push(Output::Media(MediaCommand::Negotiated { leg: media, negotiated }));
                if let LegRef::Dialing(call, index) = reference {
                    self.dialing_answered(now, call, index, negotiated, dialog);
                    return true;
                }
                match user {
                    Some(user) => {
                        let device = self
                            .out_leg_mut(reference)
                            .map(|l| l.device.clone())
                            .unwrap_or_default();
                        self.feed(now, call, |e, w| {
                            e.handle_offer(w, call, user, OfferOutcome::Answered { device });
                        });
                    }
                    None => {
                        if let Some(c) = self.calls.calls.get_mut(&call) {
                            c.connected = Some(LegRef::Forward(call));
                        }
                        let a = self.calls.calls.get(&call).map(|c| c.caller.media);
                        self.answer_caller(now, call);
                        if let Some(a) = a {
                            self.push(Output::Media(MediaCommand::SetSource {
                                leg: a,
                                source: MediaSource::Bridged,
                            }));
                            self.push(Output::Media(MediaCommand::Bridge { a, b: media }));
                        }
                        self.feed(now, call, |e, w| {
                            e.handle_forward(w, call, ForwardOutcome::Answered);
                        });
                    }
                }
            }
            _ => {
                let (media, port) = (leg.media, leg.port);
                let was_cancelled = state == OutState::Cancelled;
                leg.state = OutState::Done;
                leg.status = status;
                self.calls.transactions.remove(&key);
                self.release_leg(media, port);
                if !was_cancelled {
                    self.out_failed(now, call, reference, user, status);
                }
            }
        }
        true
    }

    /// One of our outgoing legs ended without an answer (or with an unusable one).
    fn out_failed(
        &mut self,
        now: Instant,
        call: CallId,
        reference: LegRef,
        user: Option<UserId>,
        status: u16,
    ) {
        match (reference, user) {
            (LegRef::Agent(..), Some(user)) => {
                let Some(c) = self.calls.calls.get(&call) else { return };
                let legs: Vec<&OutLeg> = c.agents.iter().filter(|l| l.user == Some(user)).collect();
                let still_trying = legs.iter().any(|l| {
                    matches!(l.state, OutState::Trying | OutState::Ringing | OutState::Answered)
                });
                if still_trying {
                    return;
                }
                // Only legs that ended with a status of their own (not cancelled by us) count.
                let declined = legs.iter().any(|l| matches!(l.status, 486 | 600 | 603));
                let outcome =
                    if declined { OfferOutcome::Declined } else { OfferOutcome::Failed { status } };
                self.disengage(user, call);
                self.feed(now, call, |e, w| e.handle_offer(w, call, user, outcome));
            }
            (LegRef::Forward(_), _) => {
                self.feed(now, call, |e, w| {
                    e.handle_forward(w, call, ForwardOutcome::Failed { status });
                });
            }
            (LegRef::Dialing(..), _) => self.dialing_failed(now, call),
            _ => {}
        }
    }

    /// A transaction of ours ended without an answer (timeout or transport error).
    pub(crate) fn on_call_transaction_failed(
        &mut self,
        now: Instant,
        key: TransactionKey,
        status: u16,
    ) -> bool {
        let Some(&reference) = self.calls.transactions.get(&key) else { return false };
        if matches!(reference, LegRef::Caller(_)) {
            return true;
        }
        let mut response = Response::new(status, "Request Timeout");
        response.status = status;
        // Feed it as a final response of that status.
        self.on_call_response(now, key, response, None);
        true
    }

    /// The caller cancelled their INVITE.
    pub(crate) fn on_call_cancelled(&mut self, now: Instant, key: TransactionKey) -> bool {
        let Some(&LegRef::Caller(call)) = self.calls.transactions.get(&key) else { return false };
        if let Some(c) = self.calls.calls.get_mut(&call) {
            c.caller.gone = true;
            c.caller.final_sent = true;
        }
        self.caller_left(now, call);
        true
    }

    fn caller_left(&mut self, now: Instant, call: CallId) {
        let Some(c) = self.calls.calls.get_mut(&call) else { return };
        c.caller.gone = true;
        if c.voicemail == Voicemail::Recording {
            // Keep what was said: the recording stops, then the engine hears of both.
            c.voicemail = Voicemail::HangupPending;
            self.push(Output::Media(MediaCommand::StopVoicemail { call }));
            return;
        }
        if let Some(started) = self.unqueue(call) {
            // Gone before its account's engine could take it: it ends here.
            let reason = centralita_routing::EndReason::CallerHungUp;
            self.push_ended_event(now, call, started, reason, centralita_domain::HangupBy::Caller);
            return self.end(now, call);
        }
        self.feed(now, call, |e, w| e.handle_hangup(w, call, Party::Caller));
    }

    /// Takes `call` out of its account's waiting list if it waits there for the account's
    /// users to be read; returns when it started.
    fn unqueue(&mut self, call: CallId) -> Option<Millis> {
        let (account, started) = self.calls.calls.get(&call).map(|c| (c.account, c.started))?;
        let Some(AccountRouting::Loading(waiting)) = self.calls.accounts.get_mut(&account) else {
            return None;
        };
        let before = waiting.len();
        waiting.retain(|(c, _, _)| *c != call);
        (waiting.len() < before).then_some(started)
    }

    /// A dialog of a call ended.
    pub(crate) fn on_call_dialog_ended(
        &mut self,
        now: Instant,
        dialog: DialogId,
        reason: &DialogEnd,
    ) -> bool {
        let Some(reference) = self.calls.dialogs.remove(&dialog) else { return false };
        match reference {
            LegRef::Caller(call) => {
                if let Some(c) = self.calls.calls.get_mut(&call) {
                    c.caller.dialog = None;
                }
                if !matches!(reason, DialogEnd::ByeSent) {
                    self.caller_left(now, call);
                }
            }
            LegRef::Agent(call, _) | LegRef::Forward(call) | LegRef::Dialing(call, _) => {
                let connected =
                    self.calls.calls.get(&call).is_some_and(|c| c.connected == Some(reference));
                let (media, port) = match self.out_leg_mut(reference) {
                    Some(leg) => {
                        leg.dialog = None;
                        leg.state = OutState::Done;
                        (leg.media, leg.port)
                    }
                    None => return true,
                };
                self.release_leg(media, port);
                if connected && !matches!(reason, DialogEnd::ByeSent) {
                    self.feed(now, call, |e, w| e.handle_hangup(w, call, Party::Callee));
                }
            }
        }
        true
    }

    /// A request inside a dialog of a call: re-INVITE/UPDATE (hold, resume), INFO (digits).
    pub(crate) fn on_call_in_dialog(
        &mut self,
        now: Instant,
        key: TransactionKey,
        request: Request,
        dialog: DialogId,
    ) -> bool {
        let Some(&reference) = self.calls.dialogs.get(&dialog) else { return false };
        match request.method {
            Method::Info => {
                let content_type =
                    request.headers.get(&HeaderName::CONTENT_TYPE).unwrap_or("").to_owned();
                let digit = centralita_media::dtmf::parse_sip_info(&content_type, &request.body)
                    .ok()
                    .map(|k| k.key);
                self.respond(now, key, Response::for_request(&request, 200, "OK"));
                if let (Some(digit), LegRef::Caller(call)) = (digit, reference) {
                    self.caller_digit(now, call, digit);
                }
            }
            Method::Invite | Method::Update => self.re_offer(now, key, &request, reference),
            Method::Options => {
                let mut response = Response::for_request(&request, 200, "OK");
                response.headers.push(HeaderName::ALLOW, crate::switch::ALLOW);
                self.respond(now, key, response);
            }
            _ => {
                let mut response = Response::for_request(&request, 405, "Method Not Allowed");
                response.headers.push(HeaderName::ALLOW, crate::switch::ALLOW);
                self.respond(now, key, response);
            }
        }
        true
    }

    /// A re-INVITE or UPDATE on a leg: answer it from our side, and pass a hold or resume on
    /// to the bridged leg so the other phone shows it too.
    fn re_offer(
        &mut self,
        now: Instant,
        key: TransactionKey,
        request: &Request,
        reference: LegRef,
    ) {
        let call = reference.call();
        let offer = if request.body.is_empty() {
            None
        } else {
            SessionDescription::parse(&request.body).ok()
        };
        let (local, media) = match reference {
            LegRef::Caller(_) => match self.calls.calls.get(&call) {
                Some(c) => (c.caller.local.clone(), c.caller.media),
                None => return,
            },
            _ => match self.out_leg_mut(reference) {
                Some(l) => (l.local.clone(), l.media),
                None => return,
            },
        };
        let Some(offer) = offer else {
            // A session refresh without an offer: our current description, unchanged.
            let current = match reference {
                LegRef::Caller(_) => self.calls.calls.get(&call).map(|c| c.caller.answer.clone()),
                _ => self.out_leg_mut(reference).map(|l| l.offer.clone()),
            };
            let mut response = Response::for_request(request, 200, "OK");
            if let Some(sdp) = current {
                response.set_body("application/sdp", sdp.to_string().into_bytes());
            }
            response.headers.push(HeaderName::CONTACT, self.contact());
            self.respond(now, key, response);
            return;
        };
        let mut local = local;
        local.session_version += 1;
        let answered = centralita_sdp::answer(&offer, &local, &AnswerPrefs::default());
        let Ok((answer, negotiated)) = answered else {
            self.respond(now, key, Response::for_request(request, 488, "Not Acceptable Here"));
            return;
        };
        let mut response = Response::for_request(request, 200, "OK");
        response.set_body("application/sdp", answer.to_string().into_bytes());
        response.headers.push(HeaderName::CONTACT, self.contact());
        self.respond(now, key, response);
        self.push(Output::Media(MediaCommand::Negotiated { leg: media, negotiated }));
        match reference {
            LegRef::Caller(_) => {
                if let Some(c) = self.calls.calls.get_mut(&call) {
                    c.caller.local = local;
                    c.caller.answer = answer;
                }
            }
            _ => {
                if let Some(l) = self.out_leg_mut(reference) {
                    l.local = local;
                }
            }
        }
        // Pass the peer's hold or resume to the other side.
        let other = self.calls.calls.get(&call).and_then(|c| match (reference, c.connected) {
            (LegRef::Caller(_), Some(other)) => Some(other),
            (r, Some(connected)) if r == connected => Some(LegRef::Caller(call)),
            _ => None,
        });
        if let Some(other) = other {
            self.relay_direction(now, other, negotiated.remote_direction);
        }
    }

    /// Re-offers our description to `reference` with `direction` (sendonly to put it on hold,
    /// sendrecv to resume), if that changes what we last offered it.
    fn relay_direction(
        &mut self,
        now: Instant,
        reference: LegRef,
        direction: centralita_sdp::Direction,
    ) {
        let call = reference.call();
        let (dialog, sdp) = match reference {
            LegRef::Caller(_) => {
                let Some(c) = self.calls.calls.get_mut(&call) else { return };
                let Some(dialog) = c.caller.dialog else { return };
                if c.caller.answer.direction_for(0) == direction {
                    return;
                }
                c.caller.local.session_version += 1;
                let mut sdp = c.caller.answer.with_direction(direction);
                sdp.bump_version();
                c.caller.answer = sdp.clone();
                (dialog, sdp)
            }
            _ => {
                let Some(leg) = self.out_leg_mut(reference) else { return };
                let Some(dialog) = leg.dialog else { return };
                if leg.offered == direction {
                    return;
                }
                leg.offered = direction;
                let mut sdp = leg.offer.with_direction(direction);
                sdp.bump_version();
                leg.offer = sdp.clone();
                (dialog, sdp)
            }
        };
        if let Ok(mut request) = self.endpoint.dialog_request(dialog, Method::Invite) {
            request.headers.push(HeaderName::CONTACT, self.contact());
            request.set_body("application/sdp", sdp.to_string().into_bytes());
            if let Ok(key) = self.endpoint.send_in_dialog(now, dialog, request) {
                self.calls.transactions.insert(key, reference);
            }
        }
    }

    fn caller_digit(&mut self, now: Instant, call: CallId, digit: char) {
        let collecting = self.calls.calls.get(&call).is_some_and(|c| c.collecting);
        if collecting {
            self.feed(now, call, |e, w| e.handle_media(w, call, RoutingMedia::Digit(digit)));
        }
    }

    /// The media engine reports on a leg.
    pub fn handle_media_event(&mut self, now: Instant, leg: LegId, event: MediaEvent) {
        let Some(&reference) = self.calls.legs.get(&leg) else { return };
        if matches!(event, MediaEvent::Failed) {
            return self.leg_unusable(now, reference);
        }
        let call = match reference {
            LegRef::Caller(call) => call,
            // The external leg reports the end of a voicedrop message played to it.
            LegRef::Forward(call) => {
                if matches!(event, MediaEvent::PlaybackFinished) {
                    self.feed(now, call, |e, w| {
                        e.handle_media(w, call, RoutingMedia::PromptFinished);
                    });
                }
                return;
            }
            // Agents' legs report nothing the routing needs.
            LegRef::Agent(..) | LegRef::Dialing(..) => return,
        };
        match event {
            MediaEvent::Digit(digit) => self.caller_digit(now, call, digit),
            MediaEvent::PlaybackFinished => {
                self.feed(now, call, |e, w| e.handle_media(w, call, RoutingMedia::PromptFinished));
            }
            MediaEvent::ToneFinished => {
                self.feed(now, call, |e, w| e.handle_media(w, call, RoutingMedia::ToneFinished));
            }
            MediaEvent::VoicemailEnded(reason) => {
                let pending = match self.calls.calls.get_mut(&call) {
                    Some(c) => {
                        let pending = c.voicemail == Voicemail::HangupPending;
                        c.voicemail = Voicemail::None;
                        pending
                    }
                    None => return,
                };
                if pending {
                    self.feed(now, call, |e, w| {
                        e.handle_media(
                            w,
                            call,
                            RoutingMedia::VoicemailEnded { reason: VoicemailEnd::HungUp },
                        );
                        e.handle_hangup(w, call, Party::Caller);
                    });
                } else {
                    self.feed(now, call, |e, w| {
                        e.handle_media(w, call, RoutingMedia::VoicemailEnded { reason });
                    });
                }
            }
            // Handled above, for every kind of leg.
            MediaEvent::Failed => {}
        }
    }

    /// A leg's RTP port could not be bound (another program holds it): the port leaves the
    /// pool for good. An agent's phone or an external leg is given up like a leg that failed
    /// (the engine goes on to the next agent or the offline action); without media for the
    /// caller, the call ends rather than stay silent.
    fn leg_unusable(&mut self, now: Instant, reference: LegRef) {
        let call = reference.call();
        let port = match reference {
            LegRef::Caller(_) => self.calls.calls.get(&call).map(|c| c.caller.port),
            _ => self.out_leg_mut(reference).map(|l| l.port),
        };
        if let Some(port) = port {
            self.ports.retire(port);
        }
        if let LegRef::Caller(_) = reference {
            let answered = self.calls.calls.get(&call).is_some_and(|c| c.caller.answered);
            if answered {
                self.hang_up_caller(now, call);
            } else {
                self.reject_caller(now, call, 503, "media unavailable");
            }
            return self.caller_left(now, call);
        }
        let user = self.out_leg_mut(reference).and_then(|l| l.user);
        self.close_out_leg(now, reference);
        self.out_failed(now, call, reference, user, 503);
    }

    // ------------------------------------------------------------------ the end

    fn end(&mut self, now: Instant, call: CallId) {
        let Some(c) = self.calls.calls.get(&call) else { return };
        let agents = c.agents.len();
        let has_forward = c.forward.is_some();
        for index in 0..agents {
            self.close_out_leg(now, LegRef::Agent(call, index));
        }
        if has_forward {
            self.close_out_leg(now, LegRef::Forward(call));
        }
        self.hang_up_caller(now, call);
        let Some(c) = self.calls.calls.remove(&call) else { return };
        let users: Vec<UserId> = c.agents.iter().filter_map(|l| l.user).chain(c.owner).collect();
        for user in users {
            self.disengage(user, call);
        }
        self.calls.transactions.retain(|_, r| r.call() != call);
        self.calls.dialogs.retain(|_, r| r.call() != call);
        self.release_leg(c.caller.media, c.caller.port);
        self.push(Output::Media(MediaCommand::EndCall { call }));
        let status = if c.voicemail_left {
            CallStatus::Voicemail
        } else if c.answered.is_some() && c.forwarded {
            CallStatus::Forwarded
        } else if c.answered.is_some() {
            CallStatus::Answered
        } else {
            CallStatus::Missed
        };
        let at = self.wall(now);
        self.push(Output::History(HistoryOp::Ended {
            call,
            at,
            status,
            answered: c.answered,
            cost: c.cost,
        }));
    }

    /// The earliest timer of any routing engine.
    pub(crate) fn routing_timeout(&self) -> Option<Millis> {
        self.calls
            .accounts
            .values()
            .filter_map(|a| match a {
                AccountRouting::Ready { engine, .. } => engine.poll_timeout(),
                AccountRouting::Loading(_) => None,
            })
            .chain(self.calls.dialing.values().map(|d| d.deadline))
            .min()
    }

    /// Fires the routing engines' timers that are due.
    pub(crate) fn routing_timeouts(&mut self, now: Instant) {
        self.dialing_timeouts(now);
        let wall = self.wall(now);
        let due: Vec<AccountId> = self
            .calls
            .accounts
            .iter()
            .filter_map(|(account, a)| match a {
                AccountRouting::Ready { engine, .. }
                    if engine.poll_timeout().is_some_and(|t| t <= wall) =>
                {
                    Some(*account)
                }
                _ => None,
            })
            .collect();
        for account in due {
            if let Some(engine) = self.engine(account) {
                engine.handle_timeout(wall);
            }
            self.pump(now, account);
        }
    }

    /// How many calls are in progress (for draining).
    pub fn call_count(&self) -> usize {
        self.calls.calls.len()
    }
}

/// The caller's number as the trunk gave it: the From user part.
pub(crate) fn caller_of(request: &Request) -> String {
    request
        .headers
        .from()
        .ok()
        .and_then(|from| match from.uri {
            Uri::Sip(sip) => sip.user_unescaped(),
            Uri::Tel(tel) => Some(tel.number().to_owned()),
            Uri::Other(_) => None,
        })
        .unwrap_or_else(|| "anonymous".to_owned())
}

/// A caller id made safe for a SIP URI user part.
fn sip_user_part(from: &str) -> String {
    let cleaned: String = from.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '+').collect();
    if cleaned.is_empty() { "anonymous".to_owned() } else { cleaned }
}
