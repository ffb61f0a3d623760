//! The one error type of the HTTP edge, and how it looks on the wire:
//! `{"error": {"code": "...", "message": "...", "field": "..."}}` with the fitting status.
//!
//! Handlers return `Result<_, ApiError>`; anything unexpected becomes a 500 whose body says
//! nothing about internals (the detail goes to the log).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use centralita_domain::{DocumentError, FieldError};
use centralita_store::StoreError;
use serde::Serialize;

/// A request that did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (not JSON, a bad query string).
    #[error("{0}")]
    BadRequest(String),
    /// No valid credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Valid credentials, but this caller may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// No such object for this caller (also: another account's object).
    #[error("not found")]
    NotFound,
    /// The method does not apply to this path.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A uniqueness or state conflict; `field` when one field is at fault.
    #[error("{message}")]
    Conflict {
        /// The field at fault, if one is.
        field: Option<String>,
        /// What conflicts.
        message: String,
    },
    /// A value breaks a rule.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// The body is larger than allowed, or the audio longer than allowed.
    #[error("{0}")]
    TooLarge(String),
    /// The body is of a type this endpoint does not take.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The server is shutting down.
    #[error("the server is shutting down")]
    Unavailable,
    /// Our fault; the detail is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody {
    error: ErrorDetail,
}

/// What went wrong.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorDetail {
    /// Machine-readable kind: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `method_not_allowed`, `conflict`, `invalid`, `too_large`, `unsupported_media_type`,
    /// `unavailable`, `internal`.
    code: &'static str,
    /// For people.
    message: String,
    /// The field at fault, as a path into the request document (e.g. `incoming.forward_to`).
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
            Self::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Self::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// A 422 on one field.
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(FieldError::new(field, message))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let (message, field) = match self {
            Self::Internal(detail) => {
                tracing::error!(%detail, "request failed");
                ("internal error; the server log has the details".to_owned(), None)
            }
            Self::Invalid(FieldError { field, message }) => {
                (message, if field.is_empty() { None } else { Some(field) })
            }
            Self::Conflict { field, message } => (message, field),
            other => (other.to_string(), None),
        };
        let mut response =
            (status, Json(ErrorBody { error: ErrorDetail { code, message, field } }))
                .into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict { field, message } => {
                Self::Conflict { field: Some(field), message }
            }
            StoreError::Invalid(e) => Self::Invalid(e),
            StoreError::InUse(message) => Self::Conflict { field: None, message },
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<DocumentError> for ApiError {
    fn from(err: DocumentError) -> Self {
        match err {
            DocumentError::Syntax(message) => Self::BadRequest(message),
            DocumentError::Invalid(e) => Self::Invalid(e),
        }
    }
}
