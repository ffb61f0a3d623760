//! The switch: everything SIP that centralita does as a server, sans-IO.
//!
//! It owns the SIP endpoint (transactions and dialogs), the registrar and the digest
//! authenticator, and decides what each request gets: REGISTER is authenticated and bound,
//! OPTIONS answered, an INVITE from a trunk for a known number taken in, anything else refused.
//! What it needs from the database it asks for with an [`Output::Lookup`] and is told with
//! [`Switch::handle_lookup`]; what must be persisted it says with [`Output::Binding`]. Time
//! comes in as `Instant`; wall-clock times (binding expiries) are derived from the pair given
//! at creation, so tests run in simulated time.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use centralita_domain::{AccountId, Country, E164, Millis, NumberId, RateTable, UserId};
use centralita_routing::{EngineConfig, NumberSnapshot, OutboundPolicy};
use centralita_sip::digest::{Algorithm, Credentials, DigestServer, NonceCounts, Verdict};
use centralita_sip::{
    Config as EndpointConfig, Endpoint, Event, HeaderName, Message, Method, Peer, Request,
    Response, TransactionKey, Transmit, Uri,
};

use crate::calls::{AgentInfo, Calls, HistoryOp};
use crate::media::MediaCommand;
use crate::ports::PortPool;
use crate::registrar::{Binding, Registrar, RegistrarConfig};

/// Where forwarded, transferred and outbound calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundTrunk {
    /// The trunk's `outbound_uri`; the destination goes in its user part.
    pub uri: Uri,
    /// Where to send (the URI's host and port: no DNS).
    pub address: SocketAddr,
    /// UDP or TCP (the URI's `transport` parameter).
    pub transport: centralita_sip::Transport,
}

/// A carrier allowed to send calls to our numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trunk {
    /// Its name, for logs and history.
    pub name: String,
    /// The networks its calls come from.
    pub inbound_from: Vec<ipnet::IpNet>,
}

/// How the switch behaves.
#[derive(Debug, Clone)]
pub struct SwitchConfig {
    /// The SIP endpoint's configuration (timers, id key).
    pub endpoint: EndpointConfig,
    /// The digest realm.
    pub realm: String,
    /// Algorithms offered in challenges, preferred first (many phones read only the first).
    pub digest_algorithms: Vec<Algorithm>,
    /// The key that makes nonces verifiable without a table: random per start.
    pub digest_key: [u8; 32],
    /// How long a nonce is good for.
    pub nonce_lifetime: Duration,
    /// Registrar limits.
    pub registrar: RegistrarConfig,
    /// The carriers.
    pub trunks: Vec<Trunk>,
    /// How long a looked-up user's credentials are trusted before being read again (a
    /// changed SIP password takes at most this long to apply).
    pub user_cache_ttl: Duration,
    /// The `Server` header of our responses.
    pub server_name: String,
    /// Our SIP address (the bound socket), as peers reach it.
    pub local: SocketAddr,
    /// The host[:port] written in our Contact and From headers.
    pub sip_host: String,
    /// The address written in our SDP (the public one).
    pub media_address: IpAddr,
    /// The address RTP sockets bind to.
    pub media_bind: IpAddr,
    /// The RTP port range.
    pub rtp_ports: (u16, u16),
    /// The routing engines' defaults.
    pub routing: EngineConfig,
    /// Where forwards go, if a trunk has an outbound URI we can reach.
    pub outbound: Option<OutboundTrunk>,
    /// What forwarded and transferred legs cost (`[billing]`).
    pub rates: RateTable,
}

/// A user's SIP credentials, as the store has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCredentials {
    /// The user.
    pub user_id: UserId,
    /// Their account.
    pub account_id: AccountId,
    /// Their SIP username.
    pub username: String,
    /// Hex HA1 for MD5.
    pub ha1_md5: String,
    /// Hex HA1 for SHA-256.
    pub ha1_sha256: String,
}

/// A number the platform knows, with what routing a call to it needs.
#[derive(Debug, Clone)]
pub struct NumberInfo {
    /// Its owner.
    pub account_id: AccountId,
    /// The number.
    pub number_id: NumberId,
    /// Its E.164 form.
    pub e164: E164,
    /// Its settings (and the IVRs they reach), frozen for the call.
    pub snapshot: NumberSnapshot,
}

/// What the switch needs read from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The user who registers with this SIP username.
    User(String),
    /// The number a call is for.
    Number(E164),
    /// Every user of an account, for its routing engine.
    Agents(AccountId),
    /// The number an agent's outbound calls show as caller ID (one assigned to them: their
    /// default, else the account's, else the first), and how their account dials.
    CallerId(AccountId, UserId),
}

/// The answer to a [`Lookup`].
#[derive(Debug, Clone)]
pub enum LookupResult {
    /// The user, if the username exists.
    User(Option<UserCredentials>),
    /// The number, if some account has it.
    Number(Option<NumberInfo>),
    /// The account's users, and its outbound policy.
    Agents(Vec<AgentInfo>, OutboundPolicy),
    /// An agent's caller ID (`None`: no number is assigned to them) and their account's
    /// country.
    Outbound(Option<NumberInfo>, Country),
    /// The store failed: answer 500 and let the peer retry.
    Failed,
}

/// A change of a device binding, to persist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingChange {
    /// Added or refreshed.
    Upsert(UserId, Binding),
    /// Removed (expired, unregistered, or displaced).
    Remove(UserId, Binding),
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Order the media engine.
    Media(MediaCommand),
    /// Write a call's history.
    History(HistoryOp),
    /// A user became busy (ringing or talking) or free.
    Busy(UserId, bool),
    /// Put bytes on the wire.
    Transmit(Transmit),
    /// Read something from the store and call [`Switch::handle_lookup`] with `id`.
    Lookup {
        /// Echo it back.
        id: u64,
        /// What to read.
        lookup: Lookup,
    },
    /// Persist a binding change.
    Binding(BindingChange),
    /// A user's set of devices changed (presence may have changed).
    DevicesChanged(UserId),
}

/// A request waiting for a lookup.
#[derive(Debug)]
pub(crate) struct Parked {
    key: TransactionKey,
    request: Request,
    peer: Peer,
    step: Step,
}

#[derive(Debug, Clone)]
enum Step {
    /// A REGISTER (or an INVITE from a device) waits for its user's credentials.
    Authenticate(Credentials),
    /// An INVITE from a trunk waits for its number.
    Route,
    /// An authenticated device's INVITE to what was `dialled` waits for the agent's caller ID
    /// and country.
    Outbound { account: AccountId, user: UserId, dialled: String },
}

/// The server side of centralita's SIP.
#[derive(Debug)]
pub struct Switch {
    pub(crate) config: SwitchConfig,
    pub(crate) endpoint: Endpoint,
    pub(crate) registrar: Registrar,
    pub(crate) ports: PortPool,
    pub(crate) calls: Calls,
    pub(crate) local: SocketAddr,
    digest: DigestServer,
    nonce_counts: NonceCounts,
    users: HashMap<String, (Option<UserCredentials>, Instant)>,
    parked: HashMap<u64, Option<Parked>>,
    pending_agents: HashMap<u64, AccountId>,
    next_lookup: u64,
    outputs: VecDeque<Output>,
    /// `Instant` and wall clock at creation: wall-clock instants are derived from these.
    epoch: (Instant, Millis),
    /// The next registrar sweep for lapsed bindings.
    next_sweep: Instant,
    pub(crate) draining: bool,
}

/// Methods we answer; the rest get 405 with this list.
pub(crate) const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, PRACK, UPDATE, INFO";
/// Users remembered at most (a flood of made-up usernames must not grow memory).
const USER_CACHE_MAX: usize = 100_000;
/// How often lapsed bindings are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

impl Switch {
    /// A switch started at `now`, which is `wall` on the wall clock.
    pub fn new(config: SwitchConfig, now: Instant, wall: Millis) -> Self {
        let digest =
            DigestServer::new(&config.digest_key, &config.realm, config.nonce_lifetime.as_secs());
        Self {
            endpoint: Endpoint::new(config.endpoint.clone()),
            registrar: Registrar::new(config.registrar),
            ports: PortPool::new(config.rtp_ports.0, config.rtp_ports.1),
            calls: Calls::default(),
            local: config.local,
            digest,
            nonce_counts: NonceCounts::new(65_536),
            users: HashMap::new(),
            parked: HashMap::new(),
            pending_agents: HashMap::new(),
            next_lookup: 1,
            outputs: VecDeque::new(),
            epoch: (now, wall),
            next_sweep: now + SWEEP_EVERY,
            draining: false,
            config,
        }
    }

    /// The wall-clock time at `now`.
    pub fn wall(&self, now: Instant) -> Millis {
        let elapsed = now.saturating_duration_since(self.epoch.0);
        Millis(self.epoch.1.0 + i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
    }

    /// Seconds for digest nonces.
    fn digest_now(&self, now: Instant) -> u64 {
        u64::try_from(self.wall(now).0 / 1000).unwrap_or(0)
    }

    /// Puts back a binding read from the store at start.
    pub fn restore_binding(&mut self, user: UserId, binding: Binding) {
        self.registrar.restore(user, binding);
    }

    /// A user's devices now.
    pub fn devices(&self, user: UserId) -> &[Binding] {
        self.registrar.bindings(user)
    }

    /// Stops taking new calls (SIGTERM): new INVITEs get 503.
    pub fn drain(&mut self) {
        self.draining = true;
    }

    /// Forgets a user's cached credentials (their SIP password changed, or they were deleted).
    pub fn forget_user(&mut self, username: &str) {
        self.users.remove(username);
    }

    /// A message arrived.
    pub fn handle_message(&mut self, now: Instant, message: Message, from: Peer) {
        self.endpoint.handle_message(now, message, from);
        self.drain_endpoint(now);
    }

    /// The driver could not send a transaction's message.
    pub fn handle_transport_error(&mut self, now: Instant, key: TransactionKey) {
        self.endpoint.handle_transport_error(now, key);
        self.drain_endpoint(now);
    }

    /// Time passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.endpoint.handle_timeout(now);
        self.routing_timeouts(now);
        if now >= self.next_sweep {
            self.next_sweep = now + SWEEP_EVERY;
            let wall = self.wall(now);
            let lapsed = self.registrar.expire(wall);
            let mut users: Vec<UserId> = lapsed.iter().map(|(user, _)| *user).collect();
            for (user, binding) in lapsed {
                self.outputs.push_back(Output::Binding(BindingChange::Remove(user, binding)));
            }
            users.dedup();
            for user in users {
                self.outputs.push_back(Output::DevicesChanged(user));
                self.devices_changed(now, user);
            }
        }
        self.drain_endpoint(now);
    }

    /// When to call [`Switch::handle_timeout`] next.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        let mut next =
            self.endpoint.poll_timeout().map_or(self.next_sweep, |t| t.min(self.next_sweep));
        if let Some(at) = self.routing_timeout() {
            next = next.min(self.instant(at));
        }
        Some(next)
    }

    /// The `Instant` of a wall-clock time (the inverse of [`Switch::wall`]).
    fn instant(&self, at: Millis) -> Instant {
        let after = u64::try_from(at.0 - self.epoch.1.0).unwrap_or(0);
        self.epoch.0 + Duration::from_millis(after)
    }

    /// The next thing to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        if let Some(transmit) = self.endpoint.poll_transmit() {
            return Some(Output::Transmit(transmit));
        }
        self.outputs.pop_front()
    }

    /// A lookup finished.
    pub fn handle_lookup(&mut self, now: Instant, id: u64, result: LookupResult) {
        if let Some(account) = self.pending_agents.remove(&id) {
            match result {
                LookupResult::Agents(agents, policy) => {
                    self.agents_loaded(now, account, agents, &policy);
                }
                // The users could not be read: the waiting calls get what the engine would
                // give with nobody online is not knowable; refuse them cleanly instead.
                _ => self.agents_failed(now, account),
            }
            self.drain_endpoint(now);
            return;
        }
        let Some(Some(parked)) = self.parked.remove(&id) else { return };
        match (parked.step.clone(), result) {
            (_, LookupResult::Failed) => {
                self.respond(
                    now,
                    parked.key,
                    Response::for_request(&parked.request, 500, "Server Internal Error"),
                );
            }
            (Step::Authenticate(credentials), LookupResult::User(user)) => {
                if self.users.len() >= USER_CACHE_MAX {
                    self.users.clear();
                }
                if let Some(u) = &user {
                    self.calls.user_accounts.insert(u.user_id, u.account_id);
                }
                self.users.insert(credentials.username.clone(), (user.clone(), now));
                self.authenticated(now, parked, &credentials, user.as_ref());
            }
            (Step::Route, LookupResult::Number(number)) => self.route(now, parked, number),
            (
                Step::Outbound { account, user, dialled },
                LookupResult::Outbound(number, country),
            ) => {
                self.dial_out(now, parked, (account, user), &dialled, number, country);
            }
            (_, other) => {
                // A lookup answered with the wrong kind: the driver's bug, not the caller's.
                debug_assert!(false, "lookup answered with {other:?}");
                self.respond(
                    now,
                    parked.key,
                    Response::for_request(&parked.request, 500, "Server Internal Error"),
                );
            }
        }
        self.drain_endpoint(now);
    }

    /// Asks the driver to read something; `parked` waits for the answer.
    pub(crate) fn lookup(&mut self, lookup: Lookup, parked: Option<Parked>) {
        let id = self.next_lookup;
        self.next_lookup += 1;
        if let Lookup::Agents(account) = &lookup {
            self.pending_agents.insert(id, *account);
        } else {
            self.parked.insert(id, parked);
        }
        self.outputs.push_back(Output::Lookup { id, lookup });
    }

    pub(crate) fn push(&mut self, output: Output) {
        self.outputs.push_back(output);
    }

    /// Our Contact header value.
    pub(crate) fn contact(&self) -> String {
        format!("<sip:centralita@{}>", self.config.sip_host)
    }

    fn drain_endpoint(&mut self, now: Instant) {
        while let Some(event) = self.endpoint.poll_event() {
            match event {
                Event::Request { key, request, peer, dialog: None } => {
                    self.on_request(now, key, request, peer);
                }
                Event::Request { key, request, dialog: Some(dialog), .. } => {
                    if !self.on_call_in_dialog(now, key, request.clone(), dialog) {
                        // A dialog we no longer track (its call ended): it is over.
                        self.respond(
                            now,
                            key,
                            Response::for_request(&request, 481, "Call/Transaction Does Not Exist"),
                        );
                    }
                }
                Event::Response { key, response, dialog } => {
                    self.on_call_response(now, key, response, dialog);
                }
                Event::TransactionFailed { key, error } => {
                    let status = match error {
                        centralita_sip::TransactionError::Timeout => 408,
                        centralita_sip::TransactionError::Transport => 503,
                    };
                    self.on_call_transaction_failed(now, key, status);
                }
                Event::Cancelled { key } => {
                    self.on_call_cancelled(now, key);
                }
                Event::DialogTerminated { dialog, reason } => {
                    self.on_call_dialog_ended(now, dialog, &reason);
                }
                Event::Ack { .. } | Event::Prack { .. } => {}
            }
        }
    }

    fn on_request(&mut self, now: Instant, key: TransactionKey, request: Request, peer: Peer) {
        match request.method {
            Method::Register => self.on_register(now, key, request, peer),
            Method::Options => {
                let mut response = Response::for_request(&request, 200, "OK");
                response.headers.push(HeaderName::ALLOW, ALLOW);
                response.headers.push(HeaderName::ACCEPT, "application/sdp");
                response.headers.push(HeaderName::SUPPORTED, "100rel");
                self.respond(now, key, response);
            }
            Method::Invite => self.on_invite(now, key, request, peer),
            Method::Subscribe => {
                self.respond(now, key, Response::for_request(&request, 489, "Bad Event"));
            }
            _ => {
                let mut response = Response::for_request(&request, 405, "Method Not Allowed");
                response.headers.push(HeaderName::ALLOW, ALLOW);
                self.respond(now, key, response);
            }
        }
    }

    pub(crate) fn respond(&mut self, now: Instant, key: TransactionKey, mut response: Response) {
        response.headers.push(HeaderName::SERVER, self.config.server_name.clone());
        // The transaction may be gone (timed out while a lookup ran): nothing to answer then.
        let _ = self.endpoint.respond(now, key, response);
    }

    /// A 401 (REGISTER) or 407 (INVITE) with one challenge per configured algorithm.
    fn challenge(&mut self, now: Instant, key: TransactionKey, request: &Request, stale: bool) {
        let (status, reason, header) = if request.method == Method::Register {
            (401, "Unauthorized", HeaderName::WWW_AUTHENTICATE)
        } else {
            (407, "Proxy Authentication Required", HeaderName::PROXY_AUTHENTICATE)
        };
        let mut response = Response::for_request(request, status, reason);
        let digest_now = self.digest_now(now);
        for algorithm in self.config.digest_algorithms.clone() {
            let challenge = self.digest.challenge(algorithm, digest_now, stale);
            response.headers.push(header.clone(), challenge.to_string());
        }
        self.respond(now, key, response);
    }

    /// The credentials in `request` for our realm, if any.
    fn credentials(&self, request: &Request) -> Option<Credentials> {
        let all = if request.method == Method::Register {
            request.headers.authorization()
        } else {
            request.headers.proxy_authorization()
        };
        all.ok()?.into_iter().find(|c| c.realm == self.config.realm)
    }

    fn on_register(&mut self, now: Instant, key: TransactionKey, request: Request, peer: Peer) {
        let Some(credentials) = self.credentials(&request) else {
            return self.challenge(now, key, &request, false);
        };
        self.authenticate(
            now,
            Parked { key, request, peer, step: Step::Authenticate(credentials) },
        );
    }

    /// Checks credentials against the user's HA1, looking the user up if needed.
    fn authenticate(&mut self, now: Instant, parked: Parked) {
        let Step::Authenticate(credentials) = &parked.step else { return };
        let credentials = credentials.clone();
        let cached = self.users.get(&credentials.username).and_then(|(user, at)| {
            (now.saturating_duration_since(*at) < self.config.user_cache_ttl).then(|| user.clone())
        });
        match cached {
            Some(user) => self.authenticated(now, parked, &credentials, user.as_ref()),
            None => self.lookup(Lookup::User(credentials.username.clone()), Some(parked)),
        }
    }

    /// The user is known (or known not to exist): decide.
    fn authenticated(
        &mut self,
        now: Instant,
        parked: Parked,
        credentials: &Credentials,
        user: Option<&UserCredentials>,
    ) {
        let Parked { key, request, peer, .. } = parked;
        // An unknown username is challenged exactly like a wrong password: usernames cannot be
        // probed.
        let Some(user) = user else {
            return self.challenge(now, key, &request, false);
        };
        let ha1 = match credentials.algorithm.base() {
            Algorithm::Sha256 => &user.ha1_sha256,
            _ => &user.ha1_md5,
        };
        let verdict = self.digest.verify(
            credentials,
            &request.method,
            ha1,
            self.digest_now(now),
            &mut self.nonce_counts,
        );
        match verdict {
            Verdict::Ok => {}
            Verdict::Stale | Verdict::Replay => return self.challenge(now, key, &request, true),
            Verdict::Wrong if request.method == Method::Register => {
                return self.challenge(now, key, &request, false);
            }
            Verdict::Wrong => {
                return self.respond(now, key, Response::for_request(&request, 403, "Forbidden"));
            }
            Verdict::Malformed => {
                let response =
                    Response::for_request(&request, 400, "Unsupported digest credentials");
                return self.respond(now, key, response);
            }
        }
        if request.method == Method::Register {
            self.bind(now, key, &request, peer, user);
        } else {
            // An agent's device placing a call to a lead.
            let Some(dialled) = dialled(&request.uri) else {
                let mut response = Response::for_request(&request, 484, "Address Incomplete");
                response.headers.push(
                    HeaderName::WARNING,
                    "399 centralita \"dial a phone number, e.g. +34600111222\"",
                );
                return self.respond(now, key, response);
            };
            let step = Step::Outbound { account: user.account_id, user: user.user_id, dialled };
            self.lookup(
                Lookup::CallerId(user.account_id, user.user_id),
                Some(Parked { key, request, peer, step }),
            );
        }
    }

    fn bind(
        &mut self,
        now: Instant,
        key: TransactionKey,
        request: &Request,
        peer: Peer,
        user: &UserCredentials,
    ) {
        // The address of record must be the authenticated user's (RFC 3261 10.3 step 3).
        let aor_user = request.headers.to().ok().and_then(|to| match to.uri {
            Uri::Sip(sip) => sip.user_unescaped(),
            _ => None,
        });
        if aor_user.as_deref() != Some(user.username.as_str()) {
            let response = Response::for_request(request, 403, "To does not match the credentials");
            return self.respond(now, key, response);
        }
        let wall = self.wall(now);
        match self.registrar.register(wall, user.user_id, request, peer) {
            Ok(outcome) => {
                let response = outcome.response(request, wall);
                let changed = !outcome.upserted.is_empty() || !outcome.removed.is_empty();
                for binding in outcome.upserted {
                    self.outputs
                        .push_back(Output::Binding(BindingChange::Upsert(user.user_id, binding)));
                }
                for binding in outcome.removed {
                    self.outputs
                        .push_back(Output::Binding(BindingChange::Remove(user.user_id, binding)));
                }
                if changed {
                    self.outputs.push_back(Output::DevicesChanged(user.user_id));
                    self.devices_changed(now, user.user_id);
                }
                self.respond(now, key, response);
            }
            Err(refusal) => {
                let response = refusal.response(request);
                self.respond(now, key, response);
            }
        }
    }

    fn is_trunk(&self, ip: IpAddr) -> bool {
        self.config.trunks.iter().any(|t| t.inbound_from.iter().any(|net| net.contains(&ip)))
    }

    /// Whether `peer` is exactly where a device registered from (address and port): a device,
    /// even if it shares an address with a trunk.
    fn is_registered_flow(&self, peer: &Peer) -> bool {
        self.registrar
            .users()
            .any(|user| self.registrar.bindings(user).iter().any(|b| b.flow.remote == peer.remote))
    }

    fn is_device(&self, peer: &Peer) -> bool {
        self.registrar.users().any(|user| {
            self.registrar.bindings(user).iter().any(|b| b.flow.remote.ip() == peer.remote.ip())
        })
    }

    fn on_invite(&mut self, now: Instant, key: TransactionKey, request: Request, peer: Peer) {
        if self.draining {
            let mut response = Response::for_request(&request, 503, "Service Unavailable");
            response.headers.push(HeaderName::RETRY_AFTER, "60");
            return self.respond(now, key, response);
        }
        let from_device = self.is_registered_flow(&peer) || self.credentials(&request).is_some();
        if self.is_trunk(peer.remote.ip()) && !from_device {
            let Some(e164) = called_number(&request.uri) else {
                return self.respond(now, key, Response::for_request(&request, 404, "Not Found"));
            };
            self.lookup(
                Lookup::Number(e164),
                Some(Parked { key, request, peer, step: Step::Route }),
            );
            return;
        }
        match self.credentials(&request) {
            Some(credentials) => self.authenticate(
                now,
                Parked { key, request, peer, step: Step::Authenticate(credentials) },
            ),
            None if self.is_device(&peer) => self.challenge(now, key, &request, false),
            None => self.respond(now, key, Response::for_request(&request, 403, "Forbidden")),
        }
    }

    /// An agent's outbound call, with the number it shows (none: the agent may not call out).
    fn dial_out(
        &mut self,
        now: Instant,
        parked: Parked,
        (account, user): (AccountId, UserId),
        dialled: &str,
        number: Option<NumberInfo>,
        country: Country,
    ) {
        let Parked { key, request, .. } = parked;
        let to = match country.normalize(dialled) {
            Ok(to) => to,
            Err(refusal) => {
                let mut response = Response::for_request(&request, 484, "Address Incomplete");
                let text = refusal.to_string().replace('"', "'");
                response.headers.push(HeaderName::WARNING, format!("399 centralita \"{text}\""));
                return self.respond(now, key, response);
            }
        };
        let Some(number) = number.filter(|n| n.account_id == account) else {
            let mut response = Response::for_request(&request, 403, "Forbidden");
            response.headers.push(
                HeaderName::WARNING,
                "399 centralita \"no number is assigned to you to call from\"",
            );
            self.record_refused(now, account, user, &to, centralita_routing::EndReason::NoCallerId);
            return self.respond(now, key, response);
        };
        if self.draining {
            let mut response = Response::for_request(&request, 503, "Service Unavailable");
            response.headers.push(HeaderName::RETRY_AFTER, "60");
            return self.respond(now, key, response);
        }
        let origin = crate::calls::Origin::Device { user, to, how: "dialled on the agent's phone" };
        self.start_call(now, key, request, number.snapshot, account, origin);
    }

    fn route(&mut self, now: Instant, parked: Parked, number: Option<NumberInfo>) {
        let Parked { key, request, .. } = parked;
        let Some(number) = number else {
            return self.respond(now, key, Response::for_request(&request, 404, "Not Found"));
        };
        if self.draining {
            let mut response = Response::for_request(&request, 503, "Service Unavailable");
            response.headers.push(HeaderName::RETRY_AFTER, "60");
            return self.respond(now, key, response);
        }
        let origin = crate::calls::Origin::Trunk { from: crate::calls::caller_of(&request) };
        self.start_call(now, key, request, number.snapshot, number.account_id, origin);
    }
}

/// What a device dialled: the Request-URI user part (or tel: number), as written.
fn dialled(uri: &Uri) -> Option<String> {
    match uri {
        Uri::Sip(sip) => sip.user_unescaped(),
        Uri::Tel(tel) => Some(tel.number().to_owned()),
        Uri::Other(_) => None,
    }
}

/// The called number of an INVITE from a trunk: the Request-URI user part (or tel: number),
/// in E.164 with or without its `+`.
pub fn called_number(uri: &Uri) -> Option<E164> {
    let raw = match uri {
        Uri::Sip(sip) => sip.user_unescaped()?,
        Uri::Tel(tel) => tel.number().to_owned(),
        Uri::Other(_) => return None,
    };
    // Carriers sometimes write visual separators in tel-style user parts.
    let digits: String =
        raw.chars().filter(|c| !matches!(c, '-' | '.' | '(' | ')' | ' ')).collect();
    match digits.strip_prefix('+') {
        Some(rest) => E164::from_digits(rest).ok(),
        None => E164::from_digits(&digits).ok(),
    }
}
