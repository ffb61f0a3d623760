//! Reading HTML forms (urlencoded and multipart) and carrying a refusal back to its field.
//!
//! Form fields are named by the path of the JSON field they fill (`incoming.forward_to`), so
//! that the field of a [`FieldError`] from the domain or the store is the name of the input to
//! show it next to.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use centralita_domain::FieldError;

use crate::WebState;
use crate::page::WebError;
use crate::session::{CSRF_FIELD, Signed};

/// Largest urlencoded form body.
const MAX_FORM_BYTES: usize = 256 * 1024;

/// A file sent in a multipart form.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    /// The file name the browser gave.
    pub(crate) filename: String,
    /// The declared type.
    pub(crate) content_type: Option<String>,
    /// The bytes.
    pub(crate) bytes: Bytes,
}

/// The fields of a submitted form, in order, repeated names kept (checklists).
#[derive(Debug, Clone, Default)]
pub(crate) struct FormData {
    fields: Vec<(String, String)>,
    files: Vec<(String, Upload)>,
}

impl FormData {
    pub(crate) fn from_urlencoded(body: &[u8]) -> Self {
        Self {
            fields: form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            files: Vec::new(),
        }
    }

    /// Reads a multipart body; files larger than `max_file_bytes` are refused with `too_large`.
    pub(crate) async fn from_multipart(
        mut multipart: Multipart,
        max_file_bytes: usize,
    ) -> Result<Self, MultipartError> {
        let mut form = Self::default();
        while let Some(field) =
            multipart.next_field().await.map_err(|_| MultipartError::Unreadable)?
        {
            let name = field.name().unwrap_or("").to_owned();
            if let Some(filename) = field.file_name().map(str::to_owned) {
                let content_type = field.content_type().map(str::to_owned);
                let bytes = field.bytes().await.map_err(|_| MultipartError::Unreadable)?;
                if bytes.len() > max_file_bytes {
                    return Err(MultipartError::TooLarge);
                }
                if !filename.is_empty() || !bytes.is_empty() {
                    form.files.push((name, Upload { filename, content_type, bytes }));
                }
            } else {
                let text = field.text().await.map_err(|_| MultipartError::Unreadable)?;
                form.fields.push((name, text));
            }
        }
        Ok(form)
    }

    /// The first value of a field.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The first value of a field, trimmed, or `None` when absent or blank.
    pub(crate) fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Every value of a field.
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.fields.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    /// The file sent in a field, if one was chosen.
    pub(crate) fn file(&self, name: &str) -> Option<&Upload> {
        self.files.iter().find(|(k, _)| k == name).map(|(_, f)| f)
    }

    /// Sets a field (replacing its values), for re-rendering a form with a server-made value.
    pub(crate) fn set(&mut self, name: &str, value: &str) {
        self.fields.retain(|(k, _)| k != name);
        self.fields.push((name.to_owned(), value.to_owned()));
    }

    /// Adds a value to a field.
    pub(crate) fn push(&mut self, name: &str, value: &str) {
        self.fields.push((name.to_owned(), value.to_owned()));
    }

    /// Whether the field has this value (a checked box or radio).
    pub(crate) fn has_value(&self, name: &str, value: &str) -> bool {
        self.fields.iter().any(|(k, v)| k == name && v == value)
    }
}

/// Why a multipart body could not be read.
#[derive(Debug)]
pub(crate) enum MultipartError {
    /// Malformed or cut short.
    Unreadable,
    /// A file over the upload limit.
    TooLarge,
}

/// A refusal to show next to its field, with what the user typed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Errors {
    error: Option<FieldError>,
}

impl Errors {
    pub(crate) fn none() -> Self {
        Self { error: None }
    }

    pub(crate) fn of(error: FieldError) -> Self {
        Self { error: Some(error) }
    }

    pub(crate) fn any(&self) -> Option<&FieldError> {
        self.error.as_ref()
    }

    /// The message for the input named `name`: the error's field with list indexes removed
    /// (`assigned_user_ids[2]` is shown at the `assigned_user_ids` checklist).
    pub(crate) fn at(&self, name: &str) -> Option<&str> {
        let error = self.error.as_ref()?;
        (strip_indexes(&error.field) == name).then_some(error.message.as_str())
    }
}

/// `options.1.user_ids[0]` → `options.1.user_ids`.
pub(crate) fn strip_indexes(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut depth = 0;
    for c in field.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// A signed-in user's urlencoded POST, whose CSRF token was checked.
#[derive(Debug)]
pub(crate) struct Posted {
    pub(crate) signed: Signed,
    pub(crate) form: FormData,
}

impl FromRequest<WebState> for Posted {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &WebState) -> Result<Self, WebError> {
        let (mut parts, body) = request.into_parts();
        let signed = Signed::from_request_parts(&mut parts, state).await?;
        let bytes =
            axum::body::to_bytes(body, MAX_FORM_BYTES).await.map_err(|_| WebError::BadRequest)?;
        let form = FormData::from_urlencoded(&bytes);
        signed.check_csrf(form.get(CSRF_FIELD))?;
        Ok(Self { signed, form })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_are_stripped_from_field_paths() {
        assert_eq!(strip_indexes("assigned_user_ids[2]"), "assigned_user_ids");
        assert_eq!(strip_indexes("options.1.user_ids[0]"), "options.1.user_ids");
        assert_eq!(strip_indexes("incoming.forward_to"), "incoming.forward_to");
    }

    #[test]
    fn repeated_fields_are_kept_in_order() {
        let form = FormData::from_urlencoded(b"a=1&b=x+y&a=2&c=");
        assert_eq!(form.all("a"), ["1", "2"]);
        assert_eq!(form.get("b"), Some("x y"));
        assert_eq!(form.value("c"), None);
        assert!(form.has_value("a", "2"));
    }
}
