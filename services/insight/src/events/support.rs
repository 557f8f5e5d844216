//! What the event handlers share, apart from `events/mod.rs` so that a handler never imports
//! its parent module.

use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError};

use crate::db::feed;

/// The China local date (UTC+8) of an instant: the statistics count by the halls' days.
pub(crate) fn day(at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    tongban_runtime::clock::local_date(at)
}

/// A message field that must be present.
pub(crate) fn required<'a, T>(what: &str, value: Option<&'a T>) -> Result<&'a T, HandleError> {
    value.ok_or_else(|| HandleError::Permanent(format!("an event without its {what}")))
}

/// Moves the freshness mark to `event`'s time when it is newer: every handler ends with it.
pub(crate) async fn seen(tx: &mut PgConnection, event: &Delivered) -> Result<(), HandleError> {
    feed::seen(tx, event.attributes.time).await?;
    Ok(())
}
