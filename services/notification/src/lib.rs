//! The notification service: templates, messages and channels (in-app inbox, SMS, e-mail, webhooks) with delivery attempts and receipts.
//!
//! # Layout
//! - [`http`]: the versioned API under `/v1` (the standard probes come from the runtime).
//! - [`domain`]: kinds of message, their typed variables, template checking and rendering
//!   (no I/O).
//! - [`db`]: queries: messages from events, the inbox, templates.
//! - [`events`]: what it consumes (case events; role bindings and item names).
//! - [`delivery`]: the senders: every channel but the inbox, with attempts and back-off.
//! - `migrations/`: the `notification` schema (the outbox and inbox are created by the bus).
//!
//! Publishes to `tongban.notification.v1` through the outbox.

pub mod db;
pub mod delivery;
pub mod domain;
pub mod events;
pub mod http;

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::net::TcpListener;
use tongban_bus::Host;
use tongban_runtime::{CancellationToken, Settings};

/// The service's name, schema and path segment behind the gateway.
pub const NAME: &str = "notification";

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
    let max_age_hours = settings.notification.max_event_age_hours;
    let sending = settings.notification.clone();
    let stop_senders = shutdown.clone();
    Host::run(NAME, settings, migrator(), listener, shutdown, |host| {
        let pacing = delivery::Pacing {
            poll: Duration::from_millis(sending.sender_poll_ms.max(10)),
            batch: 50,
            retry_base: Duration::from_millis(sending.retry_base_ms.max(1)),
            max_attempts: sending.max_attempts.max(1),
        };
        match delivery::Webhook::new(Duration::from_millis(sending.send_timeout_ms)) {
            Ok(webhook) => {
                let channels: Vec<Arc<dyn delivery::Channel>> = vec![Arc::new(webhook)];
                tokio::spawn(delivery::run(
                    host.pool.clone(),
                    channels,
                    pacing,
                    stop_senders,
                ));
            }
            Err(err) => tracing::error!(error = %err, "the webhook sender could not start"),
        }
        let (api, doc) = http::app(AppState {
            pool: host.pool.clone(),
        });
        (api, doc, events::consumers(max_age_hours))
    })
    .await
}

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}
