//! Sessions of the web UI: who a browser's cookie signs in as, until when.
//!
//! The store keeps only the hash of the session secret (the web crate makes and hashes it)
//! and never reads the clock here: the caller passes `now`, so expiry is testable.

use centralita_domain::{AccountId, Millis, UserId};

use crate::users::User;
use crate::{Store, StoreError, parse_id};

/// A live web session, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    /// Who it signs in as.
    pub user: User,
    /// When it was created.
    pub created_at: Millis,
    /// When it was last used.
    pub last_seen_at: Millis,
    /// When it ends whatever happens (absolute expiry).
    pub expires_at: Millis,
}

impl Store {
    /// Records a new session of `user` for the secret whose hash is `id_hash`.
    pub async fn create_web_session(
        &self,
        id_hash: &str,
        user: UserId,
        now: Millis,
        expires_at: Millis,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO web_sessions (id_hash, user_id, created_ms, last_seen_ms, expires_ms)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id_hash)
        .bind(user.to_string())
        .bind(now.0)
        .bind(now.0)
        .bind(expires_at.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session for `id_hash` if it is still valid at `now`: not past its absolute expiry
    /// and used within `idle_ms`. A valid session's last use becomes `now` (written at most once
    /// every `touch_every_ms`, to keep page loads from each costing a write); an expired one is
    /// deleted.
    pub async fn web_session(
        &self,
        id_hash: &str,
        now: Millis,
        idle_ms: i64,
        touch_every_ms: i64,
    ) -> Result<Option<WebSession>, StoreError> {
        let row: Option<(String, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT s.user_id, u.account_id, s.created_ms, s.last_seen_ms, s.expires_ms
             FROM web_sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some((user_id, account_id, created_ms, last_seen_ms, expires_ms)) = row else {
            return Ok(None);
        };
        if now.0 >= expires_ms || now.0 - last_seen_ms >= idle_ms {
            self.delete_web_session(id_hash).await?;
            return Ok(None);
        }
        let user_id: UserId = parse_id("web_sessions.user_id", &user_id)?;
        let account_id: AccountId = parse_id("users.account_id", &account_id)?;
        let user = self.get_user(account_id, user_id).await?;
        let mut last_seen = last_seen_ms;
        if now.0 - last_seen_ms >= touch_every_ms {
            sqlx::query("UPDATE web_sessions SET last_seen_ms = ? WHERE id_hash = ?")
                .bind(now.0)
                .bind(id_hash)
                .execute(&self.pool)
                .await?;
            last_seen = now.0;
        }
        Ok(Some(WebSession {
            user,
            created_at: Millis(created_ms),
            last_seen_at: Millis(last_seen),
            expires_at: Millis(expires_ms),
        }))
    }

    /// Ends a session (sign-out). Ending one that does not exist is fine.
    pub async fn delete_web_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM web_sessions WHERE id_hash = ?")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes every session that is no longer valid at `now`; returns how many.
    pub async fn delete_expired_web_sessions(
        &self,
        now: Millis,
        idle_ms: i64,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM web_sessions WHERE expires_ms <= ?1 OR last_seen_ms <= ?1 - ?2",
        )
        .bind(now.0)
        .bind(idle_ms)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
