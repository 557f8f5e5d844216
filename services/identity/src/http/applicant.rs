//! `/v1/accounts/me/applicant`: who a citizen or an enterprise applies as, in full, for the
//! account itself. The service it applies to (acceptance) asks with the applicant's own token
//! when a draft is opened, so the hall that serves the case can see whom it serves — the name,
//! the document masked, the phone masked — and the accepting clerk can check the original ID
//! against the full number. No other account can read this.

use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use tongban_auth::Authenticated;
use tongban_kernel::{AccountKind, Error, ErrorBody, Json, Result};

use crate::AppState;
use crate::db::accounts::{self, Applicant};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(applicant))
}

/// The caller's own applicant identity, for citizens and enterprises (403 for staff and
/// service accounts, which do not apply).
#[utoipa::path(get, path = "/me/applicant", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Applicant), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn applicant(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<Applicant>> {
    if !matches!(
        principal.kind,
        AccountKind::Citizen | AccountKind::Enterprise
    ) {
        return Err(Error::Forbidden(
            "only citizens and enterprises apply: staff and service accounts have no applicant identity"
                .into(),
        ));
    }
    accounts::applicant(&state.pool, principal.account)
        .await?
        .map(Json)
        .ok_or_else(|| Error::NotFound(format!("account {}", principal.account)))
}
