//! A transferred case's work item and the crossregion service's answer to its transfer: taken
//! over, its steps may be worked; sent back, it leaves the queue ('returned').

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_kernel::Error;

use super::state::{TransferState, WorkItemState};
use super::store::{self, COLUMNS, Change, Entry, Row};

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

/// The answer to a work item's transfer round, with the work item as it stands.
#[derive(sqlx::FromRow)]
struct Answer {
    answer_accepted: bool,
    answer_reason: String,
    answered_by: Option<Uuid>,
    answered_at: DateTime<Utc>,
    #[sqlx(flatten)]
    work: Row,
}

/// Applies the answer to the work item's current transfer round, if there is one: accepted,
/// its steps may be worked; rejected, it leaves the queue ('returned').
pub async fn transfer_answered(tx: &mut PgConnection, case_id: Uuid) -> Result<(), Error> {
    let answer: Option<Answer> = sqlx::query_as(&format!(
        "select r.accepted as answer_accepted, r.reason as answer_reason,
             r.responded_by as answered_by, r.responded_at as answered_at, {COLUMNS}
         from work_items w join transfer_responses r
             on r.case_id = w.case_id and r.round = w.transfer_round
         where w.case_id = $1 and w.transfer = $2 and w.state = any($3)
         for update of w"
    ))
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
    let Some(answer) = answer else {
        return Ok(());
    };
    let entry = |action, detail| Entry {
        at: answer.answered_at,
        actor: answer.answered_by,
        action,
        step: None,
        detail,
    };
    if answer.answer_accepted {
        let row = store::accept_transfer(tx, case_id).await?;
        store::note(tx, &row, entry("transfer_accepted", json!({}))).await?;
    } else {
        let reason = &answer.answer_reason;
        let rejected = Change::TransferRejected { reason };
        let row = store::apply(tx, &answer.work, rejected).await?;
        let detail = json!({ "reason": reason });
        store::note(tx, &row, entry("transfer_rejected", detail)).await?;
    }
    Ok(())
}
