//! The real `centralita` binary: starts on its defaults in a fresh data directory, prints the
//! generated operator token once, serves the API, and stops cleanly on SIGTERM.

mod common;

use std::process::Command;
use std::time::Duration;

use common::start;

#[tokio::test]
async fn first_start_generates_a_token_serves_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mut running = start(&data_dir, &[]);
    let listening = running.wait_for_log("HTTP API listening");
    let addr = listening["addr"].as_str().unwrap().to_owned();
    let line = running.stdout.recv_timeout(Duration::from_secs(60)).unwrap();
    let token = line.rsplit(' ').next().unwrap().to_owned();
    assert!(line.contains("operator token"), "{line}");
    assert!(token.starts_with("cnt_"), "{line}");
    assert!(data_dir.join("centralita.db").is_file(), "the data directory is created");

    let client = reqwest::Client::new();
    let created = client
        .post(format!("http://{addr}/v1/accounts"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "Acme", "admin": {"name": "Ana", "email": "ana@acme.example", "password": "ana password"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let status = running.terminate();
    assert!(status.success(), "{status:?}");
    running.wait_for_log("stopped");

    // A second start keeps the same operator token and prints nothing.
    let mut again = start(&data_dir, &[]);
    let addr = again.wait_for_log("HTTP API listening")["addr"].as_str().unwrap().to_owned();
    let accounts =
        client.get(format!("http://{addr}/v1/accounts")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(accounts.status(), 200);
    let listed: serde_json::Value = accounts.json().await.unwrap();
    assert_eq!(listed[0]["name"], "Acme");
    assert!(again.terminate().success());
    again.assert_no_more_output();
}

#[tokio::test]
async fn a_configured_operator_token_wins_and_is_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let mut running = start(dir.path(), &[("CENTRALITA_OPERATOR_TOKEN", "my-operator-secret")]);
    let addr = running.wait_for_log("HTTP API listening")["addr"].as_str().unwrap().to_owned();
    let client = reqwest::Client::new();
    let ok = client
        .get(format!("http://{addr}/v1/accounts"))
        .bearer_auth("my-operator-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let wrong =
        client.get(format!("http://{addr}/v1/accounts")).bearer_auth("guess").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(running.terminate().success());
    running.assert_no_more_output();
}

#[test]
fn a_bad_configuration_is_refused_with_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[routing]\nring_timeout_s = \"thirty\"\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_centralita"))
        .args(["serve", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ring_timeout_s"), "{stderr}");
}
