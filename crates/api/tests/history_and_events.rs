//! The call history, recordings, voicemails and the event stream, read through the API. The
//! call layer writes the history; here the store plays that part so every read path is tested.

mod common;

use centralita_api::{Audience, StreamEvent};
use centralita_domain::{CallEvent, CallStatus, Direction, EventKind, HangupBy, Millis};
use centralita_store::NewCall;
use common::{Account, Server, receive_settings, tone_wav};
use futures::StreamExt;
use serde_json::json;

async fn seed_call(
    server: &Server,
    account: &Account,
    number: &str,
    started: i64,
) -> (String, String, String) {
    let account_id = account.id.parse().unwrap();
    let call = server
        .store
        .start_call(
            account_id,
            &NewCall {
                id: None,
                number_id: Some(number.parse().unwrap()),
                user_id: None,
                direction: Direction::Inbound,
                from: "+34600111222".into(),
                to: "+34910000001".into(),
                started_at: Millis(started),
            },
        )
        .await
        .unwrap();
    for (at, kind) in [
        (started, EventKind::Arrived { from: "+34600111222".into(), to: "+34910000001".into() }),
        (started + 10, EventKind::OfflineAction { action: "voicemail".into() }),
    ] {
        server
            .store
            .append_event(call, &CallEvent { at: Millis(at), reason: None, kind })
            .await
            .unwrap();
    }
    let recording =
        server.store.create_recording(account_id, call, 2, Millis(started + 20)).await.unwrap();
    tokio::fs::write(&recording.path, tone_wav(8000, 2, 440.0, 0.2)).await.unwrap();
    let voicemail = server
        .store
        .create_voicemail(
            account_id,
            call,
            Some(number.parse().unwrap()),
            "+34600111222",
            Millis(started + 30),
        )
        .await
        .unwrap();
    tokio::fs::write(&voicemail.path, tone_wav(8000, 1, 440.0, 0.3)).await.unwrap();
    server.store.finish_voicemail(voicemail.id, 300).await.unwrap();
    let ended = CallEvent {
        at: Millis(started + 5000),
        reason: Some("completed".into()),
        kind: EventKind::Ended {
            hangup_by: HangupBy::Caller,
            duration_ms: 5000,
            talk_ms: 0,
            cost: None,
        },
    };
    server.store.append_event(call, &ended).await.unwrap();
    server.store.end_call(call, Millis(started + 5000), CallStatus::Voicemail, None).await.unwrap();
    (call.to_string(), recording.id.to_string(), voicemail.id.to_string())
}

#[tokio::test]
async fn empty_history_is_empty_not_an_error() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    assert_eq!(server.get("/v1/calls", &acme.admin_token).await.ok(200), json!([]));
    assert_eq!(server.get("/v1/voicemails", &acme.admin_token).await.ok(200), json!([]));
    assert_eq!(
        server.get("/v1/voicemails?unread=true", &acme.admin_token).await.ok(200),
        json!([])
    );
}

#[tokio::test]
async fn calls_list_newest_first_with_events_and_filters() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let n1 = server.new_number(&acme, "+34910000001").await;
    let n2 = server.new_number(&acme, "+34910000002").await;
    let t0 = 1_795_000_000_000_i64;
    let (old, _, _) = seed_call(&server, &acme, &n1, t0).await;
    let (new, recording, voicemail) = seed_call(&server, &acme, &n2, t0 + 60_000).await;

    let calls = server.get("/v1/calls", &acme.admin_token).await.ok(200);
    let ids: Vec<&str> =
        calls.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [new.as_str(), old.as_str()]);
    let first = &calls[0];
    assert_eq!(first["status"], "voicemail");
    assert_eq!(first["duration_ms"], 5000);
    assert_eq!(first["recording_id"], recording.as_str());
    assert_eq!(first["voicemail_id"], voicemail.as_str());
    assert_eq!(
        first["events"][0],
        json!({"type": "arrived", "at": "2026-11-18T11:07:40.000Z",
        "from": "+34600111222", "to": "+34910000001"})
    );
    assert_eq!(first["events"][2]["type"], "ended");
    assert_eq!(first["events"][2]["reason"], "completed");
    assert_eq!(first["events"][2]["hangup_by"], "caller");

    let only_n1 = server.get(&format!("/v1/calls?number_id={n1}"), &acme.admin_token).await.ok(200);
    assert_eq!(only_n1.as_array().unwrap().len(), 1);
    let since = server.get("/v1/calls?since=2026-11-18T11:07:00Z", &acme.admin_token).await.ok(200);
    assert_eq!(since.as_array().unwrap().len(), 1);
    let until =
        server.get("/v1/calls?until=2026-11-18T11:07:00%2B00:00", &acme.admin_token).await.ok(200);
    assert_eq!(until.as_array().unwrap().len(), 1);
    let limited = server.get("/v1/calls?limit=1", &acme.admin_token).await.ok(200);
    assert_eq!(limited[0]["id"], new.as_str());
    let answered = server.get("/v1/calls?status=answered", &acme.admin_token).await.ok(200);
    assert_eq!(answered, json!([]));
    let one = server.get(&format!("/v1/calls/{old}"), &acme.admin_token).await.ok(200);
    assert_eq!(one["id"], old.as_str());

    server.get("/v1/calls?limit=0", &acme.admin_token).await.invalid("limit");
    server.get("/v1/calls?limit=many", &acme.admin_token).await.invalid("limit");
    server.get("/v1/calls?since=yesterday", &acme.admin_token).await.invalid("since");
    server.get("/v1/calls?status=lost", &acme.admin_token).await.invalid("status");
    server.get("/v1/calls?numberid=x", &acme.admin_token).await.invalid("numberid");
    server.get("/v1/calls?number_id=nope", &acme.admin_token).await.error(404);
}

#[tokio::test]
async fn agents_see_the_calls_of_their_numbers_only() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let (bea, bea_token) = server.new_user(&acme, "Bea", "agent").await;
    let mine = server.new_number(&acme, "+34910000001").await;
    let theirs = server.new_number(&acme, "+34910000002").await;
    let doc = receive_settings(&[&acme.admin_id], json!({"action": "busy"}));
    server.put(&format!("/v1/numbers/{theirs}/settings"), &acme.admin_token, &doc).await.ok(200);
    let (my_call, my_recording, my_voicemail) =
        seed_call(&server, &acme, &mine, 1_795_000_000_000).await;
    let (their_call, their_recording, their_voicemail) =
        seed_call(&server, &acme, &theirs, 1_795_000_100_000).await;

    let calls = server.get("/v1/calls", &bea_token).await.ok(200);
    assert_eq!(calls.as_array().unwrap().len(), 1);
    assert_eq!(calls[0]["id"], my_call.as_str());
    server.get(&format!("/v1/calls/{their_call}"), &bea_token).await.error(404);
    server.get(&format!("/v1/recordings/{their_recording}"), &bea_token).await.error(404);
    server.get(&format!("/v1/voicemails/{their_voicemail}/audio"), &bea_token).await.error(404);
    server.get(&format!("/v1/calls?number_id={theirs}"), &bea_token).await.error(404);
    let recording = server.get(&format!("/v1/recordings/{my_recording}"), &bea_token).await;
    assert_eq!(recording.status, 200);
    assert_eq!(recording.headers["content-type"], "audio/wav");
    assert_eq!(recording.bytes, tone_wav(8000, 2, 440.0, 0.2));
    let voicemails = server.get("/v1/voicemails", &bea_token).await.ok(200);
    assert_eq!(voicemails.as_array().unwrap().len(), 1);
    assert_eq!(voicemails[0]["id"], my_voicemail.as_str());
    assert_eq!(bea.len(), 36);
}

#[tokio::test]
async fn voicemails_are_unread_per_user_until_marked() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let (_, bea_token) = server.new_user(&acme, "Bea", "agent").await;
    let number = server.new_number(&acme, "+34910000001").await;
    let (_, _, voicemail) = seed_call(&server, &acme, &number, 1_795_000_000_000).await;

    let unread = server.get("/v1/voicemails?unread=true", &bea_token).await.ok(200);
    assert_eq!(unread[0]["read"], false);
    assert_eq!(unread[0]["duration_ms"], 300);
    assert_eq!(unread[0]["audio_url"], format!("/v1/voicemails/{voicemail}/audio"));
    let audio = server.get(&format!("/v1/voicemails/{voicemail}/audio"), &bea_token).await;
    assert_eq!(audio.bytes, tone_wav(8000, 1, 440.0, 0.3));
    let marked = server
        .patch(&format!("/v1/voicemails/{voicemail}"), &bea_token, &json!({"read": true}))
        .await
        .ok(200);
    assert_eq!(marked["read"], true);
    assert_eq!(server.get("/v1/voicemails?unread=true", &bea_token).await.ok(200), json!([]));
    // Still unread for the admin: read state is per user.
    let admin = server.get("/v1/voicemails?unread=1", &acme.admin_token).await.ok(200);
    assert_eq!(admin.as_array().unwrap().len(), 1);
    server
        .patch(&format!("/v1/voicemails/{voicemail}"), &bea_token, &json!({"read": "yes"}))
        .await
        .invalid("read");
    server.get("/v1/voicemails?unread=maybe", &bea_token).await.invalid("unread");
    let one = server.get(&format!("/v1/voicemails/{voicemail}"), &bea_token).await.ok(200);
    assert_eq!(one["read"], true);
}

#[tokio::test]
async fn voicedrop_is_refused_with_a_reason_for_calls_that_cannot_take_it() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let number = server.new_number(&acme, "+34910000001").await;
    let (call, _, _) = seed_call(&server, &acme, &number, 1_795_000_000_000).await;
    let inbound = server
        .post(&format!("/v1/calls/{call}/voicedrop"), &acme.admin_token, &json!({}))
        .await
        .error(409);
    assert!(inbound["message"].as_str().unwrap().contains("outbound"), "{inbound}");
    server
        .post(
            "/v1/calls/0190f3a0-0000-7000-8000-000000000000/voicedrop",
            &acme.admin_token,
            &json!({}),
        )
        .await
        .error(404);
}

#[tokio::test]
async fn the_event_stream_delivers_only_what_the_user_may_see() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let other = server.new_account("Other").await;
    let (bea, bea_token) = server.new_user(&acme, "Bea", "agent").await;
    let (carl, _) = server.new_user(&acme, "Carl", "agent").await;

    let response = server
        .client
        .get(format!("{}/v1/events/stream", server.base))
        .bearer_auth(&bea_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.bytes_stream();
    // The stream says it is connected before any event: wait for that, not for time.
    let first = body.next().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains(": connected"));

    let publish = |account: &Account, audience: Audience, marker: &str| {
        server.events.publish(StreamEvent {
            account: account.id.parse().unwrap(),
            name: "voicemail.created",
            data: json!({"marker": marker}),
            audience,
        });
    };
    publish(&other, Audience::UsersAndAdmins(vec![]), "other account");
    publish(&acme, Audience::Users(vec![carl.parse().unwrap()]), "for carl");
    publish(&acme, Audience::Users(vec![bea.parse().unwrap()]), "for bea");
    let mut text = String::new();
    while !text.contains("\n\n") {
        text.push_str(&String::from_utf8_lossy(&body.next().await.unwrap().unwrap()));
    }
    assert!(
        text.starts_with("event: voicemail.created\ndata: {\"marker\":\"for bea\"}"),
        "{text:?}"
    );
}

#[tokio::test]
async fn the_event_stream_needs_a_user_token() {
    let server = Server::start().await;
    server.send(reqwest::Method::GET, "/v1/events/stream", None, None).await.error(401);
    server.get("/v1/events/stream", &server.operator).await.error(403);
}
