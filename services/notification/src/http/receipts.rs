//! `/v1/receipts`: delivery receipts from the SMS gateway, signed with the key the platform
//! shares with it (the route needs no token; the signature is the authentication).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use secrecy::ExposeSecret;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_kernel::{Error, ErrorBody, Result};

use crate::app::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(sms))
}

/// What the gateway reports about one text.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SmsReceipt {
    /// The `reference` the text was sent with (the message id).
    pub reference: Uuid,
    /// delivered, or failed.
    pub status: String,
    /// The carrier's reason for a failure.
    #[serde(default)]
    pub error: Option<String>,
}

/// Whether `header` signs `body` with `key` at a time within five minutes of now. "Now" is the
/// system clock (`Clock::system()`), not the service clock: the gateway stamps its receipts
/// with its own real time, and a test that moves the service clock days ahead must not make
/// every fresh receipt look stale (nor a replayed old one fresh).
fn signed(key: &str, header: &str, body: &str) -> bool {
    let Some(timestamp) = header
        .strip_prefix("t=")
        .and_then(|s| s.split(',').next())
        .and_then(|t| t.parse::<i64>().ok())
    else {
        return false;
    };
    let expected = crate::delivery::signature(key, timestamp, body);
    let fresh = (tongban_kernel::Clock::system().now().timestamp() - timestamp).abs() <= 300;
    // Compared whole, in constant time for equal lengths.
    fresh
        && !key.is_empty()
        && expected.len() == header.len()
        && expected
            .bytes()
            .zip(header.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// A delivery receipt for a text: delivered, or failed with the carrier's reason. Signed in
/// `X-Tongban-Signature` (`t=<unix seconds>,v1=<hex HMAC-SHA256(api key, "<t>.<body>")>`).
/// A receipt for a text not awaiting one changes nothing.
#[utoipa::path(post, path = "/v1/receipts/sms", tag = "receipts", request_body = SmsReceipt,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn sms(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<StatusCode> {
    let text = std::str::from_utf8(&body).map_err(|_| Error::bad_request("body", "not UTF-8"))?;
    let signature = headers
        .get("x-tongban-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !signed(state.sms_api_key.expose_secret(), signature, text) {
        return Err(Error::Unauthorized);
    }
    let receipt: SmsReceipt = serde_json::from_str(text)
        .map_err(|e| Error::bad_request("body", format!("not a receipt: {e}")))?;
    let delivered = match receipt.status.as_str() {
        "delivered" => true,
        "failed" => false,
        _ => return Err(Error::bad_request("status", "delivered or failed")),
    };
    crate::db::receipts::sms(
        &state.pool,
        receipt.reference,
        delivered,
        receipt
            .error
            .as_deref()
            .unwrap_or("the carrier reported a failure"),
        // When the service learnt of the delivery: its own time, like every other stamp.
        state.clock.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
