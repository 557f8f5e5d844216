//! The approval service's HTTP API.

use axum::Router;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use tongban_auth::Authenticated;
use tongban_kernel::{Error, ErrorBody, Json, Power, RegionCode, Result};

use crate::AppState;

#[derive(OpenApi)]
#[openapi(info(
    description = "Work items, handling steps, time limits, decisions and e-certificates."
))]
struct ApiDoc;

pub fn app(state: AppState) -> (Router, OpenApiDoc) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(region_directory))
        .routes(routes!(queue))
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
    let region_code: RegionCode =
        region_code
            .parse()
            .map_err(|e: tongban_kernel::region::InvalidRegionCode| {
                Error::bad_request("region_code", e.to_string())
            })?;
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

/// A work item in a queue.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct WorkItem {
    pub case_id: uuid::Uuid,
    pub case_number: String,
    /// item, or part (of a bundle application: `parent_case_id`).
    pub kind: String,
    pub parent_case_id: Option<uuid::Uuid>,
    pub implementation_code: String,
    pub item_version: i32,
    pub item_name: String,
    pub receiving_region: String,
    pub handling_region: String,
    pub department_credit_code: String,
    /// The pinned version's steps: [{name, role, time_limit}].
    pub steps: serde_json::Value,
    pub current_step: i32,
    pub status: String,
    pub due_date: Option<chrono::NaiveDate>,
    pub accepted_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct QueueQuery {
    /// Work items handled in this region or below it.
    pub region_code: String,
}

/// The open work items handled in a region, earliest due first. For approvers and supervisors
/// whose scope covers the region.
#[utoipa::path(get, path = "/v1/work-items", tag = "work-items", params(QueueQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<WorkItem>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn queue(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(query): Query<QueueQuery>,
) -> Result<Json<Vec<WorkItem>>> {
    let region: RegionCode =
        query
            .region_code
            .parse()
            .map_err(|e: tongban_kernel::region::InvalidRegionCode| {
                Error::bad_request("region_code", e.to_string())
            })?;
    if !principal.can(Power::HandleCases, &region) {
        principal.require(Power::Supervise, &region)?;
    }
    // Coverage by code prefix, as role bindings cover regions (RoleBinding::covers).
    let pattern = format!("{}%", region.prefix());
    Ok(Json(
        sqlx::query_as(
            "select case_id, case_number, kind, parent_case_id, implementation_code, item_version,
                    item_name, receiving_region, handling_region, department_credit_code, steps,
                    current_step, status, due_date, accepted_at
             from work_items where handling_region like $1 and status = 'open'
             order by due_date nulls last, accepted_at limit 500",
        )
        .bind(pattern)
        .fetch_all(&state.pool)
        .await?,
    ))
}
