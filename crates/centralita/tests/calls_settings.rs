//! The number settings on real calls: a SIPp caller on the trunk, SIPp phones registered as the
//! agents, a SIPp carrier on the trunk's outbound URI. For each mode, distribution, offline
//! action and the IVR, the test checks what the caller really hears (captured off the wire and
//! analysed: tone frequency, cadence, the message's audio), what each phone sees (the SIPp
//! scenario fails on anything else), and that the history tells the same story.

mod common;

use centralita_media::Codec;
use common::media::{
    Capture, g711_tone_wav, pcm_tone_wav, read_wav, tone_frames, tone_ms, wait_until,
};
use common::{
    Running, SippBackground, SippRun, account, call, number, put_settings, set_online, sip_agent,
    sipp, sipp_with, start, upload_audio,
};
use reqwest::Method;
use serde_json::{Value, json};

const OPERATOR: &str = "operator-secret-for-tests";
const NUMBER: &str = "+34910000001";
/// The Spanish tone plan's frequency (ringback and busy).
const TONE_HZ: f64 = 425.0;

/// A server with one number and the account's agents, each with a SIPp phone registered on
/// its own port.
struct Line {
    _running: Running,
    api: String,
    sip: String,
    admin: String,
    number: String,
    agents: Vec<String>,
    _dir: tempfile::TempDir,
}

/// Starts a server on RTP ports `rtp` (below the kernel's ephemeral range, so no client
/// socket of the test can hold one), whose trunk sends calls out to SIPp on `carrier_port`,
/// with one agent per entry of `phones` (name, SIP port), online and registered.
async fn line(rtp: &str, carrier_port: u16, phones: &[(&str, u16)]) -> Line {
    let dir = tempfile::tempdir().unwrap();
    let trunk = format!(
        r#"[{{name="carrier", inbound_from=["127.0.0.1/32"], outbound_uri="sip:127.0.0.1:{carrier_port}"}}]"#
    );
    let mut running = start(
        dir.path(),
        &[
            ("CENTRALITA_OPERATOR_TOKEN", OPERATOR),
            ("CENTRALITA_RTP_PORT_RANGE", rtp),
            ("CENTRALITA_TRUNK", &trunk),
            // Spanish mobiles cost 0.0240 a started minute; destinations outside Spain are
            // refused (the default toll-fraud guard).
            (
                "CENTRALITA_BILLING_RATES",
                r#"[{prefix="346", per_minute="0.0240"}, {prefix="34", per_minute="0.0100"}]"#,
            ),
        ],
    );
    let (api, sip) = (running.api(), running.sip());
    let admin = account(&api, OPERATOR).await;
    let mut agents = Vec::new();
    for (name, port) in phones {
        let id = sip_agent(&api, &admin, name, "phonesecret1").await;
        set_online(&api, &admin, &id, true).await;
        let port = port.to_string();
        let register = sipp(
            "register.xml",
            &sip,
            &["-s", name, "-au", name, "-ap", "phonesecret1", "-i", "127.0.0.1", "-p", &port],
        );
        assert_passed(&format!("{name}'s registration"), &register);
        agents.push(id);
    }
    let number = number(&api, &admin, NUMBER).await;
    let line = Line { _running: running, api, sip, admin, number, agents, _dir: dir };
    for agent in &line.agents {
        wait_until("the agent is available", || async {
            line.get(&format!("/v1/users/{agent}")).await["available"] == true
        })
        .await;
    }
    line
}

impl Line {
    async fn get(&self, path: &str) -> Value {
        call(Method::GET, &format!("{}{path}", self.api), &self.admin, None).await.1
    }

    /// Puts the number's settings; `record_calls` (off) and `assigned_user_ids` (every agent)
    /// may be left out.
    async fn settings(&self, mut settings: Value) {
        let fields = settings.as_object_mut().unwrap();
        fields.entry("record_calls").or_insert(json!(false));
        fields.entry("assigned_user_ids").or_insert(json!(self.agents));
        put_settings(&self.api, &self.admin, &self.number, settings).await;
    }

    /// Uploads a tone as an audio message (16 kHz stereo, so normalisation is exercised).
    async fn audio(&self, name: &str, freq: f64, seconds: f64) -> String {
        upload_audio(&self.api, &self.admin, name, pcm_tone_wav(freq, seconds, 16_000, 2)).await
    }

    /// The last call, once it has ended.
    async fn ended_call(&self) -> Value {
        wait_until("the call has ended", || async {
            let calls = self.get("/v1/calls").await;
            calls[0]["status"].as_str().is_some_and(|s| s != "in_progress")
        })
        .await;
        self.get("/v1/calls").await[0].clone()
    }
}

fn assert_passed(what: &str, run: &SippRun) {
    assert!(run.status.success(), "{what} failed ({:?}):\n{}", run.status, run.output);
}

fn event_types(call: &Value) -> Vec<String> {
    call["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

fn events_of<'a>(call: &'a Value, kind: &str) -> Vec<&'a Value> {
    call["events"].as_array().unwrap().iter().filter(|e| e["type"] == kind).collect()
}

/// The caller, refused with `status` after whatever early media; returns what it heard.
fn refused_caller(line: &Line, status: u16, media_port: u16) -> Vec<i16> {
    let dir = tempfile::tempdir().unwrap();
    let template = std::fs::read_to_string(common::scenarios().join("caller_refused.xml")).unwrap();
    let scenario = dir.path().join("caller_refused.xml");
    std::fs::write(&scenario, template.replace("EXPECTED_STATUS", &status.to_string())).unwrap();
    let capture = Capture::start(media_port);
    let run = sipp(
        scenario.to_str().unwrap(),
        &line.sip,
        &[
            "-s",
            NUMBER,
            "-i",
            "127.0.0.1",
            "-p",
            &(media_port + 9000).to_string(),
            "-mp",
            &media_port.to_string(),
            "-timeout",
            "60s",
        ],
    );
    assert_passed(&format!("the caller expecting {status}"), &run);
    capture.audio()
}

/// The lengths, in frames, of the runs of equal values: `[on, off, on, ...]` from the first on.
fn cadence(frames: &[bool]) -> Vec<usize> {
    let start = frames.iter().position(|&on| on).expect("the tone is there");
    let mut runs = vec![];
    let mut current = (true, 0);
    for &on in &frames[start..] {
        if on == current.0 {
            current.1 += 1;
        } else {
            runs.push(current.1);
            current = (on, 1);
        }
    }
    runs.push(current.1);
    runs
}

fn assert_cadence(what: &str, samples: &[i16], on_ms: usize, off_ms: usize) {
    let runs = cadence(&tone_frames(samples, TONE_HZ));
    // Whole periods only (the capture may cut the last one).
    let whole = &runs[..runs.len() - 1];
    assert!(whole.len() >= 2, "{what}: cadence {runs:?}");
    for (i, &run) in whole.iter().enumerate() {
        let expected = if i % 2 == 0 { on_ms } else { off_ms } / 20;
        assert!(
            run.abs_diff(expected) <= 1,
            "{what}: run {i} is {run} frames, not {expected}: {runs:?}"
        );
    }
}

#[tokio::test]
async fn busy_offline_action_plays_the_busy_cadence_for_5_s_then_486() {
    let line = line("26000-26099", 25080, &[]).await;
    line.settings(json!({"incoming": {"mode": "receive", "distribution": "random",
        "when_offline": {"action": "busy"}}}))
        .await;
    let heard = refused_caller(&line, 486, 16100);
    assert_cadence("busy", &heard, 200, 200);
    let seconds = heard.len() as f64 / 8000.0;
    assert!((4.6..5.6).contains(&seconds), "{seconds} s of busy tone");
    let call = line.ended_call().await;
    assert_eq!(call["status"], "missed");
    assert_eq!(call["answered_at"], Value::Null, "never answered");
    assert_eq!(events_of(&call, "offline_action")[0]["action"], "busy");
    let ended = events_of(&call, "ended")[0];
    assert_eq!(ended["hangup_by"], "system");
}

#[tokio::test]
async fn ringback_offline_action_rings_for_30_s_then_480() {
    let line = line("26100-26199", 25081, &[]).await;
    line.settings(json!({"incoming": {"mode": "reject", "action": {"action": "ringback"}}})).await;
    let heard = refused_caller(&line, 480, 16110);
    assert_cadence("ringback", &heard, 1500, 3000);
    let seconds = heard.len() as f64 / 8000.0;
    assert!((29.5..31.0).contains(&seconds), "{seconds} s of ringback");
    let call = line.ended_call().await;
    assert_eq!(call["status"], "missed");
    assert_eq!(events_of(&call, "offline_action")[0]["action"], "ringback");
}

#[tokio::test]
async fn disconnect_refuses_with_603_at_once_and_nothing_is_heard() {
    let line = line("26200-26299", 25082, &[]).await;
    line.settings(json!({"incoming": {"mode": "reject", "action": {"action": "disconnect"}}}))
        .await;
    let heard = refused_caller(&line, 603, 16120);
    assert!(heard.len() < 800, "{} samples before the 603", heard.len());
    let call = line.ended_call().await;
    assert_eq!(call["status"], "missed");
    assert_eq!(event_types(&call), ["arrived", "offline_action", "ended"], "{call}");
}

#[tokio::test]
async fn message_offline_action_plays_the_whole_message_then_hangs_up() {
    let line = line("26300-26399", 25083, &[]).await;
    let message = line.audio("hours", 700.0, 2.0).await;
    line.settings(json!({"incoming": {"mode": "receive", "distribution": "random",
        "when_offline": {"action": "message", "audio_id": message}}}))
        .await;
    let capture = Capture::start(16130);
    let run = sipp(
        "caller_waits_bye.xml",
        &line.sip,
        &["-s", NUMBER, "-i", "127.0.0.1", "-p", "25091", "-mp", "16130"],
    );
    assert_passed("the caller (hung up on by the server)", &run);
    let heard = capture.audio();
    let message_ms = tone_ms(&heard, 700.0);
    assert!((1900..=2100).contains(&message_ms), "{message_ms} ms of the 2 s message heard");
    let call = line.ended_call().await;
    assert_eq!(events_of(&call, "offline_action")[0]["action"], "message");
    assert_eq!(events_of(&call, "ended")[0]["hangup_by"], "system");
}

#[tokio::test]
async fn voicemail_greets_beeps_records_the_caller_and_notifies_the_assigned_users() {
    let line = line("26400-26499", 25084, &[("vera", 25070)]).await;
    let greeting = line.audio("greeting", 600.0, 1.0).await;
    // Vera is assigned but her switch is off: nobody online, so the offline action.
    set_online(&line.api, &line.admin, &line.agents[0], false).await;
    line.settings(json!({"incoming": {"mode": "receive", "distribution": "simultaneous",
        "when_offline": {"action": "voicemail", "audio_id": greeting}}}))
        .await;
    // Vera, assigned to the number, listens to her notifications.
    let (_, token) = call(
        Method::POST,
        &format!("{}/v1/users/{}/tokens", line.api, line.agents[0]),
        &line.admin,
        None,
    )
    .await;
    let mut stream = reqwest::Client::new()
        .get(format!("{}/v1/events/stream", line.api))
        .bearer_auth(token["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let capture = Capture::start(16140);
    let run = tone_caller(&line, 25092, 16140, 1300.0, 4000);
    assert_passed("the caller leaving a message", &run);
    let heard = capture.audio();
    // The greeting, then the 1 kHz beep, in that order.
    let greeting_at = tone_frames(&heard, 600.0).iter().position(|&on| on).expect("greeting heard");
    let beep = tone_frames(&heard, 1000.0);
    let beep_at = beep.iter().position(|&on| on).expect("beep heard");
    assert!(beep_at > greeting_at + 40, "beep at frame {beep_at}, greeting at {greeting_at}");
    let beep_ms = beep.iter().filter(|&&on| on).count() * 20;
    assert!((340..=460).contains(&beep_ms), "{beep_ms} ms of beep");

    let call = line.ended_call().await;
    assert_eq!(call["status"], "voicemail");
    let voicemail = call["voicemail_id"].as_str().expect("a voicemail").to_owned();
    let recorded = events_of(&call, "voicemail_recorded")[0];
    let recorded_ms = recorded["duration_ms"].as_u64().unwrap();
    // 4 s of call, minus the greeting (1 s) and the beep (0.4 s).
    assert!((2200..=3000).contains(&recorded_ms), "{recorded_ms} ms recorded");
    let listed = line.get("/v1/voicemails").await;
    assert_eq!(listed[0]["id"], voicemail.as_str());
    assert_eq!(listed[0]["read"], false);
    let audio = reqwest::Client::new()
        .get(format!("{}/v1/voicemails/{voicemail}/audio", line.api))
        .bearer_auth(&line.admin)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let (rate, channels, samples) = read_wav(&audio);
    assert_eq!((rate, channels), (8000, 1));
    common::media::assert_tone("the voicemail", &samples, 8000.0, 1300.0, 600.0);
    // The notification reached the stream of a user assigned to the number.
    let mut seen = String::new();
    let notified = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while !seen.contains("voicemail.created") {
            let chunk = stream.chunk().await.unwrap().expect("the stream stays open");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await;
    assert!(notified.is_ok(), "no voicemail.created on Vera's stream: {seen}");
    assert!(seen.contains(&voicemail), "{seen}");
}

#[tokio::test]
async fn longest_idle_rings_the_idlest_agent_first_and_a_decline_moves_on() {
    let line = line("26500-26599", 25085, &[("ana", 25071), ("bea", 25072)]).await;
    let (ana, bea) = (line.agents[0].clone(), line.agents[1].clone());
    line.settings(json!({"incoming": {"mode": "receive", "distribution": "longest_idle",
        "when_offline": {"action": "busy"}}}))
        .await;
    // Neither has answered a call: the tie goes to the first created, Ana. She declines.
    let ana_phone = SippBackground::start(
        "agent_declines.xml",
        &line.sip,
        &["-s", "ana", "-i", "127.0.0.1", "-p", "25071"],
    );
    let bea_phone = SippBackground::start(
        "agent_answers_call.xml",
        &line.sip,
        &["-s", "bea", "-i", "127.0.0.1", "-p", "25072", "-mp", "16150"],
    );
    let caller = tone_caller(&line, 25093, 16156, 1000.0, 1000);
    assert_passed("the caller", &caller);
    assert_passed("Ana's phone", &ana_phone.finish());
    assert_passed("Bea's phone", &bea_phone.finish());
    let call = line.ended_call().await;
    assert_eq!(call["status"], "answered");
    assert_eq!(call["answered_by"], bea.as_str());
    let offered: Vec<&str> =
        events_of(&call, "offered").iter().map(|e| e["user_id"].as_str().unwrap()).collect();
    assert_eq!(offered, [ana.as_str(), bea.as_str()]);
    assert_eq!(events_of(&call, "rejected")[0]["user_id"], ana.as_str());
}

#[tokio::test]
async fn random_tries_another_agent_when_the_first_does_not_answer_in_time() {
    let line = line("26600-26699", 25086, &[("carl", 25073), ("dora", 25074)]).await;
    let (carl, dora) = (line.agents[0].clone(), line.agents[1].clone());
    line.settings(json!({"incoming": {"mode": "receive", "distribution": "random",
        "ring_timeout_s": 5, "when_offline": {"action": "busy"}}}))
        .await;
    // Carl's phone rings until it is cancelled; Dora answers. Whoever is chosen first, Dora
    // ends up with the call; if Carl was first, only after his 5 s.
    let _carl_phone = SippBackground::start(
        "agent_rings.xml",
        &line.sip,
        &["-s", "carl", "-i", "127.0.0.1", "-p", "25073"],
    );
    let dora_phone = SippBackground::start(
        "agent_answers_call.xml",
        &line.sip,
        &["-s", "dora", "-i", "127.0.0.1", "-p", "25074", "-mp", "16160"],
    );
    let caller = tone_caller(&line, 25094, 16166, 1000.0, 1000);
    assert_passed("the caller", &caller);
    assert_passed("Dora's phone", &dora_phone.finish());
    let call = line.ended_call().await;
    assert_eq!(call["answered_by"], dora.as_str());
    let offered: Vec<&str> =
        events_of(&call, "offered").iter().map(|e| e["user_id"].as_str().unwrap()).collect();
    if offered[0] == carl {
        assert_eq!(offered, [carl.as_str(), dora.as_str()]);
        let no_answer = events_of(&call, "no_answer")[0];
        assert_eq!(no_answer["user_id"], carl.as_str());
        let gap = millis(events_of(&call, "offered")[1]) - millis(events_of(&call, "offered")[0]);
        assert!((4900..=5500).contains(&gap), "Dora rung {gap} ms after Carl");
    } else {
        assert_eq!(offered, [dora.as_str()], "{call}");
    }
}

/// A caller on the trunk (SIP port `port`, media port `media`) who streams a `freq` tone from
/// the answer on, for `duration_ms`, then hangs up.
fn tone_caller(line: &Line, port: u16, media: u16, freq: f64, duration_ms: u32) -> SippRun {
    let tone = g711_tone_wav(Codec::Pcmu, freq, 10.0);
    let (port, media, duration) = (port.to_string(), media.to_string(), duration_ms.to_string());
    sipp_with(
        "caller_tone.xml",
        &line.sip,
        &["-s", NUMBER, "-i", "127.0.0.1", "-p", &port, "-mp", &media, "-d", &duration],
        &[("caller_tone.wav", &tone)],
    )
}

fn millis(event: &Value) -> i64 {
    let at: jiff::Timestamp = event["at"].as_str().unwrap().parse().unwrap();
    at.as_millisecond()
}

/// A caller whose call leaves over the trunk to `to`: the SIPp carrier on `carrier_port` must
/// see `to` in the Request-URI, and each side must hear the other. Returns the ended call.
async fn through_the_carrier(
    line: &Line,
    to: &str,
    carrier_port: u16,
    media: u16,
    caller: u16,
) -> Value {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("carrier_tone.wav"), g711_tone_wav(Codec::Pcmu, 440.0, 10.0))
        .unwrap();
    let carrier = SippBackground::start_in(
        dir,
        "carrier_answers.xml",
        &line.sip,
        &[
            "-i",
            "127.0.0.1",
            "-p",
            &carrier_port.to_string(),
            "-mp",
            &media.to_string(),
            "-trace_logs",
        ],
    );
    let capture = Capture::start(media + 6);
    let run = tone_caller(line, caller, media + 6, 1000.0, 2000);
    assert_passed("the caller", &run);
    let carrier = carrier.finish();
    assert_passed("the carrier", &carrier);
    assert!(
        carrier.output.contains(&format!("request-uri: INVITE sip:{to}@")),
        "{}",
        carrier.output
    );
    common::media::assert_tone(
        "the caller hears the carrier",
        &capture.audio(),
        8000.0,
        440.0,
        1000.0,
    );
    line.ended_call().await
}

#[tokio::test]
async fn forward_mode_sends_the_call_over_the_trunk_and_bridges_the_audio() {
    let line = line("26700-26799", 25087, &[]).await;
    line.settings(json!({"record_calls": true,
        "incoming": {"mode": "forward", "forward_to": "+34600000042"}}))
        .await;
    let call = through_the_carrier(&line, "+34600000042", 25087, 16170, 25095).await;
    assert_eq!(call["status"], "forwarded");
    assert_eq!(events_of(&call, "forwarded")[0]["to"], "+34600000042");
    assert!(call["recording_id"].is_string(), "forwarded calls are recorded: {call}");
    // Billed like an outbound call: one started minute to a Spanish mobile.
    assert_eq!(call["cost"], json!({"amount": "0.0240", "currency": "EUR"}), "{call}");
    assert_eq!(events_of(&call, "ended")[0]["cost"], call["cost"]);
}

#[tokio::test]
async fn transfer_offline_action_sends_the_call_over_the_trunk_when_nobody_is_online() {
    let line = line("27400-27499", 25099, &[]).await;
    line.settings(json!({"incoming": {"mode": "receive", "distribution": "random",
        "when_offline": {"action": "transfer", "to": "+34910000099"}}}))
        .await;
    let call = through_the_carrier(&line, "+34910000099", 25099, 16250, 25150).await;
    assert_eq!(call["status"], "forwarded");
    assert_eq!(events_of(&call, "offline_action")[0]["action"], "transfer");
    assert_eq!(events_of(&call, "transferred")[0]["to"], "+34910000099");
    // A Spanish landline: the "34" rate, one started minute.
    assert_eq!(call["cost"], json!({"amount": "0.0100", "currency": "EUR"}), "{call}");
}

#[tokio::test]
async fn forward_outside_the_allowed_destinations_is_refused_before_any_leg() {
    // Nothing listens on the carrier port: a leg sent there would time out, not be refused.
    let line = line("27000-27099", 25098, &[]).await;
    line.settings(json!({"incoming": {"mode": "forward", "forward_to": "+882100000001"}})).await;
    refused_caller(&line, 403, 16200);
    let call = line.ended_call().await;
    assert_eq!(call["status"], "missed");
    assert_eq!(call["cost"], Value::Null);
    let ended = events_of(&call, "ended")[0];
    assert_eq!(ended["reason"], "destination_not_allowed", "{call}");
    assert!(events_of(&call, "forwarded").is_empty(), "no leg was created: {call}");
}

#[tokio::test]
async fn ivr_prompt_then_a_key_sent_as_sip_info_plays_the_option() {
    let line = line("26800-26899", 25088, &[]).await;
    let prompt = line.audio("menu", 600.0, 1.0).await;
    let hours = line.audio("hours", 700.0, 1.0).await;
    let (status, ivr) = call(
        Method::POST,
        &format!("{}/v1/ivrs", line.api),
        &line.admin,
        Some(json!({"name": "Main", "prompt_audio_id": prompt, "timeout_s": 5, "repeats": 1,
            "options": {"1": {"action": "message", "audio_id": hours}}})),
    )
    .await;
    assert_eq!(status, 201, "{ivr}");
    line.settings(json!({"ivr_id": ivr["id"], "incoming": {"mode": "receive",
        "distribution": "random", "when_offline": {"action": "busy"}}}))
        .await;
    let capture = Capture::start(16180);
    let caller = sipp(
        "caller_presses_info.xml",
        &line.sip,
        &[
            "-s",
            NUMBER,
            "-i",
            "127.0.0.1",
            "-p",
            "25096",
            "-mp",
            "16180",
            "-d",
            "1500",
            "-key",
            "digit",
            "1",
        ],
    );
    assert_passed("the caller", &caller);
    let heard = capture.audio();
    let prompt_at = tone_frames(&heard, 600.0).iter().position(|&on| on).expect("prompt heard");
    let option = tone_frames(&heard, 700.0);
    let option_at = option.iter().position(|&on| on).expect("the option's message heard");
    assert!(option_at > prompt_at);
    let option_ms = option.iter().filter(|&&on| on).count() * 20;
    let picture: String = tone_frames(&heard, 600.0)
        .iter()
        .zip(&option)
        .map(|(&p, &o)| match (p, o) {
            (true, _) => 'p',
            (_, true) => 'o',
            _ => '.',
        })
        .collect();
    assert!((900..=1100).contains(&option_ms), "{option_ms} ms of the option's message: {picture}");
    let call = line.ended_call().await;
    let types = event_types(&call);
    assert_eq!(&types[..3], ["arrived", "ivr_prompt", "ivr_digit"], "{call}");
    assert_eq!(events_of(&call, "ivr_digit")[0]["digit"], "1");
}

#[tokio::test]
async fn welcome_message_plays_before_the_agent_is_rung() {
    let line = line("26900-26999", 25089, &[("eva", 25075)]).await;
    let welcome = line.audio("welcome", 600.0, 1.5).await;
    line.settings(json!({"welcome_audio_id": welcome, "incoming": {"mode": "receive",
        "distribution": "simultaneous", "when_offline": {"action": "busy"}}}))
        .await;
    let phone = SippBackground::start(
        "agent_answers_call.xml",
        &line.sip,
        &["-s", "eva", "-i", "127.0.0.1", "-p", "25075", "-mp", "16190"],
    );
    let capture = Capture::start(16196);
    let caller = tone_caller(&line, 25097, 16196, 1000.0, 1000);
    assert_passed("the caller", &caller);
    assert_passed("Eva's phone", &phone.finish());
    let heard = capture.audio();
    let welcome_ms = tone_ms(&heard, 600.0);
    assert!((1400..=1600).contains(&welcome_ms), "{welcome_ms} ms of the welcome message");
    let call = line.ended_call().await;
    let played = events_of(&call, "welcome_played")[0];
    let offered = events_of(&call, "offered")[0];
    assert!(millis(offered) - millis(played) >= 1400, "Eva rung before the welcome ended: {call}");
    assert_eq!(call["answered_by"], line.agents[0].as_str());
}
