//! Outbound calls from an agent's phone: a SIPp phone registered with digest dials a lead;
//! the call leaves over the trunk to a SIPp carrier with the lead in the Request-URI and the
//! agent's number as caller ID, audio flows both ways, and the history shows an outbound call
//! with its recording and its cost.

mod common;

use centralita_media::Codec;
use common::media::wait_until;
use common::media::{Capture, assert_tone, g711_tone_wav};
use common::{SippBackground, account, call, sipp, sipp_with, start};
use reqwest::Method;
use serde_json::json;

const OPERATOR: &str = "operator-secret-for-tests";

#[tokio::test]
async fn an_agents_phone_dials_a_lead_over_the_trunk_with_the_agents_number() {
    let dir = tempfile::tempdir().unwrap();
    let mut running = start(
        dir.path(),
        &[
            ("CENTRALITA_OPERATOR_TOKEN", OPERATOR),
            ("CENTRALITA_RTP_PORT_RANGE", "27100-27199"),
            (
                "CENTRALITA_TRUNK",
                r#"[{name="carrier", inbound_from=["127.0.0.1/32"], outbound_uri="sip:127.0.0.1:25130"}]"#,
            ),
            ("CENTRALITA_BILLING_RATES", r#"[{prefix="346", per_minute="0.0240"}]"#),
        ],
    );
    let (api, sip) = (running.api(), running.sip());
    let admin = account(&api, OPERATOR).await;
    let (_, olga) = call(
        Method::POST,
        &format!("{api}/v1/users"),
        &admin,
        Some(json!({"name": "Olga", "email": "olga@acme.example", "role": "agent",
            "password": "user password", "sip_username": "olga", "sip_password": "olgasecret1"})),
    )
    .await;
    let olga = olga["id"].as_str().unwrap().to_owned();
    // A number created after Olga is assigned to her; it records its calls.
    let (_, number) = call(
        Method::POST,
        &format!("{api}/v1/numbers"),
        &admin,
        Some(json!({"e164": "+34910000001"})),
    )
    .await;
    let settings = json!({"record_calls": true, "incoming": {"mode": "receive",
        "distribution": "random", "when_offline": {"action": "busy"}}, "assigned_user_ids": [olga]});
    let (status, _) = call(
        Method::PUT,
        &format!("{api}/v1/numbers/{}/settings", number["id"].as_str().unwrap()),
        &admin,
        Some(settings),
    )
    .await;
    assert_eq!(status, 200);
    let auth = ["-au", "olga", "-ap", "olgasecret1", "-i", "127.0.0.1", "-p", "25131"];
    let register = sipp("register.xml", &sip, &[&["-s", "olga"][..], &auth[..]].concat());
    assert!(register.status.success(), "{}", register.output);

    let carrier_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        carrier_dir.path().join("carrier_tone.wav"),
        g711_tone_wav(Codec::Pcmu, 440.0, 10.0),
    )
    .unwrap();
    let carrier = SippBackground::start_in(
        carrier_dir,
        "carrier_answers.xml",
        &sip,
        &["-i", "127.0.0.1", "-p", "25130", "-mp", "16210", "-trace_logs"],
    );
    let heard = Capture::start(16216);
    let phone = sipp_with(
        "device_dials_out.xml",
        &sip,
        &[&["-s", "+34600000042", "-mp", "16216", "-d", "2000"][..], &auth[..]].concat(),
        &[("caller_tone.wav", &g711_tone_wav(Codec::Pcmu, 1000.0, 10.0))],
    );
    assert!(phone.status.success(), "the phone's call failed:\n{}", phone.output);
    let carrier = carrier.finish();
    assert!(carrier.status.success(), "the carrier failed:\n{}", carrier.output);
    assert!(carrier.output.contains("request-uri: INVITE sip:+34600000042@"), "{}", carrier.output);
    let from = carrier.output.lines().find(|l| l.contains("from: ")).unwrap_or_default().to_owned();
    assert!(from.contains("+34910000001"), "caller ID is the agent's number: {from}");
    assert_tone("the agent hears the lead", &heard.audio(), 8000.0, 440.0, 1000.0);

    let calls = || async { call(Method::GET, &format!("{api}/v1/calls"), &admin, None).await.1 };
    common::media::wait_until("the call is in the history, ended", || async {
        calls().await[0]["status"].as_str().is_some_and(|s| s != "in_progress")
    })
    .await;
    let last = calls().await[0].clone();
    assert_eq!(last["direction"], "outbound", "{last}");
    assert_eq!(last["user_id"], olga.as_str());
    assert_eq!(
        (last["from"].as_str(), last["to"].as_str()),
        (Some("+34910000001"), Some("+34600000042"))
    );
    assert_eq!(last["status"], "answered");
    assert!(last["recording_id"].is_string(), "recorded like the number's inbound calls: {last}");
    assert_eq!(last["cost"], json!({"amount": "0.0240", "currency": "EUR"}));
    drop(running);
}

/// A WAV tone for an upload (8 kHz mono 16-bit).
fn tone_upload(freq: f64, seconds: f64) -> Vec<u8> {
    let n = (8000.0 * seconds) as usize;
    let mut data = Vec::with_capacity(n * 2);
    for i in 0..n {
        let x = ((2.0 * std::f64::consts::PI * freq * i as f64 / 8000.0).sin() * 10_000.0) as i16;
        data.extend_from_slice(&x.to_le_bytes());
    }
    let mut wav = centralita_audio::WavHeader::pcm16(1, 8000).bytes(data.len() as u32).to_vec();
    wav.extend_from_slice(&data);
    wav
}

/// Milliseconds of `freq` in what was heard (20 ms frames where most of the power is there).
fn tone_ms(heard: &[i16], freq: f64) -> usize {
    heard
        .chunks_exact(160)
        .filter(|f| {
            let mean_square = f.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / 160.0;
            mean_square > 1.0e4 && common::media::energy(f, 8000.0, freq) > 0.3 * mean_square * 80.0
        })
        .count()
        * 20
}

#[tokio::test]
async fn voicedrop_by_api_plays_the_whole_message_to_the_lead_after_the_agent_is_released() {
    voicedrop(false, 0).await;
}

#[tokio::test]
async fn voicedrop_by_star_nine_on_the_phone_does_the_same() {
    voicedrop(true, 1).await;
}

/// An outbound call to a lead's voicemail box, then the voicedrop, sent by the API or by the
/// phone's keys (`*9` as SIP INFO); `n` keeps the two runs' ports apart.
async fn voicedrop(by_phone: bool, n: u16) {
    let dir = tempfile::tempdir().unwrap();
    let port = |base: u16| (base + 100 * n).to_string();
    let rtp = format!("{}-{}", 27200 + 100 * n, 27299 + 100 * n);
    let trunk = format!(
        r#"[{{name="carrier", inbound_from=["127.0.0.1/32"], outbound_uri="sip:127.0.0.1:{}"}}]"#,
        port(25140)
    );
    let mut running = start(
        dir.path(),
        &[
            ("CENTRALITA_OPERATOR_TOKEN", OPERATOR),
            ("CENTRALITA_RTP_PORT_RANGE", &rtp),
            ("CENTRALITA_TRUNK", &trunk),
        ],
    );
    let (api, sip) = (running.api(), running.sip());
    let admin = account(&api, OPERATOR).await;
    let (_, pablo) = call(
        Method::POST,
        &format!("{api}/v1/users"),
        &admin,
        Some(json!({"name": "Pablo", "email": "pablo@acme.example", "role": "agent",
            "password": "user password", "sip_username": "pablo", "sip_password": "pablosecret1"})),
    )
    .await;
    let pablo = pablo["id"].as_str().unwrap().to_owned();
    let (_, token) =
        call(Method::POST, &format!("{api}/v1/users/{pablo}/tokens"), &admin, None).await;
    let pablo_token = token["token"].as_str().unwrap().to_owned();
    let message: serde_json::Value = reqwest::Client::new()
        .post(format!("{api}/v1/audio?name=drop"))
        .bearer_auth(&admin)
        .header("Content-Type", "audio/wav")
        .body(tone_upload(700.0, 2.0))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (_, number) = call(
        Method::POST,
        &format!("{api}/v1/numbers"),
        &admin,
        Some(json!({"e164": format!("+3491000000{}", 2 + n)})),
    )
    .await;
    let settings = json!({"record_calls": false, "voicedrop_audio_id": message["id"],
        "incoming": {"mode": "receive", "distribution": "random", "when_offline": {"action": "busy"}},
        "assigned_user_ids": [pablo]});
    let (status, body) = call(
        Method::PUT,
        &format!("{api}/v1/numbers/{}/settings", number["id"].as_str().unwrap()),
        &admin,
        Some(settings),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let phone_port = port(25141);
    let auth = ["-au", "pablo", "-ap", "pablosecret1", "-i", "127.0.0.1", "-p", &phone_port];
    let register = sipp("register.xml", &sip, &[&["-s", "pablo"][..], &auth[..]].concat());
    assert!(register.status.success(), "{}", register.output);

    // The carrier answers two calls: the lead with the voicemail box, then the next lead.
    let carrier_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        carrier_dir.path().join("carrier_tone.wav"),
        g711_tone_wav(Codec::Pcmu, 440.0, 10.0),
    )
    .unwrap();
    let carrier = SippBackground::start_in(
        carrier_dir,
        "carrier_answers.xml",
        &sip,
        &["-i", "127.0.0.1", "-p", &port(25140), "-mp", &(16230 + 100 * n).to_string(), "-m", "2"],
    );
    let lead_hears = Capture::start(16230 + 100 * n);
    // The phone stays on the call until the server releases it (a BYE, not its own).
    let phone_dir = tempfile::tempdir().unwrap();
    let scenario =
        std::fs::read_to_string(common::scenarios().join("device_dials_out.xml")).unwrap();
    let tail = scenario.find("  <pause/>").unwrap();
    // With the keys, the phone presses * then 9 as SIP INFO a second after the answer.
    let keys = if by_phone {
        ["*", "9"]
            .iter()
            .enumerate()
            .map(|(i, key)| {
                format!(
                    "  <pause milliseconds=\"{}\"/>\n  <send retrans=\"500\">\n    <![CDATA[\n      INFO [next_url] SIP/2.0\n      \
                     Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport\n      Max-Forwards: 70\n      \
                     From: <sip:agent@[remote_ip]>;tag=[pid]SIPpTag[call_number]\n      [last_To:]\n      Call-ID: [call_id]\n      \
                     CSeq: {} INFO\n      Content-Type: application/dtmf-relay\n      Content-Length: [len]\n\n      \
                     Signal={key}\n      Duration=160\n\n    ]]>\n  </send>\n  <recv response=\"200\"/>\n",
                    if i == 0 { 1000 } else { 200 },
                    3 + i
                )
            })
            .collect::<String>()
    } else {
        String::new()
    };
    let released = format!(
        "{}{keys}  <recv request=\"BYE\"/>\n  <send>\n    <![CDATA[\n      SIP/2.0 200 OK\n      [last_Via:]\n      \
         [last_From:]\n      [last_To:]\n      [last_Call-ID:]\n      [last_CSeq:]\n      Content-Length: 0\n\n    ]]>\n  \
         </send>\n</scenario>\n",
        &scenario[..tail]
    );
    let released_path = phone_dir.path().join("device_released.xml");
    std::fs::write(&released_path, released).unwrap();
    std::fs::write(
        phone_dir.path().join("caller_tone.wav"),
        g711_tone_wav(Codec::Pcmu, 1000.0, 30.0),
    )
    .unwrap();
    let phone = SippBackground::start_in(
        phone_dir,
        released_path.to_str().unwrap(),
        &sip,
        &[&["-s", "+34600000042", "-mp", &(16236 + 100 * n).to_string()][..], &auth[..]].concat(),
    );
    let calls = || async { call(Method::GET, &format!("{api}/v1/calls"), &admin, None).await.1 };
    wait_until("the lead answered", || async {
        calls().await[0]["events"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["type"] == "answered"))
    })
    .await;
    let id = calls().await[0]["id"].as_str().unwrap().to_owned();
    if !by_phone {
        // Only Pablo may send it.
        let path = format!("{api}/v1/calls/{id}/voicedrop");
        let (status, _) = call(Method::POST, &path, &admin, None).await;
        assert_eq!(status, 403);
        let (status, body) = call(Method::POST, &path, &pablo_token, None).await;
        assert_eq!(status, 202, "{body}");
    }
    let phone = phone.finish();
    assert!(phone.status.success(), "the phone is released with a BYE:\n{}", phone.output);

    // Released at once: the phone places the next call while the message still plays.
    let next = sipp_with(
        "device_dials_out.xml",
        &sip,
        &[
            &["-s", "+34600000043", "-mp", &(16246 + 100 * n).to_string(), "-d", "500"][..],
            &auth[..],
        ]
        .concat(),
        &[("caller_tone.wav", &g711_tone_wav(Codec::Pcmu, 1000.0, 5.0))],
    );
    assert!(next.status.success(), "the next call:\n{}", next.output);
    let carrier = carrier.finish();
    assert!(carrier.status.success(), "the carrier:\n{}", carrier.output);
    let message_ms = tone_ms(&lead_hears.audio(), 700.0);
    assert!(
        (1900..=2100).contains(&message_ms),
        "the lead heard {message_ms} ms of the 2 s message"
    );

    wait_until("the voicedrop call ended", || async {
        let all = calls().await;
        all.as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id.as_str() && c["status"] != "in_progress")
    })
    .await;
    let (_, dropped) = call(Method::GET, &format!("{api}/v1/calls/{id}"), &admin, None).await;
    let types: Vec<&str> =
        dropped["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["arrived", "answered", "voicedrop", "ended"], "{dropped}");
    let ended = dropped["events"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (ended["reason"].as_str(), ended["hangup_by"].as_str()),
        (Some("voicedrop"), Some("system"))
    );
    drop(running);
}
