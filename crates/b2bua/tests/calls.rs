//! Calls through the switch in simulated time: a carrier and agents' phones are real SIP
//! endpoints (the sip crate's), joined to the switch by a lossless in-memory network; the
//! clock jumps to the next timer. The routing engine decides; these tests check what each
//! party sees on the wire, what the media engine is told, and what the history gets.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use centralita_b2bua::{
    AgentInfo, ClickToCallError, HistoryOp, Lookup, LookupResult, MediaCommand, MediaEvent,
    MediaSource, NumberInfo, OutboundTrunk, Output, RegistrarConfig, Switch, SwitchConfig, Trunk,
    UserCredentials,
};
use centralita_domain::{
    AccountId, CallStatus, Country, Direction, Distribution, E164, EventKind, Incoming, Millis,
    NumberId, NumberSettings, OfflineAction, UserId,
};
use centralita_routing::{EngineConfig, NumberSnapshot, OutboundPolicy};
use centralita_sip::digest::{Algorithm, Challenge, Credentials};
use centralita_sip::{
    Config, Endpoint, Event, HeaderName, Message, Method, Peer, Request, Response, TransactionKey,
    Uri,
};

const SWITCH: &str = "192.0.2.1:5060";
const CARRIER: &str = "203.0.113.5:5060";
const REALM: &str = "centralita";

fn account() -> AccountId {
    "0190f3a0-0000-7000-8000-0000000000a1".parse().unwrap()
}
fn number_id() -> NumberId {
    "0190f3a0-0000-7000-8000-0000000000c1".parse().unwrap()
}
fn user(n: u8) -> UserId {
    format!("0190f3a0-0000-7000-8000-0000000000b{n}").parse().unwrap()
}
fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

const OFFER: &str = "v=0\r\no=carrier 1 1 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n\
m=audio 40000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n";

fn answer_sdp(port: u16) -> String {
    format!(
        "v=0\r\no=phone 7 7 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
    )
}

/// A party on the network: a real SIP endpoint and what it has received.
struct Party {
    ep: Endpoint,
    addr: SocketAddr,
    events: Vec<Event>,
}

struct World {
    now: Instant,
    switch: Switch,
    parties: HashMap<SocketAddr, Party>,
    settings: NumberSettings,
    agents: Vec<AgentInfo>,
    policy: OutboundPolicy,
    media: Vec<MediaCommand>,
    history: Vec<HistoryOp>,
    wire: Vec<String>,
}

impl World {
    fn new(settings: NumberSettings, agents: Vec<AgentInfo>) -> World {
        let now = Instant::now();
        let config = SwitchConfig {
            endpoint: Config::new([1; 32]),
            realm: REALM.into(),
            digest_algorithms: vec![Algorithm::Md5],
            digest_key: [2; 32],
            nonce_lifetime: Duration::from_secs(300),
            registrar: RegistrarConfig::default(),
            trunks: vec![Trunk {
                name: "carrier".into(),
                inbound_from: vec!["203.0.113.0/24".parse().unwrap()],
            }],
            user_cache_ttl: Duration::from_secs(30),
            server_name: "centralita-test".into(),
            local: addr(SWITCH),
            sip_host: SWITCH.into(),
            media_address: "192.0.2.1".parse().unwrap(),
            media_bind: "192.0.2.1".parse().unwrap(),
            rtp_ports: (30000, 30100),
            routing: EngineConfig { ring_timeout_s: 20, ..EngineConfig::default() },
            outbound: Some(OutboundTrunk {
                uri: Uri::parse(&format!("sip:{CARRIER}")).unwrap(),
                address: addr(CARRIER),
                transport: centralita_sip::Transport::Udp,
            }),
            rates: centralita_domain::RateTable::default(),
        };
        let mut world = World {
            now,
            switch: Switch::new(config, now, Millis(1_795_000_000_000)),
            parties: HashMap::new(),
            settings,
            agents,
            policy: OutboundPolicy { allowed_prefixes: vec!["34".into()], max_outbound_legs: None },
            media: Vec::new(),
            history: Vec::new(),
            wire: Vec::new(),
        };
        world.add_party(CARRIER);
        world
    }

    fn add_party(&mut self, at: &str) {
        let mut config = Config::new([at.len() as u8; 32]);
        config.supported.clear();
        self.parties.insert(
            addr(at),
            Party { ep: Endpoint::new(config), addr: addr(at), events: Vec::new() },
        );
    }

    fn number(&self, e164: E164) -> NumberInfo {
        NumberInfo {
            account_id: account(),
            number_id: number_id(),
            e164: e164.clone(),
            snapshot: NumberSnapshot {
                number_id: number_id(),
                e164,
                settings: self.settings.clone(),
                ivrs: HashMap::new(),
            },
        }
    }

    fn lookup(&self, lookup: &Lookup) -> LookupResult {
        match lookup {
            Lookup::User(name) => {
                let n: u8 = name.trim_start_matches("agent").parse().unwrap();
                LookupResult::User(Some(UserCredentials {
                    user_id: user(n),
                    account_id: account(),
                    username: name.clone(),
                    ha1_md5: centralita_sip::digest::ha1(Algorithm::Md5, name, REALM, "password1"),
                    ha1_sha256: centralita_sip::digest::ha1(
                        Algorithm::Sha256,
                        name,
                        REALM,
                        "password1",
                    ),
                }))
            }
            Lookup::Number(e164) => LookupResult::Number(Some(self.number(e164.clone()))),
            Lookup::CallerId(..) => LookupResult::Outbound(
                Some(self.number("+34910000001".parse().unwrap())),
                Country::parse("ES").unwrap(),
            ),
            Lookup::Agents(_) => LookupResult::Agents(self.agents.clone(), self.policy.clone()),
        }
    }

    /// Moves every message and output until nothing is in flight.
    fn settle(&mut self) {
        loop {
            let mut moved = false;
            while let Some(output) = self.switch.poll_output() {
                moved = true;
                match output {
                    Output::Transmit(t) => {
                        let message = Message::parse(&t.bytes).unwrap();
                        self.wire.push(format!("switch->{} {}", t.to.remote, summary(&message)));
                        let party = self
                            .parties
                            .get_mut(&t.to.remote)
                            .unwrap_or_else(|| panic!("nobody at {}", t.to.remote));
                        party.ep.handle_message(
                            self.now,
                            message,
                            Peer::udp(addr(SWITCH), party.addr),
                        );
                    }
                    Output::Lookup { id, lookup } => {
                        let result = self.lookup(&lookup);
                        self.switch.handle_lookup(self.now, id, result);
                    }
                    Output::Media(command) => self.media.push(command),
                    Output::History(op) => self.history.push(op),
                    Output::Binding(_) | Output::DevicesChanged(_) | Output::Busy(..) => {}
                }
            }
            for party in self.parties.values_mut() {
                while let Some(t) = party.ep.poll_transmit() {
                    moved = true;
                    let message = Message::parse(&t.bytes).unwrap();
                    self.wire.push(format!("{}->switch {}", party.addr, summary(&message)));
                    self.switch.handle_message(
                        self.now,
                        message,
                        Peer::udp(party.addr, addr(SWITCH)),
                    );
                }
                while let Some(event) = party.ep.poll_event() {
                    party.events.push(event);
                }
            }
            if !moved {
                return;
            }
        }
    }

    /// Lets `by` pass, firing every timer on the way.
    fn advance(&mut self, by: Duration) {
        let until = self.now + by;
        loop {
            self.settle();
            let mut next = self.switch.poll_timeout();
            for party in self.parties.values_mut() {
                if let Some(t) = party.ep.poll_timeout() {
                    next = Some(next.map_or(t, |n| n.min(t)));
                }
            }
            match next {
                Some(t) if t <= until => {
                    self.now = t.max(self.now);
                    self.switch.handle_timeout(self.now);
                    for party in self.parties.values_mut() {
                        party.ep.handle_timeout(self.now);
                    }
                }
                _ => break,
            }
        }
        self.now = until;
        self.switch.handle_timeout(self.now);
        self.settle();
    }

    /// Registers a phone for agent `n` at `at`.
    fn register(&mut self, n: u8, at: &str) {
        self.add_party(at);
        let username = format!("agent{n}");
        let make = |cseq: u32, auth: Option<String>| {
            let mut r =
                Request::new(Method::Register, Uri::parse(&format!("sip:{SWITCH}")).unwrap());
            r.headers.push(HeaderName::FROM, format!("<sip:{username}@{SWITCH}>;tag=r{n}"));
            r.headers.push(HeaderName::TO, format!("<sip:{username}@{SWITCH}>"));
            r.headers.push(HeaderName::CALL_ID, format!("reg-{n}"));
            r.headers.push(HeaderName::CSEQ, format!("{cseq} REGISTER"));
            r.headers.push(HeaderName::CONTACT, format!("<sip:{username}@{at}>"));
            r.headers.push(HeaderName::EXPIRES, "3600");
            if let Some(a) = auth {
                r.headers.push(HeaderName::AUTHORIZATION, a);
            }
            r
        };
        let phone = addr(at);
        let now = self.now;
        let p = self.parties.get_mut(&phone).unwrap();
        p.ep.send_request(now, make(1, None), Peer::udp(addr(SWITCH), phone)).unwrap();
        self.settle();
        let challenge = self.take_response(phone, 401);
        let c = Challenge::parse(challenge.headers.get(&HeaderName::WWW_AUTHENTICATE).unwrap())
            .unwrap();
        let creds = Credentials::answer(
            &c,
            &username,
            "password1",
            &Method::Register,
            &format!("sip:{SWITCH}"),
            b"",
            "abc",
            1,
        );
        let now = self.now;
        let p = self.parties.get_mut(&phone).unwrap();
        p.ep.send_request(now, make(2, Some(creds.to_string())), Peer::udp(addr(SWITCH), phone))
            .unwrap();
        self.settle();
        assert_eq!(self.take_response(phone, 200).status, 200);
    }

    fn take_response(&mut self, at: SocketAddr, status: u16) -> Response {
        let party = self.parties.get_mut(&at).unwrap();
        let i = party
            .events
            .iter()
            .position(
                |e| matches!(e, Event::Response { response, .. } if response.status == status),
            )
            .unwrap_or_else(|| panic!("{at} got no {status}: {:#?}", party.events));
        match party.events.remove(i) {
            Event::Response { response, .. } => response,
            _ => unreachable!(),
        }
    }

    fn has_response(&self, at: &str, status: u16) -> bool {
        self.parties[&addr(at)]
            .events
            .iter()
            .any(|e| matches!(e, Event::Response { response, .. } if response.status == status))
    }

    /// The carrier places a call to the number.
    fn call(&mut self) -> TransactionKey {
        let mut invite = Request::new(
            Method::Invite,
            Uri::parse(&format!("sip:+34910000001@{SWITCH}")).unwrap(),
        );
        invite.headers.push(HeaderName::FROM, "<sip:+34600111222@203.0.113.5>;tag=carrier");
        invite.headers.push(HeaderName::TO, format!("<sip:+34910000001@{SWITCH}>"));
        invite.headers.push(HeaderName::CALL_ID, "call-1@carrier");
        invite.headers.push(HeaderName::CSEQ, "1 INVITE");
        invite.headers.push(HeaderName::CONTACT, "<sip:carrier@203.0.113.5:5060>");
        invite.set_body("application/sdp", OFFER.as_bytes().to_vec());
        let now = self.now;
        let carrier = self.parties.get_mut(&addr(CARRIER)).unwrap();
        let key =
            carrier.ep.send_request(now, invite, Peer::udp(addr(SWITCH), addr(CARRIER))).unwrap();
        self.settle();
        key
    }

    /// The INVITE a phone received, if any (taken).
    fn incoming_invite(&mut self, at: &str) -> Option<(TransactionKey, Request)> {
        let party = self.parties.get_mut(&addr(at))?;
        let i = party.events.iter().position(
            |e| matches!(e, Event::Request { request, .. } if request.method == Method::Invite),
        )?;
        match party.events.remove(i) {
            Event::Request { key, request, .. } => Some((key, request)),
            _ => unreachable!(),
        }
    }

    fn phone_responds(
        &mut self,
        at: &str,
        key: TransactionKey,
        request: &Request,
        status: u16,
        sdp_port: Option<u16>,
    ) {
        let mut response = Response::for_request(request, status, "X");
        if let Some(port) = sdp_port {
            response.set_body("application/sdp", answer_sdp(port).into_bytes());
            response.headers.push(HeaderName::CONTACT, format!("<sip:phone@{at}>"));
        }
        let now = self.now;
        let party = self.parties.get_mut(&addr(at)).unwrap();
        party.ep.respond(now, key, response).unwrap();
        self.settle();
    }

    fn events(&self) -> Vec<String> {
        self.history
            .iter()
            .filter_map(|op| match op {
                HistoryOp::Event { event, .. } => Some(kind_name(&event.kind)),
                _ => None,
            })
            .collect()
    }

    fn ended(&self) -> Option<CallStatus> {
        self.history.iter().find_map(|op| match op {
            HistoryOp::Ended { status, .. } => Some(*status),
            _ => None,
        })
    }
}

fn kind_name(kind: &EventKind) -> String {
    serde_json::to_value(kind).unwrap()["type"].as_str().unwrap().to_owned()
}

fn summary(message: &Message) -> String {
    match message {
        Message::Request(r) => r.method.as_str().to_owned(),
        Message::Response(r) => {
            format!("{} {}", r.status, r.headers.cseq().unwrap().method.as_str())
        }
    }
}

fn settings(when_offline: OfflineAction, users: Vec<UserId>) -> NumberSettings {
    NumberSettings {
        record_calls: true,
        ivr_id: None,
        incoming: Incoming::Receive {
            distribution: Distribution::Simultaneous,
            when_offline,
            max_wait_s: None,
            ring_timeout_s: None,
        },
        welcome_audio_id: None,
        voicedrop_audio_id: None,
        assigned_user_ids: users,
    }
}

/// Agents 1 and 2 online, both assigned, each with a phone registered.
fn two_agents() -> World {
    let mut w = World::new(
        settings(OfflineAction::Busy, vec![user(1), user(2)]),
        vec![online(1), online(2)],
    );
    w.register(1, "198.51.100.7:5062");
    w.register(2, "198.51.100.8:5062");
    w
}

fn online(n: u8) -> AgentInfo {
    AgentInfo {
        user_id: user(n),
        online_switch: true,
        last_answered_at: None,
        created_order: u64::from(n),
    }
}

#[test]
fn agent_answers_and_the_call_is_bridged_recorded_and_ended_by_the_caller() {
    let mut w = World::new(settings(OfflineAction::Busy, vec![user(1)]), vec![online(1)]);
    w.register(1, "198.51.100.7:5062");
    let call = w.call();
    // The caller hears ringback as early media while the agent's phone rings.
    assert!(w.has_response(CARRIER, 183), "{:#?}", w.wire);
    let (key, invite) = w.incoming_invite("198.51.100.7:5062").expect("the agent's phone rings");
    assert_eq!(invite.uri.to_string(), "sip:agent1@198.51.100.7:5062");
    assert!(std::str::from_utf8(&invite.body).unwrap().contains("m=audio"));
    assert!(
        w.media
            .iter()
            .any(|m| matches!(m, MediaCommand::SetSource { source: MediaSource::Ringback, .. }))
    );
    w.phone_responds("198.51.100.7:5062", key, &invite, 180, None);
    w.phone_responds("198.51.100.7:5062", key, &invite, 200, Some(41000));
    // Connected: the caller got 200, media is bridged and recorded.
    assert!(w.has_response(CARRIER, 200));
    assert!(w.media.iter().any(|m| matches!(m, MediaCommand::Bridge { .. })));
    assert!(w.media.iter().any(|m| matches!(m, MediaCommand::Record { right: Some(_), .. })));
    assert!(w.switch.is_engaged(user(1)));
    // The caller hangs up: the agent gets BYE, everything is released.
    let carrier = w.parties.get_mut(&addr(CARRIER)).unwrap();
    let dialog = carrier.events.iter().find_map(|e| match e {
        Event::Response { response, dialog: Some(d), .. } if response.status == 200 => Some(*d),
        _ => None,
    });
    let now = w.now;
    w.parties.get_mut(&addr(CARRIER)).unwrap().ep.bye(now, dialog.unwrap()).unwrap();
    w.settle();
    assert!(w.wire.iter().any(|l| l == "switch->198.51.100.7:5062 BYE"), "{:#?}", w.wire);
    assert!(w.media.iter().any(|m| matches!(m, MediaCommand::EndCall { .. })));
    assert_eq!(w.ended(), Some(CallStatus::Answered));
    assert_eq!(w.events(), ["arrived", "offered", "answered", "ended"]);
    assert!(!w.switch.is_engaged(user(1)));
    assert_eq!(w.switch.call_count(), 0);
    let _ = call;
}

#[test]
fn nobody_online_plays_busy_then_486_and_never_answers() {
    let mut w = World::new(settings(OfflineAction::Busy, vec![user(1)]), vec![online(1)]);
    // Agent 1 has no device: offline.
    w.call();
    assert!(w.has_response(CARRIER, 183));
    assert!(
        w.media
            .iter()
            .any(|m| matches!(m, MediaCommand::SetSource { source: MediaSource::Busy, .. }))
    );
    w.advance(Duration::from_secs(5));
    assert!(w.has_response(CARRIER, 486), "{:#?}", w.wire);
    assert!(!w.has_response(CARRIER, 200));
    assert_eq!(w.ended(), Some(CallStatus::Missed));
    assert_eq!(w.switch.call_count(), 0);
}

#[test]
fn caller_cancel_while_ringing_cancels_the_agents_phone() {
    let mut w = World::new(settings(OfflineAction::Busy, vec![user(1)]), vec![online(1)]);
    w.register(1, "198.51.100.7:5062");
    let key = w.call();
    let (phone_key, invite) = w.incoming_invite("198.51.100.7:5062").unwrap();
    w.phone_responds("198.51.100.7:5062", phone_key, &invite, 180, None);
    let now = w.now;
    w.parties.get_mut(&addr(CARRIER)).unwrap().ep.cancel(now, key).unwrap();
    w.settle();
    assert!(w.has_response(CARRIER, 487));
    assert!(w.wire.iter().any(|l| l == "switch->198.51.100.7:5062 CANCEL"), "{:#?}", w.wire);
    assert_eq!(w.ended(), Some(CallStatus::Missed));
    assert!(!w.switch.is_engaged(user(1)));
    assert_eq!(w.switch.call_count(), 0);
}

#[test]
fn agent_hangs_up_and_the_caller_gets_bye() {
    let mut w = World::new(settings(OfflineAction::Busy, vec![user(1)]), vec![online(1)]);
    w.register(1, "198.51.100.7:5062");
    w.call();
    let (key, invite) = w.incoming_invite("198.51.100.7:5062").unwrap();
    w.phone_responds("198.51.100.7:5062", key, &invite, 200, Some(41000));
    let phone = w.parties.get_mut(&addr("198.51.100.7:5062")).unwrap();
    let dialog = phone.ep.dialog_count();
    assert_eq!(dialog, 1);
    // The phone hangs up.
    let id = phone
        .events
        .iter()
        .find_map(|e| match e {
            Event::Ack { dialog, .. } => Some(*dialog),
            _ => None,
        })
        .expect("the switch ACKed the 200");
    let now = w.now;
    w.parties.get_mut(&addr("198.51.100.7:5062")).unwrap().ep.bye(now, id).unwrap();
    w.settle();
    assert!(w.wire.iter().any(|l| l == &format!("switch->{CARRIER} BYE")), "{:#?}", w.wire);
    assert_eq!(w.ended(), Some(CallStatus::Answered));
    assert_eq!(w.switch.call_count(), 0);
}

#[test]
fn two_agents_ring_at_once_and_the_second_is_cancelled_when_the_first_answers() {
    let mut w = two_agents();
    w.call();
    let (k1, i1) = w.incoming_invite("198.51.100.7:5062").unwrap();
    let (k2, i2) = w.incoming_invite("198.51.100.8:5062").unwrap();
    w.phone_responds("198.51.100.7:5062", k1, &i1, 180, None);
    w.phone_responds("198.51.100.8:5062", k2, &i2, 180, None);
    w.phone_responds("198.51.100.8:5062", k2, &i2, 200, Some(42000));
    assert!(w.wire.iter().any(|l| l == "switch->198.51.100.7:5062 CANCEL"), "{:#?}", w.wire);
    assert!(w.has_response(CARRIER, 200));
    assert!(!w.switch.is_engaged(user(1)));
    assert!(w.switch.is_engaged(user(2)));
}

#[test]
fn voicemail_records_until_the_caller_hangs_up_and_keeps_it() {
    let mut w = World::new(
        settings(OfflineAction::Voicemail { audio_id: None }, vec![user(1)]),
        vec![online(1)],
    );
    w.call();
    // Answered, then the beep.
    assert!(w.has_response(CARRIER, 200));
    let beep = w
        .media
        .iter()
        .any(|m| matches!(m, MediaCommand::SetSource { source: MediaSource::Beep, .. }));
    assert!(beep, "{:?}", w.media);
    let leg = w.media.iter().find_map(|m| match m {
        MediaCommand::CreateLeg { leg, .. } => Some(*leg),
        _ => None,
    });
    w.switch.handle_media_event(w.now, leg.unwrap(), MediaEvent::ToneFinished);
    w.settle();
    assert!(w.media.iter().any(|m| matches!(m, MediaCommand::Record { right: None, .. })));
    // The caller hangs up while recording: the recording is stopped first, then the call ends.
    let dialog = w.parties[&addr(CARRIER)].events.iter().find_map(|e| match e {
        Event::Response { response, dialog: Some(d), .. } if response.status == 200 => Some(*d),
        _ => None,
    });
    let now = w.now;
    w.parties.get_mut(&addr(CARRIER)).unwrap().ep.bye(now, dialog.unwrap()).unwrap();
    w.settle();
    assert!(w.media.iter().any(|m| matches!(m, MediaCommand::StopVoicemail { .. })));
    assert_eq!(w.ended(), None, "the call waits for the recording to close");
    w.switch.handle_media_event(
        w.now,
        leg.unwrap(),
        MediaEvent::VoicemailEnded(centralita_routing::VoicemailEnd::HungUp),
    );
    w.settle();
    assert_eq!(w.ended(), Some(CallStatus::Voicemail));
    assert_eq!(w.switch.call_count(), 0);
}

const LEAD: &str = "+34600000042";

/// Agent 1 (one phone) clicks to call the lead.
fn click(w: &mut World) -> Result<centralita_domain::CallId, ClickToCallError> {
    let number = w.number("+34910000001".parse().unwrap()).snapshot;
    let result = w.switch.click_to_call(w.now, account(), user(1), number, LEAD.parse().unwrap());
    w.settle();
    result
}

#[test]
fn click_to_call_rings_the_agent_then_dials_the_lead_with_the_number_as_caller_id() {
    let phone = "198.51.100.7:5062";
    let mut w = World::new(settings(OfflineAction::Busy, vec![user(1)]), vec![online(1)]);
    w.register(1, phone);
    let call = click(&mut w).unwrap();
    assert!(w.switch.is_engaged(user(1)), "the agent is busy while their phone rings");
    let (key, invite) = w.incoming_invite(phone).expect("the agent's phone rings first");
    assert!(invite.headers.get(&HeaderName::FROM).unwrap().contains(LEAD), "shows the lead");
    assert!(w.incoming_invite(CARRIER).is_none(), "the lead is not dialled before the agent");
    w.phone_responds(phone, key, &invite, 200, Some(41000));
    let (lead_key, lead_invite) = w.incoming_invite(CARRIER).expect("then the lead is dialled");
    assert_eq!(lead_invite.uri.to_string(), format!("sip:{LEAD}@{CARRIER}"));
    assert!(lead_invite.headers.get(&HeaderName::FROM).unwrap().contains("+34910000001"));
    // The agent hears ringback while the lead's phone rings.
    assert!(
        w.media
            .iter()
            .any(|c| matches!(c, MediaCommand::SetSource { source: MediaSource::Ringback, .. }))
    );
    w.phone_responds(CARRIER, lead_key, &lead_invite, 200, Some(43000));
    assert!(w.media.iter().any(|c| matches!(c, MediaCommand::Bridge { .. })), "{:#?}", w.media);
    match &w.history[0] {
        HistoryOp::Started { call: id, direction, user_id, from, to, .. } => {
            assert_eq!((*id, *direction, *user_id), (call, Direction::Outbound, Some(user(1))));
            assert_eq!((from.as_str(), to.as_str()), ("+34910000001", LEAD));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(w.events(), ["arrived", "answered"]);
    assert!(
        w.media.iter().any(|c| matches!(c, MediaCommand::Record { right: Some(_), .. })),
        "the number records: both legs are"
    );
    // The lead hangs up: the agent's phone gets its BYE, and the agent is free.
    let dialog = w.parties[&addr(CARRIER)]
        .events
        .iter()
        .find_map(|e| match e {
            Event::Ack { dialog, .. } => Some(*dialog),
            _ => None,
        })
        .expect("the switch ACKed the lead's 200");
    let now = w.now;
    w.parties.get_mut(&addr(CARRIER)).unwrap().ep.bye(now, dialog).unwrap();
    w.settle();
    assert!(w.wire.iter().any(|l| l == &format!("switch->{phone} BYE")), "{:#?}", w.wire);
    assert_eq!(w.ended(), Some(CallStatus::Answered));
    assert!(!w.switch.is_engaged(user(1)));
    assert_eq!(w.switch.call_count(), 0);
}

#[test]
fn click_to_call_the_agent_does_not_answer_ends_missed_without_dialling_the_lead() {
    let phone = "198.51.100.7:5062";
    let mut w = World::new(settings(OfflineAction::Busy, vec![user(1)]), vec![online(1)]);
    w.register(1, phone);
    click(&mut w).unwrap();
    let (key, invite) = w.incoming_invite(phone).unwrap();
    w.phone_responds(phone, key, &invite, 180, None);
    w.advance(Duration::from_secs(21));
    assert!(w.wire.iter().any(|l| l == &format!("switch->{phone} CANCEL")), "{:#?}", w.wire);
    assert!(w.incoming_invite(CARRIER).is_none());
    assert_eq!(w.ended(), Some(CallStatus::Missed));
    let reason = w.history.iter().find_map(|op| match op {
        HistoryOp::Event { event, .. } => event.reason.clone(),
        _ => None,
    });
    assert_eq!(reason.as_deref(), Some("no_answer"));
    assert!(!w.switch.is_engaged(user(1)));
}

#[test]
fn click_to_call_declined_on_the_phone_ends_rejected() {
    let phone = "198.51.100.7:5062";
    let mut w = World::new(settings(OfflineAction::Busy, vec![user(1)]), vec![online(1)]);
    w.register(1, phone);
    click(&mut w).unwrap();
    let (key, invite) = w.incoming_invite(phone).unwrap();
    w.phone_responds(phone, key, &invite, 603, None);
    assert_eq!(w.ended(), Some(CallStatus::Missed));
    assert!(w.history.iter().any(|op| matches!(
        op,
        HistoryOp::Event { event, .. } if event.reason.as_deref() == Some("rejected")
    )));
    assert!(w.incoming_invite(CARRIER).is_none());
}

#[test]
fn click_to_call_without_a_phone_or_while_busy_is_refused_and_writes_nothing() {
    let mut w = World::new(settings(OfflineAction::Busy, vec![user(1)]), vec![online(1)]);
    assert_eq!(click(&mut w), Err(ClickToCallError::NoDevice));
    assert!(w.history.is_empty());
    w.register(1, "198.51.100.7:5062");
    click(&mut w).unwrap();
    assert_eq!(click(&mut w), Err(ClickToCallError::Busy));
}

#[test]
fn the_account_policy_refuses_a_forward_outside_its_prefixes() {
    let mut settings = settings(OfflineAction::Busy, vec![]);
    settings.incoming = Incoming::Forward { forward_to: "+442079460018".parse().unwrap() };
    let mut w = World::new(settings, vec![]);
    w.call();
    assert!(w.has_response(CARRIER, 403));
    assert!(w.incoming_invite(CARRIER).is_none());
    // The admin widens the account's prefixes: the next call is forwarded.
    w.policy.allowed_prefixes.push("44".into());
    let policy = w.policy.clone();
    w.switch.handle_account_changed(account(), &policy);
    w.call();
    assert!(w.incoming_invite(CARRIER).is_some(), "{:#?}", w.wire);
}

/// The media leg whose RTP port is the one in the SDP of `invite`.
fn leg_of(w: &World, invite: &Request) -> centralita_b2bua::LegId {
    let sdp = String::from_utf8_lossy(&invite.body).into_owned();
    let port: u16 = sdp
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|p| p.parse().ok())
        .expect("an audio line");
    w.media
        .iter()
        .find_map(|c| match c {
            MediaCommand::CreateLeg { leg, port: p, .. } if *p == port => Some(*leg),
            _ => None,
        })
        .expect("the leg was created")
}

#[test]
fn an_agent_leg_whose_port_is_busy_is_given_up_and_the_other_agent_takes_the_call() {
    let mut w = two_agents();
    w.call();
    let (k1, i1) = w.incoming_invite("198.51.100.7:5062").unwrap();
    let (k2, i2) = w.incoming_invite("198.51.100.8:5062").unwrap();
    w.phone_responds("198.51.100.7:5062", k1, &i1, 180, None);
    // Another program holds the port of agent 1's leg: the media engine cannot bind it.
    let busy = leg_of(&w, &i1);
    let now = w.now;
    w.switch.handle_media_event(now, busy, MediaEvent::Failed);
    w.settle();
    assert!(w.wire.iter().any(|l| l == "switch->198.51.100.7:5062 CANCEL"), "{:#?}", w.wire);
    assert!(!w.switch.is_engaged(user(1)));
    assert!(!w.has_response(CARRIER, 503), "the call goes on");
    w.phone_responds("198.51.100.8:5062", k2, &i2, 200, Some(42000));
    assert!(w.has_response(CARRIER, 200));
    assert!(w.switch.is_engaged(user(2)));
}

#[test]
fn an_inbound_call_does_not_ring_an_agent_whose_phone_rings_for_their_click_to_call() {
    let mut w = two_agents();
    click(&mut w).unwrap();
    let (k1, i1) = w.incoming_invite("198.51.100.7:5062").expect("the click-to-call rings");
    w.phone_responds("198.51.100.7:5062", k1, &i1, 180, None);
    w.call();
    assert!(
        w.incoming_invite("198.51.100.7:5062").is_none(),
        "agent 1 is busy with their own call"
    );
    assert!(w.incoming_invite("198.51.100.8:5062").is_some(), "agent 2 rings");
}
