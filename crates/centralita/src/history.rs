//! Writes what calls do to the store, in order, and tells the event stream.
//!
//! One task takes every history operation of every call from one channel, so a call's events
//! are stored in the order they happened, whatever the database's latency; the SIP and media
//! tasks never wait for it. Recordings and voicemails get their row (and file name) here
//! before the media task writes a byte, so every file under the data directory has an owner.

use std::collections::HashMap;

use centralita_api::{Audience, EventHub, StreamEvent};
use centralita_b2bua::{HistoryOp, LegId, RecordingKind};
use centralita_domain::{
    AccountId, CallEvent, CallId, EventKind, Millis, NumberId, RecordingId, UserId, VoicemailId,
};
use centralita_routing::VoicemailEnd;
use centralita_store::{NewCall, Store};
use serde_json::json;
use tokio::sync::mpsc;

use crate::media::RecordTarget;

/// Something to write.
#[derive(Debug)]
pub(crate) enum Write {
    /// From the switch.
    History(HistoryOp),
    /// The switch asked for a recording: create its row, then have the media task write it.
    Record { call: CallId, left: LegId, right: Option<LegId>, kind: RecordingKind },
    /// A conversation recording was closed.
    RecordingFinished { recording: RecordingId, duration_ms: u64 },
    /// A voicemail was closed.
    VoicemailFinished {
        call: CallId,
        voicemail: VoicemailId,
        duration_ms: u64,
        reason: VoicemailEnd,
    },
}

/// What the writer asks of the media engine once a recording's file is named.
#[derive(Debug)]
pub(crate) struct RecordTo {
    pub(crate) call: CallId,
    pub(crate) left: LegId,
    pub(crate) right: Option<LegId>,
    pub(crate) kind: RecordingKind,
    pub(crate) path: std::path::PathBuf,
    pub(crate) target: RecordTarget,
}

struct CallInfo {
    account: AccountId,
    number_id: Option<NumberId>,
    from: String,
    assigned: Vec<UserId>,
}

/// The writer's loop; ends when every sender is gone (after the last call).
pub(crate) async fn run(
    store: Store,
    events: EventHub,
    mut writes: mpsc::UnboundedReceiver<Write>,
    record_to: mpsc::UnboundedSender<RecordTo>,
) {
    let mut calls: HashMap<CallId, CallInfo> = HashMap::new();
    while let Some(write) = writes.recv().await {
        if let Err(e) = apply(&store, &events, &mut calls, &record_to, write).await {
            tracing::error!(error = %e, "could not write a call's history");
        }
    }
}

async fn apply(
    store: &Store,
    events: &EventHub,
    calls: &mut HashMap<CallId, CallInfo>,
    record_to: &mpsc::UnboundedSender<RecordTo>,
    write: Write,
) -> Result<(), centralita_store::StoreError> {
    match write {
        Write::History(HistoryOp::Started {
            call,
            account,
            number_id,
            from,
            to,
            at,
            assigned,
            direction,
            user_id,
        }) => {
            store
                .start_call(
                    account,
                    &NewCall {
                        id: Some(call),
                        number_id,
                        user_id,
                        direction,
                        from: from.clone(),
                        to,
                        started_at: at,
                    },
                )
                .await?;
            calls.insert(call, CallInfo { account, number_id, from, assigned });
        }
        Write::History(HistoryOp::Event { call, event }) => {
            store.append_event(call, &event).await?;
            // Written as it happens, so a call interrupted by a crash still shows who answered.
            if let EventKind::Answered { user_id } = &event.kind {
                store.answer_call(call, event.at, *user_id).await?;
            }
            notify(store, events, calls.get(&call), call, &event).await?;
        }
        Write::History(HistoryOp::Ended { call, at, status, answered, cost }) => {
            if let Some((answered_at, by)) = answered {
                store.answer_call(call, answered_at, by).await?;
            }
            store.end_call(call, at, status, cost.as_ref()).await?;
            if let Some(info) = calls.remove(&call) {
                publish(
                    events,
                    &info,
                    "call.ended",
                    json!({"call_id": call, "status": status}),
                    true,
                );
            }
        }
        Write::Record { call, left, right, kind } => {
            let Some(info) = calls.get(&call) else { return Ok(()) };
            let at = Millis(jiff::Timestamp::now().as_millisecond());
            let (path, target) = match kind {
                RecordingKind::Conversation => {
                    let recording = store.create_recording(info.account, call, 2, at).await?;
                    let event = CallEvent {
                        at,
                        reason: None,
                        kind: EventKind::RecordingStarted { recording_id: recording.id },
                    };
                    store.append_event(call, &event).await?;
                    (recording.path, RecordTarget::Conversation(recording.id))
                }
                RecordingKind::Voicemail { .. } => {
                    let voicemail = store
                        .create_voicemail(info.account, call, info.number_id, &info.from, at)
                        .await?;
                    (voicemail.path, RecordTarget::Voicemail(voicemail.id))
                }
            };
            let _ = record_to.send(RecordTo { call, left, right, kind, path, target });
        }
        Write::RecordingFinished { recording, duration_ms } => {
            store.finish_recording(recording, duration_ms).await?;
        }
        Write::VoicemailFinished { call, voicemail, duration_ms, reason } => {
            store.finish_voicemail(voicemail, duration_ms).await?;
            let why = match reason {
                VoicemailEnd::HungUp => "the caller hung up",
                VoicemailEnd::Silence => "silence",
                VoicemailEnd::MaxLength => "maximum length reached",
            };
            let event = CallEvent {
                at: Millis(jiff::Timestamp::now().as_millisecond()),
                reason: Some(why.into()),
                kind: EventKind::VoicemailRecorded { voicemail_id: voicemail, duration_ms },
            };
            store.append_event(call, &event).await?;
            if let Some(info) = calls.get(&call) {
                let data = json!({"voicemail_id": voicemail, "call_id": call, "number_id": info.number_id,
                    "from": info.from, "duration_ms": duration_ms});
                publish(events, info, "voicemail.created", data, false);
            }
        }
    }
    Ok(())
}

/// The live events of interface.md for a timeline event, to who may see them.
async fn notify(
    store: &Store,
    events: &EventHub,
    info: Option<&CallInfo>,
    call: CallId,
    event: &CallEvent,
) -> Result<(), centralita_store::StoreError> {
    let Some(info) = info else { return Ok(()) };
    match &event.kind {
        EventKind::Offered { user_id, devices } => {
            let data = json!({"call_id": call, "number_id": info.number_id, "from": info.from,
                "user_id": user_id, "devices": devices});
            publish(events, info, "call.offered", data, true);
        }
        EventKind::Answered { user_id } => {
            if let Some(user) = user_id {
                store.set_last_answered(*user, event.at).await?;
            }
            let data = json!({"call_id": call, "number_id": info.number_id, "user_id": user_id});
            publish(events, info, "call.answered", data, true);
        }
        _ => {}
    }
    Ok(())
}

fn publish(
    events: &EventHub,
    info: &CallInfo,
    name: &'static str,
    data: serde_json::Value,
    admins: bool,
) {
    let audience = if admins {
        Audience::UsersAndAdmins(info.assigned.clone())
    } else {
        Audience::Users(info.assigned.clone())
    };
    events.publish(StreamEvent { account: info.account, name, data, audience });
}
