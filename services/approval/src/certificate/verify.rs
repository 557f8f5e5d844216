//! Reading and verifying e-certificates: for their holder, the staff who see the case and the
//! window that hands the result out, and verified by anyone (a bank, another department) as presented.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::{Error, Principal};

use super::seal;
use super::sm2_seal::{self, SealSignature};
use crate::work_item::store;

/// An e-certificate as issued: the document and its seal's signature. Anyone holding both can
/// check them at `POST /v1/certificates/verify`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SealedCertificate {
    /// The structured document (id, identifier, type, holder, issuer, validity, the seal's
    /// key id and algorithm ...).
    #[schema(value_type = Object)]
    pub document: Value,
    /// The seal's signature over the document's canonical JSON (keys sorted, no whitespace),
    /// base64url: SM2 with SM3, DER (`document.seal.algorithm` = `SM2`); for certificates from
    /// before, Ed25519.
    pub signature: String,
    #[serde(default)]
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub revoke_reason: Option<String>,
    /// The seal signature's parts as GB/T 38540 names them (SM2 seals only), to verify it
    /// with other tools (`docs/verify-a-certificate.md`). Not needed to verify here.
    #[serde(default)]
    pub seal: Option<SealSignature>,
}

#[derive(sqlx::FromRow)]
pub struct CertificateRow {
    pub document: Value,
    pub signature: String,
    pub holder_account_id: Option<Uuid>,
    pub case_id: Uuid,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoke_reason: Option<String>,
    pub seal: Option<sqlx::types::Json<SealSignature>>,
}

impl CertificateRow {
    /// The certificate as issued, for whoever may read it.
    pub fn sealed(self) -> SealedCertificate {
        SealedCertificate {
            document: self.document,
            signature: self.signature,
            revoked_at: self.revoked_at,
            revoke_reason: self.revoke_reason,
            seal: self.seal.map(|s| s.0),
        }
    }
}

pub async fn certificate_row(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<CertificateRow>, sqlx::Error> {
    sqlx::query_as(
        "select document, signature, holder_account_id, case_id, revoked_at, revoke_reason, seal
         from certificates where id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A certificate, for its holder, the staff who see its case and the window that hands the
/// result out (the receiving region's clerks: for a transferred case another region's hall,
/// which sees no work item); 404 for everyone else.
pub async fn get(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
) -> Result<SealedCertificate, Error> {
    let mut conn = pool.acquire().await?;
    let not_found = || Error::NotFound(format!("certificate {id}"));
    let found = certificate_row(&mut conn, id)
        .await?
        .ok_or_else(not_found)?;
    let holder = found.holder_account_id == Some(principal.account);
    let staff = store::load(&mut conn, found.case_id, false)
        .await?
        .is_some_and(|row| row.visible_to(principal) || row.hands_out_to(principal));
    if !holder && !staff {
        return Err(not_found());
    }
    Ok(found.sealed())
}

/// What a verification found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// No certificate was issued under this id (or no department's seal has its key).
    Unknown,
    /// A certificate was issued under this id, but not this one: the document or the signature
    /// differs from what was issued, or the seal does not match.
    Altered,
    /// Exactly as issued, and revoked since.
    Revoked,
    /// Exactly as issued, sealed by the issuing department, not revoked.
    Valid,
}

/// The outcome of a verification.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Verification {
    pub status: Status,
    /// True only when `status` is `valid`.
    pub valid: bool,
    pub certificate_id: Option<Uuid>,
    pub issuer_credit_code: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why it is not valid.
    pub reason: Option<String>,
}

impl Verification {
    fn invalid(status: Status, id: Uuid, reason: &str) -> Self {
        Self {
            status,
            valid: false,
            certificate_id: Some(id),
            issuer_credit_code: None,
            revoked_at: None,
            reason: Some(reason.to_owned()),
        }
    }
}

/// Checks a presented certificate against the record of what was issued under its id (the
/// document and signature must be exactly those), then the seal named in it over its canonical
/// form, then revocation. A document changed and re-sealed with another key — even one read
/// out of the database — is `altered`, because it is not what was issued. Needs no account: a
/// bank or another department checks what an applicant shows them.
pub async fn verify(pool: &PgPool, presented: &SealedCertificate) -> Result<Verification, Error> {
    let id = presented.document["id"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| {
            Error::bad_request("document.id", "the certificate's id (a UUID) is required")
        })?;
    let mut conn = pool.acquire().await?;
    let Some(record) = certificate_row(&mut conn, id).await? else {
        return Ok(Verification::invalid(
            Status::Unknown,
            id,
            "no certificate was issued under this id",
        ));
    };
    if seal::canonical(&presented.document) != seal::canonical(&record.document)
        || presented.signature.trim() != record.signature
    {
        return Ok(Verification::invalid(
            Status::Altered,
            id,
            "this is not the certificate issued under this id: its document or signature differs",
        ));
    }
    let key_id = record.document["seal"]["key_id"]
        .as_str()
        .unwrap_or_default();
    let sm2 = record.document["seal"]["algorithm"] == sm2_seal::ALGORITHM;
    let keys = if sm2 {
        "select department_credit_code, public_key from department_sm2_seals where key_id = $1"
    } else {
        "select department_credit_code, public_key from department_seals where key_id = $1"
    };
    let seal: Option<(String, Vec<u8>)> = sqlx::query_as(keys)
        .bind(key_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some((issuer, public_key)) = seal else {
        return Ok(Verification::invalid(
            Status::Altered,
            id,
            "no department's seal has the key id it names",
        ));
    };
    let checked = if sm2 {
        sm2_seal::verify(&public_key, &presented.document, &presented.signature)
    } else {
        seal::verify(&public_key, &presented.document, &presented.signature)
    };
    if let Err(invalid) = checked {
        return Ok(Verification::invalid(Status::Altered, id, invalid.as_str()));
    }
    if let Some(revoked_at) = record.revoked_at {
        return Ok(Verification {
            status: Status::Revoked,
            valid: false,
            certificate_id: Some(id),
            issuer_credit_code: Some(issuer),
            revoked_at: Some(revoked_at),
            reason: Some(format!(
                "revoked: {}",
                record.revoke_reason.unwrap_or_default()
            )),
        });
    }
    Ok(Verification {
        status: Status::Valid,
        valid: true,
        certificate_id: Some(id),
        issuer_credit_code: Some(issuer),
        revoked_at: None,
        reason: None,
    })
}
