//! The identity service's HTTP API.

pub mod accounts;
mod applicant;
pub mod duties;
mod input;
pub mod keys;
pub mod lifecycle;
pub mod oauth;
pub mod phone;
pub mod real_name;
pub mod staff;
pub mod wellknown;

use std::sync::Arc;

use axum::{Extension, Router};
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa_axum::router::OpenApiRouter;

use tongban_auth::Verifier;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(info(
    description = "Accounts (citizens, enterprises, staff, services), role bindings scoped to regions, and OAuth 2.0 tokens (EdDSA JWTs)."
))]
struct ApiDoc;

/// The API with its state; `verifier` checks tokens against identity's own key table.
pub fn app(state: AppState, verifier: Arc<Verifier>) -> (Router, OpenApiDoc) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/v1/oauth", oauth::router())
        .nest(
            "/v1/accounts",
            accounts::router()
                .merge(phone::router())
                .merge(lifecycle::router())
                .merge(real_name::router())
                .merge(applicant::router())
                .merge(staff::router()),
        )
        .nest("/v1/duty-exceptions", duties::router())
        .nest("/v1/keys", keys::router())
        .merge(wellknown::router())
        .split_for_parts();
    (router.with_state(state).layer(Extension(verifier)), doc)
}
