//! A transferred case's work item and the crossregion service's answer to its transfer: taken
//! over, its steps may be worked; sent back, it leaves the queue ('returned').

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_kernel::Error;

use super::state::{self, Action, TransferState, WorkItemState};
use super::store;

/// The crossregion service's answer to round `round` of a case's transfer: kept, and applied
/// to the work item when it is there for that round (else when it arrives, by
/// [`super::open::accept`]).
pub async fn answer_transfer(
    tx: &mut PgConnection,
    case_id: Uuid,
    round: i32,
    accepted: bool,
    reason: &str,
    by: Option<Uuid>,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query(
        "insert into transfer_responses (case_id, round, accepted, reason, responded_by, responded_at)
         values ($1, $2, $3, $4, $5, $6) on conflict do nothing",
    )
    .bind(case_id)
    .bind(round)
    .bind(accepted)
    .bind(reason)
    .bind(by)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    transfer_answered(tx, case_id).await
}

/// The answer to a work item's transfer round, with the state the work item is in.
type Answer = (bool, String, Option<Uuid>, DateTime<Utc>, WorkItemState);

/// Applies the answer to the work item's current transfer round, if there is one: accepted,
/// its steps may be worked; rejected, it leaves the queue ('returned').
pub async fn transfer_answered(tx: &mut PgConnection, case_id: Uuid) -> Result<(), Error> {
    let answer: Option<Answer> = sqlx::query_as(
        "select r.accepted, r.reason, r.responded_by, r.responded_at, w.state
         from work_items w join transfer_responses r
             on r.case_id = w.case_id and r.round = w.transfer_round
         where w.case_id = $1 and w.transfer = $2 and w.state = any($3)
         for update of w",
    )
    .bind(case_id)
    .bind(TransferState::Pending)
    .bind(
        &[
            WorkItemState::AwaitingItem,
            WorkItemState::InProgress,
            WorkItemState::Paused,
        ][..],
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some((accepted, reason, by, at, from)) = answer else {
        return Ok(());
    };
    if accepted {
        store::transfer_accepted(tx, case_id).await?;
        store::record(tx, case_id, at, by, "transfer_accepted", None, json!({})).await?;
    } else {
        let to = state::transition(from, Action::RejectTransfer)?;
        store::transfer_returned(tx, case_id, to, &reason).await?;
        store::record(
            tx,
            case_id,
            at,
            by,
            "transfer_rejected",
            None,
            json!({ "reason": reason }),
        )
        .await?;
    }
    Ok(())
}
