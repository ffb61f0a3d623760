//! What can go wrong in the store, in terms the API can turn into a status code.

use centralita_domain::FieldError;

/// A store operation that did not happen. Whatever the variant, nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such object in this account (it may exist in another one; that is not our business).
    #[error("not found")]
    NotFound,
    /// A value must be unique and is already taken (a number, a SIP username, an email).
    #[error("{message}")]
    Conflict {
        /// The field that collides.
        field: String,
        /// What collides with what.
        message: String,
    },
    /// The document refers to something that does not exist in the account, or breaks a rule
    /// that needs the database to check (an IVR sub-menu cycle).
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// The object cannot be deleted because something still uses it.
    #[error("{0}")]
    InUse(String),
    /// The database said no for a reason that is not the caller's fault.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Applying migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Reading or writing a file under the data directory failed.
    #[error("file error on {path}: {source}")]
    File {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A stored value cannot be read back (the database was edited by hand or is damaged).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Turns a unique-constraint violation into a conflict on `field`; passes anything else on.
    pub(crate) fn unique(err: sqlx::Error, field: &str, message: impl Into<String>) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Self::Conflict { field: field.to_owned(), message: message.into() }
            }
            _ => Self::Database(err),
        }
    }
}
