//! The steps of a work item, saved: their states, who holds them, and which one is the work
//! item's current step. Part of [`super`], the only writer of a work item.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_kernel::{Error, TimeLimit};

use crate::work_item::state::StepState;

/// A step planned for a work item as it opens.
pub struct NewStep<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub limit: TimeLimit,
    pub state: StepState,
    /// For the window's steps, done at acceptance: by whom and when.
    pub completed_by: Option<Uuid>,
    pub completed_at: Option<DateTime<Utc>>,
    /// For the first back-office step: opened on, and due on.
    pub opened_on: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
}

/// Inserts step `position` of work item `id`.
pub async fn insert_step(
    tx: &mut PgConnection,
    id: Uuid,
    position: i32,
    step: &NewStep<'_>,
) -> Result<(), Error> {
    sqlx::query(
        "insert into work_item_steps (case_id, position, name, role, limit_value, limit_unit,
             state, completed_by, completed_at, opened_on, due_date)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(id)
    .bind(position)
    .bind(step.name)
    .bind(step.role)
    .bind(step.limit.value as i32)
    .bind(step.limit.unit.as_str())
    .bind(step.state)
    .bind(step.completed_by)
    .bind(step.completed_at)
    .bind(step.opened_on)
    .bind(step.due_date)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A change of a step of a work item. Whether the actor may make it (the open step, claimed by
/// them, the last one decides) is checked before, by [`crate::work_item::action::checked_step`]
/// ([`crate::work_item::state::check_step`]).
pub enum StepChange<'a> {
    /// Claimed (签收) by `by` at `at`.
    Claimed {
        position: i32,
        by: Uuid,
        at: DateTime<Utc>,
    },
    /// Done with `by`'s opinion: completed, or decided at the last step.
    Done {
        position: i32,
        opinion: &'a str,
        by: Uuid,
        at: DateTime<Utc>,
    },
    /// Sent back from step `from` to the earlier `to`: `to` is open again, the steps after it
    /// up to `from` are pending, and the work done on them is gone.
    SentBack { from: i32, to: i32 },
    /// Opened on `on`, due on `due` (its own limit counted from then): the work item's
    /// current step.
    Opened {
        position: i32,
        on: NaiveDate,
        due: Option<NaiveDate>,
    },
}

/// Changes a step of work item `id` by `change`.
pub async fn change_step(
    tx: &mut PgConnection,
    id: Uuid,
    change: StepChange<'_>,
) -> Result<(), Error> {
    match change {
        StepChange::Claimed { position, by, at } => {
            sqlx::query(
                "update work_item_steps set state = $5, assignee = $3, claimed_at = $4
                 where case_id = $1 and position = $2",
            )
            .bind(id)
            .bind(position)
            .bind(by)
            .bind(at)
            .bind(StepState::Claimed)
            .execute(&mut *tx)
            .await?;
        }
        StepChange::Done {
            position,
            opinion,
            by,
            at,
        } => {
            sqlx::query(
                "update work_item_steps set state = $6, opinion = $3, completed_by = $4, completed_at = $5
                 where case_id = $1 and position = $2",
            )
            .bind(id)
            .bind(position)
            .bind(opinion)
            .bind(by)
            .bind(at)
            .bind(StepState::Done)
            .execute(&mut *tx)
            .await?;
        }
        StepChange::SentBack { from, to } => {
            sqlx::query(
                "update work_item_steps set state = case when position = $2 then $4 else $5 end,
                     assignee = null, claimed_at = null, opinion = null, completed_by = null, completed_at = null
                 where case_id = $1 and position between $2 and $3",
            )
            .bind(id)
            .bind(to)
            .bind(from)
            .bind(StepState::Open)
            .bind(StepState::Pending)
            .execute(&mut *tx)
            .await?;
        }
        StepChange::Opened { position, on, due } => open_step(tx, id, position, on, due).await?,
    }
    Ok(())
}

/// Opens step `position` of work item `id` on `on` and makes it the current step.
async fn open_step(
    tx: &mut PgConnection,
    id: Uuid,
    position: i32,
    on: NaiveDate,
    due: Option<NaiveDate>,
) -> Result<(), Error> {
    sqlx::query(
        "update work_item_steps set state = $5, opened_on = $3, due_date = $4
         where case_id = $1 and position = $2",
    )
    .bind(id)
    .bind(position)
    .bind(on)
    .bind(due)
    .bind(StepState::Open)
    .execute(&mut *tx)
    .await?;
    sqlx::query("update work_items set current_step = $2 where case_id = $1")
        .bind(id)
        .bind(position)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
