//! `/v1/centres/{region_code}`: a hall's set-up. Reading it is public (the kiosk, the board
//! and the booking page show it); changing it needs `hall_admin` over the region.

use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::{ErrorBody, Json, Path, RegionCode, Result, parse_param};

use crate::AppState;

use super::setup::{self, CentreForm, GroupForm, WindowForm};
use super::{Centre, Group, Window, store};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_centre, put_centre))
        .routes(routes!(add_group))
        .routes(routes!(change_group))
        .routes(routes!(add_window))
        .routes(routes!(change_window))
}

pub fn region(code: &str) -> Result<RegionCode> {
    parse_param::<RegionCode>("region_code", code)
}

/// The hall of a region: hours, rules, window groups and windows.
#[utoipa::path(get, path = "/v1/centres/{region_code}", tag = "centres",
    params(("region_code" = String, Path, description = "12-digit region code")),
    responses((status = 200, body = Centre), (status = 404, body = ErrorBody)))]
async fn get_centre(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<Centre>> {
    let region = region(&code)?;
    let mut conn = state.pool.acquire().await?;
    Ok(Json(store::get(&mut conn, region.as_str()).await?))
}

/// Sets up or changes the hall of a region (name, opening hours, booking and green-channel
/// rules). Needs `hall_admin` over the region.
#[utoipa::path(put, path = "/v1/centres/{region_code}", tag = "centres",
    params(("region_code" = String, Path)), request_body = CentreForm,
    responses((status = 200, body = Centre), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_centre(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(code): Path<String>,
    Json(form): Json<CentreForm>,
) -> Result<Json<Centre>> {
    let region = region(&code)?;
    let now = state.clock.moment();
    Ok(Json(
        setup::put_centre(&state.pool, &state.regions, &principal, &region, form, now).await?,
    ))
}

/// Adds a window group. Needs `hall_admin` over the region.
#[utoipa::path(post, path = "/v1/centres/{region_code}/groups", tag = "centres",
    params(("region_code" = String, Path)), request_body = GroupForm,
    responses((status = 201, body = Group), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn add_group(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(code): Path<String>,
    Json(form): Json<GroupForm>,
) -> Result<(StatusCode, Json<Group>)> {
    let region = region(&code)?;
    let group = setup::save_group(&state.pool, &principal, &region, None, form).await?;
    Ok((StatusCode::CREATED, Json(group)))
}

/// Changes a window group (its letter, name, items, slots; `active: false` stops it).
#[utoipa::path(put, path = "/v1/centres/{region_code}/groups/{id}", tag = "centres",
    params(("region_code" = String, Path), ("id" = Uuid, Path)), request_body = GroupForm,
    responses((status = 200, body = Group), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn change_group(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path((code, id)): Path<(String, Uuid)>,
    Json(form): Json<GroupForm>,
) -> Result<Json<Group>> {
    let region = region(&code)?;
    Ok(Json(
        setup::save_group(&state.pool, &principal, &region, Some(id), form).await?,
    ))
}

/// Adds a window to a group. Needs `hall_admin` over the region.
#[utoipa::path(post, path = "/v1/centres/{region_code}/windows", tag = "centres",
    params(("region_code" = String, Path)), request_body = WindowForm,
    responses((status = 201, body = Window), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn add_window(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(code): Path<String>,
    Json(form): Json<WindowForm>,
) -> Result<(StatusCode, Json<Window>)> {
    let region = region(&code)?;
    let window = setup::save_window(&state.pool, &principal, &region, None, form).await?;
    Ok((StatusCode::CREATED, Json(window)))
}

/// Changes a window (its name, its group; `active: false` closes it).
#[utoipa::path(put, path = "/v1/centres/{region_code}/windows/{id}", tag = "centres",
    params(("region_code" = String, Path), ("id" = Uuid, Path)), request_body = WindowForm,
    responses((status = 200, body = Window), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn change_window(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path((code, id)): Path<(String, Uuid)>,
    Json(form): Json<WindowForm>,
) -> Result<Json<Window>> {
    let region = region(&code)?;
    Ok(Json(
        setup::save_window(&state.pool, &principal, &region, Some(id), form).await?,
    ))
}
