//! Secrets at rest: envelope encryption under a key-encryption key (KEK).
//!
//! Every secret the platform keeps in its database (token signing keys, departments' seal keys,
//! webhook secrets) is stored as a *sealed blob*: the secret encrypted with a data key of its
//! own (DEK, random per secret), and the DEK encrypted with the KEK. The KEK never touches the
//! database: it comes from the secret store (`secrets.kek`, `TONGBAN__SECRETS__KEK`), so a copy
//! of the database — a backup, a replica, a `select` — gives no usable key.
//!
//! Both layers are SM4 in GCM mode (GB/T 32907 block cipher; the GCM construction of NIST
//! SP 800-38D as RFC 8998 uses it with SM4), with a fresh 96-bit nonce each time. What a blob
//! belongs to (its table, column and row) is authenticated with it, so a blob copied onto
//! another row does not open.
//!
//! Rotation: `secrets.kek` is set to a new key and the old one moves to
//! `secrets.previous_keks`; blobs open under either, and `tongban admin rotate-kek` re-wraps
//! every DEK under the new KEK (the secrets' own ciphertexts do not change). Then the old KEK can
//! be dropped.
//!
//! Blob layout (version 1):
//! `01 ‖ KEK id (8) ‖ nonce (12) ‖ SM4-GCM(KEK, DEK) (16 + 16) ‖ nonce (12) ‖ SM4-GCM(DEK, secret) (n + 16)`.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{AesGcm, Nonce};
use base64::Engine as _;
use rand::RngCore as _;
use zeroize::Zeroizing;

pub mod sm2;
pub mod store;

/// SM4-GCM with a 96-bit nonce and a 128-bit tag.
pub type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

const VERSION: u8 = 1;
const KEY_LEN: usize = 16;
const ID_LEN: usize = 8;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const WRAPPED_LEN: usize = KEY_LEN + TAG_LEN;
const HEADER_LEN: usize = 1 + ID_LEN + NONCE_LEN + WRAPPED_LEN + NONCE_LEN;

/// Why a secret cannot be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error(
        "secrets.kek is not set: the key-encryption key comes from the secret store \
         (TONGBAN__SECRETS__KEK, base64 of 16 random bytes; `tongban up` keeps one in data/kek)"
    )]
    NotSet,
    #[error("{setting} is not base64 of 16 bytes")]
    BadKey { setting: &'static str },
    #[error("the sealed secret is malformed")]
    Malformed,
    #[error(
        "sealed under key-encryption key {0}, which is neither secrets.kek nor one of \
         secrets.previous_keks (a wrong or missing KEK)"
    )]
    UnknownKek(String),
    #[error("the sealed secret does not open: it was changed, or belongs to another record")]
    Tampered,
}

/// A key-encryption key and its id (what blobs name it by).
#[derive(Clone)]
struct Kek {
    id: [u8; ID_LEN],
    cipher: Sm4Gcm,
    /// What keys derived from this KEK are derived from ([`Vault::derived`]).
    seed: Zeroizing<[u8; 32]>,
}

impl Kek {
    fn new(key: &[u8; KEY_LEN]) -> Self {
        use sm3::Digest as _;
        let mut seed = sm3::Sm3::new();
        seed.update(b"tongban.vault.derive\0");
        seed.update(key);
        Self {
            id: kek_id(key),
            cipher: Sm4Gcm::new(key.into()),
            seed: Zeroizing::new(seed.finalize().into()),
        }
    }
}

/// The first 8 bytes of SM3("tongban.vault.kek-id" ‖ key): names a KEK without revealing it.
fn kek_id(key: &[u8; KEY_LEN]) -> [u8; ID_LEN] {
    use sm3::Digest as _;
    let mut hash = sm3::Sm3::new();
    hash.update(b"tongban.vault.kek-id");
    hash.update(key);
    let digest = hash.finalize();
    let mut id = [0u8; ID_LEN];
    id.copy_from_slice(&digest[..ID_LEN]);
    id
}

/// Seals and opens secrets under the configured KEK (and the previous ones, for opening).
#[derive(Clone)]
pub struct Vault {
    current: Kek,
    previous: Vec<Kek>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("kek", &self.kek_id())
            .field("previous", &self.previous.len())
            .finish()
    }
}

impl Vault {
    /// From the settings' base64 values: `kek`, and `previous` as a comma-separated list
    /// (empty when there is none).
    pub fn from_base64(kek: &str, previous: &str) -> Result<Self, VaultError> {
        let kek = kek.trim();
        if kek.is_empty() {
            return Err(VaultError::NotSet);
        }
        let current = decode_key(kek, "secrets.kek")?;
        let previous = previous
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| decode_key(k, "secrets.previous_keks"))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(&current, &previous))
    }

    pub fn new(current: &[u8; KEY_LEN], previous: &[[u8; KEY_LEN]]) -> Self {
        Self {
            current: Kek::new(current),
            previous: previous.iter().map(Kek::new).collect(),
        }
    }

    /// A 32-byte key for `label`, derived from the current KEK (SM3 of a seed of the KEK and
    /// the label): the same on every replica that has the KEK, never stored, and another after
    /// the KEK is rotated.
    pub fn derived(&self, label: &str) -> Zeroizing<[u8; 32]> {
        use sm3::Digest as _;
        let mut key = sm3::Sm3::new();
        key.update(self.current.seed.as_ref());
        key.update(label.as_bytes());
        Zeroizing::new(key.finalize().into())
    }

    /// A new random KEK, base64 (what `tongban up` keeps in data/kek, or an operator puts in
    /// the secret store).
    pub fn generate_kek() -> String {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        base64::engine::general_purpose::STANDARD.encode(key.as_ref())
    }

    /// The id of the KEK that seals now (hex), as blobs and the doctor name it.
    pub fn kek_id(&self) -> String {
        hex::encode(self.current.id)
    }

    /// Seals `secret` for the record `context` (e.g. `identity.signing_keys.secret:<kid>`).
    pub fn seal(&self, context: &str, secret: &[u8]) -> Vec<u8> {
        let mut dek = Zeroizing::new([0u8; KEY_LEN]);
        rand::rngs::OsRng.fill_bytes(dek.as_mut());
        let data_nonce = nonce();
        let data = encrypt(
            &Sm4Gcm::new(dek.as_ref().into()),
            &data_nonce,
            &aad(b"data", context),
            secret,
        );
        let mut blob = self.wrap(context, &dek);
        blob.extend_from_slice(&data_nonce);
        blob.extend_from_slice(&data);
        blob
    }

    /// Opens a blob sealed for `context` under the current or a previous KEK.
    pub fn open(&self, context: &str, blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let parsed = Parsed::new(blob)?;
        let dek = self.unwrap(context, &parsed)?;
        Sm4Gcm::new(dek.as_ref().into())
            .decrypt(
                Nonce::from_slice(parsed.data_nonce),
                Payload {
                    msg: parsed.data,
                    aad: &aad(b"data", context),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| VaultError::Tampered)
    }

    /// Whether `blob` is sealed under the current KEK (nothing to re-wrap).
    pub fn is_current(&self, blob: &[u8]) -> bool {
        Parsed::new(blob).is_ok_and(|p| p.kek_id == self.current.id)
    }

    /// The KEK id (hex) a blob names, if it is a blob at all.
    pub fn sealed_under(blob: &[u8]) -> Option<String> {
        Parsed::new(blob).ok().map(|p| hex::encode(p.kek_id))
    }

    /// The same secret with its DEK wrapped under the current KEK: `None` when it already is.
    /// The secret's own ciphertext is kept; the DEK is checked against it before re-wrapping,
    /// so a blob that would not open is never re-wrapped into one that seems to.
    pub fn rewrap(&self, context: &str, blob: &[u8]) -> Result<Option<Vec<u8>>, VaultError> {
        self.open(context, blob)?;
        let parsed = Parsed::new(blob)?;
        if parsed.kek_id == self.current.id {
            return Ok(None);
        }
        let dek = self.unwrap(context, &parsed)?;
        let mut fresh = self.wrap(context, &dek);
        fresh.extend_from_slice(parsed.data_nonce);
        fresh.extend_from_slice(parsed.data);
        Ok(Some(fresh))
    }

    /// `01 ‖ KEK id ‖ nonce ‖ wrapped DEK`.
    fn wrap(&self, context: &str, dek: &[u8; KEY_LEN]) -> Vec<u8> {
        let wrap_nonce = nonce();
        let wrapped = encrypt(
            &self.current.cipher,
            &wrap_nonce,
            &aad_with_id(b"dek", &self.current.id, context),
            dek,
        );
        let mut blob = Vec::with_capacity(HEADER_LEN + 64);
        blob.push(VERSION);
        blob.extend_from_slice(&self.current.id);
        blob.extend_from_slice(&wrap_nonce);
        blob.extend_from_slice(&wrapped);
        blob
    }

    fn unwrap(
        &self,
        context: &str,
        parsed: &Parsed<'_>,
    ) -> Result<Zeroizing<[u8; KEY_LEN]>, VaultError> {
        let kek = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == parsed.kek_id)
            .ok_or_else(|| VaultError::UnknownKek(hex::encode(parsed.kek_id)))?;
        let dek = Zeroizing::new(
            kek.cipher
                .decrypt(
                    Nonce::from_slice(parsed.wrap_nonce),
                    Payload {
                        msg: parsed.wrapped,
                        aad: &aad_with_id(b"dek", &kek.id, context),
                    },
                )
                .map_err(|_| VaultError::Tampered)?,
        );
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(dek.get(..KEY_LEN).ok_or(VaultError::Malformed)?);
        Ok(key)
    }
}

/// A blob's parts.
struct Parsed<'a> {
    kek_id: [u8; ID_LEN],
    wrap_nonce: &'a [u8],
    wrapped: &'a [u8],
    data_nonce: &'a [u8],
    data: &'a [u8],
}

impl<'a> Parsed<'a> {
    fn new(blob: &'a [u8]) -> Result<Self, VaultError> {
        if blob.len() < HEADER_LEN + TAG_LEN || blob[0] != VERSION {
            return Err(VaultError::Malformed);
        }
        let (id, rest) = blob[1..].split_at(ID_LEN);
        let (wrap_nonce, rest) = rest.split_at(NONCE_LEN);
        let (wrapped, rest) = rest.split_at(WRAPPED_LEN);
        let (data_nonce, data) = rest.split_at(NONCE_LEN);
        let mut kek_id = [0u8; ID_LEN];
        kek_id.copy_from_slice(id);
        Ok(Self {
            kek_id,
            wrap_nonce,
            wrapped,
            data_nonce,
            data,
        })
    }
}

fn decode_key(value: &str, setting: &'static str) -> Result<[u8; KEY_LEN], VaultError> {
    let bytes = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(value)
            .map_err(|_| VaultError::BadKey { setting })?,
    );
    bytes
        .as_slice()
        .try_into()
        .map_err(|_| VaultError::BadKey { setting })
}

fn nonce() -> [u8; NONCE_LEN] {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    nonce
}

fn aad(layer: &[u8], context: &str) -> Vec<u8> {
    [b"tongban.vault.v1.", layer, b"|", context.as_bytes()].concat()
}

fn aad_with_id(layer: &[u8], id: &[u8; ID_LEN], context: &str) -> Vec<u8> {
    [
        b"tongban.vault.v1.",
        layer,
        b"|",
        id,
        b"|",
        context.as_bytes(),
    ]
    .concat()
}

fn encrypt(cipher: &Sm4Gcm, nonce: &[u8; NONCE_LEN], aad: &[u8], plain: &[u8]) -> Vec<u8> {
    // SM4-GCM encryption fails only for messages beyond 64 GiB.
    cipher
        .encrypt(Nonce::from_slice(nonce), Payload { msg: plain, aad })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn derived_keys_follow_the_kek_and_the_label() {
        let a = Vault::new(&[1; 16], &[]);
        let again = Vault::new(&[1; 16], &[[9; 16]]);
        let b = Vault::new(&[2; 16], &[[1; 16]]);
        assert_eq!(a.derived("audit"), again.derived("audit"));
        assert_ne!(a.derived("audit"), a.derived("other"));
        assert_ne!(
            a.derived("audit"),
            b.derived("audit"),
            "rotated: another key"
        );
    }

    /// RFC 8998 appendix A.1: the SM4-GCM construction here is the standard one.
    #[test]
    fn sm4_gcm_matches_rfc_8998() {
        let key: [u8; 16] = unhex("0123456789ABCDEFFEDCBA9876543210")
            .try_into()
            .unwrap();
        let nonce: [u8; 12] = unhex("00001234567800000000ABCD").try_into().unwrap();
        let aad = unhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2");
        let plain = unhex(
            "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD\
             EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA",
        );
        let expected = unhex(
            "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735\
             D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D\
             83DE3541E4C2B58177E065A9BF7B62EC",
        );
        let sealed = encrypt(&Sm4Gcm::new(&key.into()), &nonce, &aad, &plain);
        assert_eq!(hex::encode_upper(&sealed), hex::encode_upper(&expected));
    }

    fn vault() -> (Vault, String) {
        let kek = Vault::generate_kek();
        (Vault::from_base64(&kek, "").unwrap(), kek)
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_record_and_kek() {
        let (vault, _) = vault();
        let blob = vault.seal("identity.signing_keys.secret:k1", b"private key bytes");
        assert!(
            !blob
                .windows(b"private key bytes".len())
                .any(|w| w == b"private key bytes"),
            "the secret does not appear in the blob"
        );
        assert_eq!(
            vault
                .open("identity.signing_keys.secret:k1", &blob)
                .unwrap()
                .as_slice(),
            b"private key bytes"
        );
        assert_eq!(
            vault.open("identity.signing_keys.secret:k2", &blob),
            Err(VaultError::Tampered),
            "copied onto another row"
        );
        let (other, _) = self::vault();
        assert!(matches!(
            other.open("identity.signing_keys.secret:k1", &blob),
            Err(VaultError::UnknownKek(_))
        ));
        for at in [HEADER_LEN - 20, HEADER_LEN + 3, blob.len() - 1] {
            let mut flipped = blob.clone();
            flipped[at] ^= 1;
            assert_eq!(
                vault.open("identity.signing_keys.secret:k1", &flipped),
                Err(VaultError::Tampered),
                "a bit flipped at {at}"
            );
        }
        assert_eq!(
            vault.open("x", &blob[..HEADER_LEN]),
            Err(VaultError::Malformed)
        );
        assert_ne!(
            vault.seal("c", b"same"),
            vault.seal("c", b"same"),
            "fresh key and nonces each time"
        );
    }

    #[test]
    fn rotation_rewraps_under_the_new_kek_and_keeps_the_secret() {
        let (old, old_kek) = vault();
        let blob = old.seal("approval.department_seals.private_key:X", b"seal");
        let new_kek = Vault::generate_kek();
        let rotated = Vault::from_base64(&new_kek, &format!(" {old_kek} ,")).unwrap();
        assert!(!rotated.is_current(&blob));
        assert_eq!(
            rotated
                .open("approval.department_seals.private_key:X", &blob)
                .unwrap()
                .as_slice(),
            b"seal",
            "opens under a previous KEK"
        );
        let fresh = rotated
            .rewrap("approval.department_seals.private_key:X", &blob)
            .unwrap()
            .unwrap();
        assert!(rotated.is_current(&fresh));
        assert_eq!(
            Vault::sealed_under(&fresh),
            Some(rotated.kek_id()),
            "names the new KEK"
        );
        assert_eq!(
            rotated
                .rewrap("approval.department_seals.private_key:X", &fresh)
                .unwrap(),
            None
        );
        let only_new = Vault::from_base64(&new_kek, "").unwrap();
        assert_eq!(
            only_new
                .open("approval.department_seals.private_key:X", &fresh)
                .unwrap()
                .as_slice(),
            b"seal",
            "the old KEK is no longer needed"
        );
        assert!(matches!(
            only_new.open("approval.department_seals.private_key:X", &blob),
            Err(VaultError::UnknownKek(_))
        ));
        assert_eq!(
            rotated.rewrap("approval.department_seals.private_key:Y", &blob),
            Err(VaultError::Tampered),
            "a blob that does not open is not re-wrapped"
        );
    }

    #[test]
    fn settings_say_what_is_wrong() {
        assert_eq!(
            Vault::from_base64("  ", "").unwrap_err(),
            VaultError::NotSet
        );
        assert_eq!(
            Vault::from_base64("c2hvcnQ=", "").unwrap_err(),
            VaultError::BadKey {
                setting: "secrets.kek"
            }
        );
        assert_eq!(
            Vault::from_base64(&Vault::generate_kek(), "not base64!").unwrap_err(),
            VaultError::BadKey {
                setting: "secrets.previous_keks"
            }
        );
    }
}
