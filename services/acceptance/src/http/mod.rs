//! The acceptance service's HTTP API.

use axum::Router;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(info(
    description = "The front office (前台综合受理): applications, materials, case numbers, correction notices, acceptance decisions, receipts, and ratings (好差评) with the remediation of bad ones."
))]
struct ApiDoc;

pub fn app(state: AppState) -> (Router, OpenApiDoc) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(
            "/v1/cases",
            crate::case::http::router().merge(crate::documents::router()),
        )
        .nest("/v1/inbox", crate::case::hall::router())
        .merge(crate::rating::http::router())
        .merge(crate::remediation::http::router())
        .merge(crate::satisfaction::http::router())
        .split_for_parts();
    (router.with_state(state), doc)
}
