//! Dialogs (RFC 3261 12-15, RFC 3262, RFC 6026) as scenarios in simulated time: the race of
//! a 200 with our CANCEL, forks, route sets with loose and strict routers, target refresh,
//! CSeq order, BYE, 100rel, and the 2xx/ACK handshake in both directions.

mod sim;

use centralita_sip::{
    DialogEnd, DialogId, DialogState, Event, HeaderName, Message, Method, Request, Response,
    TransactionKey,
};
use sim::{Side, Sim, answer, first_request, statuses};

/// B's TU answers every INVITE with `status` (and every other request but ACK with 200).
fn b_answers(sim: &mut Sim, status: u16) {
    sim.on_event(Side::B, move |ep, now, e| {
        if let Event::Request { key, request, .. } = e {
            let status = if request.method == Method::Invite { status } else { 200 };
            ep.respond(now, *key, answer(request, status, "Whatever")).unwrap();
        }
    });
}

/// The dialog of the first response event with one.
fn response_dialog(events: &[Event]) -> DialogId {
    events
        .iter()
        .find_map(|e| match e {
            Event::Response { dialog: Some(d), .. } => Some(*d),
            _ => None,
        })
        .expect("a response with a dialog")
}

/// A call from A to B, answered and ACKed: (A's dialog, B's dialog).
fn established(sim: &mut Sim) -> (DialogId, DialogId) {
    b_answers(sim, 200);
    let invite = sim.invite(true);
    sim.send(invite);
    sim.run_for(1.0);
    let a = response_dialog(&sim.events(Side::A));
    let b = sim
        .events(Side::B)
        .iter()
        .find_map(|e| match e {
            Event::Ack { dialog, .. } => Some(*dialog),
            _ => None,
        })
        .expect("B got the ACK");
    sim.clear_wire();
    (a, b)
}

fn request_of(m: &Message) -> &Request {
    match m {
        Message::Request(r) => r,
        Message::Response(_) => panic!("not a request"),
    }
}

fn routes(m: &Message) -> Vec<String> {
    m.headers().get_all(&HeaderName::ROUTE).map(str::to_owned).collect()
}

#[test]
fn cancel_crossing_200_ok_sends_ack_then_bye() {
    let mut sim = Sim::new();
    // The agent's phone rings...
    sim.on_event(Side::B, |ep, now, e| {
        if let Event::Request { key, request, .. } = e
            && request.method == Method::Invite
        {
            ep.respond(now, *key, answer(request, 180, "Ringing")).unwrap();
        }
    });
    let invite = sim.invite(true);
    let a_key = sim.send(invite);
    sim.run_until(1.0);
    let (b_key, b_invite, _) = first_request(&sim.events(Side::B)).unwrap();
    assert_eq!(statuses(&sim.events(Side::A)), [180]);

    // ...and at the 30th second the agent answers just as we give up: the 200 and our CANCEL
    // cross on the wire.
    sim.run_until(30.0);
    sim.a.ep.cancel(sim.now, a_key).unwrap();
    sim.b.ep.respond(sim.now, b_key, answer(&b_invite, 200, "OK")).unwrap();
    sim.run_until(40.0);

    assert_eq!(
        sim.wire(),
        [
            "  0.000 A->B INVITE",
            "  0.010 B->A 180 INVITE",
            " 30.000 A->B CANCEL",
            " 30.000 B->A 200 INVITE",
            // B has answered already: the CANCEL gets its 200 but no 487.
            " 30.010 B->A 200 CANCEL",
            // The 200 still creates a dialog, which must be ACKed before it is BYEd.
            " 30.010 A->B ACK",
            " 30.010 A->B BYE",
            " 30.020 B->A 200 BYE",
        ]
    );
    let a_events = sim.events(Side::A);
    let dialog = response_dialog(&a_events);
    assert_eq!(statuses(&a_events), [200], "the TU sees the answer it raced with");
    assert_eq!(
        a_events.last(),
        Some(&Event::DialogTerminated { dialog, reason: DialogEnd::AnsweredAfterCancel })
    );
    let b_events = sim.events(Side::B);
    assert!(matches!(b_events[0], Event::Ack { .. }), "{b_events:?}");
    assert!(matches!(
        b_events[1],
        Event::DialogTerminated { reason: DialogEnd::ByeReceived(_), .. }
    ));
    assert_eq!((sim.a.ep.dialog_count(), sim.b.ep.dialog_count()), (0, 0));
    sim.run_until(70.0);
    assert_eq!((sim.a.ep.transaction_count(), sim.b.ep.transaction_count()), (0, 0));
}

#[test]
fn cancel_arriving_before_the_200_gets_487_instead() {
    // The same race with the CANCEL 5 ms ahead: B cancels the INVITE and the late answer is
    // refused by the layer, so the TU's 200 never goes out.
    let mut sim = Sim::new();
    sim.on_event(Side::B, |ep, now, e| {
        if let Event::Request { key, request, .. } = e
            && request.method == Method::Invite
        {
            ep.respond(now, *key, answer(request, 180, "Ringing")).unwrap();
        }
    });
    let invite = sim.invite(true);
    let a_key = sim.send(invite);
    sim.run_until(29.990);
    let (b_key, b_invite, _) = first_request(&sim.events(Side::B)).unwrap();
    sim.a.ep.cancel(sim.now, a_key).unwrap();
    sim.run_until(30.0);
    let late = sim.b.ep.respond(sim.now, b_key, answer(&b_invite, 200, "OK"));
    assert_eq!(late, Err(centralita_sip::EndpointError::AlreadyFinal));
    sim.run_until(31.0);
    assert_eq!(
        sim.wire_with(" 29.99").into_iter().chain(sim.wire_with(" 30.0")).collect::<Vec<_>>(),
        [
            " 29.990 A->B CANCEL",
            " 30.000 B->A 200 CANCEL",
            " 30.000 B->A 487 INVITE",
            " 30.010 A->B ACK",
        ]
    );
}

/// A's INVITE and two 180s from two phones behind a forking proxy (B's socket stands in for
/// the proxy; the responses are written by hand).
fn forked(sim: &mut Sim) -> (TransactionKey, Request, [Response; 2]) {
    let invite = sim.invite(true);
    let key = sim.send(invite);
    sim.run_until(0.005);
    let Message::Request(sent) = sim.last(Side::A, "INVITE") else { unreachable!() };
    let fork = |tag: &str, host: &str, status: u16| {
        let mut r = Response::for_request(&sent, status, "x");
        let mut to = r.headers.to().unwrap();
        to.set_tag(tag);
        r.headers.set(HeaderName::TO, to.to_string());
        r.headers.push(HeaderName::CONTACT, format!("<sip:agent@{host}>"));
        r
    };
    let ringing = [fork("fork1", "192.0.2.21", 180), fork("fork2", "192.0.2.22", 180)];
    (key, sent, ringing)
}

fn with_status(r: &Response, status: u16) -> Response {
    let mut r = r.clone();
    r.status = status;
    r.reason = if status == 200 { "OK".into() } else { "x".into() };
    r
}

#[test]
fn forked_early_dialogs_have_separate_tags() {
    let mut sim = Sim::new();
    sim.drop_when(|p| p.from == Side::A); // the proxy's side is scripted
    let (_, _, ringing) = forked(&mut sim);
    for r in &ringing {
        sim.inject(Side::B, &r.to_bytes());
    }
    sim.run_until(1.0);
    let events = sim.events(Side::A);
    let dialogs: Vec<DialogId> = events
        .iter()
        .filter_map(|e| match e {
            Event::Response { dialog, .. } => *dialog,
            _ => None,
        })
        .collect();
    assert_eq!(dialogs.len(), 2);
    assert_ne!(dialogs[0], dialogs[1]);
    let d0 = sim.a.ep.dialog(dialogs[0]).unwrap();
    let d1 = sim.a.ep.dialog(dialogs[1]).unwrap();
    assert_eq!((d0.remote_tag(), d1.remote_tag()), ("fork1", "fork2"));
    assert_eq!(d0.local_tag(), d1.local_tag(), "one INVITE, one From tag");
    assert_eq!(d0.remote_target().to_string(), "sip:agent@192.0.2.21");
    assert_eq!(d1.remote_target().to_string(), "sip:agent@192.0.2.22");
    assert_eq!((d0.state(), d1.state()), (DialogState::Early, DialogState::Early));
}

#[test]
fn second_2xx_from_another_fork_is_acked_and_byed() {
    let mut sim = Sim::new();
    sim.drop_when(|p| p.from == Side::A);
    let (_, _, ringing) = forked(&mut sim);
    for r in &ringing {
        sim.inject(Side::B, &r.to_bytes());
    }
    sim.run_until(1.0);
    let _ = sim.events(Side::A);
    sim.clear_wire();

    sim.inject(Side::B, &with_status(&ringing[0], 200).to_bytes());
    sim.run_until(2.0);
    sim.inject(Side::B, &with_status(&ringing[1], 200).to_bytes());
    sim.run_until(3.0);
    // The first fork's 200 again: its ACK again, nothing new for the TU.
    sim.inject(Side::B, &with_status(&ringing[0], 200).to_bytes());
    sim.run_until(4.0);
    assert_eq!(
        sim.wire(),
        [
            "  1.000 B->A 200 INVITE",
            "  1.010 A->B ACK (lost)",
            "  2.000 B->A 200 INVITE",
            "  2.010 A->B ACK (lost)",
            "  2.010 A->B BYE (lost)",
            "  2.510 A->B BYE (lost)",
            "  3.000 B->A 200 INVITE",
            "  3.010 A->B ACK (lost)",
            "  3.510 A->B BYE (lost)",
        ]
    );
    let of = |what: &str| -> Vec<(String, String, Vec<u8>)> {
        sim.sent()
            .iter()
            .filter(|p| p.is(Side::A, what))
            .map(|p| {
                let m = p.message();
                let tag = m.headers().to().unwrap().tag().unwrap().to_owned();
                (request_of(&m).uri.to_string(), tag, p.bytes.clone())
            })
            .collect()
    };
    let (acks, byes) = (of("ACK"), of("BYE"));
    assert_eq!((acks[0].0.as_str(), acks[0].1.as_str()), ("sip:agent@192.0.2.21", "fork1"));
    assert_eq!((acks[1].0.as_str(), acks[1].1.as_str()), ("sip:agent@192.0.2.22", "fork2"));
    assert_eq!((byes[0].0.as_str(), byes[0].1.as_str()), ("sip:agent@192.0.2.22", "fork2"));
    assert_eq!(acks[2].2, acks[0].2, "the same ACK, retransmitted");

    let events = sim.events(Side::A);
    assert_eq!(statuses(&events), [200], "only the first answer reaches the TU");
    let kept = response_dialog(&events);
    assert!(matches!(
        events.last(),
        Some(Event::DialogTerminated { reason: DialogEnd::ExtraFork, dialog }) if *dialog != kept
    ));
    assert_eq!(sim.a.ep.dialog(kept).unwrap().state(), DialogState::Confirmed);
    assert_eq!(sim.a.ep.dialog_count(), 1);
}

#[test]
fn dialog_routes_follow_record_route_reversed() {
    let mut sim = Sim::new();
    b_answers(&mut sim, 200);
    let mut invite = sim.invite(true);
    // As the INVITE reaches B through p1 (near A) then p2 (near B).
    invite.headers.push(HeaderName::RECORD_ROUTE, "<sip:p2.example;lr>");
    invite.headers.push(HeaderName::RECORD_ROUTE, "<sip:p1.example;lr>");
    sim.send(invite);
    sim.run_until(1.0);
    let a_dialog = response_dialog(&sim.events(Side::A));
    let ok = sim.last(Side::B, "200 INVITE");
    assert_eq!(ok.headers().record_route().unwrap().len(), 2, "B copied Record-Route");

    let ack = sim.last(Side::A, "ACK");
    assert_eq!(request_of(&ack).uri.to_string(), "sip:agent@192.0.2.2:5060");
    assert_eq!(routes(&ack), ["<sip:p1.example;lr>", "<sip:p2.example;lr>"]);

    sim.a.ep.bye(sim.now, a_dialog).unwrap();
    sim.run_for(1.0);
    let bye = sim.last(Side::A, "BYE");
    assert_eq!(request_of(&bye).uri.to_string(), "sip:agent@192.0.2.2:5060");
    assert_eq!(routes(&bye), ["<sip:p1.example;lr>", "<sip:p2.example;lr>"]);
}

#[test]
fn uas_route_set_keeps_record_route_order() {
    let mut sim = Sim::new();
    b_answers(&mut sim, 200);
    let mut invite = sim.invite(true);
    invite.headers.push(HeaderName::RECORD_ROUTE, "<sip:p2.example;lr>");
    invite.headers.push(HeaderName::RECORD_ROUTE, "<sip:p1.example;lr>");
    sim.send(invite);
    sim.run_until(1.0);
    let b_dialog = sim
        .events(Side::B)
        .iter()
        .find_map(|e| match e {
            Event::Ack { dialog, .. } => Some(*dialog),
            _ => None,
        })
        .unwrap();
    sim.b.ep.bye(sim.now, b_dialog).unwrap();
    sim.run_for(1.0);
    let bye = sim.last(Side::B, "BYE");
    assert_eq!(request_of(&bye).uri.to_string(), "sip:b2bua@192.0.2.1:5060");
    assert_eq!(routes(&bye), ["<sip:p2.example;lr>", "<sip:p1.example;lr>"]);
}

#[test]
fn strict_router_in_route_set() {
    let mut sim = Sim::new();
    b_answers(&mut sim, 200);
    let mut invite = sim.invite(true);
    // p1, nearest to A, is an RFC 2543 strict router (no `lr`).
    invite.headers.push(HeaderName::RECORD_ROUTE, "<sip:p2.example;lr>");
    invite.headers.push(HeaderName::RECORD_ROUTE, "<sip:p1.example;transport=udp>");
    sim.send(invite);
    sim.run_until(1.0);
    let a_dialog = response_dialog(&sim.events(Side::A));
    sim.a.ep.bye(sim.now, a_dialog).unwrap();
    sim.run_for(1.0);
    // 12.2.1.1: the strict router becomes the Request-URI; the remote target goes last.
    let bye = sim.last(Side::A, "BYE");
    assert_eq!(request_of(&bye).uri.to_string(), "sip:p1.example;transport=udp");
    assert_eq!(routes(&bye), ["<sip:p2.example;lr>", "<sip:agent@192.0.2.2:5060>"]);
}

#[test]
fn re_invite_refreshes_remote_target() {
    let mut sim = Sim::new();
    let (a_dialog, b_dialog) = established(&mut sim);
    assert_eq!(
        sim.a.ep.dialog(a_dialog).unwrap().remote_target().to_string(),
        "sip:agent@192.0.2.2:5060"
    );
    // A answers the re-INVITE.
    sim.on_event(Side::A, |ep, now, e| {
        if let Event::Request { key, request, dialog: Some(_), .. } = e {
            let mut ok = Response::for_request(request, 200, "OK");
            ok.set_body("application/sdp", b"v=0\r\n".to_vec());
            ep.respond(now, *key, ok).unwrap();
        }
    });
    // The phone moved (say, from Wi-Fi to 4G) and re-INVITEs with its new Contact.
    let mut reinvite = sim.b.ep.dialog_request(b_dialog, Method::Invite).unwrap();
    reinvite.headers.set(HeaderName::CONTACT, "<sip:agent@198.51.100.99:5060>");
    reinvite.set_body("application/sdp", b"v=0\r\n".to_vec());
    sim.b.ep.send_in_dialog(sim.now, b_dialog, reinvite).unwrap();
    sim.run_for(1.0);
    assert_eq!(
        sim.wire_with("->"),
        ["  1.000 B->A INVITE", "  1.010 A->B 200 INVITE", "  1.020 B->A ACK",]
    );
    let ok = sim.last(Side::A, "200 INVITE");
    assert_eq!(
        ok.headers().contacts().unwrap()[0].to_string(),
        "<sip:b2bua@192.0.2.1:5060>",
        "the dialog's Contact added to the 2xx"
    );
    let a_events = sim.events(Side::A);
    assert!(matches!(&a_events[0], Event::Request { dialog: Some(d), .. } if *d == a_dialog));
    assert_eq!(
        sim.a.ep.dialog(a_dialog).unwrap().remote_target().to_string(),
        "sip:agent@198.51.100.99:5060"
    );
    sim.a.ep.bye(sim.now, a_dialog).unwrap();
    sim.run_for(1.0);
    let bye = sim.last(Side::A, "BYE");
    assert_eq!(request_of(&bye).uri.to_string(), "sip:agent@198.51.100.99:5060");
    assert_eq!(bye.headers().cseq().unwrap().seq, 2);
    assert_eq!(sim.last(Side::B, "200 BYE").headers().cseq().unwrap().seq, 2);
}

#[test]
fn re_invite_response_refreshes_our_remote_target() {
    let mut sim = Sim::new();
    let (a_dialog, _) = established(&mut sim);
    sim.on_event(Side::B, |ep, now, e| {
        if let Event::Request { key, request, dialog: Some(_), .. } = e {
            let mut ok = Response::for_request(request, 200, "OK");
            ok.headers.push(HeaderName::CONTACT, "<sip:agent@198.51.100.7>");
            ep.respond(now, *key, ok).unwrap();
        }
    });
    let mut reinvite = sim.a.ep.dialog_request(a_dialog, Method::Invite).unwrap();
    reinvite.set_body("application/sdp", b"v=0\r\n".to_vec());
    let key = sim.a.ep.send_in_dialog(sim.now, a_dialog, reinvite).unwrap();
    sim.run_for(1.0);
    assert_eq!(
        sim.wire_with("->"),
        ["  1.000 A->B INVITE", "  1.010 B->A 200 INVITE", "  1.020 A->B ACK",]
    );
    assert!(sim.events(Side::A).iter().any(|e| matches!(
        e,
        Event::Response { key: k, dialog: Some(d), .. } if *k == key && *d == a_dialog
    )));
    assert_eq!(
        sim.a.ep.dialog(a_dialog).unwrap().remote_target().to_string(),
        "sip:agent@198.51.100.7"
    );
    let ack = sim.last(Side::A, "ACK");
    assert_eq!(ack.headers().cseq().unwrap().seq, 2, "the re-INVITE's CSeq");
}

#[test]
fn in_dialog_request_with_lower_cseq_gets_500() {
    let mut sim = Sim::new();
    let (a_dialog, _) = established(&mut sim);
    let info = sim.a.ep.dialog_request(a_dialog, Method::Info).unwrap();
    sim.a.ep.send_in_dialog(sim.now, a_dialog, info).unwrap();
    sim.run_for(1.0);
    // The same INFO again, but with a CSeq below the one B has seen, in a new transaction.
    let Message::Request(mut old) = sim.last(Side::A, "INFO") else { unreachable!() };
    old.headers.set(HeaderName::CSEQ, "1 INFO");
    let mut via = old.headers.top_via().unwrap();
    via.params.set("branch", Some("z9hG4bKreordered"));
    old.headers.set_top_via(&via);
    sim.inject(Side::A, &old.to_bytes());
    sim.run_for(1.0);
    assert_eq!(
        sim.wire_with("->"),
        [
            "  1.000 A->B INFO",
            "  1.010 B->A 200 INFO",
            "  2.000 A->B INFO",
            "  2.010 B->A 500 INFO",
        ]
    );
    let b_requests =
        sim.events(Side::B).iter().filter(|e| matches!(e, Event::Request { .. })).count();
    assert_eq!(b_requests, 1, "the out-of-order INFO never reaches the TU");
}

#[test]
fn bye_ends_dialog() {
    let mut sim = Sim::new();
    let (a_dialog, b_dialog) = established(&mut sim);
    sim.a.ep.bye(sim.now, a_dialog).unwrap();
    sim.run_for(1.0);
    assert_eq!(sim.wire_with("->"), ["  1.000 A->B BYE", "  1.010 B->A 200 BYE"]);
    let a_events = sim.events(Side::A);
    assert_eq!(
        a_events[0],
        Event::DialogTerminated { dialog: a_dialog, reason: DialogEnd::ByeSent }
    );
    assert_eq!(statuses(&a_events), [200]);
    let b_events = sim.events(Side::B);
    assert!(matches!(
        &b_events[..],
        [Event::DialogTerminated { dialog, reason: DialogEnd::ByeReceived(bye) }]
            if *dialog == b_dialog && bye.method == Method::Bye
    ));
    assert_eq!((sim.a.ep.dialog_count(), sim.b.ep.dialog_count()), (0, 0));
    assert!(sim.a.ep.dialog(a_dialog).is_none());
    assert!(sim.a.ep.bye(sim.now, a_dialog).is_err());

    // A request in the dead dialog is answered 481.
    let Message::Request(mut late) = sim.last(Side::A, "BYE") else { unreachable!() };
    late.method = Method::Info;
    late.headers.set(HeaderName::CSEQ, "9 INFO");
    let mut via = late.headers.top_via().unwrap();
    via.params.set("branch", Some("z9hG4bKlate"));
    late.headers.set_top_via(&via);
    sim.inject(Side::A, &late.to_bytes());
    sim.run_for(1.0);
    assert_eq!(sim.wire_with("INFO"), ["  2.000 A->B INFO", "  2.010 B->A 481 INFO"]);
}

#[test]
fn prack_sent_for_reliable_provisional() {
    let mut sim = Sim::new();
    sim.on_event(Side::B, |ep, now, e| {
        if let Event::Request { key, request, .. } = e
            && request.method == Method::Invite
        {
            ep.respond(now, *key, answer(request, 183, "Session Progress")).unwrap();
        }
    });
    let mut invite = sim.invite(true);
    invite.headers.push(HeaderName::REQUIRE, "100rel");
    sim.send(invite);
    sim.run_until(10.0);
    assert_eq!(
        sim.wire(),
        [
            "  0.000 A->B INVITE",
            "  0.010 B->A 183 INVITE",
            "  0.020 A->B PRACK",
            "  0.030 B->A 200 PRACK",
        ]
    );
    let invite = sim.last(Side::A, "INVITE");
    assert_eq!(invite.headers().supported().unwrap(), ["100rel"]);
    let progress = sim.last(Side::B, "183 INVITE");
    assert_eq!(progress.headers().require().unwrap(), ["100rel"]);
    let rseq = progress.headers().rseq().unwrap().unwrap();
    let prack = sim.last(Side::A, "PRACK");
    let rack = prack.headers().rack().unwrap().unwrap();
    assert_eq!((rack.rseq, rack.cseq, rack.method), (rseq, 1, Method::Invite));
    assert_eq!(prack.headers().cseq().unwrap().seq, 2, "PRACK takes the next CSeq");
    assert_eq!(statuses(&sim.events(Side::A)), [183]);
    assert!(sim.events(Side::B).iter().any(|e| matches!(e, Event::Prack { .. })));
}

#[test]
fn reliable_provisional_retransmitted_until_prack() {
    let mut sim = Sim::new();
    sim.on_event(Side::B, |ep, now, e| {
        if let Event::Request { key, request, .. } = e
            && request.method == Method::Invite
        {
            ep.respond(now, *key, answer(request, 180, "Ringing")).unwrap();
            ep.respond(now, *key, answer(request, 183, "Session Progress")).unwrap();
        }
    });
    let mut prack = 0;
    sim.drop_when(move |p| {
        if p.is(Side::A, "PRACK") {
            prack += 1;
            return prack == 1;
        }
        false
    });
    let mut invite = sim.invite(true);
    invite.headers.push(HeaderName::REQUIRE, "100rel");
    sim.send(invite);
    sim.run_until(10.0);
    assert_eq!(
        sim.wire(),
        [
            "  0.000 A->B INVITE",
            "  0.010 B->A 180 INVITE",
            "  0.020 A->B PRACK (lost)",
            // T1 later: the 180 again; A knows its RSeq and neither PRACKs nor reports it.
            "  0.510 B->A 180 INVITE",
            // A's PRACK transaction retransmits by itself (timer E).
            "  0.520 A->B PRACK",
            "  0.530 B->A 200 PRACK",
            // Only now may the next reliable provisional response go (RFC 3262 3).
            "  0.530 B->A 183 INVITE",
            "  0.540 A->B PRACK",
            "  0.550 B->A 200 PRACK",
        ]
    );
    let a = sim.last(Side::B, "180 INVITE").headers().rseq().unwrap().unwrap();
    let b = sim.last(Side::B, "183 INVITE").headers().rseq().unwrap().unwrap();
    assert_eq!(b, a + 1, "RSeq counts up by one");
    assert_eq!(statuses(&sim.events(Side::A)), [180, 183]);
}

#[test]
fn reliable_provisional_without_prack_fails_the_invite() {
    let mut sim = Sim::new();
    sim.on_event(Side::B, |ep, now, e| {
        if let Event::Request { key, request, .. } = e
            && request.method == Method::Invite
        {
            ep.respond(now, *key, answer(request, 183, "Session Progress")).unwrap();
        }
    });
    sim.drop_when(|p| p.is(Side::A, "PRACK"));
    let mut invite = sim.invite(true);
    invite.headers.push(HeaderName::REQUIRE, "100rel");
    sim.send(invite);
    sim.run_until(40.0);
    let sent: Vec<String> = sim.wire_with("B->A");
    assert_eq!(
        sent,
        [
            "  0.010 B->A 183 INVITE",
            "  0.510 B->A 183 INVITE",
            "  1.510 B->A 183 INVITE",
            "  3.510 B->A 183 INVITE",
            "  7.510 B->A 183 INVITE",
            " 15.510 B->A 183 INVITE",
            " 31.510 B->A 183 INVITE",
            " 32.010 B->A 500 INVITE",
        ]
    );
    assert!(
        sim.events(Side::B)
            .iter()
            .any(|e| matches!(e, Event::DialogTerminated { reason: DialogEnd::PrackTimeout, .. }))
    );
}

#[test]
fn uas_2xx_without_ack_ends_with_bye() {
    let mut sim = Sim::new();
    b_answers(&mut sim, 200);
    sim.drop_when(|p| p.is(Side::A, "ACK"));
    let invite = sim.invite(true);
    sim.send(invite);
    sim.run_until(40.0);
    assert_eq!(
        sim.wire_with("B->A"),
        [
            "  0.010 B->A 200 INVITE",
            "  0.510 B->A 200 INVITE",
            "  1.510 B->A 200 INVITE",
            "  3.510 B->A 200 INVITE",
            "  7.510 B->A 200 INVITE",
            " 11.510 B->A 200 INVITE",
            " 15.510 B->A 200 INVITE",
            " 19.510 B->A 200 INVITE",
            " 23.510 B->A 200 INVITE",
            " 27.510 B->A 200 INVITE",
            " 31.510 B->A 200 INVITE",
            " 32.010 B->A BYE",
        ],
        "13.3.1.4: T1 doubling to T2, BYE after 64*T1"
    );
    assert!(
        sim.events(Side::B)
            .iter()
            .any(|e| matches!(e, Event::DialogTerminated { reason: DialogEnd::AckTimeout, .. }))
    );
}

#[test]
fn invite_without_offer_waits_for_the_tus_ack() {
    let mut sim = Sim::new();
    b_answers(&mut sim, 200);
    let invite = sim.invite(false);
    sim.send(invite);
    sim.run_until(1.0);
    // No ACK yet: it must carry our answer; B keeps retransmitting its 200.
    assert_eq!(
        sim.wire(),
        ["  0.000 A->B INVITE", "  0.010 B->A 200 INVITE", "  0.510 B->A 200 INVITE"]
    );
    let events = sim.events(Side::A);
    assert_eq!(statuses(&events), [200], "the retransmission is not reported");
    let dialog = response_dialog(&events);
    sim.a.ep.ack(sim.now, dialog, Some(("application/sdp", b"v=0\r\n".to_vec()))).unwrap();
    sim.run_for(1.0);
    assert_eq!(sim.wire_with("ACK"), ["  1.000 A->B ACK"]);
    assert!(sim.events(Side::B).iter().any(|e| matches!(
        e,
        Event::Ack { request, .. } if request.body == b"v=0\r\n"
    )));
    assert!(sim.a.ep.ack(sim.now, dialog, None).is_err(), "only one ACK per 2xx");
}

#[test]
fn bye_before_ack_waits_for_the_ack() {
    let mut sim = Sim::new();
    // B's TU answers and hangs up at once; 15: the BYE must wait for the ACK.
    sim.on_event(Side::B, |ep, now, e| {
        if let Event::Request { key, request, .. } = e
            && request.method == Method::Invite
        {
            let dialog = ep.respond(now, *key, answer(request, 200, "OK")).unwrap().unwrap();
            ep.bye(now, dialog).unwrap();
        }
    });
    sim.delay_when(|p| p.is(Side::A, "ACK").then(|| std::time::Duration::from_secs(2)));
    let invite = sim.invite(true);
    sim.send(invite);
    sim.run_until(5.0);
    assert_eq!(
        sim.wire_with("B->A"),
        [
            "  0.010 B->A 200 INVITE",
            "  0.510 B->A 200 INVITE",
            "  1.510 B->A 200 INVITE",
            "  2.020 B->A BYE",
        ]
    );
    assert_eq!((sim.a.ep.dialog_count(), sim.b.ep.dialog_count()), (0, 0));
    let ended = sim
        .events(Side::B)
        .into_iter()
        .filter(|e| matches!(e, Event::DialogTerminated { .. }))
        .collect::<Vec<_>>();
    assert_eq!(ended.len(), 1, "told once, at bye(): {ended:?}");
}

#[test]
fn cancelled_re_invite_that_gets_2xx_keeps_the_call() {
    let mut sim = Sim::new();
    let (a_dialog, b_dialog) = established(&mut sim);
    // B's TU sits on the re-INVITE; its transaction sends 100 after 200 ms.
    sim.on_event(Side::B, |_, _, _| {});
    let mut reinvite = sim.a.ep.dialog_request(a_dialog, Method::Invite).unwrap();
    reinvite.set_body("application/sdp", b"v=0\r\n".to_vec());
    let key = sim.a.ep.send_in_dialog(sim.now, a_dialog, reinvite).unwrap();
    sim.run_for(1.0);
    let (b_key, b_reinvite, _) = first_request(&sim.events(Side::B)).unwrap();
    sim.a.ep.cancel(sim.now, key).unwrap();
    sim.b.ep.respond(sim.now, b_key, answer(&b_reinvite, 200, "OK")).unwrap();
    sim.run_for(1.0);
    assert_eq!(
        sim.wire(),
        [
            "  1.000 A->B INVITE",
            "  1.210 B->A 100 INVITE",
            "  2.000 A->B CANCEL",
            "  2.000 B->A 200 INVITE",
            "  2.010 B->A 200 CANCEL",
            "  2.010 A->B ACK",
        ],
        "ACKed, not BYEd: the session just changed"
    );
    assert_eq!(sim.a.ep.dialog(a_dialog).unwrap().state(), DialogState::Confirmed);
    assert!(sim.b.ep.dialog(b_dialog).is_some());
}

#[test]
fn prack_overtaken_by_the_final_response_still_gets_200() {
    let mut sim = Sim::new();
    sim.on_event(Side::B, |ep, now, e| {
        if let Event::Request { key, request, .. } = e
            && request.method == Method::Invite
        {
            ep.respond(now, *key, answer(request, 183, "Session Progress")).unwrap();
            ep.respond(now, *key, answer(request, 200, "OK")).unwrap();
        }
    });
    let mut invite = sim.invite(true);
    invite.headers.push(HeaderName::REQUIRE, "100rel");
    sim.send(invite);
    sim.run_until(5.0);
    assert_eq!(
        sim.wire(),
        [
            "  0.000 A->B INVITE",
            "  0.010 B->A 183 INVITE",
            "  0.010 B->A 200 INVITE",
            "  0.020 A->B PRACK",
            "  0.020 A->B ACK",
            "  0.030 B->A 200 PRACK",
        ]
    );
    assert_eq!((sim.a.ep.dialog_count(), sim.b.ep.dialog_count()), (1, 1));
}

#[test]
fn bye_on_early_dialog_answers_the_invite_487() {
    let mut sim = Sim::new();
    sim.on_event(Side::B, |ep, now, e| {
        if let Event::Request { key, request, .. } = e
            && request.method == Method::Invite
        {
            ep.respond(now, *key, answer(request, 180, "Ringing")).unwrap();
        }
    });
    let invite = sim.invite(true);
    sim.send(invite);
    sim.run_until(1.0);
    let early = response_dialog(&sim.events(Side::A));
    let _ = sim.events(Side::B);
    sim.a.ep.bye(sim.now, early).unwrap();
    sim.run_until(2.0);
    assert_eq!(
        sim.wire_with(" 1.0"),
        ["  1.000 A->B BYE", "  1.010 B->A 200 BYE", "  1.010 B->A 487 INVITE", "  1.020 A->B ACK",]
    );
    assert!(matches!(
        &sim.events(Side::B)[..],
        [Event::DialogTerminated { reason: DialogEnd::ByeReceived(_), .. }]
    ));
}

#[test]
fn update_refreshes_remote_target_both_ways() {
    let mut sim = Sim::new();
    let (a_dialog, b_dialog) = established(&mut sim);
    sim.on_event(Side::B, |ep, now, e| {
        if let Event::Request { key, request, dialog: Some(_), .. } = e {
            let mut ok = Response::for_request(request, 200, "OK");
            ok.headers.push(HeaderName::CONTACT, "<sip:agent@198.51.100.8>");
            ep.respond(now, *key, ok).unwrap();
        }
    });
    let mut update = sim.a.ep.dialog_request(a_dialog, Method::Update).unwrap();
    update.headers.set(HeaderName::CONTACT, "<sip:b2bua@192.0.2.1:5070>");
    sim.a.ep.send_in_dialog(sim.now, a_dialog, update).unwrap();
    sim.run_for(1.0);
    assert_eq!(sim.wire(), ["  1.000 A->B UPDATE", "  1.010 B->A 200 UPDATE"]);
    assert_eq!(
        sim.b.ep.dialog(b_dialog).unwrap().remote_target().to_string(),
        "sip:b2bua@192.0.2.1:5070"
    );
    assert_eq!(
        sim.a.ep.dialog(a_dialog).unwrap().remote_target().to_string(),
        "sip:agent@198.51.100.8"
    );
}

#[test]
fn late_2xx_retransmission_after_timer_m_gets_the_ack_from_the_dialog() {
    let mut sim = Sim::new();
    let (_a_dialog, _) = established(&mut sim);
    sim.run_for(40.0);
    assert_eq!(sim.a.ep.transaction_count(), 0, "timer M has ended the INVITE transaction");
    // A 2xx retransmission delayed in the network arrives now.
    let ok = sim.last(Side::B, "200 INVITE");
    let first_ack = sim.sent().iter().find(|p| p.is(Side::A, "ACK")).unwrap().bytes.clone();
    sim.inject(Side::B, &ok.to_bytes());
    sim.run_for(1.0);
    assert_eq!(sim.wire_with("->")[1..], [" 41.010 A->B ACK".to_owned()]);
    let again = sim.sent().iter().rev().find(|p| p.is(Side::A, "ACK")).unwrap().bytes.clone();
    assert_eq!(again, first_ack);
    assert!(sim.events(Side::A).is_empty(), "nothing new for the TU");
}
