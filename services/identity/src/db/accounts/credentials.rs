//! What signing in reads about an account, failed sign-ins and the lockout.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::config::IdentitySettings;
use tongban_bus::outbox::{self, Subject};
use tongban_events::identity::v1 as events;
use tongban_events::timestamp;
use tongban_kernel::{AccountKind, Error};

/// What signing in needs to know about an account.
#[derive(sqlx::FromRow)]
pub struct Credentials {
    pub id: Uuid,
    pub kind: String,
    pub login: String,
    pub real_name_level: i16,
    pub password_hash: String,
    pub locked_until: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// Set by an administrator: to be changed before anything else.
    pub password_temporary: bool,
}

impl Credentials {
    pub fn kind(&self) -> Result<AccountKind, Error> {
        self.kind.parse().map_err(Error::internal)
    }

    /// Whether signing in with the password is refused whatever the password: disabled, or
    /// locked after repeated failures.
    pub fn barred(&self, now: DateTime<Utc>) -> bool {
        self.disabled() || self.locked_until.is_some_and(|until| until > now)
    }

    /// Disabled by an administrator: no sign-in of any kind. (A lock only stops password
    /// guesses: the holder's own sign-ins go on, and a code texted to their phone still works,
    /// so a stranger who locks the account cannot sign its holder out.)
    pub fn disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

/// The account signing in with any of `logins` (spellings of one typed identifier; logins are
/// unique and their formats do not overlap, so at most one matches).
pub async fn credentials_by_login(
    pool: &PgPool,
    logins: &[String],
) -> Result<Option<Credentials>, Error> {
    Ok(sqlx::query_as(
        "select id, kind, login, real_name_level, password_hash, locked_until, disabled_at,
             password_temporary
         from accounts where login = any($1) limit 1",
    )
    .bind(logins)
    .fetch_optional(pool)
    .await?)
}

pub async fn credentials_by_id(pool: &PgPool, id: Uuid) -> Result<Option<Credentials>, Error> {
    Ok(sqlx::query_as(
        "select id, kind, login, real_name_level, password_hash, locked_until, disabled_at,
             password_temporary
         from accounts where id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// Counts a failed sign-in; the `threshold`th in a row locks the account for a back-off that
/// doubles with each lock in a row, and raises `AccountLocked`.
pub async fn record_failure(
    pool: &PgPool,
    id: Uuid,
    settings: &IdentitySettings,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let mut tx = pool.begin().await?;
    let (failed, lock_count): (i32, i32) = sqlx::query_as(
        "update accounts set failed_logins = failed_logins + 1 where id = $1
         returning failed_logins, lock_count",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if failed >= settings.lockout_threshold {
        let factor = 1_i64 << lock_count.clamp(0, 20);
        let secs = settings
            .lockout_base_secs
            .saturating_mul(factor)
            .min(settings.lockout_max_secs);
        let until = now + chrono::Duration::seconds(secs);
        sqlx::query(
            "update accounts set failed_logins = 0, lock_count = lock_count + 1, locked_until = $2
             where id = $1",
        )
        .bind(id)
        .bind(until)
        .execute(&mut *tx)
        .await?;
        let key = id.to_string();
        let event = events::AccountLocked {
            account_id: key.clone(),
            locked_until: Some(timestamp(until)),
            lock_count: lock_count + 1,
        };
        outbox::enqueue(
            &mut tx,
            &Subject {
                key: &key,
                subject: None,
                regions: vec![],
            },
            &event,
        )
        .await?;
        tracing::warn!(account = %id, lock_secs = secs, "account locked after repeated failed sign-ins");
    }
    tx.commit().await?;
    Ok(())
}

pub async fn record_success(pool: &PgPool, id: Uuid) -> Result<(), Error> {
    sqlx::query(
        "update accounts set failed_logins = 0, lock_count = 0, locked_until = null where id = $1",
    )
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}
