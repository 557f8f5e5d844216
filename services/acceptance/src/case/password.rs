//! Query passwords (查询密码): handed to the applicant once — in the first submission's answer,
//! or when one is issued anew (`POST /cases/{id}/query-password`, which voids the old one) —
//! and kept only as HMAC-SHA256 under a key of the service's own. That key is sealed under the
//! key-encryption key, so a copy of the database yields neither the passwords nor a way to try
//! them offline. Beside the submission (through the store), this is the only writer of
//! `cases.query_password`.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use zeroize::Zeroizing;

use tongban_bus::aggregate::Entry;
use tongban_kernel::Error;
use tongban_vault::Vault;
use tongban_vault::store::Column;

use super::store::{self, Row};
use crate::domain::{query_password, same_secret};

/// Where the service's keys (this hashing key, the document index key) are kept, sealed under
/// the KEK.
pub const SEALED: Column = Column {
    schema: "acceptance",
    table: "secrets",
    key: "name",
    column: "sealed",
};

const KEY_NAME: &str = "query_password_key";

/// The service's key named `name` in `secrets` (made and sealed the first time).
pub(super) async fn service_key(
    pool: &PgPool,
    vault: &Vault,
    name: &str,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    tongban_vault::store::service_key(pool, vault, &SEALED, name)
        .await
        .map_err(Error::internal)
}

/// Hashes and checks query passwords.
pub struct QueryPasswords {
    key: Zeroizing<Vec<u8>>,
}

impl QueryPasswords {
    /// The service's key, made and sealed the first time (replicas starting together agree on
    /// one: the insert that loses reads the winner's).
    pub async fn load(pool: &PgPool, vault: &Vault) -> Result<Self, Error> {
        Ok(Self {
            key: service_key(pool, vault, KEY_NAME).await?,
        })
    }

    /// A new password and what is stored of it.
    pub fn issue(&self) -> (String, String) {
        let password = query_password();
        let hash = self.hash(&password);
        (password, hash)
    }

    /// What is stored of `password`: 64 hex characters.
    pub fn hash(&self, password: &str) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(password.trim().to_ascii_uppercase().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `presented` is the password `stored` was made of.
    pub fn matches(&self, stored: &str, presented: &str) -> bool {
        !stored.is_empty() && same_secret(stored, &self.hash(presented))
    }
}

/// A query password issued anew, shown this once.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Issued {
    pub number: String,
    pub query_password: String,
}

/// Issues a new query password for a submitted case (the old one stops working): for its
/// applicant (or the clerk who entered it), or a window clerk of its receiving region printing
/// the receipt again. 409 `not_submitted` before the case has a number.
pub async fn reissue(
    pool: &PgPool,
    passwords: &QueryPasswords,
    principal: &tongban_kernel::Principal,
    id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Issued, Error> {
    let mut tx = pool.begin().await?;
    let row = store::load(&mut tx, principal, id, true).await?;
    let at_the_window = principal.can(
        tongban_kernel::Power::AcceptCases,
        &row.region("receiving")?,
    );
    if !at_the_window {
        store::require_applicant(principal, &row)?;
    }
    let Some(number) = row.number.clone() else {
        return Err(Error::Conflict {
            code: "not_submitted",
            message: "a query password comes with the case number, at the first submission".into(),
        });
    };
    let (password, hash) = passwords.issue();
    let entry = Entry::new(
        now,
        Some(principal.account),
        "query_password_issued",
        serde_json::json!({}),
    );
    set_query_password(&mut tx, &row, &hash, entry).await?;
    tx.commit().await?;
    Ok(Issued {
        number,
        query_password: password,
    })
}

/// Keeps `hash` as the query password of case `row` and of its bundle's parts (which share
/// the application's), voiding the old one, with `entry` in the history.
async fn set_query_password(
    tx: &mut PgConnection,
    row: &Row,
    hash: &str,
    entry: Entry<'_>,
) -> Result<(), Error> {
    sqlx::query("update cases set query_password = $2 where id = $1 or parent_id = $1")
        .bind(row.id)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    store::note(tx, row, entry).await
}

/// Replaces every query password still kept as it is (before they were hashed) by its hash;
/// run at start. Returns how many.
pub async fn hash_stored_passwords(
    pool: &PgPool,
    passwords: &QueryPasswords,
) -> Result<u64, Error> {
    let mut tx = pool.begin().await?;
    let plain: Vec<(Uuid, String)> = sqlx::query_as(
        "select id, query_password from cases
         where query_password is not null and length(query_password) <> 64 for update",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (id, password) in &plain {
        sqlx::query("update cases set query_password = $2 where id = $1")
            .bind(id)
            .bind(passwords.hash(password))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(plain.len() as u64)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn passwords() -> QueryPasswords {
        QueryPasswords {
            key: Zeroizing::new(vec![7u8; 32]),
        }
    }

    #[test]
    fn a_password_is_kept_as_a_keyed_hash_and_checked_whole() {
        let hasher = passwords();
        let (password, stored) = hasher.issue();
        assert_eq!(stored.len(), 64);
        assert!(!stored.contains(&password));
        assert!(hasher.matches(&stored, &password));
        assert!(
            hasher.matches(&stored, &format!(" {} ", password.to_ascii_lowercase())),
            "read out and typed in lower case"
        );
        assert!(!hasher.matches(&stored, &password[..7]));
        assert!(!hasher.matches("", ""));
        let other = QueryPasswords {
            key: Zeroizing::new(vec![8u8; 32]),
        };
        assert_ne!(other.hash(&password), stored, "another key, another hash");
    }
}
