//! The approval service (后台分类审批): the competent department decides each accepted case
//! within its time limit.
//!
//! # Layout
//! - [`http`]: the versioned API under `/v1`.
//! - [`events`]: what it consumes (the catalogue's departments, into a local directory).
//! - `migrations/`: the `approval` schema.
//!
//! Publishes to `tongban.approval.v1` through the outbox.

pub mod events;
pub mod http;

use std::sync::Arc;

use sqlx::PgPool;
use tokio::net::TcpListener;
use tongban_bus::Host;
use tongban_runtime::{CancellationToken, Settings};

/// The service's name, schema and path segment behind the gateway.
pub const NAME: &str = "approval";

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
        (api, doc, events::consumers())
    })
    .await
}

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}
