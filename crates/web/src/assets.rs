//! The stylesheet and the script, embedded in the binary and served under a URL that holds a
//! hash of their content: a new build gets new URLs, so browsers may cache them for ever.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/app.js");

/// One embedded file.
struct Asset {
    /// `app.<hash>.css`.
    name: String,
    /// The ETag: the hash, quoted.
    etag: String,
    body: &'static str,
    content_type: &'static str,
}

impl Asset {
    fn new(stem: &str, ext: &str, body: &'static str, content_type: &'static str) -> Self {
        let hash = hex::encode(&Sha256::digest(body.as_bytes())[..8]);
        Self {
            name: format!("{stem}.{hash}.{ext}"),
            etag: format!("\"{hash}\""),
            body,
            content_type,
        }
    }
}

static ASSETS: LazyLock<[Asset; 2]> = LazyLock::new(|| {
    [
        Asset::new("app", "css", CSS, "text/css; charset=utf-8"),
        Asset::new("app", "js", JS, "text/javascript; charset=utf-8"),
    ]
});

/// The URL of the stylesheet.
pub(crate) fn css_url() -> String {
    format!("/assets/{}", ASSETS[0].name)
}

/// The URL of the script.
pub(crate) fn js_url() -> String {
    format!("/assets/{}", ASSETS[1].name)
}

/// `GET /assets/{name}`.
pub(crate) async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = HeaderValue::from_str(&asset.etag).unwrap_or(HeaderValue::from_static("\"\""));
    let cache = HeaderValue::from_static("public, max-age=31536000, immutable");
    if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == asset.etag.as_bytes()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag), (header::CACHE_CONTROL, cache)])
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
        ],
        asset.body,
    )
        .into_response()
}
