//! `/v1/keys`: signing-key rotation on demand (after a suspected leak, or to test rotation).

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use tongban_auth::Authenticated;
use tongban_kernel::region::RegionLevel;
use tongban_kernel::{Error, ErrorBody, Json, Power, Result};

use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(rotate))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rotated {
    /// The key id that signs from now on.
    pub kid: String,
}

/// Makes a new signing key active at once. Tokens signed by the previous key keep verifying
/// until they expire. Needs identity_admin over a whole province.
#[utoipa::path(post, path = "/rotate", tag = "keys", security(("bearer" = [])), responses(
    (status = 201, body = Rotated), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn rotate(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<(StatusCode, Json<Rotated>)> {
    let provincial = principal
        .bindings_for_power(Power::ManageAccounts)
        .any(|b| b.department.is_none() && b.region.level() == RegionLevel::Province);
    if !provincial {
        return Err(Error::Forbidden(
            "rotating keys needs identity_admin over a province".into(),
        ));
    }
    let key = state.signer.rotate_now().await?;
    tracing::info!(kid = %key.kid, by = %principal.account, "signing key rotated on request");
    Ok((
        StatusCode::CREATED,
        Json(Rotated {
            kid: key.kid.clone(),
        }),
    ))
}
