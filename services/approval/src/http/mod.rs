//! The approval service's HTTP API.
//!
//! - [`crate::work_item::http`]: the queue, a work item, its history, and the actions on it.
//! - [`crate::certificate::http`]: e-certificates, their public verification, the seals' public keys.
//! - [`crate::clock::http`]: pause, resume, extend.
//! - [`statistics`]: on-time and overdue counts; the department directory.

pub mod statistics;

use axum::Router;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(info(
    description = "Work items, handling steps, time limits, decisions and e-certificates (后台分类审批)."
))]
struct ApiDoc;

pub fn app(state: AppState) -> (Router, OpenApiDoc) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::work_item::http::router())
        .merge(crate::clock::http::router())
        .merge(crate::certificate::http::router())
        .merge(statistics::router())
        .split_for_parts();
    (router.with_state(state), doc)
}
