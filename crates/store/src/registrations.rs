//! SIP registrations: the registrar's memory across restarts.
//!
//! The registrar owns the live state; it writes every change here, batched, so a storm of
//! REGISTERs costs one transaction per batch instead of one per message.

use centralita_domain::{Millis, UserId};

use crate::{Store, StoreError, parse_id};

/// One device binding of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// Whose device.
    pub user_id: UserId,
    /// The Contact URI as registered.
    pub contact: String,
    /// `udp` or `tcp`.
    pub transport: String,
    /// `ip:port` the REGISTER came from; requests to the device go there.
    pub source: String,
    /// The REGISTER's Call-ID (RFC 3261 §10.3: a lower CSeq in the same Call-ID is stale).
    pub call_id: String,
    /// The REGISTER's CSeq number.
    pub cseq: u32,
    /// The device's User-Agent.
    pub user_agent: Option<String>,
    /// When the binding lapses unless refreshed.
    pub expires_at: Millis,
    /// When it was last refreshed.
    pub updated_at: Millis,
}

/// A change to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationChange {
    /// Add or refresh a binding.
    Upsert(Registration),
    /// Remove one binding.
    Remove {
        /// Whose.
        user_id: UserId,
        /// Which.
        contact: String,
    },
}

#[derive(sqlx::FromRow)]
struct Row {
    user_id: String,
    contact: String,
    transport: String,
    source: String,
    call_id: String,
    cseq: i64,
    user_agent: Option<String>,
    expires_ms: i64,
    updated_ms: i64,
}

impl TryFrom<Row> for Registration {
    type Error = StoreError;

    fn try_from(row: Row) -> Result<Self, StoreError> {
        Ok(Self {
            user_id: parse_id("registrations.user_id", &row.user_id)?,
            contact: row.contact,
            transport: row.transport,
            source: row.source,
            call_id: row.call_id,
            cseq: u32::try_from(row.cseq).unwrap_or(0),
            user_agent: row.user_agent,
            expires_at: Millis(row.expires_ms),
            updated_at: Millis(row.updated_ms),
        })
    }
}

impl Store {
    /// Applies changes in one transaction, in order. A binding of a user deleted meanwhile is
    /// skipped (the user's devices went with them).
    pub async fn apply_registrations(
        &self,
        changes: &[RegistrationChange],
    ) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut tx = self.write().await?;
        for change in changes {
            match change {
                RegistrationChange::Upsert(r) => {
                    sqlx::query(
                        "INSERT INTO registrations (user_id, contact, transport, source, call_id, cseq,
                                                    user_agent, expires_ms, updated_ms)
                         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE EXISTS (SELECT 1 FROM users WHERE id = ?1)
                         ON CONFLICT (user_id, contact) DO UPDATE SET
                             transport = excluded.transport, source = excluded.source,
                             call_id = excluded.call_id, cseq = excluded.cseq,
                             user_agent = excluded.user_agent, expires_ms = excluded.expires_ms,
                             updated_ms = excluded.updated_ms",
                    )
                    .bind(r.user_id.to_string())
                    .bind(&r.contact)
                    .bind(&r.transport)
                    .bind(&r.source)
                    .bind(&r.call_id)
                    .bind(i64::from(r.cseq))
                    .bind(&r.user_agent)
                    .bind(r.expires_at.0)
                    .bind(r.updated_at.0)
                    .execute(&mut *tx)
                    .await?;
                }
                RegistrationChange::Remove { user_id, contact } => {
                    sqlx::query("DELETE FROM registrations WHERE user_id = ? AND contact = ?")
                        .bind(user_id.to_string())
                        .bind(contact)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every binding that has not lapsed at `now` (the registrar loads them at start), after
    /// removing those that have.
    pub async fn live_registrations(&self, now: Millis) -> Result<Vec<Registration>, StoreError> {
        sqlx::query("DELETE FROM registrations WHERE expires_ms <= ?")
            .bind(now.0)
            .execute(&self.pool)
            .await?;
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT user_id, contact, transport, source, call_id, cseq, user_agent, expires_ms, updated_ms
             FROM registrations ORDER BY user_id, updated_ms",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Registration::try_from).collect()
    }
}
