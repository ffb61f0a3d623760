//! Reading JSON documents sent by users, with errors that name the field at fault.
//!
//! Every document is read in two steps: serde reads a loose *raw* shape (so a wrong type or an
//! unknown field is reported with its exact path), then [`Document::from_raw`] applies the
//! product's rules and builds the typed value. Nothing half-valid ever reaches the store.

use serde::de::DeserializeOwned;

use crate::{AudioId, IvrId, UserId};

/// A value refused because of one field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// Path of the field in the document, e.g. `incoming.when_offline.audio_id` or
    /// `assigned_user_ids[2]`.
    pub field: String,
    /// What is wrong, in words an admin understands.
    pub message: String,
}

impl FieldError {
    /// A refusal of `field` for `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Why a request body could not be read as a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Not JSON at all (HTTP 400).
    #[error("malformed JSON: {0}")]
    Syntax(String),
    /// JSON, but a field has the wrong type, is missing, is unknown, or breaks a rule (HTTP 422).
    #[error(transparent)]
    Invalid(#[from] FieldError),
}

/// A document with a raw shape and rules.
pub trait Document: Sized {
    /// What serde reads before the rules apply.
    type Raw: DeserializeOwned;

    /// Applies the rules that do not need the database.
    fn from_raw(raw: Self::Raw) -> Result<Self, FieldError>;
}

/// Reads and checks a document from a request body.
pub fn parse_document<T: Document>(body: &[u8]) -> Result<T, DocumentError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let raw: T::Raw = match serde_path_to_error::deserialize(&mut de) {
        Ok(raw) => raw,
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            return Err(match inner.classify() {
                serde_json::error::Category::Data => {
                    let field = if path == "." { String::new() } else { path };
                    DocumentError::Invalid(FieldError::new(field, strip_position(&inner)))
                }
                _ => DocumentError::Syntax(inner.to_string()),
            });
        }
    };
    de.end().map_err(|e| DocumentError::Syntax(e.to_string()))?;
    Ok(T::from_raw(raw)?)
}

/// serde_json appends "at line 1 column 57"; the field path already says where.
fn strip_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

/// An id in a document that must name an existing object of the same account. The store checks
/// every reference inside the transaction that writes the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Path of the field that holds the id, for the 422 answer if it names nothing.
    pub field: String,
    /// What the id must name.
    pub target: RefTarget,
}

/// The object a [`Reference`] points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefTarget {
    /// An uploaded audio message.
    Audio(AudioId),
    /// An IVR configuration.
    Ivr(IvrId),
    /// A user.
    User(UserId),
}

impl Reference {
    /// A reference from `field` to `target`.
    pub fn new(field: impl Into<String>, target: RefTarget) -> Self {
        Self { field: field.into(), target }
    }
}

/// Checks the length and emptiness of a display name.
pub fn check_name(field: &str, name: &str) -> Result<(), FieldError> {
    if name.trim().is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if name.chars().count() > crate::limits::NAME_MAX_CHARS {
        return Err(FieldError::new(
            field,
            format!("must be at most {} characters", crate::limits::NAME_MAX_CHARS),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new(field, "must not contain control characters"));
    }
    Ok(())
}

/// Checks that `value` lies in `range`.
pub(crate) fn check_range(
    field: &str,
    value: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<(), FieldError> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            format!("must be between {} and {}", range.start(), range.end()),
        ))
    }
}
