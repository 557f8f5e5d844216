//! `/v1/codes`: one-time codes texted for identity (phone verification, sign-in by text).
//! Identity calls it with its own service account; nobody else may.

use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use tongban_auth::Authenticated;
use tongban_kernel::{Error, ErrorBody, Json, Result};

use crate::app::AppState;
use crate::db::codes::{self, CodeQueued, CodeRequest};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(send))
}

/// Texts a one-time code at once (quiet hours and the hourly limit do not hold it back) to the
/// number given, in the account's language. Asking again with the same `id` sends nothing new.
/// Not sent after `expires_at`; the stored text loses the code once it is out. For the service
/// accounts in `notification.code_senders` (identity's); everyone else gets 403.
#[utoipa::path(post, path = "/v1/codes", tag = "codes", request_body = CodeRequest,
    responses((status = 202, body = CodeQueued), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn send(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Json(input): Json<CodeRequest>,
) -> Result<(StatusCode, Json<CodeQueued>)> {
    if !principal.is_service_among(&state.code_senders) {
        return Err(Error::Forbidden(
            "one-time codes are sent for the identity service only".into(),
        ));
    }
    let queued = codes::queue(&state.pool, &input, state.clock.now()).await?;
    state.wake.notify_one();
    Ok((StatusCode::ACCEPTED, Json(queued)))
}
