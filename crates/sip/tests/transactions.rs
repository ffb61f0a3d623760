//! The four RFC 3261 transaction state machines (17), RFC 6026's Accepted state, matching
//! (17.1.3, 17.2.3, the RFC 2543 fallback) and where responses go (18.2.2, RFC 3581), each
//! as a scenario in simulated time: two endpoints, a fake network, a clock that jumps.

mod sim;

use std::time::Instant;

use centralita_sip::{
    Endpoint, Event, HeaderName, Message, Peer, TransactionError, TransactionState, Transport,
};
use sim::{Side, Sim, answer, first_request, statuses};

fn timed_out(events: &[Event]) -> bool {
    events
        .iter()
        .any(|e| matches!(e, Event::TransactionFailed { error: TransactionError::Timeout, .. }))
}

/// B's TU answers every request with `status` as soon as it arrives.
fn b_answers(sim: &mut Sim, status: u16) {
    sim.on_event(Side::B, move |ep, now, e| {
        if let Event::Request { key, request, .. } = e
            && request.method != centralita_sip::Method::Ack
        {
            ep.respond(now, *key, answer(request, status, "Whatever")).unwrap();
        }
    });
}

#[test]
fn invite_client_retransmits_until_timer_b() {
    let mut sim = Sim::new();
    sim.black_hole = true;
    let invite = sim.invite(true);
    let key = sim.send(invite);
    sim.run_until(31.9);
    assert!(!timed_out(&sim.events(Side::A)));
    sim.run_until(40.0);
    // Timer A: T1, doubling with no cap, until timer B (64*T1 = 32 s).
    assert_eq!(
        sim.wire(),
        [
            "  0.000 A->B INVITE (lost)",
            "  0.500 A->B INVITE (lost)",
            "  1.500 A->B INVITE (lost)",
            "  3.500 A->B INVITE (lost)",
            "  7.500 A->B INVITE (lost)",
            " 15.500 A->B INVITE (lost)",
            " 31.500 A->B INVITE (lost)",
        ]
    );
    let events = sim.events(Side::A);
    assert_eq!(
        events,
        [Event::TransactionFailed { key, error: TransactionError::Timeout }],
        "timer B fires at 32 s"
    );
    assert_eq!(sim.a.ep.transaction_count(), 0);
}

#[test]
fn invite_client_stops_retransmitting_on_provisional() {
    let mut sim = Sim::new();
    let mut first = true;
    sim.drop_when(move |p| std::mem::take(&mut first) && p.is(Side::A, "INVITE"));
    let invite = sim.invite(true);
    let key = sim.send(invite);
    sim.run_until(40.0);
    // B never answers but its transaction sends 100 Trying 200 ms after the INVITE.
    assert_eq!(
        sim.wire(),
        ["  0.000 A->B INVITE (lost)", "  0.500 A->B INVITE", "  0.710 B->A 100 INVITE",]
    );
    assert_eq!(sim.a.ep.transaction_state(key), Some(TransactionState::Proceeding));
    assert_eq!(statuses(&sim.events(Side::A)), [100]);
}

#[test]
fn invite_client_acks_non_2xx_in_transaction() {
    let mut sim = Sim::new();
    b_answers(&mut sim, 486);
    let invite = sim.invite(true);
    let key = sim.send(invite);
    sim.run_until(0.1);
    assert_eq!(sim.wire(), ["  0.000 A->B INVITE", "  0.010 B->A 486 INVITE", "  0.020 A->B ACK"]);
    assert_eq!(statuses(&sim.events(Side::A)), [486]);
    assert_eq!(sim.a.ep.transaction_state(key), Some(TransactionState::Completed));
    // The ACK is part of the INVITE transaction: same branch, the response's To tag, the
    // INVITE's CSeq number.
    let invite = sim.last(Side::A, "INVITE");
    let ack = sim.last(Side::A, "ACK");
    let response = sim.last(Side::B, "486 INVITE");
    let branch = |m: &Message| m.headers().top_via().unwrap().branch().unwrap().to_owned();
    assert_eq!(branch(&ack), branch(&invite));
    assert_eq!(ack.headers().via().unwrap().len(), 1);
    assert_eq!(ack.headers().to().unwrap(), response.headers().to().unwrap());
    assert_eq!(ack.headers().cseq().unwrap().seq, invite.headers().cseq().unwrap().seq);
    let b_key = first_request(&sim.events(Side::B)).unwrap().0;
    assert_eq!(sim.b.ep.transaction_state(b_key), Some(TransactionState::Confirmed));
}

#[test]
fn invite_client_timer_d_absorbs_response_retransmissions() {
    let mut sim = Sim::new();
    b_answers(&mut sim, 486);
    let mut first = true;
    sim.drop_when(move |p| p.is(Side::A, "ACK") && std::mem::take(&mut first));
    let invite = sim.invite(true);
    let key = sim.send(invite);
    sim.run_until(31.0);
    assert_eq!(
        sim.wire(),
        [
            "  0.000 A->B INVITE",
            "  0.010 B->A 486 INVITE",
            "  0.020 A->B ACK (lost)",
            "  0.510 B->A 486 INVITE",
            "  0.520 A->B ACK",
        ]
    );
    assert_eq!(statuses(&sim.events(Side::A)), [486], "the retransmission is absorbed");
    assert_eq!(sim.a.ep.transaction_state(key), Some(TransactionState::Completed));
    sim.run_until(32.5);
    assert_eq!(sim.a.ep.transaction_state(key), None, "timer D: 32 s after the 486");
}

#[test]
fn non_invite_client_retransmits_until_timer_f() {
    let mut sim = Sim::new();
    sim.black_hole = true;
    let options = sim.options();
    let key = sim.send(options);
    sim.run_until(31.9);
    assert!(sim.events(Side::A).is_empty());
    assert_eq!(sim.wire().len(), 11);
    sim.run_until(40.0);
    assert_eq!(sim.wire().len(), 11);
    assert_eq!(
        sim.events(Side::A),
        [Event::TransactionFailed { key, error: TransactionError::Timeout }]
    );
    assert_eq!(sim.a.ep.transaction_count(), 0);
}

#[test]
fn non_invite_client_timer_e_caps_at_t2() {
    let mut sim = Sim::new();
    sim.black_hole = true;
    let options = sim.options();
    sim.send(options);
    sim.run_until(40.0);
    assert_eq!(
        sim.wire(),
        [
            "  0.000 A->B OPTIONS (lost)",
            "  0.500 A->B OPTIONS (lost)",
            "  1.500 A->B OPTIONS (lost)",
            "  3.500 A->B OPTIONS (lost)",
            "  7.500 A->B OPTIONS (lost)",
            " 11.500 A->B OPTIONS (lost)",
            " 15.500 A->B OPTIONS (lost)",
            " 19.500 A->B OPTIONS (lost)",
            " 23.500 A->B OPTIONS (lost)",
            " 27.500 A->B OPTIONS (lost)",
            " 31.500 A->B OPTIONS (lost)",
        ]
    );
}

#[test]
fn non_invite_client_in_proceeding_retransmits_every_t2() {
    let mut sim = Sim::new();
    // B answers 100 by hand, then nothing; A keeps retransmitting every T2 (17.1.2.2).
    sim.on_event(Side::B, |ep, now, e| {
        if let Event::Request { key, request, .. } = e {
            ep.respond(now, *key, answer(request, 100, "Trying")).unwrap();
        }
    });
    let options = sim.options();
    sim.send(options);
    sim.run_until(10.0);
    let sends: Vec<String> = sim.wire_with("A->B OPTIONS");
    assert_eq!(
        sends,
        [
            "  0.000 A->B OPTIONS",
            "  0.500 A->B OPTIONS",
            "  4.500 A->B OPTIONS",
            "  8.500 A->B OPTIONS",
        ]
    );
}

#[test]
fn tcp_has_no_retransmissions() {
    let mut sim = Sim::tcp();
    sim.black_hole = true;
    let invite = sim.invite(true);
    let invite_key = sim.send(invite);
    let options = sim.options();
    let options_key = sim.send(options);
    sim.run_until(40.0);
    assert_eq!(sim.wire(), ["  0.000 A->B INVITE (lost)", "  0.000 A->B OPTIONS (lost)"]);
    // Timers B and F still run on TCP.
    let events = sim.events(Side::A);
    assert!(
        events.contains(&Event::TransactionFailed {
            key: invite_key,
            error: TransactionError::Timeout
        })
    );
    assert!(events.contains(&Event::TransactionFailed {
        key: options_key,
        error: TransactionError::Timeout
    }));

    // Server side: a final response is not retransmitted, and timers I, J, K are zero.
    let mut sim = Sim::tcp();
    b_answers(&mut sim, 486);
    sim.drop_when(|p| p.is(Side::A, "ACK"));
    let invite = sim.invite(true);
    let invite_key = sim.send(invite);
    let options = sim.options();
    sim.send(options);
    sim.run_until(0.05);
    assert_eq!(sim.a.ep.transaction_count(), 0, "D and K are zero on TCP");
    assert_eq!(sim.a.ep.transaction_state(invite_key), None);
    sim.run_until(40.0);
    assert_eq!(sim.wire_with("B->A 486 INVITE").len(), 1, "no timer G on TCP");
    assert_eq!(sim.b.ep.transaction_count(), 0, "J is zero; H ended the INVITE");
}

#[test]
fn invite_server_sends_100_trying_after_200ms() {
    let mut sim = Sim::new();
    let invite = sim.invite(true);
    sim.send(invite);
    sim.run_until(1.0);
    assert_eq!(sim.wire(), ["  0.000 A->B INVITE", "  0.210 B->A 100 INVITE"]);
    let trying = sim.a.ep.poll_transmit();
    assert!(trying.is_none());

    // A TU that answers within 200 ms leaves no room for the 100.
    let mut sim = Sim::new();
    sim.on_event(Side::B, |ep, now, e| {
        if let Event::Request { key, request, .. } = e {
            ep.respond(now, *key, answer(request, 180, "Ringing")).unwrap();
        }
    });
    let invite = sim.invite(true);
    sim.send(invite);
    sim.run_until(1.0);
    assert_eq!(sim.wire(), ["  0.000 A->B INVITE", "  0.010 B->A 180 INVITE"]);
}

#[test]
fn invite_server_retransmits_final_until_ack() {
    let mut sim = Sim::new();
    b_answers(&mut sim, 603);
    let mut acks = 0;
    sim.drop_when(move |p| {
        if p.is(Side::A, "ACK") {
            acks += 1;
            return acks <= 2;
        }
        false
    });
    let invite = sim.invite(true);
    sim.send(invite);
    sim.run_until(40.0);
    // Timer G: T1, then 2*T1, ... until the ACK gets through.
    assert_eq!(
        sim.wire(),
        [
            "  0.000 A->B INVITE",
            "  0.010 B->A 603 INVITE",
            "  0.020 A->B ACK (lost)",
            "  0.510 B->A 603 INVITE",
            "  0.520 A->B ACK (lost)",
            "  1.510 B->A 603 INVITE",
            "  1.520 A->B ACK",
        ]
    );
    assert_eq!(sim.b.ep.transaction_count(), 0, "timer I ended it");
}

#[test]
fn invite_server_timer_h_gives_up_without_ack() {
    let mut sim = Sim::new();
    b_answers(&mut sim, 486);
    sim.drop_when(|p| p.is(Side::A, "ACK"));
    let invite = sim.invite(true);
    sim.send(invite);
    sim.run_until(31.0);
    let key = first_request(&sim.events(Side::B)).unwrap().0;
    assert_eq!(sim.b.ep.transaction_state(key), Some(TransactionState::Completed));
    sim.run_until(40.0);
    assert_eq!(
        sim.wire_with("B->A"),
        [
            "  0.010 B->A 486 INVITE",
            "  0.510 B->A 486 INVITE",
            "  1.510 B->A 486 INVITE",
            "  3.510 B->A 486 INVITE",
            "  7.510 B->A 486 INVITE",
            " 11.510 B->A 486 INVITE",
            " 15.510 B->A 486 INVITE",
            " 19.510 B->A 486 INVITE",
            " 23.510 B->A 486 INVITE",
            " 27.510 B->A 486 INVITE",
            " 31.510 B->A 486 INVITE",
        ],
        "G doubles up to T2"
    );
    assert_eq!(
        sim.events(Side::B),
        [Event::TransactionFailed { key, error: TransactionError::Timeout }],
        "timer H at 32 s"
    );
    assert_eq!(sim.b.ep.transaction_count(), 0);
}

#[test]
fn invite_server_absorbs_invite_retransmission() {
    let mut sim = Sim::new();
    let mut first = true;
    sim.drop_when(move |p| p.is(Side::B, "100 INVITE") && std::mem::take(&mut first));
    let invite = sim.invite(true);
    sim.send(invite);
    sim.run_until(2.0);
    assert_eq!(
        sim.wire(),
        [
            "  0.000 A->B INVITE",
            "  0.210 B->A 100 INVITE (lost)",
            "  0.500 A->B INVITE",
            "  0.510 B->A 100 INVITE",
        ],
        "the retransmitted INVITE gets the last provisional response again"
    );
    let events = sim.events(Side::B);
    assert_eq!(events.len(), 1, "the TU sees the INVITE once: {events:?}");
}

#[test]
fn accepted_state_absorbs_invite_retransmits_and_passes_2xx_ack_up() {
    let mut sim = Sim::new();
    b_answers(&mut sim, 200);
    let mut first = true;
    sim.drop_when(move |p| p.is(Side::B, "200 INVITE") && std::mem::take(&mut first));
    let invite = sim.invite(true);
    sim.send(invite);
    sim.run_until(5.0);
    // RFC 6026: B is in Accepted; the INVITE retransmission is absorbed (not answered by the
    // transaction, not passed up); the 2xx is retransmitted by the UAS core at T1; the ACK
    // (its own branch) reaches B's TU.
    assert_eq!(
        sim.wire(),
        [
            "  0.000 A->B INVITE",
            "  0.010 B->A 200 INVITE (lost)",
            "  0.500 A->B INVITE",
            "  0.510 B->A 200 INVITE",
            "  0.520 A->B ACK",
        ]
    );
    let events = sim.events(Side::B);
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(matches!(events[0], Event::Request { .. }));
    assert!(
        matches!(&events[1], Event::Ack { request, .. } if request.method == centralita_sip::Method::Ack)
    );
    let key = first_request(&events).unwrap().0;
    assert_eq!(sim.b.ep.transaction_state(key), Some(TransactionState::Accepted));
    sim.run_until(33.0);
    assert_eq!(sim.b.ep.transaction_state(key), None, "timer L");
    assert_eq!(sim.a.ep.transaction_count(), 0, "timer M");
    assert_eq!((sim.a.ep.dialog_count(), sim.b.ep.dialog_count()), (1, 1));
}

#[test]
fn non_invite_server_replays_last_response_on_retransmit() {
    let mut sim = Sim::new();
    b_answers(&mut sim, 200);
    let mut first = true;
    sim.drop_when(move |p| p.is(Side::B, "200 OPTIONS") && std::mem::take(&mut first));
    let options = sim.options();
    sim.send(options);
    sim.run_until(40.0);
    assert_eq!(
        sim.wire(),
        [
            "  0.000 A->B OPTIONS",
            "  0.010 B->A 200 OPTIONS (lost)",
            "  0.500 A->B OPTIONS",
            "  0.510 B->A 200 OPTIONS",
        ]
    );
    assert_eq!(sim.events(Side::B).len(), 1);
    assert_eq!(statuses(&sim.events(Side::A)), [200]);
    assert_eq!(sim.b.ep.transaction_count(), 0, "timer J");
}

#[test]
fn cancel_matches_its_invite_and_gets_487() {
    let mut sim = Sim::new();
    sim.on_event(Side::B, |ep, now, e| {
        if let Event::Request { key, request, .. } = e {
            ep.respond(now, *key, answer(request, 180, "Ringing")).unwrap();
        }
    });
    let invite = sim.invite(true);
    let key = sim.send(invite);
    sim.run_until(1.0);
    sim.a.ep.cancel(sim.now, key).unwrap();
    sim.run_until(2.0);
    assert_eq!(
        sim.wire(),
        [
            "  0.000 A->B INVITE",
            "  0.010 B->A 180 INVITE",
            "  1.000 A->B CANCEL",
            "  1.010 B->A 200 CANCEL",
            "  1.010 B->A 487 INVITE",
            "  1.020 A->B ACK",
        ]
    );
    let b_events = sim.events(Side::B);
    let b_key = first_request(&b_events).unwrap().0;
    assert!(b_events.contains(&Event::Cancelled { key: b_key }));
    assert_eq!(statuses(&sim.events(Side::A)), [180, 487]);
}

#[test]
fn cancel_before_provisional_waits_for_it() {
    let mut sim = Sim::new();
    let invite = sim.invite(true);
    let key = sim.send(invite);
    sim.a.ep.cancel(sim.now, key).unwrap();
    sim.run_until(2.0);
    // 9.1: no CANCEL before a provisional response; B's automatic 100 lets it go.
    assert_eq!(
        sim.wire(),
        [
            "  0.000 A->B INVITE",
            "  0.210 B->A 100 INVITE",
            "  0.220 A->B CANCEL",
            "  0.230 B->A 200 CANCEL",
            "  0.230 B->A 487 INVITE",
            "  0.240 A->B ACK",
        ]
    );
}

#[test]
fn cancel_without_transaction_gets_481() {
    let mut sim = Sim::new();
    sim.inject(
        Side::A,
        b"CANCEL sip:agent@192.0.2.2 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnothing\r\n\
From: <sip:a@192.0.2.1>;tag=1\r\n\
To: <sip:agent@192.0.2.2>\r\n\
Call-ID: unknown\r\n\
CSeq: 1 CANCEL\r\n\
Max-Forwards: 70\r\n\r\n",
    );
    sim.run_until(1.0);
    assert_eq!(sim.wire(), ["  0.000 A->B CANCEL", "  0.010 B->A 481 CANCEL"]);
    assert!(sim.events(Side::B).is_empty(), "nothing for the TU");
}

/// An RFC 2543 INVITE: no magic cookie in the branch (none at all here).
const OLD_INVITE: &str = "INVITE sip:agent@192.0.2.2 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1:5060\r\n\
From: <sip:old@192.0.2.1>;tag=old1\r\n\
To: <sip:agent@192.0.2.2>\r\n\
Call-ID: rfc2543-call\r\n\
CSeq: 7 INVITE\r\n\
Contact: <sip:old@192.0.2.1>\r\n\r\n";

#[test]
fn rfc2543_request_without_magic_cookie_still_matches() {
    let mut sim = Sim::new();
    b_answers(&mut sim, 486);
    sim.inject(Side::A, OLD_INVITE.as_bytes());
    sim.run_until(0.1);
    sim.inject(Side::A, OLD_INVITE.as_bytes());
    sim.run_until(0.2);
    let events = sim.events(Side::B);
    assert_eq!(events.len(), 1, "the retransmission matched by 17.2.3's old rules");
    let key = first_request(&events).unwrap().0;
    assert_eq!(
        sim.wire(),
        [
            "  0.000 A->B INVITE",
            "  0.010 B->A 486 INVITE",
            "  0.100 A->B INVITE",
            "  0.110 B->A 486 INVITE",
        ]
    );
    // The ACK carries B's To tag: it still finds the INVITE transaction.
    let response = sim.last(Side::B, "486 INVITE");
    let tag = response.headers().to().unwrap().tag().unwrap().to_owned();
    let ack = format!(
        "ACK sip:agent@192.0.2.2 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1:5060\r\n\
From: <sip:old@192.0.2.1>;tag=old1\r\n\
To: <sip:agent@192.0.2.2>;tag={tag}\r\n\
Call-ID: rfc2543-call\r\n\
CSeq: 7 ACK\r\n\r\n"
    );
    sim.inject(Side::A, ack.as_bytes());
    sim.run_until(0.3);
    assert_eq!(sim.b.ep.transaction_state(key), Some(TransactionState::Confirmed));
    sim.run_until(10.0);
    assert_eq!(sim.wire_with("B->A 486").len(), 2, "no retransmission after the ACK");
}

#[test]
fn responses_go_to_rport_and_received() {
    let mut ep = Endpoint::new(sim::config(2));
    let now = Instant::now();
    let local = "192.0.2.2:5060".parse().unwrap();
    for (i, (via, to)) in [
        ("SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1;rport", "203.0.113.5:40000"),
        ("SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK2", "203.0.113.5:5062"),
        ("SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK3", "203.0.113.5:5060"),
    ]
    .into_iter()
    .enumerate()
    {
        let text = format!(
            "OPTIONS sip:192.0.2.2 SIP/2.0\r\nVia: {via}\r\nFrom: <sip:p@10.0.0.5>;tag=x\r\n\
             To: <sip:192.0.2.2>\r\nCall-ID: rport-{i}\r\nCSeq: 1 OPTIONS\r\n\r\n"
        );
        let from = Peer::udp("203.0.113.5:40000".parse().unwrap(), local);
        ep.handle_message(now, Message::parse(text.as_bytes()).unwrap(), from);
        let Some(Event::Request { key, request, peer, .. }) = ep.poll_event() else { panic!() };
        assert_eq!(peer, from);
        let top = request.headers.top_via().unwrap();
        assert_eq!(top.received(), Some("203.0.113.5".parse().unwrap()));
        ep.respond(now, key, answer(&request, 200, "OK")).unwrap();
        let t = ep.poll_transmit().unwrap();
        assert_eq!(t.to.remote, to.parse().unwrap(), "{via}");
        assert_eq!(t.to.local, local);
        let response = Message::parse(&t.bytes).unwrap();
        let via = response.headers().top_via().unwrap();
        assert_eq!(via.received(), Some("203.0.113.5".parse().unwrap()));
        if via.rport().is_some() {
            assert_eq!(via.rport(), Some(Some(40000)));
        }
    }
}

#[test]
fn response_uses_the_same_tcp_connection() {
    let mut ep = Endpoint::new(sim::config(2));
    let now = Instant::now();
    let text = "INVITE sip:agent@192.0.2.2 SIP/2.0\r\n\
Via: SIP/2.0/TCP phone.invalid:5070;branch=z9hG4bKtcp\r\n\
From: <sip:p@phone.invalid>;tag=x\r\nTo: <sip:agent@192.0.2.2>\r\nCall-ID: tcp1\r\n\
CSeq: 1 INVITE\r\nContact: <sip:p@198.51.100.7:5070;transport=tcp>\r\nContent-Length: 0\r\n\r\n";
    let from = Peer::tcp(
        "198.51.100.7:49152".parse().unwrap(),
        "192.0.2.2:5060".parse().unwrap(),
        Some(42),
    );
    ep.handle_message(now, Message::parse(text.as_bytes()).unwrap(), from);
    let Some(Event::Request { key, request, .. }) = ep.poll_event() else { panic!() };
    ep.respond(now, key, answer(&request, 180, "Ringing")).unwrap();
    let t = ep.poll_transmit().unwrap();
    assert_eq!(t.to, from, "the connection the INVITE came on");
    assert_eq!(t.to.transport, Transport::Tcp);
    assert_eq!(t.fallback, Some("198.51.100.7:5070".parse().unwrap()), "received + sent-by port");
    assert!(ep.poll_transmit().is_none());
}

#[test]
fn requests_with_unknown_require_get_420_and_broken_ones_400() {
    let mut sim = Sim::new();
    let mut invite = sim.invite(true);
    invite.headers.push(HeaderName::REQUIRE, "foo");
    sim.send(invite);
    sim.inject(Side::A, b"OPTIONS sip:192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\nCSeq: 1 OPTIONS\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\n\r\n");
    sim.run_until(1.0);
    assert_eq!(
        sim.wire(),
        [
            "  0.000 A->B INVITE",
            "  0.000 A->B OPTIONS",
            "  0.010 B->A 420 INVITE",
            "  0.010 B->A 400 OPTIONS",
            "  0.020 A->B ACK",
        ]
    );
    assert!(sim.events(Side::B).is_empty());
}

#[test]
fn transport_error_ends_a_waiting_client_transaction() {
    let mut sim = Sim::tcp();
    sim.black_hole = true;
    let invite = sim.invite(true);
    let key = sim.send(invite);
    // The binary could not connect: it names the transaction the Transmit carried.
    let t = sim.sent()[0].clone();
    assert_eq!(t.summary, "INVITE");
    sim.a.ep.handle_transport_error(sim.now, key);
    sim.pump();
    assert_eq!(
        sim.events(Side::A),
        [Event::TransactionFailed { key, error: TransactionError::Transport }]
    );
    assert_eq!(sim.a.ep.transaction_count(), 0);
    assert_eq!(sim.a.ep.poll_timeout(), None);
}

#[test]
fn transmits_name_their_transaction() {
    let mut ep = Endpoint::new(sim::config(1));
    let now = Instant::now();
    let mut sim = Sim::new();
    let options = sim.options();
    let key = ep.send_request(now, options, sim.peer_of(Side::A)).unwrap();
    assert_eq!(ep.poll_transmit().unwrap().transaction, Some(key));
}
