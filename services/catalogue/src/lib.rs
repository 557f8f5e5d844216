//! The catalogue service: the single source of truth every hall shares (同一事项、同一标准、
//! 同一编码) — regions, departments, service items, calendars.
//!
//! # Layout
//! - [`http`]: the versioned API under `/v1`, one module per resource with its own router.
//! - [`db`]: queries, next to the functions that run them.
//! - `migrations/`: the `catalogue` schema.
//!
//! Publishes to `tongban.catalogue.v1` through the outbox.

pub mod db;
pub mod http;

use std::sync::Arc;

use sqlx::PgPool;
use tokio::net::TcpListener;
use tongban_bus::Host;
use tongban_runtime::{CancellationToken, Settings};

/// The service's name, schema and path segment behind the gateway.
pub const NAME: &str = "catalogue";

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
}

/// Runs the service until `shutdown`.
pub async fn run(
    settings: Arc<Settings>,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    Host::run(NAME, settings, migrator(), listener, shutdown, |host| {
        let (api, doc) = http::app(AppState {
            pool: host.pool.clone(),
        });
        (api, doc, Vec::new())
    })
    .await
}

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}
