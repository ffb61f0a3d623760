//! Call control between real peers, SIPp on both sides: the caller on the trunk address, the
//! agent's phone registered with digest. Hold and resume pass through; a caller who gives up
//! while the agent's phone rings cancels it; an agent who hangs up ends the caller's leg.

mod common;

use common::media::wait_until;
use common::{
    Running, SippBackground, account, call, number, put_settings, set_online, sip_agent, sipp,
    start,
};
use reqwest::Method;
use serde_json::{Value, json};

const OPERATOR: &str = "operator-secret-for-tests";

struct Setup {
    _running: Running,
    api: String,
    sip: String,
    admin: String,
    _dir: tempfile::TempDir,
}

/// A server on RTP ports `ports`; an online agent "ana" whose phone is SIPp on `phone_port`,
/// registered; the number rings every agent at once.
async fn setup(ports: &str, phone_port: u16) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let mut running = start(
        dir.path(),
        &[("CENTRALITA_OPERATOR_TOKEN", OPERATOR), ("CENTRALITA_RTP_PORT_RANGE", ports)],
    );
    let (api, sip) = (running.api(), running.sip());
    let admin = account(&api, OPERATOR).await;
    let agent = sip_agent(&api, &admin, "ana", "anasecret1").await;
    set_online(&api, &admin, &agent, true).await;
    let number = number(&api, &admin, "+34910000001").await;
    let settings = json!({"record_calls": false,
        "incoming": {"mode": "receive", "distribution": "simultaneous", "when_offline": {"action": "busy"}},
        "assigned_user_ids": [agent]});
    put_settings(&api, &admin, &number, settings).await;
    let port = phone_port.to_string();
    let register = sipp(
        "register.xml",
        &sip,
        &["-s", "ana", "-au", "ana", "-ap", "anasecret1", "-i", "127.0.0.1", "-p", &port],
    );
    assert!(register.status.success(), "{}", register.output);
    let s = Setup { _running: running, api, sip, admin, _dir: dir };
    wait_until("the agent is available", || async {
        call(Method::GET, &format!("{}/v1/users/{agent}", s.api), &s.admin, None).await.1["available"] == true
    })
    .await;
    s
}

impl Setup {
    async fn last_call(&self) -> Value {
        call(Method::GET, &format!("{}/v1/calls", self.api), &self.admin, None).await.1[0].clone()
    }
}

fn assert_passed(what: &str, run: &common::SippRun) {
    assert!(run.status.success(), "{what} failed ({:?}):\n{}", run.status, run.output);
}

#[tokio::test]
async fn hold_and_resume_pass_from_the_caller_to_the_agent() {
    let s = setup("32200-32299", 25060).await;
    let phone = SippBackground::start(
        "agent_answers.xml",
        &s.sip,
        &["-s", "ana", "-i", "127.0.0.1", "-p", "25060", "-mp", "16030"],
    );
    let caller = sipp(
        "caller_holds.xml",
        &s.sip,
        &["-s", "+34910000001", "-i", "127.0.0.1", "-mp", "16040"],
    );
    assert_passed("caller", &caller);
    assert_passed("agent's phone", &phone.finish());
    wait_until("the call ended", || async { s.last_call().await["status"] == "answered" }).await;
}

#[tokio::test]
async fn caller_cancel_while_ringing_cancels_the_agents_phone() {
    let s = setup("32300-32399", 25062).await;
    let phone = SippBackground::start(
        "agent_rings.xml",
        &s.sip,
        &["-s", "ana", "-i", "127.0.0.1", "-p", "25062", "-mp", "16050"],
    );
    // The caller gives up after 2 s of ringback: long after the agent's phone rings.
    let caller = sipp(
        "caller_cancels.xml",
        &s.sip,
        &["-s", "+34910000001", "-i", "127.0.0.1", "-mp", "16060", "-d", "2000"],
    );
    assert_passed("caller", &caller);
    assert_passed("agent's phone", &phone.finish());
    wait_until("the call ended, missed", || async { s.last_call().await["status"] == "missed" })
        .await;
    let last = s.last_call().await;
    let ended = last["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(ended["type"], "ended");
    assert_eq!(ended["hangup_by"], "caller");
}

#[tokio::test]
async fn agent_hang_up_ends_the_callers_leg() {
    let s = setup("32400-32499", 25064).await;
    let phone = SippBackground::start(
        "agent_hangs_up.xml",
        &s.sip,
        &["-s", "ana", "-i", "127.0.0.1", "-p", "25064", "-mp", "16070", "-d", "1000"],
    );
    let caller = sipp(
        "caller_waits_bye.xml",
        &s.sip,
        &["-s", "+34910000001", "-i", "127.0.0.1", "-mp", "16080"],
    );
    assert_passed("caller", &caller);
    assert_passed("agent's phone", &phone.finish());
    wait_until("the call ended, answered", || async {
        s.last_call().await["status"] == "answered"
    })
    .await;
    let last = s.last_call().await;
    let ended = last["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(ended["hangup_by"], "callee");
    assert!(ended["talk_ms"].as_u64().unwrap() >= 900, "{ended}");
}

#[tokio::test]
async fn an_rtp_port_held_by_another_program_costs_one_call_not_one_per_round() {
    // Room for three legs (32600, 32602, 32604); another program holds the first port.
    let s = setup("32600-32605", 25066).await;
    let _squatter = std::net::UdpSocket::bind("127.0.0.1:32600").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let template = std::fs::read_to_string(common::scenarios().join("caller_refused.xml")).unwrap();
    let refused = dir.path().join("caller_refused.xml");
    std::fs::write(&refused, template.replace("EXPECTED_STATUS", "503")).unwrap();
    // Ana is offline for this call: whether routing has begun or not when the media fails,
    // no phone is involved.
    let users = call(Method::GET, &format!("{}/v1/users", s.api), &s.admin, None).await.1;
    let ana = users.as_array().unwrap().iter().find(|u| u["name"] == "ana").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    set_online(&s.api, &s.admin, &ana, false).await;
    let caller = sipp(
        refused.to_str().unwrap(),
        &s.sip,
        &["-s", "+34910000001", "-i", "127.0.0.1", "-mp", "16090"],
    );
    assert_passed("the caller whose leg got the busy port (503)", &caller);
    wait_until("the refused call ended", || async {
        s.last_call().await["status"].as_str().is_some_and(|status| status != "in_progress")
    })
    .await;
    set_online(&s.api, &s.admin, &ana, true).await;
    wait_until("ana is available again", || async {
        call(Method::GET, &format!("{}/v1/users/{ana}", s.api), &s.admin, None).await.1["available"]
            == true
    })
    .await;
    // The busy port is out of the pool: round after round, calls get the two others.
    for round in 0..3 {
        let phone = SippBackground::start(
            "agent_hangs_up.xml",
            &s.sip,
            &["-s", "ana", "-i", "127.0.0.1", "-p", "25066", "-mp", "16100", "-d", "200"],
        );
        let caller = sipp(
            "caller_waits_bye.xml",
            &s.sip,
            &["-s", "+34910000001", "-i", "127.0.0.1", "-mp", "16110"],
        );
        assert_passed(&format!("caller of round {round}"), &caller);
        assert_passed(&format!("agent's phone of round {round}"), &phone.finish());
        wait_until("the call ended and every online agent is free again", || async {
            let users = call(Method::GET, &format!("{}/v1/users", s.api), &s.admin, None).await.1;
            let free = users.as_array().is_some_and(|users| {
                users.iter().all(|u| u["online"] == false || u["available"] == true)
            });
            free && s.last_call().await["status"] == "answered"
        })
        .await;
    }
}
