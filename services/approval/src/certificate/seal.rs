//! E-certificates (电子证照): a structured document signed with the issuing department's
//! electronic seal. What is signed is the document's canonical JSON: object keys sorted, no
//! insignificant whitespace. Any change to any field, or a signature made with another key,
//! fails verification.
//!
//! Certificates are sealed with SM2 over SM3 ([`super::sm2_seal`]). Those issued before
//! national cryptography came in are sealed with an Ed25519 key ([`Seal`], kept here so they
//! keep verifying; no new certificate is sealed with it).
//!
//! Each department's seal is made the first time it signs, its private key sealed under the
//! key-encryption key (`tongban_vault`); its public keys are published for verifying offline.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde_json::Value;
use sqlx::PgPool;

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

/// A department's Ed25519 seal, from before SM2 (its certificates keep verifying).
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
    /// The public key is not a valid key of the seal's algorithm.
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

/// Where the departments' Ed25519 seal keys are kept, sealed under the KEK.
pub const SEALED: tongban_vault::store::Column = tongban_vault::store::Column {
    schema: "approval",
    table: "department_seals",
    key: "department_credit_code",
    column: "sealed_private_key",
};

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
