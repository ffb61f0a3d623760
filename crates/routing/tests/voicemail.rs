//! Voicemail: greeting, beep, recording until hang-up, silence or the maximum length.

mod common;

use centralita_domain::{Distribution, OfflineAction};
use centralita_routing::{EngineConfig, MediaEvent, Party, VoicemailEnd};
use common::*;

fn voicemail_number(greeting: bool) -> centralita_routing::NumberSnapshot {
    let action = OfflineAction::Voicemail { audio_id: greeting.then(|| audio(3)) };
    snapshot(receive(Distribution::Random, &[user_id(99)], action))
}

#[test]
fn voicemail_greeting_beep_record_then_hangup() {
    let mut h = Harness::new();
    let call = h.call("c1", voicemail_number(true));
    h.expect(&[
        "0s c1 arrived from +34600000001 to +34910000001",
        "0s c1 offline_action voicemail (no assigned agent online)",
        "0s c1 > answer (200)",
        &format!("0s c1 > play audio {}", audio(3)),
    ]);
    h.advance(4);
    h.prompt_finished(call);
    h.expect(&["4s c1 > play beep tone"]);
    h.media(call, MediaEvent::ToneFinished);
    h.expect(&["4s c1 > record voicemail (max 300 s, silence 10 s)"]);
    h.advance(25);
    h.voicemail_ended(call, VoicemailEnd::Silence);
    h.expect(&[
        "29s c1 ended by system after 29000 ms, talk 0 ms (voicemail)",
        "29s c1 > hang up",
        "29s c1 > release the call",
    ]);
    h.assert_idle();
}

#[test]
fn voicemail_without_greeting_beeps_at_once() {
    let mut h = Harness::new();
    let call = h.call("c1", voicemail_number(false));
    let lines = h.take();
    assert_eq!(lines.last().map(String::as_str), Some("0s c1 > play beep tone"), "{lines:?}");
    h.media(call, MediaEvent::ToneFinished);
    h.advance(300);
    h.voicemail_ended(call, VoicemailEnd::MaxLength);
    assert_eq!(h.ended(call), ("voicemail".into(), "system".into(), 300_000, 0));
    h.assert_idle();
}

#[test]
fn caller_hanging_up_ends_the_voicemail() {
    let mut h = Harness::new();
    let call = h.call("c1", voicemail_number(true));
    h.prompt_finished(call);
    h.media(call, MediaEvent::ToneFinished);
    h.advance(42);
    h.take();
    // The media layer and the SIP layer may both report it; the first one ends the call.
    h.voicemail_ended(call, VoicemailEnd::HungUp);
    h.hangup(call, Party::Caller);
    h.expect(&[
        "42s c1 ended by caller after 42000 ms, talk 0 ms (voicemail)",
        "42s c1 > release the call",
    ]);
    h.assert_idle();
}

#[test]
fn caller_hanging_up_during_the_greeting_left_no_voicemail() {
    let mut h = Harness::new();
    let call = h.call("c1", voicemail_number(true));
    h.advance(2);
    h.hangup(call, Party::Caller);
    assert_eq!(h.ended(call).0, "caller_hung_up");
    h.assert_idle();
}

#[test]
fn a_lost_voicemail_end_cannot_keep_the_call_for_ever() {
    let mut h =
        Harness::with_config(EngineConfig { voicemail_max_s: 60, ..EngineConfig::default() });
    let call = h.call("c1", voicemail_number(false));
    h.media(call, MediaEvent::ToneFinished);
    assert!(
        h.lines_with("record")
            .contains(&"0s c1 > record voicemail (max 60 s, silence 10 s)".to_owned())
    );
    h.run_timers();
    assert_eq!(h.ended(call), ("voicemail".into(), "system".into(), 70_000, 0));
    h.assert_idle();
}

#[test]
fn digits_during_voicemail_are_ignored() {
    let mut h = Harness::new();
    let call = h.call("c1", voicemail_number(false));
    h.media(call, MediaEvent::ToneFinished);
    h.take();
    h.digit(call, '5');
    assert!(h.take().is_empty());
    h.hangup(call, Party::Caller);
    h.assert_idle();
}
