//! The hall service's HTTP API.
//!
//! - `centre::http`: a hall's set-up (public to read; hall_admin to change).
//! - `booking::http`: slots, bookings, and checking in at the kiosk.
//! - `queue::http`: tickets, the board, and the windows' calls.

use axum::Router;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(info(
    description = "The hall service: service centres' window groups and windows, appointments in slots, queue tickets, the calling order with its green channel, the windows' calls and the display board."
))]
struct ApiDoc;

pub fn app(state: AppState) -> (Router, OpenApiDoc) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::centre::http::router())
        .merge(crate::booking::http::router())
        .merge(crate::queue::http::router())
        .split_for_parts();
    (router.with_state(state), doc)
}
