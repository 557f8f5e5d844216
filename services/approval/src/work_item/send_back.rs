//! Sending a case back (退回) from the claimed step to an earlier back-office step.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use tongban_events::approval::v1 as events;
use tongban_kernel::{Error, Principal};

use super::action::{checked_step, finish, open_step, step_at};
use super::duties::mark;
use super::state::StepAction;
use super::store::{self, Now, StepChange, for_action};
use super::view::WorkItem;
use crate::domain;
/// Sends the case back from the claimed step to an earlier back-office step (退回), which
/// opens again; the steps in between are to be done again.
#[allow(clippy::too_many_arguments)]
pub async fn send_back(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    position: i32,
    to: i32,
    reason: &str,
    revision: Option<i32>,
    now: Now,
) -> Result<WorkItem, Error> {
    let reason = domain::written("reason", Some(reason), 1000)?;
    let mut tx = pool.begin().await?;
    let row = for_action(&mut tx, principal, id, revision).await?;
    let step = checked_step(&mut tx, principal, &row, position, StepAction::Return).await?;
    // The window's leading steps were the front office's: nothing goes back to them.
    let first_back_office: i32 = sqlx::query_scalar(
        "select coalesce(min(position), 1) from work_item_steps
         where case_id = $1 and role <> 'window_clerk'",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if to >= position || to < first_back_office {
        return Err(Error::unprocessable(
            "to_step",
            format!(
                "a case goes back to an earlier back-office step: {first_back_office} to {}",
                position - 1
            ),
        ));
    }
    let target = step_at(&mut tx, id, to).await?;
    let sent_back = StepChange::SentBack { from: position, to };
    store::change_step(&mut tx, id, sent_back).await?;
    open_step(&mut tx, &row, to, now.today).await?;
    let detail = json!({ "to_step": to, "reason": reason });
    let excepted = step.excepted.as_ref();
    let detail = mark(
        &mut tx, excepted, principal, &row, "returned", detail, now.at,
    )
    .await?;
    let item = finish(
        &mut tx,
        principal,
        id,
        now,
        "returned",
        Some(position),
        detail,
        |work| events::StepReturned {
            work: Some(work),
            from_step: position as u32,
            to_step: to as u32,
            to_step_name: target.name,
            reason,
            returned_by: principal.account.to_string(),
            returned_at: Some(tongban_events::timestamp(now.at)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(item)
}
