//! The sessions table: the only writer of it. A session keeps the person's tokens sealed under
//! the key-encryption key, refreshes the access token shortly before it expires (one request
//! at a time: identity treats a refresh token used twice as stolen and ends the sign-in), and
//! ends when idle past the limit, at its maximum age, or when identity ends the sign-in.
//!
//! Each site keeps its own `sessions` table in its own schema (a copy of the console's
//! migration): the SQL names the table unqualified and the site's pool finds it on its
//! `search_path` (`tongban_runtime::db::connect`). The sealed column is named by the caller,
//! since a sealed value is bound to where it is kept (schema, table, key and column) and
//! `tongban admin rotate-kek` re-wraps each site's column apart.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use sqlx::PgPool;
use uuid::Uuid;
use zeroize::Zeroizing;

use tongban_kernel::access::widest_region;
use tongban_kernel::{Power, RegionCode, Role, RoleBinding};
use tongban_vault::Vault;
use tongban_vault::store::Column;

use crate::api::Tokens;

/// A token is refreshed when it has less than this left, so no service call meets an expired
/// one.
pub const REFRESH_AHEAD: Duration = Duration::seconds(60);

/// `last_seen_at` is written at most this often per session (a page's htmx requests come in
/// bursts).
const TOUCH_EVERY: Duration = Duration::seconds(15);

/// The pair of tokens a session holds.
#[derive(Serialize, Deserialize)]
pub struct Held {
    pub access: String,
    pub refresh: String,
}

/// What identity said of the person at sign-in (or a refresh): from the verified token.
pub struct Grant {
    pub account_id: Uuid,
    pub display_name: String,
    pub roles: Vec<RoleBinding>,
    pub password_change_required: bool,
    pub tokens: Tokens,
}

/// A signed-in person, as the pages need them.
#[derive(Clone)]
pub struct Session {
    pub id_hash: String,
    pub account_id: Uuid,
    pub name: String,
    pub roles: Vec<RoleBinding>,
    pub password_change_required: bool,
    pub csrf: String,
    pub access_token: Zeroizing<String>,
    pub access_expires_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

impl Session {
    pub fn token(&self) -> &str {
        &self.access_token
    }

    /// Whether any of the person's roles is `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.iter().any(|binding| binding.role == role)
    }

    /// The widest region in which the person holds `power` (a page's default scope).
    pub fn widest_region(&self, power: Power) -> Option<RegionCode> {
        widest_region(
            self.roles
                .iter()
                .filter(|b| b.role.powers().contains(&power)),
        )
    }

    /// The bindings of `role`.
    pub fn bindings(&self, role: Role) -> impl Iterator<Item = &RoleBinding> {
        self.roles
            .iter()
            .filter(move |binding| binding.role == role)
    }
}

/// A new random value: a session's cookie, a CSRF token.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the table keeps for a cookie's value.
pub fn hash(cookie: &str) -> String {
    hex::encode(Sha256::digest(cookie.as_bytes()))
}

/// `tokens` sealed under the KEK for row `id_hash` of `column`.
fn seal(vault: &Vault, column: &Column, id_hash: &str, tokens: &Tokens) -> anyhow::Result<Vec<u8>> {
    let held = Held {
        access: tokens.access_token.clone(),
        refresh: tokens
            .refresh_token
            .clone()
            .ok_or_else(|| anyhow::anyhow!("identity gave no refresh token"))?,
    };
    let plain = Zeroizing::new(serde_json::to_vec(&held)?);
    Ok(vault.seal(&column.context(id_hash), &plain))
}

/// The tokens sealed in row `id_hash` of `column`.
pub fn open(vault: &Vault, column: &Column, id_hash: &str, sealed: &[u8]) -> anyhow::Result<Held> {
    let plain = vault.open(&column.context(id_hash), sealed)?;
    Ok(serde_json::from_slice(&plain)?)
}

/// Starts a session for `grant`; returns the cookie's value and the session.
pub async fn create(
    pool: &PgPool,
    vault: &Vault,
    column: &Column,
    now: DateTime<Utc>,
    grant: Grant,
) -> anyhow::Result<(String, Session)> {
    let cookie = random_token();
    let id_hash = hash(&cookie);
    let csrf = random_token();
    let sealed = seal(vault, column, &id_hash, &grant.tokens)?;
    sqlx::query(
        "insert into sessions (id_hash, account_id, display_name, roles, \
         password_change_required, csrf, sealed_tokens, access_expires_at, created_at, \
         last_seen_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(&id_hash)
    .bind(grant.account_id)
    .bind(&grant.display_name)
    .bind(sqlx::types::Json(&grant.roles))
    .bind(grant.password_change_required)
    .bind(&csrf)
    .bind(sealed)
    .bind(now + Duration::seconds(grant.tokens.expires_in))
    .bind(now)
    .execute(pool)
    .await?;
    let session = Session {
        id_hash,
        account_id: grant.account_id,
        name: grant.display_name,
        roles: grant.roles,
        password_change_required: grant.password_change_required,
        csrf,
        access_token: Zeroizing::new(grant.tokens.access_token),
        access_expires_at: now + Duration::seconds(grant.tokens.expires_in),
        last_seen_at: now,
    };
    Ok((cookie, session))
}

#[derive(sqlx::FromRow)]
pub struct Row {
    pub id_hash: String,
    pub account_id: Uuid,
    pub display_name: String,
    pub roles: sqlx::types::Json<Vec<RoleBinding>>,
    pub password_change_required: bool,
    pub csrf: String,
    pub sealed_tokens: Vec<u8>,
    pub access_expires_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

const COLUMNS: &str = "id_hash, account_id, display_name, roles, password_change_required, \
                       csrf, sealed_tokens, access_expires_at, last_seen_at";

/// The live session `id_hash` names: neither idle since `idle_since` nor started before
/// `started_since`. With `lock`, the row stays locked in `tx` (a refresh).
pub async fn find<'c, E: sqlx::PgExecutor<'c>>(
    executor: E,
    id_hash: &str,
    idle_since: DateTime<Utc>,
    started_since: DateTime<Utc>,
    lock: bool,
) -> sqlx::Result<Option<Row>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from sessions where id_hash = $1 and last_seen_at > $2 \
         and created_at > $3{}",
        if lock { " for update" } else { "" }
    ))
    .bind(id_hash)
    .bind(idle_since)
    .bind(started_since)
    .fetch_optional(executor)
    .await
}

/// Puts a refreshed grant (new tokens, the roles they carry now) into session `id_hash`.
pub async fn replace<'c, E: sqlx::PgExecutor<'c>>(
    executor: E,
    vault: &Vault,
    column: &Column,
    id_hash: &str,
    now: DateTime<Utc>,
    grant: &Grant,
) -> anyhow::Result<()> {
    let sealed = seal(vault, column, id_hash, &grant.tokens)?;
    sqlx::query(
        "update sessions set sealed_tokens = $2, access_expires_at = $3, roles = $4, \
         password_change_required = $5, display_name = $6 where id_hash = $1",
    )
    .bind(id_hash)
    .bind(sealed)
    .bind(now + Duration::seconds(grant.tokens.expires_in))
    .bind(sqlx::types::Json(&grant.roles))
    .bind(grant.password_change_required)
    .bind(&grant.display_name)
    .execute(executor)
    .await?;
    Ok(())
}

/// Records activity, at most every [`TOUCH_EVERY`].
pub async fn touch(pool: &PgPool, session: &mut Session, now: DateTime<Utc>) -> sqlx::Result<()> {
    if now - session.last_seen_at < TOUCH_EVERY {
        return Ok(());
    }
    sqlx::query("update sessions set last_seen_at = $2 where id_hash = $1")
        .bind(&session.id_hash)
        .bind(now)
        .execute(pool)
        .await?;
    session.last_seen_at = now;
    Ok(())
}

/// Ends session `id_hash`; returns its refresh token, to end the sign-in at identity too.
pub async fn delete(
    pool: &PgPool,
    vault: &Vault,
    column: &Column,
    id_hash: &str,
) -> sqlx::Result<Option<String>> {
    let sealed: Option<Vec<u8>> =
        sqlx::query_scalar("delete from sessions where id_hash = $1 returning sealed_tokens")
            .bind(id_hash)
            .fetch_optional(pool)
            .await?;
    Ok(sealed.and_then(|s| {
        open(vault, column, id_hash, &s)
            .ok()
            .map(|held| held.refresh)
    }))
}

/// Deletes sessions idle since `idle_since` or started before `started_since`; returns how
/// many.
pub async fn sweep(
    pool: &PgPool,
    idle_since: DateTime<Utc>,
    started_since: DateTime<Utc>,
) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("delete from sessions where last_seen_at <= $1 or created_at <= $2")
            .bind(idle_since)
            .bind(started_since)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}
