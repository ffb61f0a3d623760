//! Persistence for everything centralita remembers: accounts, users, tokens, numbers and their
//! settings, audio messages, IVRs, and the call history with its recordings and voicemails.
//!
//! Callers see only this crate's types and the domain's; no SQL type leaks out, so a PostgreSQL
//! backend can be added behind the same methods without touching them. Today the backend is an
//! embedded SQLite database (through sqlx) in the data directory, next to the audio files.
//!
//! Every method is scoped to an account: an id of another account is [`StoreError::NotFound`],
//! exactly like an id that does not exist. Writes that check references do so inside the same
//! `BEGIN IMMEDIATE` transaction as the write, so a concurrent delete cannot slip in between.

mod accounts;
mod audio;
mod calls;
mod error;
mod files;
mod ivrs;
mod numbers;
mod recovery;
mod registrations;
mod sessions;
mod users;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use accounts::{Account, AccountUpdate};
pub use audio::Audio;
pub use calls::{CallFilter, NewCall, PricedCall, Recording, Voicemail};
pub use error::StoreError;
pub use files::FileKind;
pub use ivrs::Ivr;
pub use numbers::{Number, NumberRoute};
pub use registrations::{Registration, RegistrationChange};
pub use sessions::WebSession;
pub use users::{NewUser, Token, User, UserSecrets, UserUpdate, Viewer};

/// Name of the SQLite database file inside the data directory.
pub const DATABASE_FILE: &str = "centralita.db";

/// The handle every edge shares; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    data_dir: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the data directory and its database, and applies every
    /// migration not yet applied. Safe to call on every start.
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        files::create_layout(data_dir).await?;
        let options = SqliteConnectOptions::new()
            .filename(data_dir.join(DATABASE_FILE))
            .create_if_missing(true)
            // WAL lets the API read while the call layer writes; NORMAL is durable across a
            // process crash (the case product.md cares about), not across a power cut mid-commit.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool, data_dir: data_dir.to_owned() })
    }

    /// The data directory this store lives in.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Closes every connection; pending writes are complete when this returns.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Begins a transaction that takes the write lock at once, so the checks it makes stay true
    /// until it commits.
    async fn write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// Milliseconds since the Unix epoch, now. The store is an edge; it may read the clock.
fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// A fresh, time-ordered id.
fn new_uuid() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}

/// Reads an id column back; a malformed value means the database was edited by hand.
fn parse_id<T: FromStr>(column: &str, value: &str) -> Result<T, StoreError> {
    value.parse().map_err(|_| StoreError::Corrupt(format!("{column} holds {value:?}, not an id")))
}

/// Reads an optional id column back.
fn parse_opt_id<T: FromStr>(column: &str, value: Option<&str>) -> Result<Option<T>, StoreError> {
    value.map(|v| parse_id(column, v)).transpose()
}
