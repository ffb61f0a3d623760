//! The six offline actions, reject mode's five, and the welcome message that only plays when an
//! agent is online.

mod common;

use centralita_domain::{Distribution, Incoming, OfflineAction};
use centralita_routing::Party;
use common::*;

fn offline_number(action: OfflineAction) -> centralita_routing::NumberSnapshot {
    // Assigned to nobody online: every call gets the offline action.
    snapshot(receive(Distribution::Random, &[user_id(99)], action))
}

#[test]
fn offline_ringback_rejects_480_after_30s() {
    let mut h = Harness::new();
    h.call("c1", offline_number(OfflineAction::Ringback));
    h.expect(&[
        "0s c1 arrived from +34600000001 to +34910000001",
        "0s c1 offline_action ringback (no assigned agent online)",
        "0s c1 > early media (183)",
        "0s c1 > play ringback tone",
    ]);
    h.advance(29);
    assert!(h.take().is_empty());
    h.advance(1);
    h.expect(&[
        "30s c1 ended by system after 30000 ms, talk 0 ms (no_answer)",
        "30s c1 > reject 480 Temporarily Unavailable",
        "30s c1 > release the call",
    ]);
    h.assert_idle();
}

#[test]
fn offline_busy_rejects_486_after_5s() {
    let mut h = Harness::new();
    h.call("c1", offline_number(OfflineAction::Busy));
    h.expect(&[
        "0s c1 arrived from +34600000001 to +34910000001",
        "0s c1 offline_action busy (no assigned agent online)",
        "0s c1 > early media (183)",
        "0s c1 > play busy tone",
    ]);
    h.advance(5);
    h.expect(&[
        "5s c1 ended by system after 5000 ms, talk 0 ms (busy)",
        "5s c1 > reject 486 Busy Here",
        "5s c1 > release the call",
    ]);
    h.assert_idle();
}

#[test]
fn disconnect_rejects_603_at_once() {
    let mut h = Harness::new();
    h.call("c1", offline_number(OfflineAction::Disconnect));
    h.expect(&[
        "0s c1 arrived from +34600000001 to +34910000001",
        "0s c1 offline_action disconnect (no assigned agent online)",
        "0s c1 ended by system after 0 ms, talk 0 ms (rejected)",
        "0s c1 > reject 603 Decline",
        "0s c1 > release the call",
    ]);
    h.assert_idle();
}

#[test]
fn offline_message_answers_plays_and_hangs_up() {
    let mut h = Harness::new();
    let call = h.call("c1", offline_number(OfflineAction::Message { audio_id: audio(1) }));
    h.expect(&[
        "0s c1 arrived from +34600000001 to +34910000001",
        "0s c1 offline_action message (no assigned agent online)",
        "0s c1 > answer (200)",
        &format!("0s c1 > play audio {}", audio(1)),
    ]);
    h.advance(12);
    h.prompt_finished(call);
    h.expect(&[
        "12s c1 ended by system after 12000 ms, talk 0 ms (message)",
        "12s c1 > hang up",
        "12s c1 > release the call",
    ]);
    h.assert_idle();
}

#[test]
fn caller_hanging_up_during_the_message_ends_the_call() {
    let mut h = Harness::new();
    let call = h.call("c1", offline_number(OfflineAction::Message { audio_id: audio(1) }));
    h.advance(3);
    h.hangup(call, Party::Caller);
    assert_eq!(h.ended(call), ("caller_hung_up".into(), "caller".into(), 3000, 0));
    h.assert_idle();
}

#[test]
fn reject_mode_never_rings_anyone() {
    let actions = [
        (OfflineAction::Ringback, "reject 480 Temporarily Unavailable"),
        (OfflineAction::Busy, "reject 486 Busy Here"),
        (OfflineAction::Disconnect, "reject 603 Decline"),
        (OfflineAction::Message { audio_id: audio(1) }, "hang up"),
        (OfflineAction::Voicemail { audio_id: None }, "hang up"),
    ];
    for (action, end) in actions {
        let mut h = Harness::new();
        let ana = h.agent("ana", 1);
        let mut settings = receive(Distribution::Simultaneous, &[ana], OfflineAction::Busy);
        settings.welcome_audio_id = Some(audio(9));
        settings.incoming = Incoming::Reject { action: action.clone() };
        let call = h.call("c1", snapshot(settings));
        let lines = h.take();
        assert!(
            lines.contains(&format!(
                "0s c1 offline_action {} (the number does not accept incoming calls)",
                action.name()
            )),
            "{lines:?}"
        );
        assert!(!lines.iter().any(|l| l.contains("offer") || l.contains("welcome")), "{lines:?}");
        // Carry each action to its end.
        h.prompt_finished(call);
        h.media(call, centralita_routing::MediaEvent::ToneFinished);
        h.voicemail_ended(call, centralita_routing::VoicemailEnd::Silence);
        h.run_timers();
        let all: Vec<String> = lines.into_iter().chain(h.take()).collect();
        assert!(all.iter().any(|l| l.ends_with(end)), "{action:?}: {all:?}");
        assert!(h.engine.is_available(&ana));
        h.assert_idle();
    }
}

#[test]
fn welcome_plays_before_ringing_only_when_agent_online() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let mut settings = receive(Distribution::Random, &[ana], OfflineAction::Disconnect);
    settings.welcome_audio_id = Some(audio(7));
    let number = snapshot(settings);
    let call = h.call("c1", number.clone());
    h.expect(&[
        "0s c1 arrived from +34600000001 to +34910000001",
        "0s c1 welcome_played 0000a007-0000-0000-0000-000000000000 (1 agent online)"
            .replace("0000a007-0000-0000-0000-000000000000", &audio(7).to_string())
            .as_str(),
        "0s c1 > early media (183)",
        &format!("0s c1 > play audio {}", audio(7)),
    ]);
    h.advance(6);
    h.prompt_finished(call);
    h.expect(&[
        "6s c1 offered ana (at random among 1 untried available agent(s))",
        "6s c1 > play ringback tone",
        "6s c1 > offer to ana (1 device)",
    ]);
    // Max wait counts from the end of the welcome message.
    h.advance(299);
    assert!(h.lines_with("offline_action").is_empty());
    h.advance(1);
    assert_eq!(h.lines_with("offline_action").len(), 1);

    // Nobody online: no welcome message, the offline action at once.
    h.set_online(ana, false);
    h.call("c2", number);
    let lines = h.take();
    assert!(!lines.iter().any(|l| l.contains("welcome")), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("offline_action disconnect (no assigned agent online)"))
    );
    h.assert_idle();
}

#[test]
fn agents_going_offline_during_the_welcome_give_the_offline_action_after_it() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let mut settings = receive(Distribution::Random, &[ana], OfflineAction::Disconnect);
    settings.welcome_audio_id = Some(audio(7));
    let call = h.call("c1", snapshot(settings));
    h.set_online(ana, false);
    h.advance(5);
    h.take();
    h.prompt_finished(call);
    assert_eq!(
        h.lines_with("offline_action"),
        ["5s c1 offline_action disconnect (no assigned agent online after the welcome message)"]
    );
    h.assert_idle();
}

#[test]
fn caller_hangup_during_offline_ringback_ends_as_caller_hung_up() {
    let mut h = Harness::new();
    let call = h.call("c1", offline_number(OfflineAction::Ringback));
    h.advance(10);
    h.hangup(call, Party::Caller);
    assert_eq!(h.ended(call), ("caller_hung_up".into(), "caller".into(), 10_000, 0));
    h.assert_idle();
}
