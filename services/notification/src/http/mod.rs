//! The notification service's HTTP API.
//!
//! - [`inbox`]: each account's in-app messages.
//! - [`templates`]: the templates messages are rendered from, versioned, checked, previewed.
//! - [`webhooks`]: partner systems subscribed to events.
//! - [`receipts`]: the SMS gateway's delivery receipts.
//! - [`codes`]: one-time codes texted for identity.

pub mod codes;
pub mod inbox;
pub mod receipts;
pub mod templates;
pub mod webhooks;

use axum::Router;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

#[derive(OpenApi)]
#[openapi(info(
    description = "The notification service: templates, messages and channels (in-app inbox, SMS, e-mail, webhooks) with delivery attempts and receipts."
))]
struct ApiDoc;

pub fn app(state: AppState) -> (Router, OpenApiDoc) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(inbox::router())
        .merge(templates::router())
        .merge(webhooks::router())
        .merge(receipts::router())
        .merge(codes::router())
        .split_for_parts();
    (router.with_state(state), doc)
}
