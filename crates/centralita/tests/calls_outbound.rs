//! Outbound calls from an agent's phone: a SIPp phone registered with digest dials a lead;
//! the call leaves over the trunk to a SIPp carrier with the lead in the Request-URI and the
//! agent's number as caller ID, audio flows both ways, and the history shows an outbound call
//! with its recording and its cost. Then the voicedrop, by the API and by the phone's keys.

mod common;

use centralita_media::Codec;
use common::media::{Capture, assert_tone, g711_tone_wav, pcm_tone_wav, tone_ms, wait_until};
use common::{
    Running, SippBackground, SippRun, account, call, number, put_settings, sip_agent, sipp,
    sipp_with, start, upload_audio,
};
use reqwest::Method;
use serde_json::{Value, json};

const OPERATOR: &str = "operator-secret-for-tests";
const LEAD: &str = "+34600000042";

/// A server whose trunk goes out to a SIPp carrier on `ports.carrier`, and an agent whose
/// phone is registered from `ports.phone`, with one number assigned to them.
struct Office {
    _running: Running,
    api: String,
    sip: String,
    admin: String,
    agent: String,
    number: String,
    /// The phone's SIPp arguments: digest credentials and its address.
    auth: Vec<String>,
    _dir: tempfile::TempDir,
}

struct Ports {
    rtp: &'static str,
    carrier: u16,
    phone: u16,
}

/// `settings` are the number's, less `assigned_user_ids` (the agent).
async fn office(ports: &Ports, e164: &str, name: &str, mut settings: Value) -> Office {
    let dir = tempfile::tempdir().unwrap();
    let trunk = format!(
        r#"[{{name="carrier", inbound_from=["127.0.0.1/32"], outbound_uri="sip:127.0.0.1:{}"}}]"#,
        ports.carrier
    );
    let mut running = start(
        dir.path(),
        &[
            ("CENTRALITA_OPERATOR_TOKEN", OPERATOR),
            ("CENTRALITA_RTP_PORT_RANGE", ports.rtp),
            ("CENTRALITA_TRUNK", &trunk),
            ("CENTRALITA_BILLING_RATES", r#"[{prefix="346", per_minute="0.0240"}]"#),
        ],
    );
    let (api, sip) = (running.api(), running.sip());
    let admin = account(&api, OPERATOR).await;
    let password = format!("{name}secret1");
    let agent = sip_agent(&api, &admin, name, &password).await;
    let number = number(&api, &admin, e164).await;
    settings["assigned_user_ids"] = json!([agent]);
    put_settings(&api, &admin, &number, settings).await;
    let auth: Vec<String> =
        ["-au", name, "-ap", &password, "-i", "127.0.0.1", "-p", &ports.phone.to_string()]
            .map(str::to_owned)
            .into();
    let office = Office { _running: running, api, sip, admin, agent, number, auth, _dir: dir };
    let register = office.phone_run("register.xml", &["-s", name]);
    assert!(register.status.success(), "{}", register.output);
    office
}

impl Office {
    /// `args` then the phone's credentials and address.
    fn phone_args<'a>(&'a self, args: &[&'a str]) -> Vec<&'a str> {
        args.iter().copied().chain(self.auth.iter().map(String::as_str)).collect()
    }

    fn phone_run(&self, scenario: &str, args: &[&str]) -> SippRun {
        sipp(scenario, &self.sip, &self.phone_args(args))
    }

    /// The carrier, answering `calls` calls with a 440 Hz tone, media on `media`.
    fn carrier(&self, ports: &Ports, media: u16, calls: &str) -> SippBackground {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("carrier_tone.wav"),
            g711_tone_wav(Codec::Pcmu, 440.0, 10.0),
        )
        .unwrap();
        let port = ports.carrier.to_string();
        let media = media.to_string();
        SippBackground::start_in(
            dir,
            "carrier_answers.xml",
            &self.sip,
            &["-i", "127.0.0.1", "-p", &port, "-mp", &media, "-m", calls, "-trace_logs"],
        )
    }

    async fn calls(&self) -> Value {
        call(Method::GET, &format!("{}/v1/calls", self.api), &self.admin, None).await.1
    }
}

#[tokio::test]
async fn an_agents_phone_dials_a_lead_over_the_trunk_with_the_agents_number() {
    let ports = Ports { rtp: "27100-27199", carrier: 25130, phone: 25131 };
    // The number records its calls, outbound ones too.
    let settings = json!({"record_calls": true, "incoming": {"mode": "receive",
        "distribution": "random", "when_offline": {"action": "busy"}}});
    let office = office(&ports, "+34910000001", "olga", settings).await;
    let carrier = office.carrier(&ports, 16210, "1");
    let heard = Capture::start(16216);
    let phone = sipp_with(
        "device_dials_out.xml",
        &office.sip,
        &office.phone_args(&["-s", LEAD, "-mp", "16216", "-d", "2000"]),
        &[("caller_tone.wav", &g711_tone_wav(Codec::Pcmu, 1000.0, 10.0))],
    );
    assert!(phone.status.success(), "the phone's call failed:\n{}", phone.output);
    let carrier = carrier.finish();
    assert!(carrier.status.success(), "the carrier failed:\n{}", carrier.output);
    assert!(
        carrier.output.contains(&format!("request-uri: INVITE sip:{LEAD}@")),
        "{}",
        carrier.output
    );
    let from = carrier.output.lines().find(|l| l.contains("from: ")).unwrap_or_default().to_owned();
    assert!(from.contains("+34910000001"), "caller ID is the agent's number: {from}");
    assert_tone("the agent hears the lead", &heard.audio(), 8000.0, 440.0, 1000.0);

    wait_until("the call is in the history, ended", || async {
        office.calls().await[0]["status"].as_str().is_some_and(|s| s != "in_progress")
    })
    .await;
    let last = office.calls().await[0].clone();
    assert_eq!(last["direction"], "outbound", "{last}");
    assert_eq!(last["user_id"], office.agent.as_str());
    assert_eq!((last["from"].as_str(), last["to"].as_str()), (Some("+34910000001"), Some(LEAD)));
    assert_eq!(last["status"], "answered");
    assert!(last["recording_id"].is_string(), "recorded like the number's inbound calls: {last}");
    assert_eq!(last["cost"], json!({"amount": "0.0240", "currency": "EUR"}));
}

#[tokio::test]
async fn voicedrop_by_api_plays_the_whole_message_to_the_lead_after_the_agent_is_released() {
    voicedrop(false, &Ports { rtp: "27200-27299", carrier: 25140, phone: 25141 }, 16230).await;
}

#[tokio::test]
async fn voicedrop_by_star_nine_on_the_phone_does_the_same() {
    voicedrop(true, &Ports { rtp: "27300-27399", carrier: 25240, phone: 25241 }, 16330).await;
}

/// The phone's scenario for a call it does not end itself: it dials, then (with `keys`)
/// presses * and 9 as SIP INFO, and waits for the server's BYE.
fn released_scenario(keys: bool) -> String {
    let scenario =
        std::fs::read_to_string(common::scenarios().join("device_dials_out.xml")).unwrap();
    let tail = scenario.find("  <pause/>").unwrap();
    let info = |pause: u32, cseq: u32, key: &str| {
        format!(
            "  <pause milliseconds=\"{pause}\"/>\n  <send retrans=\"500\">\n    <![CDATA[\n      INFO [next_url] SIP/2.0\n      \
             Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport\n      Max-Forwards: 70\n      \
             From: <sip:agent@[remote_ip]>;tag=[pid]SIPpTag[call_number]\n      [last_To:]\n      Call-ID: [call_id]\n      \
             CSeq: {cseq} INFO\n      Content-Type: application/dtmf-relay\n      Content-Length: [len]\n\n      \
             Signal={key}\n      Duration=160\n\n    ]]>\n  </send>\n  <recv response=\"200\"/>\n"
        )
    };
    let keys = if keys { info(1000, 3, "*") + &info(200, 4, "9") } else { String::new() };
    format!(
        "{}{keys}  <recv request=\"BYE\"/>\n  <send>\n    <![CDATA[\n      SIP/2.0 200 OK\n      [last_Via:]\n      \
         [last_From:]\n      [last_To:]\n      [last_Call-ID:]\n      [last_CSeq:]\n      Content-Length: 0\n\n    ]]>\n  \
         </send>\n</scenario>\n",
        &scenario[..tail]
    )
}

/// An outbound call to a lead's voicemail box, then the voicedrop, sent by the API or by the
/// phone's keys (`*9` as SIP INFO); `media` is the first of the run's media ports.
async fn voicedrop(by_phone: bool, ports: &Ports, media: u16) {
    let settings = json!({"record_calls": false, "incoming": {"mode": "receive",
        "distribution": "random", "when_offline": {"action": "busy"}}});
    let e164 = if by_phone { "+34910000003" } else { "+34910000002" };
    let office = office(ports, e164, "pablo", settings.clone()).await;
    let message =
        upload_audio(&office.api, &office.admin, "drop", pcm_tone_wav(700.0, 2.0, 8000, 1)).await;
    let mut settings = settings;
    settings["voicedrop_audio_id"] = json!(message);
    settings["assigned_user_ids"] = json!([office.agent]);
    put_settings(&office.api, &office.admin, &office.number, settings).await;
    let (_, token) = call(
        Method::POST,
        &format!("{}/v1/users/{}/tokens", office.api, office.agent),
        &office.admin,
        None,
    )
    .await;
    let agent_token = token["token"].as_str().unwrap().to_owned();

    // The carrier answers two calls: the lead with the voicemail box, then the next lead.
    let carrier = office.carrier(ports, media, "2");
    let lead_hears = Capture::start(media);
    let phone_dir = tempfile::tempdir().unwrap();
    let released_path = phone_dir.path().join("device_released.xml");
    std::fs::write(&released_path, released_scenario(by_phone)).unwrap();
    std::fs::write(
        phone_dir.path().join("caller_tone.wav"),
        g711_tone_wav(Codec::Pcmu, 1000.0, 30.0),
    )
    .unwrap();
    let phone_media = (media + 6).to_string();
    let phone = SippBackground::start_in(
        phone_dir,
        released_path.to_str().unwrap(),
        &office.sip,
        &office.phone_args(&["-s", LEAD, "-mp", &phone_media]),
    );
    wait_until("the lead answered", || async {
        office.calls().await[0]["events"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["type"] == "answered"))
    })
    .await;
    let id = office.calls().await[0]["id"].as_str().unwrap().to_owned();
    if !by_phone {
        // Only the agent on the call may send it.
        let path = format!("{}/v1/calls/{id}/voicedrop", office.api);
        let (status, _) = call(Method::POST, &path, &office.admin, None).await;
        assert_eq!(status, 403);
        let (status, body) = call(Method::POST, &path, &agent_token, None).await;
        assert_eq!(status, 202, "{body}");
    }
    let phone = phone.finish();
    assert!(phone.status.success(), "the phone is released with a BYE:\n{}", phone.output);

    // Released at once: the phone places the next call while the message still plays.
    let next_media = (media + 16).to_string();
    let next = sipp_with(
        "device_dials_out.xml",
        &office.sip,
        &office.phone_args(&["-s", "+34600000043", "-mp", &next_media, "-d", "500"]),
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
        let all = office.calls().await;
        all.as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id.as_str() && c["status"] != "in_progress")
    })
    .await;
    let (_, dropped) =
        call(Method::GET, &format!("{}/v1/calls/{id}", office.api), &office.admin, None).await;
    let types: Vec<&str> =
        dropped["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["arrived", "answered", "voicedrop", "ended"], "{dropped}");
    let ended = dropped["events"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (ended["reason"].as_str(), ended["hangup_by"].as_str()),
        (Some("voicedrop"), Some("system"))
    );
}
