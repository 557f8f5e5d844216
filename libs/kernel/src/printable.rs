//! `Printable`: a page the platform renders for printing (a notice, a certificate's face) as an
//! HTTP answer: HTML that loads nothing (its styles inline), never cached.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A rendered printable page.
#[derive(Debug, Clone)]
pub struct Printable(pub String);

impl IntoResponse for Printable {
    fn into_response(self) -> Response {
        (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            self.0,
        )
            .into_response()
    }
}
