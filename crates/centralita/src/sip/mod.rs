//! The SIP server: sockets ([`transport`]), and one task that drives the sans-IO
//! [`Switch`] with messages, lookups and time, and carries out what it says.
//!
//! One task owns the switch, so every SIP decision is taken in order without locks; the
//! store is read by short tasks it spawns (their answers come back as lookups) and written by
//! a batching task, so the driver never waits on the database.

mod transport;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use centralita_api::{Device, LiveState};
use centralita_b2bua::{
    Binding, BindingChange, Lookup, LookupResult, NumberInfo, Output, RegistrarConfig, Switch,
    SwitchConfig, Trunk, UserCredentials,
};
use centralita_domain::{AudioId, CallId, Millis, UserId};
use centralita_sip::digest::Algorithm;
use centralita_sip::{Peer, Transport};
use centralita_store::{Registration, RegistrationChange, Store};
use tokio::sync::{mpsc, watch};

use crate::config::{Config, parse_net};

/// What the rest of the server sees of the SIP side: devices per user.
#[derive(Debug, Default)]
pub(crate) struct Live {
    devices: RwLock<HashMap<UserId, Vec<Device>>>,
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

    fn is_busy(&self, _user: UserId) -> bool {
        // No call is connected by this server yet (the call layer comes next).
        false
    }

    fn voicedrop(&self, _call: CallId, _by: UserId, _audio: AudioId) -> Result<(), String> {
        Err("the call is not in progress on this server".into())
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

/// The running SIP server.
#[derive(Debug)]
pub(crate) struct SipServer {
    /// Where SIP listens (UDP and TCP).
    pub(crate) local: SocketAddr,
    /// Devices and presence, for the API.
    pub(crate) live: Arc<Live>,
    task: tokio::task::JoinHandle<()>,
}

impl SipServer {
    /// Waits until the driver has stopped and every binding change is written.
    pub(crate) async fn stopped(self) {
        let _ = self.task.await;
    }
}

fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    rand::fill(&mut key);
    key
}

fn switch_config(config: &Config) -> anyhow::Result<SwitchConfig> {
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
    })
}

fn server_name() -> String {
    format!("centralita/{}", env!("CARGO_PKG_VERSION"))
}

fn wall_now() -> Millis {
    Millis(jiff::Timestamp::now().as_millisecond())
}

/// Binds the SIP sockets, restores persisted registrations and starts the driver. It stops
/// taking calls when `draining` turns true and stops altogether when `stop` does.
pub(crate) async fn start(
    config: &Config,
    store: Store,
    mut draining: watch::Receiver<bool>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<SipServer> {
    let (sender, mut incoming) = transport::bind(config.sip.listen, config.sip.max_tcp_connections)
        .await
        .with_context(|| format!("cannot listen for SIP on {}", config.sip.listen))?;
    let local = sender.local();
    let now = Instant::now();
    let mut switch = Switch::new(switch_config(config)?, now, wall_now());
    let live = Arc::new(Live::default());

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

    let (lookup_tx, mut lookups) = mpsc::unbounded_channel::<(u64, LookupResult)>();
    let (persist_tx, persist_rx) = mpsc::unbounded_channel::<RegistrationChange>();
    let persister = tokio::spawn(persist(store.clone(), persist_rx));
    let live_for_task = Arc::clone(&live);
    let task = tokio::spawn(async move {
        let live = live_for_task;
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
                lookup = lookups.recv() => {
                    if let Some((id, result)) = lookup {
                        switch.handle_lookup(Instant::now(), id, result);
                    }
                }
                () = sleep => switch.handle_timeout(Instant::now()),
                changed = draining.changed(), if !*draining.borrow() => {
                    if changed.is_ok() && *draining.borrow() {
                        switch.drain();
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
                            let _ = answers.send((id, look_up(&store, lookup).await));
                        });
                    }
                    Output::Binding(change) => {
                        let _ = persist_tx.send(registration_change(change));
                    }
                    Output::DevicesChanged(user) => live.set(user, switch.devices(user)),
                }
            }
        }
        drop(persist_tx);
        let _ = persister.await;
    });
    Ok(SipServer { local, live, task })
}

async fn look_up(store: &Store, lookup: Lookup) -> LookupResult {
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
        Lookup::Number(e164) => match store.route_for(&e164).await {
            Ok(route) => LookupResult::Number(route.map(|r| NumberInfo {
                account_id: r.number.account_id,
                number_id: r.number.id,
                e164: r.number.e164,
            })),
            Err(e) => {
                tracing::error!(error = %e, "number lookup failed");
                LookupResult::Failed
            }
        },
    }
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
