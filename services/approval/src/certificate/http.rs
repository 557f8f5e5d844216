//! E-certificates: read by their holder, the staff in scope and the window that hands the
//! result out; verified by anyone; revoked by the issuing department.

use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::{ErrorBody, Json, Path, Result};

use super::keys::{self, PublicSeal};
use super::revoke;
use super::verify::{self, SealedCertificate, Verification};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_certificate))
        .routes(routes!(verify))
        .routes(routes!(revoke))
        .routes(routes!(seal))
        .merge(super::face::router())
        .merge(super::status::router())
        .merge(super::identifier::router())
}

/// An e-certificate (电子证照) with its seal's signature, naming its holder: for the holder,
/// the staff who see its case, and the window clerks of the region that took the case in
/// (they hand the result out).
#[utoipa::path(get, path = "/v1/certificates/{id}", tag = "certificates",
    params(("id" = String, Path, description = "the certificate's UUID or its GB/T 36904 identifier")),
    responses((status = 200, body = SealedCertificate), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn get_certificate(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<SealedCertificate>> {
    let id = super::identifier::resolve(&state.pool, &id).await?;
    Ok(Json(verify::get(&state.pool, &principal, id).await?))
}

/// Verifies a certificate as presented (public, no account needed): the issuing department's
/// seal over exactly this document, on record and not revoked. Any change to the document makes
/// it invalid; the answer says why.
#[utoipa::path(post, path = "/v1/certificates/verify", tag = "certificates",
    request_body = SealedCertificate,
    responses((status = 200, body = Verification), (status = 400, body = ErrorBody)))]
async fn verify(
    State(state): State<AppState>,
    Json(presented): Json<SealedCertificate>,
) -> Result<Json<Verification>> {
    Ok(Json(verify::verify(&state.pool, &presented).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// Why (吊销、注销), 1-1000 characters.
    pub reason: String,
}

/// Revokes a certificate: for the issuing department's approvers. Publishes
/// `CertificateRevoked`, so it no longer stands in for a material.
#[utoipa::path(post, path = "/v1/certificates/{id}/revoke", tag = "certificates",
    params(("id" = Uuid, Path)), request_body = Revocation,
    responses((status = 200, body = SealedCertificate), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn revoke(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(input): Json<Revocation>,
) -> Result<Json<SealedCertificate>> {
    Ok(Json(
        revoke::revoke(&state.pool, &principal, id, &input.reason, state.now()).await?,
    ))
}

/// A department's electronic seal: its SM2 public key (PEM), and the Ed25519 key of its
/// certificates from before, to verify them offline (public).
#[utoipa::path(get, path = "/v1/seals/{credit_code}", tag = "certificates",
    params(("credit_code" = String, Path, description = "the department's unified social credit code")),
    responses((status = 200, body = PublicSeal), (status = 404, body = ErrorBody)))]
async fn seal(
    State(state): State<AppState>,
    Path(credit_code): Path<String>,
) -> Result<Json<PublicSeal>> {
    Ok(Json(
        keys::public_seal(&state.pool, credit_code.trim()).await?,
    ))
}
