//! The routes that open a case: a draft online by the applicant, an intake at a window by a
//! clerk (帮代办). Both are idempotent under an `Idempotency-Key`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use tongban_auth::Authenticated;
use tongban_kernel::{Error, ErrorBody, Json, Result};

use super::intake::{Intake, NewCase};
use super::view::Case;
use crate::AppState;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(intake))
}

/// The caller's access token, passed on to identity to read who they are (the request was
/// authenticated with it).
fn bearer(headers: &HeaderMap) -> Result<&str> {
    tongban_auth::extract::bearer_in(headers).ok_or(Error::Unauthorized)
}

/// Opens a draft application for the signed-in citizen or enterprise against an item in force;
/// the case pins that version. Send an `Idempotency-Key` header (1-100 characters) so a retried
/// request returns the case it created (200) instead of creating a second one.
#[utoipa::path(post, path = "", tag = "cases", request_body = NewCase, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header)), responses(
    (status = 201, description = "created", body = Case),
    (status = 200, description = "the case this Idempotency-Key already created", body = Case),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 422, description = "the item is not in force", body = ErrorBody),
))]
#[tracing::instrument(skip_all, fields(item = ?input.implementation_code, bundle = ?input.bundle_id))]
async fn create(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    headers: HeaderMap,
    Json(input): Json<NewCase>,
) -> Result<(StatusCode, Json<Case>)> {
    let key = idempotency_key(&headers)?;
    let (case, created) = super::intake::create(
        &state.pool,
        &state.identities,
        &principal,
        bearer(&headers)?,
        &input,
        key,
        state.clock.now(),
    )
    .await?;
    Ok(opened(case, created))
}

/// The answer to an opening: 201 with the case created, or 200 with the one this
/// Idempotency-Key already created.
fn opened(case: Case, created: bool) -> (StatusCode, Json<Case>) {
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(case))
}

/// The `Idempotency-Key` header, if sent: 1-100 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<&str>> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .ok()
            .filter(|k| (1..=100).contains(&k.len()))
            .map(Some)
            .ok_or_else(|| {
                Error::bad_request("Idempotency-Key", "1 to 100 visible ASCII characters")
            }),
    }
}

/// A clerk takes a case in at the window for an applicant (帮代办), in a hall their
/// `window_clerk` role covers and where the item's 通办 scope reaches; the case records who
/// applied and who entered it. The clerk then provides the materials and submits. An applicant
/// without an account follows the case with the number and query password on the receipt.
#[utoipa::path(post, path = "/intake", tag = "cases", request_body = Intake, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header)), responses(
    (status = 201, description = "created", body = Case),
    (status = 200, description = "the case this Idempotency-Key already created", body = Case),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, description = "no window_clerk role over the receiving region", body = ErrorBody),
    (status = 422, description = "the item is not in force, or not served in that region", body = ErrorBody),
))]
async fn intake(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    headers: HeaderMap,
    Json(input): Json<Intake>,
) -> Result<(StatusCode, Json<Case>)> {
    let key = idempotency_key(&headers)?;
    let (case, created) = super::intake::intake(
        &state.pool,
        &state.identities,
        &state.regions,
        &principal,
        &input,
        key,
        state.clock.now(),
    )
    .await?;
    Ok(opened(case, created))
}
