//! The console's own files, built into the binary: its style sheet, its script (the idle
//! warning), and htmx (vendored; version and licence in `assets/README.md`).

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;

const STYLE: &str = include_str!("../../assets/console.css");
const SCRIPT: &str = include_str!("../../assets/console.js");
const HTMX: &str = include_str!("../../assets/htmx.min.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console/assets/console.css",
            get(|| async { asset(STYLE, "text/css; charset=utf-8") }),
        )
        .route(
            "/console/assets/console.js",
            get(|| async { asset(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/console/assets/htmx.min.js",
            get(|| async { asset(HTMX, "text/javascript; charset=utf-8") }),
        )
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // A new release brings new files: always ask (answered from the binary, so cheap).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
