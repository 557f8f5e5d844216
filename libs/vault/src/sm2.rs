//! SM2 signatures over SM3 (GB/T 32918.2, GB/T 32905), as government documents are signed: the
//! departments' electronic seals on e-certificates and the platform's signature on the audit
//! chain heads.
//!
//! - The signer's distinguishing identifier is the default of GM/T 0009,
//!   [`DISTINGUISHING_ID`]; it enters the hash (`Z`), so a verifier must use the same one
//!   (OpenSSL: `-pkeyopt distid:1234567812345678`; OpenSSL's own default is empty).
//! - Signatures travel as DER, `SEQUENCE { r INTEGER, s INTEGER }` (GB/T 35276), which OpenSSL
//!   and `gmssl` (with `asn1=True`) read; public keys as SEC1 uncompressed points (`04 ‖ X ‖ Y`)
//!   and as PEM SubjectPublicKeyInfo (id-ecPublicKey with the SM2 curve, `1.2.156.10197.1.301`).
//! - The signing is RustCrypto's `sm2` crate (deterministic nonces after RFC 6979 with SM3).

use ::sm2::dsa::signature::{Signer as _, Verifier as _};
use ::sm2::pkcs8::DecodePublicKey as _;
use base64::Engine as _;
use zeroize::Zeroizing;

/// The default distinguishing identifier of GM/T 0009-2012 (`ID_A`), ASCII.
pub const DISTINGUISHING_ID: &str = "1234567812345678";
/// The object identifier of SM2 signing with SM3 (GM/T 0006).
pub const SM2_WITH_SM3: &str = "1.2.156.10197.1.501";
/// The object identifier of SM3.
pub const SM3: &str = "1.2.156.10197.1.401";
/// The object identifier of the SM2 curve.
pub const SM2_CURVE: &str = "1.2.156.10197.1.301";

/// The SM3 digest of `data`.
pub fn sm3(data: &[u8]) -> [u8; 32] {
    use sm3::Digest as _;
    sm3::Sm3::digest(data).into()
}

/// An SM2 private key, signing with [`DISTINGUISHING_ID`].
pub struct Sm2Key {
    key: ::sm2::dsa::SigningKey,
}

impl Sm2Key {
    /// A new random key.
    pub fn generate() -> Self {
        loop {
            let secret = ::sm2::SecretKey::random(&mut rand::rngs::OsRng);
            // A random scalar is a key (and the identifier fits); the loop only satisfies the
            // types.
            if let Some(key) = Self::from_bytes(&secret.to_bytes()) {
                return key;
            }
        }
    }

    /// The key of a stored 32-byte secret scalar (`None` when it is no key).
    pub fn from_bytes(secret: &[u8]) -> Option<Self> {
        let key = ::sm2::dsa::SigningKey::from_slice(DISTINGUISHING_ID, secret).ok()?;
        Some(Self { key })
    }

    /// The 32-byte secret scalar, for sealing.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.key.to_bytes().to_vec())
    }

    pub fn public(&self) -> Sm2Public {
        Sm2Public(self.key.verifying_key().into())
    }

    /// The DER signature of `data` (SM3 over `Z ‖ data`, as GB/T 32918.2 signs a message).
    pub fn sign(&self, data: &[u8]) -> Vec<u8> {
        let signature: ::sm2::dsa::Signature = self.key.sign(data);
        der(&signature.r_bytes(), &signature.s_bytes())
    }
}

/// An SM2 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sm2Public(::sm2::PublicKey);

/// Why a signature does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadSignature {
    #[error("the signature is not DER of two integers (r, s) below the curve's order")]
    Malformed,
    #[error("the signature was not made over these bytes with this key")]
    Mismatch,
}

impl Sm2Public {
    /// The key of a SEC1 point (uncompressed `04 ‖ X ‖ Y`, or compressed).
    pub fn from_sec1(bytes: &[u8]) -> Option<Self> {
        ::sm2::PublicKey::from_sec1_bytes(bytes).ok().map(Self)
    }

    /// The key of a PEM SubjectPublicKeyInfo (as OpenSSL writes with `pkey -pubout`).
    pub fn from_pem(pem: &str) -> Option<Self> {
        ::sm2::PublicKey::from_public_key_pem(pem.trim())
            .ok()
            .map(Self)
    }

    /// The uncompressed SEC1 point, 65 bytes.
    pub fn to_sec1(&self) -> Vec<u8> {
        self.0.to_sec1_bytes().to_vec()
    }

    /// The PEM SubjectPublicKeyInfo: id-ecPublicKey on the SM2 curve, then the point. Every SM2
    /// key's DER is the same 26-byte prefix and its 65-byte point.
    pub fn to_pem(&self) -> String {
        const SPKI_PREFIX: [u8; 26] = [
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d, 0x03, 0x42, 0x00,
        ];
        let mut der = SPKI_PREFIX.to_vec();
        der.extend(self.to_sec1());
        let text = base64::engine::general_purpose::STANDARD.encode(der);
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in text.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        pem
    }

    /// A short, stable name of the key: the first 16 base64url characters of the SM3 of its
    /// SEC1 point.
    pub fn key_id(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sm3(&self.to_sec1()))[..16]
            .to_owned()
    }

    /// Checks the DER `signature` over `data`.
    pub fn verify(&self, data: &[u8], signature: &[u8]) -> Result<(), BadSignature> {
        let (r, s) = integers(signature).ok_or(BadSignature::Malformed)?;
        let signature =
            ::sm2::dsa::Signature::from_scalars(r, s).map_err(|_| BadSignature::Malformed)?;
        let key = ::sm2::dsa::VerifyingKey::new(DISTINGUISHING_ID, self.0)
            .map_err(|_| BadSignature::Malformed)?;
        key.verify(data, &signature)
            .map_err(|_| BadSignature::Mismatch)
    }
}

/// `SEQUENCE { INTEGER r, INTEGER s }`, each integer in its shortest form.
fn der(r: &[u8], s: &[u8]) -> Vec<u8> {
    fn integer(out: &mut Vec<u8>, value: &[u8]) {
        let start = value
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(value.len() - 1);
        let value = &value[start..];
        let pad = value[0] & 0x80 != 0;
        out.push(0x02);
        out.push((value.len() + usize::from(pad)) as u8);
        if pad {
            out.push(0);
        }
        out.extend_from_slice(value);
    }
    let mut body = Vec::with_capacity(70);
    integer(&mut body, r);
    integer(&mut body, s);
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

/// The two 32-byte integers of a DER signature, read strictly (short lengths, positive
/// integers in their shortest form, nothing after).
fn integers(der: &[u8]) -> Option<([u8; 32], [u8; 32])> {
    fn integer(bytes: &[u8]) -> Option<([u8; 32], &[u8])> {
        let (&tag, rest) = bytes.split_first()?;
        let (&len, rest) = rest.split_first()?;
        let len = usize::from(len);
        if tag != 0x02 || len == 0 || len > 33 || rest.len() < len {
            return None;
        }
        let (value, rest) = rest.split_at(len);
        if value[0] & 0x80 != 0 || (len > 1 && value[0] == 0 && value[1] & 0x80 == 0) {
            return None;
        }
        let value = if value[0] == 0 && len > 1 {
            &value[1..]
        } else {
            value
        };
        if value.len() > 32 {
            return None;
        }
        let mut out = [0u8; 32];
        out[32 - value.len()..].copy_from_slice(value);
        Some((out, rest))
    }
    let (&tag, rest) = der.split_first()?;
    let (&len, body) = rest.split_first()?;
    if tag != 0x30 || usize::from(len) != body.len() || len >= 0x80 {
        return None;
    }
    let (r, rest) = integer(body)?;
    let (s, rest) = integer(rest)?;
    rest.is_empty().then_some((r, s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::sm2::pkcs8::{EncodePublicKey as _, LineEnding};

    /// GB/T 32905-2016's example: SM3("abc").
    #[test]
    fn sm3_of_abc() {
        assert_eq!(
            hex::encode(sm3(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }

    #[test]
    fn a_signature_verifies_and_a_changed_byte_does_not() {
        let key = Sm2Key::generate();
        let public = key.public();
        let data = "赫山区市场监督管理局 食品经营许可证".as_bytes();
        let signature = key.sign(data);
        assert_eq!(public.verify(data, &signature), Ok(()));
        let mut changed = data.to_vec();
        changed[0] ^= 1;
        assert_eq!(
            public.verify(&changed, &signature),
            Err(BadSignature::Mismatch)
        );
        let mut forged = signature.clone();
        let last = forged.len() - 1;
        forged[last] ^= 1;
        assert!(public.verify(data, &forged).is_err());
        assert_eq!(
            Sm2Key::generate().public().verify(data, &signature),
            Err(BadSignature::Mismatch),
            "another key"
        );
        assert_eq!(
            public.verify(data, &signature[1..]),
            Err(BadSignature::Malformed)
        );
    }

    #[test]
    fn keys_survive_storage_and_print() {
        let key = Sm2Key::generate();
        let again = Sm2Key::from_bytes(&key.to_bytes()).unwrap();
        assert_eq!(key.public(), again.public());
        let public = key.public();
        assert_eq!(public.to_sec1().len(), 65);
        assert_eq!(
            Sm2Public::from_sec1(&public.to_sec1()),
            Some(public.clone())
        );
        let pem = public.to_pem();
        assert_eq!(
            pem,
            public.0.to_public_key_pem(LineEnding::LF).unwrap(),
            "as the pkcs8 crate writes it"
        );
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{pem}");
        assert_eq!(Sm2Public::from_pem(&pem), Some(public.clone()));
        assert_eq!(public.key_id().len(), 16);
        assert!(Sm2Key::from_bytes(&[0u8; 32]).is_none(), "zero is no key");
    }

    #[test]
    fn der_integers_are_shortest_and_read_back() {
        let mut r = [0u8; 32];
        r[31] = 1;
        let s = [0xffu8; 32];
        let encoded = der(&r, &s);
        assert_eq!(&encoded[..5], &[0x30, 3 + 35, 0x02, 0x01, 0x01]);
        assert_eq!(&encoded[5..8], &[0x02, 33, 0x00]);
        assert_eq!(integers(&encoded), Some((r, s)));
        let mut long = encoded.clone();
        long.push(0);
        assert_eq!(integers(&long), None, "trailing bytes");
        let padded = [0x30, 7, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01];
        assert_eq!(integers(&padded), None, "a needless leading zero");
    }
}
