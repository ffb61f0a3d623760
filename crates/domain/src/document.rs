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
///
/// JSON syntax is checked first (400), then the shape and the rules on the parsed value (422):
/// going through a `Value` makes every type mismatch a data error with a path, which reading
/// straight from text does not guarantee (serde_json reports a number where an enum is expected
/// as a syntax error).
pub fn parse_document<T: Document>(body: &[u8]) -> Result<T, DocumentError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| DocumentError::Syntax(e.to_string()))?;
    // serde would read a struct from an array by position; every document is an object.
    if !value.is_object() {
        return Err(FieldError::new("", "the body must be a JSON object").into());
    }
    let raw: T::Raw = serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        let parent = if path == "." { String::new() } else { path };
        let field = match missing_field(&message) {
            Some(name) if parent.is_empty() => name.to_owned(),
            Some(name) => format!("{parent}.{name}"),
            None => parent,
        };
        DocumentError::Invalid(FieldError::new(field, message))
    })?;
    Ok(T::from_raw(raw)?)
}

/// serde reports a missing field at its parent's path; the name is in the message.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
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
