//! Refresh tokens: random, stored only as a hash, rotated on every use, revoked by family.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use tongban_kernel::Error;

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Issues a refresh token in `family` (a new family for a new sign-in).
pub async fn issue(
    pool: &PgPool,
    account: Uuid,
    family: Uuid,
    ttl_secs: i64,
) -> Result<String, Error> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = B64.encode(bytes);
    sqlx::query(
        // Expiry on the database's time, which redeeming compares it with.
        "insert into refresh_tokens (token_hash, family_id, account_id, expires_at)
         values ($1, $2, $3, now() + make_interval(secs => $4))",
    )
    .bind(digest(&token))
    .bind(family)
    .bind(account)
    .bind(ttl_secs as f64)
    .execute(pool)
    .await?;
    Ok(token)
}

/// What presenting a refresh token came to.
pub enum Redeemed {
    /// Valid and now used: issue the next one in `family`.
    Fresh { account: Uuid, family: Uuid },
    /// Unknown, expired or revoked.
    Invalid,
    /// Already used: someone replayed it, so the whole family is now revoked.
    Reused,
}

/// Marks `token` used, atomically: of two concurrent presentations only one wins.
pub async fn redeem(pool: &PgPool, token: &str) -> Result<Redeemed, Error> {
    let hash = digest(token);
    let won: Option<(Uuid, Uuid)> = sqlx::query_as(
        "update refresh_tokens set used_at = now()
         where token_hash = $1 and used_at is null and revoked_at is null and expires_at > now()
         returning account_id, family_id",
    )
    .bind(&hash)
    .fetch_optional(pool)
    .await?;
    if let Some((account, family)) = won {
        return Ok(Redeemed::Fresh { account, family });
    }
    let used: Option<(Uuid, bool)> = sqlx::query_as(
        "select family_id, used_at is not null from refresh_tokens where token_hash = $1",
    )
    .bind(&hash)
    .fetch_optional(pool)
    .await?;
    match used {
        Some((family, true)) => {
            revoke_family(pool, family).await?;
            tracing::warn!(%family, "a used refresh token was presented again; its family is revoked");
            Ok(Redeemed::Reused)
        }
        _ => Ok(Redeemed::Invalid),
    }
}

pub async fn revoke_family(pool: &PgPool, family: Uuid) -> Result<u64, Error> {
    Ok(sqlx::query(
        "update refresh_tokens set revoked_at = now() where family_id = $1 and revoked_at is null",
    )
    .bind(family)
    .execute(pool)
    .await?
    .rows_affected())
}

/// Logout: revokes the family of `token`, if it is one of ours.
pub async fn revoke(pool: &PgPool, token: &str) -> Result<(), Error> {
    let family: Option<Uuid> =
        sqlx::query_scalar("select family_id from refresh_tokens where token_hash = $1")
            .bind(digest(token))
            .fetch_optional(pool)
            .await?;
    if let Some(family) = family {
        revoke_family(pool, family).await?;
    }
    Ok(())
}
