//! The departments' public seal keys, for verifying their certificates offline
//! (`GET /v1/seals/{credit_code}`): the SM2 key that seals now and the Ed25519 key of the
//! certificates from before.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;

use tongban_kernel::Error;
use tongban_vault::sm2;

/// A department's public seal keys, for verifying its certificates offline: the SM2 key that
/// seals its certificates now, and the Ed25519 key of those from before, if it had one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicSeal {
    pub department_credit_code: String,
    /// Newest first.
    pub keys: Vec<PublicKey>,
}

/// One public seal key.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicKey {
    /// What a certificate's `seal.key_id` names.
    pub key_id: String,
    /// `SM2` or `Ed25519`.
    pub algorithm: String,
    /// SM2: `1.2.156.10197.1.501` (SM2 with SM3); Ed25519: `Ed25519`.
    pub signature_algorithm: String,
    /// SM2: `1234567812345678`, the signer's distinguishing identifier (GM/T 0009).
    pub distinguishing_id: Option<String>,
    /// SM2: the PEM SubjectPublicKeyInfo (what `openssl pkeyutl -verify -pubin` reads).
    pub public_key_pem: Option<String>,
    /// SM2: the SEC1 uncompressed point, hex (`04 ‖ X ‖ Y`, what `gmssl` reads without `04`);
    /// Ed25519: the 32-byte key, base64url.
    pub public_key: String,
    /// False for the Ed25519 key: it seals nothing new.
    pub current: bool,
    pub created_at: DateTime<Utc>,
}

pub async fn public_seal(pool: &PgPool, credit_code: &str) -> Result<PublicSeal, Error> {
    let mut keys = Vec::new();
    let sm2: Option<(String, Vec<u8>, DateTime<Utc>)> = sqlx::query_as(
        "select key_id, public_key, created_at from department_sm2_seals where department_credit_code = $1",
    )
    .bind(credit_code)
    .fetch_optional(pool)
    .await?;
    if let Some((key_id, public_key, created_at)) = sm2 {
        let pem = sm2::Sm2Public::from_sec1(&public_key).map(|key| key.to_pem());
        keys.push(PublicKey {
            key_id,
            algorithm: super::sm2_seal::ALGORITHM.into(),
            signature_algorithm: sm2::SM2_WITH_SM3.into(),
            distinguishing_id: Some(sm2::DISTINGUISHING_ID.into()),
            public_key_pem: pem,
            public_key: hex::encode(public_key),
            current: true,
            created_at,
        });
    }
    let ed25519: Option<(String, Vec<u8>, DateTime<Utc>)> = sqlx::query_as(
        "select key_id, public_key, created_at from department_seals where department_credit_code = $1",
    )
    .bind(credit_code)
    .fetch_optional(pool)
    .await?;
    if let Some((key_id, public_key, created_at)) = ed25519 {
        keys.push(PublicKey {
            key_id,
            algorithm: "Ed25519".into(),
            signature_algorithm: "Ed25519".into(),
            distinguishing_id: None,
            public_key_pem: None,
            public_key: URL_SAFE_NO_PAD.encode(public_key),
            current: false,
            created_at,
        });
    }
    if keys.is_empty() {
        return Err(Error::NotFound(format!("seal of department {credit_code}")));
    }
    Ok(PublicSeal {
        department_credit_code: credit_code.to_owned(),
        keys,
    })
}
