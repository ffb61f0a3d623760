//! IVR menus: prompt, barge-in, per-digit timeout, repeats, every option kind, sub-menus,
//! invalid digits and no input.

mod common;

use centralita_domain::{Distribution, IvrAction, IvrDocument, OfflineAction};
use centralita_routing::{NumberSnapshot, Party};
use common::*;

/// A number with menu 1 as its IVR and the given extra menus.
fn ivr_number(users: &[centralita_domain::UserId], menus: Vec<IvrDocument>) -> NumberSnapshot {
    let mut settings = receive(Distribution::Simultaneous, users, OfflineAction::Disconnect);
    settings.ivr_id = Some(ivr_id(1));
    let mut number = snapshot(settings);
    for (i, menu) in menus.into_iter().enumerate() {
        number.ivrs.insert(ivr_id(i as u128 + 1), menu);
    }
    number
}

fn prompt(n: u128) -> String {
    audio(100 + n).to_string()
}

#[test]
fn ivr_answers_then_plays_the_prompt_and_waits_for_a_digit() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let menu = ivr(1, &[('1', IvrAction::Agents { user_ids: None })]);
    let call = h.call("c1", ivr_number(&[ana], vec![menu]));
    h.expect(&[
        "0s c1 arrived from +34600000001 to +34910000001",
        &format!("0s c1 ivr_prompt {}", ivr_id(1)),
        "0s c1 > answer (200)",
        "0s c1 > collect digits on",
        &format!("0s c1 > play audio {}", prompt(1)),
    ]);
    h.advance(6);
    h.prompt_finished(call);
    h.advance(2);
    h.digit(call, '1');
    h.expect(&[
        "8s c1 ivr_digit 1 (to the agents)",
        "8s c1 offered ana (ringing every available agent)",
        "8s c1 > collect digits off",
        "8s c1 > play ringback tone",
        "8s c1 > offer to ana (1 device)",
    ]);
    h.hangup(call, Party::Caller);
    h.assert_idle();
}

#[test]
fn ivr_barge_in_stops_prompt() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let menu = ivr(1, &[('1', IvrAction::Agents { user_ids: None })]);
    let call = h.call("c1", ivr_number(&[ana], vec![menu]));
    h.take();
    h.advance(2);
    h.digit(call, '1');
    let lines = h.take();
    assert_eq!(lines[0], "2s c1 ivr_digit 1 (to the agents)");
    assert!(lines.contains(&"2s c1 > stop media".to_owned()), "{lines:?}");
    // A digit after the prompt ended needs no stop.
    let call2 = h.call("c2", ivr_number(&[ana], vec![ivr(1, &[('1', IvrAction::Hangup)])]));
    h.prompt_finished(call2);
    h.take();
    h.digit(call2, '1');
    assert!(!h.take().iter().any(|l| l.contains("stop media")));
    h.hangup(call, Party::Caller);
    h.assert_idle();
}

#[test]
fn ivr_repeats_then_no_input_action() {
    let mut h = Harness::new();
    let mut menu = ivr(1, &[]);
    menu.repeats = 3;
    menu.timeout_s = 4;
    menu.on_no_input = IvrAction::Message { audio_id: audio(50) };
    let call = h.call("c1", ivr_number(&[], vec![menu]));
    h.take();
    for played in 1..=3 {
        h.advance(10);
        h.prompt_finished(call);
        h.advance(4);
        let lines = h.take();
        if played < 3 {
            assert_eq!(
                lines[0],
                format!(
                    "{}s c1 ivr_prompt {} (no digit within 4 s (prompt {} of 3))",
                    played * 14,
                    ivr_id(1),
                    played + 1
                )
            );
        } else {
            assert_eq!(
                lines,
                [
                    "42s c1 > collect digits off".to_owned(),
                    format!("42s c1 > play audio {}", audio(50)),
                ]
            );
        }
    }
    h.prompt_finished(call);
    assert_eq!(h.ended(call).0, "message");
    h.assert_idle();
}

#[test]
fn ivr_no_input_reason_reaches_the_next_event() {
    let mut h = Harness::new();
    let mut menu = ivr(1, &[]);
    menu.repeats = 1;
    let call = h.call("c1", ivr_number(&[user_id(99)], vec![menu]));
    h.prompt_finished(call);
    h.take();
    h.advance(5);
    // on_no_input defaults to the agents; nobody is online: disconnect (already answered).
    assert_eq!(
        h.lines_with("offline_action"),
        [
            "5s c1 offline_action disconnect (no input after 1 prompt; to the agents; no assigned agent online)"
        ]
    );
    assert_eq!(h.ended(call), ("rejected".into(), "system".into(), 5000, 0));
    assert!(
        h.commands.iter().any(|(_, c)| matches!(c, centralita_routing::Command::Hangup { .. }))
    );
    h.assert_idle();
}

#[test]
fn ivr_invalid_digit_action() {
    let mut h = Harness::new();
    let mut menu = ivr(1, &[('1', IvrAction::Hangup)]);
    menu.on_invalid = IvrAction::Voicemail { audio_id: None };
    let call = h.call("c1", ivr_number(&[], vec![menu]));
    h.prompt_finished(call);
    h.take();
    h.digit(call, '7');
    h.expect(&[
        "0s c1 ivr_digit 7 (digit 7 has no option; voicemail)",
        "0s c1 > collect digits off",
        "0s c1 > play beep tone",
    ]);
    h.hangup(call, Party::Caller);
    h.assert_idle();
}

#[test]
fn ivr_submenu() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let main = ivr(1, &[('5', IvrAction::Menu { ivr_id: ivr_id(2) })]);
    let mut sub = ivr(2, &[('1', IvrAction::Forward { to: e164("+34600000055") })]);
    sub.timeout_s = 8;
    let call = h.call("c1", ivr_number(&[ana], vec![main, sub]));
    h.prompt_finished(call);
    h.take();
    h.digit(call, '5');
    h.expect(&[
        &format!("0s c1 ivr_digit 5 (menu {})", ivr_id(2)),
        &format!("0s c1 ivr_prompt {}", ivr_id(2)),
        &format!("0s c1 > play audio {}", prompt(2)),
    ]);
    // The sub-menu's own timeout applies.
    h.prompt_finished(call);
    h.advance(7);
    assert!(h.take().is_empty());
    h.digit(call, '1');
    h.expect(&[
        "7s c1 ivr_digit 1 (forward to +34600000055)",
        "7s c1 forwarded +34600000055",
        "7s c1 > collect digits off",
        "7s c1 > forward to +34600000055",
        "7s c1 > play ringback tone",
    ]);
    h.hangup(call, Party::Caller);
    h.assert_idle();
}

#[test]
fn ivr_option_restricts_agents() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let ben = h.agent("ben", 2);
    let eva = h.agent("eva", 3);
    let menu = ivr(
        1,
        &[
            // eva is listed but not assigned to the number: she is never rung for it.
            ('8', IvrAction::Agents { user_ids: Some(vec![ben, eva]) }),
        ],
    );
    let call = h.call("c1", ivr_number(&[ana, ben], vec![menu.clone()]));
    h.digit(call, '8');
    assert_eq!(h.lines_with("> offer"), ["0s c1 > offer to ben (1 device)"]);
    h.hangup(call, Party::Caller);
    // When the listed agent is offline, the offline action, even with ana online.
    h.set_online(ben, false);
    let call = h.call("c2", ivr_number(&[ana, ben], vec![menu]));
    h.digit(call, '8');
    assert_eq!(
        h.lines_with("offline_action"),
        ["0s c2 offline_action disconnect (no agent of the IVR option online)"]
    );
    h.assert_idle();
}

#[test]
fn ivr_repeat_option_restarts_the_count() {
    let mut h = Harness::new();
    let mut menu = ivr(1, &[('9', IvrAction::Repeat)]);
    menu.repeats = 2;
    menu.on_no_input = IvrAction::Hangup;
    let call = h.call("c1", ivr_number(&[], vec![menu]));
    h.prompt_finished(call);
    h.advance(5);
    h.prompt_finished(call);
    h.digit(call, '9');
    h.take();
    // Two more full plays before the no-input action.
    for _ in 0..2 {
        assert!(h.engine.call_count() == 1);
        h.prompt_finished(call);
        h.advance(5);
    }
    assert_eq!(h.ended(call), ("hangup".into(), "system".into(), 15_000, 0));
    h.assert_idle();
}

#[test]
fn ivr_message_and_hangup_options() {
    let mut h = Harness::new();
    let menu =
        ivr(1, &[('4', IvrAction::Message { audio_id: audio(44) }), ('0', IvrAction::Hangup)]);
    let number = ivr_number(&[], vec![menu]);
    let first = h.call("c1", number.clone());
    h.digit(first, '4');
    assert!(h.lines_with("play audio").contains(&format!("0s c1 > play audio {}", audio(44))));
    h.prompt_finished(first);
    assert_eq!(h.ended(first).0, "message");
    let second = h.call("c2", number);
    h.digit(second, '0');
    assert_eq!(h.ended(second), ("hangup".into(), "system".into(), 0, 0));
    h.assert_idle();
}

#[test]
fn ivr_then_welcome_and_ringback_play_in_call() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let mut number =
        ivr_number(&[ana], vec![ivr(1, &[('1', IvrAction::Agents { user_ids: None })])]);
    number.settings.welcome_audio_id = Some(audio(7));
    let call = h.call("c1", number);
    h.take();
    h.digit(call, '1');
    let lines = h.take();
    assert!(!lines.iter().any(|l| l.contains("early media")), "already answered: {lines:?}");
    assert!(lines.contains(&format!("0s c1 > play audio {}", audio(7))));
    h.prompt_finished(call);
    assert!(h.take().contains(&"0s c1 > play ringback tone".to_owned()));
    h.hangup(call, Party::Caller);
    h.assert_idle();
}

#[test]
fn offline_ringback_after_an_ivr_hangs_up_after_30s() {
    let mut h = Harness::new();
    let mut number = ivr_number(&[user_id(99)], vec![ivr(1, &[])]);
    number.settings.incoming =
        centralita_domain::Incoming::Reject { action: OfflineAction::Ringback };
    let call = h.call("c1", number);
    h.digit(call, '3');
    h.take();
    h.advance(30);
    h.expect(&[
        "30s c1 ended by system after 30000 ms, talk 0 ms (no_answer)",
        "30s c1 > hang up",
        "30s c1 > release the call",
    ]);
    h.assert_idle();
}

#[test]
fn a_missing_menu_continues_with_the_agents() {
    let mut h = Harness::new();
    let ana = h.agent("ana", 1);
    let menu = ivr(1, &[('5', IvrAction::Menu { ivr_id: ivr_id(9) })]);
    let call = h.call("c1", ivr_number(&[ana], vec![menu]));
    h.digit(call, '5');
    let offered = h.lines_with("offered");
    assert_eq!(offered.len(), 1);
    assert!(offered[0].contains("is missing from the number's snapshot"), "{offered:?}");
    h.hangup(call, Party::Caller);
    h.assert_idle();
}

#[test]
fn a_menu_loop_through_no_input_is_bounded() {
    let mut h = Harness::new();
    let mut menu = ivr(1, &[]);
    menu.repeats = 1;
    menu.on_no_input = IvrAction::Menu { ivr_id: ivr_id(1) };
    let call = h.call("c1", ivr_number(&[user_id(99)], vec![menu]));
    for _ in 0..40 {
        h.prompt_finished(call);
        h.advance(5);
    }
    assert_eq!(h.ended(call).0, "rejected", "gave up looping and went to the agents");
    h.assert_idle();
}
