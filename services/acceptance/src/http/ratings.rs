//! Ratings (好差评): `/v1/visits` (a clerk records a window visit, with its rating code),
//! `/v1/ratings` (rating a visit or commenting in public, no account needed; lists and
//! statistics for staff), `/v1/cases/{id}/rating` (the applicant rates a concluded case online)
//! and `/v1/remediations` (bad ratings put right, 差评整改).

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::{Authenticated, MaybeAuthenticated};
use tongban_kernel::{ErrorBody, Json, Path, Query, RegionCode, Result};

use crate::AppState;
use crate::db::ratings::{
    self as db, NewVisit, PublicComment, Rating, RatingFilter, RatingInput, Visit,
};
use crate::db::remediations::{
    self, Extension, Policy, Remediation, RemediationAction, RemediationFilter, RemediationStep,
    Review,
};
use crate::db::satisfaction::{self, Satisfaction, StatisticsQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(open_visit))
        .routes(routes!(rate_visit))
        .routes(routes!(comment))
        .routes(routes!(list))
        .routes(routes!(statistics))
        .routes(routes!(rate_case, case_rating))
        .routes(routes!(remediations))
        .routes(routes!(remediation))
        .routes(routes!(act))
        .routes(routes!(review))
        .routes(routes!(extend))
        .routes(routes!(remediation_history))
        .routes(routes!(policies))
        .routes(routes!(set_policy))
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
    let visit = db::open_visit(&state.pool, &principal, &input, state.clock.now()).await?;
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
    let rating = db::rate_visit(
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
    let rating = db::comment(
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
    Ok(Json(db::list(&state.pool, &principal, &filter).await?))
}

/// Satisfaction per region, hall, department, item, clerk or month: ratings per level, rating
/// rate, bad-rating rate, remediation on-time rate. For supervisors over the region.
#[utoipa::path(get, path = "/v1/ratings/statistics", tag = "ratings", params(StatisticsQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Satisfaction), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn statistics(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(query): Query<StatisticsQuery>,
) -> Result<Json<Satisfaction>> {
    let today = state.clock.today();
    Ok(Json(
        satisfaction::statistics(&state.pool, &principal, &query, today).await?,
    ))
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
    let (rating, created) = db::rate_case(
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
    Ok(Json(db::case_rating(&state.pool, &principal, id).await?))
}

/// Remediations of a region (its staff), or without `region_code` the caller's own.
#[utoipa::path(get, path = "/v1/remediations", tag = "ratings", params(RemediationFilter),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Remediation>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn remediations(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(filter): Query<RemediationFilter>,
) -> Result<Json<Vec<Remediation>>> {
    Ok(Json(
        remediations::list_remediations(&state.pool, &principal, &filter).await?,
    ))
}

#[utoipa::path(get, path = "/v1/remediations/{id}", tag = "ratings", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Remediation), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn remediation(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<Remediation>> {
    Ok(Json(remediations::get(&state.pool, &principal, id).await?))
}

/// The assignee (whoever handled what was rated; the hall's clerks when nobody did) acts:
/// `start`, `callback` (with `reached` and a note; a real-name rating needs one before `fix`),
/// `fix` (整改完成, with what was done) or `request_review` (`kind` invalid or unfixable, with
/// the reason, for a supervisor to judge).
#[utoipa::path(post, path = "/v1/remediations/{id}/actions", tag = "ratings",
    params(("id" = Uuid, Path)), request_body = RemediationAction, security(("bearer" = [])),
    responses((status = 200, body = Remediation), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn act(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<RemediationAction>,
) -> Result<Json<Remediation>> {
    Ok(Json(
        remediations::act(&state.pool, &principal, id, &input, state.clock.now()).await?,
    ))
}

/// A supervisor over the region judges a review: upheld, the remediation ends as invalid
/// (无效差评) or unfixable (无法整改); not upheld, it goes on.
#[utoipa::path(post, path = "/v1/remediations/{id}/review", tag = "ratings",
    params(("id" = Uuid, Path)), request_body = Review, security(("bearer" = [])),
    responses((status = 200, body = Remediation), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn review(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<Review>,
) -> Result<Json<Remediation>> {
    Ok(Json(
        remediations::review(&state.pool, &principal, id, &input, state.clock.now()).await?,
    ))
}

/// A supervisor over the region extends the deadline, once (409 `already_extended`).
#[utoipa::path(post, path = "/v1/remediations/{id}/extension", tag = "ratings",
    params(("id" = Uuid, Path)), request_body = Extension, security(("bearer" = [])),
    responses((status = 200, body = Remediation), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn extend(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<Extension>,
) -> Result<Json<Remediation>> {
    Ok(Json(
        remediations::extend(&state.pool, &principal, id, &input, state.clock.now()).await?,
    ))
}

#[utoipa::path(get, path = "/v1/remediations/{id}/history", tag = "ratings",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<RemediationStep>), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn remediation_history(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<RemediationStep>>> {
    Ok(Json(
        remediations::history(&state.pool, &principal, id).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PolicyQuery {
    pub region_code: String,
}

/// The remediation deadlines set at and below a region.
#[utoipa::path(get, path = "/v1/remediation-policies", tag = "ratings", params(PolicyQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Policy>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn policies(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(query): Query<PolicyQuery>,
) -> Result<Json<Vec<Policy>>> {
    let region: RegionCode = tongban_kernel::parse_param("region_code", &query.region_code)?;
    Ok(Json(
        remediations::policies(&state.pool, &principal, &region).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    /// 1 to 60 working days.
    pub working_days: i32,
}

/// A supervisor over the region sets how many working days its remediations have (the regions
/// below follow unless they set their own; acceptance.remediation_working_days otherwise).
#[utoipa::path(put, path = "/v1/remediation-policies/{region_code}", tag = "ratings",
    params(("region_code" = String, Path)), request_body = PolicyInput, security(("bearer" = [])),
    responses((status = 200, body = Policy), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn set_policy(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(region_code): Path<String>,
    Json(input): Json<PolicyInput>,
) -> Result<Json<Policy>> {
    let region: RegionCode = tongban_kernel::parse_param("region_code", &region_code)?;
    Ok(Json(
        remediations::set_policy(
            &state.pool,
            &principal,
            &region,
            input.working_days,
            state.clock.now(),
        )
        .await?,
    ))
}
