//! E-certificates (电子证照): a structured document signed with the issuing department's
//! electronic seal (an Ed25519 key). What is signed is the document's canonical JSON: object
//! keys sorted, no insignificant whitespace. Any change to any field, or a signature made with
//! another key, fails verification.
//!
//! Each department's seal is made the first time it signs and kept in `department_seals`, its
//! private key sealed under the key-encryption key (`tongban_vault`); its public key is
//! published for verifying offline.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

use tongban_kernel::Error;
use tongban_vault::Vault;

/// The canonical bytes of a document: object keys sorted at every level, no whitespace, so
/// equal documents serialise equally whatever order their keys came in. (Sorted here rather
/// than relying on `serde_json::Map`, whose order depends on a feature any dependency may turn
/// on.)
pub fn canonical(document: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_canonical(document, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend(serde_json::to_vec(key).unwrap_or_default());
                out.push(b':');
                write_canonical(value, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => out.extend(serde_json::to_vec(scalar).unwrap_or_default()),
    }
}

/// A department's electronic seal.
pub struct Seal {
    pub key_id: String,
    pub key: SigningKey,
}

impl Seal {
    /// A new seal; its key id is derived from the public key.
    pub fn generate() -> Self {
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        Self {
            key_id: key_id(&key.verifying_key()),
            key,
        }
    }

    pub fn from_bytes(key_id: String, secret: &[u8]) -> Option<Self> {
        let bytes: [u8; 32] = secret.try_into().ok()?;
        Some(Self {
            key_id,
            key: SigningKey::from_bytes(&bytes),
        })
    }

    /// The base64url signature of `document`.
    pub fn sign(&self, document: &Value) -> String {
        URL_SAFE_NO_PAD.encode(self.key.sign(&canonical(document)).to_bytes())
    }
}

/// A short, stable name of a public key: the first 16 base64url characters of its bytes'
/// SHA-256.
pub fn key_id(public: &VerifyingKey) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(public.as_bytes());
    URL_SAFE_NO_PAD.encode(digest)[..16].to_owned()
}

/// Why a document does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    /// The signature is not base64url of 64 bytes.
    MalformedSignature,
    /// The public key is not a valid Ed25519 key.
    MalformedKey,
    /// The signature was not made over this document with this key: something changed.
    Mismatch,
}

impl Invalid {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedSignature => "the signature is malformed",
            Self::MalformedKey => "the seal's public key is malformed",
            Self::Mismatch => {
                "the signature does not match the document: it was changed or not sealed by this department"
            }
        }
    }
}

/// Checks `signature` over `document` with the seal's `public_key` bytes.
pub fn verify(public_key: &[u8], document: &Value, signature: &str) -> Result<(), Invalid> {
    let key: [u8; 32] = public_key.try_into().map_err(|_| Invalid::MalformedKey)?;
    let key = VerifyingKey::from_bytes(&key).map_err(|_| Invalid::MalformedKey)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(signature.trim())
        .map_err(|_| Invalid::MalformedSignature)?;
    let bytes: [u8; 64] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| Invalid::MalformedSignature)?;
    key.verify(&canonical(document), &Signature::from_bytes(&bytes))
        .map_err(|_| Invalid::Mismatch)
}

/// Where the departments' seal keys are kept, sealed under the KEK.
pub const SEALED: tongban_vault::store::Column = tongban_vault::store::Column {
    schema: "approval",
    table: "department_seals",
    key: "department_credit_code",
    column: "sealed_private_key",
};

fn opened(vault: &Vault, credit_code: &str, key_id: String, sealed: &[u8]) -> Result<Seal, Error> {
    let secret = vault
        .open(&SEALED.context(credit_code), sealed)
        .map_err(|e| Error::internal(format!("the seal of {credit_code}: {e}")))?;
    Seal::from_bytes(key_id, &secret).ok_or_else(|| Error::internal("a stored seal is malformed"))
}

/// The department's seal, made the first time it is needed (concurrent first uses agree on
/// one: the insert that loses finds the winner's). Its private key is stored sealed.
pub async fn stored(
    tx: &mut PgConnection,
    vault: &Vault,
    credit_code: &str,
    now: DateTime<Utc>,
) -> Result<Seal, Error> {
    let found: Option<(String, Vec<u8>)> = sqlx::query_as(
        "select key_id, sealed_private_key from department_seals
         where department_credit_code = $1 and sealed_private_key is not null",
    )
    .bind(credit_code)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((key_id, sealed)) = found {
        return opened(vault, credit_code, key_id, &sealed);
    }
    let fresh = Seal::generate();
    sqlx::query(
        "insert into department_seals (department_credit_code, key_id, sealed_private_key, public_key, created_at)
         values ($1, $2, $3, $4, $5) on conflict (department_credit_code) do nothing",
    )
    .bind(credit_code)
    .bind(&fresh.key_id)
    .bind(vault.seal(&SEALED.context(credit_code), &fresh.key.to_bytes()))
    .bind(fresh.key.verifying_key().to_bytes().to_vec())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let (key_id, sealed): (String, Vec<u8>) = sqlx::query_as(
        "select key_id, sealed_private_key from department_seals where department_credit_code = $1",
    )
    .bind(credit_code)
    .fetch_one(&mut *tx)
    .await?;
    opened(vault, credit_code, key_id, &sealed)
}

/// Seals the seal keys stored as they are (before keys were sealed) and forgets their plain
/// form. Run at start.
pub async fn seal_plaintext(pool: &PgPool, vault: &Vault) -> Result<u64, Error> {
    let plain = tongban_vault::store::Plain::Bytes("private_key");
    let sealed = tongban_vault::store::seal_plaintext(pool, vault, &SEALED, plain).await?;
    if sealed > 0 {
        tracing::info!(seals = sealed, "seal keys sealed under the KEK");
    }
    Ok(sealed)
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn licence() -> Value {
        json!({
            "id": "0193a4f2-0000-7000-8000-000000000001",
            "type": "营业执照",
            "holder": { "name": "李四", "document": "430903********0012" },
            "issuer": { "credit_code": "11430900MB0000001X", "name": "赫山区市场监督管理局" },
            "valid_from": "2026-11-27",
        })
    }

    #[test]
    fn a_sealed_document_verifies_and_any_change_does_not() {
        let seal = Seal::generate();
        let public = seal.key.verifying_key().to_bytes();
        let document = licence();
        let signature = seal.sign(&document);
        assert_eq!(verify(&public, &document, &signature), Ok(()));

        let mut changed = document.clone();
        changed["holder"]["name"] = json!("王五");
        assert_eq!(
            verify(&public, &changed, &signature),
            Err(Invalid::Mismatch)
        );
        let mut added = document.clone();
        added["valid_until"] = json!("2099-12-31");
        assert_eq!(verify(&public, &added, &signature), Err(Invalid::Mismatch));

        let other = Seal::generate();
        assert_eq!(
            verify(&other.key.verifying_key().to_bytes(), &document, &signature),
            Err(Invalid::Mismatch),
            "another department's seal"
        );
        assert_eq!(
            verify(&public, &document, "not-base64!"),
            Err(Invalid::MalformedSignature)
        );
    }

    #[test]
    fn key_order_does_not_change_the_canonical_form() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":2,"x":3}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":{"x":3,"y":2},"b":1}"#).unwrap();
        assert_eq!(canonical(&a), canonical(&b));
        assert_eq!(canonical(&a), br#"{"a":{"x":3,"y":2},"b":1}"#);
    }

    #[test]
    fn a_seal_survives_storage() {
        let seal = Seal::generate();
        let again = Seal::from_bytes(seal.key_id.clone(), &seal.key.to_bytes()).unwrap();
        assert_eq!(seal.sign(&licence()), again.sign(&licence()));
        assert_eq!(again.key_id, key_id(&again.key.verifying_key()));
    }
}
