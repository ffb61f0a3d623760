//! Reading requests: JSON documents through the domain's rules, ids from the path, query
//! parameters by name. Every refusal is an [`ApiError`], so clients always get the JSON error
//! shape, never a framework's plain-text rejection.

use std::collections::HashMap;
use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use centralita_domain::{Document, parse_document};

use crate::{ApiError, AppState};

/// A request body that should be a JSON document. It is only read here, not judged: handlers
/// first find the object in the caller's account (404) and check the role (403), then call
/// [`JsonBody::parse`], so a bad body never tells anything about another account's ids.
#[derive(Debug)]
pub(crate) struct JsonBody {
    content_type: Option<String>,
    bytes: Bytes,
}

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let content_type =
            req.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap_or("?").to_owned());
        let bytes = read_body(req, state).await?;
        Ok(Self { content_type, bytes })
    }
}

impl JsonBody {
    /// Reads the body as the document `T` (400 if not JSON, 415 if declared as something
    /// else, 422 naming the field if it breaks a rule).
    pub(crate) fn parse<T: Document>(&self) -> Result<T, ApiError> {
        if let Some(content_type) = &self.content_type {
            let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            if essence != "application/json" && !essence.ends_with("+json") {
                return Err(ApiError::UnsupportedMediaType(format!(
                    "the body must be JSON (Content-Type: application/json), not {essence:?}"
                )));
            }
        }
        Ok(parse_document(&self.bytes)?)
    }

    /// Like [`JsonBody::parse`], but an empty body (or `null`) means `T::default()`.
    pub(crate) fn parse_or_default<T: Document + Default>(&self) -> Result<T, ApiError> {
        let text = self.bytes.trim_ascii();
        if text.is_empty() || text == b"null" { Ok(T::default()) } else { self.parse() }
    }
}

/// Reads a whole body within the route's limit; over it is 413.
pub(crate) async fn read_body(req: Request, state: &AppState) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge("the request body is too large".into())
        } else {
            ApiError::BadRequest(format!("the request body could not be read: {rejection}"))
        }
    })
}

/// One id from the path. Anything that is not a well-formed id names nothing: 404.
#[derive(Debug)]
pub(crate) struct PathId<T>(pub(crate) T);

impl<T: FromStr + Send> FromRequestParts<AppState> for PathId<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        raw.parse().map(Self).map_err(|_| ApiError::NotFound)
    }
}

/// Two ids from the path, e.g. `/v1/users/{id}/tokens/{token_id}`.
#[derive(Debug)]
pub(crate) struct PathIds<A, B>(pub(crate) A, pub(crate) B);

impl<A: FromStr + Send, B: FromStr + Send> FromRequestParts<AppState> for PathIds<A, B> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Path((a, b)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        Ok(Self(
            a.parse().map_err(|_| ApiError::NotFound)?,
            b.parse().map_err(|_| ApiError::NotFound)?,
        ))
    }
}

/// The query string, read parameter by parameter so that each refusal names its parameter.
#[derive(Debug)]
pub(crate) struct QueryParams(HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let mut params = HashMap::new();
        for (key, value) in form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()) {
            if params.insert(key.clone().into_owned(), value.into_owned()).is_some() {
                return Err(ApiError::invalid(key, "is given more than once"));
            }
        }
        Ok(Self(params))
    }
}

impl QueryParams {
    /// Refuses any parameter not in `known`: a misspelt filter must not silently list everything.
    pub(crate) fn only(&self, known: &[&str]) -> Result<(), ApiError> {
        match self.0.keys().find(|k| !known.contains(&k.as_str())) {
            Some(unknown) => Err(ApiError::invalid(
                unknown.clone(),
                format!("is not a parameter of this endpoint (known: {})", known.join(", ")),
            )),
            None => Ok(()),
        }
    }

    /// A parameter parsed with `FromStr`; empty counts as absent.
    pub(crate) fn get<T: FromStr>(&self, name: &str, what: &str) -> Result<Option<T>, ApiError> {
        match self.0.get(name).map(String::as_str) {
            None | Some("") => Ok(None),
            Some(raw) => raw
                .parse()
                .map(Some)
                .map_err(|_| ApiError::invalid(name, format!("must be {what}"))),
        }
    }

    /// A boolean parameter (`true`/`false`, `1`/`0`).
    pub(crate) fn get_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.0.get(name).map(String::as_str) {
            None | Some("") => Ok(None),
            Some("true" | "1") => Ok(Some(true)),
            Some("false" | "0") => Ok(Some(false)),
            Some(_) => Err(ApiError::invalid(name, "must be true or false")),
        }
    }

    /// A text parameter.
    pub(crate) fn get_str(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// For `#[serde(default, deserialize_with = "nullable")]` on an `Option<Option<T>>` field of a
/// PATCH body: absent is `None` (leave it), `null` is `Some(None)` (clear it).
pub(crate) fn nullable<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}
