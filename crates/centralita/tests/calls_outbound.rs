//! Outbound calls from an agent's phone: a SIPp phone registered with digest dials a lead;
//! the call leaves over the trunk to a SIPp carrier with the lead in the Request-URI and the
//! agent's number as caller ID, audio flows both ways, and the history shows an outbound call
//! with its recording and its cost.

mod common;

use centralita_media::Codec;
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
