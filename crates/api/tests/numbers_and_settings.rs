//! Numbers, assignment defaults, and the settings document: every valid shape stored as sent,
//! every invalid one refused with its field and nothing changed.

mod common;

use common::{Server, receive_settings};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn numbers_are_e164_and_unique_across_the_platform() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let other = server.new_account("Other").await;
    let created = server
        .post("/v1/numbers", &acme.admin_token, &json!({"e164": "+34910000001", "name": "Madrid"}))
        .await
        .ok(201);
    assert_eq!(created["e164"], "+34910000001");
    assert_eq!(created["name"], "Madrid");
    let clash =
        server.post("/v1/numbers", &other.admin_token, &json!({"e164": "+34910000001"})).await;
    assert_eq!(clash.error(409)["field"], "e164");
    for bad in [
        "34910000001",
        "+34 910 000 001",
        "+0123456789",
        "+1",
        "+1234567890123456",
        "tel:+34910000001",
    ] {
        server.post("/v1/numbers", &acme.admin_token, &json!({"e164": bad})).await.invalid("e164");
    }
    server
        .post("/v1/numbers", &acme.admin_token, &json!({"e164": 34910000002_u64}))
        .await
        .invalid("e164");
    server.post("/v1/numbers", &acme.admin_token, &json!({"name": "x"})).await.invalid("e164");
    let defaulted = server
        .post("/v1/numbers", &acme.admin_token, &json!({"e164": "+34910000002"}))
        .await
        .ok(201);
    assert_eq!(defaulted["name"], "+34910000002");
    let listed = server.get("/v1/numbers", &acme.admin_token).await.ok(200);
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let id = created["id"].as_str().unwrap();
    let renamed = server
        .patch(&format!("/v1/numbers/{id}"), &acme.admin_token, &json!({"name": "Sede"}))
        .await
        .ok(200);
    assert_eq!(renamed["name"], "Sede");
    server.delete(&format!("/v1/numbers/{id}"), &acme.admin_token).await.ok(204);
    server.get(&format!("/v1/numbers/{id}"), &acme.admin_token).await.error(404);
    // Released, the number can be added again.
    server.post("/v1/numbers", &other.admin_token, &json!({"e164": "+34910000001"})).await.ok(201);
}

#[tokio::test]
async fn new_numbers_get_every_user_and_new_users_every_number() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let (bea, _) = server.new_user(&acme, "Bea", "agent").await;
    let n1 = server.new_number(&acme, "+34910000001").await;
    let settings =
        server.get(&format!("/v1/numbers/{n1}/settings"), &acme.admin_token).await.ok(200);
    assert_eq!(settings["assigned_user_ids"], json!([acme.admin_id, bea]));
    // The defaults of a new number: ring the agents at random; voicemail when nobody is online.
    assert_eq!(settings["record_calls"], false);
    assert_eq!(
        settings["incoming"],
        json!({"mode": "receive", "distribution": "random",
        "when_offline": {"action": "voicemail", "audio_id": null}})
    );

    let n2 = server.new_number(&acme, "+34910000002").await;
    let (carl, _) = server.new_user(&acme, "Carl", "agent").await;
    for number in [&n1, &n2] {
        let settings =
            server.get(&format!("/v1/numbers/{number}/settings"), &acme.admin_token).await.ok(200);
        assert!(
            settings["assigned_user_ids"].as_array().unwrap().contains(&json!(carl)),
            "{settings}"
        );
    }
    // The list can be changed, and a later user is added to the changed list.
    let only_bea = receive_settings(&[&bea], json!({"action": "busy"}));
    server.put(&format!("/v1/numbers/{n1}/settings"), &acme.admin_token, &only_bea).await.ok(200);
    let (dora, _) = server.new_user(&acme, "Dora", "agent").await;
    let settings =
        server.get(&format!("/v1/numbers/{n1}/settings"), &acme.admin_token).await.ok(200);
    assert_eq!(settings["assigned_user_ids"], json!([bea, dora]));
}

#[tokio::test]
async fn agents_see_only_their_numbers_and_change_no_settings() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let (bea, bea_token) = server.new_user(&acme, "Bea", "agent").await;
    let mine = server.new_number(&acme, "+34910000001").await;
    let theirs = server.new_number(&acme, "+34910000002").await;
    let without_bea = receive_settings(&[&acme.admin_id], json!({"action": "busy"}));
    server
        .put(&format!("/v1/numbers/{theirs}/settings"), &acme.admin_token, &without_bea)
        .await
        .ok(200);

    let listed = server.get("/v1/numbers", &bea_token).await.ok(200);
    let ids: Vec<&str> =
        listed.as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [mine.as_str()]);
    server.get(&format!("/v1/numbers/{mine}"), &bea_token).await.ok(200);
    server.get(&format!("/v1/numbers/{theirs}"), &bea_token).await.error(404);
    server.get(&format!("/v1/numbers/{mine}/settings"), &bea_token).await.error(403);
    let doc = receive_settings(&[&bea], json!({"action": "busy"}));
    server.put(&format!("/v1/numbers/{mine}/settings"), &bea_token, &doc).await.error(403);
    server.post("/v1/numbers", &bea_token, &json!({"e164": "+34910000003"})).await.error(403);
    server.delete(&format!("/v1/numbers/{mine}"), &bea_token).await.error(403);
}

/// Every valid shape of the document is stored and returned exactly as sent.
#[tokio::test]
async fn every_kind_of_settings_round_trips() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let (bea, _) = server.new_user(&acme, "Bea", "agent").await;
    let number = server.new_number(&acme, "+34910000001").await;
    let audio = server.new_audio(&acme, "greeting").await;
    let prompt = server.new_audio(&acme, "prompt").await;
    let ivr = server
        .post("/v1/ivrs", &acme.admin_token, &json!({"name": "Main", "prompt_audio_id": prompt}))
        .await
        .ok(201)["id"]
        .clone();
    let mut documents = Vec::new();
    for distribution in ["random", "longest_idle", "simultaneous"] {
        for action in [
            json!({"action": "ringback"}),
            json!({"action": "busy"}),
            json!({"action": "disconnect"}),
            json!({"action": "message", "audio_id": audio}),
            json!({"action": "voicemail", "audio_id": audio}),
            json!({"action": "voicemail", "audio_id": null}),
            json!({"action": "transfer", "to": "+34600000000"}),
        ] {
            documents.push(json!({
                "record_calls": true, "ivr_id": ivr,
                "incoming": {"mode": "receive", "distribution": distribution, "when_offline": action},
                "welcome_audio_id": audio, "voicedrop_audio_id": prompt,
                "assigned_user_ids": [bea, acme.admin_id],
            }));
        }
    }
    documents.push(json!({"record_calls": false, "ivr_id": null,
        "incoming": {"mode": "receive", "distribution": "simultaneous", "when_offline": {"action": "busy"},
                     "max_wait_s": 120, "ring_timeout_s": 20},
        "welcome_audio_id": null, "voicedrop_audio_id": null, "assigned_user_ids": []}));
    documents.push(json!({"record_calls": true, "ivr_id": null,
        "incoming": {"mode": "forward", "forward_to": "+14155550100"},
        "welcome_audio_id": null, "voicedrop_audio_id": null, "assigned_user_ids": [bea]}));
    for action in [
        json!({"action": "ringback"}),
        json!({"action": "busy"}),
        json!({"action": "disconnect"}),
        json!({"action": "message", "audio_id": audio}),
        json!({"action": "voicemail", "audio_id": audio}),
    ] {
        documents.push(json!({"record_calls": false, "ivr_id": null,
            "incoming": {"mode": "reject", "action": action},
            "welcome_audio_id": null, "voicedrop_audio_id": null, "assigned_user_ids": [bea]}));
    }
    let path = format!("/v1/numbers/{number}/settings");
    for document in documents {
        let answer = server.put(&path, &acme.admin_token, &document).await.ok(200);
        assert_eq!(answer, document);
        assert_eq!(server.get(&path, &acme.admin_token).await.ok(200), document);
    }
}

#[tokio::test]
async fn refused_settings_name_the_field_and_change_nothing() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let other = server.new_account("Other").await;
    let (bea, _) = server.new_user(&acme, "Bea", "agent").await;
    let number = server.new_number(&acme, "+34910000001").await;
    let audio = server.new_audio(&acme, "greeting").await;
    let foreign_audio = server.new_audio(&other, "theirs").await;
    let (foreign_user, _) = server.new_user(&other, "Zed", "agent").await;
    let path = format!("/v1/numbers/{number}/settings");
    let good = receive_settings(&[&bea], json!({"action": "voicemail", "audio_id": audio}));
    server.put(&path, &acme.admin_token, &good).await.ok(200);
    let unknown_id = "0190f3a0-0000-7000-8000-000000000000";

    let with = |pointer: &str, value: Value| {
        let mut doc = good.clone();
        *doc.pointer_mut(pointer).unwrap() = value;
        doc
    };
    let cases = vec![
        (
            with("/incoming/when_offline/audio_id", json!(foreign_audio)),
            "incoming.when_offline.audio_id",
        ),
        (
            with("/incoming/when_offline/audio_id", json!(unknown_id)),
            "incoming.when_offline.audio_id",
        ),
        (
            with("/incoming/when_offline/audio_id", json!("not-an-id")),
            "incoming.when_offline.audio_id",
        ),
        (with("/welcome_audio_id", json!(foreign_audio)), "welcome_audio_id"),
        (with("/voicedrop_audio_id", json!(unknown_id)), "voicedrop_audio_id"),
        (with("/ivr_id", json!(unknown_id)), "ivr_id"),
        (with("/assigned_user_ids", json!([bea, foreign_user])), "assigned_user_ids[1]"),
        (with("/assigned_user_ids", json!([bea, bea])), "assigned_user_ids[1]"),
        (with("/assigned_user_ids", json!("everyone")), "assigned_user_ids"),
        (
            with("/incoming", json!({"mode": "forward", "forward_to": "600000000"})),
            "incoming.forward_to",
        ),
        (with("/incoming", json!({"mode": "forward"})), "incoming.forward_to"),
        (
            with(
                "/incoming",
                json!({"mode": "reject", "action": {"action": "transfer", "to": "+34600000000"}}),
            ),
            "incoming.action",
        ),
        (with("/incoming", json!({"mode": "voicemail"})), "incoming.mode"),
        (
            with("/incoming/when_offline", json!({"action": "transfer", "to": "+34 600"})),
            "incoming.when_offline.to",
        ),
        (
            with("/incoming/when_offline", json!({"action": "message"})),
            "incoming.when_offline.audio_id",
        ),
        (
            with("/incoming/when_offline", json!({"action": "busy", "audio_id": audio})),
            "incoming.when_offline.audio_id",
        ),
        (with("/incoming/distribution", json!("round_robin")), "incoming.distribution"),
        (with("/record_calls", json!("yes")), "record_calls"),
        (with("/record_calls", json!(null)), "record_calls"),
    ];
    for (document, field) in cases {
        server.put(&path, &acme.admin_token, &document).await.invalid(field);
        assert_eq!(server.get(&path, &acme.admin_token).await.ok(200), good, "after {field}");
    }
    let mut extra = good.clone();
    extra["surprise"] = json!(1);
    server.put(&path, &acme.admin_token, &extra).await.invalid("surprise");
    let mut extra = good.clone();
    extra["incoming"]["colour"] = json!("red");
    server.put(&path, &acme.admin_token, &extra).await.invalid("incoming.colour");
    server.raw(Method::PUT, &path, &acme.admin_token, "{\"record_calls\": tru").await.error(400);
    server.raw(Method::PUT, &path, &acme.admin_token, "[]").await.error(422);
    assert_eq!(server.get(&path, &acme.admin_token).await.ok(200), good);
}
