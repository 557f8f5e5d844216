//! Approval concluded a transferred case: the result is handed back to the receiving side, to
//! be delivered within `delivery_days` working days of the receiving centre.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::aggregate::Entry;
use tongban_events::crossregion::v1 as events;
use tongban_kernel::Error;

use super::open::deadline;
use super::state::TransferState;
use super::store::{self, Change};

/// Returns whether a transfer moved (a case that was not transferred moves none).
pub async fn concluded(
    tx: &mut PgConnection,
    case_id: Uuid,
    decision: &str,
    at: DateTime<Utc>,
    delivery_days: u32,
) -> Result<bool, Error> {
    let Some(row) = store::of_case(tx, case_id, TransferState::Accepted).await? else {
        return Ok(false);
    };
    let on = tongban_runtime::clock::local_date(at);
    let deliver_by = deadline(tx, &row.receiving_region, on, delivery_days).await?;
    let change = Change::Returned {
        decision,
        at,
        deliver_by,
    };
    let row = store::apply(tx, &row, change).await?;
    let event = events::ResultReturned {
        transfer: Some(row.reference()),
        decision: decision.to_owned(),
        concluded_at: Some(tongban_events::timestamp(at)),
        deliver_by: deliver_by.to_string(),
    };
    let detail = json!({ "decision": decision, "deliver_by": deliver_by });
    let entry = Entry::new(at, None, "result_returned", detail);
    store::record(tx, &row, entry, Some(&event)).await?;
    Ok(true)
}
