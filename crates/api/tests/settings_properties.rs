//! Property tests of the settings document over HTTP: every valid document round-trips
//! unchanged; every refused one leaves the stored document exactly as it was.

mod common;

use common::{Account, Server};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

struct Fixture {
    server: Server,
    account: Account,
    number: String,
    users: Vec<String>,
    audio: Vec<String>,
    ivrs: Vec<String>,
    foreign_audio: String,
    foreign_user: String,
}

async fn fixture() -> Fixture {
    let server = Server::start().await;
    let account = server.new_account("Acme").await;
    let other = server.new_account("Other").await;
    let mut users = vec![account.admin_id.clone()];
    for name in ["Bea", "Carl", "Dora"] {
        users.push(server.new_user(&account, name, "agent").await.0);
    }
    let mut audio = Vec::new();
    for name in ["a", "b", "c"] {
        audio.push(server.new_audio(&account, name).await);
    }
    let mut ivrs = Vec::new();
    for name in ["Main", "Sales"] {
        let ivr = server
            .post(
                "/v1/ivrs",
                &account.admin_token,
                &json!({"name": name, "prompt_audio_id": audio[0]}),
            )
            .await;
        ivrs.push(ivr.ok(201)["id"].as_str().unwrap().to_owned());
    }
    let number = server.new_number(&account, "+34910000001").await;
    let foreign_audio = server.new_audio(&other, "theirs").await;
    let foreign_user = server.new_user(&other, "Zed", "agent").await.0;
    Fixture { server, account, number, users, audio, ivrs, foreign_audio, foreign_user }
}

fn e164() -> impl Strategy<Value = String> {
    ("[1-9][0-9]{6,14}").prop_map(|digits| format!("+{digits}"))
}

fn action(audio: Vec<String>, allow_transfer: bool) -> impl Strategy<Value = Value> {
    let pick = proptest::sample::select(audio);
    let mut kinds = vec![
        Just(json!({"action": "ringback"})).boxed(),
        Just(json!({"action": "busy"})).boxed(),
        Just(json!({"action": "disconnect"})).boxed(),
        pick.clone().prop_map(|a| json!({"action": "message", "audio_id": a})).boxed(),
        proptest::option::of(pick)
            .prop_map(|a| json!({"action": "voicemail", "audio_id": a}))
            .boxed(),
    ];
    if allow_transfer {
        kinds.push(e164().prop_map(|to| json!({"action": "transfer", "to": to})).boxed());
    }
    proptest::strategy::Union::new(kinds)
}

fn valid_document(f: &Fixture) -> impl Strategy<Value = Value> + use<> {
    let receive = (
        proptest::sample::select(vec!["random", "longest_idle", "simultaneous"]),
        action(f.audio.clone(), true),
        proptest::option::of(10u32..=3600),
        proptest::option::of(5u32..=300),
    )
        .prop_map(|(distribution, when_offline, max_wait, ring)| {
            let mut incoming = json!({"mode": "receive", "distribution": distribution, "when_offline": when_offline});
            if let Some(s) = max_wait {
                incoming["max_wait_s"] = json!(s);
            }
            if let Some(s) = ring {
                incoming["ring_timeout_s"] = json!(s);
            }
            incoming
        });
    let forward = e164().prop_map(|to| json!({"mode": "forward", "forward_to": to}));
    let reject =
        action(f.audio.clone(), false).prop_map(|a| json!({"mode": "reject", "action": a}));
    let incoming = prop_oneof![receive, forward, reject];
    let audio = proptest::option::of(proptest::sample::select(f.audio.clone()));
    (
        any::<bool>(),
        proptest::option::of(proptest::sample::select(f.ivrs.clone())),
        incoming,
        audio.clone(),
        audio,
        proptest::sample::subsequence(f.users.clone(), 0..=f.users.len()).prop_shuffle(),
    )
        .prop_map(|(record, ivr, incoming, welcome, voicedrop, users)| {
            json!({"record_calls": record, "ivr_id": ivr, "incoming": incoming,
                   "welcome_audio_id": welcome, "voicedrop_audio_id": voicedrop, "assigned_user_ids": users})
        })
}

/// Ways to break a valid document, each with the field it breaks.
fn breakage(f: &Fixture) -> impl Strategy<Value = (String, Value, &'static str)> + use<> {
    let foreign_audio = f.foreign_audio.clone();
    let foreign_user = f.foreign_user.clone();
    let unknown = "0190f3a0-0000-7000-8000-00000000dead".to_owned();
    proptest::sample::select(vec![
        ("/welcome_audio_id".to_owned(), json!(foreign_audio), "welcome_audio_id"),
        ("/voicedrop_audio_id".to_owned(), json!(unknown), "voicedrop_audio_id"),
        ("/ivr_id".to_owned(), json!(unknown), "ivr_id"),
        ("/assigned_user_ids".to_owned(), json!([foreign_user]), "assigned_user_ids[0]"),
        (
            "/incoming".to_owned(),
            json!({"mode": "reject", "action": {"action": "transfer", "to": "+34600000000"}}),
            "incoming.action",
        ),
        (
            "/incoming".to_owned(),
            json!({"mode": "forward", "forward_to": "+34 600 000 000"}),
            "incoming.forward_to",
        ),
        (
            "/incoming".to_owned(),
            json!({"mode": "receive", "distribution": "random", "when_offline": {"action": "message", "audio_id": foreign_audio}}),
            "incoming.when_offline.audio_id",
        ),
        ("/record_calls".to_owned(), json!(1), "record_calls"),
        ("/extra".to_owned(), json!(true), "extra"),
    ])
}

#[test]
fn valid_settings_round_trip_and_refused_ones_change_nothing() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let f = runtime.block_on(fixture());
    let path = format!("/v1/numbers/{}/settings", f.number);
    let token = f.account.admin_token.clone();
    let mut runner = TestRunner::new(Config { cases: 64, ..Config::default() });
    runner
        .run(&(valid_document(&f), breakage(&f)), |(document, (pointer, bad_value, field))| {
            runtime.block_on(async {
                let stored = f.server.put(&path, &token, &document).await.ok(200);
                prop_assert_eq!(&stored, &document);
                prop_assert_eq!(&f.server.get(&path, &token).await.ok(200), &document);

                let mut broken = document.clone();
                if pointer == "/extra" {
                    broken["extra"] = bad_value;
                } else {
                    *broken.pointer_mut(&pointer).unwrap() = bad_value;
                }
                let refused = f.server.put(&path, &token, &broken).await;
                prop_assert_eq!(refused.status.as_u16(), 422);
                prop_assert_eq!(&refused.json()["error"]["field"], field);
                prop_assert_eq!(&f.server.get(&path, &token).await.ok(200), &document);
                Ok(())
            })
        })
        .unwrap();
}
