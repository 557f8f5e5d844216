//! The front office ended a work item undecided (withdrawn, refused at the window): the one
//! update [`super::apply`] makes for [`super::Change::Ended`].

use sqlx::PgConnection;
use uuid::Uuid;

use super::{COLUMNS, Row};
use crate::work_item::state::WorkItemState;

/// Ends work item `id` undecided (to state `to`) with `reason`: no decision and no conclusion
/// time (it counts neither as on time nor as late); the transfer stays as it stood, and the
/// timers, which raise only on work items in progress, pass it by from now on.
pub(super) async fn ended(
    tx: &mut PgConnection,
    id: Uuid,
    to: WorkItemState,
    reason: &str,
) -> Result<Row, sqlx::Error> {
    sqlx::query_as(&format!(
        "update work_items w set state = $2, reason = $3, revision = revision + 1
         where case_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(to)
    .bind(reason)
    .fetch_one(tx)
    .await
}
