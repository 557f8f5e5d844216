//! The identity service's HTTP API.

pub mod accounts;
pub mod oauth;
pub mod wellknown;

use std::sync::Arc;

use axum::{Extension, Router};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use tongban_auth::Verifier;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(description = "Accounts (citizens, enterprises, staff, services), role bindings scoped to regions, and OAuth 2.0 tokens (EdDSA JWTs)."),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

pub fn app(state: AppState, verifier: Arc<Verifier>) -> (Router, OpenApiDoc) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/v1/oauth", oauth::router())
        .nest("/v1/accounts", accounts::router())
        .merge(wellknown::router())
        .split_for_parts();
    (router.with_state(state).layer(Extension(verifier)), doc)
}
