//! The insight service: the statistics the halls report upward (办件量, 按期办结率, 办理时长,
//! 跑动次数, 跨域办件, 好评率) and the halls' queues and bookings (取号、叫号、预约: tickets, waits,
//! no-shows), kept from the event streams of every service and rolled up province → city →
//! county → town, for the supervisors in scope; and their dashboard.
//!
//! A service of its own rather than a module of acceptance or approval: it reads every case
//! topic and no service's tables, so it can fall behind, be rebuilt from the topics or be
//! scaled apart without touching the services that take and decide cases, and a heavy
//! province-wide question never competes with a window clerk's request for their database
//! connections.
//!
//! # Layout
//! - [`app`]: the state every handler shares ([`AppState`]).
//! - [`http`]: `/v1/statistics`, `/v1/statistics/cross-region`, `/v1/statistics/halls`,
//!   `/v1/feed`, and the dashboard under `/dashboard/`.
//! - [`db`]: the facts the events give (order-independent writes), the aggregates, the feed.
//! - [`events`]: the handlers of the catalogue's, acceptance's, approval's, crossregion's and
//!   the hall's events.
//! - `migrations/`: the `insight` schema (the inbox is created by the bus; nothing is
//!   published, so the outbox stays empty).
//!
//! The consumer group is `tongban.insight.<feed id>.g<generation>`, the id new with the schema
//! and with every rebuild: `tongban insight rebuild` empties the tables and moves to the next
//! generation ([`db::feed::rebuild`]); the running service sees it within [`GENERATION_POLL`]
//! and reads every topic again from the start in the new group.

pub mod app;
pub mod config;
pub mod db;
pub mod events;
pub mod http;

pub use app::AppState;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tongban_bus::Host;
use tongban_bus::consumer::Consumer;
use tongban_runtime::{CancellationToken, Settings};

/// The service's name, schema and path segment behind the gateway.
pub const NAME: &str = "insight";

/// How often the service looks for a rebuild asked for by an operator.
pub const GENERATION_POLL: Duration = Duration::from_secs(1);

/// Runs the service until `shutdown`.
pub async fn run(
    settings: Arc<Settings>,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let host = Host::connect(NAME, settings.clone(), migrator()).await?;
    let state = AppState {
        pool: host.pool.clone(),
        clock: settings.clock.clone(),
    };
    let (api, doc) = http::app(state);
    // The consumer runs beside the host (not as its consumer): its group changes on a rebuild.
    let feeder = tokio::spawn(feed(host.clone(), shutdown.clone()));
    let served = host.serve(listener, api, doc, Vec::new(), shutdown).await;
    let _ = feeder.await;
    served
}

/// Feeds the statistics from the topics in the current generation's consumer group, and
/// starts over in the next one when a rebuild moves it.
async fn feed(host: Host, shutdown: CancellationToken) {
    let batch = match host.settings.section::<config::InsightSettings>() {
        Ok(config) => config.consumer_batch,
        Err(err) => {
            tracing::error!(error = %err, "the insight section is invalid; the statistics are not fed");
            return;
        }
    };
    loop {
        let feed = loop {
            match db::feed::current(&host.pool).await {
                Ok(feed) => break feed,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot read the feed's generation; retrying");
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = tokio::time::sleep(GENERATION_POLL) => {}
                    }
                }
            }
        };
        let consumer = match Consumer::in_group(
            NAME,
            feed.group(),
            batch,
            events::consumers(),
            host.pool.clone(),
            &host.settings.kafka,
            host.producer.clone(),
        ) {
            Ok(consumer) => consumer,
            Err(err) => {
                tracing::error!(error = %err, "cannot create the insight consumer; retrying");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(GENERATION_POLL * 5) => continue,
                }
            }
        };
        let stop = shutdown.child_token();
        let consuming = tokio::spawn(consumer.run(stop.clone()));
        loop {
            tokio::select! {
                () = shutdown.cancelled() => {
                    let _ = consuming.await;
                    return;
                }
                () = tokio::time::sleep(GENERATION_POLL) => {}
            }
            match db::feed::current(&host.pool).await {
                Ok(now) if now.group() != feed.group() => {
                    tracing::info!(
                        from = feed.generation,
                        to = now.generation,
                        "statistics rebuilt: reading every topic again from the start"
                    );
                    stop.cancel();
                    let _ = consuming.await;
                    break;
                }
                _ => {}
            }
        }
    }
}

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}
