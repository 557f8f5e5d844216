//! Ratings (好差评): `/v1/visits` (a clerk records a window visit, with its rating code),
//! `/v1/ratings` (rating a visit or commenting in public, no account needed; lists for staff)
//! and `/v1/cases/{id}/rating` (the applicant rates a concluded case online).

use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::{Authenticated, MaybeAuthenticated};
use tongban_kernel::{ErrorBody, Json, Path, Query, Result};

use crate::AppState;

use super::view::{NewVisit, PublicComment, Rating, RatingFilter, RatingInput};
use super::visit::Visit;
use super::{
    comment as db_comment, list as db_list, open_visit as db_visit, rate_case as db_case,
    rate_visit as db_rate,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(open_visit))
        .routes(routes!(rate_visit))
        .routes(routes!(comment))
        .routes(routes!(list))
        .routes(routes!(rate_case, case_rating))
}

/// A window clerk records a visit (for a case it is counted on the case, as
/// `POST /v1/cases/{id}/visits`); the answer carries the rating code the window's rating
/// device or QR code rates it by.
#[utoipa::path(post, path = "/v1/visits", tag = "ratings", request_body = NewVisit,
    security(("bearer" = [])),
    responses((status = 201, body = Visit), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn open_visit(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Json(input): Json<NewVisit>,
) -> Result<(StatusCode, Json<Visit>)> {
    let visit = db_visit::open_visit(&state.pool, &principal, &input, state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(visit)))
}

/// Rates a window visit (一次一评) by its rating code, once; no account needed (a signed-in
/// applicant is named unless anonymous). Staff get 403; a second rating 409 `already_rated`.
/// A bad rating opens a remediation for the clerk.
#[utoipa::path(post, path = "/v1/ratings/visits/{code}", tag = "ratings",
    params(("code" = String, Path)), request_body = RatingInput,
    responses((status = 201, body = Rating), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn rate_visit(
    State(state): State<AppState>,
    MaybeAuthenticated(principal): MaybeAuthenticated,
    Path(code): Path<String>,
    Json(input): Json<RatingInput>,
) -> Result<(StatusCode, Json<Rating>)> {
    let rating = db_rate::rate_visit(
        &state.pool,
        principal.as_ref(),
        &code,
        &input,
        &state.settings,
        state.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(rating)))
}

/// A public comment on a hall (and an item), signed in or not; a bad one opens a remediation
/// for the hall's clerks.
#[utoipa::path(post, path = "/v1/ratings/comments", tag = "ratings", request_body = PublicComment,
    responses((status = 201, body = Rating), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn comment(
    State(state): State<AppState>,
    MaybeAuthenticated(principal): MaybeAuthenticated,
    Json(input): Json<PublicComment>,
) -> Result<(StatusCode, Json<Rating>)> {
    state
        .regions
        .require_known(&input.region_code, "region_code")
        .await?;
    let rating = db_comment::comment(
        &state.pool,
        principal.as_ref(),
        &input,
        &state.settings,
        state.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(rating)))
}

/// Ratings of a region's halls, newest first (staff who take in, handle or supervise cases
/// there; anonymous raters are not shown).
#[utoipa::path(get, path = "/v1/ratings", tag = "ratings", params(RatingFilter),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Rating>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(filter): Query<RatingFilter>,
) -> Result<Json<Vec<Rating>>> {
    Ok(Json(db_list::list(&state.pool, &principal, &filter).await?))
}

/// The applicant rates their concluded case online (一事一评), or changes the rating within
/// `acceptance.rating_change_hours` of the first (then 409 `rating_final`). 201 for a new
/// rating, 200 for a change. Staff get 403; a case not concluded yet 409 `not_concluded`.
#[utoipa::path(put, path = "/v1/cases/{id}/rating", tag = "ratings", params(("id" = Uuid, Path)),
    request_body = RatingInput, security(("bearer" = [])),
    responses((status = 201, body = Rating), (status = 200, body = Rating),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn rate_case(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<RatingInput>,
) -> Result<(StatusCode, Json<Rating>)> {
    let (rating, created) = db_case::rate_case(
        &state.pool,
        &principal,
        id,
        &input,
        &state.settings,
        state.clock.now(),
    )
    .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(rating)))
}

/// The case's online rating (its applicant, and the staff who see the case).
#[utoipa::path(get, path = "/v1/cases/{id}/rating", tag = "ratings", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Rating), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn case_rating(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<Rating>> {
    Ok(Json(
        db_list::case_rating(&state.pool, &principal, id).await?,
    ))
}
