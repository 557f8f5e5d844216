//! The time-limit clock of a work item: pauses for correction and special procedures, and
//! extensions. Each moves the due date (and re-arms the yellow warning for the new date).

use chrono::NaiveDate;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use tongban_events::approval::v1 as events;
use tongban_kernel::calendar::Reckoning;
use tongban_kernel::{Calendar, Error, Power, Principal};

use crate::domain::{
    self,
    clock::{self, Stop},
};
use crate::work_item::action::finish;
use crate::work_item::state::{Action, WorkItemState, transition};
use crate::work_item::store::{self, COLUMNS, Now, Row, for_action, publish, record};
use crate::work_item::view::WorkItem;

pub async fn stops(tx: &mut PgConnection, id: Uuid) -> Result<Vec<Stop>, sqlx::Error> {
    let rows: Vec<(NaiveDate, Option<NaiveDate>)> =
        sqlx::query_as("select paused_on, resumed_on from pauses where case_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(paused_on, resumed_on)| Stop {
            paused_on,
            resumed_on,
        })
        .collect())
}

/// Recomputes the due date (and the warning day) after a pause ended or an extension; the
/// yellow warning is raised again for the new date if it had been raised for the old one.
async fn reckon(
    tx: &mut PgConnection,
    row: &Row,
    calendar: &Calendar,
    today: NaiveDate,
    warning_days: u32,
) -> Result<Reckoning, Error> {
    let stops = stops(tx, row.case_id).await?;
    let due = clock::due(
        calendar,
        row.accepted_on,
        row.limit(),
        row.extension_days.max(0) as u32,
        &stops,
        today,
    )
    .ok_or_else(|| Error::internal("the time limit is out of range"))?;
    let warn_on = clock::warn_on(calendar, due.date, warning_days, row.accepted_on);
    sqlx::query(
        "update work_items set due_date = $2, due_provisional = $3, warn_on = $4,
             warned_at = case when $4 > $5 then null else warned_at end
         where case_id = $1",
    )
    .bind(row.case_id)
    .bind(due.date)
    .bind(due.provisional)
    .bind(warn_on)
    .bind(today)
    .execute(&mut *tx)
    .await?;
    Ok(due)
}

/// Recomputes the due dates a change of the calendar of `region` ('' for the nation) in `year`
/// can move: the open work items handled there (anywhere, for the nation) accepted by the end
/// of that year and due in it or later, or resting on unpublished years. Each date that moved
/// is recorded and published, so the applicant's case follows. Returns how many moved.
pub async fn recalculate(
    tx: &mut PgConnection,
    region: &str,
    year: i32,
    now: Now,
    warning_days: u32,
) -> Result<usize, Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from work_items w
         where w.state = any($3) and ($1 = '' or w.handling_region = $1)
           and w.accepted_on <= make_date($2, 12, 31)
           and (w.due_provisional or w.due_date >= make_date($2, 1, 1))
         for update"
    ))
    .bind(region)
    .bind(year)
    .bind(&WorkItemState::OPEN[..])
    .fetch_all(&mut *tx)
    .await?;
    let mut calendars = tongban_calendar::Calendars::default();
    let mut moved = 0;
    for row in rows {
        let calendar = calendars.of(tx, &row.handling_region).await?;
        let due = reckon(tx, &row, calendar, now.today, warning_days).await?;
        if Some(due.date) == row.due_date && due.provisional == row.due_provisional {
            continue;
        }
        moved += 1;
        let previous = row.due_date.map(|d| d.to_string()).unwrap_or_default();
        record(tx, row.case_id, now.at, None, "due_date_recalculated", Some(row.current_step),
            json!({ "previous_due_date": previous, "due_date": due.date, "provisional": due.provisional })).await?;
        let event = events::DueDateRecalculated {
            work: Some(row.work_ref()),
            previous_due_date: previous,
            due_date: due.date.to_string(),
            due_date_provisional: due.provisional,
            recalculated_at: Some(tongban_events::timestamp(now.at)),
        };
        publish(tx, &row, &event).await?;
    }
    Ok(moved)
}

/// Stops the clock for correction or a special procedure; the applicant is told in writing.
#[allow(clippy::too_many_arguments)]
pub async fn pause(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    kind: &str,
    reason: &str,
    notice: &str,
    revision: Option<i32>,
    now: Now,
) -> Result<WorkItem, Error> {
    if !domain::PAUSE_KINDS.contains(&kind) {
        return Err(Error::bad_request(
            "kind",
            format!("one of {}", domain::PAUSE_KINDS.join(", ")),
        ));
    }
    let reason = domain::written("reason", Some(reason), 1000)?;
    let notice = domain::written("notice", Some(notice), 4000)?;
    let mut tx = pool.begin().await?;
    let row = for_action(&mut tx, principal, id, revision).await?;
    if !row.within(principal, Power::HandleCases) {
        return Err(Error::Forbidden(
            "pausing the clock is for the item's handlers".into(),
        ));
    }
    if row.state == WorkItemState::Paused {
        return Err(Error::Conflict {
            code: "paused",
            message: "the clock is already paused".into(),
        });
    }
    sqlx::query(
        "insert into pauses (id, case_id, kind, reason, notice, paused_on, paused_by, paused_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(Uuid::now_v7())
    .bind(id)
    .bind(kind)
    .bind(&reason)
    .bind(&notice)
    .bind(now.today)
    .bind(principal.account)
    .bind(now.at)
    .execute(&mut *tx)
    .await?;
    store::set_state(&mut tx, id, transition(row.state, Action::Pause)?).await?;
    let item = finish(
        &mut tx,
        principal,
        id,
        now,
        "paused",
        Some(row.current_step),
        json!({ "kind": kind, "reason": reason, "notice": notice, "paused_on": now.today }),
        |work| events::ClockPaused {
            work: Some(work),
            kind: kind.to_owned(),
            reason,
            notice,
            paused_on: now.today.to_string(),
            paused_by: principal.account.to_string(),
            paused_at: Some(tongban_events::timestamp(now.at)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(item)
}

/// Restarts the clock; the due date moves by the working days it stood still.
pub async fn resume(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    revision: Option<i32>,
    now: Now,
    warning_days: u32,
) -> Result<WorkItem, Error> {
    let mut tx = pool.begin().await?;
    let row = for_action(&mut tx, principal, id, revision).await?;
    if !row.within(principal, Power::HandleCases) {
        return Err(Error::Forbidden(
            "resuming the clock is for the item's handlers".into(),
        ));
    }
    let open: Option<(Uuid, String, NaiveDate)> = sqlx::query_as(
        "select id, kind, paused_on from pauses where case_id = $1 and resumed_on is null",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((pause_id, kind, paused_on)) = open else {
        return Err(Error::Conflict {
            code: "not_paused",
            message: "the clock is running".into(),
        });
    };
    let calendar = tongban_calendar::load(&mut tx, &row.handling_region).await?;
    let resumed_on = now.today.max(paused_on);
    let stop = Stop {
        paused_on,
        resumed_on: Some(resumed_on),
    };
    let paused_days = clock::paused_working_days(&calendar, &stop, now.today);
    sqlx::query(
        "update pauses set resumed_on = $2, resumed_by = $3, resumed_at = $4, paused_working_days = $5
         where id = $1",
    )
    .bind(pause_id)
    .bind(resumed_on)
    .bind(principal.account)
    .bind(now.at)
    .bind(paused_days as i32)
    .execute(&mut *tx)
    .await?;
    store::set_state(&mut tx, id, transition(row.state, Action::Resume)?).await?;
    let due = reckon(&mut tx, &row, &calendar, now.today, warning_days).await?;
    let item = finish(
        &mut tx,
        principal,
        id,
        now,
        "resumed",
        Some(row.current_step),
        json!({ "kind": kind, "paused_working_days": paused_days, "due_date": due.date }),
        |work| events::ClockResumed {
            work: Some(work),
            kind,
            paused_on: paused_on.to_string(),
            resumed_on: resumed_on.to_string(),
            paused_working_days: paused_days,
            due_date: due.date.to_string(),
            resumed_by: principal.account.to_string(),
            resumed_at: Some(tongban_events::timestamp(now.at)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(item)
}

/// Extends the time limit by `days` working days, approved by a supervisor over the item's
/// department (负责人批准), before the due date, within what the statute allows.
#[allow(clippy::too_many_arguments)]
pub async fn extend(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    days: i32,
    reason: &str,
    revision: Option<i32>,
    now: Now,
    warning_days: u32,
) -> Result<WorkItem, Error> {
    let reason = domain::written("reason", Some(reason), 1000)?;
    let mut tx = pool.begin().await?;
    let row = for_action(&mut tx, principal, id, revision).await?;
    if !row.within(principal, Power::Supervise) {
        return Err(Error::Forbidden(
            "an extension is approved by a supervisor over the item's department".into(),
        ));
    }
    let allowed = domain::max_extension(&row.kind) - row.extension_days;
    if days < 1 || days > allowed {
        return Err(Error::unprocessable(
            "working_days",
            format!("the statute allows {allowed} more working day(s) for this case"),
        ));
    }
    if row.due_date.is_some_and(|due| due < now.today) {
        return Err(Error::Conflict {
            code: "overdue",
            message: "the time limit has already run out: an extension is decided before it does"
                .into(),
        });
    }
    sqlx::query(
        "insert into extensions (id, case_id, working_days, reason, approved_by, extended_at)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Uuid::now_v7())
    .bind(id)
    .bind(days)
    .bind(&reason)
    .bind(principal.account)
    .bind(now.at)
    .execute(&mut *tx)
    .await?;
    let row: Row = sqlx::query_as(&format!(
        "update work_items w set extension_days = extension_days + $2 where case_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(days)
    .fetch_one(&mut *tx)
    .await?;
    let calendar = tongban_calendar::load(&mut tx, &row.handling_region).await?;
    let due = reckon(&mut tx, &row, &calendar, now.today, warning_days).await?;
    let item = finish(
        &mut tx,
        principal,
        id,
        now,
        "extended",
        Some(row.current_step),
        json!({ "working_days": days, "reason": reason, "due_date": due.date }),
        |work| events::TimeLimitExtended {
            work: Some(work),
            working_days: days as u32,
            reason,
            due_date: due.date.to_string(),
            approved_by: principal.account.to_string(),
            extended_at: Some(tongban_events::timestamp(now.at)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(item)
}
