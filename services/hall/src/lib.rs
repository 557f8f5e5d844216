//! The hall service (大厅): service centres' window groups and windows, queue tickets and
//! calls (取号、叫号), as the seeds' halls run them (DOMAIN.md "Appointments and queues").
//!
//! # Layout
//! - [`http`]: the versioned API under `/v1` (the standard probes come from the runtime).
//! - [`centre`]: a centre's set-up by its administrator: hours, rules, window groups, windows.
//! - [`booking`]: appointments in slots, holds, check-in, the no-show and reminder timers.
//! - [`queue`]: tickets, the calling order and the green channel, the windows' work, the board.
//! - [`events`]: what it consumes (the catalogue's working-day calendar).
//! - [`config`]: the `[hall]` settings.
//! - `migrations/`: the `hall` schema (the outbox and inbox are created by the bus).
//!
//! Publishes to `tongban.hall.v1` through the outbox.

pub mod app;
pub mod booking;
pub mod centre;
pub mod config;
pub mod events;
pub mod http;
pub mod queue;

use std::sync::Arc;
use std::time::Duration;

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
    let visits = Arc::new(queue::visit::Visits::new(&settings.http)?);
    let config: config::HallSettings = settings.section()?;
    let clock = settings.clock.clone();
    let vault = settings.secrets.vault()?;
    let host = Host::connect(NAME, settings, migrator()).await?;
    let persons = Arc::new(booking::person::PersonKey::load(&host.pool, &vault).await?);
    tokio::spawn(booking::sweep::run(
        host.pool.clone(),
        Duration::from_secs(config.sweep_secs.max(1)),
        clock.clone(),
        shutdown.clone(),
    ));
    let feed = queue::feed::Feed::default();
    tokio::spawn(queue::feed::listen(
        host.pool.clone(),
        feed.clone(),
        clock.clone(),
        shutdown.clone(),
    ));
    let (api, doc) = http::app(AppState {
        pool: host.pool.clone(),
        regions,
        clock,
        persons,
        visits,
        feed,
    });
    host.serve(listener, api, doc, events::consumers(), shutdown)
        .await
}

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}
