//! The queue's API: taking a ticket (public, for the kiosk), a ticket as its holder sees it,
//! the board (public), and the windows' work (a window clerk of the hall's region).

use axum::extract::State;
use std::convert::Infallible;

use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use serde::Serialize;
use tokio::sync::broadcast;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::{Authenticated, MaybeAuthenticated};
use tongban_kernel::{Error, ErrorBody, Json, Path, Result};

use crate::AppState;
use crate::centre::http::region;

use super::board::{self, Board};
use super::call::{self, CallForm, TransferForm};
use super::finish::{self, FinishForm};
use super::order::Priority;
use super::state::{Action, Status};
use super::store::{self, Ticket};
use super::take::{self, Issued, TakeForm};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(take_ticket))
        .routes(routes!(get_ticket))
        .routes(routes!(get_board))
        .routes(routes!(board_events))
        .routes(routes!(call_next))
        .routes(routes!(recall))
        .routes(routes!(absent))
        .routes(routes!(start))
        .routes(routes!(finish))
        .routes(routes!(transfer))
        .routes(routes!(give_up))
        .routes(routes!(to_rate))
        .routes(routes!(in_hand))
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

/// The board, live (server-sent events): an `event: board` with the whole board at once and
/// after every change in the hall, and a comment every 15 s to keep the line open.
#[utoipa::path(get, path = "/v1/centres/{region_code}/board/events", tag = "queue",
    params(("region_code" = String, Path)),
    responses((status = 200, description = "text/event-stream of boards", content_type = "text/event-stream"),
        (status = 404, body = ErrorBody)))]
async fn board_events(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Sse<impl Stream<Item = std::result::Result<Event, Infallible>>>> {
    let region = region(&code)?;
    // Subscribed before the first board is drawn, so no change falls in between.
    let updates = state.feed.subscribe();
    let first = board::board(&state.pool, &region, state.clock.moment()).await?;
    let first = Event::default()
        .event("board")
        .json_data(&first)
        .map_err(tongban_kernel::Error::internal)?;
    let region = region.as_str().to_owned();
    let later = futures::stream::unfold(updates, move |mut updates| {
        let region = region.clone();
        async move {
            loop {
                match updates.recv().await {
                    Ok(update) if update.region == region => {
                        let event = Event::default().event("board").data(&*update.board);
                        return Some((Ok(event), updates));
                    }
                    Ok(_) => {}
                    // Fallen behind: the next board is whole anyway.
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        }
    });
    let stream = futures::stream::once(async { Ok(first) }).chain(later);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15))))
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
) -> Result<Json<TicketView>> {
    let ticket = call::act(&state.pool, principal, id, action, state.clock.moment()).await?;
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
    act(&state, &principal, id, Action::Recall).await
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
    act(&state, &principal, id, Action::NoShow).await
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
    act(&state, &principal, id, Action::Start).await
}

/// Serving is finished: the visit is recorded in acceptance (counted on the case, when one is
/// named) and the window's rating device shows it. 503 when acceptance cannot be asked (the
/// ticket stays in service); acceptance's refusals come back as 403/409/422.
#[utoipa::path(post, path = "/v1/tickets/{id}/finish", tag = "queue", params(("id" = Uuid, Path)),
    request_body = FinishForm, security(("bearer" = [])),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn finish(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Json(form): Json<FinishForm>,
) -> Result<Json<TicketView>> {
    let bearer = tongban_auth::extract::bearer_in(&headers).ok_or(Error::Unauthorized)?;
    let ticket = finish::finish(
        &state.pool,
        &state.visits,
        &principal,
        bearer,
        id,
        form,
        state.clock.moment(),
    )
    .await?;
    Ok(Json(ticket.into()))
}

/// The visit the window's rating device shows: the window's latest ticket finished today,
/// with its rating code (一次一评), to a window clerk of the hall. 404 before the day's first.
#[utoipa::path(get, path = "/v1/windows/{id}/rating", tag = "queue", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = ToRate), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn to_rate(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<ToRate>> {
    let mut conn = state.pool.acquire().await?;
    call::window_region(&mut conn, &principal, id).await?;
    let ticket = store::last_finished(&mut conn, id, state.clock.moment().today)
        .await?
        .ok_or_else(|| Error::NotFound("no visit finished at this window today".into()))?;
    Ok(Json(ToRate {
        ticket_id: ticket.id,
        number: ticket.number,
        finished_at: ticket.finished_at,
        visit_id: ticket.visit_id,
        rating_code: ticket.rating_code,
    }))
}

/// The ticket a window holds (called or being served), for its clerk's calling panel; 404
/// when it holds none.
#[utoipa::path(get, path = "/v1/windows/{id}/ticket", tag = "queue", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn in_hand(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<TicketView>> {
    let mut conn = state.pool.acquire().await?;
    call::window_region(&mut conn, &principal, id).await?;
    let ticket = store::at_window(&mut conn, id)
        .await?
        .ok_or_else(|| Error::NotFound("this window holds no ticket".into()))?;
    Ok(Json(ticket.into()))
}

/// A finished visit for the rating device.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToRate {
    pub ticket_id: Uuid,
    pub number: String,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    pub visit_id: Option<Uuid>,
    /// Rates the visit once: `POST /api/acceptance/v1/ratings/visits/{rating_code}`.
    pub rating_code: Option<String>,
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

/// Gives up a waiting ticket (its holder, whose slip carries its id, or a clerk); a cancelled
/// ticket is never called. 409 `ticket_state` once it was called.
#[utoipa::path(post, path = "/v1/tickets/{id}/cancel", tag = "queue", params(("id" = Uuid, Path)),
    responses((status = 200, body = TicketView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn give_up(
    State(state): State<AppState>,
    MaybeAuthenticated(principal): MaybeAuthenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<TicketView>> {
    let ticket =
        super::cancel::cancel(&state.pool, principal.as_ref(), id, state.clock.moment()).await?;
    Ok(Json(ticket.into()))
}
