//! JSON Web Tokens signed with Ed25519 (RFC 7515 compact serialisation, RFC 8037 `EdDSA`).

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ed25519_dalek::{Signature, Signer, VerifyingKey};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use tongban_kernel::{AccountKind, Principal, RoleBinding};

/// The only algorithm issued or accepted.
pub const ALGORITHM: &str = "EdDSA";
/// Clock skew tolerated between the signer and a verifier, in seconds.
pub const LEEWAY_SECS: i64 = 30;

/// What an access token says about its subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The account id.
    pub sub: Uuid,
    pub iat: i64,
    pub exp: i64,
    /// Unique per token, for audit logs.
    pub jti: Uuid,
    pub kind: AccountKind,
    /// Real-name level 1-3.
    pub rnl: u8,
    #[serde(default)]
    pub roles: Vec<RoleBinding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The sign-in this token belongs to (its refresh-token family); none for a service's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
    /// The password was set by an administrator: until the holder changes it, only the
    /// password change, `GET /accounts/me` and signing out are allowed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pwd: bool,
}

impl Claims {
    pub fn principal(&self) -> Principal {
        Principal {
            account: self.sub,
            kind: self.kind,
            real_name_level: self.rnl,
            roles: self.roles.clone(),
            client_id: self.client_id.clone(),
            session: self.sid,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    kid: Option<String>,
}

/// Why a token was refused. Callers see only "invalid token"; the reason is for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is not a compact JWS")]
    Malformed,
    #[error("algorithm {0} is not accepted")]
    Algorithm(String),
    #[error("no key {0}")]
    UnknownKey(String),
    #[error("the signature does not verify")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is issued in the future")]
    NotYetValid,
    #[error("the token is for another issuer or audience")]
    WrongIssuer,
    #[error("the keys to verify it cannot be fetched: {0}")]
    KeysUnavailable(String),
    #[error("the account's sign-ins were ended after this token was issued")]
    Revoked,
}

/// A private signing key with its key id.
pub struct SigningKey {
    pub kid: String,
    key: ed25519_dalek::SigningKey,
}

impl SigningKey {
    pub fn generate() -> Self {
        let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        Self {
            kid: Uuid::now_v7().simple().to_string(),
            key,
        }
    }

    pub fn from_bytes(kid: impl Into<String>, secret: &[u8]) -> Option<Self> {
        let secret: [u8; 32] = secret.try_into().ok()?;
        Some(Self {
            kid: kid.into(),
            key: ed25519_dalek::SigningKey::from_bytes(&secret),
        })
    }

    /// The 32-byte secret, for storage. Handle like a password.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The 32-byte public key, for storage beside the sealed secret.
    pub fn public_bytes(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    pub fn jwk(&self) -> Jwk {
        Jwk::new(&self.kid, &self.key.verifying_key())
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let header = Header {
            alg: ALGORITHM.to_owned(),
            typ: Some("JWT".to_owned()),
            kid: Some(self.kid.clone()),
        };
        // Serialising these plain structs cannot fail.
        let header = B64.encode(serde_json::to_vec(&header).unwrap_or_default());
        let payload = B64.encode(serde_json::to_vec(claims).unwrap_or_default());
        let signing_input = format!("{header}.{payload}");
        let signature = self.key.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", B64.encode(signature.to_bytes()))
    }
}

/// An Ed25519 public key as a JSON Web Key (RFC 8037).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    /// The public key, base64url.
    pub x: String,
    pub kid: String,
    pub alg: String,
    #[serde(rename = "use")]
    pub use_: String,
}

impl Jwk {
    pub fn new(kid: &str, key: &VerifyingKey) -> Self {
        Self {
            kty: "OKP".to_owned(),
            crv: "Ed25519".to_owned(),
            x: B64.encode(key.as_bytes()),
            kid: kid.to_owned(),
            alg: ALGORITHM.to_owned(),
            use_: "sig".to_owned(),
        }
    }

    /// The JWK of a stored 32-byte Ed25519 public key (`None` when the bytes are no key).
    pub fn from_public(kid: &str, public: &[u8]) -> Option<Self> {
        let bytes: [u8; 32] = public.try_into().ok()?;
        Some(Self::new(kid, &VerifyingKey::from_bytes(&bytes).ok()?))
    }

    fn verifying_key(&self) -> Option<VerifyingKey> {
        if self.kty != "OKP" || self.crv != "Ed25519" {
            return None;
        }
        let bytes: [u8; 32] = B64.decode(&self.x).ok()?.try_into().ok()?;
        VerifyingKey::from_bytes(&bytes).ok()
    }
}

/// A JWK set, as `/.well-known/jwks.json` serves it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// Verifying keys by key id.
#[derive(Debug, Clone, Default)]
pub struct KeySet(HashMap<String, VerifyingKey>);

impl From<&Jwks> for KeySet {
    fn from(jwks: &Jwks) -> Self {
        Self(
            jwks.keys
                .iter()
                .filter_map(|k| Some((k.kid.clone(), k.verifying_key()?)))
                .collect(),
        )
    }
}

impl KeySet {
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Verifies `token` with `keys` and checks its issuer, audience and lifetime at `now` (Unix
/// seconds).
pub fn verify(
    token: &str,
    keys: &KeySet,
    issuer: &str,
    audience: &str,
    now: i64,
) -> Result<Claims, TokenError> {
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let header: Header =
        serde_json::from_slice(&B64.decode(header_b64).map_err(|_| TokenError::Malformed)?)
            .map_err(|_| TokenError::Malformed)?;
    if header.alg != ALGORITHM {
        return Err(TokenError::Algorithm(printable(&header.alg)));
    }
    let kid = header.kid.ok_or(TokenError::Malformed)?;
    let key = keys
        .0
        .get(&kid)
        .ok_or_else(|| TokenError::UnknownKey(printable(&kid)))?;
    let signature: [u8; 64] = B64
        .decode(signature)
        .map_err(|_| TokenError::Malformed)?
        .try_into()
        .map_err(|_| TokenError::Signature)?;
    let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];
    key.verify_strict(signing_input.as_bytes(), &Signature::from_bytes(&signature))
        .map_err(|_| TokenError::Signature)?;
    let claims: Claims =
        serde_json::from_slice(&B64.decode(payload_b64).map_err(|_| TokenError::Malformed)?)
            .map_err(|_| TokenError::Malformed)?;
    if claims.iss != issuer || claims.aud != audience {
        return Err(TokenError::WrongIssuer);
    }
    check_lifetime(&claims, now)?;
    Ok(claims)
}

/// Whether `claims` are within their lifetime at `now` (Unix seconds), with the leeway.
pub fn check_lifetime(claims: &Claims, now: i64) -> Result<(), TokenError> {
    if claims.exp + LEEWAY_SECS <= now {
        return Err(TokenError::Expired);
    }
    if claims.iat - LEEWAY_SECS > now {
        return Err(TokenError::NotYetValid);
    }
    Ok(())
}

/// A value from a token's header as an error (and so a log line) may carry it: at most 64
/// characters, control characters escaped. The header is the sender's text.
fn printable(value: &str) -> String {
    value
        .chars()
        .take(64)
        .flat_map(char::escape_debug)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongban_kernel::Role;

    const ISS: &str = "https://tongban.example/api/identity";
    const AUD: &str = "tongban";

    fn claims(now: i64) -> Claims {
        Claims {
            iss: ISS.to_owned(),
            aud: AUD.to_owned(),
            sub: Uuid::now_v7(),
            iat: now,
            exp: now + 900,
            jti: Uuid::now_v7(),
            kind: AccountKind::Staff,
            rnl: 3,
            roles: vec![RoleBinding {
                role: Role::WindowClerk,
                region: "430921000000".parse().unwrap(),
                department: None,
            }],
            client_id: None,
            sid: None,
            pwd: false,
        }
    }

    fn keyset(keys: &[&SigningKey]) -> KeySet {
        KeySet::from(&Jwks {
            keys: keys.iter().map(|k| k.jwk()).collect(),
        })
    }

    #[test]
    fn a_signed_token_verifies_and_round_trips_its_claims() {
        let key = SigningKey::generate();
        let claims = claims(1_000_000);
        let token = key.sign(&claims);
        assert_eq!(
            verify(&token, &keyset(&[&key]), ISS, AUD, 1_000_100),
            Ok(claims)
        );
    }

    #[test]
    fn a_tampered_payload_or_signature_is_refused() {
        let key = SigningKey::generate();
        let token = key.sign(&claims(1_000_000));
        let parts: Vec<&str> = token.split('.').collect();
        // Promote the clerk to the whole province in the payload, keep the signature.
        let mut forged = claims(1_000_000);
        forged.roles[0].region = "430000000000".parse().unwrap();
        let forged_payload = B64.encode(serde_json::to_vec(&forged).unwrap());
        let tampered = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(
            verify(&tampered, &keyset(&[&key]), ISS, AUD, 1_000_000),
            Err(TokenError::Signature)
        );
        let mut signature = B64.decode(parts[2]).unwrap();
        signature[0] ^= 1;
        let flipped = format!("{}.{}.{}", parts[0], parts[1], B64.encode(signature));
        assert_eq!(
            verify(&flipped, &keyset(&[&key]), ISS, AUD, 1_000_000),
            Err(TokenError::Signature)
        );
        let other = SigningKey {
            kid: key.kid.clone(),
            ..SigningKey::generate()
        };
        assert_eq!(
            verify(&token, &keyset(&[&other]), ISS, AUD, 1_000_000),
            Err(TokenError::Signature)
        );
    }

    #[test]
    fn other_algorithms_are_refused_whatever_the_signature() {
        let key = SigningKey::generate();
        let payload = B64.encode(serde_json::to_vec(&claims(1_000_000)).unwrap());
        for alg in ["none", "HS256", "RS256", "ES256", "eddsa"] {
            let header = B64.encode(format!(r#"{{"alg":"{alg}","kid":"{}"}}"#, key.kid));
            let token = format!("{header}.{payload}.");
            assert_eq!(
                verify(&token, &keyset(&[&key]), ISS, AUD, 1_000_000),
                Err(TokenError::Algorithm(alg.to_owned()))
            );
        }
    }

    #[test]
    fn lifetime_issuer_and_audience_are_checked() {
        let key = SigningKey::generate();
        let keys = keyset(&[&key]);
        let token = key.sign(&claims(1_000_000));
        assert_eq!(
            verify(&token, &keys, ISS, AUD, 1_000_900 + LEEWAY_SECS),
            Err(TokenError::Expired)
        );
        assert!(verify(&token, &keys, ISS, AUD, 1_000_899).is_ok());
        assert_eq!(
            verify(&token, &keys, ISS, AUD, 1_000_000 - LEEWAY_SECS - 1),
            Err(TokenError::NotYetValid)
        );
        assert_eq!(
            verify(&token, &keys, "https://elsewhere", AUD, 1_000_000),
            Err(TokenError::WrongIssuer)
        );
        assert_eq!(
            verify(&token, &keys, ISS, "another", 1_000_000),
            Err(TokenError::WrongIssuer)
        );
        assert_eq!(
            verify(&token, &KeySet::default(), ISS, AUD, 1_000_000),
            Err(TokenError::UnknownKey(key.kid.clone()))
        );
        assert_eq!(
            verify("a.b", &keys, ISS, AUD, 0),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn a_forged_header_reaches_errors_escaped_and_cut_short() {
        let key = SigningKey::generate();
        let forged = |header: &str| {
            let body = key.sign(&claims(1_000_000));
            let rest = body.split_once('.').unwrap().1;
            format!("{}.{rest}", B64.encode(header))
        };
        let kid = format!(
            "x\n2026-12-04T00:00:00Z  WARN forged line{}",
            "y".repeat(100)
        );
        let header = serde_json::json!({ "alg": "EdDSA", "kid": kid }).to_string();
        let Err(TokenError::UnknownKey(shown)) =
            verify(&forged(&header), &KeySet::default(), ISS, AUD, 1_000_000)
        else {
            panic!("an unknown key");
        };
        assert!(
            !shown.contains('\n') && shown.starts_with("x\\n2026"),
            "{shown}"
        );
        assert!(shown.chars().count() <= 64 + 1, "{shown}");
        let header = serde_json::json!({ "alg": "none\r\nWARN", "kid": "k" }).to_string();
        let Err(TokenError::Algorithm(shown)) =
            verify(&forged(&header), &KeySet::default(), ISS, AUD, 1_000_000)
        else {
            panic!("a refused algorithm");
        };
        assert_eq!(shown, "none\\r\\nWARN");
    }
}
