//! Forward mode, the transfer offline action and IVR forwards: the external leg, its answer,
//! its recording and its failures.

mod common;

use centralita_domain::{Distribution, Incoming, OfflineAction};
use centralita_routing::{Command, ForwardKind, ForwardOutcome, Party};
use common::*;

fn forward_number(record: bool) -> centralita_routing::NumberSnapshot {
    let mut settings = receive(Distribution::Random, &[user_id(1)], OfflineAction::Busy);
    settings.incoming = Incoming::Forward { forward_to: e164("+34600000099") };
    settings.record_calls = record;
    settings.welcome_audio_id = Some(audio(5));
    snapshot(settings)
}

#[test]
fn forward_mode_forwards_every_call() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let call = h.call("c1", forward_number(true));
    h.expect(&[
        "0s c1 arrived from +34600000001 to +34910000001",
        "0s c1 forwarded +34600000099 (forward mode: every call is forwarded)",
        "0s c1 > forward to +34600000099",
        "0s c1 > early media (183)",
        "0s c1 > play ringback tone",
    ]);
    assert!(h.engine.is_available(&ana), "forward mode rings no agent, even one online");
    h.advance(8);
    h.forward(call, ForwardOutcome::Answered);
    h.expect(&["8s c1 answered", "8s c1 > start recording"]);
    h.advance(60);
    h.hangup(call, Party::Callee);
    assert_eq!(h.ended(call), ("completed".into(), "callee".into(), 68_000, 60_000));
    assert!(h.commands.iter().any(|(_, c)| matches!(
        c,
        Command::Forward { kind: ForwardKind::Forward, to, .. } if to.as_str() == "+34600000099"
    )));
    // Every call, not just the first.
    let second = h.call("c2", forward_number(false));
    assert_eq!(h.lines_with("> forward"), ["68s c2 > forward to +34600000099"]);
    h.forward(second, ForwardOutcome::Answered);
    assert!(h.lines_with("recording").is_empty(), "not recorded when the number does not record");
    h.hangup(second, Party::Caller);
    h.assert_idle();
}

#[test]
fn transfer_forwards_over_trunk() {
    let mut h = Harness::new();
    let mut settings = receive(
        Distribution::Random,
        &[user_id(99)],
        OfflineAction::Transfer { to: e164("+34600000077") },
    );
    settings.record_calls = true;
    let call = h.call("c1", snapshot(settings));
    h.expect(&[
        "0s c1 arrived from +34600000001 to +34910000001",
        "0s c1 offline_action transfer (no assigned agent online)",
        "0s c1 transferred +34600000077",
        "0s c1 > transfer to +34600000077",
        "0s c1 > early media (183)",
        "0s c1 > play ringback tone",
    ]);
    h.advance(3);
    h.forward(call, ForwardOutcome::Answered);
    h.expect(&["3s c1 answered", "3s c1 > start recording"]);
    h.advance(10);
    h.hangup(call, Party::Caller);
    assert_eq!(h.ended(call), ("completed".into(), "caller".into(), 13_000, 10_000));
    h.assert_idle();
}

#[test]
fn forward_failure_is_passed_on_as_a_sensible_status() {
    for (status, expected) in [
        (486, "reject 486 Busy Here"),
        (600, "reject 486 Busy Here"),
        (603, "reject 603 Decline"),
        (404, "reject 480 Temporarily Unavailable"),
        (503, "reject 480 Temporarily Unavailable"),
        (408, "reject 480 Temporarily Unavailable"),
        (0, "reject 480 Temporarily Unavailable"),
    ] {
        let mut h = Harness::new();
        let call = h.call("c1", forward_number(false));
        h.take();
        h.forward(call, ForwardOutcome::Failed { status });
        assert_eq!(h.lines_with("> reject"), [format!("0s c1 > {expected}")], "{status}");
        assert_eq!(h.ended(call).0, "forward_failed");
        h.assert_idle();
    }
}

#[test]
fn caller_hanging_up_while_the_forward_rings_releases_the_leg() {
    let mut h = Harness::new();
    let call = h.call("c1", forward_number(false));
    h.advance(4);
    h.take();
    h.hangup(call, Party::Caller);
    h.expect(&[
        "4s c1 ended by caller after 4000 ms, talk 0 ms (caller_hung_up)",
        "4s c1 > release the call",
    ]);
    // A late answer of the released leg changes nothing.
    h.forward(call, ForwardOutcome::Answered);
    assert!(h.take().is_empty());
    h.assert_idle();
}

#[test]
fn forward_outside_the_allowed_prefixes_is_refused_before_any_leg() {
    let config = centralita_routing::EngineConfig {
        allowed_prefixes: vec!["34".into()],
        ..centralita_routing::EngineConfig::default()
    };
    let mut h = Harness::with_config(config);
    let mut settings = receive(Distribution::Random, &[user_id(1)], OfflineAction::Busy);
    settings.incoming = Incoming::Forward { forward_to: e164("+882100000001") };
    let call = h.call("c1", snapshot(settings));
    h.expect(&[
        "0s c1 arrived from +34600000001 to +34910000001",
        "0s c1 ended by system after 0 ms, talk 0 ms (destination_not_allowed)",
        "0s c1 > reject 403 Forbidden",
        "0s c1 > release the call",
    ]);
    assert!(h.lines_with("> forward").is_empty(), "no leg is created");
    assert_eq!(h.ended(call).0, "destination_not_allowed");
    h.assert_idle();

    // The same number forwarding inside the allowed prefixes goes out.
    let mut settings = receive(Distribution::Random, &[user_id(1)], OfflineAction::Busy);
    settings.incoming = Incoming::Forward { forward_to: e164("+34600000099") };
    h.call("c2", snapshot(settings));
    assert_eq!(h.lines_with("> forward"), ["0s c2 > forward to +34600000099"]);
}

#[test]
fn forwards_beyond_the_accounts_outbound_limit_are_refused_until_one_ends() {
    let config = centralita_routing::EngineConfig {
        max_outbound_legs: Some(2),
        ..centralita_routing::EngineConfig::default()
    };
    let mut h = Harness::with_config(config);
    let first = h.call("c1", forward_number(false));
    h.forward(first, ForwardOutcome::Answered);
    h.call("c2", forward_number(false));
    let third = h.call("c3", forward_number(false));
    let lines = h.take();
    let with =
        |needle: &str| -> Vec<&String> { lines.iter().filter(|l| l.contains(needle)).collect() };
    assert_eq!(
        with("> forward"),
        ["0s c1 > forward to +34600000099", "0s c2 > forward to +34600000099"]
    );
    assert_eq!(with("c3 > reject"), ["0s c3 > reject 503 Service Unavailable"], "{lines:#?}");
    assert_eq!(h.ended(third).0, "outbound_limit");
    // When a leg ends, the next call goes out again.
    h.hangup(first, Party::Caller);
    h.call("c4", forward_number(false));
    assert_eq!(h.lines_with("c4 > forward"), ["0s c4 > forward to +34600000099"]);
}

#[test]
fn an_outbound_call_keeps_its_agent_busy_and_its_voicedrop_releases_them_at_once() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let mut settings = receive(Distribution::Random, &[ana], OfflineAction::Busy);
    settings.record_calls = true;
    let call = h.outbound("o1", snapshot(settings.clone()), ana, "+34600000042");
    h.expect(&[
        "0s o1 arrived from +34910000001 to +34600000042 (dialled by an agent)",
        "0s o1 > dial +34600000042",
        "0s o1 > early media (183)",
        "0s o1 > play ringback tone",
    ]);
    assert!(!h.engine.is_available(&ana), "an agent dialling out is not offered calls");
    // Voicedrop before the lead answers is refused.
    assert_eq!(h.engine.handle_voicedrop(h.at(), call, audio(7)), Err("the lead has not answered"));
    h.advance(5);
    h.forward(call, ForwardOutcome::Answered);
    h.expect(&["5s o1 answered", "5s o1 > start recording"]);
    h.advance(10);
    assert_eq!(h.engine.handle_voicedrop(h.at(), call, audio(7)), Ok(()));
    h.drain();
    assert_eq!(h.lines_with("voicedrop").len(), 2, "the event and the command");
    assert!(h.engine.is_available(&ana), "released at once, while the message plays");
    // The agent's leg going away does not stop the message; its end ends the call.
    h.hangup(call, Party::Caller);
    h.advance(20);
    h.prompt_finished(call);
    assert_eq!(h.ended(call).0, "voicedrop");
    h.assert_idle();

    // An inbound call has no voicedrop.
    let inbound = h.call("c2", snapshot(settings));
    assert_eq!(
        h.engine.handle_voicedrop(h.at(), inbound, audio(7)),
        Err("voicedrop is for outbound calls only")
    );
}

#[test]
fn the_agent_sends_the_voicedrop_from_the_phone_with_star_nine() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let mut settings = receive(Distribution::Random, &[ana], OfflineAction::Busy);
    settings.voicedrop_audio_id = Some(audio(7));
    let call = h.outbound("o1", snapshot(settings), ana, "+34600000042");
    h.forward(call, ForwardOutcome::Answered);
    assert!(!h.lines_with("collect digits").is_empty(), "the phone's keys are listened to");
    // Other keys, or a 9 without its star, do nothing.
    for digit in ['9', '5', '*', '1', '9'] {
        h.digit(call, digit);
    }
    assert!(h.lines_with("voicedrop").is_empty());
    h.digit(call, '*');
    h.digit(call, '9');
    let lines = h.take();
    assert!(lines.iter().any(|l| l.contains("> voicedrop")), "{lines:#?}");
    assert!(h.engine.is_available(&ana));
    h.advance(3);
    h.prompt_finished(call);
    assert_eq!(h.ended(call).0, "voicedrop");
    h.assert_idle();
}
