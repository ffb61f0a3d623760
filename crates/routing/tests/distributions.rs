//! The three distributions (random, longest idle, simultaneous), declines and failed devices,
//! assigned users, recording, and the frozen settings snapshot.

mod common;

use centralita_domain::{Distribution, Incoming, OfflineAction};
use centralita_routing::{Command, EngineConfig, OfferOutcome, Party};
use common::*;

#[test]
fn random_offers_untried_agent_after_ring_timeout() {
    let mut h = Harness::new();
    let agents = [h.agent("ana", 1), h.agent("ben", 2), h.agent("eva", 3)];
    let number = snapshot(receive(Distribution::Random, &agents, OfflineAction::Busy));
    let call = h.call("c1", number);
    h.take();
    let offered = |h: &Harness| {
        h.commands
            .iter()
            .filter_map(|(_, c)| match c {
                Command::Offer { user, .. } => Some(*user),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    for _ in 0..2 {
        h.advance(30);
    }
    let first_three = offered(&h);
    assert_eq!(first_three.len(), 3, "one offer at a time, one per ring timeout");
    let mut distinct = first_three.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        3,
        "each of the three is tried before anyone again: {first_three:?}"
    );
    let lines = h.lines_with("no_answer");
    assert_eq!(lines.len(), 2);
    assert!(lines[0].contains("(not answered after 30 s)"), "{lines:?}");
    // Once all were tried, any available agent again.
    h.advance(30);
    assert_eq!(offered(&h).len(), 4);
    h.hangup(call, Party::Caller);
    h.assert_idle();
}

#[test]
fn random_is_reproducible_with_the_same_seed() {
    let run = |seed| {
        let mut h = Harness::with_config(EngineConfig { seed, ..EngineConfig::default() });
        let agents: Vec<_> = (1..=6).map(|n| h.agent(&format!("a{n}"), n)).collect();
        let number = snapshot(receive(Distribution::Random, &agents, OfflineAction::Busy));
        h.call("c1", number);
        h.advance(150);
        h.take().into_iter().filter(|l| l.contains("> offer")).collect::<Vec<_>>()
    };
    assert_eq!(run(7), run(7));
    let orders: std::collections::HashSet<_> = (0..8).map(run).collect();
    assert!(orders.len() > 1, "different seeds choose differently");
}

#[test]
fn longest_idle_orders_by_last_answer_then_creation() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let ben = h.agent("ben", 2);
    let eva = h.agent("eva", 3);
    let leo = h.agent("leo", 4);
    // ana answered most recently, ben long ago, eva and leo never (eva created first).
    h.set_last_answer(ana, Some(T0 - 1_000));
    h.set_last_answer(ben, Some(T0 - 3_600_000));
    let number =
        snapshot(receive(Distribution::LongestIdle, &[ana, ben, eva, leo], OfflineAction::Busy));
    let call = h.call("c1", number);
    h.advance(90);
    let offers = h.lines_with("> offer");
    assert_eq!(
        offers,
        [
            "0s c1 > offer to eva (1 device)",
            "30s c1 > offer to leo (1 device)",
            "60s c1 > offer to ben (1 device)",
            "90s c1 > offer to ana (1 device)",
        ]
    );
    // Everyone tried: start over from the longest idle.
    h.advance(30);
    assert_eq!(h.lines_with("> offer"), ["120s c1 > offer to eva (1 device)"]);
    h.answer(call, eva);
    h.hangup(call, Party::Callee);
    // eva answered now: she is the least idle for the next call.
    let number =
        snapshot(receive(Distribution::LongestIdle, &[ana, ben, eva, leo], OfflineAction::Busy));
    let second = h.call("c2", number);
    assert_eq!(h.lines_with("> offer"), ["120s c2 > offer to leo (1 device)"]);
    h.hangup(second, Party::Caller);
    h.assert_idle();
}

#[test]
fn simultaneous_cancels_others_when_first_answers() {
    let mut h = Harness::with_config(EngineConfig { seed: 1, ..EngineConfig::default() });
    let ana = h.agent("ana", 1);
    let ben = h.agent("ben", 2);
    let eva = h.agent("eva", 3);
    let mut settings = receive(Distribution::Simultaneous, &[ana, ben, eva], OfflineAction::Busy);
    settings.record_calls = true;
    let call = h.call("c1", snapshot(settings));
    h.expect(&[
        "0s c1 arrived from +34600000001 to +34910000001",
        "0s c1 offered ana (ringing every available agent)",
        "0s c1 offered ben (ringing every available agent)",
        "0s c1 offered eva (ringing every available agent)",
        "0s c1 > early media (183)",
        "0s c1 > play ringback tone",
        "0s c1 > offer to ana (1 device)",
        "0s c1 > offer to ben (1 device)",
        "0s c1 > offer to eva (1 device)",
    ]);
    h.advance(4);
    h.answer(call, ben);
    h.expect(&[
        "4s c1 answered ben",
        "4s c1 > connect ben",
        "4s c1 > cancel offer to ana",
        "4s c1 > cancel offer to eva",
        "4s c1 > start recording",
    ]);
    assert!(!h.engine.is_available(&ben));
    assert!(h.engine.is_available(&ana) && h.engine.is_available(&eva));
    h.advance(60);
    h.hangup(call, Party::Callee);
    h.expect(&[
        "64s c1 ended by callee after 64000 ms, talk 60000 ms (completed)",
        "64s c1 > hang up",
        "64s c1 > release the call",
    ]);
    assert!(h.engine.is_available(&ben));
    h.assert_idle();
}

#[test]
fn simultaneous_adds_agent_who_becomes_available_while_ringing() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let ben = h.agent("ben", 2);
    h.busy_elsewhere(ben, true);
    let number = snapshot(receive(Distribution::Simultaneous, &[ana, ben], OfflineAction::Busy));
    let call = h.call("c1", number);
    assert_eq!(h.lines_with("> offer"), ["0s c1 > offer to ana (1 device)"]);
    h.advance(10);
    h.busy_elsewhere(ben, false);
    assert_eq!(h.lines_with("> offer"), ["10s c1 > offer to ben (1 device)"]);
    // Each offer has its own ring timeout; ana's ends first and she is rung again at once.
    h.advance(20);
    assert_eq!(
        h.take(),
        [
            "30s c1 no_answer ana (not answered after 30 s)",
            "30s c1 offered ana (available again while the call rings others or waits)",
            "30s c1 > cancel offer to ana",
            "30s c1 > offer to ana (1 device)",
        ]
    );
    h.hangup(call, Party::Caller);
    h.assert_idle();
}

#[test]
fn decline_moves_on_without_waiting() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let ben = h.agent("ben", 2);
    let number = snapshot(receive(Distribution::LongestIdle, &[ana, ben], OfflineAction::Busy));
    let call = h.call("c1", number);
    h.take();
    h.advance(3);
    h.offer(call, ana, OfferOutcome::Declined);
    h.expect(&[
        "3s c1 rejected ana (declined on the phone)",
        "3s c1 offered ben (idle longest (never answered a call))",
        "3s c1 > cancel offer to ana",
        "3s c1 > offer to ben (1 device)",
    ]);
    // ana declined this call, so she rests until her cut-short ring timeout (30 s) would have
    // ended; ben's own timeout ends at 33 s, and then ana is rung again.
    h.advance(30);
    assert_eq!(
        h.lines_with("> offer"),
        ["33s c1 > offer to ana (1 device)"],
        "after ben's timeout, ana again"
    );
    h.hangup(call, Party::Caller);
    h.assert_idle();
}

#[test]
fn declined_agent_is_not_reoffered_the_same_call_before_ring_timeout() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let number = snapshot(receive(Distribution::Random, &[ana], OfflineAction::Busy));
    let call = h.call("c1", number);
    h.take();
    h.advance(2);
    h.offer(call, ana, OfferOutcome::Declined);
    h.expect(&[
        "2s c1 rejected ana (declined on the phone)",
        "2s c1 queued (all 1 online agent busy)",
        "2s c1 > cancel offer to ana",
    ]);
    h.advance(28);
    h.expect(&[
        "30s c1 offered ana (all tried once; at random among 1 available agent(s))",
        "30s c1 > offer to ana (1 device)",
    ]);
    h.hangup(call, Party::Caller);
    h.assert_idle();
}

#[test]
fn failed_device_is_skipped_at_once() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let ben = h.agent("ben", 2);
    let number = snapshot(receive(Distribution::LongestIdle, &[ana, ben], OfflineAction::Busy));
    let call = h.call("c1", number);
    h.take();
    h.offer(call, ana, OfferOutcome::Failed { status: 503 });
    h.expect(&[
        "0s c1 rejected ana (device failed with 503)",
        "0s c1 offered ben (idle longest (never answered a call))",
        "0s c1 > offer to ben (1 device)",
    ]);
    // Every device failed: nothing is left to cancel, and ana is free for other calls.
    assert!(h.engine.is_available(&ana));
    h.hangup(call, Party::Caller);
    h.assert_idle();
}

#[test]
fn a_device_that_always_fails_is_not_retried_in_a_loop() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let number = snapshot(receive(Distribution::Random, &[ana], OfflineAction::Busy));
    let call = h.call("c1", number);
    for _ in 0..20 {
        h.offer(call, ana, OfferOutcome::Failed { status: 408 });
        h.advance(1);
    }
    let offers = h.commands.iter().filter(|(_, c)| matches!(c, Command::Offer { .. })).count();
    assert_eq!(offers, 1, "one offer per ring timeout at most");
    h.hangup(call, Party::Caller);
    h.assert_idle();
}

#[test]
fn only_assigned_users_are_rung() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let _ben = h.agent("ben", 2);
    let eva = h.agent("eva", 3);
    let number = snapshot(receive(Distribution::Simultaneous, &[ana, eva], OfflineAction::Busy));
    let call = h.call("c1", number);
    assert_eq!(
        h.lines_with("> offer"),
        ["0s c1 > offer to ana (1 device)", "0s c1 > offer to eva (1 device)"]
    );
    // Even when both assigned agents are busy, ben (not assigned) is never rung.
    h.hangup(call, Party::Caller);
    let number = snapshot(receive(Distribution::Random, &[ana, eva], OfflineAction::Busy));
    h.busy_elsewhere(ana, true);
    h.busy_elsewhere(eva, true);
    let call = h.call("c2", number);
    h.advance(600);
    assert!(h.lines_with("> offer").is_empty());
    h.hangup(call, Party::Caller);
    h.assert_idle();
}

#[test]
fn recording_starts_on_connect_when_number_records() {
    for record in [true, false] {
        let mut h = Harness::new();
        let ana = h.agent("ana", 1);
        let mut settings = receive(Distribution::Random, &[ana], OfflineAction::Busy);
        settings.record_calls = record;
        let call = h.call("c1", snapshot(settings));
        h.take();
        h.answer(call, ana);
        let recording = h.lines_with("recording");
        assert_eq!(recording.len(), usize::from(record), "record_calls = {record}");
        h.hangup(call, Party::Caller);
        assert_eq!(h.ended(call).0, "completed");
        h.assert_idle();
    }
}

#[test]
fn settings_change_does_not_affect_call_in_progress() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let ben = h.agent("ben", 2);
    let mut settings = receive(Distribution::LongestIdle, &[ana], OfflineAction::Busy);
    let call = h.call("c1", snapshot(settings.clone()));
    // The admin now assigns ben only and switches to forwarding: c1 keeps its snapshot.
    settings.assigned_user_ids = vec![ben];
    settings.incoming = Incoming::Forward { forward_to: e164("+34600000099") };
    let later = h.call("c2", snapshot(settings));
    h.advance(30);
    let lines = h.take();
    assert!(lines.contains(&"30s c1 > offer to ana (1 device)".to_owned()), "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains("c1 > offer to ben")));
    assert!(
        h.commands
            .iter()
            .any(|(_, c)| matches!(c, Command::Forward { call, .. } if *call == later))
    );
    h.hangup(call, Party::Caller);
    h.hangup(later, Party::Caller);
    h.assert_idle();
}

#[test]
fn the_number_ring_timeout_overrides_the_default() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let mut settings = receive(Distribution::Random, &[ana], OfflineAction::Busy);
    if let Incoming::Receive { ring_timeout_s, .. } = &mut settings.incoming {
        *ring_timeout_s = Some(12);
    }
    let call = h.call("c1", snapshot(settings));
    h.take();
    h.advance(12);
    assert_eq!(h.lines_with("no_answer"), ["12s c1 no_answer ana (not answered after 12 s)"]);
    h.hangup(call, Party::Caller);
    h.assert_idle();
}
