//! Opening a work item: an accepted case is recorded, and opens at once when its item version
//! is known or when the version arrives; its steps are planned and its clock starts.

use serde_json::json;
use sqlx::PgConnection;
use sqlx::types::Json as Jsonb;
use uuid::Uuid;

use tongban_events::approval::v1 as events;
use tongban_kernel::calendar::Reckoning;
use tongban_kernel::{Calendar, Error, TimeLimit};

use super::plan::{self, PlannedStep, StepSpec};
use super::state::{StepState, WorkItemState};
use super::store::{self, Accepted, Now, Opening, Row};
use crate::clock::rules as clock;

/// Records an accepted case; it opens at once when its item version is known, or when the
/// version arrives ([`open_awaiting`]). A transferred case waits for the handling region to
/// take the transfer over ([`super::transfer`]). A repeated event changes nothing; a case
/// whose transfer came back and was accepted again starts afresh.
pub async fn accept(
    tx: &mut PgConnection,
    case: &Accepted,
    warning_days: u32,
    now: Now,
) -> Result<(), Error> {
    if store::insert_accepted(tx, case).await? {
        open(tx, case.case_id, warning_days, now).await?;
        if case.transfer_round > 0 {
            super::transfer::transfer_answered(tx, case.case_id).await?;
        }
    }
    Ok(())
}

/// Opens the work items that were waiting for item version (`code`, `version`).
pub async fn open_awaiting(
    tx: &mut PgConnection,
    code: &str,
    version: i32,
    warning_days: u32,
    now: Now,
) -> Result<(), Error> {
    let waiting = store::pinned_to(tx, WorkItemState::AwaitingItem, code, version).await?;
    for id in waiting {
        open(tx, id, warning_days, now).await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    name: String,
    department_id: Uuid,
    department_credit_code: String,
    promised_value: i32,
    promised_unit: String,
    steps: Jsonb<Vec<StepSpec>>,
}

/// Writes the planned steps of work item `row`: the window's done at acceptance, the first
/// back-office step (`first`) open with its own due date, the rest pending.
async fn insert_steps(
    tx: &mut PgConnection,
    row: &Row,
    planned: &[PlannedStep],
    first: i32,
    calendar: &Calendar,
) -> Result<(), sqlx::Error> {
    for (index, step) in planned.iter().enumerate() {
        let position = index as i32 + 1;
        let state = if step.done_at_acceptance {
            StepState::Done
        } else if position == first {
            StepState::Open
        } else {
            StepState::Pending
        };
        let done = step.done_at_acceptance;
        let opened = (position == first).then_some(row.accepted_on);
        let step_due = opened
            .and_then(|on| calendar.due(on, step.limit, &[]))
            .map(|r| r.date);
        sqlx::query(
            "insert into work_item_steps (case_id, position, name, role, limit_value, limit_unit,
                 state, completed_by, completed_at, opened_on, due_date)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(row.case_id)
        .bind(position)
        .bind(&step.name)
        .bind(step.role.as_str())
        .bind(step.limit.value as i32)
        .bind(step.limit.unit.as_str())
        .bind(state)
        .bind(if done { row.accepted_by } else { None })
        .bind(done.then_some(row.accepted_at))
        .bind(opened)
        .bind(step_due)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Plans the steps and starts the clock of an awaiting work item whose item version is known.
async fn open(tx: &mut PgConnection, id: Uuid, warning_days: u32, now: Now) -> Result<(), Error> {
    let Some(row) = store::load(tx, id, true).await? else {
        return Ok(());
    };
    if row.state != WorkItemState::AwaitingItem {
        return Ok(());
    }
    let item: Option<ItemRow> = sqlx::query_as(
        "select name, department_id, department_credit_code, promised_value, promised_unit, steps
         from item_versions where implementation_code = $1 and version = $2",
    )
    .bind(&row.implementation_code)
    .bind(row.item_version)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(item) = item else {
        return Ok(());
    };
    let planned = plan::plan(&item.steps.0);
    let calendar = tongban_calendar::load(tx, &row.handling_region).await?;
    let first = planned
        .iter()
        .position(|s| !s.done_at_acceptance)
        .unwrap_or(0) as i32
        + 1;
    insert_steps(tx, &row, &planned, first, &calendar).await?;
    let limit = TimeLimit::stored(item.promised_value, &item.promised_unit);
    let due = clock::due(&calendar, row.accepted_on, limit, 0, &[], row.accepted_on).unwrap_or(
        Reckoning {
            date: row.accepted_on,
            provisional: true,
        },
    );
    let opening = Opening {
        item_name: &item.name,
        department_id: item.department_id,
        department_credit_code: &item.department_credit_code,
        limit_value: item.promised_value,
        limit_unit: &item.promised_unit,
        due_date: due.date,
        due_provisional: due.provisional,
        warn_on: clock::warn_on(&calendar, due.date, warning_days, row.accepted_on),
        first_step: first,
    };
    let row = store::open(tx, &row, &opening).await?;
    store::record(tx, id, now.at, None, "opened", Some(first),
        json!({ "due_date": due.date, "steps": planned.iter().map(|s| &s.name).collect::<Vec<_>>() })).await?;
    let event = events::WorkItemOpened {
        work: Some(row.work_ref()),
        started_on: row.accepted_on.to_string(),
        due_date: due.date.to_string(),
        due_date_provisional: due.provisional,
        steps: planned
            .iter()
            .map(|s| format!("{} ({})", s.name, s.role))
            .collect(),
        opened_at: Some(tongban_events::timestamp(now.at)),
    };
    Ok(store::publish(tx, &row, &event).await?)
}
