//! The catalogue service: the single source of truth every hall shares (同一事项、同一标准、
//! 同一编码) — regions, departments, service items, calendars.
//!
//! # Layout
//! - [`http`]: the versioned API under `/v1`, one module per resource with its own router.
//! - [`db`]: queries, next to the functions that run them.
//! - [`regions`]: the administrative divisions shipped in `data/regions` (NBS 2023).
//! - `migrations/`: the `catalogue` schema.
//!
//! Publishes to `tongban.catalogue.v1` through the outbox. Consumes the crossregion service's
//! 通办 agreements (`tongban_agreements`), so a search by region finds what they let a hall
//! collect.

pub mod actor;
mod app;
pub mod config;
pub mod db;
pub mod domain;
pub mod http;
pub mod regions;

use std::sync::Arc;

use tokio::net::TcpListener;
use tongban_bus::Host;
use tongban_runtime::{CancellationToken, Settings};

pub use app::AppState;

/// The service's name, schema and path segment behind the gateway.
pub const NAME: &str = "catalogue";

/// Runs the service until `shutdown`.
pub async fn run(
    settings: Arc<Settings>,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let clock = settings.clock.clone();
    let host = Host::connect(NAME, settings.clone(), migrator()).await?;
    let config: config::CatalogueSettings = settings.section()?;
    if config.import_regions_on_start && db::regions::count(&host.pool).await? == 0 {
        let loaded = db::regions::import(&host.pool, |level, rows| {
            tracing::info!(level, rows, "regions loaded");
        })
        .await?;
        tracing::info!(
            regions = loaded,
            "administrative divisions loaded (NBS 2023)"
        );
    }
    let years = db::calendar::load_shipped_if_empty(&host.pool).await?;
    if years > 0 {
        tracing::info!(
            years,
            "national working-day calendar loaded (State Council notices)"
        );
    }
    let (api, doc) = http::app(AppState {
        pool: host.pool.clone(),
        clock,
    });
    let consumers = vec![tongban_agreements::consumer()];
    host.serve(listener, api, doc, consumers, shutdown).await
}

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}
