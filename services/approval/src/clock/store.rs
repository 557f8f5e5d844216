//! What the clock keeps: the stretches it stood still (pauses), and the clock's columns of a
//! work item: the due date and warning day recomputed from the pauses and its extensions, the
//! days it was extended by, and when its warning and escalation were raised. A work item's
//! state, history and events are [`crate::work_item::store`]'s.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_kernel::calendar::Reckoning;
use tongban_kernel::{Calendar, Error};

use super::rules::{self, Stop};
use crate::work_item::store::{COLUMNS, Row};

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
pub async fn reckon(
    tx: &mut PgConnection,
    row: &Row,
    calendar: &Calendar,
    today: NaiveDate,
    warning_days: u32,
) -> Result<Reckoning, Error> {
    let stops = stops(tx, row.case_id).await?;
    let due = rules::due(
        calendar,
        row.accepted_on,
        row.limit(),
        row.extension_days.max(0) as u32,
        &stops,
        today,
    )
    .ok_or_else(|| Error::internal("the time limit is out of range"))?;
    let warn_on = rules::warn_on(calendar, due.date, warning_days, row.accepted_on);
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

/// The working days work item `id`'s limit is extended by grow by `days`; the row as it now is.
pub async fn extend(tx: &mut PgConnection, id: Uuid, days: i32) -> Result<Row, Error> {
    Ok(sqlx::query_as(&format!(
        "update work_items w set extension_days = extension_days + $2 where case_id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(days)
    .fetch_one(&mut *tx)
    .await?)
}

/// What a timer raises on a work item.
#[derive(Debug, Clone, Copy)]
pub enum Raise {
    /// The yellow warning before the due date.
    Warning,
    /// The red escalation once it passed.
    Escalation,
}

/// Marks work item `id` as having had `raise` at `at`, so no sweep raises it again.
pub async fn mark(
    tx: &mut PgConnection,
    id: Uuid,
    raise: Raise,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    let sql = match raise {
        Raise::Warning => "update work_items set warned_at = $2 where case_id = $1",
        Raise::Escalation => "update work_items set escalated_at = $2 where case_id = $1",
    };
    sqlx::query(sql).bind(id).bind(at).execute(&mut *tx).await?;
    Ok(())
}
