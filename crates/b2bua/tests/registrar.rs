//! The registrar's rules (RFC 3261 §10.3), one scenario per test.

use centralita_b2bua::{RegisterRefusal, Registrar, RegistrarConfig};
use centralita_domain::{Millis, UserId};
use centralita_sip::Peer;
use centralita_sip::{Message, Request};

const T0: Millis = Millis(1_795_000_000_000);

fn user(n: u8) -> UserId {
    format!("0190f3a0-0000-7000-8000-0000000000{n:02}").parse().unwrap()
}

fn flow(port: u16) -> Peer {
    Peer::udp(([192, 0, 2, 10], port).into(), ([192, 0, 2, 1], 5060).into())
}

fn register(call_id: &str, cseq: u32, contacts: &[&str], expires: Option<u32>) -> Request {
    let mut text = format!(
        "REGISTER sip:centralita SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK{cseq}\r\n\
         From: <sip:ana@centralita>;tag=1\r\nTo: <sip:ana@centralita>\r\nCall-ID: {call_id}\r\n\
         CSeq: {cseq} REGISTER\r\nUser-Agent: TestPhone 1.0\r\n"
    );
    for contact in contacts {
        text.push_str(&format!("Contact: {contact}\r\n"));
    }
    if let Some(e) = expires {
        text.push_str(&format!("Expires: {e}\r\n"));
    }
    text.push_str("Content-Length: 0\r\n\r\n");
    match Message::parse(text.as_bytes()).unwrap() {
        Message::Request(r) => r,
        Message::Response(_) => unreachable!(),
    }
}

fn contacts_of(response: &centralita_sip::Response) -> Vec<String> {
    response.headers.get_all(&centralita_sip::HeaderName::CONTACT).map(str::to_owned).collect()
}

#[test]
fn new_device_is_bound_until_its_expiry() {
    let mut registrar = Registrar::new(RegistrarConfig::default());
    let request = register("c1", 1, &["<sip:ana@10.0.0.5:5062>"], Some(600));
    let outcome = registrar.register(T0, user(1), &request, flow(5062)).unwrap();
    assert_eq!(outcome.upserted.len(), 1);
    let binding = &registrar.bindings(user(1))[0];
    assert_eq!(binding.contact.to_string(), "sip:ana@10.0.0.5:5062");
    assert_eq!(binding.flow.remote.port(), 5062);
    assert_eq!(binding.expires_at, Millis(T0.0 + 600_000));
    assert_eq!(binding.user_agent.as_deref(), Some("TestPhone 1.0"));
    let response = outcome.response(&request, Millis(T0.0 + 100_000));
    assert_eq!(response.status, 200);
    assert_eq!(contacts_of(&response), ["<sip:ana@10.0.0.5:5062>;expires=500"]);
}

#[test]
fn contact_expires_parameter_wins_over_the_header() {
    let mut registrar = Registrar::new(RegistrarConfig::default());
    let request = register("c1", 1, &["<sip:ana@10.0.0.5>;expires=120"], Some(3000));
    registrar.register(T0, user(1), &request, flow(5060)).unwrap();
    assert_eq!(registrar.bindings(user(1))[0].expires_at, Millis(T0.0 + 120_000));
}

#[test]
fn too_short_is_423_with_min_expires_and_changes_nothing() {
    let mut registrar = Registrar::new(RegistrarConfig::default());
    let request = register("c1", 1, &["<sip:ana@10.0.0.5>"], Some(30));
    let refusal = registrar.register(T0, user(1), &request, flow(5060)).unwrap_err();
    assert_eq!(refusal, RegisterRefusal::IntervalTooBrief { min: 60 });
    let response = refusal.response(&request);
    assert_eq!(response.status, 423);
    assert_eq!(response.headers.min_expires().unwrap(), Some(60));
    assert!(registrar.bindings(user(1)).is_empty());
}

#[test]
fn too_long_is_shortened_to_the_maximum() {
    let mut registrar = Registrar::new(RegistrarConfig::default());
    let request = register("c1", 1, &["<sip:ana@10.0.0.5>"], Some(86_400));
    registrar.register(T0, user(1), &request, flow(5060)).unwrap();
    assert_eq!(registrar.bindings(user(1))[0].expires_at, Millis(T0.0 + 3_600_000));
}

#[test]
fn refresh_updates_and_expires_zero_removes() {
    let mut registrar = Registrar::new(RegistrarConfig::default());
    registrar
        .register(T0, user(1), &register("c1", 1, &["<sip:ana@10.0.0.5>"], Some(600)), flow(5060))
        .unwrap();
    let later = Millis(T0.0 + 300_000);
    registrar
        .register(
            later,
            user(1),
            &register("c1", 2, &["<sip:ana@10.0.0.5>"], Some(600)),
            flow(5070),
        )
        .unwrap();
    let bindings = registrar.bindings(user(1));
    assert_eq!(bindings.len(), 1);
    assert_eq!(bindings[0].expires_at, Millis(later.0 + 600_000));
    assert_eq!(bindings[0].flow.remote.port(), 5070, "the newest source is where the device is");
    let outcome = registrar
        .register(later, user(1), &register("c1", 3, &["<sip:ana@10.0.0.5>"], Some(0)), flow(5070))
        .unwrap();
    assert_eq!(outcome.removed.len(), 1);
    assert!(registrar.bindings(user(1)).is_empty());
    assert!(contacts_of(&outcome.response(&register("c1", 3, &[], None), later)).is_empty());
}

#[test]
fn several_devices_per_user_and_star_removes_all() {
    let mut registrar = Registrar::new(RegistrarConfig::default());
    registrar
        .register(T0, user(1), &register("desk", 1, &["<sip:ana@10.0.0.5>"], None), flow(1))
        .unwrap();
    registrar
        .register(T0, user(1), &register("mobile", 1, &["<sip:ana@10.0.0.6>"], None), flow(2))
        .unwrap();
    assert_eq!(registrar.bindings(user(1)).len(), 2);
    let query = registrar.register(T0, user(1), &register("desk", 2, &[], None), flow(1)).unwrap();
    assert_eq!(query.current.len(), 2, "a REGISTER without Contact lists the bindings");
    assert!(query.upserted.is_empty() && query.removed.is_empty());
    let star =
        registrar.register(T0, user(1), &register("x", 9, &["*"], Some(0)), flow(1)).unwrap();
    assert_eq!(star.removed.len(), 2);
    assert!(registrar.bindings(user(1)).is_empty());
}

/// (`*` beside another Contact is already refused by the message parser.)
#[test]
fn star_needs_expires_zero() {
    let mut registrar = Registrar::new(RegistrarConfig::default());
    for request in [register("x", 1, &["*"], None), register("x", 1, &["*"], Some(60))] {
        let refusal = registrar.register(T0, user(1), &request, flow(1)).unwrap_err();
        assert_eq!(refusal.response(&request).status, 400);
    }
}

#[test]
fn older_cseq_in_the_same_call_id_is_refused() {
    let mut registrar = Registrar::new(RegistrarConfig::default());
    registrar
        .register(T0, user(1), &register("c1", 5, &["<sip:ana@10.0.0.5>"], None), flow(1))
        .unwrap();
    let stale = register("c1", 5, &["<sip:ana@10.0.0.5>"], Some(0));
    assert_eq!(registrar.register(T0, user(1), &stale, flow(1)), Err(RegisterRefusal::OutOfOrder));
    assert_eq!(registrar.bindings(user(1)).len(), 1);
    // Another Call-ID (the phone restarted) may change the binding whatever its CSeq.
    registrar
        .register(T0, user(1), &register("c2", 1, &["<sip:ana@10.0.0.5>"], Some(0)), flow(1))
        .unwrap();
    assert!(registrar.bindings(user(1)).is_empty());
}

#[test]
fn equivalent_contact_uris_are_one_binding() {
    let mut registrar = Registrar::new(RegistrarConfig::default());
    registrar
        .register(
            T0,
            user(1),
            &register("c1", 1, &["<sip:ana@EXAMPLE.com;transport=UDP>"], None),
            flow(1),
        )
        .unwrap();
    registrar
        .register(
            T0,
            user(1),
            &register("c1", 2, &["<sip:ana@example.com;transport=udp>"], None),
            flow(1),
        )
        .unwrap();
    assert_eq!(registrar.bindings(user(1)).len(), 1);
}

#[test]
fn the_oldest_binding_gives_way_beyond_the_limit() {
    let config = RegistrarConfig { max_bindings_per_user: 2, ..RegistrarConfig::default() };
    let mut registrar = Registrar::new(config);
    for (i, contact) in
        ["<sip:a@10.0.0.1>", "<sip:a@10.0.0.2>", "<sip:a@10.0.0.3>"].iter().enumerate()
    {
        let now = Millis(T0.0 + i as i64 * 1000);
        registrar
            .register(now, user(1), &register(&format!("c{i}"), 1, &[contact], None), flow(1))
            .unwrap();
    }
    let left: Vec<String> = registrar.bindings(user(1)).iter().map(|b| b.contact_text()).collect();
    assert_eq!(left, ["sip:a@10.0.0.2", "sip:a@10.0.0.3"]);
}

#[test]
fn lapsed_bindings_expire_per_user() {
    let mut registrar = Registrar::new(RegistrarConfig::default());
    registrar
        .register(T0, user(1), &register("c1", 1, &["<sip:a@10.0.0.1>"], Some(60)), flow(1))
        .unwrap();
    registrar
        .register(T0, user(2), &register("c2", 1, &["<sip:b@10.0.0.2>"], Some(120)), flow(2))
        .unwrap();
    assert!(registrar.expire(Millis(T0.0 + 59_999)).is_empty());
    let lapsed = registrar.expire(Millis(T0.0 + 60_000));
    assert_eq!(lapsed.len(), 1);
    assert_eq!(lapsed[0].0, user(1));
    assert_eq!(registrar.users().collect::<Vec<_>>(), [user(2)]);
}

#[test]
fn malformed_contact_is_400() {
    let mut registrar = Registrar::new(RegistrarConfig::default());
    let request = register("c1", 1, &["<sip:ana@10.0.0.5>;expires=soon"], None);
    let refusal = registrar.register(T0, user(1), &request, flow(1));
    assert!(matches!(refusal, Err(RegisterRefusal::BadRequest(_))), "{refusal:?}");
}
