//! `POST /v1/numbers/{id}/simulate`: the dry run answers "what happens if someone calls now,
//! and why", with the real routing engine on the number's real settings.

mod common;

use common::{Server, receive_settings};
use serde_json::{Value, json};

fn types(timeline: &Value) -> Vec<String> {
    timeline["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["events"].as_array().unwrap().iter())
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn with_nobody_online_the_dry_run_says_why_the_call_goes_to_voicemail() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let number = server.new_number(&acme, "+34910000001").await;
    let path = format!("/v1/numbers/{number}/simulate");
    // An empty body: a call arriving now, agents as they are (nobody has a phone registered).
    let timeline = server.post(&path, &acme.admin_token, &json!({})).await.ok(200);
    assert_eq!(timeline["outcome"], "voicemail", "{timeline:#}");
    assert_eq!(timeline["truncated"], false);
    let events = types(&timeline);
    assert_eq!(events.first().map(String::as_str), Some("arrived"));
    assert!(events.contains(&"offline_action".to_owned()), "{events:?}");
    assert_eq!(events.last().map(String::as_str), Some("ended"));
    let text = timeline["text"].as_str().unwrap();
    assert!(text.contains("online"), "the reason names the missing online agent:\n{text}");
    let steps = timeline["steps"].as_array().unwrap();
    assert!(steps.windows(2).all(|w| w[0]["at_ms"].as_u64() <= w[1]["at_ms"].as_u64()));
}

#[tokio::test]
async fn states_and_a_script_in_the_request_replace_the_agents_state_now() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let (ana, _) = server.new_user(&acme, "Ana", "agent").await;
    let (bea, _) = server.new_user(&acme, "Bea", "agent").await;
    let number = server.new_number(&acme, "+34910000001").await;
    let mut settings = receive_settings(&[&ana, &bea], json!({"action": "voicemail"}));
    settings["incoming"]["distribution"] = json!("longest_idle");
    settings["incoming"]["ring_timeout_s"] = json!(15);
    server
        .put(&format!("/v1/numbers/{number}/settings"), &acme.admin_token, &settings)
        .await
        .ok(200);
    let path = format!("/v1/numbers/{number}/simulate");

    // Both online with a phone; the first rung does not answer, the second answers after 4 s.
    let body = json!({
        "from": "+34600111222",
        "agents": [
            {"user_id": ana, "online": true, "registered": true},
            {"user_id": bea, "online": true, "registered": true, "busy": false},
        ],
        "script": [{"type": "agent_answers", "user_id": bea, "after_ms": 4000}],
        "talk_s": 30,
    });
    let timeline = server.post(&path, &acme.admin_token, &body).await.ok(200);
    assert_eq!(timeline["outcome"], "completed", "{timeline:#}");
    let events: Vec<Value> = timeline["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["events"].as_array().unwrap().clone())
        .collect();
    let offered: Vec<&Value> = events.iter().filter(|e| e["type"] == "offered").collect();
    let answered = events.iter().find(|e| e["type"] == "answered").expect("someone answers");
    assert_eq!(answered["user_id"], bea.as_str());
    if offered[0]["user_id"] == ana.as_str() {
        // Ana rang first: she gets the number's 15 s, then Bea.
        let no_answer = events.iter().find(|e| e["type"] == "no_answer").unwrap();
        assert_eq!(no_answer["user_id"], ana.as_str());
        assert_eq!(offered[1]["user_id"], bea.as_str());
    }
    let ended = events.last().unwrap();
    assert_eq!(ended["type"], "ended");
    assert!(ended["talk_ms"].as_u64().unwrap() == 30_000, "{ended}");

    // Ana alone, offline: the offline action, whatever the script says about Bea.
    let body = json!({"agents": [{"user_id": ana, "online": false}, {"user_id": bea, "registered": false}],
        "script": [{"type": "agent_answers", "user_id": bea, "after_ms": 1000}]});
    let timeline = server.post(&path, &acme.admin_token, &body).await.ok(200);
    assert_eq!(timeline["outcome"], "voicemail", "{timeline:#}");
    assert!(!types(&timeline).contains(&"offered".to_owned()));
}

#[tokio::test]
async fn a_bad_request_is_refused_naming_the_field_and_ids_stay_in_their_account() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let other = server.new_account("Other").await;
    let (ana, ana_token) = server.new_user(&acme, "Ana", "agent").await;
    let (stranger, _) = server.new_user(&other, "Stranger", "agent").await;
    let number = server.new_number(&acme, "+34910000001").await;
    let foreign_number = server.new_number(&other, "+34910000002").await;
    let path = format!("/v1/numbers/{number}/simulate");
    let token = &acme.admin_token;

    for (body, field) in [
        (json!({"agents": [{"user_id": stranger}]}), "agents[0].user_id"),
        (
            json!({"agents": [{"user_id": "01900000-0000-7000-8000-000000000000"}]}),
            "agents[0].user_id",
        ),
        (json!({"agents": [{"user_id": ana}, {"user_id": ana}]}), "agents[1].user_id"),
        (json!({"agents": [{"user_id": "nope"}]}), "agents[0].user_id"),
        (
            json!({"script": [{"type": "agent_answers", "user_id": stranger, "after_ms": 1}]}),
            "script[0].user_id",
        ),
        (
            json!({"script": [{"type": "caller_presses", "at_ms": 1000, "digit": "12"}]}),
            "script[0].digit",
        ),
        (
            json!({"script": [{"type": "caller_presses", "at_ms": 1000, "digit": "a"}]}),
            "script[0].digit",
        ),
        (
            json!({"script": [{"type": "forward_fails", "after_ms": 1000, "status": 200}]}),
            "script[0].status",
        ),
        (json!({"script": [{"type": "caller_hangs_up", "at_ms": 90_000_000}]}), "script[0].at_ms"),
        (json!({"script": [{"type": "caller_sings", "at_ms": 1}]}), "script[0].type"),
        (json!({"talk_s": 0}), "talk_s"),
        (json!({"surprise": true}), "surprise"),
    ] {
        let answer = server.post(&path, token, &body).await;
        let error = answer.error(422);
        assert!(
            error["field"].as_str().unwrap().starts_with(field),
            "{body} → {error} (expected {field})"
        );
    }
    // Another account's number does not exist; an agent may not run it.
    server
        .post(&format!("/v1/numbers/{foreign_number}/simulate"), token, &json!({}))
        .await
        .error(404);
    server.post(&path, &ana_token, &json!({})).await.error(403);
}
