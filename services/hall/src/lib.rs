//! The hall service (大厅): service centres' window groups and windows, queue tickets and
//! calls (取号、叫号), as the seeds' halls run them (DOMAIN.md "Appointments and queues").
//!
//! # Layout
//! - [`http`]: the versioned API under `/v1` (the standard probes come from the runtime).
//! - [`centre`]: a centre's set-up by its administrator: hours, rules, window groups, windows.
//! - [`queue`]: tickets, the calling order and the green channel, the windows' work, the board.
//! - [`events`]: what it consumes (the catalogue's working-day calendar).
//! - `migrations/`: the `hall` schema (the outbox and inbox are created by the bus).
//!
//! Publishes to `tongban.hall.v1` through the outbox.

pub mod app;
pub mod centre;
pub mod events;
pub mod http;
pub mod queue;

use std::sync::Arc;

use tokio::net::TcpListener;
use tongban_bus::Host;
use tongban_runtime::regions::RegionDirectory;
use tongban_runtime::{CancellationToken, Settings};

pub use app::AppState;

/// The service's name, schema and path segment behind the gateway.
pub const NAME: &str = "hall";

/// Runs the service until `shutdown`.
pub async fn run(
    settings: Arc<Settings>,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let regions = Arc::new(RegionDirectory::new(&settings.http));
    let clock = settings.clock.clone();
    Host::run(NAME, settings, migrator(), listener, shutdown, |host| {
        let state = AppState {
            pool: host.pool.clone(),
            regions,
            clock,
        };
        let (api, doc) = http::app(state);
        (api, doc, events::consumers())
    })
    .await
}

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}
