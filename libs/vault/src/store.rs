//! Sealed columns in the database: where they are, how many open under which KEK (the
//! doctor's question), and re-wrapping every one under the current KEK (`tongban admin
//! rotate-kek`).

use sqlx::PgPool;

use crate::{Vault, VaultError};

/// A `bytea` column of sealed blobs, and the column that names each row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub schema: &'static str,
    pub table: &'static str,
    /// The row's key (its text form goes into the blob's context).
    pub key: &'static str,
    pub column: &'static str,
}

impl Column {
    /// What a row's blob is sealed for: `schema.table.column:key`.
    pub fn context(&self, key: &str) -> String {
        format!("{}.{}.{}:{key}", self.schema, self.table, self.column)
    }

    /// `schema.table.column`, for people.
    pub fn name(&self) -> String {
        format!("{}.{}.{}", self.schema, self.table, self.column)
    }

    async fn rows(&self, pool: &PgPool) -> Result<Vec<(String, Vec<u8>)>, sqlx::Error> {
        sqlx::query_as(&format!(
            "select {key}::text, {column} from {schema}.{table} where {column} is not null \
             order by 1",
            key = self.key,
            column = self.column,
            schema = self.schema,
            table = self.table,
        ))
        .fetch_all(pool)
        .await
    }
}

/// How the sealed secrets of a column stand with the configured keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Census {
    pub total: u64,
    /// Sealed under the current KEK.
    pub current: u64,
    /// Sealed under a previous KEK (opens; `rotate-kek` re-wraps them).
    pub previous: u64,
    /// Rows whose secret does not open with any configured KEK, with why (the first few).
    pub unreadable: u64,
    pub reasons: Vec<String>,
}

/// Opens every sealed secret of `column` (nothing is changed).
pub async fn census(pool: &PgPool, vault: &Vault, column: &Column) -> Result<Census, sqlx::Error> {
    let mut census = Census::default();
    for (key, blob) in column.rows(pool).await? {
        census.total += 1;
        match vault.open(&column.context(&key), &blob) {
            Ok(_) if vault.is_current(&blob) => census.current += 1,
            Ok(_) => census.previous += 1,
            Err(err) => {
                census.unreadable += 1;
                if census.reasons.len() < 3 {
                    census.reasons.push(format!("{key}: {err}"));
                }
            }
        }
    }
    Ok(census)
}

/// Why re-wrapping stopped.
#[derive(Debug, thiserror::Error)]
pub enum RewrapError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("{column} of {key}: {error}")]
    Unreadable {
        column: String,
        key: String,
        error: VaultError,
    },
}

/// Re-wraps every secret of `column` that is not under the current KEK, one row at a time (a
/// row changed meanwhile keeps its newer value: the update compares). `progress` hears
/// `(done, total)` after each row. Returns how many were re-wrapped. A secret that opens with
/// no configured KEK stops the run before anything of it changes.
pub async fn rewrap(
    pool: &PgPool,
    vault: &Vault,
    column: &Column,
    mut progress: impl FnMut(u64, u64),
) -> Result<u64, RewrapError> {
    let rows = column.rows(pool).await?;
    let total = rows.len() as u64;
    let mut rewrapped = 0;
    for (done, (key, blob)) in rows.into_iter().enumerate() {
        let context = column.context(&key);
        let fresh = vault
            .rewrap(&context, &blob)
            .map_err(|error| RewrapError::Unreadable {
                column: column.name(),
                key: key.clone(),
                error,
            })?;
        if let Some(fresh) = fresh {
            rewrapped += sqlx::query(&format!(
                "update {schema}.{table} set {column} = $1 where {key}::text = $2 and {column} = $3",
                schema = column.schema,
                table = column.table,
                column = column.column,
                key = column.key,
            ))
            .bind(fresh)
            .bind(&key)
            .bind(&blob)
            .execute(pool)
            .await?
            .rows_affected();
        }
        progress(done as u64 + 1, total);
    }
    Ok(rewrapped)
}

/// The column that held a secret in plain text before [`Column`] sealed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plain {
    /// A `bytea` column.
    Bytes(&'static str),
    /// A `text` column (sealed as its UTF-8 bytes).
    Text(&'static str),
}

/// Seals what a column held in plain text before it was sealed: each row's `plain` value is
/// sealed into `column` and cleared, in one transaction. Returns how many rows it sealed (none
/// once done: services call it at start).
pub async fn seal_plaintext(
    pool: &PgPool,
    vault: &Vault,
    column: &Column,
    plain: Plain,
) -> Result<u64, sqlx::Error> {
    let (name, bytes) = match plain {
        Plain::Bytes(name) => (name, name.to_owned()),
        Plain::Text(name) => (name, format!("convert_to({name}, 'UTF8')")),
    };
    let mut tx = pool.begin().await?;
    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(&format!(
        "select {key}::text, {bytes} from {schema}.{table} where {name} is not null for update",
        key = column.key,
        schema = column.schema,
        table = column.table,
    ))
    .fetch_all(&mut *tx)
    .await?;
    for (key, secret) in &rows {
        sqlx::query(&format!(
            "update {schema}.{table} set {sealed} = $2, {name} = null where {key}::text = $1",
            schema = column.schema,
            table = column.table,
            sealed = column.column,
            key = column.key,
        ))
        .bind(key)
        .bind(vault.seal(&column.context(key), secret))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(rows.len() as u64)
}

/// Why a service key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ServiceKeyError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("the service key {name}: {source}")]
    Sealed { name: String, source: VaultError },
}

/// A service's own 32-byte key named `name`, kept in `column` (a `name`/`sealed` table of
/// the service's schema) sealed under the KEK: made and sealed the first time; replicas
/// starting together agree on one, as the insert that loses reads the winner's.
pub async fn service_key(
    pool: &PgPool,
    vault: &Vault,
    column: &Column,
    name: &str,
) -> Result<zeroize::Zeroizing<Vec<u8>>, ServiceKeyError> {
    use rand::RngCore as _;
    let mut fresh = zeroize::Zeroizing::new(vec![0u8; 32]);
    rand::rngs::OsRng.fill_bytes(&mut fresh);
    let context = column.context(name);
    let table = format!("{}.{}", column.schema, column.table);
    sqlx::query(&format!(
        "insert into {table} ({key}, {col}) values ($1, $2) on conflict ({key}) do nothing",
        key = column.key,
        col = column.column,
    ))
    .bind(name)
    .bind(vault.seal(&context, &fresh))
    .execute(pool)
    .await?;
    let sealed: Vec<u8> = sqlx::query_scalar(&format!(
        "select {col} from {table} where {key} = $1",
        key = column.key,
        col = column.column,
    ))
    .bind(name)
    .fetch_one(pool)
    .await?;
    vault
        .open(&context, &sealed)
        .map_err(|source| ServiceKeyError::Sealed {
            name: name.to_owned(),
            source,
        })
}
