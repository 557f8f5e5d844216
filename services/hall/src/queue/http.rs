//! The queue's API: taking a ticket (public, for the kiosk), a ticket as its holder sees it,
//! the board (public), and the windows' work (a window clerk of the hall's region).

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::{Authenticated, MaybeAuthenticated};
use tongban_kernel::{ErrorBody, Json, Path, Result};

use crate::AppState;
use crate::centre::http::region;

use super::board::{self, Board};
use super::call::{self, CallForm, FinishForm, TransferForm};
use super::order::Priority;
use super::state::{Action, Status};
use super::store::{self, Ticket};
use super::take::{self, Issued, TakeForm};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(take_ticket))
        .routes(routes!(get_ticket))
        .routes(routes!(get_board))
        .routes(routes!(call_next))
        .routes(routes!(recall))
        .routes(routes!(absent))
        .routes(routes!(start))
        .routes(routes!(finish))
        .routes(routes!(transfer))
}

/// A ticket as a window sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketView {
    pub id: Uuid,
    pub number: String,
    pub region_code: String,
    pub group_id: Uuid,
    pub status: Status,
    pub priority: Priority,
    pub item_code: Option<String>,
    pub appointment_id: Option<Uuid>,
    pub window_id: Option<Uuid>,
    pub calls: i32,
    pub arrived_at: chrono::DateTime<chrono::Utc>,
    pub called_at: Option<chrono::DateTime<chrono::Utc>>,
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    pub visit_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
}

impl From<Ticket> for TicketView {
    fn from(t: Ticket) -> Self {
        Self {
            id: t.id,
            number: t.number,
            region_code: t.region_code,
            group_id: t.group_id,
            status: t.status,
            priority: t.priority,
            item_code: t.item_code,
            appointment_id: t.appointment_id,
            window_id: t.window_id,
            calls: t.calls,
            arrived_at: t.arrived_at,
            called_at: t.called_at,
            started_at: t.started_at,
            finished_at: t.finished_at,
            visit_id: t.visit_id,
            case_id: t.case_id,
        }
    }
}

/// Takes a ticket while the hall is open (the kiosk: no sign-in). A window clerk of the
/// region may mark the green channel for disability or pregnancy; an identity card number
/// gives it from age 65.
#[utoipa::path(post, path = "/v1/centres/{region_code}/tickets", tag = "queue",
    params(("region_code" = String, Path)), request_body = TakeForm,
    responses((status = 201, body = Issued), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "the hall is closed", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn take_ticket(
    State(state): State<AppState>,
    MaybeAuthenticated(principal): MaybeAuthenticated,
    Path(code): Path<String>,
    Json(form): Json<TakeForm>,
) -> Result<(StatusCode, Json<Issued>)> {
    let region = region(&code)?;
    let issued = take::take(
        &state.pool,
        principal.as_ref(),
        &region,
        form,
        state.clock.moment(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// A ticket as its holder sees it (its id is on the slip): its state and how many go before
/// it.
#[utoipa::path(get, path = "/v1/tickets/{id}", tag = "queue", params(("id" = Uuid, Path)),
    responses((status = 200, body = Issued), (status = 404, body = ErrorBody)))]
async fn get_ticket(State(state): State<AppState>, Path(id): Path<Uuid>) -> Result<Json<Issued>> {
    let mut conn = state.pool.acquire().await?;
    let ticket = store::get(&mut conn, id).await?;
    let group =
        crate::centre::store::group(&mut conn, &ticket.region_code, ticket.group_id).await?;
    Ok(Json(
        take::issued(&mut conn, &ticket, &group, state.clock.now()).await?,
    ))
}

/// The display board: each window's ticket, the latest calls, how many wait per group.
#[utoipa::path(get, path = "/v1/centres/{region_code}/board", tag = "queue",
    params(("region_code" = String, Path)),
    responses((status = 200, body = Board), (status = 404, body = ErrorBody)))]
async fn get_board(State(state): State<AppState>, Path(code): Path<String>) -> Result<Json<Board>> {
    let region = region(&code)?;
    Ok(Json(
        board::board(&state.pool, &region, state.clock.moment()).await?,
    ))
}

/// Calls the next ticket of the window's group (appointments due, then the green channel,
/// then arrival), or the ticket named. Two windows never get the same ticket.
#[utoipa::path(post, path = "/v1/windows/{id}/call", tag = "queue",
    params(("id" = Uuid, Path)), request_body = CallForm,
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody),
        (status = 404, description = "nobody is waiting", body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn call_next(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(form): Json<CallForm>,
) -> Result<Json<TicketView>> {
    let ticket = call::call(&state.pool, &principal, id, form, state.clock.moment()).await?;
    Ok(Json(ticket.into()))
}

async fn act(
    state: &AppState,
    principal: &tongban_kernel::Principal,
    id: Uuid,
    action: Action,
    finish: FinishForm,
) -> Result<Json<TicketView>> {
    let ticket = call::act(
        &state.pool,
        principal,
        id,
        action,
        finish,
        state.clock.moment(),
    )
    .await?;
    Ok(Json(ticket.into()))
}

/// Calls a called ticket again (the board shows it anew).
#[utoipa::path(post, path = "/v1/tickets/{id}/recall", tag = "queue", params(("id" = Uuid, Path)),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn recall(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<TicketView>> {
    act(
        &state,
        &principal,
        id,
        Action::Recall,
        FinishForm::default(),
    )
    .await
}

/// Marks a called ticket absent (过号).
#[utoipa::path(post, path = "/v1/tickets/{id}/absent", tag = "queue", params(("id" = Uuid, Path)),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn absent(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<TicketView>> {
    act(
        &state,
        &principal,
        id,
        Action::NoShow,
        FinishForm::default(),
    )
    .await
}

/// The person came: serving starts.
#[utoipa::path(post, path = "/v1/tickets/{id}/start", tag = "queue", params(("id" = Uuid, Path)),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn start(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<TicketView>> {
    act(&state, &principal, id, Action::Start, FinishForm::default()).await
}

/// Serving is finished (with the case served, when there is one).
#[utoipa::path(post, path = "/v1/tickets/{id}/finish", tag = "queue", params(("id" = Uuid, Path)),
    request_body = FinishForm,
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn finish(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(form): Json<FinishForm>,
) -> Result<Json<TicketView>> {
    act(&state, &principal, id, Action::Finish, form).await
}

/// Moves a waiting or called ticket to another group of the hall, keeping its number and its
/// place by arrival.
#[utoipa::path(post, path = "/v1/tickets/{id}/transfer", tag = "queue", params(("id" = Uuid, Path)),
    request_body = TransferForm,
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn transfer(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(form): Json<TransferForm>,
) -> Result<Json<TicketView>> {
    let ticket = call::transfer(
        &state.pool,
        &principal,
        id,
        form.group_id,
        state.clock.moment(),
    )
    .await?;
    Ok(Json(ticket.into()))
}
