//! The API and the web UI on a real 127.0.0.1 listener with a fresh data directory, and a
//! small cookie-keeping client that speaks to the UI like a browser with JavaScript off.

#![allow(dead_code, unreachable_pub, reason = "each test binary uses a different part")]

use std::collections::HashMap;
use std::sync::Arc;

use centralita_api::{ApiConfig, AppState, EventHub, NoCallLayer};
use centralita_store::Store;
use centralita_web::{Clock, WebConfig, WebState};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use tokio::sync::watch;

pub const T0: i64 = 1_795_000_000_000;

pub struct Server {
    pub base: String,
    pub api: reqwest::Client,
    pub operator: String,
    pub store: Store,
    pub events: EventHub,
    pub clock: Clock,
    shutdown: watch::Sender<bool>,
    _dir: tempfile::TempDir,
}

#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub admin_id: String,
    pub admin_token: String,
    pub admin_email: String,
}

pub const ADMIN_PASSWORD: &str = "admin password";
pub const USER_PASSWORD: &str = "user password";

impl Server {
    pub async fn start() -> Self {
        Self::start_with(WebConfig::default()).await
    }

    pub async fn start_with(config: WebConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let operator = centralita_api::new_token();
        let events = EventHub::default();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let live = Arc::new(NoCallLayer);
        let api = AppState::new(
            store.clone(),
            ApiConfig::default(),
            events.clone(),
            live.clone(),
            centralita_api::token_hash(&operator),
            shutdown_rx.clone(),
        );
        let clock = Clock::manual(T0);
        let web = WebState::with_clock(
            store.clone(),
            events.clone(),
            live,
            config,
            clock.clone(),
            shutdown_rx,
        );
        let app = centralita_api::app(api).merge(centralita_web::router(web));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut stop = shutdown.subscribe();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await
                .unwrap();
        });
        Self {
            base,
            api: reqwest::Client::new(),
            operator,
            store,
            events,
            clock,
            shutdown,
            _dir: dir,
        }
    }

    pub async fn api_send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut request =
            self.api.request(method, format!("{}{path}", self.base)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let bytes = response.bytes().await.unwrap();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value)
    }

    pub async fn api_get(&self, path: &str, token: &str) -> Value {
        let (status, value) = self.api_send(reqwest::Method::GET, path, token, None).await;
        assert!(status.is_success(), "{status}: {value}");
        value
    }

    pub async fn api_post(&self, path: &str, token: &str, body: &Value) -> Value {
        let (status, value) = self.api_send(reqwest::Method::POST, path, token, Some(body)).await;
        assert!(status.is_success(), "{status}: {value}");
        value
    }

    pub async fn new_account(&self, name: &str) -> Account {
        let slug = name.to_lowercase().replace(' ', "-");
        let email = format!("admin@{slug}.example");
        let body = json!({"name": name, "admin": {"name": format!("{name} admin"), "email": email, "password": ADMIN_PASSWORD}});
        let created = self.api_post("/v1/accounts", &self.operator, &body).await;
        Account {
            id: created["id"].as_str().unwrap().to_owned(),
            admin_id: created["admin_user_id"].as_str().unwrap().to_owned(),
            admin_token: created["token"].as_str().unwrap().to_owned(),
            admin_email: email,
        }
    }

    /// Creates a user; returns (id, email).
    pub async fn new_user(&self, account: &Account, name: &str, role: &str) -> (String, String) {
        let email = format!("{}@{}.example", name.to_lowercase(), &account.id[..8]);
        let body = json!({"name": name, "email": email, "role": role, "password": USER_PASSWORD});
        let user = self.api_post("/v1/users", &account.admin_token, &body).await;
        (user["id"].as_str().unwrap().to_owned(), email)
    }

    pub async fn new_number(&self, account: &Account, e164: &str, name: &str) -> String {
        let number = self
            .api_post("/v1/numbers", &account.admin_token, &json!({"e164": e164, "name": name}))
            .await;
        number["id"].as_str().unwrap().to_owned()
    }

    pub async fn new_audio(&self, account: &Account, name: &str) -> String {
        let response = self
            .api
            .post(format!("{}/v1/audio?name={name}", self.base))
            .bearer_auth(&account.admin_token)
            .header("content-type", "audio/wav")
            .body(tone_wav(8000, 1, 0.5))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let value: Value = response.json().await.unwrap();
        value["id"].as_str().unwrap().to_owned()
    }

    /// A browser (no JavaScript) that signs in as `email`.
    pub async fn signed_in(&self, email: &str, password: &str) -> Browser {
        let mut browser = Browser::new(&self.base);
        let page = browser.get("/login").await;
        assert_eq!(page.status, 200, "{}", page.text);
        let csrf = page.csrf();
        let answer = browser
            .post(
                "/login",
                &[("_csrf", &csrf), ("email", email), ("password", password), ("next", "/")],
            )
            .await;
        assert_eq!(answer.status, 303, "{}", answer.text);
        assert!(browser.cookies.contains_key("centralita_session"));
        browser
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// A 16-bit PCM WAV of a 440 Hz tone.
pub fn tone_wav(rate: u32, channels: u16, seconds: f64) -> Vec<u8> {
    let frames = (f64::from(rate) * seconds).round() as usize;
    let mut data = Vec::with_capacity(frames * usize::from(channels) * 2);
    for i in 0..frames {
        let t = i as f64 / f64::from(rate);
        let sample = ((2.0 * std::f64::consts::PI * 440.0 * t).sin() * 12000.0) as i16;
        for _ in 0..channels {
            data.extend_from_slice(&sample.to_le_bytes());
        }
    }
    let header = centralita_audio::WavHeader::pcm16(channels, rate).bytes(data.len() as u32);
    let mut wav = header.to_vec();
    wav.extend_from_slice(&data);
    wav
}

/// What a page request gave.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Page {
    /// The first form's CSRF token.
    pub fn csrf(&self) -> String {
        let marker = "name=\"_csrf\" value=\"";
        let start =
            self.text.find(marker).unwrap_or_else(|| panic!("no CSRF field in {}", self.text))
                + marker.len();
        self.text[start..].split('"').next().unwrap().to_owned()
    }

    pub fn location(&self) -> &str {
        self.headers.get(LOCATION).map_or("", |v| v.to_str().unwrap())
    }

    /// The text of the element with this id (its first text run), HTML-unescaped.
    pub fn by_id(&self, id: &str) -> Option<String> {
        let marker = format!("id=\"{id}\"");
        let start = self.text.find(&marker)?;
        let rest = &self.text[start..];
        let open_end = rest.find('>')? + 1;
        let inner = &rest[open_end..];
        let end = inner.find("</")?;
        Some(unescape(&inner[..end]))
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect()
    }
}

pub fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Cookies kept by hand, redirects not followed: every answer is checked as it comes.
pub struct Browser {
    base: String,
    client: reqwest::Client,
    pub cookies: HashMap<String, String>,
    pub accept_language: Option<String>,
    pub origin: Option<String>,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
            accept_language: None,
            origin: Some(base.to_owned()),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn finish(&mut self, request: reqwest::RequestBuilder) -> Page {
        let mut request = request.header("cookie", self.cookie_header());
        if let Some(lang) = &self.accept_language {
            request = request.header("accept-language", lang);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for value in headers.get_all(SET_COOKIE) {
            let value = value.to_str().unwrap();
            let pair = value.split(';').next().unwrap();
            let (name, val) = pair.split_once('=').unwrap();
            if val.is_empty() || value.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), val.to_owned());
            }
        }
        let text = response.text().await.unwrap();
        Page { status, headers, text }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(format!("{}{path}", self.base));
        self.finish(request).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body: String =
            form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(origin) = &self.origin {
            request = request.header("origin", origin);
        }
        self.finish(request).await
    }

    /// A multipart POST: text fields, then files as (field, filename, type, bytes).
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str, Vec<u8>)],
    ) -> Page {
        let boundary = "----centralita-test-boundary";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
        for (name, filename, content_type, bytes) in files {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body);
        if let Some(origin) = &self.origin {
            request = request.header("origin", origin);
        }
        self.finish(request).await
    }
}
