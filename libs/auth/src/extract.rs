//! Who is calling: axum extractors over the `Authorization: Bearer` header.
//!
//! The [`Verifier`] is found in the request extensions (add it with
//! `axum::Extension(Arc<Verifier>)` on the router), so any router state works.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use tongban_kernel::{Error, Principal};

use crate::jwt::TokenError;
use crate::verifier::Verifier;

/// The caller, authenticated. Missing or invalid tokens are 401.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

/// The caller if a token was given (public routes that show more to the signed in). A token
/// that is given but invalid is still a 401: a client should learn its token is bad.
#[derive(Debug, Clone)]
pub struct MaybeAuthenticated(pub Option<Principal>);

/// The bearer token of a request, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    bearer_in(&parts.headers)
}

/// The bearer token in `headers`, if any (the scheme's name in any case).
pub fn bearer_in(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

async fn principal(parts: &Parts, token: &str) -> Result<Principal, Error> {
    let verifier = parts
        .extensions
        .get::<Arc<Verifier>>()
        .ok_or_else(|| Error::internal("no token verifier on this router"))?;
    match verifier.verify(token).await {
        Ok(claims) if claims.pwd && !allowed_before_password_change(parts) => Err(Error::Denied {
            code: "password_change_required",
            message: "your password was set by an administrator: change it first \
                          (PUT /api/identity/v1/accounts/me/password), then refresh your sign-in"
                .into(),
        }),
        Ok(claims) => Ok(claims.principal()),
        Err(TokenError::KeysUnavailable(reason)) => Err(Error::Unavailable(reason)),
        Err(reason) => {
            tracing::info!(%reason, "token refused");
            Err(Error::Unauthorized)
        }
    }
}

/// What a token whose password must be changed may still do: read its own account and change
/// the password (signing out needs no access token).
fn allowed_before_password_change(parts: &Parts) -> bool {
    use axum::http::Method;
    // The path as the request came (a nested router sees only its own part of it).
    let path = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(parts.uri.path(), |original| original.0.path())
        .trim_end_matches('/');
    (parts.method == Method::GET && path.ends_with("/v1/accounts/me"))
        || (parts.method == Method::PUT && path.ends_with("/v1/accounts/me/password"))
}

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or(Error::Unauthorized)?.to_owned();
        Ok(Self(principal(parts, &token).await?))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for MaybeAuthenticated {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match bearer(parts).map(str::to_owned) {
            None => Ok(Self(None)),
            Some(token) => Ok(Self(Some(principal(parts, &token).await?))),
        }
    }
}
