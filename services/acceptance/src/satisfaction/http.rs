//! `GET /v1/ratings/statistics`: the satisfaction numbers for supervisors.

use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use tongban_auth::Authenticated;
use tongban_kernel::{ErrorBody, Json, Query, Result};

use crate::AppState;

use super::view::{Satisfaction, StatisticsQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(statistics))
}

/// Satisfaction per region, hall, department, item, clerk or month: ratings per level, rating
/// rate, bad-rating rate, remediation on-time rate. For supervisors over the region.
#[utoipa::path(get, path = "/v1/ratings/statistics", tag = "ratings", params(StatisticsQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Satisfaction), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn statistics(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(query): Query<StatisticsQuery>,
) -> Result<Json<Satisfaction>> {
    let today = state.clock.today();
    Ok(Json(
        super::statistics::statistics(&state.pool, &principal, &query, today).await?,
    ))
}
