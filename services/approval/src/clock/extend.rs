//! Extending the time limit (行政许可法 Art. 42), approved by a supervisor over the item's
//! department before the due date.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use tongban_events::approval::v1 as events;
use tongban_kernel::{Error, Power, Principal};

use super::rules;
use super::store::{self, reckon};
use crate::domain;
use crate::work_item::action::finish;
use crate::work_item::store::{Now, for_action};
use crate::work_item::view::WorkItem;

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
    let allowed = rules::max_extension(&row.kind) - row.extension_days;
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
    let row = store::extend(&mut tx, id, days).await?;
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
