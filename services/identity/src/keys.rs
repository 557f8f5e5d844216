//! Signing keys: one active key signs, retired keys keep verifying until their tokens expire,
//! and a new key is made when the active one is `key_rotation_days` old — no downtime, because
//! verifiers refetch the JWKS when they meet a new key id.

use std::sync::Arc;

use futures::future::BoxFuture;
use sqlx::PgPool;

use tongban_auth::{Jwk, Jwks, KeySource, SigningKey};
use tongban_kernel::Error;
use tongban_vault::Vault;
use tongban_vault::store::Column;

/// Where signing keys are kept, sealed under the KEK.
pub const SEALED: Column = Column {
    schema: "identity",
    table: "signing_keys",
    key: "kid",
    column: "sealed_secret",
};

fn key(vault: &Vault, kid: String, sealed: &[u8]) -> Result<SigningKey, Error> {
    let secret = vault
        .open(&SEALED.context(&kid), sealed)
        .map_err(|e| Error::internal(format!("signing key {kid}: {e}")))?;
    SigningKey::from_bytes(kid.clone(), &secret)
        .ok_or_else(|| Error::internal(format!("signing key {kid} is corrupt")))
}

/// Seals the keys stored as they are (before keys were sealed) and forgets their plain
/// form. Run at start, before anything signs; replicas starting together are serialised.
pub async fn seal_plaintext(pool: &PgPool, vault: &Vault) -> Result<u64, Error> {
    let mut tx = pool.begin().await?;
    lock(&mut tx).await?;
    let plain: Vec<(String, Vec<u8>)> =
        sqlx::query_as("select kid, secret from signing_keys where secret is not null")
            .fetch_all(&mut *tx)
            .await?;
    for (kid, secret) in &plain {
        let key = SigningKey::from_bytes(kid.clone(), secret)
            .ok_or_else(|| Error::internal(format!("signing key {kid} is corrupt")))?;
        sqlx::query(
            "update signing_keys set sealed_secret = $2, public_key = $3, secret = null
             where kid = $1",
        )
        .bind(kid)
        .bind(vault.seal(&SEALED.context(kid), secret))
        .bind(key.public_bytes().as_slice())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    if !plain.is_empty() {
        tracing::info!(keys = plain.len(), "signing keys sealed under the KEK");
    }
    Ok(plain.len() as u64)
}

async fn lock(tx: &mut sqlx::PgConnection) -> Result<(), Error> {
    sqlx::query("select pg_advisory_xact_lock(hashtext('tongban.identity.signing_keys'))")
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The key that signs now, making one if there is none or it is due for rotation.
pub async fn active(pool: &PgPool, vault: &Vault, rotation_days: i64) -> Result<SigningKey, Error> {
    // A key's age on the database's time, which stamped it (as its retirement and the
    // published set's grace are).
    let current: Option<(String, Vec<u8>, bool)> = sqlx::query_as(
        "select kid, sealed_secret, created_at > now() - make_interval(days => $1)
         from signing_keys
         where retired_at is null and sealed_secret is not null order by created_at desc limit 1",
    )
    .bind(i32::try_from(rotation_days).unwrap_or(i32::MAX))
    .fetch_optional(pool)
    .await?;
    match current {
        Some((kid, sealed, true)) => key(vault, kid, &sealed),
        _ => rotate_inner(pool, vault, false).await,
    }
}

/// Makes a new active key now whatever the active one's age (an operator's rotation); returns
/// its key id.
pub async fn rotate_now(pool: &PgPool, vault: &Vault) -> Result<String, Error> {
    Ok(rotate_inner(pool, vault, true).await?.kid.clone())
}

/// Makes a new active key and retires the others. Two replicas finding the key due at once are
/// serialised by a transaction-scoped advisory lock, and the second takes the first's new key
/// (unless `force`d, as an operator's explicit rotation is).
async fn rotate_inner(pool: &PgPool, vault: &Vault, force: bool) -> Result<SigningKey, Error> {
    let mut tx = pool.begin().await?;
    lock(&mut tx).await?;
    let fresh: Option<(String, Vec<u8>)> = sqlx::query_as(
        "select kid, sealed_secret from signing_keys
         where retired_at is null and sealed_secret is not null
           and created_at > now() - interval '5 seconds'
         order by created_at desc limit 1",
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((kid, sealed)) = fresh.filter(|_| !force) {
        tx.commit().await?;
        return key(vault, kid, &sealed);
    }
    let new = SigningKey::generate();
    sqlx::query("update signing_keys set retired_at = now() where retired_at is null")
        .execute(&mut *tx)
        .await?;
    sqlx::query("insert into signing_keys (kid, sealed_secret, public_key) values ($1, $2, $3)")
        .bind(&new.kid)
        .bind(vault.seal(&SEALED.context(&new.kid), new.secret_bytes().as_slice()))
        .bind(new.public_bytes().as_slice())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(kid = %new.kid, "signing key rotated");
    Ok(new)
}

/// The published key set: the active key and every key retired less than `grace_secs` ago
/// (the access token lifetime plus clock leeway). Only public keys are read.
pub async fn jwks(pool: &PgPool, grace_secs: i64) -> Result<Jwks, Error> {
    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
        "select kid, public_key from signing_keys
         where public_key is not null
           and (retired_at is null or retired_at > now() - make_interval(secs => $1))
         order by created_at desc",
    )
    .bind(grace_secs as f64)
    .fetch_all(pool)
    .await?;
    Ok(Jwks {
        keys: rows
            .iter()
            .map(|(kid, public)| {
                Jwk::from_public(kid, public)
                    .ok_or_else(|| Error::internal(format!("public key of {kid} is corrupt")))
            })
            .collect::<Result<_, _>>()?,
    })
}

/// Identity verifies its own tokens from its table, not over HTTP.
pub struct DbKeys {
    pub pool: PgPool,
    pub grace_secs: i64,
}

impl KeySource for DbKeys {
    fn cutoffs(&self) -> BoxFuture<'_, Result<Vec<tongban_auth::verifier::Cutoff>, String>> {
        Box::pin(async move {
            crate::db::accounts::lifecycle::cutoffs(&self.pool, self.grace_secs)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn fetch(&self) -> BoxFuture<'_, Result<Jwks, String>> {
        Box::pin(async move {
            jwks(&self.pool, self.grace_secs)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// How long a replica signs with its copy of the active key before looking again (so after
/// another replica rotates, this one follows within a minute).
pub const RECHECK: std::time::Duration = std::time::Duration::from_secs(60);

/// Signs with the active key, rotating it when due.
pub struct Signer {
    pool: PgPool,
    vault: Vault,
    rotation_days: i64,
    cached: tokio::sync::RwLock<(Arc<SigningKey>, std::time::Instant)>,
}

impl Signer {
    pub async fn load(pool: PgPool, vault: Vault, rotation_days: i64) -> Result<Self, Error> {
        seal_plaintext(&pool, &vault).await?;
        let key = Arc::new(active(&pool, &vault, rotation_days).await?);
        Ok(Self {
            pool,
            vault,
            rotation_days,
            cached: tokio::sync::RwLock::new((key, std::time::Instant::now())),
        })
    }

    /// The key to sign with now.
    pub async fn current(&self) -> Result<Arc<SigningKey>, Error> {
        {
            let cached = self.cached.read().await;
            if cached.1.elapsed() < RECHECK {
                return Ok(cached.0.clone());
            }
        }
        let key = Arc::new(active(&self.pool, &self.vault, self.rotation_days).await?);
        *self.cached.write().await = (key.clone(), std::time::Instant::now());
        Ok(key)
    }

    /// Rotates now (an operator's command, or a test).
    pub async fn rotate_now(&self) -> Result<Arc<SigningKey>, Error> {
        let key = Arc::new(rotate_inner(&self.pool, &self.vault, true).await?);
        *self.cached.write().await = (key.clone(), std::time::Instant::now());
        Ok(key)
    }
}
