//! The front office ended a work item undecided (withdrawn, refused at the window): the one
//! update [`super::apply`] makes for [`super::Change::Ended`] (which then reads the row back).

use sqlx::PgConnection;
use uuid::Uuid;

use crate::work_item::state::WorkItemState;

/// Ends work item `id` undecided (to state `to`) with `reason`: no decision and no conclusion
/// time (it counts neither as on time nor as late); the transfer stays as it stood, and the
/// timers, which raise only on work items in progress, pass it by from now on.
pub(super) async fn ended(
    tx: &mut PgConnection,
    id: Uuid,
    to: WorkItemState,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update work_items set state = $2, reason = $3, revision = revision + 1
         where case_id = $1",
    )
    .bind(id)
    .bind(to)
    .bind(reason)
    .execute(tx)
    .await?;
    Ok(())
}
