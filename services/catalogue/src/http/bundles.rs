//! `/v1/bundles`: 一件事 bundles — a life event made of items of several departments, with one
//! combined material list.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::{Authenticated, MaybeAuthenticated};
use tongban_kernel::{ErrorBody, Json, Path, Query, RegionCode, Result};

use super::input::{Publication, Withdrawal, parse};
use crate::AppState;
use crate::actor::Actor;
use crate::db::bundles::{self as db, Bundle};
use crate::db::items::Which;
use crate::domain::bundle::BundleSpec;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get_one))
        .routes(routes!(save_draft))
        .routes(routes!(publish))
        .routes(routes!(withdraw))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBundle {
    /// The region whose halls offer the bundle.
    pub region_code: RegionCode,
    pub spec: BundleSpec,
}

/// Creates a bundle with its first draft. Needs `catalogue_admin` over the region.
#[utoipa::path(post, path = "", tag = "bundles", request_body = NewBundle, security(("bearer" = [])), responses(
    (status = 201, body = Bundle),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 422, description = "unknown region or item, or a broken rule", body = ErrorBody),
))]
async fn create(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Json(input): Json<NewBundle>,
) -> Result<(StatusCode, Json<Bundle>)> {
    let actor = Actor::Staff(&principal);
    let id = db::create(&state.pool, actor, &input.region_code, &input.spec).await?;
    Ok((
        StatusCode::CREATED,
        Json(db::get(&state.pool, actor, id, Which::Draft).await?),
    ))
}

/// Replaces the draft (or opens one).
#[utoipa::path(put, path = "/{id}/draft", tag = "bundles", request_body = BundleSpec, security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = Bundle),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
))]
async fn save_draft(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(spec): Json<BundleSpec>,
) -> Result<Json<Bundle>> {
    let actor = Actor::Staff(&principal);
    let version = db::save_draft(&state.pool, actor, id, &spec).await?;
    Ok(Json(
        db::get(&state.pool, actor, id, Which::Number(version)).await?,
    ))
}

/// Puts the draft in force, pinning the member items' versions in force and the combined
/// material list. Every member must be in force (422 naming it otherwise).
#[utoipa::path(post, path = "/{id}/publish", tag = "bundles", request_body = Publication, security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 200, body = Bundle),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
))]
async fn publish(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<Publication>,
) -> Result<Json<Bundle>> {
    let actor = Actor::Staff(&principal);
    let mut tx = state.pool.begin().await?;
    db::publish(&mut tx, actor, id, input.version).await?;
    tx.commit().await?;
    Ok(Json(db::get(&state.pool, actor, id, Which::Current).await?))
}

/// Takes the bundle out of service.
#[utoipa::path(post, path = "/{id}/withdraw", tag = "bundles", request_body = Withdrawal, security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses(
    (status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
))]
async fn withdraw(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<Withdrawal>,
) -> Result<StatusCode> {
    db::withdraw(&state.pool, Actor::Staff(&principal), id, input.reason()?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct VersionQuery {
    /// A version number, or `draft`; the version in force when absent.
    pub version: Option<String>,
}

/// One bundle with its members and combined material list.
#[utoipa::path(get, path = "/{id}", tag = "bundles", params(("id" = Uuid, Path), VersionQuery), responses(
    (status = 200, body = Bundle), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
))]
async fn get_one(
    State(state): State<AppState>,
    MaybeAuthenticated(principal): MaybeAuthenticated,
    Path(id): Path<Uuid>,
    Query(query): Query<VersionQuery>,
) -> Result<Json<Bundle>> {
    let which = match query.version.as_deref() {
        None => Which::Current,
        Some("draft") => Which::Draft,
        Some(n) => Which::Number(parse("version", n)?),
    };
    Ok(Json(
        db::get(&state.pool, Actor::of(principal.as_ref()), id, which).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Bundles offered in this region or a region above it.
    pub region_code: Option<String>,
    /// Keywords in the name or aliases.
    pub q: Option<String>,
    /// 1-100, default 20.
    pub limit: Option<i64>,
}

/// Bundles in force.
#[utoipa::path(get, path = "", tag = "bundles", params(ListQuery), responses(
    (status = 200, body = Vec<Bundle>), (status = 400, body = ErrorBody),
    (status = 422, description = "the region is not a known division", body = ErrorBody),
))]
async fn list(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<Bundle>>> {
    let region =
        super::input::known_region_filter(&state, "region_code", query.region_code.as_deref())
            .await?;
    let text = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    Ok(Json(
        db::list(
            &state.pool,
            region.as_ref(),
            text,
            tongban_kernel::page_limit(query.limit, 20, 100)?,
        )
        .await?,
    ))
}
