//! `/v1/items`: implementation items (实施清单事项) — drafts, publishing, withdrawal, versions,
//! keyword search, and bulk import/export of a region's list.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::{Authenticated, MaybeAuthenticated};
use tongban_kernel::{Error, ErrorBody, ImplementationCode, Json, Path, Query, RegionCode, Result};

use super::input::{Publication, Withdrawal, parse};
use crate::AppState;
use crate::actor::Actor;
use crate::db::code_lists;
use crate::db::items::{
    self as db, DraftSummary, ImportReport, Item, ItemSummary, Search, VersionInfo, Which,
};
use crate::domain::item::{ItemRow, ItemSpec};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, search))
        .routes(routes!(export))
        .routes(routes!(list_drafts))
        .routes(routes!(import))
        .routes(routes!(get_one))
        .routes(routes!(versions))
        .routes(routes!(save_draft))
        .routes(routes!(publish))
        .routes(routes!(withdraw))
}

/// Creates an item and its first draft from the basic item and the implementing department:
/// the 31-character code is built from the department's credit code, its level and the basic
/// code. Needs `catalogue_admin` over the department.
#[utoipa::path(post, path = "", tag = "items", request_body = ItemRow, security(("bearer" = [])), responses(
    (status = 201, description = "the item with its draft", body = Item),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 409, description = "the item exists", body = ErrorBody),
    (status = 422, description = "unknown basic item, department, code or region, or a broken rule", body = ErrorBody),
))]
#[tracing::instrument(skip_all, fields(basic = %row.basic_code))]
async fn create(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Json(row): Json<ItemRow>,
) -> Result<(StatusCode, Json<Item>)> {
    let lists = code_lists::load(&state.pool).await?;
    let actor = Actor::Staff(&principal);
    let mut tx = state.pool.begin().await?;
    let (code, version) = db::create(&mut tx, actor, &lists, row, false).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(db::get(&state.pool, actor, &code, Which::Number(version)).await?),
    ))
}

/// Replaces the item's draft, or opens one from this spec when there is none. A published
/// version never changes: edits always go to the draft.
#[utoipa::path(put, path = "/{code}/draft", tag = "items", request_body = ItemSpec, security(("bearer" = [])),
    params(("code" = String, Path, description = "31-character implementation code")), responses(
    (status = 200, body = Item),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
))]
async fn save_draft(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(raw): Path<String>,
    Json(spec): Json<ItemSpec>,
) -> Result<Json<Item>> {
    let code: ImplementationCode = parse("code", &raw)?;
    let lists = code_lists::load(&state.pool).await?;
    let actor = Actor::Staff(&principal);
    let version = db::save_draft(&state.pool, actor, &lists, &code, spec).await?;
    Ok(Json(
        db::get(&state.pool, actor, &code, Which::Number(version)).await?,
    ))
}

/// Puts the draft in force; the version it replaces is superseded. Publishes `ItemPublished`.
#[utoipa::path(post, path = "/{code}/publish", tag = "items", request_body = Publication, security(("bearer" = [])),
    params(("code" = String, Path)), responses(
    (status = 200, body = Item),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, description = "that version is not the draft", body = ErrorBody),
))]
async fn publish(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(raw): Path<String>,
    Json(input): Json<Publication>,
) -> Result<Json<Item>> {
    let code: ImplementationCode = parse("code", &raw)?;
    let lists = code_lists::load(&state.pool).await?;
    let actor = Actor::Staff(&principal);
    let mut tx = state.pool.begin().await?;
    db::publish(&mut tx, actor, &lists, &code, input.version).await?;
    tx.commit().await?;
    Ok(Json(
        db::get(&state.pool, actor, &code, Which::Current).await?,
    ))
}

/// Takes the item out of service (cases already accepted keep their version). Publishes
/// `ItemWithdrawn`.
#[utoipa::path(post, path = "/{code}/withdraw", tag = "items", request_body = Withdrawal, security(("bearer" = [])),
    params(("code" = String, Path)), responses(
    (status = 200, body = Vec<VersionInfo>),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, description = "nothing is in force", body = ErrorBody),
))]
async fn withdraw(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(raw): Path<String>,
    Json(input): Json<Withdrawal>,
) -> Result<Json<Vec<VersionInfo>>> {
    let code: ImplementationCode = parse("code", &raw)?;
    let actor = Actor::Staff(&principal);
    db::withdraw(&state.pool, actor, &code, input.reason()?).await?;
    Ok(Json(db::versions(&state.pool, actor, &code).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct VersionQuery {
    /// A version number, or `draft`; the version in force when absent.
    pub version: Option<String>,
}

/// One item: the version in force, a given version, or the draft (for its editors).
#[utoipa::path(get, path = "/{code}", tag = "items", params(("code" = String, Path), VersionQuery), responses(
    (status = 200, body = Item), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
))]
async fn get_one(
    State(state): State<AppState>,
    MaybeAuthenticated(principal): MaybeAuthenticated,
    Path(raw): Path<String>,
    Query(query): Query<VersionQuery>,
) -> Result<Json<Item>> {
    let code: ImplementationCode = parse("code", &raw)?;
    let which = match query.version.as_deref() {
        None => Which::Current,
        Some("draft") => Which::Draft,
        Some(n) => Which::Number(parse("version", n)?),
    };
    Ok(Json(
        db::get(&state.pool, Actor::of(principal.as_ref()), &code, which).await?,
    ))
}

/// The item's versions, newest first.
#[utoipa::path(get, path = "/{code}/versions", tag = "items", params(("code" = String, Path)), responses(
    (status = 200, body = Vec<VersionInfo>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
))]
async fn versions(
    State(state): State<AppState>,
    MaybeAuthenticated(principal): MaybeAuthenticated,
    Path(raw): Path<String>,
) -> Result<Json<Vec<VersionInfo>>> {
    let code: ImplementationCode = parse("code", &raw)?;
    Ok(Json(
        db::versions(&state.pool, Actor::of(principal.as_ref()), &code).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Keywords in the name, aliases or department (e.g. 营业执照, 出生), 1-50 characters.
    pub q: Option<String>,
    /// Only items a hall of this region may take in: its own and those of the regions above
    /// it (`own`), those elsewhere whose 通办 scope reaches it (`tongban_scope`), and those a
    /// 通办 agreement in force today lets it or a region above it collect (`agreement`, with
    /// the agreement's mode). Each result says which in `available_as`.
    pub region_code: Option<String>,
    pub department_id: Option<Uuid>,
    /// Only the item of this 31-character implementation code: with `region_code`, whether and
    /// how a hall there may take it in (an empty answer: it may not).
    pub code: Option<String>,
    /// 1-200, default 20.
    pub limit: Option<i64>,
}

/// Published items by keyword and region; with a region, each marked with how a hall there may
/// take it in (跨域通办).
#[utoipa::path(get, path = "", tag = "items", params(SearchQuery), responses(
    (status = 200, body = Vec<ItemSummary>), (status = 400, body = ErrorBody),
    (status = 422, description = "the region is not a known division", body = ErrorBody),
))]
async fn search(
    State(state): State<AppState>,
    Query(query): Query<SearchQuery>,
) -> Result<Json<Vec<ItemSummary>>> {
    let text = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if text.is_some_and(|t| t.chars().count() > 50) {
        return Err(Error::bad_request("q", "at most 50 characters"));
    }
    let region =
        super::input::known_region_filter(&state, "region_code", query.region_code.as_deref())
            .await?;
    let code = query.code.as_deref().map(str::trim);
    if let Some(code) = code {
        parse::<ImplementationCode>("code", code)?;
    }
    let search = Search {
        text,
        region: region.as_ref(),
        department: query.department_id,
        code,
        limit: tongban_kernel::page_limit(query.limit, 20, 200)?,
        today: state.clock.today(),
    };
    Ok(Json(db::search(&state.pool, &search).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DraftsQuery {
    /// 12-digit region code: drafts of items implemented there and below. Default: the widest
    /// region the caller keeps the catalogue of.
    pub region_code: Option<String>,
    /// 1-200, default 50.
    pub limit: Option<i64>,
}

/// The drafts awaiting publication in a region, newest first: for its catalogue
/// administrators (editing stays in the import and export files; publishing is one call).
#[utoipa::path(get, path = "/drafts", tag = "items", params(DraftsQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<DraftSummary>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_drafts(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(query): Query<DraftsQuery>,
) -> Result<Json<Vec<DraftSummary>>> {
    let region = match query.region_code.as_deref() {
        Some(raw) => parse::<RegionCode>("region_code", raw)?,
        None => principal
            .widest_region(tongban_kernel::Power::EditCatalogue)
            .ok_or_else(|| Error::Forbidden("drafts are for catalogue administrators".into()))?,
    };
    principal.require(tongban_kernel::Power::EditCatalogue, &region)?;
    let limit = tongban_kernel::page_limit(query.limit, 50, 200)?;
    Ok(Json(db::drafts(&state.pool, &region, limit).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportQuery {
    /// The region whose implementation list to export.
    pub region_code: String,
}

/// A region's implementation list: what `POST /v1/items/import` reads.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemList {
    pub region_code: RegionCode,
    /// Put the imported drafts in force as well.
    #[serde(default)]
    pub publish: bool,
    pub items: Vec<ItemRow>,
}

/// The items in force implemented in a region, in the import format.
#[utoipa::path(get, path = "/export", tag = "items", params(ExportQuery), responses(
    (status = 200, body = ItemList), (status = 400, body = ErrorBody),
    (status = 422, description = "the region is not a known division", body = ErrorBody),
))]
async fn export(
    State(state): State<AppState>,
    Query(query): Query<ExportQuery>,
) -> Result<Json<ItemList>> {
    let region = super::input::known_region(&state, "region_code", &query.region_code).await?;
    let items = db::export(&state.pool, &region).await?;
    Ok(Json(ItemList {
        region_code: region,
        publish: false,
        items,
    }))
}

/// Imports a region's implementation list as drafts (and puts them in force with `publish`).
/// All or nothing: when any row is refused, nothing is imported and the report lists every
/// refused row with the field and the reason (422). Needs `catalogue_admin` over the region.
/// For files larger than the request limit, use `tongban catalogue import-items`.
#[utoipa::path(post, path = "/import", tag = "items", request_body = ItemList, security(("bearer" = [])), responses(
    (status = 200, description = "everything imported", body = ImportReport),
    (status = 422, description = "nothing imported; the refused rows", body = ImportReport),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
))]
async fn import(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Json(list): Json<ItemList>,
) -> Result<Response> {
    let actor = Actor::Staff(&principal);
    actor.may_edit(&list.region_code, None)?;
    let report = db::import(
        &state.pool,
        actor,
        &list.region_code,
        list.items,
        list.publish,
        |_| {},
    )
    .await?;
    let status = if report.rejected.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(report)).into_response())
}
