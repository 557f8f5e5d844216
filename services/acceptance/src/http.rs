//! The acceptance service's HTTP API.

use axum::Router;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(info(
    description = "The acceptance service: the front office (前台综合受理): applications, materials, case numbers, pre-check and acceptance decisions, delivery of results and ratings."
))]
struct ApiDoc;

pub fn app(state: AppState) -> (Router, OpenApiDoc) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi()).split_for_parts();
    (router.with_state(state), doc)
}
