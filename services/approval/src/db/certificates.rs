//! Electronic seals and e-certificates (电子证照): issued at an approval, verifiable by anyone,
//! revocable by the issuing department.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::types::Json as Jsonb;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_bus::outbox::{self, Subject};
use tongban_events::approval::v1 as events;
use tongban_kernel::{Error, Power, Principal};

use crate::domain::certificate::{self, Seal};
use crate::work_item::store::{self, Now, Row};

#[derive(Debug, Clone, Deserialize)]
struct ResultSpec {
    name: String,
    kind: String,
    #[serde(default)]
    e_certificate: bool,
}

/// The department's seal, made the first time it is needed (concurrent first uses agree on
/// one: the insert that loses finds the winner's).
async fn seal(tx: &mut PgConnection, credit_code: &str, now: DateTime<Utc>) -> Result<Seal, Error> {
    let fresh = Seal::generate();
    sqlx::query(
        "insert into department_seals (department_credit_code, key_id, private_key, public_key, created_at)
         values ($1, $2, $3, $4, $5) on conflict (department_credit_code) do nothing",
    )
    .bind(credit_code)
    .bind(&fresh.key_id)
    .bind(fresh.key.to_bytes().to_vec())
    .bind(fresh.key.verifying_key().to_bytes().to_vec())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let (key_id, secret): (String, Vec<u8>) = sqlx::query_as(
        "select key_id, private_key from department_seals where department_credit_code = $1",
    )
    .bind(credit_code)
    .fetch_one(&mut *tx)
    .await?;
    Seal::from_bytes(key_id, &secret).ok_or_else(|| Error::internal("a stored seal is malformed"))
}

/// Issues the results of an approved case: each result named by the item; licences and
/// certificates marked as e-certificates are sealed by the department and announced.
pub async fn issue_results(
    tx: &mut PgConnection,
    row: &Row,
    valid_until: Option<NaiveDate>,
    now: Now,
) -> Result<Vec<events::IssuedResult>, Error> {
    let specs: Option<Jsonb<Vec<ResultSpec>>> = sqlx::query_scalar(
        "select results from item_versions where implementation_code = $1 and version = $2",
    )
    .bind(&row.implementation_code)
    .bind(row.item_version)
    .fetch_optional(&mut *tx)
    .await?;
    let issuer = row.department_credit_code.clone().unwrap_or_default();
    let issuer_name: Option<String> =
        sqlx::query_scalar("select name from department_directory where credit_code = $1 limit 1")
            .bind(&issuer)
            .fetch_optional(&mut *tx)
            .await?;
    let mut issued = Vec::new();
    for spec in specs.map(|s| s.0).unwrap_or_default() {
        let sealed = spec.e_certificate && matches!(spec.kind.as_str(), "licence" | "certificate");
        if !sealed {
            issued.push(events::IssuedResult {
                name: spec.name,
                certificate_id: String::new(),
            });
            continue;
        }
        let seal = seal(tx, &issuer, now.at).await?;
        let id = Uuid::now_v7();
        let document = json!({
            "id": id,
            "type": spec.name,
            "kind": spec.kind,
            "holder": {
                "account_id": row.applicant_id,
                "kind": row.applicant_kind,
                "document_masked": row.applicant_document_masked,
            },
            "issuer": {
                "credit_code": issuer,
                "name": issuer_name.clone().unwrap_or_default(),
                "region_code": row.handling_region,
            },
            "case_number": row.case_number,
            "implementation_code": row.implementation_code,
            "item_name": row.item_name,
            "valid_from": now.today,
            "valid_until": valid_until,
            "issued_at": now.at,
            "seal": { "key_id": seal.key_id, "algorithm": "Ed25519" },
        });
        let signature = seal.sign(&document);
        sqlx::query(
            "insert into certificates (id, case_id, certificate_type, holder_account_id,
                 issuer_credit_code, document, signature, key_id, issued_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(row.case_id)
        .bind(&spec.name)
        .bind(row.applicant_id)
        .bind(&issuer)
        .bind(&document)
        .bind(&signature)
        .bind(&seal.key_id)
        .bind(now.at)
        .execute(&mut *tx)
        .await?;
        let key = id.to_string();
        outbox::enqueue(
            tx,
            &Subject {
                key: &key,
                subject: Some(&row.case_number),
                regions: vec![row.handling_region.clone()],
            },
            &events::CertificateIssued {
                certificate_id: key.clone(),
                certificate_type: spec.name.clone(),
                holder_account_id: row.applicant_id.map(|a| a.to_string()).unwrap_or_default(),
                holder_document_masked: row.applicant_document_masked.clone(),
                issuer_credit_code: issuer.clone(),
                case_number: row.case_number.clone(),
                valid_from: now.today.to_string(),
                valid_until: valid_until.map(|d| d.to_string()).unwrap_or_default(),
                issued_at: Some(tongban_events::timestamp(now.at)),
            },
        )
        .await?;
        issued.push(events::IssuedResult {
            name: spec.name,
            certificate_id: key,
        });
    }
    Ok(issued)
}

/// An e-certificate as issued: the document and its seal's signature. Anyone holding both can
/// check them at `POST /v1/certificates/verify`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SealedCertificate {
    /// The structured document (id, type, holder, issuer, validity, seal key id ...).
    #[schema(value_type = Object)]
    pub document: Value,
    /// Ed25519 signature over the document's canonical JSON (keys sorted, no whitespace),
    /// base64url.
    pub signature: String,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoke_reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct CertificateRow {
    document: Value,
    signature: String,
    holder_account_id: Option<Uuid>,
    case_id: Uuid,
    revoked_at: Option<DateTime<Utc>>,
    revoke_reason: Option<String>,
}

async fn certificate_row(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<CertificateRow>, sqlx::Error> {
    sqlx::query_as(
        "select document, signature, holder_account_id, case_id, revoked_at, revoke_reason
         from certificates where id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A certificate, for its holder and the staff who see its case.
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
        .is_some_and(|row| row.visible_to(principal));
    if !holder && !staff {
        return Err(not_found());
    }
    Ok(SealedCertificate {
        document: found.document,
        signature: found.signature,
        revoked_at: found.revoked_at,
        revoke_reason: found.revoke_reason,
    })
}

/// The outcome of a verification.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Verification {
    /// True only when the signature is the issuing department's over exactly this document,
    /// the certificate is on record and it is not revoked.
    pub valid: bool,
    pub certificate_id: Option<Uuid>,
    pub issuer_credit_code: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why it is not valid.
    pub reason: Option<String>,
}

impl Verification {
    fn invalid(id: Option<Uuid>, reason: &str) -> Self {
        Self {
            valid: false,
            certificate_id: id,
            issuer_credit_code: None,
            revoked_at: None,
            reason: Some(reason.to_owned()),
        }
    }
}

/// Checks a presented certificate: the seal named in it, the signature over its canonical
/// form, and the record (issued here, not revoked). Needs no account: a bank or another
/// department checks what an applicant shows them.
pub async fn verify(pool: &PgPool, presented: &SealedCertificate) -> Result<Verification, Error> {
    let id = presented.document["id"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| {
            Error::bad_request("document.id", "the certificate's id (a UUID) is required")
        })?;
    let key_id = presented.document["seal"]["key_id"]
        .as_str()
        .ok_or_else(|| {
            Error::bad_request("document.seal.key_id", "the seal's key id is required")
        })?;
    let mut conn = pool.acquire().await?;
    let seal: Option<(String, Vec<u8>)> = sqlx::query_as(
        "select department_credit_code, public_key from department_seals where key_id = $1",
    )
    .bind(key_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((issuer, public_key)) = seal else {
        return Ok(Verification::invalid(
            Some(id),
            "no department's seal has this key id",
        ));
    };
    if let Err(invalid) =
        certificate::verify(&public_key, &presented.document, &presented.signature)
    {
        return Ok(Verification::invalid(Some(id), invalid.as_str()));
    }
    let Some(record) = certificate_row(&mut conn, id).await? else {
        return Ok(Verification::invalid(
            Some(id),
            "no such certificate was issued",
        ));
    };
    if let Some(revoked_at) = record.revoked_at {
        return Ok(Verification {
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
        valid: true,
        certificate_id: Some(id),
        issuer_credit_code: Some(issuer),
        revoked_at: None,
        reason: None,
    })
}

/// A department's public seal key, for verifying its certificates offline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicSeal {
    pub department_credit_code: String,
    pub key_id: String,
    pub algorithm: String,
    /// The 32-byte Ed25519 public key, base64url.
    pub public_key: String,
    pub created_at: DateTime<Utc>,
}

pub async fn public_seal(pool: &PgPool, credit_code: &str) -> Result<PublicSeal, Error> {
    let found: Option<(String, Vec<u8>, DateTime<Utc>)> = sqlx::query_as(
        "select key_id, public_key, created_at from department_seals where department_credit_code = $1",
    )
    .bind(credit_code)
    .fetch_optional(pool)
    .await?;
    let (key_id, public_key, created_at) =
        found.ok_or_else(|| Error::NotFound(format!("seal of department {credit_code}")))?;
    Ok(PublicSeal {
        department_credit_code: credit_code.to_owned(),
        key_id,
        algorithm: "Ed25519".into(),
        public_key: URL_SAFE_NO_PAD.encode(public_key),
        created_at,
    })
}

/// Revokes a certificate (吊销、注销): for the issuing department's approvers. It then stands
/// in for no material and verifies as revoked.
pub async fn revoke(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    reason: &str,
    now: Now,
) -> Result<SealedCertificate, Error> {
    let reason = crate::domain::written("reason", Some(reason), 1000)?;
    let mut tx = pool.begin().await?;
    let not_found = || Error::NotFound(format!("certificate {id}"));
    let found = certificate_row(&mut tx, id).await?.ok_or_else(not_found)?;
    let row = store::load(&mut tx, found.case_id, false)
        .await?
        .ok_or_else(not_found)?;
    if !row.visible_to(principal) {
        return Err(not_found());
    }
    if !row.within(principal, Power::HandleCases) {
        return Err(Error::Forbidden(
            "certificates are revoked by the issuing department's approvers".into(),
        ));
    }
    let revoked = sqlx::query(
        "update certificates set revoked_at = $2, revoke_reason = $3 where id = $1 and revoked_at is null",
    )
    .bind(id)
    .bind(now.at)
    .bind(&reason)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if revoked == 0 {
        return Err(Error::Conflict {
            code: "already_revoked",
            message: format!("certificate {id} is already revoked"),
        });
    }
    let key = id.to_string();
    outbox::enqueue(
        &mut tx,
        &Subject {
            key: &key,
            subject: Some(&row.case_number),
            regions: vec![row.handling_region.clone()],
        },
        &events::CertificateRevoked {
            certificate_id: key.clone(),
            reason: reason.clone(),
            revoked_at: Some(tongban_events::timestamp(now.at)),
        },
    )
    .await?;
    store::record(
        &mut tx,
        row.case_id,
        now.at,
        Some(principal.account),
        "certificate_revoked",
        None,
        json!({ "certificate_id": id, "reason": reason }),
    )
    .await?;
    tx.commit().await?;
    Ok(SealedCertificate {
        document: found.document,
        signature: found.signature,
        revoked_at: Some(now.at),
        revoke_reason: Some(reason),
    })
}
