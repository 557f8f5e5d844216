//! The catalogue's HTTP API.

pub mod basic_items;
pub mod bundles;
pub mod calendar;
pub mod code_lists;
pub mod departments;
pub mod items;
pub mod regions;

mod input;

pub use input::{Publication, Withdrawal};

use axum::Router;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa_axum::router::OpenApiRouter;

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
