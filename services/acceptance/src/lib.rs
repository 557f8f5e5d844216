//! The acceptance service: the front office (前台综合受理): applications, materials, case numbers, pre-check and acceptance decisions, delivery of results and ratings.
//!
//! # Layout
//! - [`http`]: the versioned API under `/v1` (the standard probes come from the runtime).
//! - [`case`]: the case aggregate: its states and transitions, store, views and use cases.
//! - [`domain`]: the material check and how regions share a case (no I/O).
//! - [`rating`], [`remediation`], [`satisfaction`]: ratings (好差评), the remediation of bad
//!   ones (差评整改) and the satisfaction statistics; each reads a case one way, through
//!   [`case::rated`].
//! - [`documents`]: the printable documents (受理通知书, 一次性告知书, 不予受理通知书,
//!   补正材料收取凭证).
//! - [`db`]: the catalogue projection and the case-number counter.
//! - [`events`]: what it consumes (the catalogue's items, bundles and calendar; approval's
//!   progress and conclusions; crossregion's agreements and transfers).
//! - `migrations/`: the `acceptance` schema (the outbox and inbox are created by the bus).
//!
//! Publishes to `tongban.acceptance.v1` through the outbox.

mod app;
pub mod case;
pub mod config;
pub mod db;
pub mod documents;
pub mod domain;
pub mod events;
pub mod http;
pub mod rating;
pub mod remediation;
pub mod satisfaction;

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::net::TcpListener;
use tongban_bus::Host;
use tongban_runtime::regions::RegionDirectory;
use tongban_runtime::{CancellationToken, Settings};

pub use app::AppState;

/// The service's name, schema and path segment behind the gateway.
pub const NAME: &str = "acceptance";

/// Runs the service until `shutdown`.
pub async fn run(
    settings: Arc<Settings>,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let regions = Arc::new(RegionDirectory::new(&settings.http));
    let config: config::AcceptanceSettings = settings.section()?;
    let sweep = Duration::from_secs(config.overdue_sweep_secs.max(1));
    let stop_sweeping = shutdown.clone();
    let clock = settings.clock.clone();
    let acceptance = Arc::new(config);
    let vault = settings.secrets.vault()?;
    let http_settings = settings.http.clone();
    let host = Host::connect(NAME, settings.clone(), migrator()).await?;
    tongban_audit::head::keep_publishing(
        &settings,
        host.pool.clone(),
        &vault,
        NAME,
        shutdown.clone(),
    )?;
    let passwords = Arc::new(case::password::QueryPasswords::load(&host.pool, &vault).await?);
    case::password::hash_stored_passwords(&host.pool, &passwords).await?;
    let identities =
        Arc::new(case::applicant::Identities::load(&host.pool, vault, &http_settings).await?);
    tokio::spawn(sweep_overdue(
        host.pool.clone(),
        sweep,
        clock.clone(),
        stop_sweeping,
    ));
    let (api, doc) = http::app(AppState {
        pool: host.pool.clone(),
        reads: db::reads::beside(&host.pool),
        numbers: db::numbers::CaseNumbers::beside(&host.pool),
        regions,
        clock,
        settings: acceptance,
        passwords,
        identities,
    });
    host.serve(listener, api, doc, events::consumers(), shutdown)
        .await
}

/// Flags 容缺 materials and remediations past their deadline (and folds the inbox's kept
/// counts, and forgets the case lookup limits whose window passed) every `interval` until `shutdown`, on `clock`'s time (a durable
/// timer: the deadlines are rows, so a restart loses nothing).
async fn sweep_overdue(
    pool: PgPool,
    interval: Duration,
    clock: tongban_runtime::Clock,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
        let now = clock.now();
        let today = case::local_today(now);
        match case::overdue::flag_overdue(&pool, today).await {
            Ok(0) => {}
            Ok(flagged) => tracing::info!(flagged, "容缺 materials past their deadline flagged"),
            Err(err) => tracing::warn!(error = %err, "the overdue sweep failed; it runs again"),
        }
        if let Err(err) = case::hall::fold_tallies(&pool).await {
            tracing::warn!(error = %err, "folding the inbox's counts failed; it runs again");
        }
        if let Err(err) = case::lookup::forget_passed_windows(&pool, now).await {
            tracing::warn!(error = %err, "forgetting passed lookup windows failed; it runs again");
        }
        match remediation::overdue::flag_overdue(&pool, today, now).await {
            Ok(0) => {}
            Ok(flagged) => tracing::info!(flagged, "remediations past their deadline escalated"),
            Err(err) => tracing::warn!(error = %err, "the remediation sweep failed; it runs again"),
        }
    }
}

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}
