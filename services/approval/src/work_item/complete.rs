//! Completing the claimed step with an opinion; the next step opens.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use tongban_events::approval::v1 as events;
use tongban_kernel::{Error, Principal};

use super::action::{checked_step, finish, open_step};
use super::duties::mark;
use super::state::StepAction;
use super::store::{self, Now, StepChange, for_action};
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
    let done = StepChange::Done {
        position,
        opinion: &opinion,
        by: principal.account,
        at: now.at,
    };
    store::change_step(&mut tx, id, done).await?;
    open_step(&mut tx, &row, position + 1, now.today).await?;
    let detail = json!({ "step": step.name, "opinion": opinion });
    let excepted = step.excepted.as_ref();
    let detail = mark(
        &mut tx,
        excepted,
        principal,
        &row,
        "completed",
        detail,
        now.at,
    )
    .await?;
    let item = finish(
        &mut tx,
        principal,
        id,
        now,
        "completed",
        Some(position),
        detail,
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
