//! Running the real `centralita` binary in tests: start it on ephemeral loopback ports in a
//! fresh data directory, learn its addresses from its JSON logs (waiting for the log line, not
//! for time), talk to it, stop it with SIGTERM.

#![allow(dead_code, unreachable_pub, reason = "each test binary uses a different part")]

pub mod media;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

/// A running server with its output lines.
pub struct Running {
    pub child: Child,
    pub stdout: mpsc::Receiver<String>,
    pub stderr: mpsc::Receiver<String>,
    /// Every JSON log line seen so far.
    pub logs: Vec<Value>,
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

/// Starts `centralita serve` on 127.0.0.1 ports chosen by the kernel, with `extra_env`.
pub fn start(data_dir: &Path, extra_env: &[(&str, &str)]) -> Running {
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
    Running { child, stdout, stderr, logs: Vec::new() }
}

impl Running {
    /// Waits for the log line whose message is `message` and returns it. The deadline only
    /// turns a hang into a failure; the test waits for the event itself.
    pub fn wait_for_log(&mut self, message: &str) -> Value {
        if let Some(found) = self.logs.iter().find(|l| l["message"] == message) {
            return found.clone();
        }
        let mut other = String::new();
        loop {
            let Ok(line) = self.stderr.recv_timeout(Duration::from_secs(60)) else {
                let status = self.child.try_wait().ok().flatten();
                panic!("no log line {message:?} (server exit: {status:?}); it said:\n{other}");
            };
            if let Ok(json) = serde_json::from_str::<Value>(&line) {
                self.logs.push(json.clone());
                if json["message"] == message {
                    return json;
                }
            } else {
                other.push_str(&line);
                other.push('\n');
            }
        }
    }

    /// The HTTP API's base URL.
    pub fn api(&mut self) -> String {
        format!("http://{}", self.wait_for_log("HTTP API listening")["addr"].as_str().unwrap())
    }

    /// The SIP address.
    pub fn sip(&mut self) -> String {
        self.wait_for_log("SIP listening (UDP and TCP)")["local"].as_str().unwrap().to_owned()
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let status =
            Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        self.child.wait().unwrap()
    }

    /// After the process exited: its standard output ends without another line.
    pub fn assert_no_more_output(&self) {
        match self.stdout.recv_timeout(Duration::from_secs(60)) {
            Err(mpsc::RecvTimeoutError::Disconnected) => {}
            other => panic!("unexpected standard output: {other:?}"),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The repository's SIPp scenario directory.
pub fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/sipp")
}

/// What a SIPp run ended with.
#[derive(Debug)]
pub struct SippRun {
    pub status: ExitStatus,
    pub output: String,
}

/// Runs SIPp with `scenario` against `target` and these extra arguments; SIPp's own timeout
/// ends a run that would hang.
pub fn sipp(scenario: &str, target: &str, args: &[&str]) -> SippRun {
    sipp_with(scenario, target, args, &[])
}

/// Like [`sipp`], with files put in SIPp's working directory first (audio for `rtp_stream`).
pub fn sipp_with(scenario: &str, target: &str, args: &[&str], files: &[(&str, &[u8])]) -> SippRun {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let output = Command::new("sipp")
        .arg(target)
        .arg("-sf")
        .arg(scenarios().join(scenario))
        .args(["-m", "1", "-timeout", "30s", "-timeout_error", "-nostdin", "-trace_err"])
        .args(args)
        .current_dir(dir.path())
        .output()
        .expect("sipp is installed (Debian package sip-tester; .ci/run installs it)");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    for entry in std::fs::read_dir(dir.path()).unwrap().flatten() {
        if let Ok(log) = std::fs::read_to_string(entry.path()) {
            text.push_str(&log);
        }
    }
    SippRun { status: output.status, output: text }
}

/// A SIPp run in the background (an agent's phone waiting for calls).
pub struct SippBackground {
    child: std::process::Child,
    dir: tempfile::TempDir,
}

impl SippBackground {
    /// Starts `scenario` as a UAS-like party on `port`, against `target`.
    pub fn start(scenario: &str, target: &str, args: &[&str]) -> SippBackground {
        Self::start_in(tempfile::tempdir().unwrap(), scenario, target, args)
    }

    /// Like [`SippBackground::start`], in a working directory the caller prepared.
    pub fn start_in(
        dir: tempfile::TempDir,
        scenario: &str,
        target: &str,
        args: &[&str],
    ) -> SippBackground {
        let child = Command::new("sipp")
            .arg(target)
            .arg("-sf")
            .arg(scenarios().join(scenario))
            .args(["-m", "1", "-timeout", "60s", "-timeout_error", "-nostdin", "-trace_err"])
            .args(args)
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sipp is installed");
        SippBackground { child, dir }
    }

    /// Waits for the scenario to end.
    pub fn finish(mut self) -> SippRun {
        let child = std::mem::replace(&mut self.child, Command::new("true").spawn().unwrap());
        let output = child.wait_with_output().unwrap();
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        for entry in std::fs::read_dir(self.dir.path()).unwrap().flatten() {
            if let Ok(log) = std::fs::read_to_string(entry.path()) {
                text.push_str(&log);
            }
        }
        SippRun { status: output.status, output: text }
    }
}

impl Drop for SippBackground {
    fn drop(&mut self) {
        // A test that failed must not leave a phone listening on its port.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates an account through the API and returns its admin token.
pub async fn account(api: &str, operator: &str) -> String {
    let created: Value = reqwest::Client::new()
        .post(format!("{api}/v1/accounts"))
        .bearer_auth(operator)
        .json(&json!({"name": "Acme", "admin": {"name": "Admin", "email": "admin@acme.example",
            "password": "admin password", "sip_username": "admin", "sip_password": "admin sip secret"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    created["token"].as_str().unwrap().to_owned()
}

/// A request with the token, returning status and JSON.
pub async fn call(
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new().request(method, url).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Creates an agent "`name`@acme.example" whose SIP username is `name`; returns their id.
pub async fn sip_agent(api: &str, admin: &str, name: &str, sip_password: &str) -> String {
    let (status, user) = call(
        reqwest::Method::POST,
        &format!("{api}/v1/users"),
        admin,
        Some(json!({"name": name, "email": format!("{name}@acme.example"), "role": "agent",
            "password": "user password", "sip_username": name, "sip_password": sip_password})),
    )
    .await;
    assert_eq!(status, 201, "{user}");
    user["id"].as_str().unwrap().to_owned()
}

/// Switches a user's presence.
pub async fn set_online(api: &str, admin: &str, user: &str, online: bool) {
    let path = format!("{api}/v1/users/{user}/presence");
    let (status, body) =
        call(reqwest::Method::PUT, &path, admin, Some(json!({"online": online}))).await;
    assert_eq!(status, 200, "{body}");
}

/// Adds the number `e164` and returns its id.
pub async fn number(api: &str, admin: &str, e164: &str) -> String {
    let (status, number) = call(
        reqwest::Method::POST,
        &format!("{api}/v1/numbers"),
        admin,
        Some(json!({"e164": e164})),
    )
    .await;
    assert_eq!(status, 201, "{number}");
    number["id"].as_str().unwrap().to_owned()
}

/// Puts a number's whole settings document.
pub async fn put_settings(api: &str, admin: &str, number: &str, settings: Value) {
    let path = format!("{api}/v1/numbers/{number}/settings");
    let (status, body) = call(reqwest::Method::PUT, &path, admin, Some(settings)).await;
    assert_eq!(status, 200, "{body}");
}

/// Uploads `wav` as an audio message and returns its id.
pub async fn upload_audio(api: &str, admin: &str, name: &str, wav: Vec<u8>) -> String {
    let answer: Value = reqwest::Client::new()
        .post(format!("{api}/v1/audio?name={name}"))
        .bearer_auth(admin)
        .header("Content-Type", "audio/wav")
        .body(wav)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["id"].as_str().unwrap_or_else(|| panic!("upload refused: {answer}")).to_owned()
}
