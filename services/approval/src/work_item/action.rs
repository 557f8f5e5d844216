//! What the actions on a work item's steps share: the checks of the step acted on, opening a
//! step, and the end of every action (a new revision, its history, its event, the detail).

use chrono::NaiveDate;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_events::Event;
use tongban_events::approval::v1 as events;
use tongban_kernel::{Error, Power, Principal, Role, TimeLimit};

use super::state::{self, StepAction, StepState, WorkItemState};
use super::store::{self, Entry, Now, Row, StepChange};
use super::view::{self, WorkItem};

#[derive(sqlx::FromRow)]
pub struct StepRow {
    pub position: i32,
    pub name: String,
    pub role: String,
    pub state: StepState,
    pub assignee: Option<Uuid>,
    /// Set when only the handling centre's separation-of-duties exception allows the action.
    #[sqlx(skip)]
    pub excepted: Option<tongban_duties::Excepted>,
}

pub async fn step_at(tx: &mut PgConnection, id: Uuid, position: i32) -> Result<StepRow, Error> {
    sqlx::query_as(
        "select position, name, role, state, assignee from work_item_steps
         where case_id = $1 and position = $2",
    )
    .bind(id)
    .bind(position)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::NotFound(format!("step {position}")))
}

pub async fn last_position(tx: &mut PgConnection, id: Uuid) -> Result<i32, Error> {
    Ok(
        sqlx::query_scalar("select max(position) from work_item_steps where case_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?,
    )
}

/// The power a step's role needs: the window's steps need AcceptCases, the rest HandleCases.
fn power_of(role: &str) -> Power {
    match role.parse() {
        Ok(Role::WindowClerk) => Power::AcceptCases,
        _ => Power::HandleCases,
    }
}

/// Checks that `principal` may take `action` on step `position` and returns the step.
pub async fn checked_step(
    tx: &mut PgConnection,
    principal: &Principal,
    row: &Row,
    position: i32,
    action: StepAction,
) -> Result<StepRow, Error> {
    if row.state == WorkItemState::Paused {
        return Err(Error::Conflict {
            code: "paused",
            message: "the clock is paused: resume the work item first".into(),
        });
    }
    let step = step_at(tx, row.case_id, position).await?;
    if !row.within(principal, power_of(&step.role)) {
        return Err(Error::Forbidden(format!(
            "step {} ({}) is handled by the role {} of the item's department",
            step.position, step.name, step.role
        )));
    }
    let last = last_position(tx, row.case_id).await?;
    state::check_step(
        action,
        position,
        row.current_step,
        last,
        step.state,
        step.assignee,
        principal.account,
    )?;
    let excepted = super::duties::check(tx, principal, row, position).await?;
    Ok(StepRow { excepted, ..step })
}

/// Ends an action on work item `id` in `tx`: a new revision, `action` in its history, the
/// event `event` makes of the work item published, and the work item as it now is.
#[allow(clippy::too_many_arguments)]
pub async fn finish<E: Event>(
    tx: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    now: Now,
    action: &str,
    step: Option<i32>,
    detail_of_action: Value,
    event: impl FnOnce(events::WorkRef) -> E,
) -> Result<WorkItem, Error> {
    let row = store::bump(tx, id).await?;
    let entry = Entry {
        at: now.at,
        actor: Some(principal.account),
        action,
        step,
        detail: detail_of_action,
    };
    let event = event(row.work_ref());
    store::record(tx, &row, entry, Some(&event)).await?;
    view::detail(tx, row, now.today).await
}

/// Opens step `position` of `row` on `today` (its own limit counted from then) and makes it
/// the current step.
pub async fn open_step(
    tx: &mut PgConnection,
    row: &Row,
    position: i32,
    today: NaiveDate,
) -> Result<(), Error> {
    let (value, unit): (i32, String) = sqlx::query_as(
        "select limit_value, limit_unit from work_item_steps where case_id = $1 and position = $2",
    )
    .bind(row.case_id)
    .bind(position)
    .fetch_one(&mut *tx)
    .await?;
    let calendar = tongban_calendar::load(tx, &row.handling_region).await?;
    let due = calendar
        .due(today, TimeLimit::stored(value, &unit), &[])
        .map(|r| r.date);
    let opened = StepChange::Opened {
        position,
        on: today,
        due,
    };
    store::change_step(tx, row.case_id, opened).await
}
