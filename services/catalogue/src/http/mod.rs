//! The catalogue's HTTP API.

pub mod departments;
pub mod regions;

use axum::Router;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(info(description = "Regions, departments, service items and calendars."))]
struct ApiDoc;

/// The API router with its state, and the OpenAPI document generated from it.
pub fn app(state: AppState) -> (Router, OpenApiDoc) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/v1/departments", departments::router())
        .nest("/v1/regions", regions::router())
        .split_for_parts();
    (router.with_state(state), doc)
}
