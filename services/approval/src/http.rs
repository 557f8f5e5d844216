//! The approval service's HTTP API.

use axum::Router;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use tongban_auth::Authenticated;
use tongban_kernel::{ErrorBody, Json, Power, RegionCode, Result, parse_param};

use crate::AppState;

#[derive(OpenApi)]
#[openapi(info(
    description = "Work items, handling steps, time limits, decisions and e-certificates."
))]
struct ApiDoc;

pub fn app(state: AppState) -> (Router, OpenApiDoc) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(region_directory))
        .split_for_parts();
    (router.with_state(state), doc)
}

/// The departments approval knows of in a region, as learned from the catalogue's events.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionDirectory {
    pub region_code: RegionCode,
    /// Departments registered in the region.
    pub departments: i32,
}

/// How many departments approval can route work to in a region. For staff who handle or
/// supervise cases there.
#[utoipa::path(get, path = "/v1/directory/regions/{region_code}", tag = "directory",
    params(("region_code" = String, Path, description = "12-digit region code")),
    responses((status = 200, body = RegionDirectory), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn region_directory(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(region_code): Path<String>,
) -> Result<Json<RegionDirectory>> {
    let region_code: RegionCode = parse_param("region_code", &region_code)?;
    if !principal.can(Power::HandleCases, &region_code) {
        principal.require(Power::Supervise, &region_code)?;
    }
    let departments: Option<i32> = sqlx::query_scalar(
        "select departments from region_department_counts where region_code = $1",
    )
    .bind(region_code.as_str())
    .fetch_optional(&state.pool)
    .await?;
    Ok(Json(RegionDirectory {
        region_code,
        departments: departments.unwrap_or(0),
    }))
}
