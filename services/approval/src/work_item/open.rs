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
use super::store::{self, Accepted, Change, Entry, NewStep, Now, Opening, Row};
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
) -> Result<(), Error> {
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
        let new = NewStep {
            name: &step.name,
            role: step.role.as_str(),
            limit: step.limit,
            state,
            completed_by: if done { row.accepted_by } else { None },
            completed_at: done.then_some(row.accepted_at),
            opened_on: opened,
            due_date: step_due,
        };
        store::insert_step(tx, row.case_id, position, &new).await?;
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
    let row = store::apply(tx, &row, Change::Opened(&opening)).await?;
    let entry = Entry {
        at: now.at,
        actor: None,
        action: "opened",
        step: Some(first),
        detail: json!({ "due_date": due.date, "steps": planned.iter().map(|s| &s.name).collect::<Vec<_>>() }),
    };
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
    store::record(tx, &row, entry, Some(&event)).await
}
