//! Property tests of the endpoint: random calls, answers, cancels, hang-ups and clock jumps
//! between two endpoints over a network that loses, delays and reorders, with garbage that
//! still parses injected in both directions (wrong branches, tags, CSeqs, methods and
//! statuses, duplicates). Whatever happens:
//! - nothing panics;
//! - after `handle_timeout(now)` no timer is left at or before `now` (checked by the
//!   simulator on every step);
//! - once every request has its final answer and the clock has run past every timer, no
//!   transaction is left alive on either side, and the timer queue is empty.

mod sim;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use centralita_sip::{
    DialogId, Event, HeaderName, Message, Method, Request, Response, TransactionKey, Transport,
};
use proptest::prelude::*;
use sim::{Side, Sim, answer};

#[derive(Debug, Clone)]
enum Mutation {
    Branch(bool, u16),
    DropToTag,
    ToTag(u8),
    CSeq(i8),
    Status(u16),
    Method(u8),
    DropContact,
    Reliable(u32),
    AsIs,
}

#[derive(Debug, Clone)]
enum Action {
    Invite {
        offer: bool,
        require_100rel: bool,
    },
    Options,
    Cancel(usize),
    Answer(usize, u16),
    Bye(usize),
    ReInvite(usize),
    Info(usize),
    Advance(u32),
    /// Re-send a message seen on the wire, mutated, towards A or B.
    Inject {
        pick: usize,
        to_b: bool,
        mutation: Mutation,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<bool>(), any::<u16>()).prop_map(|(c, n)| Mutation::Branch(c, n)),
        Just(Mutation::DropToTag),
        any::<u8>().prop_map(Mutation::ToTag),
        any::<i8>().prop_map(Mutation::CSeq),
        (100u16..700).prop_map(Mutation::Status),
        any::<u8>().prop_map(Mutation::Method),
        Just(Mutation::DropContact),
        any::<u32>().prop_map(Mutation::Reliable),
        Just(Mutation::AsIs),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (any::<bool>(), any::<bool>())
            .prop_map(|(offer, require_100rel)| Action::Invite { offer, require_100rel }),
        1 => Just(Action::Options),
        2 => any::<usize>().prop_map(Action::Cancel),
        4 => (any::<usize>(), prop_oneof![Just(100u16), Just(180), Just(183), Just(200), Just(486), Just(603)])
            .prop_map(|(i, s)| Action::Answer(i, s)),
        1 => any::<usize>().prop_map(Action::Bye),
        1 => any::<usize>().prop_map(Action::ReInvite),
        1 => any::<usize>().prop_map(Action::Info),
        3 => (0u32..40_000).prop_map(Action::Advance),
        4 => (any::<usize>(), any::<bool>(), mutation())
            .prop_map(|(pick, to_b, mutation)| Action::Inject { pick, to_b, mutation }),
    ]
}

/// A small deterministic generator for the network's choices.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // SplitMix64.
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// What the two TUs have seen and may act on.
#[derive(Default)]
struct World {
    /// Requests waiting for a TU answer: (side, key, request).
    pending: Vec<(Side, TransactionKey, Request)>,
    /// INVITEs A sent.
    invites: Vec<TransactionKey>,
    /// Dialogs either side has seen.
    dialogs: Vec<(Side, DialogId)>,
}

fn record(world: &Rc<RefCell<World>>, side: Side, e: &Event) {
    let mut w = world.borrow_mut();
    match e {
        Event::Request { key, request, dialog, .. } => {
            w.pending.push((side, *key, request.clone()));
            if let Some(d) = dialog {
                w.dialogs.push((side, *d));
            }
        }
        Event::Response { dialog: Some(d), .. } | Event::Ack { dialog: d, .. } => {
            w.dialogs.push((side, *d));
        }
        _ => {}
    }
}

fn mutate(m: &mut Message, mutation: &Mutation) {
    match mutation {
        Mutation::Branch(cookie, n) => {
            if let Ok(mut via) = m.headers().top_via() {
                let b = if *cookie { format!("z9hG4bKx{n}") } else { format!("old{n}") };
                via.params.set("branch", Some(&b));
                m.headers_mut().set_top_via(&via);
            }
        }
        Mutation::DropToTag => {
            if let Ok(mut to) = m.headers().to() {
                to.params.remove("tag");
                m.headers_mut().set(HeaderName::TO, to.to_string());
            }
        }
        Mutation::ToTag(n) => {
            if let Ok(mut to) = m.headers().to() {
                to.set_tag(&format!("t{}", n % 4));
                m.headers_mut().set(HeaderName::TO, to.to_string());
            }
        }
        Mutation::CSeq(d) => {
            if let Ok(mut c) = m.headers().cseq() {
                c.seq = c.seq.saturating_add_signed(i32::from(*d));
                m.headers_mut().set(HeaderName::CSEQ, c.to_string());
            }
        }
        Mutation::Status(s) => {
            if let Message::Response(r) = m {
                r.status = *s;
            }
        }
        Mutation::Method(i) => {
            let methods = [
                Method::Ack,
                Method::Cancel,
                Method::Bye,
                Method::Prack,
                Method::Invite,
                Method::Update,
                Method::Options,
            ];
            let method = methods[usize::from(*i) % methods.len()].clone();
            let keep_cseq = i % 2 == 0;
            if let Message::Request(r) = m {
                r.method = method.clone();
            }
            if !keep_cseq && let Ok(mut c) = m.headers().cseq() {
                c.method = method;
                m.headers_mut().set(HeaderName::CSEQ, c.to_string());
            }
        }
        Mutation::DropContact => {
            m.headers_mut().remove(&HeaderName::CONTACT);
        }
        Mutation::Reliable(n) => {
            m.headers_mut().set(HeaderName::REQUIRE, "100rel");
            m.headers_mut().set(HeaderName::RSEQ, (n % 5).to_string());
            m.headers_mut().set(HeaderName::RACK, format!("{} 1 INVITE", n % 5));
        }
        Mutation::AsIs => {}
    }
}

fn final_status(r: &Request, wanted: u16) -> u16 {
    if r.method == Method::Invite { wanted } else { 200 }
}

fn run(actions: Vec<Action>, seed: u64, tcp: bool, loss: u8) {
    let mut sim =
        if tcp { Sim::with(Transport::Tcp, sim::config(1), sim::config(2)) } else { Sim::new() };
    let world = Rc::new(RefCell::new(World::default()));
    for side in [Side::A, Side::B] {
        let w = world.clone();
        sim.on_event(side, move |_, _, e| record(&w, side, e));
    }
    let rng = Rc::new(RefCell::new(Rng(seed)));
    let r = rng.clone();
    // Loss only on UDP: TCP does not lose, and the layer rightly does not retransmit there.
    sim.drop_when(move |_| !tcp && (r.borrow_mut().next() % 100) < u64::from(loss % 30));
    let r = rng.clone();
    sim.delay_when(move |_| Some(Duration::from_millis(r.borrow_mut().next() % 300)));

    for action in actions {
        let now = sim.now;
        match action {
            Action::Invite { offer, require_100rel } => {
                let mut invite = sim.invite(offer);
                if require_100rel {
                    invite.headers.push(HeaderName::REQUIRE, "100rel");
                }
                let key = sim.send(invite);
                world.borrow_mut().invites.push(key);
            }
            Action::Options => {
                let options = sim.options();
                sim.send(options);
            }
            Action::Cancel(i) => {
                let key = {
                    let w = world.borrow();
                    if w.invites.is_empty() { None } else { Some(w.invites[i % w.invites.len()]) }
                };
                if let Some(key) = key {
                    let _ = sim.a.ep.cancel(now, key);
                }
            }
            Action::Answer(i, status) => {
                let item = {
                    let w = world.borrow();
                    if w.pending.is_empty() {
                        None
                    } else {
                        Some(w.pending[i % w.pending.len()].clone())
                    }
                };
                if let Some((side, key, request)) = item {
                    let _ = sim.node(side).ep.respond(now, key, answer(&request, status, "x"));
                }
            }
            Action::Bye(i) | Action::ReInvite(i) | Action::Info(i) => {
                let item = {
                    let w = world.borrow();
                    if w.dialogs.is_empty() { None } else { Some(w.dialogs[i % w.dialogs.len()]) }
                };
                if let Some((side, dialog)) = item {
                    let ep = &mut sim.node(side).ep;
                    match action {
                        Action::Bye(_) => {
                            let _ = ep.bye(now, dialog);
                        }
                        _ => {
                            let method = if matches!(action, Action::Info(_)) {
                                Method::Info
                            } else {
                                Method::Invite
                            };
                            if let Ok(mut r) = ep.dialog_request(dialog, method) {
                                r.set_body("application/sdp", b"v=0\r\n".to_vec());
                                let _ = ep.send_in_dialog(now, dialog, r);
                            }
                        }
                    }
                }
            }
            Action::Advance(ms) => sim.run_for(f64::from(ms) / 1000.0),
            Action::Inject { pick, to_b, mutation } => {
                if !sim.sent().is_empty() {
                    let p = &sim.sent()[pick % sim.sent().len()];
                    if let Ok(mut m) = Message::parse(&p.bytes) {
                        mutate(&mut m, &mutation);
                        let from = if to_b { Side::A } else { Side::B };
                        sim.inject(from, &m.to_bytes());
                    }
                }
            }
        }
        sim.pump();
        sim.run_for(0.001);
    }

    // Drain: every TU answers what it still holds, then the clock runs past every timer
    // (timer C is 180 s, then 64*T1 after its CANCEL).
    for round in 0..3 {
        let pending = std::mem::take(&mut world.borrow_mut().pending);
        for (side, key, request) in pending {
            let status = final_status(&request, if round == 0 { 486 } else { 500 });
            let now = sim.now;
            let ep = &mut sim.node(side).ep;
            if ep.respond(now, key, answer(&request, status, "x")).is_err() {
                let _ = ep.respond(now, key, Response::for_request(&request, 500, "x"));
            }
        }
        sim.run_for(300.0);
    }
    assert_eq!(
        (sim.a.ep.transaction_count(), sim.b.ep.transaction_count()),
        (0, 0),
        "transactions left after every timer ran out"
    );
    // Confirmed dialogs hold no timers, and stale queue entries are gone once passed.
    for side in [Side::A, Side::B] {
        let ep = &mut sim.node(side).ep;
        assert_eq!(ep.poll_timeout(), None);
        assert_eq!(ep.timer_queue_len(), 0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn endpoints_never_panic_and_always_drain(
        actions in prop::collection::vec(action(), 1..50),
        seed in any::<u64>(),
        tcp in any::<bool>(),
        loss in any::<u8>(),
    ) {
        run(actions, seed, tcp, loss);
    }
}

#[test]
fn a_busy_mixed_run_drains() {
    let mut actions = Vec::new();
    for i in 0..40 {
        actions.push(Action::Invite { offer: i % 3 != 0, require_100rel: i % 4 == 0 });
        actions.push(Action::Answer(i, [180, 183, 200, 486][i % 4]));
        actions.push(Action::Inject { pick: i * 7, to_b: i % 2 == 0, mutation: Mutation::AsIs });
        actions.push(Action::Cancel(i * 3));
        actions.push(Action::Advance(700));
        actions.push(Action::Bye(i));
    }
    run(actions, 7, false, 10);
}
