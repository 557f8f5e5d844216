//! The insight service's HTTP API.
//!
//! - [`statistics`]: `/v1/statistics` (by region, item, department, channel, status),
//!   `/v1/statistics/cross-region` (by region pair), `/v1/feed` (freshness, rebuilds).
//! - [`halls`]: `/v1/statistics/halls` (the halls' queues and bookings by centre, window
//!   group, window, day).
//! - [`dashboard`]: the supervisors' dashboard page at `/dashboard/`.

pub mod dashboard;
pub mod halls;
pub mod statistics;

use axum::Router;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

#[derive(OpenApi)]
#[openapi(info(
    description = "The insight service: the statistics the halls report upward (办件量, 按期办结率, 办理时长, 跑动次数, 跨域办件, 好评率) and the halls' queues and bookings (取号、叫号、预约), kept from the event streams and rolled up province → city → county → town, for supervisors in scope; and their dashboard at /dashboard/."
))]
struct ApiDoc;

pub fn app(state: AppState) -> (Router, OpenApiDoc) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(statistics::router())
        .merge(halls::router())
        .split_for_parts();
    (router.merge(dashboard::router()).with_state(state), doc)
}
