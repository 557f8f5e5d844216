//! Databases, schemas and migrations against a real PostgreSQL (`DATABASE_URL`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sqlx::{ConnectOptions, Connection};
use tongban_runtime::{Settings, db};

fn sample() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./tests/migrations")
}

/// Settings pointing at a database that does not exist yet.
fn fresh_settings(tag: &str) -> (Settings, String) {
    let mut settings = Settings::load(None).unwrap();
    let nanos = tongban_kernel::Clock::system()
        .now()
        .timestamp_nanos_opt()
        .unwrap();
    let name = format!("tongban_rt_{tag}_{}_{nanos}", std::process::id());
    let mut url = url::Url::parse(settings.database_url()).unwrap();
    url.set_path(&name);
    settings.database.url = url.to_string().into();
    (settings, name)
}

async fn drop_database(settings: &Settings, name: &str) {
    let options: sqlx::postgres::PgConnectOptions = settings.database_url().parse().unwrap();
    let mut admin = options.database("postgres").connect().await.unwrap();
    sqlx::query(&format!("drop database if exists \"{name}\" with (force)"))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
}

#[tokio::test]
async fn concurrent_starts_create_the_database_and_migrate_once() {
    // Arrange: two "pods" of one service start at the same moment on a missing database.
    let (settings, name) = fresh_settings("migrate");

    // Act
    let (a, b) = tokio::join!(
        db::connect(&settings.database, "sample"),
        db::connect(&settings.database, "sample")
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let (ra, rb) = tokio::join!(
        db::migrate(&a, "sample", vec![sample()]),
        db::migrate(&b, "sample", vec![sample()])
    );

    // Assert: both succeed, the migration is recorded once, in the service's own schema.
    ra.unwrap();
    rb.unwrap();
    let applied: i64 = sqlx::query_scalar("select count(*) from sample._sqlx_migrations")
        .fetch_one(&a)
        .await
        .unwrap();
    assert_eq!(applied, 1);
    // Unqualified names resolve in the service's schema.
    sqlx::query("insert into things (id, name) values (1, 'x')")
        .execute(&b)
        .await
        .unwrap();
    let count: i64 = sqlx::query_scalar("select count(*) from sample.things")
        .fetch_one(&a)
        .await
        .unwrap();
    assert_eq!(count, 1);

    a.close().await;
    b.close().await;
    drop_database(&settings, &name).await;
}

#[tokio::test]
async fn a_service_pool_does_not_see_another_schema_unqualified() {
    let (settings, name) = fresh_settings("confine");
    let owner = db::connect(&settings.database, "owner").await.unwrap();
    db::migrate(&owner, "owner", vec![sample()]).await.unwrap();
    let other = db::connect(&settings.database, "other").await.unwrap();
    db::migrate(&other, "other", vec![]).await.unwrap();

    let err = sqlx::query("select count(*) from things")
        .fetch_one(&other)
        .await
        .unwrap_err();

    let code = err
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned());
    assert_eq!(code.as_deref(), Some("42P01"), "undefined_table, got {err}");
    owner.close().await;
    other.close().await;
    drop_database(&settings, &name).await;
}

#[tokio::test]
async fn an_unreachable_server_is_an_error_not_a_hang() {
    let mut settings = Settings::load(None).unwrap();
    settings.database.url = "postgres://postgres@127.0.0.1:1/tongban".to_owned().into();
    let started = std::time::Instant::now();
    assert!(db::ensure_database(&settings.database).await.is_err());
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}
