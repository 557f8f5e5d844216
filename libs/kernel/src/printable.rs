//! `Printable`: a page the platform renders for printing (a notice, a certificate's face) as an
//! HTTP answer: HTML that loads nothing (its styles inline), never cached; and the QR codes
//! such pages carry, drawn as inline SVG (no image library, nothing loaded).

use axum::http::header;
use axum::response::{IntoResponse, Response};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use crate::Error;

/// What a printable page may load: nothing; its style sheet is inline, it runs no script.
pub const POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'";

/// `text` as a QR code: an inline `<svg>` element named `label` for screen readers.
pub fn qr_svg(text: &str, label: &str) -> Result<String, Error> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| Error::internal(format!("a QR code: {e}")))?;
    let image = code
        .render::<svg::Color>()
        .quiet_zone(true)
        .min_dimensions(160, 160)
        .build();
    // The renderer writes a standalone file (an XML declaration first); HTML wants the element.
    let element = image.find("<svg").map_or(image.as_str(), |at| &image[at..]);
    let label = label.replace('"', "");
    Ok(element.replacen(
        "<svg",
        &format!(r#"<svg role="img" aria-label="{label}""#),
        1,
    ))
}

/// A rendered printable page.
#[derive(Debug, Clone)]
pub struct Printable(pub String);

impl IntoResponse for Printable {
    fn into_response(self) -> Response {
        (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CONTENT_SECURITY_POLICY, POLICY),
                (header::CACHE_CONTROL, "no-store"),
            ],
            self.0,
        )
            .into_response()
    }
}
