//! The crossregion service's HTTP API.
//!
//! - `agreement::http`: 通办 agreements (通办事项清单), and whether one covers a case.
//! - `transfer::http`: cases handed over between regions, with their postal legs and deadlines.

use axum::Router;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(info(
    description = "The crossregion service: 通办 agreements between regions, transfers from the receiving to the handling region, material hand-over, postal legs and joint handling."
))]
struct ApiDoc;

pub fn app(state: AppState) -> (Router, OpenApiDoc) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::agreement::http::router())
        .merge(crate::transfer::http::router())
        .split_for_parts();
    (router.with_state(state), doc)
}
