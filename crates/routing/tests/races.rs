//! Races between the caller, the agents' phones and the timers, in simulated time.

mod common;

use centralita_domain::{Distribution, OfflineAction};
use centralita_routing::{Command, OfferOutcome, Party};
use common::*;

#[test]
fn caller_hangup_while_ringing_cancels_offers() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let ben = h.agent("ben", 2);
    let number = snapshot(receive(Distribution::Simultaneous, &[ana, ben], OfflineAction::Busy));
    let call = h.call("c1", number);
    h.advance(7);
    h.take();
    h.hangup(call, Party::Caller);
    h.expect(&[
        "7s c1 ended by caller after 7000 ms, talk 0 ms (caller_hung_up)",
        "7s c1 > cancel offer to ana",
        "7s c1 > cancel offer to ben",
        "7s c1 > release the call",
    ]);
    assert!(h.engine.is_available(&ana) && h.engine.is_available(&ben));
    h.assert_idle();
}

#[test]
fn late_answer_after_cancel_is_dropped() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let ben = h.agent("ben", 2);
    let number = snapshot(receive(Distribution::LongestIdle, &[ana, ben], OfflineAction::Busy));
    let call = h.call("c1", number);
    // ana rings out at 30 s; her 200 OK crosses our CANCEL.
    h.advance(30);
    h.take();
    h.answer(call, ana);
    h.expect(&["30s c1 > drop late answer of ana"]);
    assert!(h.commands.iter().any(|(_, c)| matches!(
        c,
        Command::DropLateAnswer { user, device, .. } if *user == ana && device == "sip:ana@192.0.2.1"
    )));
    assert!(h.engine.is_available(&ana), "ana is not on the call");
    // ben, who rings now, can still answer.
    h.answer(call, ben);
    assert_eq!(h.lines_with("answered"), ["30s c1 answered ben"]);
    // A loser of a simultaneous race who answers too late is dropped as well, as is an answer
    // for a call that has ended.
    h.hangup(call, Party::Caller);
    h.answer(call, ben);
    assert_eq!(h.lines_with("drop"), ["30s c1 > drop late answer of ben"]);
    h.assert_idle();
}

#[test]
fn answer_at_the_ring_timeout_instant_wins_if_it_arrives_first() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let number = snapshot(receive(Distribution::Random, &[ana], OfflineAction::Busy));
    let call = h.call("c1", number);
    h.advance_ms(29_999);
    h.now += 1; // the 200 OK and the timer share the instant; the answer is handled first
    h.answer(call, ana);
    h.advance(0);
    assert_eq!(h.lines_with("answered"), ["30s c1 answered ana"]);
    assert!(h.lines_with("no_answer").is_empty());
    h.hangup(call, Party::Caller);
    h.assert_idle();
}

#[test]
fn simultaneous_loser_answering_after_the_winner_is_dropped() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let ben = h.agent("ben", 2);
    let number = snapshot(receive(Distribution::Simultaneous, &[ana, ben], OfflineAction::Busy));
    let call = h.call("c1", number);
    h.answer(call, ana);
    h.answer(call, ben);
    let lines = h.take();
    assert!(lines.contains(&"0s c1 > connect ana".to_owned()));
    assert!(lines.contains(&"0s c1 > drop late answer of ben".to_owned()));
    assert!(!lines.contains(&"0s c1 > connect ben".to_owned()));
    h.hangup(call, Party::Callee);
    h.assert_idle();
}

#[test]
fn outcomes_for_unknown_calls_are_ignored() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let stray = centralita_domain::CallId::from_uuid(uuid::Uuid::from_u128(42));
    h.engine.handle_offer(centralita_domain::Millis(h.now), stray, ana, OfferOutcome::Declined);
    h.engine.handle_hangup(centralita_domain::Millis(h.now), stray, Party::Caller);
    h.engine.handle_media(
        centralita_domain::Millis(h.now),
        stray,
        centralita_routing::MediaEvent::PromptFinished,
    );
    assert_eq!(h.engine.poll_command(), None);
    assert_eq!(h.engine.poll_event(), None);
    assert!(h.engine.is_idle());
}

#[test]
fn a_duplicate_arrival_is_ignored() {
    let mut h = Harness::new();
    let number = snapshot(receive(Distribution::Random, &[user_id(9)], OfflineAction::Ringback));
    let call = h.call("c1", number.clone());
    h.take();
    h.engine.handle_call(centralita_domain::Millis(h.now), call, number, "+34600000001".into());
    assert_eq!(h.engine.poll_event(), None);
    assert_eq!(h.engine.poll_command(), None);
    h.hangup(call, Party::Caller);
    h.assert_idle();
}

#[test]
fn agent_hangup_frees_the_agent_for_the_next_call() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let number = snapshot(receive(Distribution::Random, &[ana], OfflineAction::Busy));
    let call = h.call("c1", number);
    h.advance(2);
    h.answer(call, ana);
    h.advance(40);
    h.hangup(call, Party::Callee);
    assert_eq!(h.ended(call), ("completed".into(), "callee".into(), 42_000, 40_000));
    assert!(h.engine.is_available(&ana));
    h.assert_idle();
}
