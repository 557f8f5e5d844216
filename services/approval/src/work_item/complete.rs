//! Completing the claimed step with an opinion; the next step opens.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use tongban_events::approval::v1 as events;
use tongban_kernel::{Error, Principal};

use super::action::{checked_step, finish, open_step};
use super::state::{StepAction, StepState};
use super::store::{Now, for_action};
use super::view::WorkItem;
use crate::domain;
/// Completes the claimed step with the handler's opinion; the next step opens.
pub async fn complete(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    position: i32,
    opinion: &str,
    revision: Option<i32>,
    now: Now,
) -> Result<WorkItem, Error> {
    let opinion = domain::written("opinion", Some(opinion), 2000)?;
    let mut tx = pool.begin().await?;
    let row = for_action(&mut tx, principal, id, revision).await?;
    let step = checked_step(&mut tx, principal, &row, position, StepAction::Complete).await?;
    sqlx::query(
        "update work_item_steps set state = $6, opinion = $3, completed_by = $4, completed_at = $5
         where case_id = $1 and position = $2",
    )
    .bind(id)
    .bind(position)
    .bind(&opinion)
    .bind(principal.account)
    .bind(now.at)
    .bind(StepState::Done)
    .execute(&mut *tx)
    .await?;
    open_step(&mut tx, &row, position + 1, now.today).await?;
    let item = finish(
        &mut tx,
        principal,
        id,
        now,
        "completed",
        Some(position),
        json!({ "step": step.name, "opinion": opinion }),
        |work| events::StepCompleted {
            work: Some(work),
            step: position as u32,
            step_name: step.name,
            opinion,
            completed_by: principal.account.to_string(),
            completed_at: Some(tongban_events::timestamp(now.at)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(item)
}
