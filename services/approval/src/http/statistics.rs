//! On-time and overdue counts, the uses of separation-of-duties exceptions, and the
//! department directory.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use tongban_auth::Authenticated;
use tongban_duties::{Report, UsesQuery};
use tongban_kernel::{ErrorBody, Json, Path, Power, Query, RegionCode, Result, parse_param};

use crate::AppState;
use crate::db::statistics::{self, Statistics};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(region_statistics))
        .routes(routes!(region_directory))
        .routes(routes!(duty_exception_uses))
}

/// The steps handled and decisions taken under a service centre's separation-of-duties
/// exception, per centre and the latest ones, over the supervisor's regions.
#[utoipa::path(get, path = "/v1/duty-exceptions/uses", tag = "statistics", params(UsesQuery),
    responses((status = 200, body = Report), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn duty_exception_uses(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(query): Query<UsesQuery>,
) -> Result<Json<Report>> {
    Ok(Json(
        tongban_duties::report(&state.pool, &principal, &query).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StatisticsQuery {
    /// 12-digit region code: its work items and those of the regions below it.
    pub region_code: String,
}

/// On-time and overdue counts (按期办结率) per department of a region: open, open and overdue,
/// paused, concluded on time and late. For supervisors and handlers in scope.
#[utoipa::path(get, path = "/v1/statistics", tag = "statistics", params(StatisticsQuery),
    responses((status = 200, body = Statistics), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn region_statistics(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(query): Query<StatisticsQuery>,
) -> Result<Json<Statistics>> {
    let region: RegionCode = parse_param("region_code", &query.region_code)?;
    Ok(Json(
        statistics::of_region(&state.pool, &principal, &region, state.clock.today()).await?,
    ))
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
