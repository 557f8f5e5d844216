//! The sweep: open remediations past their due date are flagged overdue once and escalated to
//! the region's supervisors (a durable timer: the deadlines are rows).

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use tongban_events::acceptance::v1 as events;
use tongban_kernel::Error;

use crate::rating::store as ratings;

use super::store::{self, Remediation};

/// Flags every open remediation past its due date (before `today`) as overdue, once, with its
/// `RemediationOverdue` event (the escalation to the region's supervisors); returns how many.
pub async fn flag_overdue(
    pool: &PgPool,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<usize, Error> {
    let mut tx = pool.begin().await?;
    let flagged = store::flag_overdue(&mut tx, today, now).await?;
    for found in &flagged {
        escalate(&mut tx, found, now).await?;
    }
    tx.commit().await?;
    Ok(flagged.len())
}

/// The history entry and event of one remediation flagged overdue.
async fn escalate(
    tx: &mut PgConnection,
    found: &Remediation,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let detail = json!({ "due_date": found.due_date });
    store::record(tx, found.id, None, "overdue", detail, now).await?;
    let rating = ratings::load(tx, found.rating_id).await?;
    let number: Option<String> = match found.case_id {
        Some(case) => {
            sqlx::query_scalar("select number from cases where id = $1")
                .bind(case)
                .fetch_one(&mut *tx)
                .await?
        }
        None => None,
    };
    let event = events::RemediationOverdue {
        remediation_id: found.id.to_string(),
        rating_id: found.rating_id.to_string(),
        case_id: found.case_id.map(|c| c.to_string()).unwrap_or_default(),
        case_number: number.clone().unwrap_or_default(),
        region_code: found.region_code.clone(),
        department_id: found
            .department_id
            .map(|d| d.to_string())
            .unwrap_or_default(),
        assignee_id: found.assignee_id.map(|a| a.to_string()).unwrap_or_default(),
        due_date: found.due_date.to_string(),
        flagged_at: Some(tongban_events::timestamp(now)),
    };
    store::publish(tx, found.id, &rating, number.as_deref(), &event).await
}
