//! Audio messages: the row in the database and the normalised WAV file beside it.

use std::path::PathBuf;

use centralita_domain::{AccountId, AudioId, Millis, RefTarget};

use crate::files::{self, FileKind};
use crate::{Store, StoreError, new_uuid, now_ms, parse_id};

/// An uploaded audio message (the file itself is read with [`Store::audio_wav`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audio {
    /// Its id.
    pub id: AudioId,
    /// What the admin called it.
    pub name: String,
    /// Its length, a multiple of 20 ms.
    pub duration_ms: u64,
    /// Size of the normalised WAV file.
    pub size_bytes: u64,
    /// When it was uploaded.
    pub created_at: Millis,
}

#[derive(sqlx::FromRow)]
struct AudioRow {
    id: String,
    name: String,
    duration_ms: i64,
    size_bytes: i64,
    created_ms: i64,
}

impl TryFrom<AudioRow> for Audio {
    type Error = StoreError;

    fn try_from(row: AudioRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: parse_id("audio.id", &row.id)?,
            name: row.name,
            duration_ms: u64::try_from(row.duration_ms).unwrap_or(0),
            size_bytes: u64::try_from(row.size_bytes).unwrap_or(0),
            created_at: Millis(row.created_ms),
        })
    }
}

impl Store {
    /// Stores a normalised audio message: the file first (whole or not at all), then the row.
    pub async fn create_audio(
        &self,
        account: AccountId,
        name: &str,
        wav: &[u8],
        duration_ms: u64,
    ) -> Result<Audio, StoreError> {
        let audio = Audio {
            id: AudioId::from_uuid(new_uuid()),
            name: name.to_owned(),
            duration_ms,
            size_bytes: wav.len() as u64,
            created_at: Millis(now_ms()),
        };
        let path = self.data_dir.join(FileKind::Audio.relative_path(&audio.id));
        files::write_atomically(&path, wav).await?;
        let inserted = sqlx::query(
            "INSERT INTO audio (id, account_id, name, duration_ms, size_bytes, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(audio.id.to_string())
        .bind(account.to_string())
        .bind(name)
        .bind(i64::try_from(duration_ms).unwrap_or(i64::MAX))
        .bind(i64::try_from(audio.size_bytes).unwrap_or(i64::MAX))
        .bind(audio.created_at.0)
        .execute(&self.pool)
        .await;
        if let Err(e) = inserted {
            files::remove(&path).await?;
            return Err(e.into());
        }
        Ok(audio)
    }

    /// Every audio message of an account, oldest first.
    pub async fn list_audio(&self, account: AccountId) -> Result<Vec<Audio>, StoreError> {
        let rows: Vec<AudioRow> = sqlx::query_as(
            "SELECT id, name, duration_ms, size_bytes, created_ms FROM audio WHERE account_id = ? ORDER BY created_ms, id",
        )
        .bind(account.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Audio::try_from).collect()
    }

    /// One audio message of an account.
    pub async fn get_audio(&self, account: AccountId, id: AudioId) -> Result<Audio, StoreError> {
        let row: Option<AudioRow> = sqlx::query_as(
            "SELECT id, name, duration_ms, size_bytes, created_ms FROM audio WHERE id = ? AND account_id = ?",
        )
        .bind(id.to_string())
        .bind(account.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    /// The normalised WAV bytes of an audio message of an account.
    pub async fn audio_wav(&self, account: AccountId, id: AudioId) -> Result<Vec<u8>, StoreError> {
        let path = self.audio_path(account, id).await?;
        files::read(&path).await
    }

    /// Where an audio message of an account lives, for the media engine to play it.
    pub async fn audio_path(&self, account: AccountId, id: AudioId) -> Result<PathBuf, StoreError> {
        self.get_audio(account, id).await?;
        Ok(self.data_dir.join(FileKind::Audio.relative_path(&id)))
    }

    /// Deletes an audio message nobody uses. In use by a number or an IVR: refused, naming it.
    pub async fn delete_audio(&self, account: AccountId, id: AudioId) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM audio WHERE id = ? AND account_id = ?")
                .bind(id.to_string())
                .bind(account.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        let target = RefTarget::Audio(id);
        for (number, settings) in crate::numbers::all_settings_in(&mut tx, account).await? {
            if let Some(r) = settings.references().into_iter().find(|r| r.target == target) {
                return Err(StoreError::InUse(format!(
                    "the audio message is used by number {} ({}) in {}",
                    number.e164, number.name, r.field
                )));
            }
        }
        for ivr in crate::ivrs::load_all(&mut tx, account).await? {
            if let Some(r) = ivr.document.references().into_iter().find(|r| r.target == target) {
                return Err(StoreError::InUse(format!(
                    "the audio message is used by IVR {:?} in {}",
                    ivr.document.name, r.field
                )));
            }
        }
        sqlx::query("DELETE FROM audio WHERE id = ?")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        files::remove(&self.data_dir.join(FileKind::Audio.relative_path(&id))).await
    }
}
