//! The identity service's HTTP API.

use axum::Router;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(info(
    description = "The identity service: accounts (citizens, enterprises, staff), credentials, real-name levels, staff roles bound to (region, department), tokens and JWKS."
))]
struct ApiDoc;

pub fn app(state: AppState) -> (Router, OpenApiDoc) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi()).split_for_parts();
    (router.with_state(state), doc)
}
