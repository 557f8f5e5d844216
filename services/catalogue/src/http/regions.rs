//! `/v1/regions`: the administrative division tree (public, like the whole catalogue).

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use tongban_kernel::{Error, ErrorBody, Json, Path, Query, RegionCode, Result};

use crate::AppState;
use crate::db::regions::{self as db, Region};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(get_one))
        .routes(routes!(children))
        .routes(routes!(ancestors))
}

async fn existing(state: &AppState, raw: &str) -> Result<(RegionCode, Region)> {
    let code: RegionCode = tongban_kernel::parse_param("code", raw)?;
    let region = db::find(&state.pool, &code)
        .await?
        .ok_or_else(|| Error::NotFound(format!("region {code}")))?;
    Ok((code, region))
}

/// One region.
#[utoipa::path(get, path = "/{code}", tag = "regions", params(("code" = String, Path, description = "12-digit (or 6-digit) code")),
    responses((status = 200, body = Region), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_one(State(state): State<AppState>, Path(raw): Path<String>) -> Result<Json<Region>> {
    Ok(Json(existing(&state, &raw).await?.1))
}

/// The regions directly below one.
#[utoipa::path(get, path = "/{code}/children", tag = "regions", params(("code" = String, Path)),
    responses((status = 200, body = Vec<Region>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn children(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Vec<Region>>> {
    let (code, _) = existing(&state, &raw).await?;
    Ok(Json(db::children(&state.pool, &code).await?))
}

/// A region and everything above it, province first.
#[utoipa::path(get, path = "/{code}/ancestors", tag = "regions", params(("code" = String, Path)),
    responses((status = 200, body = Vec<Region>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn ancestors(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Vec<Region>>> {
    let (code, _) = existing(&state, &raw).await?;
    Ok(Json(db::lineage(&state.pool, &code).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Part of a region's name (1-20 characters).
    pub q: String,
    /// At most this many (1-100, default 20).
    pub limit: Option<i64>,
}

/// Regions by name.
#[utoipa::path(get, path = "", tag = "regions", params(SearchQuery),
    responses((status = 200, body = Vec<Region>), (status = 400, body = ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    Query(query): Query<SearchQuery>,
) -> Result<Json<Vec<Region>>> {
    let text = query.q.trim();
    if text.is_empty() || text.chars().count() > 20 {
        return Err(Error::bad_request("q", "must be 1 to 20 characters"));
    }
    let limit = tongban_kernel::page_limit(query.limit, 20, 100)?;
    Ok(Json(db::search(&state.pool, text, limit).await?))
}
