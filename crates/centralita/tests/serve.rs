//! The real `centralita` binary: starts on its defaults in a fresh data directory, prints the
//! generated operator token once, serves the API, and stops cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running binary with its output lines.
struct Running {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

fn lines(stream: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn start(data_dir: &std::path::Path, extra_env: &[(&str, &str)]) -> Running {
    let mut command = Command::new(env!("CARGO_BIN_EXE_centralita"));
    command
        .args(["serve", "--http-listen", "127.0.0.1:0", "--sip-listen", "127.0.0.1:0"])
        .env("CENTRALITA_DATA_DIR", data_dir)
        .env("CENTRALITA_LOG_FORMAT", "json")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in extra_env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    let stdout = lines(child.stdout.take().unwrap());
    let stderr = lines(child.stderr.take().unwrap());
    Running { child, stdout, stderr }
}

/// Waits for the log line whose message is `message` and returns it as JSON. The deadline only
/// turns a hang into a failure; the test waits for the event itself.
fn wait_for_log(running: &Running, message: &str) -> serde_json::Value {
    loop {
        let line = running
            .stderr
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no log line {message:?}"));
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(&line)
            && json["message"] == message
        {
            return json;
        }
    }
}

/// After the process exited: its standard output ends without another line.
fn assert_no_more_output(running: &Running) {
    match running.stdout.recv_timeout(Duration::from_secs(60)) {
        Err(mpsc::RecvTimeoutError::Disconnected) => {}
        other => panic!("unexpected standard output: {other:?}"),
    }
}

fn terminate(running: &mut Running) -> std::process::ExitStatus {
    let status =
        Command::new("kill").args(["-TERM", &running.child.id().to_string()]).status().unwrap();
    assert!(status.success());
    running.child.wait().unwrap()
}

#[tokio::test]
async fn first_start_generates_a_token_serves_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mut running = start(&data_dir, &[]);
    let listening = wait_for_log(&running, "HTTP API listening");
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
    let status = terminate(&mut running);
    assert!(status.success(), "{status:?}");
    wait_for_log(&running, "stopped");

    // A second start keeps the same operator token and prints nothing.
    let mut again = start(&data_dir, &[]);
    let addr = wait_for_log(&again, "HTTP API listening")["addr"].as_str().unwrap().to_owned();
    let accounts =
        client.get(format!("http://{addr}/v1/accounts")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(accounts.status(), 200);
    let listed: serde_json::Value = accounts.json().await.unwrap();
    assert_eq!(listed[0]["name"], "Acme");
    assert!(terminate(&mut again).success());
    assert_no_more_output(&again);
}

#[tokio::test]
async fn a_configured_operator_token_wins_and_is_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let mut running = start(dir.path(), &[("CENTRALITA_OPERATOR_TOKEN", "my-operator-secret")]);
    let addr = wait_for_log(&running, "HTTP API listening")["addr"].as_str().unwrap().to_owned();
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
    assert!(terminate(&mut running).success());
    assert_no_more_output(&running);
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
