//! `/v1/basic-items`: the province's basic catalogue (基本目录).

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use tongban_auth::Authenticated;
use tongban_kernel::{BasicCode, Error, ErrorBody, Json, Path, Power, Query, RegionCode, Result};

use super::input::parse;
use crate::AppState;
use crate::db::{basic_items as db, code_lists};
use crate::domain::basic::BasicItem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get_one, replace))
}

/// Adds an item to a province's basic catalogue. Needs `catalogue_admin` over the province.
#[utoipa::path(post, path = "", tag = "basic-items", request_body = BasicItem, security(("bearer" = [])), responses(
    (status = 201, body = BasicItem),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 409, description = "the basic code exists", body = ErrorBody),
    (status = 422, description = "unknown province, main item or item type", body = ErrorBody),
))]
async fn create(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Json(item): Json<BasicItem>,
) -> Result<(StatusCode, Json<BasicItem>)> {
    principal.require(Power::EditCatalogue, &item.province_code)?;
    item.check(&code_lists::load(&state.pool).await?)?;
    Ok((
        StatusCode::CREATED,
        Json(db::save(&state.pool, &item, false).await?),
    ))
}

/// Replaces a basic item (everything but its code and province). Implementation items take the
/// change with their next published version; versions in force keep what they froze.
#[utoipa::path(put, path = "/{code}", tag = "basic-items", request_body = BasicItem, security(("bearer" = [])),
    params(("code" = String, Path)), responses(
    (status = 200, body = BasicItem),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
))]
async fn replace(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(raw): Path<String>,
    Json(item): Json<BasicItem>,
) -> Result<Json<BasicItem>> {
    let code: BasicCode = parse("code", &raw)?;
    if item.code != code {
        return Err(Error::unprocessable(
            "code",
            "the body's code must be the one in the path",
        ));
    }
    principal.require(Power::EditCatalogue, &item.province_code)?;
    item.check(&code_lists::load(&state.pool).await?)?;
    Ok(Json(db::save(&state.pool, &item, true).await?))
}

/// One basic item.
#[utoipa::path(get, path = "/{code}", tag = "basic-items", params(("code" = String, Path)),
    responses((status = 200, body = BasicItem), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_one(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<BasicItem>> {
    let code: BasicCode = parse("code", &raw)?;
    db::find(&state.pool, &code)
        .await?
        .map(Json)
        .ok_or_else(|| Error::NotFound(format!("basic item {code}")))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only this province's catalogue.
    pub province_code: Option<String>,
    /// Part of the name or an alias.
    pub q: Option<String>,
    /// 1-500, default 100.
    pub limit: Option<i64>,
}

/// Basic items, main items before their sub-items.
#[utoipa::path(get, path = "", tag = "basic-items", params(ListQuery),
    responses((status = 200, body = Vec<BasicItem>), (status = 400, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<BasicItem>>> {
    let province: Option<RegionCode> = query
        .province_code
        .as_deref()
        .map(|p| parse("province_code", p))
        .transpose()?;
    let limit = tongban_kernel::page_limit(query.limit, 100, 500)?;
    let text = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    Ok(Json(
        db::list(&state.pool, province.as_ref(), text, limit).await?,
    ))
}
