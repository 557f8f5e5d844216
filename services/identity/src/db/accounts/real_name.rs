//! A citizen's real-name level: what online verification reads of the account, the checks it
//! made (limited per day), and raising it to basic real-name (level 2) with its event once the
//! national record agrees.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use tongban_events::identity::v1 as events;
use tongban_events::timestamp;
use tongban_kernel::Error;

use super::lifecycle::publish;

/// Basic real-name: the name and ID number agree with the national identity record.
pub const BASIC: i16 = 2;

/// What online verification needs of an account.
#[derive(Debug, sqlx::FromRow)]
pub struct Holder {
    pub kind: String,
    pub id_type: Option<String>,
    /// A citizen's document number (their sign-in identifier).
    pub login: String,
    pub real_name_level: i16,
    pub real_name_verified_at: Option<DateTime<Utc>>,
}

pub async fn holder(pool: &PgPool, account: Uuid) -> Result<Option<Holder>, Error> {
    Ok(sqlx::query_as(
        "select kind, id_type, login, real_name_level, real_name_verified_at
         from accounts where id = $1 and disabled_at is null",
    )
    .bind(account)
    .fetch_optional(pool)
    .await?)
}

/// Raises the account to basic real-name (a higher level stays), records when, keeps the
/// verified name as its display name, and publishes `RealNameVerified`; returns the level.
pub async fn raise_to_basic(
    pool: &PgPool,
    account: Uuid,
    name: &str,
    now: DateTime<Utc>,
) -> Result<i16, Error> {
    let mut tx = pool.begin().await?;
    let level: i16 = sqlx::query_scalar(
        "update accounts set real_name_level = greatest(real_name_level, $2),
             real_name_verified_at = $3, display_name = $4
         where id = $1 returning real_name_level",
    )
    .bind(account)
    .bind(BASIC)
    .bind(now)
    .bind(name)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::NotFound(format!("account {account}")))?;
    let event = events::RealNameVerified {
        account_id: account.to_string(),
        real_name_level: i32::from(level),
        method: "online".to_owned(),
        verified_at: Some(timestamp(now)),
    };
    publish(&mut tx, account, &event).await?;
    tx.commit().await?;
    Ok(level)
}

/// The national check's answers to `account` since `since`: how many, and the oldest (when the
/// next one frees up).
pub async fn checks_since(
    pool: &PgPool,
    account: Uuid,
    since: DateTime<Utc>,
) -> Result<(i64, Option<DateTime<Utc>>), Error> {
    Ok(sqlx::query_as(
        "select count(*), min(checked_at) from real_name_checks
         where account_id = $1 and checked_at > $2",
    )
    .bind(account)
    .bind(since)
    .fetch_one(pool)
    .await?)
}

/// Records one answer of the national check.
pub async fn record_check(
    pool: &PgPool,
    account: Uuid,
    matched: bool,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query(
        "insert into real_name_checks (account_id, checked_at, matched) values ($1, $2, $3)",
    )
    .bind(account)
    .bind(at)
    .bind(matched)
    .execute(pool)
    .await?;
    Ok(())
}
