//! What the clock keeps: the stretches it stood still (pauses), and the due date and warning
//! day of a work item recomputed from them and its extensions.

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_kernel::calendar::Reckoning;
use tongban_kernel::{Calendar, Error};

use super::rules::{self, Stop};
use crate::work_item::store::Row;

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
