//! A site's own files (style sheet, scripts), built into its binary and answered from it.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `body` answered as a file of `content_type`.
pub fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // A new release brings new files: always ask (answered from the binary, so cheap).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
