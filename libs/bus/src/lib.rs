//! The event backbone: how services publish and consume events over Kafka without losing or
//! double-applying any.
//!
//! # Layout
//! - [`kafka`]: client configuration, the idempotent producer, topic creation, broker readiness.
//! - [`outbox`]: [`outbox::enqueue`] writes an event in the caller's transaction.
//! - [`relay`]: publishes outbox rows (LISTEN/NOTIFY wake-up, polling fallback, one leader per
//!   schema), in order, pipelined, `acks=all`.
//! - [`consumer`]: consumes with manual offset storage after an inbox-deduplicated transaction;
//!   malformed or unknown events go to the dead-letter topic with the reason.
//! - [`envelope`]: CloudEvents binary-mode headers, written and parsed in one place.
//! - [`field`]: an event's fields read for a handler (a malformed one is a permanent error).
//! - [`calendar`]: the working-day calendar kept from the catalogue's events, for services that
//!   compute due dates.
//! - [`host`]: a service's life: database, migrations, relay, consumers, HTTP, orderly shutdown.

pub mod calendar;
pub mod consumer;
pub mod envelope;
pub mod field;
pub mod host;
pub mod kafka;
pub mod outbox;
pub mod relay;

pub use consumer::{ConsumerSpec, HandleError, Handler};
pub use envelope::Delivered;
pub use host::Host;

/// The bus's migrations (outbox, inbox), applied in each service's schema before its own.
pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}
