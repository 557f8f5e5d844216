//! What every hall's action on a transfer shares: the working days its answer took, and its
//! end (history, event, commit, the transfer as the caller now sees it).

use chrono::NaiveDate;
use serde_json::Value;
use sqlx::{PgConnection, Postgres, Transaction};

use tongban_bus::aggregate::Entry;
use tongban_events::Event;
use tongban_events::crossregion::v1 as events;
use tongban_kernel::{Error, Now, Principal};

use super::state;
use super::store::{self, Row};
use super::view::{self, Transfer};

/// Working days from sending to `on` in the handling centre, and whether `on` met respond_by.
pub async fn response_time(
    tx: &mut PgConnection,
    row: &Row,
    on: NaiveDate,
) -> Result<(u32, bool), Error> {
    let calendar = tongban_calendar::load(tx, &row.handling_region).await?;
    let days = calendar
        .working_days_between(row.sent_on, on, &[])
        .unwrap_or(0)
        .max(0);
    Ok((days as u32, state::met(row.respond_by, on)))
}

/// Ends `principal`'s action on transfer `row` (as the action left it): `action` with `detail`
/// in its history, the event `event` makes of it published, the transaction committed, and the
/// transfer as the caller now sees it.
pub async fn ended<E: Event>(
    mut tx: Transaction<'_, Postgres>,
    principal: &Principal,
    row: Row,
    now: Now,
    action: &str,
    detail: Value,
    event: impl FnOnce(events::TransferRef) -> E,
) -> Result<Transfer, Error> {
    let event = event(row.reference());
    let entry = Entry::new(now.at, Some(principal.account), action, detail);
    store::record(&mut tx, &row, entry, Some(&event)).await?;
    let transfer = view::find(&mut tx, principal, row.id, now.today).await?;
    tx.commit().await?;
    Ok(transfer)
}
