//! The approval service (后台分类审批): the competent department decides each accepted case
//! within its time limit.
//!
//! # Layout
//! - [`work_item`]: the work item (办件): its states and transition table, its store (the only
//!   writer of its state, history and events), one file per use case and their routes.
//! - [`certificate`]: e-certificates: sealed at an approval, verified by anyone, revoked.
//! - [`http`]: the versioned API under `/v1`: merges the routes; statistics.
//! - [`clock`]: the statutory clock: pauses, extensions, due dates, warning and escalation
//!   timers, and their routes.
//! - [`domain`]: written texts, without I/O.
//! - [`db`]: queries: 一件事 applications, statistics.
//! - [`app`]: the state every handler shares; [`scope`]: what staff see.
//! - [`events`]: what it consumes (the catalogue's departments, items and calendar; accepted
//!   cases).
//! - `migrations/`: the `approval` schema.
//!
//! Publishes to `tongban.approval.v1` through the outbox.

pub mod app;
pub mod certificate;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod events;
pub mod http;
pub mod scope;
pub mod work_item;

pub use app::AppState;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tongban_bus::Host;
use tongban_runtime::{CancellationToken, Settings};

/// The service's name, schema and path segment behind the gateway.
pub const NAME: &str = "approval";

/// Runs the service until `shutdown`.
pub async fn run(
    settings: Arc<Settings>,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let config: config::ApprovalSettings = settings.section()?;
    let every = Duration::from_secs(config.timer_sweep_secs.max(1));
    let warning_days = config.warning_working_days;
    let clock = settings.clock.clone();
    let stop_timers = shutdown.clone();
    let vault = settings.secrets.vault()?;
    let host = Host::connect(NAME, settings.clone(), migrator()).await?;
    certificate::seal::seal_plaintext(&host.pool, &vault).await?;
    tongban_audit::head::keep_publishing(
        &settings,
        host.pool.clone(),
        &vault,
        NAME,
        shutdown.clone(),
    )?;
    let state = AppState {
        pool: host.pool.clone(),
        clock: clock.clone(),
        warning_days,
        vault,
        public_url: config.public_url.trim().trim_end_matches('/').to_owned(),
    };
    tokio::spawn(run_timers(state.clone(), every, stop_timers));
    let (api, doc) = http::app(state);
    host.serve(
        listener,
        api,
        doc,
        events::consumers(warning_days, clock),
        shutdown,
    )
    .await
}

/// Raises the yellow warnings and red escalations that are due, every `every`, until
/// `shutdown`. The timers are rows: a restart loses none and raises none twice.
async fn run_timers(state: AppState, every: Duration, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        let now = state.now();
        match clock::timers::sweep(&state.pool, now.today, now.at).await {
            Ok(raised) if raised == clock::timers::Raised::default() => {}
            Ok(raised) => tracing::info!(
                warnings = raised.warnings,
                escalations = raised.escalations,
                "time-limit timers raised"
            ),
            Err(err) => tracing::warn!(error = %err, "the timer sweep failed; it runs again"),
        }
    }
}

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}
