//! The bookings' API: a centre's slots and checking in (public, for the online hall and the
//! kiosk), booking, confirming a hold, cancelling, and one's own bookings.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::{ErrorBody, Json, Path, Query, Result};

use crate::AppState;
use crate::centre::http::region;
use crate::queue::order::Priority;
use crate::queue::take::Issued;

use super::book::{self, BookForm, require_party};
use super::cancel;
use super::check_in::{self, CheckInForm};
use super::slots::{self, Slots, SlotsQuery};
use super::state::Status;
use super::store::{self, Appointment, Channel};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_slots))
        .routes(routes!(book_slot))
        .routes(routes!(mine))
        .routes(routes!(get_appointment))
        .routes(routes!(confirm))
        .routes(routes!(cancel_appointment))
        .routes(routes!(check_in_at_kiosk))
}

/// A booking as its person and the hall see it (the person's card number is never shown).
#[derive(Debug, Serialize, ToSchema)]
pub struct Booking {
    pub id: Uuid,
    pub region_code: String,
    pub group_id: Uuid,
    pub item_code: String,
    pub day: NaiveDate,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: Status,
    pub channel: Channel,
    pub priority: Priority,
    /// Until when a hold waits for its confirmation.
    pub held_until: Option<DateTime<Utc>>,
    pub booked_at: Option<DateTime<Utc>>,
    pub checked_in_at: Option<DateTime<Utc>>,
}

impl From<Appointment> for Booking {
    fn from(a: Appointment) -> Self {
        Self {
            id: a.id,
            region_code: a.region_code,
            group_id: a.group_id,
            item_code: a.item_code,
            day: a.day,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            status: a.status,
            channel: a.channel,
            priority: a.priority,
            held_until: a.held_until,
            booked_at: a.booked_at,
            checked_in_at: a.checked_in_at,
        }
    }
}

/// The bookable slots of a window group (from the next working day, as many working days
/// ahead as the centre allows) with the places left in each.
#[utoipa::path(get, path = "/v1/centres/{region_code}/slots", tag = "bookings",
    params(("region_code" = String, Path), SlotsQuery),
    responses((status = 200, body = Slots), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn list_slots(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<SlotsQuery>,
) -> Result<Json<Slots>> {
    let region = region(&code)?;
    Ok(Json(
        slots::slots(&state.pool, &region, query, state.clock.moment()).await?,
    ))
}

/// Books a slot: a citizen or enterprise for the person named, online; a window clerk of the
/// region for a caller. With `hold`, the slot is kept for the centre's `hold_minutes` until
/// confirmed. 409 `slot_full`, `slot_closed`, `already_booked` (one per person, item and day)
/// or `booking_suspended` (no-shows).
#[utoipa::path(post, path = "/v1/centres/{region_code}/appointments", tag = "bookings",
    params(("region_code" = String, Path)), request_body = BookForm, security(("bearer" = [])),
    responses((status = 201, body = Booking), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn book_slot(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(code): Path<String>,
    Json(form): Json<BookForm>,
) -> Result<(StatusCode, Json<Booking>)> {
    let region = region(&code)?;
    let booked = book::book(
        &state.pool,
        &state.persons,
        &principal,
        &region,
        form,
        state.clock.moment(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(booked.into())))
}

/// One's own bookings (made online), the latest slot first (at most 100).
#[utoipa::path(get, path = "/v1/appointments", tag = "bookings", security(("bearer" = [])),
    responses((status = 200, body = Vec<Booking>), (status = 401, body = ErrorBody)))]
async fn mine(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<Vec<Booking>>> {
    let mut conn = state.pool.acquire().await?;
    let rows = store::of_account(&mut conn, principal.account, 100).await?;
    Ok(Json(rows.into_iter().map(Booking::from).collect()))
}

/// A booking, to its booker, its person's account or a clerk of the hall (404 to others).
#[utoipa::path(get, path = "/v1/appointments/{id}", tag = "bookings",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Booking), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_appointment(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<Booking>> {
    let mut conn = state.pool.acquire().await?;
    let appointment = store::get(&mut conn, id).await?;
    require_party(&principal, &appointment)?;
    Ok(Json(appointment.into()))
}

/// Confirms a held slot (409 `hold_expired` when its time ran out).
#[utoipa::path(post, path = "/v1/appointments/{id}/confirm", tag = "bookings",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Booking), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn confirm(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<Booking>> {
    let booked = book::confirm(&state.pool, &principal, id, state.clock.now()).await?;
    Ok(Json(booked.into()))
}

/// Cancels a booking until the centre's `cancel_before_minutes` before its slot (409
/// `too_late_to_cancel` after), or lets a hold go.
#[utoipa::path(post, path = "/v1/appointments/{id}/cancel", tag = "bookings",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Booking), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn cancel_appointment(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<Booking>> {
    let cancelled = cancel::cancel(&state.pool, &principal, id, state.clock.now()).await?;
    Ok(Json(cancelled.into()))
}

/// Checks a booking of today in at the kiosk (its QR code or the identity card), while the
/// hall is open: the ticket, due at the slot's start. 409 `appointment_missed` after the slot.
#[utoipa::path(post, path = "/v1/centres/{region_code}/check-in", tag = "bookings",
    params(("region_code" = String, Path)), request_body = CheckInForm,
    responses((status = 201, body = Issued), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn check_in_at_kiosk(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Json(form): Json<CheckInForm>,
) -> Result<(StatusCode, Json<Issued>)> {
    let region = region(&code)?;
    let issued = check_in::check_in(
        &state.pool,
        &state.persons,
        &region,
        form,
        state.clock.moment(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(issued)))
}
