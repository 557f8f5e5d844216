//! The routes of the clock: pause, resume, extend. Every action takes an optional `revision`
//! (the one the caller last saw): a work item changed meanwhile answers 409.

use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::{ErrorBody, Json, Path, Result};

use super::{extend, pause};
use crate::AppState;
use crate::work_item::http::Seen;
use crate::work_item::view::WorkItem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(extend))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseRequest {
    /// correction, hearing, inspection, testing, expert_review or other.
    pub kind: String,
    /// Why, 1-1000 characters.
    pub reason: String,
    /// The written notice the applicant receives (告知书), 1-4000 characters.
    pub notice: String,
    pub revision: Option<i32>,
}

/// Stops the clock (correction after acceptance, hearing, inspection, testing, expert review):
/// from today on, days do not count until it resumes.
#[utoipa::path(post, path = "/v1/work-items/{case_id}/pause", tag = "work items",
    params(("case_id" = Uuid, Path)), request_body = PauseRequest,
    responses((status = 200, body = WorkItem), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn pause(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<PauseRequest>,
) -> Result<Json<WorkItem>> {
    Ok(Json(
        pause::pause(
            &state.pool,
            &principal,
            id,
            &input.kind,
            &input.reason,
            &input.notice,
            input.revision,
            state.now(),
        )
        .await?,
    ))
}

/// Restarts the clock; the due date moves by the working days it stood still.
#[utoipa::path(post, path = "/v1/work-items/{case_id}/resume", tag = "work items",
    params(("case_id" = Uuid, Path)), request_body = Seen,
    responses((status = 200, body = WorkItem), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn resume(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<Seen>,
) -> Result<Json<WorkItem>> {
    Ok(Json(
        pause::resume(
            &state.pool,
            &principal,
            id,
            input.revision,
            state.now(),
            state.warning_days,
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// Working days to add: at most 10 in all (行政许可法 Art. 42), 15 for a part of a joint
    /// application.
    pub working_days: i32,
    /// Why, 1-1000 characters.
    pub reason: String,
    pub revision: Option<i32>,
}

/// Extends the time limit, approved by a supervisor over the item's department (负责人批准),
/// before the due date.
#[utoipa::path(post, path = "/v1/work-items/{case_id}/extensions", tag = "work items",
    params(("case_id" = Uuid, Path)), request_body = Extension,
    responses((status = 200, body = WorkItem), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn extend(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<Extension>,
) -> Result<Json<WorkItem>> {
    Ok(Json(
        extend::extend(
            &state.pool,
            &principal,
            id,
            input.working_days,
            &input.reason,
            input.revision,
            state.now(),
            state.warning_days,
        )
        .await?,
    ))
}
