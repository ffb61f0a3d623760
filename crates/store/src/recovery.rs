//! What a process that died in the middle of calls left behind, put right at the next start.
//!
//! Calls are written as they go, so a crash leaves rows `in_progress` and recordings or
//! voicemails whose WAV header still says "length unknown". [`Store::close_interrupted_calls`]
//! closes each such call as `interrupted`: it fixes each unfinished file's header to the
//! samples really on disk, records their length, and ends the call at the last instant the
//! history can vouch for (its last event, or the end of what was recorded). Nothing recorded is
//! dropped.

use std::path::Path;

use centralita_audio::WavHeader;
use centralita_domain::{CallEvent, CallId, CallStatus, EventKind, HangupBy, Millis};

use crate::files::file_error;
use crate::{Store, StoreError, parse_id};

/// A recording or voicemail of an interrupted call, whose length was never written.
#[derive(sqlx::FromRow)]
struct Unfinished {
    id: String,
    file: String,
    channels: i64,
    created_ms: i64,
}

impl Store {
    /// Closes every call left `in_progress` by a process that died, as `interrupted`, and
    /// finishes their recordings and voicemails. Returns the calls it closed.
    ///
    /// Only for the start of the process, before any call is taken: every call in progress is
    /// then, by definition, one that the previous process did not finish.
    pub async fn close_interrupted_calls(&self) -> Result<Vec<CallId>, StoreError> {
        let calls: Vec<(String, i64, Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT id, started_ms, answered_ms, voicemail_id FROM calls WHERE status = 'in_progress'",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut closed = Vec::with_capacity(calls.len());
        for (id, started_ms, answered_ms, voicemail_id) in calls {
            let mut ended_ms = started_ms.max(self.last_event_ms(&id).await?.unwrap_or(0));
            let recordings: Vec<Unfinished> = sqlx::query_as(
                "SELECT id, file, channels, created_ms FROM recordings
                 WHERE call_id = ? AND duration_ms IS NULL",
            )
            .bind(&id)
            .fetch_all(&self.pool)
            .await?;
            for rec in recordings {
                let duration = finish_wav(&self.data_dir.join(&rec.file), rec.channels).await?;
                self.finish_recording(parse_id("recordings.id", &rec.id)?, duration).await?;
                ended_ms = ended_ms.max(rec.created_ms.saturating_add(ms(duration)));
            }
            let voicemails: Vec<Unfinished> = sqlx::query_as(
                "SELECT id, file, 1 AS channels, created_ms FROM voicemails
                 WHERE call_id = ? AND duration_ms IS NULL",
            )
            .bind(&id)
            .fetch_all(&self.pool)
            .await?;
            let call: CallId = parse_id("calls.id", &id)?;
            for vm in voicemails {
                let duration = finish_wav(&self.data_dir.join(&vm.file), 1).await?;
                let voicemail_id = parse_id("voicemails.id", &vm.id)?;
                self.finish_voicemail(voicemail_id, duration).await?;
                let end = vm.created_ms.saturating_add(ms(duration));
                ended_ms = ended_ms.max(end);
                let event = CallEvent {
                    at: Millis(end),
                    reason: Some("interrupted".into()),
                    kind: EventKind::VoicemailRecorded { voicemail_id, duration_ms: duration },
                };
                self.append_event(call, &event).await?;
            }
            let status = if voicemail_id.is_some() {
                CallStatus::Voicemail
            } else if answered_ms.is_some() {
                CallStatus::Answered
            } else {
                CallStatus::Missed
            };
            let span = |from: i64| u64::try_from(ended_ms.saturating_sub(from)).unwrap_or(0);
            let ended = CallEvent {
                at: Millis(ended_ms),
                reason: Some("interrupted".into()),
                kind: EventKind::Ended {
                    hangup_by: HangupBy::System,
                    duration_ms: span(started_ms),
                    talk_ms: answered_ms.map_or(0, span),
                    cost: None,
                },
            };
            self.append_event(call, &ended).await?;
            self.end_call(call, Millis(ended_ms), status, None).await?;
            closed.push(call);
        }
        Ok(closed)
    }

    async fn last_event_ms(&self, call: &str) -> Result<Option<i64>, StoreError> {
        let events: Vec<(String,)> =
            sqlx::query_as("SELECT event FROM call_events WHERE call_id = ? ORDER BY seq")
                .bind(call)
                .fetch_all(&self.pool)
                .await?;
        let mut last = None;
        for (json,) in events {
            let event: CallEvent =
                serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            last = last.max(Some(event.at.0));
        }
        Ok(last)
    }
}

fn ms(duration: u64) -> i64 {
    i64::try_from(duration).unwrap_or(i64::MAX)
}

/// Rewrites the header of a recording that was cut short with the length of the whole frames
/// on disk, drops a torn last frame, and returns the length in milliseconds. A file that was
/// never created (the process died between the row and the file) is written empty.
async fn finish_wav(path: &Path, channels: i64) -> Result<u64, StoreError> {
    use tokio::io::{AsyncSeekExt, AsyncWriteExt};

    let header = WavHeader::pcm16(u16::try_from(channels).unwrap_or(1).max(1), 8000);
    let len = match tokio::fs::metadata(path).await {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(source) => return Err(file_error(path, source)),
    };
    let frame = u64::from(header.block_align());
    let data = len.saturating_sub(WavHeader::LEN as u64) / frame * frame;
    let data = data.min(u64::from(u32::MAX - 1));
    let result = async {
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(path)
            .await?;
        file.set_len(WavHeader::LEN as u64 + data).await?;
        file.seek(std::io::SeekFrom::Start(0)).await?;
        file.write_all(&header.bytes(u32::try_from(data).unwrap_or(u32::MAX - 1))).await?;
        file.sync_all().await
    }
    .await;
    result.map_err(|source| file_error(path, source))?;
    Ok(data / frame * 1000 / u64::from(header.sample_rate))
}
