//! Durable timers (no external cron): the yellow warning before a case's due date and the red
//! escalation once it has passed. The dates are columns of the work items; a sweep raises what
//! is due, marking each work item in the same transaction as its event, so a restart or a
//! second replica raises nothing twice (rows are claimed with `for update skip locked`).

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sqlx::PgPool;

use tongban_events::approval::v1 as events;
use tongban_kernel::Error;

use super::rules as clock;
use super::store::{self, Raise};
use crate::work_item::state::WorkItemState;
use crate::work_item::store::{COLUMNS, Entry, Row, record};

/// Rows one sweep transaction handles; the sweep repeats until none are left.
const BATCH: i64 = 200;

/// What one sweep raised.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Raised {
    pub warnings: usize,
    pub escalations: usize,
}

/// Raises every warning and escalation due on `today`.
pub async fn sweep(pool: &PgPool, today: NaiveDate, now: DateTime<Utc>) -> Result<Raised, Error> {
    let mut raised = Raised::default();
    loop {
        let n = warn(pool, today, now).await?;
        raised.warnings += n;
        if n < BATCH as usize {
            break;
        }
    }
    loop {
        let n = escalate(pool, today, now).await?;
        raised.escalations += n;
        if n < BATCH as usize {
            break;
        }
    }
    Ok(raised)
}

async fn warn(pool: &PgPool, today: NaiveDate, now: DateTime<Utc>) -> Result<usize, Error> {
    let mut tx = pool.begin().await?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from work_items w
         where w.state = $3 and w.warned_at is null and w.warn_on <= $1
         order by w.warn_on limit $2 for update skip locked"
    ))
    .bind(today)
    .bind(BATCH)
    .bind(WorkItemState::InProgress)
    .fetch_all(&mut *tx)
    .await?;
    let mut calendars = tongban_calendar::Calendars::default();
    for row in &rows {
        let Some(due) = row.due_date else { continue };
        let calendar = calendars.of(&mut tx, &row.handling_region).await?;
        let left = clock::working_days_left(calendar, today, due);
        store::mark(&mut tx, row.case_id, Raise::Warning, now).await?;
        let entry = Entry {
            at: now,
            actor: None,
            action: "warned",
            step: Some(row.current_step),
            detail: json!({ "due_date": due, "working_days_left": left }),
        };
        let event = events::DeadlineApproaching {
            work: Some(row.work_ref()),
            due_date: due.to_string(),
            working_days_left: left,
            raised_at: Some(tongban_events::timestamp(now)),
        };
        record(&mut tx, row, entry, Some(&event)).await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

async fn escalate(pool: &PgPool, today: NaiveDate, now: DateTime<Utc>) -> Result<usize, Error> {
    let mut tx = pool.begin().await?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from work_items w
         where w.state = $3 and w.escalated_at is null and w.due_date < $1
         order by w.due_date limit $2 for update skip locked"
    ))
    .bind(today)
    .bind(BATCH)
    .bind(WorkItemState::InProgress)
    .fetch_all(&mut *tx)
    .await?;
    for row in &rows {
        let Some(due) = row.due_date else { continue };
        store::mark(&mut tx, row.case_id, Raise::Escalation, now).await?;
        let entry = Entry {
            at: now,
            actor: None,
            action: "escalated",
            step: Some(row.current_step),
            detail: json!({ "due_date": due, "to": "supervisor" }),
        };
        let event = events::CaseOverdue {
            work: Some(row.work_ref()),
            due_date: due.to_string(),
            raised_at: Some(tongban_events::timestamp(now)),
        };
        record(&mut tx, row, entry, Some(&event)).await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}
