//! One-time codes texted to a number: to prove an account holds it, or to sign in with it.
//! Issuing is limited per number (one per `code_resend_secs`, `codes_per_hour` an hour) and per
//! asking account; a code is valid for `code_ttl_secs`, once, and `code_attempts` wrong tries
//! spend it. Only a hash of the code is kept.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::config::IdentitySettings;
use tongban_kernel::Error;

tongban_kernel::text_enum! {
    /// What a code is for; stored as text in `phone_challenges.purpose`.
    pub enum Purpose {
        PhoneVerification => "phone_verification",
        Login => "login",
    }
}

/// A challenge just made, with its code (to be texted, then forgotten).
#[derive(Debug, Clone)]
pub struct Issued {
    pub id: Uuid,
    pub code: String,
    pub expires_at: DateTime<Utc>,
    /// When another code may be asked for the number.
    pub resend_after: DateTime<Utc>,
}

/// What a presented code turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// Right: the challenge's number and account (none for a login code of an unproved number).
    Valid {
        phone: String,
        account: Option<Uuid>,
    },
    /// Wrong, with the tries left.
    Wrong { left: i32 },
    /// No such challenge, or it expired, was used, or had too many wrong tries.
    Spent,
}

fn hash(id: Uuid, code: &str) -> Vec<u8> {
    let mut digest = Sha256::new();
    digest.update(id.as_bytes());
    digest.update(code.as_bytes());
    digest.finalize().to_vec()
}

/// A code of six random digits.
fn new_code() -> String {
    use rand::Rng;
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
}

fn too_many(field: &str, message: String, until: DateTime<Utc>, now: DateTime<Utc>) -> Error {
    Error::TooManyRequests {
        field: field.to_owned(),
        message,
        retry_after_secs: u64::try_from((until - now).num_seconds())
            .unwrap_or(0)
            .max(1),
    }
}

/// Makes a challenge for `phone` (asked by `account`, or for the account that proved it)
/// unless the limits say wait (429 with when).
pub async fn issue(
    pool: &PgPool,
    purpose: Purpose,
    phone: &str,
    asked_by: Option<Uuid>,
    account: Option<Uuid>,
    settings: &IdentitySettings,
    now: DateTime<Utc>,
) -> Result<Issued, Error> {
    let mut tx = pool.begin().await?;
    // One issue per number at a time, so two requests at once cannot both pass the limits.
    sqlx::query(
        "select pg_advisory_xact_lock(hashtextextended('tongban.identity.phone:' || $1, 0))",
    )
    .bind(phone)
    .execute(&mut *tx)
    .await?;
    check_limits(&mut tx, purpose, phone, asked_by, settings, now).await?;
    let resend = chrono::Duration::seconds(settings.code_resend_secs);
    let id = Uuid::now_v7();
    let code = new_code();
    let expires_at = now + chrono::Duration::seconds(settings.code_ttl_secs);
    sqlx::query(
        "insert into phone_challenges (id, purpose, phone, account_id, code_hash, created_at,
             expires_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(purpose.as_str())
    .bind(phone)
    .bind(account)
    .bind(hash(id, &code))
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Issued {
        id,
        code,
        expires_at,
        resend_after: now + resend,
    })
}

/// The limits on sending codes: one per number per resend interval, a number of codes per
/// number per hour, and as many per asking account (429 with when to try again).
async fn check_limits(
    tx: &mut PgConnection,
    purpose: Purpose,
    phone: &str,
    asked_by: Option<Uuid>,
    settings: &IdentitySettings,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let hour_ago = now - chrono::Duration::hours(1);
    let (latest, in_hour, oldest): (Option<DateTime<Utc>>, i64, Option<DateTime<Utc>>) =
        sqlx::query_as(
            "select max(created_at), count(*) filter (where created_at > $3),
                 min(created_at) filter (where created_at > $3)
             from phone_challenges where phone = $1 and purpose = $2",
        )
        .bind(phone)
        .bind(purpose.as_str())
        .bind(hour_ago)
        .fetch_one(&mut *tx)
        .await?;
    let resend = chrono::Duration::seconds(settings.code_resend_secs);
    if let Some(latest) = latest
        && latest + resend > now
    {
        return Err(too_many(
            "phone",
            format!(
                "a code was sent to this number less than {} seconds ago",
                settings.code_resend_secs
            ),
            latest + resend,
            now,
        ));
    }
    if in_hour >= settings.codes_per_hour {
        return Err(too_many(
            "phone",
            format!("{in_hour} codes were sent to this number within the hour"),
            oldest.unwrap_or(now) + chrono::Duration::hours(1),
            now,
        ));
    }
    if let Some(asker) = asked_by {
        let (asked, oldest): (i64, Option<DateTime<Utc>>) = sqlx::query_as(
            "select count(*), min(created_at) from phone_challenges
             where account_id = $1 and created_at > $2",
        )
        .bind(asker)
        .bind(hour_ago)
        .fetch_one(&mut *tx)
        .await?;
        if asked >= settings.codes_per_hour {
            return Err(too_many(
                "phone",
                format!("this account asked for {asked} codes within the hour"),
                oldest.unwrap_or(now) + chrono::Duration::hours(1),
                now,
            ));
        }
    }
    Ok(())
}

/// Forgets a challenge whose code could not be sent (it does not count against the limits).
pub async fn withdraw(pool: &PgPool, id: Uuid) -> Result<(), Error> {
    sqlx::query("delete from phone_challenges where id = $1 and used_at is null")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    phone: String,
    account_id: Option<Uuid>,
    code_hash: Vec<u8>,
    expires_at: DateTime<Utc>,
    attempts: i32,
    used_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, phone, account_id, code_hash, expires_at, attempts, used_at";

/// Checks `code` against the challenge found (locked), counting a wrong try or using it up.
async fn redeem(
    tx: &mut PgConnection,
    row: Option<Row>,
    code: &str,
    settings: &IdentitySettings,
    now: DateTime<Utc>,
) -> Result<Checked, Error> {
    let Some(row) = row else {
        return Ok(Checked::Spent);
    };
    if row.used_at.is_some() || row.expires_at <= now || row.attempts >= settings.code_attempts {
        return Ok(Checked::Spent);
    }
    if hash(row.id, code.trim()) != row.code_hash {
        sqlx::query("update phone_challenges set attempts = attempts + 1 where id = $1")
            .bind(row.id)
            .execute(&mut *tx)
            .await?;
        return Ok(Checked::Wrong {
            left: settings.code_attempts - row.attempts - 1,
        });
    }
    sqlx::query("update phone_challenges set used_at = $2 where id = $1")
        .bind(row.id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(Checked::Valid {
        phone: row.phone,
        account: row.account_id,
    })
}

/// Checks the code of `account`'s phone verification `challenge`; a right one makes its
/// number the account's, proved (and unproved for any other citizen who had proved it).
pub async fn verify_phone(
    pool: &PgPool,
    account: Uuid,
    challenge: Uuid,
    code: &str,
    settings: &IdentitySettings,
    now: DateTime<Utc>,
) -> Result<Checked, Error> {
    let mut tx = pool.begin().await?;
    let row: Option<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from phone_challenges
         where id = $1 and account_id = $2 and purpose = 'phone_verification' for update"
    ))
    .bind(challenge)
    .bind(account)
    .fetch_optional(&mut *tx)
    .await?;
    let checked = redeem(&mut tx, row, code, settings, now).await?;
    if let Checked::Valid { phone, .. } = &checked {
        sqlx::query(
            "update accounts set phone_verified_at = null
             where phone = $1 and kind = 'citizen' and id <> $2 and phone_verified_at is not null
               and (select kind from accounts where id = $2) = 'citizen'",
        )
        .bind(phone)
        .bind(account)
        .execute(&mut *tx)
        .await?;
        sqlx::query("update accounts set phone = $2, phone_verified_at = $3 where id = $1")
            .bind(account)
            .bind(phone)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(checked)
}

/// The citizen who proved `phone` (and may sign in by text with it), if any.
pub async fn citizen_of(pool: &PgPool, phone: &str) -> Result<Option<Uuid>, Error> {
    Ok(sqlx::query_scalar(
        "select id from accounts
         where phone = $1 and kind = 'citizen' and phone_verified_at is not null
           and disabled_at is null",
    )
    .bind(phone)
    .fetch_optional(pool)
    .await?)
}

/// Checks a sign-in code for `phone` (its latest login challenge); the account it signs in,
/// when right and the number is still that citizen's.
pub async fn sign_in(
    pool: &PgPool,
    phone: &str,
    code: &str,
    settings: &IdentitySettings,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, Error> {
    let mut tx = pool.begin().await?;
    let row: Option<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from phone_challenges
         where phone = $1 and purpose = 'login' order by created_at desc limit 1 for update"
    ))
    .bind(phone)
    .fetch_optional(&mut *tx)
    .await?;
    let checked = redeem(&mut tx, row, code, settings, now).await?;
    tx.commit().await?;
    match checked {
        Checked::Valid {
            account: Some(account),
            phone,
        } => Ok(citizen_of(pool, &phone)
            .await?
            .filter(|holder| *holder == account)),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_hashed_with_their_challenge() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(hash(a, "123456"), hash(a, "123456"));
        assert_ne!(hash(a, "123456"), hash(b, "123456"));
        assert_ne!(hash(a, "123456"), hash(a, "123457"));
    }
}
