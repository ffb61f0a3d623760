//! The switch in simulated time: what each request gets, through the real SIP endpoint.

use std::time::{Duration, Instant};

use centralita_b2bua::{
    BindingChange, Lookup, LookupResult, NumberInfo, Output, RegistrarConfig, Switch, SwitchConfig,
    Trunk, UserCredentials, called_number,
};
use centralita_domain::{E164, Millis, UserId};
use centralita_sip::digest::{Algorithm, Challenge, Credentials};
use centralita_sip::{Config, HeaderName, Message, Method, Peer, Response, Uri};

const REALM: &str = "centralita";

fn user_id() -> UserId {
    "0190f3a0-0000-7000-8000-0000000000b1".parse().unwrap()
}

fn ana() -> UserCredentials {
    UserCredentials {
        user_id: user_id(),
        account_id: "0190f3a0-0000-7000-8000-0000000000a1".parse().unwrap(),
        username: "ana".into(),
        ha1_md5: centralita_sip::digest::ha1(Algorithm::Md5, "ana", REALM, "ana secret"),
        ha1_sha256: centralita_sip::digest::ha1(Algorithm::Sha256, "ana", REALM, "ana secret"),
    }
}

struct Harness {
    switch: Switch,
    now: Instant,
    local: std::net::SocketAddr,
}

impl Harness {
    fn new() -> Self {
        let now = Instant::now();
        let config = SwitchConfig {
            endpoint: Config::new([7; 32]),
            realm: REALM.into(),
            digest_algorithms: vec![Algorithm::Md5, Algorithm::Sha256],
            digest_key: [9; 32],
            nonce_lifetime: Duration::from_secs(300),
            registrar: RegistrarConfig::default(),
            trunks: vec![Trunk {
                name: "carrier".into(),
                inbound_from: vec!["203.0.113.0/24".parse().unwrap()],
            }],
            user_cache_ttl: Duration::from_secs(30),
            server_name: "centralita-test".into(),
            local: "192.0.2.1:5060".parse().unwrap(),
            sip_host: "192.0.2.1:5060".into(),
            media_address: "192.0.2.1".parse().unwrap(),
            media_bind: "192.0.2.1".parse().unwrap(),
            rtp_ports: (20000, 20100),
            routing: centralita_routing::EngineConfig::default(),
            outbound: None,
            rates: centralita_domain::RateTable::default(),
        };
        let switch = Switch::new(config, now, Millis(1_795_000_000_000));
        Self { switch, now, local: "192.0.2.1:5060".parse().unwrap() }
    }

    fn peer(&self, remote: &str) -> Peer {
        Peer::udp(remote.parse().unwrap(), self.local)
    }

    /// Feeds a message and returns every output, answering lookups with `answer`.
    fn send(
        &mut self,
        text: &str,
        from: &str,
        mut answer: impl FnMut(&Lookup) -> LookupResult,
    ) -> Vec<Output> {
        let message = Message::parse(text.as_bytes()).unwrap();
        let peer = self.peer(from);
        self.switch.handle_message(self.now, message, peer);
        let mut outputs = Vec::new();
        while let Some(output) = self.switch.poll_output() {
            if let Output::Lookup { id, lookup } = &output {
                let result = answer(lookup);
                self.switch.handle_lookup(self.now, *id, result);
            }
            outputs.push(output);
        }
        outputs
    }

    fn advance(&mut self, by: Duration) -> Vec<Output> {
        let until = self.now + by;
        while let Some(at) = self.switch.poll_timeout() {
            if at > until {
                break;
            }
            self.now = at.max(self.now);
            self.switch.handle_timeout(self.now);
        }
        self.now = until;
        self.switch.handle_timeout(self.now);
        std::iter::from_fn(|| self.switch.poll_output()).collect()
    }
}

fn responses(outputs: &[Output]) -> Vec<Response> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Transmit(t) => match Message::parse(&t.bytes).ok()? {
                Message::Response(r) if r.status >= 200 => Some(r),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn one_response(outputs: &[Output]) -> Response {
    let all = responses(outputs);
    assert_eq!(all.len(), 1, "{outputs:#?}");
    all.into_iter().next().unwrap()
}

fn register(cseq: u32, authorization: Option<&str>, expires: u32, to_user: &str) -> String {
    let auth = authorization.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
    format!(
        "REGISTER sip:centralita SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bKreg{cseq};rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:ana@centralita>;tag=f1\r\nTo: <sip:{to_user}@centralita>\r\n\
         Call-ID: reg-1@phone\r\nCSeq: {cseq} REGISTER\r\nContact: <sip:ana@10.0.0.7:5062>\r\n\
         Expires: {expires}\r\n{auth}Content-Length: 0\r\n\r\n"
    )
}

fn answer_challenge(response: &Response, password: &str, nc: u32) -> String {
    let challenge =
        Challenge::parse(response.headers.get(&HeaderName::WWW_AUTHENTICATE).unwrap()).unwrap();
    Credentials::answer(
        &challenge,
        "ana",
        password,
        &Method::Register,
        "sip:centralita",
        b"",
        "c0ffee",
        nc,
    )
    .to_string()
}

fn known_ana(lookup: &Lookup) -> LookupResult {
    match lookup {
        Lookup::User(name) if name == "ana" => LookupResult::User(Some(ana())),
        Lookup::User(_) => LookupResult::User(None),
        // Ana has no number assigned: she may not call out.
        Lookup::Number(_) => LookupResult::Number(None),
        Lookup::CallerId(..) => {
            LookupResult::Outbound(None, centralita_domain::Country::parse("ES").unwrap())
        }
        Lookup::Agents(_) => {
            LookupResult::Agents(Vec::new(), centralita_routing::OutboundPolicy::default())
        }
    }
}

#[test]
fn register_without_credentials_is_challenged_once_per_algorithm() {
    let mut h = Harness::new();
    let outputs = h.send(&register(1, None, 600, "ana"), "198.51.100.7:5062", known_ana);
    let response = one_response(&outputs);
    assert_eq!(response.status, 401);
    let challenges: Vec<Challenge> = response.headers.www_authenticate().unwrap();
    let algorithms: Vec<Algorithm> = challenges.iter().map(|c| c.algorithm).collect();
    assert_eq!(algorithms, [Algorithm::Md5, Algorithm::Sha256]);
    assert!(challenges.iter().all(|c| c.realm == REALM && !c.stale));
    assert!(
        !outputs.iter().any(|o| matches!(o, Output::Lookup { .. })),
        "no lookup before credentials"
    );
}

#[test]
fn register_with_the_right_digest_binds_the_device_and_persists_it() {
    let mut h = Harness::new();
    let challenge =
        one_response(&h.send(&register(1, None, 600, "ana"), "198.51.100.7:5062", known_ana));
    let auth = answer_challenge(&challenge, "ana secret", 1);
    let outputs = h.send(&register(2, Some(&auth), 600, "ana"), "198.51.100.7:5062", known_ana);
    let response = one_response(&outputs);
    assert_eq!(response.status, 200, "{response}");
    assert_eq!(
        response.headers.get_all(&HeaderName::CONTACT).collect::<Vec<_>>(),
        ["<sip:ana@10.0.0.7:5062>;expires=600"]
    );
    let persisted: Vec<&BindingChange> = outputs
        .iter()
        .filter_map(|o| if let Output::Binding(c) = o { Some(c) } else { None })
        .collect();
    assert!(matches!(persisted[..], [BindingChange::Upsert(user, _)] if *user == user_id()));
    assert!(outputs.contains(&Output::DevicesChanged(user_id())));
    let device = &h.switch.devices(user_id())[0];
    assert_eq!(
        device.flow.remote,
        "198.51.100.7:5062".parse().unwrap(),
        "reached where it came from"
    );
    // The user was looked up once, then cached.
    let again = answer_challenge(&challenge, "ana secret", 2);
    let outputs =
        h.send(&register(3, Some(&again), 600, "ana"), "198.51.100.7:5062", |_| panic!("cached"));
    assert_eq!(one_response(&outputs).status, 200);
}

#[test]
fn unknown_users_and_wrong_passwords_get_the_same_challenge() {
    let mut h = Harness::new();
    let challenge =
        one_response(&h.send(&register(1, None, 600, "ana"), "198.51.100.7:5062", known_ana));
    let wrong = answer_challenge(&challenge, "guess", 1);
    let wrong_answer = one_response(&h.send(
        &register(2, Some(&wrong), 600, "ana"),
        "198.51.100.7:5062",
        known_ana,
    ));
    let nobody = wrong.replace("username=\"ana\"", "username=\"nobody\"");
    let nobody_answer = one_response(&h.send(
        &register(3, Some(&nobody), 600, "ana"),
        "198.51.100.7:5062",
        known_ana,
    ));
    for response in [&wrong_answer, &nobody_answer] {
        assert_eq!(response.status, 401);
        assert_eq!(response.headers.www_authenticate().unwrap().len(), 2);
        assert!(!response.headers.www_authenticate().unwrap()[0].stale);
    }
    assert!(h.switch.devices(user_id()).is_empty());
}

#[test]
fn an_expired_nonce_is_stale_not_wrong() {
    let mut h = Harness::new();
    let challenge =
        one_response(&h.send(&register(1, None, 600, "ana"), "198.51.100.7:5062", known_ana));
    h.advance(Duration::from_secs(301));
    let late = answer_challenge(&challenge, "ana secret", 1);
    let response = one_response(&h.send(
        &register(2, Some(&late), 600, "ana"),
        "198.51.100.7:5062",
        known_ana,
    ));
    assert_eq!(response.status, 401);
    assert!(response.headers.www_authenticate().unwrap()[0].stale);
}

#[test]
fn a_replayed_nonce_count_is_challenged_again() {
    let mut h = Harness::new();
    let challenge =
        one_response(&h.send(&register(1, None, 600, "ana"), "198.51.100.7:5062", known_ana));
    let auth = answer_challenge(&challenge, "ana secret", 1);
    assert_eq!(
        one_response(&h.send(
            &register(2, Some(&auth), 600, "ana"),
            "198.51.100.7:5062",
            known_ana
        ))
        .status,
        200
    );
    let replay = one_response(&h.send(
        &register(3, Some(&auth), 600, "ana"),
        "198.51.100.7:5062",
        known_ana,
    ));
    assert_eq!(replay.status, 401);
}

#[test]
fn registering_someone_elses_address_is_forbidden() {
    let mut h = Harness::new();
    let challenge =
        one_response(&h.send(&register(1, None, 600, "bea"), "198.51.100.7:5062", known_ana));
    let auth = answer_challenge(&challenge, "ana secret", 1);
    let response = one_response(&h.send(
        &register(2, Some(&auth), 600, "bea"),
        "198.51.100.7:5062",
        known_ana,
    ));
    assert_eq!(response.status, 403);
    assert!(h.switch.devices(user_id()).is_empty());
}

#[test]
fn too_brief_registration_is_423() {
    let mut h = Harness::new();
    let challenge =
        one_response(&h.send(&register(1, None, 10, "ana"), "198.51.100.7:5062", known_ana));
    let auth = answer_challenge(&challenge, "ana secret", 1);
    let response =
        one_response(&h.send(&register(2, Some(&auth), 10, "ana"), "198.51.100.7:5062", known_ana));
    assert_eq!(response.status, 423);
    assert_eq!(response.headers.min_expires().unwrap(), Some(60));
}

#[test]
fn lapsed_registrations_are_removed_and_reported() {
    let mut h = Harness::new();
    let challenge =
        one_response(&h.send(&register(1, None, 60, "ana"), "198.51.100.7:5062", known_ana));
    let auth = answer_challenge(&challenge, "ana secret", 1);
    h.send(&register(2, Some(&auth), 60, "ana"), "198.51.100.7:5062", known_ana);
    assert!(h.advance(Duration::from_secs(59)).iter().all(|o| !matches!(o, Output::Binding(_))));
    let outputs = h.advance(Duration::from_secs(2));
    assert!(
        outputs
            .iter()
            .any(|o| matches!(o, Output::Binding(BindingChange::Remove(u, _)) if *u == user_id()))
    );
    assert!(outputs.contains(&Output::DevicesChanged(user_id())));
    assert!(h.switch.devices(user_id()).is_empty());
}

#[test]
fn options_is_answered_for_keep_alive() {
    let mut h = Harness::new();
    let options = "OPTIONS sip:centralita SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bKopt\r\n\
        From: <sip:ana@centralita>;tag=o1\r\nTo: <sip:centralita>\r\nCall-ID: opt@phone\r\nCSeq: 1 OPTIONS\r\n\
        Content-Length: 0\r\n\r\n";
    let response = one_response(&h.send(options, "198.51.100.7:5062", known_ana));
    assert_eq!(response.status, 200);
    assert!(response.headers.get(&HeaderName::ALLOW).unwrap().contains("INVITE"));
}

fn invite(to: &str, proxy_auth: Option<&str>) -> String {
    let auth = proxy_auth.map(|a| format!("Proxy-Authorization: {a}\r\n")).unwrap_or_default();
    format!(
        "INVITE {to} SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bKinv\r\nMax-Forwards: 70\r\n\
         From: <sip:+34600111222@carrier>;tag=c1\r\nTo: <{to}>\r\nCall-ID: inv@carrier\r\nCSeq: 1 INVITE\r\n\
         Contact: <sip:carrier@203.0.113.5:5060>\r\n{auth}Content-Length: 0\r\n\r\n"
    )
}

#[test]
fn trunk_invite_for_an_unknown_number_is_404() {
    let mut h = Harness::new();
    let mut asked = Vec::new();
    let outputs =
        h.send(&invite("sip:34910000009@192.0.2.1", None), "203.0.113.5:5060", |lookup| {
            asked.push(lookup.clone());
            LookupResult::Number(None)
        });
    assert_eq!(asked, [Lookup::Number(E164::parse("+34910000009").unwrap())]);
    assert_eq!(one_response(&outputs).status, 404);
    let not_a_number = h.send(&invite("sip:reception@192.0.2.1", None), "203.0.113.5:5060", |_| {
        panic!("no lookup")
    });
    assert_eq!(one_response(&not_a_number).status, 404);
}

#[test]
fn trunk_invite_without_an_offer_is_488() {
    let mut h = Harness::new();
    let outputs =
        h.send(&invite("sip:+34910000001@192.0.2.1", None), "203.0.113.5:5060", |lookup| {
            match lookup {
                Lookup::Number(_) => LookupResult::Number(Some(NumberInfo {
                    account_id: ana().account_id,
                    number_id: "0190f3a0-0000-7000-8000-0000000000c1".parse().unwrap(),
                    e164: E164::parse("+34910000001").unwrap(),
                    snapshot: centralita_routing::NumberSnapshot {
                        number_id: "0190f3a0-0000-7000-8000-0000000000c1".parse().unwrap(),
                        e164: E164::parse("+34910000001").unwrap(),
                        settings: centralita_domain::NumberSettings::new_number_default(vec![]),
                        ivrs: Default::default(),
                    },
                })),
                other => panic!("unexpected {other:?}"),
            }
        });
    let response = one_response(&outputs);
    assert_eq!(response.status, 488);
    assert!(response.headers.get(&HeaderName::WARNING).is_some());
}

#[test]
fn invite_from_a_stranger_is_403_and_never_reaches_a_number() {
    let mut h = Harness::new();
    let outputs = h.send(&invite("sip:+34910000001@192.0.2.1", None), "198.51.100.99:5060", |_| {
        panic!("no lookup")
    });
    assert_eq!(one_response(&outputs).status, 403);
}

#[test]
fn invite_from_a_registered_device_is_challenged() {
    let mut h = Harness::new();
    let challenge =
        one_response(&h.send(&register(1, None, 600, "ana"), "198.51.100.7:5062", known_ana));
    let auth = answer_challenge(&challenge, "ana secret", 1);
    h.send(&register(2, Some(&auth), 600, "ana"), "198.51.100.7:5062", known_ana);
    let outputs =
        h.send(&invite("sip:+34600000000@192.0.2.1", None), "198.51.100.7:5062", known_ana);
    let response = one_response(&outputs);
    assert_eq!(response.status, 407);
    assert_eq!(response.headers.proxy_authenticate().unwrap().len(), 2);
}

#[test]
fn an_authenticated_device_with_no_number_to_call_from_is_refused_with_403() {
    let mut h = Harness::new();
    let challenge =
        one_response(&h.send(&register(1, None, 600, "ana"), "198.51.100.7:5062", known_ana));
    let auth = answer_challenge(&challenge, "ana secret", 1);
    h.send(&register(2, Some(&auth), 600, "ana"), "198.51.100.7:5062", known_ana);
    let to = "sip:+34600000000@192.0.2.1";
    let challenge = one_response(&h.send(&invite(to, None), "198.51.100.7:5062", known_ana));
    let header = challenge.headers.get(&HeaderName::PROXY_AUTHENTICATE).unwrap();
    let credentials = Credentials::answer(
        &Challenge::parse(header).unwrap(),
        "ana",
        "ana secret",
        &Method::Invite,
        to,
        b"",
        "c0ffee",
        1,
    )
    .to_string();
    let mut asked = Vec::new();
    // A new transaction (the first INVITE's was ended by the 407).
    let second = invite(to, Some(&credentials)).replace("z9hG4bKinv", "z9hG4bKinv2");
    let outputs = h.send(&second, "198.51.100.7:5062", |lookup| {
        asked.push(lookup.clone());
        known_ana(lookup)
    });
    assert_eq!(asked, [Lookup::CallerId(ana().account_id, ana().user_id)]);
    let response = one_response(&outputs);
    assert_eq!(response.status, 403);
    assert!(response.headers.get(&HeaderName::WARNING).unwrap().contains("no number"));
    // The refusal is in the history, with its reason.
    let reasons: Vec<String> = outputs
        .iter()
        .filter_map(|o| match o {
            Output::History(centralita_b2bua::HistoryOp::Event { event, .. }) => {
                event.reason.clone()
            }
            _ => None,
        })
        .collect();
    assert_eq!(reasons, ["no_caller_id"]);
}

#[test]
fn draining_refuses_new_calls_with_503() {
    let mut h = Harness::new();
    h.switch.drain();
    let outputs = h.send(&invite("sip:+34910000001@192.0.2.1", None), "203.0.113.5:5060", |_| {
        panic!("no lookup")
    });
    assert_eq!(one_response(&outputs).status, 503);
}

#[test]
fn other_methods_get_405_with_allow() {
    let mut h = Harness::new();
    let message = "MESSAGE sip:centralita SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bKmsg\r\n\
        From: <sip:ana@centralita>;tag=m1\r\nTo: <sip:centralita>\r\nCall-ID: msg@phone\r\nCSeq: 1 MESSAGE\r\n\
        Content-Length: 0\r\n\r\n";
    let response = one_response(&h.send(message, "198.51.100.7:5062", known_ana));
    assert_eq!(response.status, 405);
    assert!(response.headers.get(&HeaderName::ALLOW).is_some());
}

#[test]
fn called_numbers_with_or_without_plus() {
    let parse = |s: &str| called_number(&Uri::parse(s).unwrap()).map(|e| e.to_string());
    assert_eq!(parse("sip:+34910000001@h").as_deref(), Some("+34910000001"));
    assert_eq!(parse("sip:34910000001@h;user=phone").as_deref(), Some("+34910000001"));
    assert_eq!(parse("tel:+34-910-000-001").as_deref(), Some("+34910000001"));
    assert_eq!(parse("sip:reception@h"), None);
    assert_eq!(parse("sip:h"), None);
}
