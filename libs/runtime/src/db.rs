//! PostgreSQL: one pool per service, each confined to its own schema.
//!
//! Services share a database server (and, on one machine, a database) but never each other's
//! tables: a pool's `search_path` is its service's schema only. Migrations run at start under an
//! advisory lock per schema, so pods starting together apply them once.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

use crate::config::DatabaseSettings;
use secrecy::ExposeSecret;

/// Opens the pool of `schema`, creating the database first if configured to.
pub async fn connect(settings: &DatabaseSettings, schema: &str) -> anyhow::Result<PgPool> {
    let options = PgConnectOptions::from_str(settings.url.expose_secret())?
        .options([("search_path", schema)])
        .application_name(&format!("tongban-{schema}"));
    if settings.create_if_missing {
        create_database_if_missing(&options).await?;
    }
    let pool = PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(Duration::from_millis(settings.acquire_timeout_ms))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_WHEN_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await?;
    Ok(pool)
}

/// A connection idle this long is pinged before it is handed out (a database restarted
/// meanwhile has closed it: the pool opens another instead of failing the request). One in
/// constant use is not: a ping is a round trip, as dear as a short query, and under load it
/// would be paid on every acquire. If such a connection was cut, the statement fails (503)
/// and the pool drops it.
const PING_WHEN_IDLE: Duration = Duration::from_secs(1);

/// Creates the configured database if it is missing and creation is enabled; fails when the
/// server cannot be reached, so a process does not start half-way.
pub async fn ensure_database(settings: &DatabaseSettings) -> anyhow::Result<()> {
    let options = PgConnectOptions::from_str(settings.url.expose_secret())?;
    if settings.create_if_missing {
        create_database_if_missing(&options).await
    } else {
        options.connect().await?.close().await?;
        Ok(())
    }
}

/// Connects to the server's `postgres` database and creates the target database if absent.
async fn create_database_if_missing(options: &PgConnectOptions) -> anyhow::Result<()> {
    let Some(name) = options.get_database().map(str::to_owned) else {
        return Ok(());
    };
    let mut admin = options.clone().database("postgres").connect().await?;
    let exists: bool =
        sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        // Identifiers cannot be bound; quote it ourselves.
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        match sqlx::query(&format!("create database {quoted}"))
            .execute(&mut admin)
            .await
        {
            Ok(_) => tracing::info!(database = %name, "created database"),
            // 42P04 duplicate_database, 23505 a concurrent create won the race.
            Err(sqlx::Error::Database(err))
                if matches!(err.code().as_deref(), Some("42P04" | "23505")) => {}
            Err(err) => return Err(err.into()),
        }
    }
    admin.close().await?;
    Ok(())
}

/// Creates `schema` and applies `migrators` in order, holding an advisory lock on the schema.
///
/// A service has the bus's migrations (outbox, inbox) and its own; both sets share the schema's
/// `_sqlx_migrations` table, so each is run with `ignore_missing` and their versions must not
/// overlap (the bus uses 1-999, services use timestamps).
pub async fn migrate(pool: &PgPool, schema: &str, migrators: Vec<Migrator>) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    let lock_key = format!("tongban.migrate.{schema}");
    sqlx::query("select pg_advisory_lock(hashtext($1))")
        .bind(&lock_key)
        .execute(&mut *conn)
        .await?;
    let result = apply(&mut conn, schema, migrators).await;
    sqlx::query("select pg_advisory_unlock(hashtext($1))")
        .bind(&lock_key)
        .execute(&mut *conn)
        .await?;
    result
}

async fn apply(
    conn: &mut PgConnection,
    schema: &str,
    migrators: Vec<Migrator>,
) -> anyhow::Result<()> {
    let quoted = format!("\"{}\"", schema.replace('"', "\"\""));
    sqlx::query(&format!("create schema if not exists {quoted}"))
        .execute(&mut *conn)
        .await?;
    for mut migrator in migrators {
        migrator.set_ignore_missing(true);
        migrator.run_direct(&mut *conn).await?;
    }
    tracing::info!(schema, "migrations applied");
    Ok(())
}
