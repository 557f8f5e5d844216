//! Claiming (签收) the open step.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use tongban_events::approval::v1 as events;
use tongban_kernel::{Error, Principal};

use super::action::{checked_step, finish};
use super::duties::mark;
use super::state::StepAction;
use super::store::{self, Now, StepChange, for_action};
use super::take_over;
use super::view::{WorkItem, detail};

/// Claims (签收) the open step.
pub async fn claim(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    position: i32,
    revision: Option<i32>,
    now: Now,
) -> Result<WorkItem, Error> {
    // Right after a take-over, approval may not have heard of it yet: wait for it briefly,
    // outside any transaction (see `take_over`).
    take_over::settled(pool, principal, id).await?;
    let mut tx = pool.begin().await?;
    let row = for_action(&mut tx, principal, id, revision).await?;
    let step = checked_step(&mut tx, principal, &row, position, StepAction::Claim).await?;
    let item = if step.assignee == Some(principal.account) {
        // Claimed already by the caller: a retry changes nothing.
        detail(&mut tx, row, now.today).await?
    } else {
        let claimed = StepChange::Claimed {
            position,
            by: principal.account,
            at: now.at,
        };
        store::change_step(&mut tx, id, claimed).await?;
        let detail = json!({ "step": step.name });
        let excepted = step.excepted.as_ref();
        let detail = mark(
            &mut tx, excepted, principal, &row, "claimed", detail, now.at,
        )
        .await?;
        finish(
            &mut tx,
            principal,
            id,
            now,
            "claimed",
            Some(position),
            detail,
            |work| events::StepClaimed {
                work: Some(work),
                step: position as u32,
                step_name: step.name.clone(),
                claimed_by: principal.account.to_string(),
                claimed_at: Some(tongban_events::timestamp(now.at)),
            },
        )
        .await?
    };
    tx.commit().await?;
    Ok(item)
}
