//! Calls with media between real peers: a SIPp caller on the trunk streaming one tone, a
//! baresip softphone registered as the agent streaming another. Each side must hear the
//! other's tone (frequency analysis of what arrived), and the recording must hold both, on the
//! right channels.

mod common;

use centralita_media::Codec;
use common::media::{Baresip, Capture, assert_tone, g711_tone_wav, read_wav, wait_until};
use common::{
    Running, account, call, number, put_settings, set_online, sip_agent, sipp_with, start,
};
use reqwest::Method;
use serde_json::{Value, json};

const OPERATOR: &str = "operator-secret-for-tests";
const CALLER_HZ: f64 = 1000.0;
const AGENT_HZ: u32 = 440;

struct Setup {
    running: Running,
    api: String,
    sip: String,
    admin: String,
    agent: String,
    _dir: tempfile::TempDir,
}

/// A server (RTP ports `ports`), an account with an online agent "carla" on a number that
/// records and rings every agent at once.
async fn setup(ports: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let mut running = start(
        dir.path(),
        &[
            ("CENTRALITA_OPERATOR_TOKEN", OPERATOR),
            ("CENTRALITA_RTP_PORT_RANGE", ports),
            // baresip 1.0 gives up on a 401 that also offers SHA-256.
            ("CENTRALITA_SIP_DIGEST_ALGORITHMS", r#"["MD5"]"#),
        ],
    );
    let (api, sip) = (running.api(), running.sip());
    let admin = account(&api, OPERATOR).await;
    let agent = sip_agent(&api, &admin, "carla", "carlasecret1").await;
    set_online(&api, &admin, &agent, true).await;
    let number = number(&api, &admin, "+34910000001").await;
    let settings = json!({"record_calls": true,
        "incoming": {"mode": "receive", "distribution": "simultaneous", "when_offline": {"action": "busy"}},
        "assigned_user_ids": [agent]});
    put_settings(&api, &admin, &number, settings).await;
    Setup { running, api, sip, admin, agent, _dir: dir }
}

impl Setup {
    async fn user(&self) -> Value {
        call(Method::GET, &format!("{}/v1/users/{}", self.api, self.agent), &self.admin, None)
            .await
            .1
    }

    async fn calls(&self) -> Value {
        call(Method::GET, &format!("{}/v1/calls", self.api), &self.admin, None).await.1
    }

    async fn recording(&self, id: &str) -> Vec<u8> {
        reqwest::Client::new()
            .get(format!("{}/v1/recordings/{id}", self.api))
            .bearer_auth(&self.admin)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec()
    }
}

/// One call: SIPp streams `caller_codec` audio at CALLER_HZ for 3 s; baresip answers with
/// `agent_codec` at AGENT_HZ. Returns what the caller heard.
async fn bridged_call(s: &Setup, agent_codec: &str, media_port: u16) -> (Vec<i16>, Baresip) {
    let phone = Baresip::start("carla", "carlasecret1", &s.sip, AGENT_HZ, agent_codec);
    wait_until("the agent is online with a device", || async {
        s.user().await["available"] == true
    })
    .await;
    let capture = Capture::start(media_port);
    let tone = g711_tone_wav(Codec::Pcmu, CALLER_HZ, 10.0);
    let run = sipp_with(
        "caller_tone.xml",
        &s.sip,
        &["-s", "+34910000001", "-i", "127.0.0.1", "-mp", &media_port.to_string(), "-d", "3000"],
        &[("caller_tone.wav", &tone)],
    );
    assert!(run.status.success(), "SIPp failed:\n{}", run.output);
    (capture.audio(), phone)
}

async fn check_history_and_recording(s: &Setup) {
    wait_until("the call is in the history, ended", || async {
        s.calls().await[0]["status"] == "answered"
    })
    .await;
    let calls = s.calls().await;
    let call = &calls[0];
    let types: Vec<&str> =
        call["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["arrived", "offered", "answered", "recording_started", "ended"], "{call}");
    assert_eq!(call["answered_by"], s.agent.as_str());
    let recording = call["recording_id"].as_str().expect("the call was recorded");
    let (rate, channels, samples) = read_wav(&s.recording(recording).await);
    assert_eq!((rate, channels), (8000, 2));
    let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
    let right: Vec<i16> = samples.iter().skip(1).step_by(2).copied().collect();
    assert_tone("recording, left (caller)", &left, 8000.0, CALLER_HZ, f64::from(AGENT_HZ));
    assert_tone("recording, right (agent)", &right, 8000.0, f64::from(AGENT_HZ), CALLER_HZ);
    // About the 3 s the call lasted, not twice that.
    assert!(
        (2.0..4.5).contains(&(left.len() as f64 / 8000.0)),
        "{} s recorded",
        left.len() as f64 / 8000.0
    );
}

#[tokio::test]
async fn caller_and_agent_hear_each_other_and_the_recording_holds_both() {
    let s = setup("32000-32099").await;
    let (caller_heard, phone) = bridged_call(&s, "PCMU", 16010).await;
    assert_tone("what the caller heard", &caller_heard, 8000.0, f64::from(AGENT_HZ), CALLER_HZ);
    assert_tone("what the agent heard", &phone.received(), 8000.0, CALLER_HZ, f64::from(AGENT_HZ));
    check_history_and_recording(&s).await;
    let _ = &s.running;
}

#[tokio::test]
async fn mulaw_caller_and_alaw_agent_are_transcoded() {
    let s = setup("32100-32199").await;
    let (caller_heard, phone) = bridged_call(&s, "PCMA", 16020).await;
    assert_tone(
        "what the µ-law caller heard",
        &caller_heard,
        8000.0,
        f64::from(AGENT_HZ),
        CALLER_HZ,
    );
    assert_tone(
        "what the A-law agent heard",
        &phone.received(),
        8000.0,
        CALLER_HZ,
        f64::from(AGENT_HZ),
    );
    check_history_and_recording(&s).await;
}

/// A process killed in the middle of a recorded call leaves a playable recording up to that
/// moment.
#[tokio::test]
async fn kill_9_mid_call_leaves_a_playable_partial_recording() {
    let mut s = setup("32500-32599").await;
    let _phone = Baresip::start("carla", "carlasecret1", &s.sip, AGENT_HZ, "PCMU");
    wait_until("the agent is online with a device", || async {
        s.user().await["available"] == true
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("caller_tone.wav"), g711_tone_wav(Codec::Pcmu, CALLER_HZ, 30.0))
        .unwrap();
    let _caller = common::SippBackground::start_in(
        dir,
        "caller_tone.xml",
        &s.sip,
        &["-s", "+34910000001", "-i", "127.0.0.1", "-mp", "16090", "-d", "30000"],
    );
    wait_until("the call is being recorded", || async {
        s.calls().await[0]["recording_id"].is_string()
    })
    .await;
    let recording = s.calls().await[0]["recording_id"].as_str().unwrap().to_owned();
    let file = s._dir.path().join("recordings").join(format!("{recording}.wav"));
    // Two seconds of stereo audio are on disk (the header is rewritten every second).
    wait_until("two seconds are recorded", || {
        let file = file.clone();
        async move { std::fs::metadata(&file).is_ok_and(|m| m.len() > 44 + 2 * 32_000) }
    })
    .await;
    s.running.child.kill().unwrap();
    s.running.child.wait().unwrap();
    let bytes = std::fs::read(&file).unwrap();
    let (rate, channels, samples) = read_wav(&bytes);
    assert_eq!((rate, channels), (8000, 2));
    let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
    assert!(left.len() >= 8000, "{} samples survived", left.len());
    assert_tone(
        "the partial recording's caller channel",
        &left,
        8000.0,
        CALLER_HZ,
        f64::from(AGENT_HZ),
    );

    // The next start closes the call as interrupted, nothing lost: the history keeps the call
    // with its recording, whose header now states the length really on disk.
    s.running = start(s._dir.path(), &[("CENTRALITA_OPERATOR_TOKEN", OPERATOR)]);
    s.api = s.running.api();
    let logged =
        s.running.wait_for_log("closed calls a previous run left in progress as interrupted");
    assert_eq!(logged["calls"], 1);
    let history = s.calls().await;
    let closed = &history[0];
    assert_eq!(closed["status"], "answered", "{closed}");
    assert_eq!(closed["recording_id"], recording.as_str());
    let ended = closed["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (ended["type"].as_str(), ended["reason"].as_str()),
        (Some("ended"), Some("interrupted"))
    );
    assert_eq!(ended["hangup_by"], "system");
    assert!(ended["talk_ms"].as_u64().unwrap() >= 1000, "{ended}");
    let fixed = s.recording(&recording).await;
    let data_len = u32::from_le_bytes(fixed[40..44].try_into().unwrap()) as usize;
    assert_eq!(data_len, fixed.len() - 44, "the header states the length on disk");
    assert_eq!(data_len % 4, 0, "whole stereo frames only");
}
