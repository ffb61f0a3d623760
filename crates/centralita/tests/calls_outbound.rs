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

    /// Uploads a 2 s 700 Hz voicedrop message and sets it on the number, whose other
    /// `settings` stay (assigned to the agent).
    async fn add_voicedrop(&self, mut settings: Value) {
        let message =
            upload_audio(&self.api, &self.admin, "drop", pcm_tone_wav(700.0, 2.0, 8000, 1)).await;
        settings["voicedrop_audio_id"] = json!(message);
        settings["assigned_user_ids"] = json!([self.agent]);
        put_settings(&self.api, &self.admin, &self.number, settings).await;
    }

    async fn calls(&self) -> Value {
        call(Method::GET, &format!("{}/v1/calls", self.api), &self.admin, None).await.1
    }
}

/// The carrier got the call for `to` (the Request-URI user part) from `from` (caller ID).
fn assert_reached(carrier: &SippRun, to: &str, from: &str) {
    let uri = format!("request-uri: INVITE sip:{to}@");
    assert!(carrier.output.contains(&uri), "{}", carrier.output);
    let seen = carrier.output.lines().find(|l| l.contains("from: ")).unwrap_or_default();
    assert!(seen.contains(from), "the caller ID is {from}: {seen}");
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
    assert_reached(&carrier, LEAD, "+34910000001");
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
    office.add_voicedrop(settings).await;
    let agent_token = token_of(&office, &office.agent).await;

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

/// The agent's own token.
async fn token_of(office: &Office, user: &str) -> String {
    let path = format!("{}/v1/users/{user}/tokens", office.api);
    let (_, token) = call(Method::POST, &path, &office.admin, None).await;
    token["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn click_to_call_rings_the_agents_phone_then_the_lead_and_the_voicedrop_releases_it() {
    let ports = Ports { rtp: "27400-27499", carrier: 25150, phone: 25151 };
    let settings = json!({"record_calls": true, "incoming": {"mode": "receive",
        "distribution": "random", "when_offline": {"action": "busy"}}});
    let office = office(&ports, "+34910000004", "quima", settings.clone()).await;
    office.add_voicedrop(settings).await;
    let agent_token = token_of(&office, &office.agent).await;

    let carrier = office.carrier(&ports, 16400, "1");
    let lead_hears = Capture::start(16400);
    let agent_hears = Capture::start(16406);
    // The agent's phone answers our INVITE and waits for our BYE.
    let phone = SippBackground::start(
        "agent_answers_call.xml",
        &office.sip,
        &["-s", "quima", "-i", "127.0.0.1", "-p", "25151", "-mp", "16406"],
    );
    // Dialled as people write national numbers: the account is in Spain.
    let (status, placed) = call(
        Method::POST,
        &format!("{}/v1/calls", office.api),
        &agent_token,
        Some(json!({"to": "600 00 00 42"})),
    )
    .await;
    assert_eq!(status, 201, "{placed}");
    assert_eq!(
        (placed["to"].as_str(), placed["from"].as_str()),
        (Some(LEAD), Some("+34910000004"))
    );
    let id = placed["id"].as_str().unwrap().to_owned();
    let path = format!("{}/v1/calls/{id}", office.api);
    wait_until("the lead answered", || async {
        let (_, c) = call(Method::GET, &path, &office.admin, None).await;
        c["events"].as_array().is_some_and(|e| e.iter().any(|e| e["type"] == "answered"))
    })
    .await;
    // While the agent talks, nobody else may send their voicedrop.
    let drop_path = format!("{path}/voicedrop");
    let (status, _) = call(Method::POST, &drop_path, &office.admin, None).await;
    assert_eq!(status, 403);
    wait_until("the agent hears the lead", || async {
        tone_ms(&agent_hears.audio_so_far(), 440.0) >= 300
    })
    .await;
    let (status, body) = call(Method::POST, &drop_path, &agent_token, None).await;
    assert_eq!(status, 202, "{body}");
    let phone = phone.finish();
    assert!(phone.status.success(), "the agent's phone is released with a BYE:\n{}", phone.output);
    let carrier = carrier.finish();
    assert!(carrier.status.success(), "the carrier:\n{}", carrier.output);
    assert_reached(&carrier, LEAD, "+34910000004");
    let message_ms = tone_ms(&lead_hears.audio(), 700.0);
    assert!((1900..=2100).contains(&message_ms), "the lead heard {message_ms} ms of 2 s");

    wait_until("the call ended", || async {
        let (_, c) = call(Method::GET, &path, &office.admin, None).await;
        c["status"] != "in_progress"
    })
    .await;
    let (_, done) = call(Method::GET, &path, &office.admin, None).await;
    let types: Vec<&str> =
        done["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["arrived", "answered", "recording_started", "voicedrop", "ended"], "{done}");
    assert_eq!(done["events"][0]["reason"], "click-to-call, answered on the agent's phone");
    assert_eq!(
        (done["direction"].as_str(), done["user_id"].as_str()),
        (Some("outbound"), Some(office.agent.as_str()))
    );
    assert!(done["recording_id"].is_string(), "the number records: {done}");
}

#[tokio::test]
async fn the_accounts_country_caller_id_and_allowed_prefixes_apply_to_outbound_calls() {
    let ports = Ports { rtp: "27500-27599", carrier: 25160, phone: 25161 };
    let settings = json!({"record_calls": false, "incoming": {"mode": "receive",
        "distribution": "random", "when_offline": {"action": "busy"}}});
    let office = office(&ports, "+34910000005", "rosa", settings.clone()).await;
    let second = number(&office.api, &office.admin, "+34910000006").await;
    let mut assigned = settings.clone();
    assigned["assigned_user_ids"] = json!([office.agent]);
    put_settings(&office.api, &office.admin, &second, assigned.clone()).await;
    let account_path = format!("{}/v1/account", office.api);
    let (_, mine) = call(Method::GET, &account_path, &office.admin, None).await;
    assert_eq!(
        (mine["country"].as_str(), mine["allowed_prefixes"].clone()),
        (Some("ES"), json!(["34"]))
    );

    // Rosa chooses her second number; she dials a national number from her phone.
    let user_path = format!("{}/v1/users/{}", office.api, office.agent);
    let (status, body) =
        call(Method::PATCH, &user_path, &office.admin, Some(json!({"default_number_id": second})))
            .await;
    assert_eq!(
        (status, body["default_number_id"].as_str()),
        (200, Some(second.as_str())),
        "{body}"
    );
    let carrier = office.carrier(&ports, 16500, "1");
    let phone = sipp_with(
        "device_dials_out.xml",
        &office.sip,
        &office.phone_args(&["-s", "600000043", "-mp", "16506", "-d", "500"]),
        &[("caller_tone.wav", &g711_tone_wav(Codec::Pcmu, 1000.0, 5.0))],
    );
    assert!(phone.status.success(), "{}", phone.output);
    let carrier = carrier.finish();
    assert!(carrier.status.success(), "{}", carrier.output);
    // Her chosen caller ID.
    assert_reached(&carrier, "+34600000043", "+34910000006");

    // A number that is not hers cannot be her default; nor can another account's.
    let (status, other) = call(
        Method::POST,
        &format!("{}/v1/accounts", office.api),
        OPERATOR,
        Some(json!({"name": "Other", "admin": {"name": "Otto", "email": "otto@other.example",
            "password": "otto password"}})),
    )
    .await;
    assert_eq!(status, 201, "{other}");
    let other_admin = other["token"].as_str().unwrap().to_owned();
    let foreign = number(&office.api, &other_admin, "+34910000007").await;
    for bad in [foreign.as_str(), "not-an-id"] {
        let (status, body) =
            call(Method::PATCH, &user_path, &office.admin, Some(json!({"default_number_id": bad})))
                .await;
        assert_eq!(status, 422, "{bad}: {body}");
    }

    // The admin allows the United Kingdom only: Spain is refused before anything rings,
    // and the refusal is in the history.
    let (status, body) = call(
        Method::PATCH,
        &account_path,
        &office.admin,
        Some(json!({"allowed_prefixes": ["44"], "max_outbound_legs": 5})),
    )
    .await;
    assert_eq!((status, body["allowed_prefixes"].clone()), (200, json!(["44"])), "{body}");
    // Her phone hears the refusal too: the switch applies the new policy at once.
    let refused_phone = office.phone_run("device_refused.xml", &["-s", LEAD, "-mp", "16516"]);
    assert!(refused_phone.status.success(), "{}", refused_phone.output);
    wait_until("the refused call is in the history", || async {
        office.calls().await[0]["status"] == "missed"
    })
    .await;
    let refused = office.calls().await[0].clone();
    assert_eq!(
        refused["events"].as_array().unwrap().last().unwrap()["reason"],
        "destination_not_allowed",
        "{refused}"
    );
    let agent_token = token_of(&office, &office.agent).await;
    let calls_path = format!("{}/v1/calls", office.api);
    let (status, body) =
        call(Method::POST, &calls_path, &agent_token, Some(json!({"to": LEAD}))).await;
    assert_eq!(status, 403, "{body}");
    let refused = office.calls().await[0].clone();
    assert_eq!(refused["to"], LEAD);
    assert_eq!(refused["status"], "missed");
    assert_eq!(refused["events"][1]["reason"], "destination_not_allowed", "{refused}");
    for (bad, field) in [
        (json!({"allowed_prefixes": ["+44"]}), "allowed_prefixes[0]"),
        (json!({"country": "XX"}), "country"),
        (json!({"max_outbound_legs": 0}), "max_outbound_legs"),
        (json!({"default_number_id": foreign}), "default_number_id"),
    ] {
        let (status, body) =
            call(Method::PATCH, &account_path, &office.admin, Some(bad.clone())).await;
        assert_eq!((status, body["error"]["field"].as_str()), (422, Some(field)), "{bad}: {body}");
    }
    let (status, _) =
        call(Method::PATCH, &account_path, &agent_token, Some(json!({"allowed_prefixes": null})))
            .await;
    assert_eq!(status, 403, "agents cannot change the account");

    // A user with no number may not call out: refused, and in the history.
    let lone = common::sip_agent(&office.api, &office.admin, "sara", "sarasecret1").await;
    let lone_token = token_of(&office, &lone).await;
    // New users are assigned to every number: take hers away.
    put_settings(&office.api, &office.admin, &office.number, assigned.clone()).await;
    put_settings(&office.api, &office.admin, &second, assigned).await;
    let (status, body) =
        call(Method::POST, &calls_path, &lone_token, Some(json!({"to": "+442079460018"}))).await;
    assert_eq!(status, 403, "{body}");
    let refused = office.calls().await[0].clone();
    assert_eq!(
        (refused["user_id"].as_str(), refused["number_id"].clone()),
        (Some(lone.as_str()), Value::Null)
    );
    assert_eq!(refused["events"][1]["reason"], "no_caller_id", "{refused}");
    // A caller ID that is not hers, or a number that is not one, is refused by field.
    let (status, body) = call(
        Method::POST,
        &calls_path,
        &agent_token,
        Some(json!({"to": "+442079460018", "from_number_id": foreign})),
    )
    .await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("from_number_id")), "{body}");
    let (status, body) =
        call(Method::POST, &calls_path, &agent_token, Some(json!({"to": "12"}))).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("to")), "{body}");
}
