//! Property tests over random sequences of arrivals, agent changes, offer outcomes, media
//! events, forwards, hang-ups and clock jumps, across several numbers and agents.
//!
//! The harness's checker asserts, on every command and event as it comes: no agent is offered
//! a call while ringing for or talking on another, nor while offline or busy elsewhere; every
//! `Connect` follows a ringing offer; no call ends with an offer still ringing; events of a call
//! are in time order, start with `arrived` and end with exactly one `ended`. This file adds:
//! offers go only to eligible agents, and once every caller hangs up and the timers run out,
//! the engine is idle with no timer and nothing left engaged.

mod common;

use std::collections::HashMap;

use centralita_domain::{CallId, Distribution, Incoming, IvrAction, OfflineAction, UserId};
use centralita_routing::{
    Agent, Command, EngineConfig, ForwardOutcome, MediaEvent, NumberSnapshot, OfferOutcome, Party,
    VoicemailEnd,
};
use common::*;
use proptest::prelude::*;

const AGENTS: u128 = 5;

#[derive(Debug, Clone)]
enum Op {
    Arrive(usize),
    Presence { agent: u128, switch: bool, device: bool },
    Remove(u128),
    Busy(u128, bool),
    Outcome { offer: usize, kind: u8, status: u16 },
    StrayAnswer { call: usize, agent: u128 },
    Media { call: usize, kind: u8, digit: usize },
    Forward { call: usize, answered: bool },
    Hangup { call: usize, caller: bool },
    Advance(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..7usize).prop_map(Op::Arrive),
        2 => (0..AGENTS, any::<bool>(), prop::bool::weighted(0.8))
            .prop_map(|(agent, switch, device)| Op::Presence { agent, switch, device }),
        1 => (0..AGENTS).prop_map(Op::Remove),
        1 => (0..AGENTS, any::<bool>()).prop_map(|(a, b)| Op::Busy(a, b)),
        5 => (0..8usize, 0..4u8, prop::sample::select(vec![0u16, 408, 486, 503, 603]))
            .prop_map(|(offer, kind, status)| Op::Outcome { offer, kind, status }),
        1 => (0..8usize, 0..AGENTS).prop_map(|(call, agent)| Op::StrayAnswer { call, agent }),
        4 => (0..8usize, 0..4u8, 0..13usize)
            .prop_map(|(call, kind, digit)| Op::Media { call, kind, digit }),
        1 => (0..8usize, any::<bool>()).prop_map(|(call, answered)| Op::Forward { call, answered }),
        2 => (0..8usize, any::<bool>()).prop_map(|(call, caller)| Op::Hangup { call, caller }),
        4 => prop_oneof![0..2_000i64, 0..40_000i64, 0..400_000i64].prop_map(Op::Advance),
    ]
}

/// The account's numbers: each distribution, an IVR, forward mode and reject mode, assigned to
/// overlapping subsets of the agents so that availability is shared between them.
fn numbers() -> Vec<NumberSnapshot> {
    let u = |n: u128| user_id(n);
    let mut list = vec![
        snapshot(receive(Distribution::Random, &[u(0), u(1), u(2)], OfflineAction::Ringback)),
        snapshot(receive(
            Distribution::LongestIdle,
            &[u(1), u(2), u(3)],
            OfflineAction::Voicemail { audio_id: Some(audio(1)) },
        )),
        snapshot(receive(Distribution::Simultaneous, &[u(0), u(3), u(4)], OfflineAction::Busy)),
    ];
    let mut with_ivr =
        receive(Distribution::Simultaneous, &[u(0), u(1), u(4)], OfflineAction::Disconnect);
    with_ivr.ivr_id = Some(ivr_id(1));
    with_ivr.welcome_audio_id = Some(audio(2));
    with_ivr.record_calls = true;
    let mut number = snapshot(with_ivr);
    let mut main = ivr(
        1,
        &[
            ('1', IvrAction::Agents { user_ids: Some(vec![u(0), u(4)]) }),
            ('2', IvrAction::Voicemail { audio_id: None }),
            ('3', IvrAction::Forward { to: e164("+34600000033") }),
            ('4', IvrAction::Menu { ivr_id: ivr_id(2) }),
            ('5', IvrAction::Message { audio_id: audio(5) }),
            ('9', IvrAction::Repeat),
            ('0', IvrAction::Hangup),
        ],
    );
    main.repeats = 2;
    main.timeout_s = 3;
    number.ivrs.insert(ivr_id(1), main);
    number.ivrs.insert(ivr_id(2), ivr(2, &[('1', IvrAction::Agents { user_ids: None })]));
    list.push(number);
    let mut forward = receive(Distribution::Random, &[u(0)], OfflineAction::Busy);
    forward.incoming = Incoming::Forward { forward_to: e164("+34600000044") };
    list.push(snapshot(forward));
    let mut reject = receive(Distribution::Random, &[u(0)], OfflineAction::Busy);
    reject.incoming = Incoming::Reject { action: OfflineAction::Busy };
    list.push(snapshot(reject));
    let mut transfer = receive(
        Distribution::LongestIdle,
        &[u(2), u(4)],
        OfflineAction::Transfer { to: e164("+34600000055") },
    );
    if let Incoming::Receive { max_wait_s, ring_timeout_s, .. } = &mut transfer.incoming {
        *max_wait_s = Some(60);
        *ring_timeout_s = Some(10);
    }
    list.push(snapshot(transfer));
    list
}

fn agent(n: u128, switch: bool, device: bool) -> Agent {
    Agent {
        user_id: user_id(n),
        online_switch: switch,
        devices: if device { vec![format!("sip:a{n}@192.0.2.{n}")] } else { vec![] },
        last_answered_at: None,
        created_order: n as u64,
    }
}

fn pick<T: Copy>(list: &[T], index: usize) -> Option<T> {
    (!list.is_empty()).then(|| list[index % list.len()])
}

fn run(seed: u64, ops: Vec<Op>) {
    let mut h = Harness::with_config(EngineConfig { seed, ..EngineConfig::default() });
    let numbers = numbers();
    for n in 0..AGENTS {
        h.upsert(agent(n, n != 4, true));
    }
    let mut number_of: HashMap<CallId, usize> = HashMap::new();
    for op in ops {
        let live = h.checker.live_calls();
        match op {
            Op::Arrive(n) => {
                let call = h.call(&format!("c{}", number_of.len()), numbers[n].clone());
                number_of.insert(call, n);
            }
            Op::Presence { agent: n, switch, device } => h.upsert(agent(n, switch, device)),
            Op::Remove(n) => h.remove_agent(user_id(n)),
            Op::Busy(n, busy) => h.busy_elsewhere(user_id(n), busy),
            Op::Outcome { offer, kind, status } => {
                if let Some((call, user)) = pick(&h.checker.outstanding(), offer) {
                    let outcome = match kind {
                        0 => OfferOutcome::Answered { device: "sip:x".into() },
                        1 => OfferOutcome::Declined,
                        2 => OfferOutcome::Failed { status },
                        _ => OfferOutcome::Ringing,
                    };
                    h.offer(call, user, outcome);
                }
            }
            Op::StrayAnswer { call, agent } => {
                if let Some(call) = pick(&live, call) {
                    h.offer(
                        call,
                        user_id(agent),
                        OfferOutcome::Answered { device: "sip:y".into() },
                    );
                }
            }
            Op::Media { call, kind, digit } => {
                if let Some(call) = pick(&live, call) {
                    let event = match kind {
                        0 => MediaEvent::PromptFinished,
                        1 => MediaEvent::ToneFinished,
                        2 => MediaEvent::Digit("0123456789*#A".chars().nth(digit).unwrap_or('1')),
                        _ => MediaEvent::VoicemailEnded {
                            reason: [
                                VoicemailEnd::HungUp,
                                VoicemailEnd::Silence,
                                VoicemailEnd::MaxLength,
                            ][digit % 3],
                        },
                    };
                    h.media(call, event);
                }
            }
            Op::Forward { call, answered } => {
                if let Some(call) = pick(&live, call) {
                    let outcome = if answered {
                        ForwardOutcome::Answered
                    } else {
                        ForwardOutcome::Failed { status: 486 }
                    };
                    h.forward(call, outcome);
                }
            }
            Op::Hangup { call, caller } => {
                if let Some(call) = pick(&live, call) {
                    h.hangup(call, if caller { Party::Caller } else { Party::Callee });
                }
            }
            Op::Advance(ms) => h.advance_ms(ms),
        }
    }
    // Offers only ever went to agents eligible for the call's number.
    for (_, command) in &h.commands {
        if let Command::Offer { call, user, .. } = command {
            let assigned: &[UserId] = &numbers[number_of[call]].settings.assigned_user_ids;
            assert!(assigned.contains(user), "offered {user} who is not assigned");
        }
    }
    // Every caller hangs up; then nothing may be left.
    for call in h.checker.live_calls() {
        h.hangup(call, Party::Caller);
    }
    h.run_timers();
    h.assert_idle();
    for n in 0..AGENTS {
        let online = h.engine.is_online(&user_id(n));
        assert_eq!(h.engine.is_available(&user_id(n)), online && !busy(&h, n), "agent {n}");
    }
}

/// Whether the last busy-elsewhere input for agent `n` said busy.
fn busy(h: &Harness, n: u128) -> bool {
    h.checker.is_busy(user_id(n))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_keep_every_invariant(seed in any::<u64>(), ops in prop::collection::vec(op(), 0..80)) {
        run(seed, ops);
    }
}

#[test]
fn a_long_busy_day_keeps_every_invariant() {
    // One long deterministic sequence, heavier than the random cases: many calls queueing.
    let mut ops = Vec::new();
    for i in 0..600usize {
        ops.push(Op::Arrive(i % 7));
        ops.push(Op::Outcome { offer: i * 7, kind: (i % 5) as u8, status: 503 });
        ops.push(Op::Media { call: i * 3, kind: (i % 4) as u8, digit: i % 13 });
        if i % 3 == 0 {
            ops.push(Op::Hangup { call: i * 5, caller: i % 2 == 0 });
        }
        if i % 11 == 0 {
            ops.push(Op::Presence { agent: (i % 5) as u128, switch: i % 4 != 0, device: true });
        }
        ops.push(Op::Advance(((i * 7919) % 45_000) as i64));
    }
    run(3, ops);
}
