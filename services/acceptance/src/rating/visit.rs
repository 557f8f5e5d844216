//! Window visits (一次一评): the row, with the code its rating device or QR code rates it by.
//! Imports nothing of cases: a case records its visits here, one way.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::{Error, Principal};

/// A window visit, with the code its rating device or QR code rates it by.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Visit {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub region_code: String,
    pub clerk_id: Uuid,
    pub purpose: String,
    pub at: DateTime<Utc>,
    /// Rates the visit once (`POST /v1/ratings/visits/{rating_code}`, no account needed).
    pub rating_code: String,
}

/// A code of 16 random letters and digits (no 0/O, 1/I) for a QR code or a device.
fn rating_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..16)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// Records a visit at `region`'s window by the clerk `principal`, in the caller's transaction.
pub(crate) async fn insert_visit(
    tx: &mut PgConnection,
    id: Uuid,
    principal: &Principal,
    case_id: Option<Uuid>,
    region: &str,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<Visit, Error> {
    Ok(sqlx::query_as(
        "insert into visits (id, case_id, region_code, clerk_id, purpose, rating_code, at)
         values ($1, $2, $3, $4, $5, $6, $7)
         returning id, case_id, region_code, clerk_id, purpose, at, rating_code",
    )
    .bind(id)
    .bind(case_id)
    .bind(region)
    .bind(principal.account)
    .bind(purpose)
    .bind(rating_code())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?)
}

/// The visit `id`, if recorded.
pub async fn by_id(conn: &mut PgConnection, id: Uuid) -> Result<Option<Visit>, Error> {
    Ok(sqlx::query_as(
        "select id, case_id, region_code, clerk_id, purpose, at, rating_code from visits
         where id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// The visit with rating code `code` (any case, spaces around ignored), locked; 404 if none.
pub async fn by_code_for_update(conn: &mut PgConnection, code: &str) -> Result<Visit, Error> {
    let visit: Option<Visit> = sqlx::query_as(
        "select id, case_id, region_code, clerk_id, purpose, at, rating_code from visits
         where rating_code = $1 for update",
    )
    .bind(code.trim().to_ascii_uppercase())
    .fetch_optional(&mut *conn)
    .await?;
    visit.ok_or_else(|| Error::NotFound(format!("visit with rating code {code}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rating_codes_are_sixteen_unambiguous_characters() {
        let code = rating_code();
        assert_eq!(code.len(), 16);
        assert!(!code.contains(['0', 'O', '1', 'I']));
        assert_ne!(code, rating_code());
    }
}
