//! `Json<T>`: axum's JSON extractor with rejections in our error body.

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::Error;

/// Extracts and serialises JSON like `axum::Json`, but a body that does not parse is a 400 (or
/// 415 for a wrong content type) whose `field` names the JSON path serde stopped at.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            let body = Error::bad_request("content-type", "expected `application/json`").body();
            return Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, axum::Json(body)).into_response());
        }
        let bytes = match Bytes::from_request(req, state).await {
            Ok(bytes) => bytes,
            Err(rejection) => {
                let body = Error::bad_request("body", rejection.body_text()).body();
                return Err((rejection.status(), axum::Json(body)).into_response());
            }
        };
        // PostgreSQL's text cannot hold it: refuse it here, as bad input, not later as a fault.
        if escapes_nul(&bytes) {
            return Err(Error::bad_request(
                "body",
                "text may not contain the NUL character (\\u0000)",
            )
            .into_response());
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(rejection_response(rejection)),
        }
    }
}

/// `application/json` or `application/<anything>+json`, as axum's own extractor accepts.
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Whether JSON text carries a NUL character. It can only as the escape `\u0000` (raw control
/// characters are not JSON), and only where that backslash is not itself escaped.
fn escapes_nul(json: &[u8]) -> bool {
    json.windows(6).enumerate().any(|(at, window)| {
        window == b"\\u0000"
            && json[..at].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 0
    })
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn rejection_response(rejection: JsonRejection) -> Response {
    // axum answers a body of the wrong shape with 422; here malformed input is always 400
    // (`bad_request`) and 422 is kept for well-formed input that breaks a domain rule.
    let status = match &rejection {
        JsonRejection::JsonDataError(_) => axum::http::StatusCode::BAD_REQUEST,
        other => other.status(),
    };
    let (field, message) = match &rejection {
        JsonRejection::JsonDataError(err) => split_serde_path(&source_text(err)),
        JsonRejection::JsonSyntaxError(err) => ("body".to_owned(), source_text(err)),
        JsonRejection::MissingJsonContentType(_) => (
            "content-type".to_owned(),
            "expected `application/json`".to_owned(),
        ),
        other => ("body".to_owned(), other.body_text()),
    };
    let body = Error::bad_request(field, message).body();
    (status, axum::Json(body)).into_response()
}

/// The innermost error text: serde's own message, without axum's prefix.
pub(crate) fn source_text(err: &dyn std::error::Error) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// serde_path_to_error renders `path.to.field: message at line L column C`; split it so
/// `field` is machine-readable, and drop the position (the field already says where).
pub(crate) fn split_serde_path(text: &str) -> (String, String) {
    let text = match text.rfind(" at line ") {
        Some(at) => &text[..at],
        None => text,
    };
    match text.split_once(": ") {
        Some((path, message)) if !path.contains(' ') => (path.to_owned(), message.to_owned()),
        _ => ("body".to_owned(), text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_an_escaped_nul_but_not_an_escaped_backslash() {
        assert!(escapes_nul(br#"{"name": "a\u0000b"}"#));
        assert!(escapes_nul(br#"{"name": "a\\\u0000"}"#));
        assert!(!escapes_nul(br#"{"name": "a\\u0000b"}"#));
        assert!(escapes_nul(br#"{"name": "\u00001"}"#));
        assert!(!escapes_nul(br#"{"name": "u0000"}"#));
    }

    #[test]
    fn splits_a_serde_path() {
        let (field, message) = split_serde_path("region: invalid value at line 1 column 21");
        assert_eq!(field, "region");
        assert_eq!(message, "invalid value");
        let (field, _) = split_serde_path("missing field `name` at line 1 column 2");
        assert_eq!(field, "body");
    }
}
