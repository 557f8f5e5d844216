//! Stopping the clock for correction or a special procedure (行政许可法 Art. 45), and
//! restarting it: the due date moves by the working days it stood still.

use chrono::NaiveDate;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use tongban_events::approval::v1 as events;
use tongban_kernel::{Error, Power, Principal};

use super::rules::{self, Stop};
use super::store::reckon;
use crate::domain;
use crate::work_item::action::finish;
use crate::work_item::state::WorkItemState;
use crate::work_item::store::{self, Change, Now, for_action};
use crate::work_item::view::WorkItem;

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
    if !rules::PAUSE_KINDS.contains(&kind) {
        return Err(Error::bad_request(
            "kind",
            format!("one of {}", rules::PAUSE_KINDS.join(", ")),
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
    store::apply(&mut tx, &row, Change::Paused).await?;
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
    let paused_days = rules::paused_working_days(&calendar, &stop, now.today);
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
    store::apply(&mut tx, &row, Change::Resumed).await?;
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
