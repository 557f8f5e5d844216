//! The crossregion service (跨域通办): 通办 agreements between regions, transfers from the
//! receiving to the handling region, material hand-over, postal legs and joint handling.
//!
//! # Layout
//! - [`http`]: the versioned API under `/v1` (the standard probes come from the runtime).
//! - [`domain`]: the modes, an agreement's reach, coverage of a receiving region (no I/O).
//! - [`db`]: queries: agreements.
//! - [`events`]: what it consumes (the catalogue's items in force).
//! - `migrations/`: the `crossregion` schema (the outbox and inbox are created by the bus).
//!
//! Publishes to `tongban.crossregion.v1` through the outbox.

pub mod db;
pub mod domain;
pub mod events;
pub mod http;

use std::sync::Arc;

use sqlx::PgPool;
use tokio::net::TcpListener;
use tongban_bus::Host;
use tongban_runtime::regions::RegionDirectory;
use tongban_runtime::{CancellationToken, Clock, Settings};

/// The service's name, schema and path segment behind the gateway.
pub const NAME: &str = "crossregion";

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// The catalogue's division tree: agreements name real regions, and coverage follows the
    /// stored parents.
    pub regions: Arc<RegionDirectory>,
    pub clock: Clock,
}

/// Runs the service until `shutdown`.
pub async fn run(
    settings: Arc<Settings>,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let catalogue = settings
        .http
        .upstreams
        .get("catalogue")
        .cloned()
        .unwrap_or_default();
    let clock = settings.clock.clone();
    Host::run(NAME, settings, migrator(), listener, shutdown, |host| {
        let (api, doc) = http::app(AppState {
            pool: host.pool.clone(),
            regions: Arc::new(RegionDirectory::new(catalogue)),
            clock,
        });
        (api, doc, events::consumers())
    })
    .await
}

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}
