//! The escalation of missed hand-over deadlines (the rule is `state::missed`): the handling
//! region's unanswered transfers and the receiving side's undelivered results, each once.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sqlx::PgPool;

use tongban_bus::aggregate::Entry;
use tongban_events::crossregion::v1 as events;
use tongban_kernel::Error;

use super::state::HandOver;
use super::store;

/// Escalates the hand-overs whose deadline passed before `today`. Returns how many.
pub async fn sweep(pool: &PgPool, today: NaiveDate, now: DateTime<Utc>) -> Result<usize, Error> {
    let mut tx = pool.begin().await?;
    let mut raised = 0;
    for hand_over in HandOver::ALL {
        for row in store::flag_missed(&mut tx, hand_over, today, now).await? {
            let deadline = match hand_over {
                HandOver::Response => Some(row.respond_by),
                HandOver::Delivery => row.deliver_by,
            }
            .map(|d| d.to_string())
            .unwrap_or_default();
            let event = events::HandOverOverdue {
                transfer: Some(row.reference()),
                hand_over: hand_over.as_str().to_owned(),
                deadline: deadline.clone(),
                flagged_at: Some(tongban_events::timestamp(now)),
            };
            let detail = json!({ "hand_over": hand_over.as_str(), "deadline": deadline });
            let entry = Entry::new(now, None, "overdue", detail);
            store::record(&mut tx, &row, entry, Some(&event)).await?;
            raised += 1;
        }
    }
    tx.commit().await?;
    Ok(raised)
}
