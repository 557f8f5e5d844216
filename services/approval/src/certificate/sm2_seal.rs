//! The departments' SM2 electronic seals (电子印章), with which certificates are sealed since
//! national cryptography came in: an SM2 signature over SM3 (GB/T 32918.2) with the default
//! distinguishing identifier, of the document's canonical JSON ([`super::seal::canonical`]).
//!
//! What a seal signature holds follows GB/T 38540-2020's seal signature (SES_Signature): the
//! hash of the signed data, the seal's and the signer's identity, the signer's public key, the
//! algorithm identifiers, the signature value and the signing time ([`SealSignature`]). The
//! signature is DER, so OpenSSL 3 and `gmssl` verify it as it stands
//! (`docs/verify-a-certificate.md`).
//!
//! Each department's key is made the first time it seals and kept in `department_sm2_seals`,
//! its private key sealed under the key-encryption key.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::PgConnection;
use utoipa::ToSchema;

use tongban_kernel::Error;
use tongban_vault::Vault;
use tongban_vault::sm2::{self, Sm2Key, Sm2Public};

use super::seal::{Invalid, canonical};

/// What a document's `seal.algorithm` says of an SM2 seal.
pub const ALGORITHM: &str = "SM2";

/// Where the departments' SM2 seal keys are kept, sealed under the KEK.
pub const SEALED: tongban_vault::store::Column = tongban_vault::store::Column {
    schema: "approval",
    table: "department_sm2_seals",
    key: "department_credit_code",
    column: "sealed_private_key",
};

/// A department's SM2 seal.
pub struct Sm2Seal {
    pub key_id: String,
    pub key: Sm2Key,
}

/// Who signs: the issuing department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Signer {
    pub credit_code: String,
    pub name: String,
}

/// A seal signature as GB/T 38540 names its parts: over what (the hash of the signed data), by
/// which seal and signer with which key, with which algorithms, the value and the time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SealSignature {
    /// What was signed: the certificate's document as canonical JSON (UTF-8, object keys
    /// sorted at every level, no whitespace).
    pub signed_data: String,
    /// SM3 of the signed data, hex (dataHash).
    pub data_hash: String,
    /// The seal's identifier (its key id, named in the document's `seal.key_id`).
    pub seal_id: String,
    pub signer: Signer,
    /// The signer's SM2 public key, PEM SubjectPublicKeyInfo.
    pub public_key_pem: String,
    /// SM2 with SM3, `1.2.156.10197.1.501`.
    pub signature_algorithm: String,
    /// SM3, `1.2.156.10197.1.401`.
    pub hash_algorithm: String,
    /// The signer's distinguishing identifier, `1234567812345678` (GM/T 0009).
    pub distinguishing_id: String,
    /// The signature value: DER `SEQUENCE { r, s }`, base64 (standard alphabet, padded).
    pub signature: String,
    pub signed_at: DateTime<Utc>,
}

/// What the document's `seal` says of the seal that signs it (signed with it).
pub fn named(key_id: &str) -> Value {
    json!({
        "key_id": key_id,
        "algorithm": ALGORITHM,
        "signature_algorithm": sm2::SM2_WITH_SM3,
        "distinguishing_id": sm2::DISTINGUISHING_ID,
    })
}

impl Sm2Seal {
    /// Seals `document`: the signature as certificates carry it (base64url of the DER) and the
    /// seal signature's record.
    pub fn sign(
        &self,
        document: &Value,
        signer: Signer,
        now: DateTime<Utc>,
    ) -> (String, SealSignature) {
        let data = canonical(document);
        let der = self.key.sign(&data);
        let record = SealSignature {
            data_hash: hex::encode(sm2::sm3(&data)),
            // canonical JSON is UTF-8 (serde_json writes nothing else)
            signed_data: String::from_utf8_lossy(&data).into_owned(),
            seal_id: self.key_id.clone(),
            signer,
            public_key_pem: self.key.public().to_pem(),
            signature_algorithm: sm2::SM2_WITH_SM3.into(),
            hash_algorithm: sm2::SM3.into(),
            distinguishing_id: sm2::DISTINGUISHING_ID.into(),
            signature: STANDARD.encode(&der),
            signed_at: now,
        };
        (URL_SAFE_NO_PAD.encode(der), record)
    }
}

/// Checks a certificate's `signature` (base64url of the DER) over `document` with the SEC1
/// `public_key`.
pub fn verify(public_key: &[u8], document: &Value, signature: &str) -> Result<(), Invalid> {
    let key = Sm2Public::from_sec1(public_key).ok_or(Invalid::MalformedKey)?;
    let der = URL_SAFE_NO_PAD
        .decode(signature.trim())
        .map_err(|_| Invalid::MalformedSignature)?;
    key.verify(&canonical(document), &der).map_err(|e| match e {
        sm2::BadSignature::Malformed => Invalid::MalformedSignature,
        sm2::BadSignature::Mismatch => Invalid::Mismatch,
    })
}

fn opened(
    vault: &Vault,
    credit_code: &str,
    key_id: String,
    sealed: &[u8],
) -> Result<Sm2Seal, Error> {
    let secret = vault
        .open(&SEALED.context(credit_code), sealed)
        .map_err(|e| Error::internal(format!("the SM2 seal of {credit_code}: {e}")))?;
    let key = Sm2Key::from_bytes(&secret)
        .ok_or_else(|| Error::internal("a stored SM2 seal is malformed"))?;
    Ok(Sm2Seal { key_id, key })
}

/// The department's SM2 seal, made the first time it is needed (concurrent first uses agree on
/// one: the insert that loses finds the winner's). Its private key is stored sealed.
pub async fn stored(
    tx: &mut PgConnection,
    vault: &Vault,
    credit_code: &str,
    now: DateTime<Utc>,
) -> Result<Sm2Seal, Error> {
    let select = "select key_id, sealed_private_key from department_sm2_seals
                  where department_credit_code = $1";
    let found: Option<(String, Vec<u8>)> = sqlx::query_as(select)
        .bind(credit_code)
        .fetch_optional(&mut *tx)
        .await?;
    if let Some((key_id, sealed)) = found {
        return opened(vault, credit_code, key_id, &sealed);
    }
    let fresh = Sm2Key::generate();
    let public = fresh.public();
    sqlx::query(
        "insert into department_sm2_seals (department_credit_code, key_id, public_key, sealed_private_key, created_at)
         values ($1, $2, $3, $4, $5) on conflict (department_credit_code) do nothing",
    )
    .bind(credit_code)
    .bind(public.key_id())
    .bind(public.to_sec1())
    .bind(vault.seal(&SEALED.context(credit_code), &fresh.to_bytes()))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let (key_id, sealed): (String, Vec<u8>) = sqlx::query_as(select)
        .bind(credit_code)
        .fetch_one(&mut *tx)
        .await?;
    opened(vault, credit_code, key_id, &sealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_document_verifies_and_its_record_names_what_was_signed() {
        let key = Sm2Key::generate();
        let public = key.public();
        let seal = Sm2Seal {
            key_id: public.key_id(),
            key,
        };
        let document = json!({ "id": "x", "type": "营业执照", "seal": named(&seal.key_id) });
        let signer = Signer {
            credit_code: "11430900MB0000001R".into(),
            name: "赫山区市场监督管理局".into(),
        };
        let at = "2026-12-06T08:00:00Z".parse().unwrap();
        let (signature, record) = seal.sign(&document, signer, at);
        assert_eq!(verify(&public.to_sec1(), &document, &signature), Ok(()));
        assert_eq!(record.signed_data.as_bytes(), canonical(&document));
        assert_eq!(
            record.data_hash,
            hex::encode(sm2::sm3(record.signed_data.as_bytes()))
        );
        assert_eq!(
            STANDARD.decode(&record.signature).unwrap(),
            URL_SAFE_NO_PAD.decode(&signature).unwrap()
        );
        assert_eq!(
            Sm2Public::from_pem(&record.public_key_pem),
            Some(public.clone())
        );

        let mut changed = document.clone();
        changed["type"] = json!("营业执照 ");
        assert_eq!(
            verify(&public.to_sec1(), &changed, &signature),
            Err(Invalid::Mismatch)
        );
        assert_eq!(
            verify(&public.to_sec1(), &document, "AAAA"),
            Err(Invalid::MalformedSignature)
        );
        assert_eq!(
            verify(&[4; 65], &document, &signature),
            Err(Invalid::MalformedKey)
        );
    }
}
