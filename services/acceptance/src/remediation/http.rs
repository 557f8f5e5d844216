//! The remediation of bad ratings (差评整改): `/v1/remediations` and
//! `/v1/remediation-policies`.

use axum::extract::State;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_duties::{Report, UsesQuery};
use tongban_kernel::{ErrorBody, Json, Path, Query, RegionCode, Result};

use crate::AppState;

use super::policy::{self, Policy};
use super::store::Remediation;
use super::view::{
    self as remediations, Extension, RemediationAction, RemediationFilter, RemediationStep, Review,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(remediations))
        .routes(routes!(remediation))
        .routes(routes!(act))
        .routes(routes!(review))
        .routes(routes!(extend))
        .routes(routes!(remediation_history))
        .routes(routes!(policies))
        .routes(routes!(set_policy))
        .routes(routes!(duty_exception_uses))
}

/// The remediations reviewed or extended under a service centre's separation-of-duties
/// exception, per centre and the latest ones, over the supervisor's regions.
#[utoipa::path(get, path = "/v1/duty-exceptions/uses", tag = "ratings", params(UsesQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Report), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn duty_exception_uses(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(query): Query<UsesQuery>,
) -> Result<Json<Report>> {
    Ok(Json(
        tongban_duties::report(&state.pool, &principal, &query).await?,
    ))
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
        super::act::act(&state.pool, &principal, id, &input, state.clock.now()).await?,
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
        super::review::review(&state.pool, &principal, id, &input, state.clock.now()).await?,
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
        super::extend::extend(&state.pool, &principal, id, &input, state.clock.now()).await?,
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
        policy::policies(&state.pool, &principal, &region).await?,
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
        policy::set_policy(
            &state.pool,
            &principal,
            &region,
            input.working_days,
            state.clock.now(),
        )
        .await?,
    ))
}
