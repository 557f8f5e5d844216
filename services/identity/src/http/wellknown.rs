//! OpenID Connect discovery and the JWK set.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use tongban_auth::Jwks;
use tongban_kernel::Result;

use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(jwks))
        .routes(routes!(revocations))
        .routes(routes!(openid_configuration))
}

/// The public keys that verify access tokens: the active key and recently retired ones.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "discovery", responses((status = 200, body = Jwks)))]
async fn jwks(State(state): State<AppState>) -> Result<Response> {
    let jwks = crate::keys::jwks(&state.pool, state.jwks_grace_secs()).await?;
    let mut response = axum::Json(jwks).into_response();
    // Verifiers cache keys themselves; a short shared-cache lifetime keeps rotation prompt.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    Ok(response)
}

/// The accounts whose tokens issued before a moment are no longer accepted (a role revoked,
/// the account disabled, the password changed), for as long as such tokens could live. Every
/// token verifier fetches this within a minute. Not served through the gateway.
#[utoipa::path(get, path = "/.well-known/revocations.json", tag = "discovery",
    responses((status = 200, body = Vec<tongban_auth::verifier::Cutoff>)))]
async fn revocations(State(state): State<AppState>) -> Result<Response> {
    let cutoffs =
        crate::db::accounts::lifecycle::cutoffs(&state.pool, state.jwks_grace_secs()).await?;
    let mut response = axum::Json(cutoffs).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// OpenID Connect discovery (the parts that apply: token, revocation and keys endpoints).
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "discovery", responses((status = 200)))]
async fn openid_configuration(State(state): State<AppState>) -> impl IntoResponse {
    let issuer = state.identity.tokens.issuer.trim_end_matches('/');
    axum::Json(serde_json::json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/v1/oauth/token"),
        "revocation_endpoint": format!("{issuer}/v1/oauth/revoke"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "grant_types_supported": ["password", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [tongban_auth::jwt::ALGORITHM],
        "token_endpoint_auth_signing_alg_values_supported": [tongban_auth::jwt::ALGORITHM],
    }))
}
