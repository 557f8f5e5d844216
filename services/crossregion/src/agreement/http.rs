//! `/v1/agreements`: 通办 agreements are public information (like the catalogue); proposing,
//! signing and terminating them is for catalogue administrators of the regions involved.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::{
    ErrorBody, ImplementationCode, Json, Path, Query, RegionCode, Result, parse_param,
};

use crate::AppState;

use super::propose::{NewAgreement, propose};
use super::sign::sign as sign_agreement;
use super::terminate::terminate as terminate_agreement;
use super::view::{self, Agreement};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, conclude))
        .routes(routes!(check))
        .routes(routes!(get_agreement))
        .routes(routes!(sign))
        .routes(routes!(terminate))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// 12-digit region code: agreements collecting in it (or above or below it) or handling
    /// in it.
    pub region_code: Option<String>,
    /// A 31-character implementation code.
    pub implementation_code: Option<String>,
    /// Only those in force on this ISO date.
    pub on: Option<NaiveDate>,
}

/// Agreements, newest first (at most 500).
#[utoipa::path(get, path = "/v1/agreements", tag = "agreements", params(ListQuery),
    responses((status = 200, body = Vec<Agreement>), (status = 400, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<Agreement>>> {
    let region = query
        .region_code
        .as_deref()
        .map(|r| parse_param::<RegionCode>("region_code", r))
        .transpose()?;
    let lineage = match &region {
        Some(region) => state.regions.lineage(region, "region_code").await?,
        None => Vec::new(),
    };
    let item = query
        .implementation_code
        .as_deref()
        .map(|c| parse_param::<ImplementationCode>("implementation_code", c))
        .transpose()?
        .map(|c| c.to_string());
    Ok(Json(
        view::list(
            &state.pool,
            region.as_ref().map(|r| (r, lineage.as_slice())),
            item.as_deref(),
            query.on,
        )
        .await?,
    ))
}

/// Proposes an agreement, signed at once for every region involved that the caller
/// administers (catalogue_admin). When that is every region (a province-wide administrator
/// within its province), it is concluded at once and applies from `effective_from`; otherwise
/// the other regions sign (`…/sign`). Publishes `AgreementConcluded` when concluded.
#[utoipa::path(post, path = "/v1/agreements", tag = "agreements", request_body = NewAgreement,
    responses((status = 201, body = Agreement), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn conclude(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Json(new): Json<NewAgreement>,
) -> Result<(StatusCode, Json<Agreement>)> {
    let agreement = propose(
        &state.pool,
        &state.regions,
        &principal,
        new,
        state.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(agreement)))
}

#[utoipa::path(get, path = "/v1/agreements/{id}", tag = "agreements",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Agreement), (status = 404, body = ErrorBody)))]
async fn get_agreement(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> Result<Json<Agreement>> {
    Ok(Json(view::get(&state.pool, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CheckQuery {
    /// The item applied for (31-character implementation code).
    pub implementation_code: String,
    /// Where the case would be received (12-digit region code).
    pub receiving_region: String,
    /// The ISO date; today when absent.
    pub on: Option<NaiveDate>,
}

/// Whether a case of the item may be collected in the receiving region.
#[derive(Debug, Serialize, ToSchema)]
pub struct Check {
    pub agreed: bool,
    /// The item is handled in the receiving region's own jurisdiction: no agreement is needed.
    pub local: bool,
    /// The agreements that allow it.
    pub agreements: Vec<Agreement>,
}

/// Whether an agreement in force lets a case of an item be collected in a region (or the
/// region is the item's own).
#[utoipa::path(get, path = "/v1/agreements/check", tag = "agreements", params(CheckQuery),
    responses((status = 200, body = Check), (status = 400, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn check(
    State(state): State<AppState>,
    Query(query): Query<CheckQuery>,
) -> Result<Json<Check>> {
    let item: ImplementationCode = parse_param("implementation_code", &query.implementation_code)?;
    let receiving: RegionCode = parse_param("receiving_region", &query.receiving_region)?;
    let lineage = state
        .regions
        .lineage(&receiving, "receiving_region")
        .await?;
    let on = query.on.unwrap_or_else(|| state.clock.today());
    let home = view::home_region(&state.pool, item.as_str()).await?;
    let local = home.is_some_and(|home| lineage.contains(&home));
    let agreements = view::covering(&state.pool, item.as_str(), &lineage, on).await?;
    Ok(Json(Check {
        agreed: local || !agreements.is_empty(),
        local,
        agreements,
    }))
}

/// Signs a proposed agreement for the regions involved that the caller administers; the last
/// signature concludes it (`AgreementConcluded`).
#[utoipa::path(post, path = "/v1/agreements/{id}/sign", tag = "agreements",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Agreement), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn sign(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<Agreement>> {
    Ok(Json(
        sign_agreement(&state.pool, &principal, id, state.clock.now()).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Termination {
    /// The last day it applies (inclusive); today when absent.
    pub effective_until: Option<NaiveDate>,
    /// Why, 1-1000 characters.
    pub reason: String,
}

/// Ends an agreement on a date. Publishes `AgreementTerminated`.
#[utoipa::path(post, path = "/v1/agreements/{id}/terminate", tag = "agreements",
    params(("id" = Uuid, Path)), request_body = Termination,
    responses((status = 200, body = Agreement), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn terminate(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<Termination>,
) -> Result<Json<Agreement>> {
    Ok(Json(
        terminate_agreement(
            &state.pool,
            &principal,
            id,
            input.effective_until,
            &input.reason,
            state.clock.moment(),
        )
        .await?,
    ))
}
