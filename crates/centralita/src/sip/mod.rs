//! The SIP server: sockets ([`transport`]), and one task that drives the sans-IO
//! [`Switch`] with messages, lookups and time, and carries out what it says.
//!
//! One task owns the switch, so every SIP decision is taken in order without locks; the
//! store is read by short tasks it spawns (their answers come back as lookups) and written by
//! a batching task, so the driver never waits on the database.

mod transport;

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use centralita_api::{ClickToCall, Device, LiveState};
use centralita_b2bua::{
    AgentInfo, Binding, BindingChange, HistoryOp, Lookup, LookupResult, MediaCommand, NumberInfo,
    OutboundTrunk, Output, RegistrarConfig, Switch, SwitchConfig, Trunk, UserCredentials,
};
use centralita_domain::{AccountId, AudioId, CallId, E164, EventKind, IvrId, Millis, UserId};
use centralita_routing::{EngineConfig, NumberSnapshot, OutboundPolicy};
use centralita_sip::digest::Algorithm;
use centralita_sip::{Peer, Transport};
use centralita_store::{Registration, RegistrationChange, Store, Viewer};
use tokio::sync::{mpsc, oneshot, watch};

use crate::config::{Config, parse_net};
use crate::history::{self, RecordTo, Write};
use crate::media::{MediaEngine, MediaReport};

/// What the rest of the server sees of the SIP side: devices and busy users, and a way to
/// tell the switch that a user changed.
#[derive(Debug)]
pub(crate) struct Live {
    devices: RwLock<HashMap<UserId, Vec<Device>>>,
    busy: RwLock<HashSet<UserId>>,
    changes: mpsc::UnboundedSender<(AccountId, UserId)>,
    /// Accounts whose outbound policy changed.
    accounts: mpsc::UnboundedSender<AccountId>,
    /// Click-to-calls for the switch, each with where to answer.
    clicks: mpsc::UnboundedSender<(ClickToCall, Reply)>,
    /// Outbound calls the lead answered, with their agent: the calls a voicedrop may go to.
    answered_outbound: RwLock<HashMap<CallId, UserId>>,
    /// Each agent's call now (answered inbound, or placed outbound), for the web widget.
    current: RwLock<HashMap<UserId, centralita_web::CallSummary>>,
    voicedrops: mpsc::UnboundedSender<(CallId, AudioId)>,
}

impl LiveState for Live {
    fn devices(&self, user: UserId) -> Vec<Device> {
        self.devices
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&user)
            .cloned()
            .unwrap_or_default()
    }

    fn is_busy(&self, user: UserId) -> bool {
        self.busy.read().unwrap_or_else(std::sync::PoisonError::into_inner).contains(&user)
    }

    fn voicedrop(&self, call: CallId, by: UserId, audio: AudioId) -> Result<(), String> {
        let answered =
            self.answered_outbound.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        match answered.get(&call) {
            Some(agent) if *agent == by => {}
            Some(_) => return Err("only the agent on the call can send its voicedrop".into()),
            None => return Err("the lead has not answered this call, or it has ended".into()),
        }
        self.voicedrops.send((call, audio)).map_err(|_| "the server is stopping".to_owned())
    }

    fn user_changed(&self, account: AccountId, user: UserId) {
        let _ = self.changes.send((account, user));
    }

    fn account_changed(&self, account: AccountId) {
        let _ = self.accounts.send(account);
    }

    fn click_to_call(&self, request: ClickToCall) -> oneshot::Receiver<Result<CallId, String>> {
        let (reply, answer) = oneshot::channel();
        // If the driver is gone the reply is dropped with it, and the caller hears so.
        let _ = self.clicks.send((request, reply));
        answer
    }
}

/// Where the switch's answer to a click-to-call goes.
type Reply = oneshot::Sender<Result<CallId, String>>;

impl centralita_web::WebLive for Live {
    fn current_call(&self, user: UserId) -> Option<centralita_web::CallSummary> {
        self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(&user).cloned()
    }
}

impl Live {
    fn set(&self, user: UserId, bindings: &[Binding]) {
        let devices: Vec<Device> = bindings.iter().map(device).collect();
        let mut map = self.devices.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if devices.is_empty() {
            map.remove(&user);
        } else {
            map.insert(user, devices);
        }
    }

    /// Follows calls through their history: each agent's current call (for the web widget),
    /// and the answered outbound calls a voicedrop may go to until they end or send one.
    fn track_calls(&self, started: &mut HashMap<CallId, Started>, op: &HistoryOp) {
        let mut answered =
            self.answered_outbound.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut current = self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        match op {
            HistoryOp::Started { call, number_id, from, to, at, direction, user_id, .. } => {
                let (other_party, agent) = match user_id {
                    Some(user) => (to.clone(), Some(*user)),
                    None => (from.clone(), None),
                };
                let summary = centralita_web::CallSummary {
                    call_id: *call,
                    direction: *direction,
                    number_id: *number_id,
                    other_party,
                    started_at: *at,
                    answered_at: None,
                };
                if let Some(user) = agent {
                    current.insert(user, summary.clone());
                }
                started.insert(*call, Started { agent, summary });
            }
            HistoryOp::Event { call, event } => match event.kind {
                EventKind::Answered { user_id } => {
                    let Some(info) = started.get_mut(call) else { return };
                    info.summary.answered_at = Some(event.at);
                    match (info.agent, user_id) {
                        // The lead answered an agent's outbound call.
                        (Some(agent), _) => {
                            answered.insert(*call, agent);
                            current.insert(agent, info.summary.clone());
                        }
                        // An agent answered an inbound call.
                        (None, Some(agent)) => {
                            info.agent = Some(agent);
                            current.insert(agent, info.summary.clone());
                        }
                        (None, None) => {}
                    }
                }
                EventKind::Voicedrop { .. } => {
                    answered.remove(call);
                    current.retain(|_, c| c.call_id != *call);
                }
                _ => {}
            },
            HistoryOp::Ended { call, .. } => {
                started.remove(call);
                answered.remove(call);
                current.retain(|_, c| c.call_id != *call);
            }
        }
    }

    fn set_busy(&self, user: UserId, busy: bool) {
        let mut set = self.busy.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if busy {
            set.insert(user);
        } else {
            set.remove(&user);
        }
    }
}

fn device(binding: &Binding) -> Device {
    Device {
        contact: binding.contact_text(),
        transport: transport_name(binding.flow.transport).into(),
        source: binding.flow.remote.to_string(),
        user_agent: binding.user_agent.clone(),
        expires_at: binding.expires_at,
    }
}

fn transport_name(transport: Transport) -> &'static str {
    match transport {
        Transport::Udp => "udp",
        Transport::Tcp => "tcp",
    }
}

/// A call in progress as the widget shows it, and the agent on it (if any yet).
struct Started {
    agent: Option<UserId>,
    summary: centralita_web::CallSummary,
}

/// The running SIP server.
#[derive(Debug)]
pub(crate) struct SipServer {
    /// Where SIP listens (UDP and TCP).
    pub(crate) local: SocketAddr,
    /// Devices and presence, for the API.
    pub(crate) live: Arc<Live>,
    task: tokio::task::JoinHandle<()>,
    done: watch::Receiver<bool>,
}

impl SipServer {
    /// Resolves when the driver has stopped (without consuming it).
    pub(crate) async fn wait(&self) {
        let mut done = self.done.clone();
        let _ = done.wait_for(|d| *d).await;
    }

    /// Waits until the driver has stopped and every change is written.
    pub(crate) async fn stopped(self) {
        let _ = self.task.await;
    }
}

fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    rand::fill(&mut key);
    key
}

/// The address written in our SDP and Contact: the public address if configured, else the
/// bound one (loopback when bound to every interface: the only one we can name for sure).
fn public_ip(config: &Config, bound: SocketAddr) -> IpAddr {
    if let Ok(ip) = config.sip.public_address.parse::<IpAddr>() {
        return ip;
    }
    if let Ok(addr) = config.sip.public_address.parse::<SocketAddr>() {
        return addr.ip();
    }
    if bound.ip().is_unspecified() { IpAddr::from([127, 0, 0, 1]) } else { bound.ip() }
}

/// The first trunk's `outbound_uri`, if its host is an IP address (no DNS on this path).
fn outbound(config: &Config) -> Option<OutboundTrunk> {
    let trunk = config.trunk.first()?;
    let uri = centralita_sip::Uri::parse(&trunk.outbound_uri).ok()?;
    let sip = uri.as_sip()?;
    let ip: IpAddr = match sip.host() {
        centralita_sip::Host::Ipv4(ip) => IpAddr::V4(*ip),
        centralita_sip::Host::Ipv6(ip) => IpAddr::V6(*ip),
        centralita_sip::Host::Domain(name) => {
            tracing::warn!(host = %name, "trunk outbound_uri must be an IP address; forwards are disabled");
            return None;
        }
    };
    let transport = if sip.params().iter().any(|p| {
        p.name().eq_ignore_ascii_case("transport")
            && p.value().is_some_and(|v| v.eq_ignore_ascii_case("tcp"))
    }) {
        Transport::Tcp
    } else {
        Transport::Udp
    };
    Some(OutboundTrunk { address: SocketAddr::new(ip, sip.port().unwrap_or(5060)), uri, transport })
}

fn switch_config(config: &Config, local: SocketAddr) -> anyhow::Result<SwitchConfig> {
    let mut endpoint = centralita_sip::Config::new(random_key());
    endpoint.user_agent = Some(server_name());
    let digest_algorithms = config
        .sip
        .digest_algorithms
        .iter()
        .map(|name| Algorithm::parse(name).context("sip.digest_algorithms"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let trunks = config
        .trunk
        .iter()
        .map(|t| {
            let inbound_from =
                t.inbound_from.iter().map(|n| parse_net(n)).collect::<anyhow::Result<Vec<_>>>()?;
            Ok(Trunk { name: t.name.clone(), inbound_from })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(SwitchConfig {
        endpoint,
        realm: config.sip.realm.clone(),
        digest_algorithms,
        digest_key: random_key(),
        nonce_lifetime: Duration::from_secs(300),
        registrar: RegistrarConfig {
            min_expires: config.sip.min_expires,
            max_expires: config.sip.max_expires,
            default_expires: config.sip.max_expires.min(3600),
            max_bindings_per_user: 10,
        },
        trunks,
        user_cache_ttl: Duration::from_secs(10),
        server_name: server_name(),
        local,
        sip_host: SocketAddr::new(public_ip(config, local), local.port()).to_string(),
        media_address: public_ip(config, local),
        media_bind: local.ip(),
        rtp_ports: config.rtp_ports()?,
        routing: EngineConfig { seed: rand::random(), ..config.engine_config() },
        rates: config.rate_table()?,
        outbound: outbound(config),
    })
}

fn server_name() -> String {
    format!("centralita/{}", env!("CARGO_PKG_VERSION"))
}

fn wall_now() -> Millis {
    Millis(jiff::Timestamp::now().as_millisecond())
}

/// Binds the SIP sockets, restores persisted registrations and starts the driver. It stops
/// taking calls when `draining` turns true, and stops when `stop` does, or once draining and
/// no call is left.
pub(crate) async fn start(
    config: &Config,
    store: Store,
    events: centralita_api::EventHub,
    mut draining: watch::Receiver<bool>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<SipServer> {
    let (sender, mut incoming) = transport::bind(config.sip.listen, config.sip.max_tcp_connections)
        .await
        .with_context(|| format!("cannot listen for SIP on {}", config.sip.listen))?;
    let local = sender.local();
    let now = Instant::now();
    let mut switch = Switch::new(switch_config(config, local)?, now, wall_now());
    let (changes_tx, mut changes) = mpsc::unbounded_channel();
    let (voicedrops_tx, mut voicedrops) = mpsc::unbounded_channel();
    let (accounts_tx, mut accounts) = mpsc::unbounded_channel();
    let (clicks_tx, mut clicks) = mpsc::unbounded_channel();
    let live = Arc::new(Live {
        devices: RwLock::default(),
        busy: RwLock::default(),
        changes: changes_tx,
        accounts: accounts_tx,
        clicks: clicks_tx,
        answered_outbound: RwLock::default(),
        current: RwLock::default(),
        voicedrops: voicedrops_tx,
    });

    let restored = store.live_registrations(switch.wall(now)).await?;
    let count = restored.len();
    let mut users = Vec::new();
    for registration in restored {
        if let Some((user, binding)) = binding_of(&registration, local) {
            switch.restore_binding(user, binding);
            users.push(user);
        }
    }
    users.dedup();
    for user in users {
        live.set(user, switch.devices(user));
    }
    tracing::info!(%local, restored = count, "SIP listening (UDP and TCP)");

    let plan = centralita_media::TonePlan::from_name(&config.routing.tone_plan)
        .context("routing.tone_plan")?;
    let (reports_tx, mut reports) = mpsc::unbounded_channel::<MediaReport>();
    let mut media = MediaEngine::new(store.clone(), plan, reports_tx);
    let (writes_tx, writes_rx) = mpsc::unbounded_channel::<Write>();
    let (record_tx, mut record_rx) = mpsc::unbounded_channel::<RecordTo>();
    let writer = tokio::spawn(history::run(store.clone(), events, writes_rx, record_tx));
    let (lookup_tx, mut lookups) = mpsc::unbounded_channel::<(u64, LookupResult)>();
    let (agent_tx, mut agent_rx) =
        mpsc::unbounded_channel::<(AccountId, UserId, Option<AgentInfo>)>();
    let (policy_tx, mut policies) = mpsc::unbounded_channel::<(AccountId, OutboundPolicy)>();
    let (click_tx, mut ready_clicks) =
        mpsc::unbounded_channel::<(ClickToCall, NumberSnapshot, Reply)>();
    let server_max = config.engine_config().max_outbound_legs;
    let (persist_tx, persist_rx) = mpsc::unbounded_channel::<RegistrationChange>();
    let persister = tokio::spawn(persist(store.clone(), persist_rx));
    let live_for_task = Arc::clone(&live);
    let drain_timeout = Duration::from_secs(u64::from(config.shutdown.drain_timeout_s));
    let (done_tx, done) = watch::channel(false);
    let task = tokio::spawn(async move {
        let live = live_for_task;
        let mut drain_deadline: Option<Instant> = None;
        let mut started_calls: HashMap<CallId, Started> = HashMap::new();
        loop {
            let deadline = switch.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                message = incoming.recv() => {
                    let Some(message) = message else { break };
                    switch.handle_message(Instant::now(), message.message, message.peer);
                }
                Some((id, result)) = lookups.recv() => switch.handle_lookup(Instant::now(), id, result),
                Some(report) = reports.recv() => match report {
                    MediaReport::Leg(leg, event) => switch.handle_media_event(Instant::now(), leg, event),
                    MediaReport::RecordingFinished { recording, duration_ms } => {
                        let _ = writes_tx.send(Write::RecordingFinished { recording, duration_ms });
                    }
                    MediaReport::VoicemailFinished { call, voicemail, leg, duration_ms, reason } => {
                        // Written before the switch hears of it, so the history keeps the order.
                        let _ = writes_tx.send(Write::VoicemailFinished { call, voicemail, duration_ms, reason });
                        switch.handle_media_event(Instant::now(), leg, centralita_b2bua::MediaEvent::VoicemailEnded(reason));
                    }
                },
                Some(to) = record_rx.recv() => {
                    media.record_to(to.call, to.left, to.right, to.kind, to.path, to.target);
                }
                Some((account, user)) = changes.recv() => {
                    let store = store.clone();
                    let answers = agent_tx.clone();
                    tokio::spawn(async move {
                        let info = agent_info(&store, account, user).await;
                        let _ = answers.send((account, user, info));
                    });
                }
                Some((call, audio)) = voicedrops.recv() => {
                    if let Err(refusal) = switch.voicedrop_call(Instant::now(), call, audio) {
                        tracing::info!(%call, refusal, "voicedrop refused");
                    }
                }
                Some((account, user, info)) = agent_rx.recv() => {
                    switch.handle_agent_changed(Instant::now(), account, user, info);
                }
                Some(account) = accounts.recv() => {
                    let store = store.clone();
                    let answers = policy_tx.clone();
                    tokio::spawn(async move {
                        match store.get_account(account).await {
                            Ok(found) => {
                                let policy = centralita_api::outbound_policy(&found, server_max);
                                let _ = answers.send((account, policy));
                            }
                            Err(e) => tracing::error!(error = %e, %account, "account re-read failed"),
                        }
                    });
                }
                Some((account, policy)) = policies.recv() => {
                    switch.handle_account_changed(account, &policy);
                }
                Some((request, reply)) = clicks.recv() => {
                    let store = store.clone();
                    let ready = click_tx.clone();
                    tokio::spawn(async move {
                        match caller_number(&store, &request).await {
                            Ok(number) => {
                                let _ = ready.send((request, number, reply));
                            }
                            Err(refusal) => {
                                let _ = reply.send(Err(refusal));
                            }
                        }
                    });
                }
                Some((request, number, reply)) = ready_clicks.recv() => {
                    let placed = switch.click_to_call(
                        Instant::now(), request.account, request.user, number, request.to,
                    );
                    let _ = reply.send(placed.map_err(|e| e.to_string()));
                }
                () = sleep => switch.handle_timeout(Instant::now()),
                changed = draining.changed(), if !*draining.borrow() => {
                    if changed.is_ok() && *draining.borrow() {
                        switch.drain();
                        drain_deadline = Some(Instant::now() + drain_timeout);
                        tracing::info!(calls = switch.call_count(), "draining: new calls get 503");
                    }
                }
                _ = stop.wait_for(|s| *s) => break,
            }
            while let Some(output) = switch.poll_output() {
                match output {
                    Output::Transmit(transmit) => {
                        sender.send(&transmit.to, transmit.fallback, transmit.bytes);
                    }
                    Output::Lookup { id, lookup } => {
                        let store = store.clone();
                        let answers = lookup_tx.clone();
                        tokio::spawn(async move {
                            let _ = answers.send((id, look_up(&store, lookup, server_max).await));
                        });
                    }
                    Output::Binding(change) => {
                        let _ = persist_tx.send(registration_change(change));
                    }
                    Output::DevicesChanged(user) => live.set(user, switch.devices(user)),
                    Output::Busy(user, busy) => live.set_busy(user, busy),
                    Output::History(op) => {
                        live.track_calls(&mut started_calls, &op);
                        let _ = writes_tx.send(Write::History(op));
                    }
                    Output::Media(MediaCommand::Record { call, left, right, kind }) => {
                        let _ = writes_tx.send(Write::Record { call, left, right, kind });
                    }
                    Output::Media(command) => media.command(command),
                }
            }
            if let Some(deadline) = drain_deadline
                && (switch.call_count() == 0 || Instant::now() >= deadline)
            {
                tracing::info!(calls = switch.call_count(), "drained");
                break;
            }
        }
        // Recordings in progress are closed by their tasks when their channels drop.
        drop(media);
        drop(writes_tx);
        let _ = writer.await;
        drop(persist_tx);
        let _ = persister.await;
        let _ = done_tx.send(true);
    });
    Ok(SipServer { local, live, task, done })
}

/// A user as the routing engine needs them.
async fn agent_info(store: &Store, account: AccountId, user: UserId) -> Option<AgentInfo> {
    let users = store.list_users(account).await.ok()?;
    let order = users.iter().position(|u| u.id == user)?;
    let u = &users[order];
    Some(AgentInfo {
        user_id: u.id,
        online_switch: u.online_switch,
        last_answered_at: u.last_answered_at,
        created_order: order as u64,
    })
}

async fn look_up(store: &Store, lookup: Lookup, server_max: Option<u32>) -> LookupResult {
    match lookup {
        Lookup::User(username) => match store.user_by_sip_username(&username).await {
            Ok(found) => LookupResult::User(found.map(|(user, secrets)| UserCredentials {
                user_id: user.id,
                account_id: user.account_id,
                username: user.sip_username.to_string(),
                ha1_md5: secrets.sip_ha1_md5,
                ha1_sha256: secrets.sip_ha1_sha256,
            })),
            Err(e) => {
                tracing::error!(error = %e, "user lookup failed");
                LookupResult::Failed
            }
        },
        Lookup::Number(e164) => match number_info(store, &e164).await {
            Ok(info) => LookupResult::Number(info),
            Err(e) => {
                tracing::error!(error = %e, "number lookup failed");
                LookupResult::Failed
            }
        },
        Lookup::CallerId(account, user) => match caller_id(store, account, user).await {
            Ok(found) => found,
            Err(e) => {
                tracing::error!(error = %e, "caller id lookup failed");
                LookupResult::Failed
            }
        },
        Lookup::Agents(account) => match agents(store, account, server_max).await {
            Ok(found) => found,
            Err(e) => {
                tracing::error!(error = %e, "users lookup failed");
                LookupResult::Failed
            }
        },
    }
}

/// An account's users, as its routing engine needs them, and its outbound policy.
async fn agents(
    store: &Store,
    account: AccountId,
    server_max: Option<u32>,
) -> Result<LookupResult, centralita_store::StoreError> {
    let policy = centralita_api::outbound_policy(&store.get_account(account).await?, server_max);
    let users = store.list_users(account).await?;
    Ok(LookupResult::Agents(
        users
            .into_iter()
            .enumerate()
            .map(|(order, u)| AgentInfo {
                user_id: u.id,
                online_switch: u.online_switch,
                last_answered_at: u.last_answered_at,
                created_order: order as u64,
            })
            .collect(),
        policy,
    ))
}

/// The number a click-to-call shows, with its settings, once the API has checked it.
async fn caller_number(store: &Store, request: &ClickToCall) -> Result<NumberSnapshot, String> {
    let viewer = Viewer::Agent(request.user);
    let unavailable = |e: centralita_store::StoreError| {
        tracing::error!(error = %e, "click-to-call lookup failed");
        "the number could not be read; try again".to_owned()
    };
    let number =
        store.get_number(request.account, request.number, viewer).await.map_err(unavailable)?;
    match number_info(store, &number.e164).await.map_err(unavailable)? {
        Some(info) if info.account_id == request.account => Ok(info.snapshot),
        _ => Err("the number is no longer the account's".into()),
    }
}

/// The number an agent's outbound call shows (their choice, else the account's default, else
/// their first), with its settings, and how their account dials.
async fn caller_id(
    store: &Store,
    account: AccountId,
    user: UserId,
) -> Result<LookupResult, centralita_store::StoreError> {
    let country = store.get_account(account).await?.country;
    let number = match store.caller_id(account, user).await? {
        Some(number) => number_info(store, &number.e164).await?,
        None => None,
    };
    Ok(LookupResult::Outbound(number, country))
}

/// A number with its settings and every IVR they reach, frozen for a call.
async fn number_info(
    store: &Store,
    e164: &E164,
) -> Result<Option<NumberInfo>, centralita_store::StoreError> {
    let Some(route) = store.route_for(e164).await? else { return Ok(None) };
    let account = route.number.account_id;
    let mut ivrs = HashMap::new();
    let mut pending: Vec<IvrId> = route.settings.ivr_id.into_iter().collect();
    while let Some(id) = pending.pop() {
        if ivrs.contains_key(&id) {
            continue;
        }
        if let Ok(ivr) = store.get_ivr(account, id).await {
            pending.extend(ivr.document.sub_menus());
            ivrs.insert(id, ivr.document);
        }
    }
    Ok(Some(NumberInfo {
        account_id: account,
        number_id: route.number.id,
        e164: route.number.e164.clone(),
        snapshot: NumberSnapshot {
            number_id: route.number.id,
            e164: route.number.e164,
            settings: route.settings,
            ivrs,
        },
    }))
}

fn registration_change(change: BindingChange) -> RegistrationChange {
    match change {
        BindingChange::Upsert(user, b) => RegistrationChange::Upsert(Registration {
            user_id: user,
            contact: b.contact_text(),
            transport: transport_name(b.flow.transport).into(),
            source: b.flow.remote.to_string(),
            call_id: b.call_id,
            cseq: b.cseq,
            user_agent: b.user_agent,
            expires_at: b.expires_at,
            updated_at: b.updated_at,
        }),
        BindingChange::Remove(user, b) => {
            RegistrationChange::Remove { user_id: user, contact: b.contact_text() }
        }
    }
}

fn binding_of(r: &Registration, local: SocketAddr) -> Option<(UserId, Binding)> {
    let transport = match r.transport.as_str() {
        "udp" => Transport::Udp,
        "tcp" => Transport::Tcp,
        _ => return None,
    };
    let remote: SocketAddr = r.source.parse().ok()?;
    let binding = Binding {
        contact: centralita_sip::Uri::parse(&r.contact).ok()?,
        // The TCP connection of a previous run is gone; a new one is opened when needed.
        flow: Peer { transport, remote, local, connection: None },
        call_id: r.call_id.clone(),
        cseq: r.cseq,
        user_agent: r.user_agent.clone(),
        expires_at: r.expires_at,
        updated_at: r.updated_at,
    };
    Some((r.user_id, binding))
}

/// Writes binding changes in batches: whatever queued while the previous batch was written
/// goes in the next transaction, so a REGISTER storm costs few commits.
async fn persist(store: Store, mut changes: mpsc::UnboundedReceiver<RegistrationChange>) {
    let mut batch = Vec::new();
    while changes.recv_many(&mut batch, 1024).await > 0 {
        if let Err(e) = store.apply_registrations(&batch).await {
            tracing::error!(error = %e, lost = batch.len(), "could not persist registrations");
        }
        batch.clear();
    }
}
