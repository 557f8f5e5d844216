//! Separation of duties (审批分离, 一审一核): the person who accepted a case completes none of
//! its approval steps, and no one completes two steps of one case (an item whose process is
//! 审核合一 has one back-office step). Checked when a step is claimed and again when it is
//! completed, returned or decided; refused with 403 and a code naming the rule.

use sqlx::PgConnection;

use tongban_kernel::{Error, Principal};

use super::state::StepState;
use super::store::Row;

/// `Ok` when `principal` may act on step `position` of `row`.
pub async fn check(
    tx: &mut PgConnection,
    principal: &Principal,
    row: &Row,
    position: i32,
) -> Result<(), Error> {
    if row.accepted_by == Some(principal.account) {
        return Err(Error::Denied {
            code: "acceptor_does_not_approve",
            message: "you accepted this case: another person handles its approval steps \
                      (separation of duties)"
                .into(),
        });
    }
    let other: Option<(i32, String)> = sqlx::query_as(
        "select position, name from work_item_steps
         where case_id = $1 and position <> $2 and state = $4 and completed_by = $3
         order by position limit 1",
    )
    .bind(row.case_id)
    .bind(position)
    .bind(principal.account)
    .bind(StepState::Done)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((done, name)) = other {
        return Err(Error::Denied {
            code: "one_step_per_person",
            message: format!(
                "you completed step {done} ({name}) of this case: another person handles \
                 step {position} (separation of duties)"
            ),
        });
    }
    Ok(())
}
