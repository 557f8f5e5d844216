//! Recording an accepted case (acceptance's CaseAccepted) as a work item awaiting its item, with
//! the applicant as the case names them; or starting a returned one afresh for a later
//! transfer round.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::work_item::state::{Action, TransferState, WorkItemState, transition};

/// What opening a work item needs from CaseAccepted.
pub struct Accepted {
    pub case_id: Uuid,
    pub case_number: String,
    pub kind: String,
    pub parent_case_id: Option<Uuid>,
    pub implementation_code: String,
    pub item_version: i32,
    pub handling_region: String,
    pub receiving_region: String,
    pub applicant_id: Option<Uuid>,
    pub applicant_kind: String,
    pub applicant_document_masked: String,
    /// The applicant's name as the case records it ('' when it records none): the work item
    /// and its certificates name the holder.
    pub applicant_name: String,
    /// The real-name level the applicant showed (1-3; 0 when the event does not say).
    pub real_name_level: i16,
    pub accepted_by: Option<Uuid>,
    pub accepted_at: DateTime<Utc>,
    /// For a case transferred from another region's window: its transfer round (1, 2 ...);
    /// 0 when it is not transferred.
    pub transfer_round: i32,
}

/// Inserts an accepted case awaiting its item, or starts a returned one afresh for a later
/// transfer round (a returned work item plans its steps again: its old ones are deleted; the
/// applicant is taken as the new acceptance states it, a level checked since included).
/// Whether anything was written (a repeated event writes nothing).
pub async fn insert_accepted(tx: &mut PgConnection, case: &Accepted) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "delete from work_item_steps s using work_items w
         where s.case_id = w.case_id and w.case_id = $1 and w.state = $3
           and w.transfer_round < $2",
    )
    .bind(case.case_id)
    .bind(case.transfer_round)
    .bind(WorkItemState::Returned)
    .execute(&mut *tx)
    .await?;
    let awaiting = transition(WorkItemState::Returned, Action::Reaccept)
        .unwrap_or(WorkItemState::AwaitingItem);
    let inserted = sqlx::query(
        "insert into work_items (case_id, case_number, kind, parent_case_id, implementation_code,
             item_version, handling_region, receiving_region, applicant_id, applicant_kind,
             applicant_document_masked, accepted_by, accepted_at, accepted_on, state,
             transfer_round, transfer, applicant_name, real_name_level)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $16, $15,
             case when $15 > 0 then $18 end, $19, $20)
         on conflict (case_id) do update
             set accepted_by = excluded.accepted_by, accepted_at = excluded.accepted_at,
                 accepted_on = excluded.accepted_on, state = $16,
                 transfer_round = excluded.transfer_round, transfer = excluded.transfer,
                 applicant_document_masked = excluded.applicant_document_masked,
                 applicant_name = excluded.applicant_name,
                 real_name_level = excluded.real_name_level,
                 current_step = 0, due_date = null, warn_on = null, warned_at = null,
                 escalated_at = null, reason = null, revision = work_items.revision + 1
             where work_items.state = $17 and work_items.transfer_round < excluded.transfer_round",
    )
    .bind(case.case_id)
    .bind(&case.case_number)
    .bind(&case.kind)
    .bind(case.parent_case_id)
    .bind(&case.implementation_code)
    .bind(case.item_version)
    .bind(&case.handling_region)
    .bind(&case.receiving_region)
    .bind(case.applicant_id)
    .bind(&case.applicant_kind)
    .bind(&case.applicant_document_masked)
    .bind(case.accepted_by)
    .bind(case.accepted_at)
    .bind(tongban_runtime::clock::local_date(case.accepted_at))
    .bind(case.transfer_round)
    .bind(awaiting)
    .bind(WorkItemState::Returned)
    .bind(TransferState::Pending)
    .bind(&case.applicant_name)
    .bind(case.real_name_level)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}
