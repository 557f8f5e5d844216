//! A rating changed to one no longer bad withdraws its open remediation.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_kernel::Error;

use super::state::{Action, next};
use super::store;

/// Withdraws the remediation `id` if it is still open; a closed one stays as it ended.
pub async fn withdraw(tx: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> Result<(), Error> {
    let found = store::lock(tx, id).await?;
    if let Some(outcome) = next(found.state, Action::Withdraw) {
        let note = "the rater changed the rating";
        store::close(
            tx,
            &found,
            outcome,
            None,
            note,
            json!({ "note": note }),
            now,
        )
        .await?;
    }
    Ok(())
}
