//! Availability across every call of the account, the queue in arrival order, max wait, and
//! agents who go offline while calls wait.

mod common;

use centralita_domain::{Distribution, Incoming, OfflineAction};
use centralita_routing::{OfferOutcome, Party};
use common::*;

#[test]
fn agent_on_call_is_not_offered_second_call() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let number = snapshot(receive(Distribution::Simultaneous, &[ana], OfflineAction::Busy));
    let first = h.call("c1", number.clone());
    h.answer(first, ana);
    h.take();
    let second = h.call("c2", number);
    h.expect(&[
        "0s c2 arrived from +34600000001 to +34910000001",
        "0s c2 queued (all 1 online agent busy)",
        "0s c2 > early media (183)",
        "0s c2 > play ringback tone",
    ]);
    h.advance(100);
    assert!(h.lines_with("> offer").is_empty(), "never offered while talking");
    // When the conversation ends, the waiting call is offered at once.
    h.hangup(first, Party::Callee);
    assert_eq!(h.lines_with("> offer"), ["100s c2 > offer to ana (1 device)"]);
    h.hangup(second, Party::Caller);
    h.assert_idle();
}

#[test]
fn ringing_agent_is_not_offered_second_call() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    // Two numbers of the account, both assigned to ana: availability is account-wide.
    let one = snapshot(receive(Distribution::Random, &[ana], OfflineAction::Busy));
    let mut two = one.clone();
    two.e164 = e164("+34910000002");
    let first = h.call("c1", one);
    let second = h.call("c2", two);
    let offers = h.lines_with("> offer");
    assert_eq!(offers, ["0s c1 > offer to ana (1 device)"]);
    // ana declines c1: she is free, and c2 (waiting) gets her at once.
    h.advance(5);
    h.offer(first, ana, OfferOutcome::Declined);
    assert_eq!(h.lines_with("> offer"), ["5s c2 > offer to ana (1 device)"]);
    h.hangup(first, Party::Caller);
    h.hangup(second, Party::Caller);
    h.assert_idle();
}

#[test]
fn queued_calls_are_offered_in_arrival_order() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let number = snapshot(receive(Distribution::LongestIdle, &[ana], OfflineAction::Busy));
    let talking = h.call("c0", number.clone());
    h.answer(talking, ana);
    let calls: Vec<_> = (1..=3)
        .map(|n| {
            h.advance(1);
            h.call(&format!("c{n}"), number.clone())
        })
        .collect();
    assert_eq!(h.lines_with("queued").len(), 3);
    h.advance(10);
    h.hangup(talking, Party::Callee);
    assert_eq!(h.lines_with("> offer"), ["13s c1 > offer to ana (1 device)"]);
    h.answer(calls[0], ana);
    h.hangup(calls[0], Party::Caller);
    assert_eq!(h.lines_with("> offer"), ["13s c2 > offer to ana (1 device)"]);
    h.answer(calls[1], ana);
    h.hangup(calls[1], Party::Callee);
    assert_eq!(h.lines_with("> offer"), ["13s c3 > offer to ana (1 device)"]);
    h.hangup(calls[2], Party::Caller);
    h.assert_idle();
}

#[test]
fn a_freed_agent_takes_the_oldest_call_she_may_take() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let ben = h.agent("ben", 2);
    h.busy_elsewhere(ana, true);
    h.busy_elsewhere(ben, true);
    let bens_number = snapshot(receive(Distribution::Random, &[ben], OfflineAction::Busy));
    let shared = snapshot(receive(Distribution::Random, &[ana, ben], OfflineAction::Busy));
    let only_ben = h.call("c1", bens_number);
    h.advance(1);
    let both = h.call("c2", shared);
    h.take();
    // ana cannot take c1 (not assigned): she gets c2 although c1 is older.
    h.busy_elsewhere(ana, false);
    assert_eq!(h.lines_with("> offer"), ["1s c2 > offer to ana (1 device)"]);
    h.busy_elsewhere(ben, false);
    assert_eq!(h.lines_with("> offer"), ["1s c1 > offer to ben (1 device)"]);
    h.hangup(only_ben, Party::Caller);
    h.hangup(both, Party::Caller);
    h.assert_idle();
}

#[test]
fn max_wait_gives_offline_action() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let mut settings = receive(Distribution::Random, &[ana], OfflineAction::Disconnect);
    if let Incoming::Receive { max_wait_s, .. } = &mut settings.incoming {
        *max_wait_s = Some(45);
    }
    let call = h.call("c1", snapshot(settings));
    h.advance(44);
    h.take();
    h.advance(1);
    h.expect(&[
        "45s c1 offline_action disconnect (waited 45 s (max wait))",
        "45s c1 ended by system after 45000 ms, talk 0 ms (rejected)",
        "45s c1 > cancel offer to ana",
        "45s c1 > reject 603 Decline",
        "45s c1 > release the call",
    ]);
    assert!(h.engine.is_available(&ana));
    let _ = call;
    h.assert_idle();
}

#[test]
fn max_wait_defaults_to_the_engine_setting() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    h.busy_elsewhere(ana, true);
    let number = snapshot(receive(Distribution::Random, &[ana], OfflineAction::Busy));
    h.call("c1", number);
    h.advance(299);
    assert!(h.lines_with("offline_action").is_empty());
    h.advance(1);
    assert_eq!(
        h.lines_with("offline_action"),
        ["300s c1 offline_action busy (waited 300 s (max wait))"]
    );
    h.run_timers();
    h.assert_idle();
}

#[test]
fn all_agents_go_offline_while_waiting_gives_offline_action() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let ben = h.agent("ben", 2);
    let number = snapshot(receive(Distribution::Random, &[ana, ben], OfflineAction::Ringback));
    let busy_call = h.call(
        "c0",
        snapshot(receive(Distribution::Simultaneous, &[ana, ben], OfflineAction::Busy)),
    );
    h.answer(busy_call, ana);
    h.busy_elsewhere(ben, true);
    let call = h.call("c1", number);
    assert_eq!(h.lines_with("queued"), ["0s c1 queued (all 2 online agents busy)"]);
    h.advance(20);
    h.set_online(ben, false);
    assert!(h.lines_with("offline_action").is_empty(), "ana is still online");
    h.set_online(ana, false);
    h.expect(&[
        "20s c1 offline_action ringback (every eligible agent went offline while the call waited)",
        "20s c1 > play ringback tone",
    ]);
    h.advance(30);
    assert_eq!(h.lines_with("reject"), ["50s c1 > reject 480 Temporarily Unavailable"]);
    // ana's conversation was never touched by her switch.
    h.hangup(busy_call, Party::Caller);
    assert_eq!(h.ended(busy_call).0, "completed");
    let _ = call;
    h.assert_idle();
}

#[test]
fn agent_going_offline_while_ringing_moves_on() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let ben = h.agent("ben", 2);
    let number = snapshot(receive(Distribution::LongestIdle, &[ana, ben], OfflineAction::Busy));
    let call = h.call("c1", number);
    h.take();
    h.advance(4);
    h.set_online(ana, false);
    h.expect(&[
        "4s c1 no_answer ana (agent went offline)",
        "4s c1 offered ben (idle longest (never answered a call))",
        "4s c1 > cancel offer to ana",
        "4s c1 > offer to ben (1 device)",
    ]);
    h.hangup(call, Party::Caller);
    h.assert_idle();
}

#[test]
fn agent_with_no_device_is_offline() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let mut agent = centralita_routing::Agent {
        user_id: ana,
        online_switch: true,
        devices: vec![],
        last_answered_at: None,
        created_order: 1,
    };
    h.upsert(agent.clone());
    assert!(!h.engine.is_online(&ana));
    let number = snapshot(receive(Distribution::Random, &[ana], OfflineAction::Disconnect));
    h.call("c1", number.clone());
    assert_eq!(
        h.lines_with("offline_action"),
        ["0s c1 offline_action disconnect (no assigned agent online)"]
    );
    agent.devices.push("sip:ana@192.0.2.1".into());
    h.upsert(agent);
    let call = h.call("c2", number);
    assert_eq!(h.lines_with("> offer"), ["0s c2 > offer to ana (1 device)"]);
    h.hangup(call, Party::Caller);
    h.assert_idle();
}

#[test]
fn removed_agent_stops_ringing_and_is_never_offered_again() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let ben = h.agent("ben", 2);
    let number = snapshot(receive(Distribution::LongestIdle, &[ana, ben], OfflineAction::Busy));
    let call = h.call("c1", number);
    h.take();
    h.remove_agent(ana);
    assert!(!h.engine.is_online(&ana));
    h.advance(60);
    h.hangup(call, Party::Caller);
    let offers: Vec<_> = h
        .commands
        .iter()
        .filter_map(|(t, c)| match c {
            centralita_routing::Command::Offer { user, .. } => Some((*t - T0, *user)),
            _ => None,
        })
        .collect();
    assert_eq!(offers, [(0, ana), (0, ben), (30_000, ben), (60_000, ben)]);
}

#[test]
fn a_long_queue_whose_last_agent_goes_offline_gets_the_offline_action_in_order() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let number = snapshot(receive(Distribution::Random, &[ana], OfflineAction::Disconnect));
    let talking = h.call("c0", number.clone());
    h.answer(talking, ana);
    for n in 1..=200 {
        h.call(&format!("c{n}"), number.clone());
    }
    h.take();
    h.set_online(ana, false);
    let rejected: Vec<String> = h
        .lines_with("offline_action")
        .into_iter()
        .map(|l| l.split(' ').nth(1).unwrap_or_default().to_owned())
        .collect();
    let expected: Vec<String> = (1..=200).map(|n| format!("c{n}")).collect();
    assert_eq!(rejected, expected);
    h.hangup(talking, Party::Caller);
    h.assert_idle();
}
