//! The crossregion service (跨域通办): 通办 agreements between regions, transfers from the
//! receiving to the handling region, material hand-over, postal legs and joint handling.
//!
//! # Layout
//! - [`http`]: the versioned API under `/v1` (the standard probes come from the runtime).
//! - [`agreement`]: 通办 agreements, one folder: states and rules, parties, the store, one file
//!   per use case, routes.
//! - [`transfer`]: cases handed over between regions, one folder: states and rules, the store,
//!   one file per use case, routes and consumed events.
//! - [`events`]: what it consumes (the catalogue's items in force and calendar; accepted,
//!   concluded and delivered cases).
//! - `migrations/`: the `crossregion` schema (the outbox and inbox are created by the bus).
//!
//! Publishes to `tongban.crossregion.v1` through the outbox.

pub mod agreement;
pub mod app;
pub mod config;
pub mod events;
pub mod http;
pub mod transfer;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tongban_bus::Host;
use tongban_runtime::regions::RegionDirectory;
use tongban_runtime::{CancellationToken, Settings};

pub use app::AppState;

/// The service's name, schema and path segment behind the gateway.
pub const NAME: &str = "crossregion";

/// Runs the service until `shutdown`.
pub async fn run(
    settings: Arc<Settings>,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let regions = Arc::new(RegionDirectory::new(&settings.http));
    let clock = settings.clock.clone();
    let hand_overs: config::CrossregionSettings = settings.section()?;
    let stop_timers = shutdown.clone();
    Host::run(NAME, settings, migrator(), listener, shutdown, |host| {
        let state = AppState {
            pool: host.pool.clone(),
            regions,
            clock,
        };
        tokio::spawn(run_timers(
            state.clone(),
            Duration::from_secs(hand_overs.timer_sweep_secs.max(1)),
            stop_timers,
        ));
        let (api, doc) = http::app(state);
        (
            api,
            doc,
            events::consumers(
                hand_overs.response_working_days,
                hand_overs.delivery_working_days,
            ),
        )
    })
    .await
}

/// Escalates missed hand-over deadlines every `every`, until `shutdown`. The deadlines are
/// rows: a restart loses none and escalates none twice.
async fn run_timers(state: AppState, every: Duration, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        let now = state.clock.moment();
        match transfer::escalate::sweep(&state.pool, now.today, now.at).await {
            Ok(0) => {}
            Ok(raised) => tracing::info!(raised, "missed hand-over deadlines escalated"),
            Err(err) => tracing::warn!(error = %err, "the hand-over sweep failed; it runs again"),
        }
    }
}

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}
