//! The call history: calls, their events, recordings and voicemails.
//!
//! The call layer writes here as a call goes (start, each event, the end); the API reads. A
//! recording or voicemail row is created before its file is written, so a file on disk always
//! has an owner, even if the process dies in the middle of the call.

use std::path::PathBuf;

use centralita_domain::{
    AccountId, CallEvent, CallId, CallRecord, CallStatus, Cost, Direction, EventKind, HangupBy,
    Millis, NumberId, RecordingId, UserId, VoicemailId,
};

use crate::files::FileKind;
use crate::{Store, StoreError, Viewer, new_uuid, parse_id, parse_opt_id};

/// Which calls to list.
#[derive(Debug, Clone, Default)]
pub struct CallFilter {
    /// Only calls of this number.
    pub number_id: Option<NumberId>,
    /// Only calls that started at or after this instant.
    pub since: Option<Millis>,
    /// Only calls that started before this instant.
    pub until: Option<Millis>,
    /// Only calls with this outcome.
    pub status: Option<CallStatus>,
    /// At most this many (newest first).
    pub limit: u32,
}

/// A call that starts.
#[derive(Debug, Clone)]
pub struct NewCall {
    /// Its id, when the call layer already named it; `None` draws a new one.
    pub id: Option<CallId>,
    /// The account's number involved.
    pub number_id: Option<NumberId>,
    /// For outbound calls, the agent who placed it.
    pub user_id: Option<UserId>,
    /// Inbound or outbound.
    pub direction: Direction,
    /// Caller.
    pub from: String,
    /// Called party.
    pub to: String,
    /// When it started.
    pub started_at: Millis,
}

/// A call recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// Its id.
    pub id: RecordingId,
    /// Its call.
    pub call_id: CallId,
    /// The WAV file.
    pub path: PathBuf,
    /// 2 for a bridged call (caller left), 1 for one leg.
    pub channels: u16,
    /// Its length, once the recording ended.
    pub duration_ms: Option<u64>,
    /// When it started.
    pub created_at: Millis,
}

/// A voicemail, with whether the viewer has listened to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voicemail {
    /// Its id.
    pub id: VoicemailId,
    /// Its call.
    pub call_id: CallId,
    /// The number it was left on.
    pub number_id: Option<NumberId>,
    /// Who left it.
    pub from: String,
    /// The WAV file.
    pub path: PathBuf,
    /// Its length, once recorded.
    pub duration_ms: Option<u64>,
    /// When it was left.
    pub created_at: Millis,
    /// Whether the viewing user has opened it.
    pub read: bool,
}

#[derive(sqlx::FromRow)]
struct CallRow {
    id: String,
    number_id: Option<String>,
    user_id: Option<String>,
    direction: String,
    from_party: String,
    to_party: String,
    status: String,
    started_ms: i64,
    answered_ms: Option<i64>,
    ended_ms: Option<i64>,
    answered_by: Option<String>,
    recording_id: Option<String>,
    voicemail_id: Option<String>,
    cost_amount: Option<String>,
    cost_currency: Option<String>,
}

/// `SELECT <every column of CallRow> FROM calls c <tail>` where the tail may use ?1 (account),
/// ?2 (agent id or NULL for an admin): an agent sees the calls of the numbers assigned to them,
/// the calls they placed and the calls they answered.
macro_rules! select_calls {
    ($tail:literal) => {
        concat!(
            "SELECT c.id, c.number_id, c.user_id, c.direction, c.from_party, c.to_party, c.status, c.started_ms, ",
            "c.answered_ms, c.ended_ms, c.answered_by, c.recording_id, c.voicemail_id, c.cost_amount, ",
            "c.cost_currency FROM calls c WHERE c.account_id = ?1 AND (?2 IS NULL OR c.user_id = ?2 ",
            "OR c.answered_by = ?2 OR EXISTS (SELECT 1 FROM number_users u ",
            "WHERE u.number_id = c.number_id AND u.user_id = ?2)) ",
            $tail
        )
    };
}

/// The same visibility rule for anything that belongs to a call (`x.call_id`).
macro_rules! visible_call {
    () => {
        concat!(
            "EXISTS (SELECT 1 FROM calls c WHERE c.id = x.call_id AND (?2 IS NULL OR c.user_id = ?2 ",
            "OR c.answered_by = ?2 OR EXISTS (SELECT 1 FROM number_users u ",
            "WHERE u.number_id = c.number_id AND u.user_id = ?2)))"
        )
    };
}

/// Inserts a call: in progress, or (`ended`) already over with that status and end.
async fn insert_call(
    conn: &mut sqlx::SqliteConnection,
    account: AccountId,
    call: &NewCall,
    ended: Option<(CallStatus, Millis)>,
) -> Result<CallId, StoreError> {
    let id = call.id.unwrap_or_else(|| CallId::from_uuid(new_uuid()));
    let (status, ended_ms) = match ended {
        Some((status, at)) => (status, Some(at.0)),
        None => (CallStatus::InProgress, None),
    };
    sqlx::query(
        "INSERT INTO calls (id, account_id, number_id, user_id, direction, from_party, to_party, status, started_ms, ended_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id.to_string())
    .bind(account.to_string())
    .bind(call.number_id.map(|n| n.to_string()))
    .bind(call.user_id.map(|u| u.to_string()))
    .bind(direction_name(call.direction))
    .bind(&call.from)
    .bind(&call.to)
    .bind(status.as_str())
    .bind(call.started_at.0)
    .bind(ended_ms)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

impl Store {
    /// Calls the viewer may see, newest first, each with its events.
    pub async fn list_calls(
        &self,
        account: AccountId,
        viewer: Viewer,
        filter: &CallFilter,
    ) -> Result<Vec<CallRecord>, StoreError> {
        let rows: Vec<CallRow> = sqlx::query_as(select_calls!(
            "AND (?3 IS NULL OR c.number_id = ?3) AND (?4 IS NULL OR c.started_ms >= ?4)
             AND (?5 IS NULL OR c.started_ms < ?5) AND (?6 IS NULL OR c.status = ?6)
             ORDER BY c.started_ms DESC, c.id DESC LIMIT ?7"
        ))
        .bind(account.to_string())
        .bind(viewer.agent())
        .bind(filter.number_id.map(|n| n.to_string()))
        .bind(filter.since.map(|m| m.0))
        .bind(filter.until.map(|m| m.0))
        .bind(filter.status.map(CallStatus::as_str))
        .bind(i64::from(filter.limit))
        .fetch_all(&self.pool)
        .await?;
        let mut calls = Vec::with_capacity(rows.len());
        for row in rows {
            calls.push(self.with_events(row).await?);
        }
        Ok(calls)
    }

    /// One call the viewer may see.
    pub async fn get_call(
        &self,
        account: AccountId,
        viewer: Viewer,
        id: CallId,
    ) -> Result<CallRecord, StoreError> {
        let row: Option<CallRow> = sqlx::query_as(select_calls!("AND c.id = ?3"))
            .bind(account.to_string())
            .bind(viewer.agent())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        self.with_events(row.ok_or(StoreError::NotFound)?).await
    }

    async fn with_events(&self, row: CallRow) -> Result<CallRecord, StoreError> {
        let events: Vec<String> =
            sqlx::query_scalar("SELECT event FROM call_events WHERE call_id = ? ORDER BY seq")
                .bind(&row.id)
                .fetch_all(&self.pool)
                .await?;
        let events = events
            .iter()
            .map(|e| {
                serde_json::from_str(e)
                    .map_err(|err| StoreError::Corrupt(format!("call_events.event: {err}")))
            })
            .collect::<Result<Vec<CallEvent>, _>>()?;
        let direction = match row.direction.as_str() {
            "inbound" => Direction::Inbound,
            "outbound" => Direction::Outbound,
            other => return Err(StoreError::Corrupt(format!("calls.direction holds {other:?}"))),
        };
        let status = CallStatus::from_name(&row.status)
            .ok_or_else(|| StoreError::Corrupt(format!("calls.status holds {:?}", row.status)))?;
        let cost = match (row.cost_amount, row.cost_currency) {
            (Some(amount), Some(currency)) => Some(Cost { amount, currency }),
            _ => None,
        };
        Ok(CallRecord {
            id: parse_id("calls.id", &row.id)?,
            number_id: parse_opt_id("calls.number_id", row.number_id.as_deref())?,
            user_id: parse_opt_id("calls.user_id", row.user_id.as_deref())?,
            direction,
            from: row.from_party,
            to: row.to_party,
            status,
            started_at: Millis(row.started_ms),
            answered_at: row.answered_ms.map(Millis),
            ended_at: row.ended_ms.map(Millis),
            answered_by: parse_opt_id("calls.answered_by", row.answered_by.as_deref())?,
            duration_ms: row.ended_ms.map(|end| u64::try_from(end - row.started_ms).unwrap_or(0)),
            recording_id: parse_opt_id("calls.recording_id", row.recording_id.as_deref())?,
            voicemail_id: parse_opt_id("calls.voicemail_id", row.voicemail_id.as_deref())?,
            cost,
            events,
        })
    }

    /// Records a call that starts, in progress.
    pub async fn start_call(
        &self,
        account: AccountId,
        call: &NewCall,
    ) -> Result<CallId, StoreError> {
        let mut conn = self.pool.acquire().await?;
        insert_call(&mut conn, account, call, None).await
    }

    /// Records an outbound attempt refused before anything was dialled: the call, its
    /// `arrived` event and its `ended` event with `reason`, all or nothing.
    pub async fn record_refused_call(
        &self,
        account: AccountId,
        call: &NewCall,
        how: &str,
        reason: &str,
    ) -> Result<CallId, StoreError> {
        let at = call.started_at;
        let events = [
            CallEvent {
                at,
                reason: Some(how.to_owned()),
                kind: EventKind::Arrived { from: call.from.clone(), to: call.to.clone() },
            },
            CallEvent {
                at,
                reason: Some(reason.to_owned()),
                kind: EventKind::Ended {
                    hangup_by: HangupBy::System,
                    duration_ms: 0,
                    talk_ms: 0,
                    cost: None,
                },
            },
        ];
        let mut tx = self.write().await?;
        let id = insert_call(&mut tx, account, call, Some((CallStatus::Missed, at))).await?;
        for (seq, event) in events.iter().enumerate() {
            let json =
                serde_json::to_string(event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            sqlx::query("INSERT INTO call_events (call_id, seq, event) VALUES (?, ?, ?)")
                .bind(id.to_string())
                .bind(seq as i64)
                .bind(json)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Appends an event to a call's timeline.
    pub async fn append_event(&self, call: CallId, event: &CallEvent) -> Result<(), StoreError> {
        let json = serde_json::to_string(event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO call_events (call_id, seq, event)
             VALUES (?1, (SELECT COALESCE(MAX(seq) + 1, 0) FROM call_events WHERE call_id = ?1), ?2)",
        )
        .bind(call.to_string())
        .bind(json)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records that someone answered.
    pub async fn answer_call(
        &self,
        call: CallId,
        at: Millis,
        by: Option<UserId>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE calls SET answered_ms = ?, answered_by = ? WHERE id = ?")
            .bind(at.0)
            .bind(by.map(|u| u.to_string()))
            .bind(call.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records how a call ended.
    pub async fn end_call(
        &self,
        call: CallId,
        at: Millis,
        status: CallStatus,
        cost: Option<&Cost>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE calls SET ended_ms = ?, status = ?, cost_amount = ?, cost_currency = ? WHERE id = ?")
            .bind(at.0)
            .bind(status.as_str())
            .bind(cost.map(|c| c.amount.as_str()))
            .bind(cost.map(|c| c.currency.as_str()))
            .bind(call.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Creates the row of a recording that is about to be written, and says where to write it.
    pub async fn create_recording(
        &self,
        account: AccountId,
        call: CallId,
        channels: u16,
        at: Millis,
    ) -> Result<Recording, StoreError> {
        let id = RecordingId::from_uuid(new_uuid());
        let file = FileKind::Recording.relative_path(&id);
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO recordings (id, account_id, call_id, file, channels, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(account.to_string())
        .bind(call.to_string())
        .bind(&file)
        .bind(i64::from(channels))
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE calls SET recording_id = ? WHERE id = ?")
            .bind(id.to_string())
            .bind(call.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Recording {
            id,
            call_id: call,
            path: self.data_dir.join(file),
            channels,
            duration_ms: None,
            created_at: at,
        })
    }

    /// Records a recording's final length.
    pub async fn finish_recording(
        &self,
        id: RecordingId,
        duration_ms: u64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE recordings SET duration_ms = ? WHERE id = ?")
            .bind(i64::try_from(duration_ms).unwrap_or(i64::MAX))
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A recording the viewer may hear.
    pub async fn get_recording(
        &self,
        account: AccountId,
        viewer: Viewer,
        id: RecordingId,
    ) -> Result<Recording, StoreError> {
        let row: Option<(String, String, String, i64, Option<i64>, i64)> = sqlx::query_as(concat!(
            "SELECT x.id, x.call_id, x.file, x.channels, x.duration_ms, x.created_ms FROM recordings x ",
            "WHERE x.account_id = ?1 AND x.id = ?3 AND ",
            visible_call!()
        ))
        .bind(account.to_string())
        .bind(viewer.agent())
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let (id, call_id, file, channels, duration_ms, created_ms) =
            row.ok_or(StoreError::NotFound)?;
        Ok(Recording {
            id: parse_id("recordings.id", &id)?,
            call_id: parse_id("recordings.call_id", &call_id)?,
            path: self.data_dir.join(file),
            channels: u16::try_from(channels).unwrap_or(1),
            duration_ms: duration_ms.and_then(|d| u64::try_from(d).ok()),
            created_at: Millis(created_ms),
        })
    }

    /// Creates the row of a voicemail that is about to be recorded, and says where to write it.
    pub async fn create_voicemail(
        &self,
        account: AccountId,
        call: CallId,
        number: Option<NumberId>,
        from: &str,
        at: Millis,
    ) -> Result<Voicemail, StoreError> {
        let id = VoicemailId::from_uuid(new_uuid());
        let file = FileKind::Voicemail.relative_path(&id);
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO voicemails (id, account_id, call_id, number_id, from_party, file, created_ms)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(account.to_string())
        .bind(call.to_string())
        .bind(number.map(|n| n.to_string()))
        .bind(from)
        .bind(&file)
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE calls SET voicemail_id = ? WHERE id = ?")
            .bind(id.to_string())
            .bind(call.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Voicemail {
            id,
            call_id: call,
            number_id: number,
            from: from.to_owned(),
            path: self.data_dir.join(file),
            duration_ms: None,
            created_at: at,
            read: false,
        })
    }

    /// Records a voicemail's final length.
    pub async fn finish_voicemail(
        &self,
        id: VoicemailId,
        duration_ms: u64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE voicemails SET duration_ms = ? WHERE id = ?")
            .bind(i64::try_from(duration_ms).unwrap_or(i64::MAX))
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Voicemails the viewer may hear, newest first, with the reader's read state.
    pub async fn list_voicemails(
        &self,
        account: AccountId,
        viewer: Viewer,
        reader: UserId,
        unread_only: bool,
        limit: u32,
    ) -> Result<Vec<Voicemail>, StoreError> {
        let rows: Vec<VoicemailRow> = sqlx::query_as(concat!(
            "SELECT x.id, x.call_id, x.number_id, x.from_party, x.file, x.duration_ms, x.created_ms, ",
            "EXISTS (SELECT 1 FROM voicemail_reads r WHERE r.voicemail_id = x.id AND r.user_id = ?3) AS read ",
            "FROM voicemails x WHERE x.account_id = ?1 AND ",
            visible_call!(),
            " AND (?4 = 0 OR NOT EXISTS (SELECT 1 FROM voicemail_reads r WHERE r.voicemail_id = x.id AND r.user_id = ?3)) ",
            "ORDER BY x.created_ms DESC, x.id DESC LIMIT ?5"
        ))
        .bind(account.to_string())
        .bind(viewer.agent())
        .bind(reader.to_string())
        .bind(unread_only)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(|r| r.into_voicemail(&self.data_dir)).collect()
    }

    /// A voicemail the viewer may hear, with the reader's read state.
    pub async fn get_voicemail(
        &self,
        account: AccountId,
        viewer: Viewer,
        reader: UserId,
        id: VoicemailId,
    ) -> Result<Voicemail, StoreError> {
        let row: Option<VoicemailRow> = sqlx::query_as(concat!(
            "SELECT x.id, x.call_id, x.number_id, x.from_party, x.file, x.duration_ms, x.created_ms, ",
            "EXISTS (SELECT 1 FROM voicemail_reads r WHERE r.voicemail_id = x.id AND r.user_id = ?3) AS read ",
            "FROM voicemails x WHERE x.account_id = ?1 AND x.id = ?4 AND ",
            visible_call!()
        ))
        .bind(account.to_string())
        .bind(viewer.agent())
        .bind(reader.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_voicemail(&self.data_dir)
    }

    /// Marks a voicemail read (or unread) for one user.
    pub async fn set_voicemail_read(
        &self,
        account: AccountId,
        viewer: Viewer,
        reader: UserId,
        id: VoicemailId,
        read: bool,
        at: Millis,
    ) -> Result<Voicemail, StoreError> {
        self.get_voicemail(account, viewer, reader, id).await?;
        if read {
            sqlx::query("INSERT OR IGNORE INTO voicemail_reads (voicemail_id, user_id, read_ms) VALUES (?, ?, ?)")
                .bind(id.to_string())
                .bind(reader.to_string())
                .bind(at.0)
                .execute(&self.pool)
                .await?;
        } else {
            sqlx::query("DELETE FROM voicemail_reads WHERE voicemail_id = ? AND user_id = ?")
                .bind(id.to_string())
                .bind(reader.to_string())
                .execute(&self.pool)
                .await?;
        }
        self.get_voicemail(account, viewer, reader, id).await
    }
}

#[derive(sqlx::FromRow)]
struct VoicemailRow {
    id: String,
    call_id: String,
    number_id: Option<String>,
    from_party: String,
    file: String,
    duration_ms: Option<i64>,
    created_ms: i64,
    read: bool,
}

impl VoicemailRow {
    fn into_voicemail(self, data_dir: &std::path::Path) -> Result<Voicemail, StoreError> {
        Ok(Voicemail {
            id: parse_id("voicemails.id", &self.id)?,
            call_id: parse_id("voicemails.call_id", &self.call_id)?,
            number_id: parse_opt_id("voicemails.number_id", self.number_id.as_deref())?,
            from: self.from_party,
            path: data_dir.join(self.file),
            duration_ms: self.duration_ms.and_then(|d| u64::try_from(d).ok()),
            created_at: Millis(self.created_ms),
            read: self.read,
        })
    }
}

/// The cost of one priced call, for usage totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedCall {
    /// Its number.
    pub number_id: Option<NumberId>,
    /// The agent who placed it (outbound calls).
    pub user_id: Option<UserId>,
    /// What it cost.
    pub cost: Cost,
}

impl Store {
    /// The account's calls that started in `[since, until)` and have a cost.
    pub async fn priced_calls(
        &self,
        account: AccountId,
        since: Option<Millis>,
        until: Option<Millis>,
    ) -> Result<Vec<PricedCall>, StoreError> {
        let rows: Vec<(Option<String>, Option<String>, String, String)> = sqlx::query_as(
            "SELECT number_id, user_id, cost_amount, cost_currency FROM calls
             WHERE account_id = ?1 AND cost_amount IS NOT NULL AND cost_currency IS NOT NULL
               AND (?2 IS NULL OR started_ms >= ?2) AND (?3 IS NULL OR started_ms < ?3)
             ORDER BY started_ms",
        )
        .bind(account.to_string())
        .bind(since.map(|m| m.0))
        .bind(until.map(|m| m.0))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(number, user, amount, currency)| {
                Ok(PricedCall {
                    number_id: parse_opt_id("calls.number_id", number.as_deref())?,
                    user_id: parse_opt_id("calls.user_id", user.as_deref())?,
                    cost: Cost { amount, currency },
                })
            })
            .collect()
    }
}
