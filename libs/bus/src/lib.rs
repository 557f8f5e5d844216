//! The event backbone: how services publish and consume events over Kafka without losing or
//! double-applying any.
//!
//! # Layout
//! - [`kafka`]: client configuration, the idempotent producer, topic creation, broker readiness.
//! - [`outbox`]: [`outbox::enqueue`] writes an event in the caller's transaction.
//! - [`aggregate`]: an aggregate's history row and its event, the same way for every aggregate.
//! - [`relay`]: publishes outbox rows (LISTEN/NOTIFY wake-up, polling fallback, one leader per
//!   schema), in order, pipelined, `acks=all`.
//! - [`consumer`]: consumes with manual offset storage after an inbox-deduplicated transaction;
//!   malformed or unknown events go to the dead-letter topic with the reason.
//! - [`envelope`]: CloudEvents binary-mode headers, written and parsed in one place.
//! - [`error`]: [`HandleError`], permanent (dead-letter it) or transient (retry).
//! - [`field`]: an event's fields read for a handler (a malformed one is a permanent error).
//! - [`host`]: a service's life: database, migrations, relay, consumers, HTTP, orderly shutdown.

pub mod aggregate;
pub mod consumer;
pub mod envelope;
pub mod error;
pub mod field;
pub mod host;
pub mod kafka;
pub mod outbox;
pub mod relay;

pub use consumer::{ConsumerSpec, Consumes, On};
pub use envelope::Delivered;
pub use error::HandleError;
pub use host::Host;

/// The bus's migrations (outbox, inbox), applied in each service's schema before its own.
pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}
