//! The back office's queue and the actions on a work item. Every action takes an optional
//! `revision` (the one the caller last saw): a work item changed meanwhile answers 409.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::{Error, ErrorBody, Json, Path, Query, RegionCode, Result, parse_param};

use super::decide::Decision;
use super::queue::{self, Queue, QueueQuery};
use super::view::{self, HistoryEntry, WorkItem};
use super::{claim, complete, decide, send_back, take_over};
use crate::AppState;
use crate::db::joint::{self, JointCase};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(queue))
        .routes(routes!(get_work_item))
        .routes(routes!(history))
        .routes(routes!(claim))
        .routes(routes!(complete))
        .routes(routes!(send_back))
        .routes(routes!(decide))
        .routes(routes!(joint))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct QueueParams {
    /// 12-digit region code (default: the widest region the caller handles or supervises).
    pub region_code: Option<String>,
    pub department_id: Option<Uuid>,
    /// The open step's name (承办, 审核 ...).
    pub step: Option<String>,
    /// in_progress or paused.
    pub state: Option<String>,
    /// true: only overdue; false: only not overdue.
    pub overdue: Option<bool>,
    /// Only items due on or before this ISO date.
    pub due_before: Option<NaiveDate>,
    /// true: only steps claimed by the caller.
    #[serde(default)]
    pub mine: bool,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// 1-200, default 50.
    pub limit: Option<i64>,
}

/// Open work items of a region, soonest due first (overdue first). Approvers bound to a
/// department see that department's work; supervisors their whole region.
#[utoipa::path(get, path = "/v1/work-items", tag = "work items", params(QueueParams),
    responses((status = 200, body = Queue), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn queue(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(params): Query<QueueParams>,
) -> Result<Json<Queue>> {
    let region = params
        .region_code
        .as_deref()
        .map(|r| parse_param::<RegionCode>("region_code", r))
        .transpose()?;
    let after = params
        .after
        .as_deref()
        .map(|cursor| {
            let (date, id) = cursor.split_once(',').unwrap_or_default();
            Some((date.parse::<NaiveDate>().ok()?, Uuid::parse_str(id).ok()?))
        })
        .map(|parsed| {
            parsed
                .ok_or_else(|| Error::bad_request("after", "the `next` cursor of a previous page"))
        })
        .transpose()?;
    let query = QueueQuery {
        region,
        department_id: params.department_id,
        step: params.step,
        state: params.state,
        overdue: params.overdue,
        due_before: params.due_before,
        mine: params.mine,
        after,
        limit: params.limit.unwrap_or(50),
    };
    Ok(Json(
        queue::queue(&state.pool, &principal, query, state.clock.today()).await?,
    ))
}

/// A work item: steps, pauses, extensions, decision and certificates.
#[utoipa::path(get, path = "/v1/work-items/{case_id}", tag = "work items",
    params(("case_id" = Uuid, Path)),
    responses((status = 200, body = WorkItem), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_work_item(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<WorkItem>> {
    Ok(Json(
        view::get(&state.pool, &principal, id, state.clock.today()).await?,
    ))
}

/// Every step of a work item, oldest first (append-only).
#[utoipa::path(get, path = "/v1/work-items/{case_id}/history", tag = "work items",
    params(("case_id" = Uuid, Path)),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn history(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<HistoryEntry>>> {
    Ok(Json(view::history(&state.pool, &principal, id).await?))
}

/// The body of an action that needs nothing but, optionally, the revision the caller saw.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Seen {
    pub revision: Option<i32>,
}

/// Claims (签收) the open step: for staff with the step's role over the item's department.
/// Right after the handling region took a transfer over, the claim waits up to 3 s for the
/// take-over to reach approval; still pending, a 409 `transfer_pending` with `Retry-After`.
#[utoipa::path(post, path = "/v1/work-items/{case_id}/steps/{position}/claim", tag = "work items",
    params(("case_id" = Uuid, Path), ("position" = i32, Path)), request_body = Seen,
    responses((status = 200, body = WorkItem), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "not claimable now (claimed by someone \
            else, not the open step, a stale revision, or the transfer not taken over yet: \
            `transfer_pending`, with Retry-After)",
            headers(("Retry-After" = u32, description = "seconds to wait, on transfer_pending")))))]
async fn claim(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path((id, position)): Path<(Uuid, i32)>,
    Json(input): Json<Seen>,
) -> Response {
    let claimed = claim::claim(
        &state.pool,
        &principal,
        id,
        position,
        input.revision,
        state.now(),
    )
    .await;
    match claimed {
        Ok(item) => Json(item).into_response(),
        Err(err) => take_over::answer(err),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Completion {
    /// The handler's opinion (承办意见, 审核意见), 1-2000 characters.
    pub opinion: String,
    pub revision: Option<i32>,
}

/// Completes the claimed step with an opinion; the next step opens.
#[utoipa::path(post, path = "/v1/work-items/{case_id}/steps/{position}/complete", tag = "work items",
    params(("case_id" = Uuid, Path), ("position" = i32, Path)), request_body = Completion,
    responses((status = 200, body = WorkItem), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn complete(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path((id, position)): Path<(Uuid, i32)>,
    Json(input): Json<Completion>,
) -> Result<Json<WorkItem>> {
    Ok(Json(
        complete::complete(
            &state.pool,
            &principal,
            id,
            position,
            &input.opinion,
            input.revision,
            state.now(),
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendBack {
    /// The earlier back-office step to return to.
    pub to_step: i32,
    /// Why, 1-1000 characters.
    pub reason: String,
    pub revision: Option<i32>,
}

/// Returns the case from the claimed step to an earlier step (退回), which opens again.
#[utoipa::path(post, path = "/v1/work-items/{case_id}/steps/{position}/return", tag = "work items",
    params(("case_id" = Uuid, Path), ("position" = i32, Path)), request_body = SendBack,
    responses((status = 200, body = WorkItem), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn send_back(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path((id, position)): Path<(Uuid, i32)>,
    Json(input): Json<SendBack>,
) -> Result<Json<WorkItem>> {
    Ok(Json(
        send_back::send_back(
            &state.pool,
            &principal,
            id,
            position,
            input.to_step,
            &input.reason,
            input.revision,
            state.now(),
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    Refuse,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decide {
    pub decision: Verdict,
    /// Required to refuse (the written reason the applicant receives), 1-1000 characters.
    pub reason: Option<String>,
    /// The decider's opinion (批准意见), 1-2000 characters.
    pub opinion: String,
    /// When the e-certificates issued expire (ISO date); none when they do not.
    pub valid_until: Option<NaiveDate>,
    pub revision: Option<i32>,
}

/// Decides the case at its last, claimed step: approve (results issued, e-certificates sealed
/// by the department) or refuse with the reason. Publishes `CaseConcluded`.
#[utoipa::path(post, path = "/v1/work-items/{case_id}/steps/{position}/decide", tag = "work items",
    params(("case_id" = Uuid, Path), ("position" = i32, Path)), request_body = Decide,
    responses((status = 200, body = WorkItem), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn decide(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path((id, position)): Path<(Uuid, i32)>,
    Json(input): Json<Decide>,
) -> Result<Json<WorkItem>> {
    let decision = Decision {
        approve: matches!(input.decision, Verdict::Approve),
        reason: input.reason.as_deref(),
        opinion: &input.opinion,
        valid_until: input.valid_until,
    };
    Ok(Json(
        decide::decide(&state, &principal, id, position, decision, input.revision).await?,
    ))
}

/// A 一件事 application's joint handling (并联审批): its parts, each with its department,
/// state and due date; concluded when the last part is.
#[utoipa::path(get, path = "/v1/joint-cases/{case_id}", tag = "work items",
    params(("case_id" = Uuid, Path, description = "the bundle case")),
    responses((status = 200, body = JointCase), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn joint(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<JointCase>> {
    Ok(Json(joint::joint(&state.pool, &principal, id).await?))
}
