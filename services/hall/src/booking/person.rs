//! Who comes to a booking, without keeping who they are: the identity card number as
//! HMAC-SHA256 under the hall's own key (sealed under the KEK in `hall.secrets`). The same
//! number always gives the same digest, so one booking per person, item and day, the no-show
//! count and check-in by card all work on it; a copy of the database gives no number back,
//! nor a way to try the few hundred million possible numbers offline.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::PgPool;
use zeroize::Zeroizing;

use tongban_kernel::{Error, IdCardNumber};
use tongban_vault::Vault;
use tongban_vault::store::Column;

/// Where the hall's keys are kept, sealed under the KEK.
pub const SEALED: Column = Column {
    schema: "hall",
    table: "secrets",
    key: "name",
    column: "sealed",
};

const KEY_NAME: &str = "person_digest_key";

pub struct PersonKey {
    key: Zeroizing<Vec<u8>>,
}

impl PersonKey {
    /// The hall's key, made and sealed the first time.
    pub async fn load(pool: &PgPool, vault: &Vault) -> Result<Self, Error> {
        let key = tongban_vault::store::service_key(pool, vault, &SEALED, KEY_NAME)
            .await
            .map_err(Error::internal)?;
        Ok(Self { key })
    }

    /// A key for tests.
    #[cfg(test)]
    pub fn of(key: &[u8]) -> Self {
        Self {
            key: Zeroizing::new(key.to_vec()),
        }
    }

    /// The digest of `number`.
    pub fn digest(&self, number: &IdCardNumber) -> Vec<u8> {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            // HMAC takes a key of any length.
            return Vec::new();
        };
        mac.update(String::from(number.clone()).as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// The identity card number in `field`, parsed; 422 naming the field.
pub fn id_number(field: &str, value: &str) -> Result<IdCardNumber, Error> {
    value
        .trim()
        .parse::<IdCardNumber>()
        .map_err(|e| Error::unprocessable(field, e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn one_number_one_digest_under_one_key() {
        let number = id_number("id_number", "11010519491231002X").unwrap();
        let same = id_number("id_number", " 11010519491231002x ").unwrap();
        let key = PersonKey::of(b"k1");
        assert_eq!(key.digest(&number), key.digest(&same));
        assert_eq!(key.digest(&number).len(), 32);
        assert_ne!(key.digest(&number), PersonKey::of(b"k2").digest(&number));
        assert!(id_number("id_number", "110105194912310021").is_err());
    }
}
