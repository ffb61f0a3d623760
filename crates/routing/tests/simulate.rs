//! The dry run: the same engine in simulated time, from a scenario to a timeline with reasons.

mod common;

use std::collections::HashMap;

use centralita_domain::{Distribution, Incoming, IvrAction, Millis, OfflineAction};
use centralita_routing::simulate::{Scenario, ScriptStep, SimAgent, SimulateError, simulate};
use centralita_routing::{Agent, EngineConfig};
use common::*;

fn sim_agent(name: &str, n: u128, online: bool) -> SimAgent {
    SimAgent {
        agent: Agent {
            user_id: user_id(n),
            online_switch: online,
            devices: vec![format!("sip:{name}@192.0.2.{n}")],
            last_answered_at: None,
            created_order: n as u64,
        },
        name: Some(name.to_owned()),
        busy: false,
    }
}

#[test]
fn simulate_explains_why_the_call_went_to_voicemail() {
    let settings = receive(
        Distribution::Random,
        &[user_id(1), user_id(2)],
        OfflineAction::Voicemail { audio_id: Some(audio(3)) },
    );
    let mut scenario = Scenario::new(snapshot(settings), EngineConfig::default());
    scenario.agents = vec![sim_agent("ana", 1, false), sim_agent("ben", 2, false)];
    scenario.from = "+34600000001".into();
    scenario.audio_ms = HashMap::from([(audio(3), 4_000)]);
    let timeline = simulate(&scenario, Millis(T0)).unwrap();
    assert_eq!(timeline.outcome, "voicemail");
    assert!(!timeline.truncated);
    assert_eq!(
        timeline.to_string(),
        format!(
            "+0s arrived from +34600000001 to +34910000001
+0s offline_action voicemail (no assigned agent online)
+0s   -> answer (200)
+0s   -> play audio {greeting}
+4s   -> play beep tone
+4.5s   -> record voicemail (max 300 s, silence 10 s)
+14.5s ended by system after 14500 ms, talk 0 ms (voicemail)
+14.5s   -> hang up
+14.5s   -> release the call
",
            greeting = audio(3)
        )
    );
    let causes: Vec<_> = timeline.steps.iter().map(|s| s.cause.as_str()).collect();
    assert_eq!(
        causes,
        ["call arrives", "the audio ends", "the beep ends", "the caller stays silent"]
    );
}

#[test]
fn simulate_follows_the_script_of_the_agents() {
    let settings =
        receive(Distribution::LongestIdle, &[user_id(1), user_id(2)], OfflineAction::Busy);
    let mut scenario = Scenario::new(snapshot(settings), EngineConfig::default());
    scenario.agents = vec![sim_agent("ana", 1, true), sim_agent("ben", 2, true)];
    scenario.from = "+34600000001".into();
    scenario.talk_ms = 90_000;
    scenario.script = vec![
        ScriptStep::AgentDeclines { user: user_id(1), after_ms: 3_000 },
        ScriptStep::AgentAnswers { user: user_id(2), after_ms: 10_000 },
    ];
    let timeline = simulate(&scenario, Millis(T0)).unwrap();
    assert_eq!(
        timeline.to_string(),
        "+0s arrived from +34600000001 to +34910000001
+0s offered ana (idle longest (never answered a call))
+0s   -> early media (183)
+0s   -> play ringback tone
+0s   -> offer to ana (1 device)
+3s rejected ana (declined on the phone)
+3s offered ben (idle longest (never answered a call))
+3s   -> cancel offer to ana
+3s   -> offer to ben (1 device)
+13s answered ben
+13s   -> connect ben
+103s ended by caller after 103000 ms, talk 90000 ms (completed)
+103s   -> release the call
"
    );
    assert_eq!(timeline.outcome, "completed");
}

#[test]
fn simulate_runs_the_ivr_and_the_welcome_message() {
    let mut settings = receive(Distribution::Simultaneous, &[user_id(1)], OfflineAction::Busy);
    settings.ivr_id = Some(ivr_id(1));
    settings.welcome_audio_id = Some(audio(7));
    let mut number = snapshot(settings);
    number.ivrs.insert(ivr_id(1), ivr(1, &[('2', IvrAction::Agents { user_ids: None })]));
    let mut scenario = Scenario::new(number, EngineConfig::default());
    scenario.agents = vec![sim_agent("ana", 1, true)];
    scenario.audio_ms = HashMap::from([(audio(101), 8_000), (audio(7), 3_000)]);
    scenario.script = vec![
        ScriptStep::CallerPresses { at_ms: 2_000, digit: '2' },
        ScriptStep::CallerHangsUp { at_ms: 40_000 },
    ];
    let timeline = simulate(&scenario, Millis(T0)).unwrap();
    let text = timeline.to_string();
    assert!(text.contains("+2s ivr_digit 2 (to the agents)"), "{text}");
    assert!(text.contains("+2s   -> stop media"), "barge-in: {text}");
    assert!(text.contains("+5s offered ana"), "after the 3 s welcome: {text}");
    assert!(text.contains("+35s no_answer ana (not answered after 30 s)"), "{text}");
    assert!(text.ends_with("+40s   -> release the call\n"), "{text}");
    assert_eq!(timeline.outcome, "caller_hung_up");
}

#[test]
fn simulate_with_busy_agents_queues_then_offers_when_one_frees() {
    let settings = receive(Distribution::Random, &[user_id(1)], OfflineAction::Ringback);
    let mut scenario = Scenario::new(snapshot(settings), EngineConfig::default());
    let mut ana = sim_agent("ana", 1, true);
    ana.busy = true;
    scenario.agents = vec![ana];
    scenario.script = vec![
        ScriptStep::AgentBusy { at_ms: 20_000, user: user_id(1), busy: false },
        ScriptStep::AgentAnswers { user: user_id(1), after_ms: 2_000 },
    ];
    let timeline = simulate(&scenario, Millis(T0)).unwrap();
    let text = timeline.to_string();
    assert!(text.contains("+0s queued (all 1 online agent busy)"), "{text}");
    assert!(text.contains("+20s offered ana"), "{text}");
    assert!(text.contains("+22s answered ana"), "{text}");
    assert_eq!(timeline.steps[1].cause, "ana ends their other call");
}

#[test]
fn simulate_forward_mode_with_a_failing_target() {
    let mut settings = receive(Distribution::Random, &[], OfflineAction::Busy);
    settings.incoming = Incoming::Forward { forward_to: e164("+34600000099") };
    let mut scenario = Scenario::new(snapshot(settings), EngineConfig::default());
    scenario.script = vec![ScriptStep::ForwardFails { after_ms: 7_000, status: 486 }];
    let timeline = simulate(&scenario, Millis(T0)).unwrap();
    assert_eq!(timeline.outcome, "forward_failed");
    assert!(timeline.to_string().contains("+7s   -> reject 486 Busy Here"));
}

#[test]
fn simulate_is_deterministic_and_serializes_to_json() {
    let settings = receive(
        Distribution::Random,
        &[user_id(1), user_id(2), user_id(3)],
        OfflineAction::Message { audio_id: audio(4) },
    );
    let mut scenario = Scenario::new(snapshot(settings), EngineConfig::default());
    scenario.agents =
        vec![sim_agent("ana", 1, true), sim_agent("ben", 2, true), sim_agent("eva", 3, true)];
    let first = simulate(&scenario, Millis(T0)).unwrap();
    let second = simulate(&scenario, Millis(T0)).unwrap();
    assert_eq!(first, second);
    // Nobody answers: ten ring timeouts, then the max wait gives the message.
    assert_eq!(first.outcome, "message");
    assert!(first.to_string().contains("+300s offline_action message (waited 300 s (max wait))"));
    let json = serde_json::to_value(&first).unwrap();
    assert_eq!(json["outcome"], "message");
    assert_eq!(json["truncated"], false);
    assert_eq!(json["steps"][0]["at_ms"], 0);
    assert_eq!(json["steps"][0]["cause"], "call arrives");
    assert_eq!(json["steps"][0]["events"][0]["type"], "arrived");
    assert_eq!(json["steps"][0]["events"][1]["type"], "offered");
    assert!(json["steps"][0]["events"][1]["reason"].as_str().unwrap().contains("at random"));
}

#[test]
fn simulate_never_runs_forever() {
    let settings = receive(Distribution::Random, &[user_id(1)], OfflineAction::Busy);
    let mut scenario = Scenario::new(snapshot(settings), EngineConfig::default());
    scenario.agents = vec![sim_agent("ana", 1, true)];
    scenario.script = vec![ScriptStep::AgentAnswers { user: user_id(1), after_ms: 1_000 }];
    // A conversation longer than the bound: the simulation stops it.
    scenario.talk_ms = u32::MAX;
    let timeline = simulate(&scenario, Millis(T0)).unwrap();
    assert!(timeline.truncated);
    assert_eq!(timeline.outcome, "completed");
    let last = timeline.steps.last().unwrap();
    assert_eq!(last.at_ms, 900_000, "max wait (300 s) + 600 s");
    assert!(timeline.to_string().ends_with("(stopped by the simulation's time bound)\n"));
}

#[test]
fn simulate_refuses_a_script_about_strangers() {
    let settings = receive(Distribution::Random, &[user_id(1)], OfflineAction::Busy);
    let mut scenario = Scenario::new(snapshot(settings), EngineConfig::default());
    scenario.script = vec![ScriptStep::AgentAnswers { user: user_id(5), after_ms: 1 }];
    assert_eq!(simulate(&scenario, Millis(T0)), Err(SimulateError::UnknownAgent(user_id(5))));
    scenario.script = vec![ScriptStep::CallerPresses { at_ms: 1, digit: 'x' }];
    assert_eq!(simulate(&scenario, Millis(T0)), Err(SimulateError::InvalidDigit('x')));
}
