//! `/v1/transfers`: cases handed over between regions (跨域通办). Both halls (their window
//! clerks and handlers) and the supervisors above either see a transfer, where its case is, its
//! postal legs and its deadlines; nobody else does (404). Actions take an optional `revision`
//! (the one the caller last saw): a transfer changed meanwhile answers 409.

use axum::extract::State;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::{Error, ErrorBody, Json, Path, Query, RegionCode, Result, parse_param};

use crate::AppState;

use super::accept::accept as accept_transfer;
use super::legs::{self, NewLeg};
use super::reject::{self as rejecting, Rejection};
use super::state::{Side, TransferState};
use super::view::{self, Filter, HistoryEntry, Transfer};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get_transfer))
        .routes(routes!(history))
        .routes(routes!(accept))
        .routes(routes!(reject))
        .routes(routes!(send_leg))
        .routes(routes!(receive_leg))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// 12-digit region code: transfers with either hall in it or below it.
    pub region_code: Option<String>,
    /// With `region_code`: receiving (the region took the cases in) or handling (it decides
    /// them).
    pub side: Option<String>,
    /// sent, accepted, rejected, returned or delivered.
    pub state: Option<String>,
    pub case_id: Option<Uuid>,
    /// true: only those with a missed hand-over deadline.
    #[serde(default)]
    pub overdue: bool,
    /// The last transfer of the previous page.
    pub after: Option<Uuid>,
    /// 1-200, default 50.
    pub limit: Option<i64>,
}

/// Transfers the caller's halls are part of, newest first.
#[utoipa::path(get, path = "/v1/transfers", tag = "transfers", params(ListParams),
    responses((status = 200, body = Vec<Transfer>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(params): Query<ListParams>,
) -> Result<Json<Vec<Transfer>>> {
    let region = params
        .region_code
        .as_deref()
        .map(|r| parse_param::<RegionCode>("region_code", r))
        .transpose()?;
    let side = params
        .side
        .as_deref()
        .map(|side| {
            Side::parse(side).ok_or_else(|| Error::bad_request("side", "receiving or handling"))
        })
        .transpose()?;
    let state_filter = params
        .state
        .as_deref()
        .map(|s| {
            TransferState::parse(s).ok_or_else(|| {
                let all: Vec<&str> = TransferState::ALL.iter().map(|s| s.as_str()).collect();
                Error::bad_request("state", all.join(", "))
            })
        })
        .transpose()?;
    let limit = tongban_kernel::page_limit(params.limit, 50, 200)?;
    let filter = Filter {
        region,
        side,
        state: state_filter,
        case_id: params.case_id,
        overdue: params.overdue,
        after: params.after,
        limit,
    };
    Ok(Json(
        view::list(&state.pool, &principal, &filter, state.clock.today()).await?,
    ))
}

/// A transfer: its state, where the case is, its deadlines and postal legs.
#[utoipa::path(get, path = "/v1/transfers/{id}", tag = "transfers",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Transfer), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_transfer(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<Transfer>> {
    Ok(Json(
        view::get(&state.pool, &principal, id, state.clock.today()).await?,
    ))
}

/// Every hand-over of a transfer, oldest first (append-only).
#[utoipa::path(get, path = "/v1/transfers/{id}/history", tag = "transfers",
    params(("id" = Uuid, Path)),
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

/// The handling region takes the transfer over (a window clerk of the region, or a handler of
/// the item's department); its back office may then work the case. Publishes
/// `TransferAccepted`.
#[utoipa::path(post, path = "/v1/transfers/{id}/accept", tag = "transfers",
    params(("id" = Uuid, Path)), request_body = Seen,
    responses((status = 200, body = Transfer), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn accept(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<Seen>,
) -> Result<Json<Transfer>> {
    Ok(Json(
        accept_transfer(
            &state.pool,
            &principal,
            id,
            input.revision,
            state.clock.moment(),
        )
        .await?,
    ))
}

/// The handling region sends the transfer back with the reason; the case returns to the
/// receiving window, which tells the applicant once what to fix, sends it again, or refuses
/// it. Publishes `TransferRejected`.
#[utoipa::path(post, path = "/v1/transfers/{id}/reject", tag = "transfers",
    params(("id" = Uuid, Path)), request_body = Rejection,
    responses((status = 200, body = Transfer), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn reject(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<Rejection>,
) -> Result<Json<Transfer>> {
    Ok(Json(
        rejecting::reject(&state.pool, &principal, id, &input, state.clock.moment()).await?,
    ))
}

/// Records paper put in the post by the side that sends it: original materials by the
/// receiving window (while the transfer is sent or accepted), the paper result by the handling
/// region (once it is returned). Publishes `PostalLegSent`.
#[utoipa::path(post, path = "/v1/transfers/{id}/legs", tag = "transfers",
    params(("id" = Uuid, Path)), request_body = NewLeg,
    responses((status = 200, body = Transfer), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn send_leg(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<NewLeg>,
) -> Result<Json<Transfer>> {
    Ok(Json(
        legs::send_leg(&state.pool, &principal, id, &input, state.clock.moment()).await?,
    ))
}

/// The side a leg was posted to confirms it arrived. Publishes `PostalLegReceived`.
#[utoipa::path(post, path = "/v1/transfers/{id}/legs/{leg_id}/receive", tag = "transfers",
    params(("id" = Uuid, Path), ("leg_id" = Uuid, Path)),
    responses((status = 200, body = Transfer), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn receive_leg(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path((id, leg_id)): Path<(Uuid, Uuid)>,
) -> Result<Json<Transfer>> {
    Ok(Json(
        legs::receive_leg(&state.pool, &principal, id, leg_id, state.clock.moment()).await?,
    ))
}
