//! A real centralita API on a real 127.0.0.1 listener, with a fresh data directory, for tests
//! that speak HTTP to it like any client would.

#![allow(dead_code, unreachable_pub, reason = "each test binary uses a different part")]

use std::sync::Arc;

use centralita_api::{ApiConfig, AppState, EventHub, NoCallLayer};
use centralita_store::Store;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::watch;

/// A running server.
pub struct Server {
    pub base: String,
    pub client: reqwest::Client,
    pub operator: String,
    pub store: Store,
    pub events: EventHub,
    shutdown: watch::Sender<bool>,
    _dir: tempfile::TempDir,
}

/// An account made through the API, with its first admin.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub admin_id: String,
    pub admin_token: String,
}

/// The answer to a request: status, headers, and the body as JSON when it is JSON.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|e| {
            panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.bytes))
        })
    }

    /// Asserts the status and the error shape of interface.md, and returns the error object.
    pub fn error(&self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", String::from_utf8_lossy(&self.bytes));
        let body = self.json();
        let error = body.get("error").unwrap_or_else(|| panic!("no error object: {body}")).clone();
        assert!(error["code"].is_string(), "{body}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
        error
    }

    /// Asserts a 422 naming `field`.
    pub fn invalid(&self, field: &str) -> Value {
        let error = self.error(422);
        assert_eq!(error["field"], field, "{error}");
        error
    }

    pub fn ok(&self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", String::from_utf8_lossy(&self.bytes));
        if self.bytes.is_empty() { Value::Null } else { self.json() }
    }
}

impl Server {
    pub async fn start() -> Self {
        Self::start_with(ApiConfig::default()).await
    }

    pub async fn start_with(config: ApiConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let operator = centralita_api::new_token();
        let events = EventHub::default();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let state = AppState::new(
            store.clone(),
            config,
            events.clone(),
            Arc::new(NoCallLayer),
            centralita_api::token_hash(&operator),
            shutdown_rx,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut stop = shutdown.subscribe();
        tokio::spawn(async move {
            axum::serve(listener, centralita_api::app(state))
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await
                .unwrap();
        });
        Self { base, client: reqwest::Client::new(), operator, store, events, shutdown, _dir: dir }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> Answer {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some((content_type, bytes)) = body {
            request = request.header("content-type", content_type).body(bytes);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap().to_vec();
        Answer { status, headers, bytes }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Answer {
        self.send(Method::DELETE, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Answer {
        self.json(Method::POST, path, token, body).await
    }

    pub async fn put(&self, path: &str, token: &str, body: &Value) -> Answer {
        self.json(Method::PUT, path, token, body).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Answer {
        self.json(Method::PATCH, path, token, body).await
    }

    pub async fn json(&self, method: Method, path: &str, token: &str, body: &Value) -> Answer {
        let bytes = serde_json::to_vec(body).unwrap();
        self.send(method, path, Some(token), Some(("application/json", bytes))).await
    }

    /// Sends raw text as a JSON body (for malformed documents).
    pub async fn raw(&self, method: Method, path: &str, token: &str, text: &str) -> Answer {
        self.send(method, path, Some(token), Some(("application/json", text.as_bytes().to_vec())))
            .await
    }

    pub async fn new_account(&self, name: &str) -> Account {
        let slug = name.to_lowercase().replace(' ', "-");
        let body = json!({
            "name": name,
            "admin": {"name": format!("{name} admin"), "email": format!("admin@{slug}.example"),
                      "password": "admin password"}
        });
        let created = self.post("/v1/accounts", &self.operator, &body).await.ok(201);
        Account {
            id: created["id"].as_str().unwrap().to_owned(),
            admin_id: created["admin_user_id"].as_str().unwrap().to_owned(),
            admin_token: created["token"].as_str().unwrap().to_owned(),
        }
    }

    /// Creates a user and returns (id, a token of theirs).
    pub async fn new_user(&self, account: &Account, name: &str, role: &str) -> (String, String) {
        let slug = name.to_lowercase().replace(' ', ".");
        let body = json!({"name": name, "email": format!("{slug}@{}.example", &account.id[..8]),
            "role": role, "password": "user password"});
        let user = self.post("/v1/users", &account.admin_token, &body).await.ok(201);
        let id = user["id"].as_str().unwrap().to_owned();
        let token = self
            .send(Method::POST, &format!("/v1/users/{id}/tokens"), Some(&account.admin_token), None)
            .await
            .ok(201)["token"]
            .as_str()
            .unwrap()
            .to_owned();
        (id, token)
    }

    pub async fn new_number(&self, account: &Account, e164: &str) -> String {
        let number = self
            .post("/v1/numbers", &account.admin_token, &json!({"e164": e164, "name": e164}))
            .await
            .ok(201);
        number["id"].as_str().unwrap().to_owned()
    }

    pub async fn upload(&self, account: &Account, name: &str, wav: Vec<u8>) -> Answer {
        self.send(
            Method::POST,
            &format!("/v1/audio?name={name}"),
            Some(&account.admin_token),
            Some(("audio/wav", wav)),
        )
        .await
    }

    pub async fn new_audio(&self, account: &Account, name: &str) -> String {
        let answer = self.upload(account, name, tone_wav(8000, 1, 440.0, 0.5)).await.ok(201);
        answer["id"].as_str().unwrap().to_owned()
    }

    pub fn stop(&self) {
        let _ = self.shutdown.send(true);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A 16-bit PCM WAV file of a sine tone.
pub fn tone_wav(rate: u32, channels: u16, freq: f64, seconds: f64) -> Vec<u8> {
    let frames = (f64::from(rate) * seconds).round() as usize;
    let mut data = Vec::with_capacity(frames * usize::from(channels) * 2);
    for i in 0..frames {
        let t = i as f64 / f64::from(rate);
        let sample = ((2.0 * std::f64::consts::PI * freq * t).sin() * 12000.0) as i16;
        for _ in 0..channels {
            data.extend_from_slice(&sample.to_le_bytes());
        }
    }
    let header = centralita_audio::WavHeader::pcm16(channels, rate).bytes(data.len() as u32);
    let mut wav = header.to_vec();
    wav.extend_from_slice(&data);
    wav
}

/// A settings document for `number` in receive mode.
pub fn receive_settings(users: &[&str], when_offline: Value) -> Value {
    json!({
        "record_calls": false,
        "ivr_id": null,
        "incoming": {"mode": "receive", "distribution": "random", "when_offline": when_offline},
        "welcome_audio_id": null,
        "voicedrop_audio_id": null,
        "assigned_user_ids": users,
    })
}
