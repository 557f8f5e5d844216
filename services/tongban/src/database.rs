//! Reaching a service's schema from the CLI and the all-in-one process: one connect-and-migrate
//! for everything that writes a service's tables without the service running (`tongban migrate`,
//! `tongban admin`, `tongban catalogue`, the notification account `tongban up` provisions).

use std::time::Duration;

use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use tongban_runtime::config::SERVICES;
use tongban_runtime::{Settings, db};

/// A pool on `service`'s schema with the bus's migrations and `migrator` (the service's own)
/// applied: what the service itself would find when it starts.
pub async fn migrated(
    settings: &Settings,
    service: &str,
    migrator: Migrator,
) -> anyhow::Result<PgPool> {
    let pool = db::connect(&settings.database, service).await?;
    db::migrate(&pool, service, vec![tongban_bus::migrator(), migrator]).await?;
    Ok(pool)
}

/// One connection to the database, as the operator's tools need it: no schema, no migrations,
/// and an answer within five seconds when the database is not there (`tongban doctor`,
/// `tongban outbox replay`).
pub async fn probe(settings: &Settings) -> anyhow::Result<PgPool> {
    use std::str::FromStr;
    let options = PgConnectOptions::from_str(settings.database.url.expose_secret())?
        .application_name("tongban-doctor");
    Ok(PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await?)
}

/// Each service's own migrations, by service name.
pub fn migrators() -> Vec<(&'static str, Migrator)> {
    vec![
        (tongban_identity::NAME, tongban_identity::migrator()),
        (tongban_catalogue::NAME, tongban_catalogue::migrator()),
        (tongban_acceptance::NAME, tongban_acceptance::migrator()),
        (tongban_approval::NAME, tongban_approval::migrator()),
        (tongban_notification::NAME, tongban_notification::migrator()),
        (tongban_crossregion::NAME, tongban_crossregion::migrator()),
        (tongban_insight::NAME, tongban_insight::migrator()),
        (tongban_hall::NAME, tongban_hall::migrator()),
    ]
}

/// The pages' own migrations (the console's and the online hall's sessions): no outbox or
/// inbox of the bus.
pub fn page_migrators() -> Vec<(&'static str, Migrator)> {
    vec![
        (tongban_console::NAME, tongban_console::migrator()),
        (tongban_portal::NAME, tongban_portal::migrator()),
    ]
}

/// Applies the bus's and each service's migrations, then the pages', reporting progress
/// through `progress`.
pub async fn migrate_all(
    settings: &Settings,
    mut progress: impl FnMut(&str),
) -> anyhow::Result<()> {
    debug_assert_eq!(migrators().len(), SERVICES.len());
    for (name, migrator) in migrators() {
        progress(name);
        migrated(settings, name, migrator).await?.close().await;
    }
    for (name, migrator) in page_migrators() {
        progress(name);
        let pool = db::connect(&settings.database, name).await?;
        db::migrate(&pool, name, vec![migrator]).await?;
        pool.close().await;
    }
    Ok(())
}
