//! The catalogue's HTTP API.

pub mod basic_items;
pub mod bundles;
pub mod calendar;
pub mod code_lists;
pub mod departments;
pub mod items;
pub mod regions;

use axum::Router;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa_axum::router::OpenApiRouter;

use tongban_kernel::{RegionCode, Result};

use crate::AppState;

#[derive(OpenApi)]
#[openapi(info(
    description = "Regions, departments, the basic catalogue, implementation items, \
    一件事 bundles and working-day calendars. Reading is public; changes need catalogue_admin \
    over the region concerned."
))]
struct ApiDoc;

/// The API router with its state, and the OpenAPI document generated from it.
pub fn app(state: AppState) -> (Router, OpenApiDoc) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/v1/departments", departments::router())
        .nest("/v1/regions", regions::router())
        .nest("/v1/code-lists", code_lists::router())
        .nest("/v1/basic-items", basic_items::router())
        .nest("/v1/items", items::router())
        .nest("/v1/bundles", bundles::router())
        .nest("/v1/calendar", calendar::router())
        .split_for_parts();
    (router.with_state(state), doc)
}

pub(crate) use tongban_kernel::parse_param as parse;

/// Parses a region code parameter and checks that it names a known division (400 for a
/// malformed code, 422 for an unknown one, both naming `field`).
pub(crate) async fn known_region(state: &AppState, field: &str, raw: &str) -> Result<RegionCode> {
    let region: RegionCode = parse(field, raw)?;
    crate::db::regions::require_known(&state.pool, &region, field).await?;
    Ok(region)
}

/// [`known_region`] for an optional filter.
pub(crate) async fn known_region_filter(
    state: &AppState,
    field: &str,
    raw: Option<&str>,
) -> Result<Option<RegionCode>> {
    match raw {
        Some(raw) => Ok(Some(known_region(state, field, raw).await?)),
        None => Ok(None),
    }
}

/// Why something is withdrawn: 1-500 characters.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    pub reason: String,
}

impl Withdrawal {
    pub(crate) fn reason(&self) -> Result<&str> {
        crate::domain::item::text("reason", &self.reason, 500)?;
        Ok(self.reason.trim())
    }
}

/// Which draft to publish.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Publication {
    pub version: i32,
}
