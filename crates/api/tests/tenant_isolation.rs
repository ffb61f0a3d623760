//! Another account's ids are always 404 (never 403, never data), on every endpoint that takes
//! an id, for admins and agents alike; and nothing of the other account changes.

mod common;

use centralita_domain::{Direction, Millis};
use centralita_store::NewCall;
use common::{Server, receive_settings, tone_wav};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn every_endpoint_with_an_id_answers_404_for_another_accounts_id() {
    let server = Server::start().await;
    let mine = server.new_account("Mine").await;
    let (_, agent_token) = server.new_user(&mine, "Agent", "agent").await;
    let theirs = server.new_account("Theirs").await;

    // Every kind of object, in the other account.
    let (user, _) = server.new_user(&theirs, "Zed", "agent").await;
    let token = server.get(&format!("/v1/users/{user}/tokens"), &theirs.admin_token).await.ok(200)
        [0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let number = server.new_number(&theirs, "+34910000009").await;
    let audio = server.new_audio(&theirs, "theirs").await;
    let ivr = server
        .post("/v1/ivrs", &theirs.admin_token, &json!({"name": "Theirs", "prompt_audio_id": audio}))
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let account_id = theirs.id.parse().unwrap();
    let call = server
        .store
        .start_call(
            account_id,
            &NewCall {
                id: None,
                number_id: Some(number.parse().unwrap()),
                user_id: Some(user.parse().unwrap()),
                direction: Direction::Outbound,
                from: "+34910000009".into(),
                to: "+34600000000".into(),
                started_at: Millis(1_795_000_000_000),
            },
        )
        .await
        .unwrap();
    let recording = server
        .store
        .create_recording(account_id, call, 2, Millis(1_795_000_000_100))
        .await
        .unwrap();
    tokio::fs::write(&recording.path, tone_wav(8000, 2, 300.0, 0.1)).await.unwrap();
    let voicemail = server
        .store
        .create_voicemail(
            account_id,
            call,
            Some(number.parse().unwrap()),
            "+34600000000",
            Millis(1_795_000_000_200),
        )
        .await
        .unwrap();
    tokio::fs::write(&voicemail.path, tone_wav(8000, 1, 300.0, 0.1)).await.unwrap();
    let (call, recording, voicemail) =
        (call.to_string(), recording.id.to_string(), voicemail.id.to_string());

    let settings = receive_settings(&[], json!({"action": "busy"}));
    let requests: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/v1/users/{user}"), None),
        (Method::PATCH, format!("/v1/users/{user}"), Some(json!({"name": "Hacked"}))),
        (Method::DELETE, format!("/v1/users/{user}"), None),
        (Method::PUT, format!("/v1/users/{user}/presence"), Some(json!({"online": true}))),
        (Method::POST, format!("/v1/users/{user}/tokens"), Some(json!({}))),
        (Method::GET, format!("/v1/users/{user}/tokens"), None),
        (Method::DELETE, format!("/v1/users/{user}/tokens/{token}"), None),
        (Method::GET, format!("/v1/numbers/{number}"), None),
        (Method::PATCH, format!("/v1/numbers/{number}"), Some(json!({"name": "Hacked"}))),
        (Method::DELETE, format!("/v1/numbers/{number}"), None),
        (Method::GET, format!("/v1/numbers/{number}/settings"), None),
        (Method::PUT, format!("/v1/numbers/{number}/settings"), Some(settings)),
        (Method::GET, format!("/v1/audio/{audio}"), None),
        (Method::GET, format!("/v1/audio/{audio}/info"), None),
        (Method::DELETE, format!("/v1/audio/{audio}"), None),
        (Method::GET, format!("/v1/ivrs/{ivr}"), None),
        (
            Method::PUT,
            format!("/v1/ivrs/{ivr}"),
            Some(json!({"name": "Hacked", "prompt_audio_id": audio})),
        ),
        (Method::DELETE, format!("/v1/ivrs/{ivr}"), None),
        (Method::GET, format!("/v1/calls/{call}"), None),
        (Method::GET, format!("/v1/calls?number_id={number}"), None),
        (Method::POST, format!("/v1/calls/{call}/voicedrop"), Some(json!({}))),
        (Method::GET, format!("/v1/recordings/{recording}"), None),
        (Method::GET, format!("/v1/voicemails/{voicemail}"), None),
        (Method::PATCH, format!("/v1/voicemails/{voicemail}"), Some(json!({"read": true}))),
        (Method::GET, format!("/v1/voicemails/{voicemail}/audio"), None),
    ];
    for token in [&mine.admin_token, &agent_token] {
        for (method, path, body) in &requests {
            let answer = match body {
                Some(body) => server.json(method.clone(), path, token, body).await,
                None => server.send(method.clone(), path, Some(token), None).await,
            };
            let error = answer.error(404);
            assert_eq!(error["code"], "not_found", "{method} {path}");
        }
    }
    // Another account's ids inside documents are 422 (they name nothing here), never accepted.
    let my_number = server.new_number(&mine, "+34910000001").await;
    let doc = receive_settings(&[&user], json!({"action": "message", "audio_id": audio}));
    server
        .put(&format!("/v1/numbers/{my_number}/settings"), &mine.admin_token, &doc)
        .await
        .error(422);

    // Nothing of theirs changed, and none of it shows in my lists.
    let their_user = server.get(&format!("/v1/users/{user}"), &theirs.admin_token).await.ok(200);
    assert_eq!(their_user["name"], "Zed");
    assert_eq!(their_user["switched_online"], false);
    assert_eq!(
        server
            .get(&format!("/v1/users/{user}/tokens"), &theirs.admin_token)
            .await
            .ok(200)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        server.get(&format!("/v1/numbers/{number}"), &theirs.admin_token).await.ok(200)["name"],
        "+34910000009"
    );
    server.get(&format!("/v1/audio/{audio}/info"), &theirs.admin_token).await.ok(200);
    assert_eq!(
        server.get(&format!("/v1/ivrs/{ivr}"), &theirs.admin_token).await.ok(200)["name"],
        "Theirs"
    );
    assert_eq!(
        server.get(&format!("/v1/voicemails/{voicemail}"), &theirs.admin_token).await.ok(200)["read"],
        false
    );
    let my_lists =
        ["/v1/users", "/v1/numbers", "/v1/audio", "/v1/ivrs", "/v1/calls", "/v1/voicemails"];
    for path in my_lists {
        let listed = server.get(path, &mine.admin_token).await.ok(200);
        let text = listed.to_string();
        for id in [&user, &number, &audio, &ivr, &call, &voicemail] {
            assert!(!text.contains(id.as_str()), "{path} shows {id}");
        }
    }
}
