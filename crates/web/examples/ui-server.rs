//! A test server for the browser tests (`tests/browser/`): the API and the web UI on
//! 127.0.0.1:0 with a fresh data directory, exactly as the binary will serve them once it
//! merges `centralita_web::router`. It prints one JSON line, `{"base", "operator"}`, then
//! serves until SIGTERM or Ctrl-C, and removes its data directory.
//!
//! Beside the real routes it has two test-only ones, allowed only with the operator token,
//! that play the part of the call layer (which is being built): `POST /test/publish` puts an
//! event on the hub (as the call layer does when a voicemail is left) and `POST /test/seed-call`
//! writes a finished call with a recording and a voicemail into the store.

#![allow(clippy::print_stdout, reason = "the harness reads the address from standard output")]

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use centralita_api::{ApiConfig, AppState, Audience, EventHub, NoCallLayer, StreamEvent};
use centralita_domain::{
    AccountId, CallEvent, CallStatus, Direction, EventKind, HangupBy, Millis, NumberId, UserId,
};
use centralita_store::{NewCall, Store};
use centralita_web::{WebConfig, WebState};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::watch;

#[derive(Clone)]
struct TestHooks {
    store: Store,
    events: EventHub,
    operator_hash: String,
}

fn is_operator(hooks: &TestHooks, headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|token| centralita_api::token_hash(token) == hooks.operator_hash)
}

#[derive(Deserialize)]
struct Publish {
    account_id: AccountId,
    name: String,
    data: Value,
    users: Vec<UserId>,
}

async fn publish(
    State(hooks): State<TestHooks>,
    headers: HeaderMap,
    Json(body): Json<Publish>,
) -> StatusCode {
    if !is_operator(&hooks, &headers) {
        return StatusCode::FORBIDDEN;
    }
    let name: &'static str = match body.name.as_str() {
        "voicemail.created" => "voicemail.created",
        "call.offered" => "call.offered",
        "call.answered" => "call.answered",
        "call.ended" => "call.ended",
        _ => return StatusCode::UNPROCESSABLE_ENTITY,
    };
    hooks.events.publish(StreamEvent {
        account: body.account_id,
        name,
        data: body.data,
        audience: Audience::Users(body.users),
    });
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Seed {
    account_id: AccountId,
    number_id: NumberId,
    from: String,
    to: String,
}

/// A 16-bit PCM WAV of a tone, `channels` channels at 8 kHz.
fn tone(channels: u16, seconds: f64, freq: f64) -> Vec<u8> {
    let frames = (8000.0 * seconds) as usize;
    let mut data = Vec::with_capacity(frames * usize::from(channels) * 2);
    for i in 0..frames {
        let sample =
            ((2.0 * std::f64::consts::PI * freq * i as f64 / 8000.0).sin() * 9000.0) as i16;
        for _ in 0..channels {
            data.extend_from_slice(&sample.to_le_bytes());
        }
    }
    let mut wav =
        centralita_audio::WavHeader::pcm16(channels, 8000).bytes(data.len() as u32).to_vec();
    wav.extend_from_slice(&data);
    wav
}

async fn seed_call(
    State(hooks): State<TestHooks>,
    headers: HeaderMap,
    Json(body): Json<Seed>,
) -> Result<Json<Value>, StatusCode> {
    if !is_operator(&hooks, &headers) {
        return Err(StatusCode::FORBIDDEN);
    }
    let fail = |_| StatusCode::INTERNAL_SERVER_ERROR;
    let store = &hooks.store;
    let started = jiff::Timestamp::now().as_millisecond() - 60_000;
    let call = store
        .start_call(
            body.account_id,
            &NewCall {
                id: None,
                number_id: Some(body.number_id),
                user_id: None,
                direction: Direction::Inbound,
                from: body.from.clone(),
                to: body.to.clone(),
                started_at: Millis(started),
            },
        )
        .await
        .map_err(fail)?;
    let event = |at: i64, reason: Option<&str>, kind| CallEvent {
        at: Millis(started + at),
        reason: reason.map(str::to_owned),
        kind,
    };
    store
        .append_event(
            call,
            &event(0, None, EventKind::Arrived { from: body.from.clone(), to: body.to.clone() }),
        )
        .await
        .map_err(fail)?;
    let recording = store
        .create_recording(body.account_id, call, 2, Millis(started + 100))
        .await
        .map_err(fail)?;
    tokio::fs::write(&recording.path, tone(2, 2.0, 440.0))
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    store.finish_recording(recording.id, 2000).await.map_err(fail)?;
    store
        .append_event(
            call,
            &event(100, None, EventKind::RecordingStarted { recording_id: recording.id }),
        )
        .await
        .map_err(fail)?;
    store
        .append_event(
            call,
            &event(
                200,
                Some("no assigned agent online"),
                EventKind::OfflineAction { action: "voicemail".into() },
            ),
        )
        .await
        .map_err(fail)?;
    let voicemail = store
        .create_voicemail(
            body.account_id,
            call,
            Some(body.number_id),
            &body.from,
            Millis(started + 5000),
        )
        .await
        .map_err(fail)?;
    tokio::fs::write(&voicemail.path, tone(1, 3.0, 660.0))
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    store.finish_voicemail(voicemail.id, 3000).await.map_err(fail)?;
    store
        .append_event(
            call,
            &event(
                8000,
                None,
                EventKind::VoicemailRecorded { voicemail_id: voicemail.id, duration_ms: 3000 },
            ),
        )
        .await
        .map_err(fail)?;
    let ended =
        EventKind::Ended { hangup_by: HangupBy::Caller, duration_ms: 8000, talk_ms: 0, cost: None };
    store.append_event(call, &event(8000, Some("voicemail"), ended)).await.map_err(fail)?;
    store
        .end_call(call, Millis(started + 8000), CallStatus::Voicemail, None)
        .await
        .map_err(fail)?;
    Ok(Json(json!({"call_id": call, "recording_id": recording.id, "voicemail_id": voicemail.id})))
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("a temporary data directory");
    let store = Store::open(dir.path()).await.expect("the store opens");
    let operator = centralita_api::new_token();
    let operator_hash = centralita_api::token_hash(&operator);
    let events = EventHub::default();
    let (shutdown, shutdown_rx) = watch::channel(false);
    let live = Arc::new(NoCallLayer);
    let api = AppState::new(
        store.clone(),
        ApiConfig::default(),
        events.clone(),
        live.clone(),
        operator_hash.clone(),
        shutdown_rx.clone(),
    );
    let web = WebState::new(store.clone(), events.clone(), live, WebConfig::default(), shutdown_rx);
    let hooks = TestHooks { store, events, operator_hash };
    let test_routes = axum::Router::new()
        .route("/test/publish", post(publish))
        .route("/test/seed-call", post(seed_call))
        .with_state(hooks);
    let app = centralita_api::app(api).merge(centralita_web::router(web)).merge(test_routes);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let addr = listener.local_addr().expect("an address");
    println!("{}", json!({"base": format!("http://{addr}"), "operator": operator}));
    let stop = async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        let _ = shutdown.send(true);
    };
    axum::serve(listener, app).with_graceful_shutdown(stop).await.expect("the server runs");
    drop(dir);
}
