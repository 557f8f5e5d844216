//! The acceptance service: the front office (前台综合受理): applications, materials, case numbers, pre-check and acceptance decisions, delivery of results and ratings.
//!
//! # Layout
//! - [`http`]: the versioned API under `/v1` (the standard probes come from the runtime).
//! - [`domain`]: case states and transitions, the material check (no I/O).
//! - [`db`]: queries: the catalogue projection and the cases.
//! - [`events`]: what it consumes (the catalogue's items, bundles and calendar).
//! - `migrations/`: the `acceptance` schema (the outbox and inbox are created by the bus).
//!
//! Publishes to `tongban.acceptance.v1` through the outbox.

pub mod db;
pub mod domain;
pub mod events;
pub mod http;

use std::sync::Arc;

use sqlx::PgPool;
use tokio::net::TcpListener;
use tongban_bus::Host;
use tongban_runtime::{CancellationToken, Settings};

/// The service's name, schema and path segment behind the gateway.
pub const NAME: &str = "acceptance";

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// The catalogue's division tree: where a window case is received, and what lies above it.
    pub regions: Arc<tongban_runtime::regions::RegionDirectory>,
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
    Host::run(NAME, settings, migrator(), listener, shutdown, |host| {
        let (api, doc) = http::app(AppState {
            pool: host.pool.clone(),
            regions: Arc::new(tongban_runtime::regions::RegionDirectory::new(catalogue)),
        });
        (api, doc, events::consumers())
    })
    .await
}

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}
